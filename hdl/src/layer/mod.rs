//! Blocks of a layer stage: window counter, activation (clamp/shift), fire unit, weight
//! memory, and the whole stage (integrate + fire, [`LayerStage`]).

pub mod activation;
pub mod fire_unit;
pub mod layer_stage;
pub mod scale;
pub mod weight_memory;
pub mod window_counter;

pub use activation::Activation;
pub use fire_unit::FireUnit;
pub use layer_stage::{LayerStage, StageParams};
pub use scale::Scale;
pub use weight_memory::{WeightLayout, WeightMemory, WeightStore, WEIGHT_ADDR_BITS};
pub use window_counter::WindowCounter;
