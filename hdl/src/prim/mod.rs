//! Primitive building blocks shared by the accelerator blocks, and the only home of vendor
//! primitives (`Ice40Spram`, the PLL declarations of `pll.rs`).

pub mod fifo;
pub mod ice40_spram;
pub mod packed_ram;
pub mod pll;
pub mod rdff;
pub mod sync_ram;
pub mod zero_extend;

pub use fifo::Fifo;
pub use ice40_spram::Ice40Spram;
pub use packed_ram::PackedRam;
pub use rdff::RDff;
pub use sync_ram::SyncRam;
pub use zero_extend::ZeroExtend;
