//! Blocks of a layer stage (DESIGN §5): the whole stage ([`LayerStage`]) and its sub-blocks —
//! weights ([`WeightLoader`], [`WeightMemory`]), integrate control ([`IntegrateIssue`],
//! [`IntegratePipeline`]), the datapath ([`Lane`], with [`Scale`] and [`Activation`]), fire
//! control ([`FireSequencer`]) and output ([`Serialiser`], [`BeatRegister`]); the conv stage
//! ([`ConvStage`]) swaps in [`ConvIssue`] (with [`CoordLogic`] and [`WalkBounds`]), [`ConvFire`] and [`PoolMax`], and queues its events
//! for a conv stage after it ([`EventQueue`]).

pub mod activation;
pub mod beat_register;
pub mod conv_fire;
pub mod conv_issue;
pub mod conv_stage;
pub mod coord_logic;
pub mod event_pairer;
pub mod event_queue;
pub mod fire_sequencer;
pub mod integrate_issue;
pub mod integrate_pipeline;
pub mod lane;
pub mod layer_stage;
pub mod pair_merge;
pub mod pool_max;
pub mod row_stream;
pub mod scale;
pub mod serialiser;
pub mod stage_params;
pub mod walk_bounds;
pub mod weight_loader;
pub mod weight_memory;

pub use activation::Activation;
pub use beat_register::BeatRegister;
pub use conv_fire::ConvFire;
pub use conv_issue::ConvIssue;
pub use conv_stage::ConvStage;
pub use coord_logic::CoordLogic;
pub use event_pairer::EventPairer;
pub use event_queue::EventQueue;
pub use fire_sequencer::{FireSequencer, FireState};
pub use integrate_issue::{IntegrateIssue, SampleState};
pub use integrate_pipeline::IntegratePipeline;
pub use lane::Lane;
pub use layer_stage::{LayerStage, StageParams};
pub use pair_merge::PairMerge;
pub use pool_max::PoolMax;
pub use row_stream::{RowIn, RowOut};
pub use scale::Scale;
pub use serialiser::Serialiser;
pub use stage_params::ConvGeometry;
pub use walk_bounds::WalkBounds;
pub use weight_loader::WeightLoader;
pub use weight_memory::{WeightAddr, WeightLayout, WeightMemory, WeightStore, WEIGHT_ADDR_BITS};
