//! Blocks of a layer stage: window counter, activation (clamp/shift), fire unit, and the
//! whole stage (integrate + fire, [`LayerStage`]).

pub mod activation;
pub mod fire_unit;
pub mod layer_stage;
pub mod window_counter;

pub use activation::Activation;
pub use fire_unit::FireUnit;
pub use layer_stage::{LayerStage, StageParams};
pub use window_counter::WindowCounter;
