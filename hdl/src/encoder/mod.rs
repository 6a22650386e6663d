//! Layer 0: the input encoder (raw features → bucket-sorted spike events) with its sub-blocks,
//! and the beat splitter in front of it for inputs of several features per beat.

pub mod beat_splitter;
pub mod emitter;
#[allow(clippy::module_inception)]
pub mod encoder;
pub mod framing;
pub mod linker;
pub mod list_reads;
pub mod streams;
pub mod var_ram;

pub use beat_splitter::BeatSplitter;
pub use emitter::{EmitState, EncoderEmitter};
pub use encoder::Encoder;
pub use framing::{EncoderFraming, FillState};
pub use linker::EncoderLinker;
pub use list_reads::ListReads;
pub use streams::{BankIn, BankOut, BankReads, TakeIn, TakeOut};
pub use var_ram::VarRam;
