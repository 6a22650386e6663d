//! Primitive building blocks shared by the accelerator blocks.

pub mod fifo;
pub mod ice40_spram;
pub mod packed_ram;
pub mod rdff;
pub mod sync_ram;
pub mod zero_extend;

pub use fifo::Fifo;
pub use ice40_spram::Ice40Spram;
pub use packed_ram::PackedRam;
pub use rdff::RDff;
pub use sync_ram::SyncRam;
pub use zero_extend::ZeroExtend;
