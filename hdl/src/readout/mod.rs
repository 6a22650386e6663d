//! Readout of the last layer.

pub mod argmax;
#[allow(clippy::module_inception)]
pub mod readout;

pub use argmax::Argmax;
pub use readout::Readout;
