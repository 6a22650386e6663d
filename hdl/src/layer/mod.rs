//! Blocks of a layer stage: window counter, activation (clamp/shift) and fire unit.

pub mod activation;
pub mod fire_unit;
pub mod window_counter;

pub use activation::Activation;
pub use fire_unit::FireUnit;
pub use window_counter::WindowCounter;
