//! Layer 0: the input encoder (raw features → bucket-sorted spike events) with its sub-blocks,
//! and the blocks that make several of them one wide encoder (several features per beat).

pub mod bank_index;
pub mod beat_queue;
pub mod emitter;
#[allow(clippy::module_inception)]
pub mod encoder;
pub mod event_skid;
pub mod framing;
pub mod linker;
pub mod list_reads;
pub mod streams;
pub mod tick_merge;
pub mod var_ram;

pub use bank_index::BankIndex;
pub use beat_queue::BeatQueue;
pub use emitter::{EmitState, EncoderEmitter};
pub use encoder::Encoder;
pub use event_skid::EventSkid;
pub use framing::{EncoderFraming, FillState};
pub use linker::EncoderLinker;
pub use list_reads::ListReads;
pub use streams::{BankIn, BankOut, BankReads, TakeIn, TakeOut};
pub use tick_merge::TickMerge;
pub use var_ram::VarRam;

/// Widest input beat: `input_lanes · input_bits ≤ 64` (DESIGN §4 revision 2; the testbench's
/// `s_data` is one 64-bit word).
pub const MAX_BEAT_BITS: usize = 64;
