//! Readout of the last layer.

pub mod argmax;

pub use argmax::Argmax;
