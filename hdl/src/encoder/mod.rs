//! Layer 0: the input encoder (raw features → bucket-sorted spike events), and the beat
//! splitter in front of it for inputs of several features per beat.

pub mod beat_splitter;

#[allow(clippy::module_inception)]
pub mod encoder;
pub mod var_ram;

pub use beat_splitter::BeatSplitter;
pub use encoder::Encoder;
pub use var_ram::VarRam;
