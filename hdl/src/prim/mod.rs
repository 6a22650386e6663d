//! Primitive building blocks shared by the accelerator blocks.

pub mod rdff;

pub use rdff::RDff;
