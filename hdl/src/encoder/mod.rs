//! Layer 0: the input encoder (raw features → bucket-sorted spike events).

#[allow(clippy::module_inception)]
pub mod encoder;
pub mod var_ram;

pub use encoder::Encoder;
pub use var_ram::VarRam;
