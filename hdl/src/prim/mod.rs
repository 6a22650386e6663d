//! Primitive building blocks shared by the accelerator blocks.

pub mod ice40_spram;
pub mod rdff;
pub mod sync_ram;

pub use ice40_spram::Ice40Spram;
pub use rdff::RDff;
pub use sync_ram::SyncRam;
