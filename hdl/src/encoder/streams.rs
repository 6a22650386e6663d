//! The wires between the encoder's sub-blocks, as rust-hdl interfaces (the pattern of
//! [`crate::stream`]): the taken feature (framing → linker), the full bank's hand-off
//! (framing ↔ emitter) and the list memories' reads (→ emitter). Wires only: no logic, no
//! latency, no cost.

use rust_hdl::prelude::*;

/// A feature taken by the framing, its side: feature `j` of the sample, value `data`, goes
/// into `bank` this cycle (`valid`). No back-pressure: the linker takes one per cycle.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "TakeIn"]
pub struct TakeOut {
    /// A feature is taken this cycle.
    pub valid: Signal<Out, Bit>,
    /// The bank it goes into.
    pub bank: Signal<Out, Bit>,
    /// Its index in the sample.
    pub j: Signal<Out, Bits<16>>,
    /// Its raw value `x`.
    pub data: Signal<Out, Bits<16>>,
}

/// A taken feature, the linker's side (see [`TakeOut`]).
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "TakeOut"]
pub struct TakeIn {
    /// A feature is taken this cycle.
    pub valid: Signal<In, Bit>,
    /// The bank it goes into.
    pub bank: Signal<In, Bit>,
    /// Its index in the sample.
    pub j: Signal<In, Bits<16>>,
    /// Its raw value `x`.
    pub data: Signal<In, Bits<16>>,
}

/// The bank the emitter walks, the framing's side: whether that bank holds a whole sample
/// (`full`) and its framing error; the emitter names the bank and frees it.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "BankIn"]
pub struct BankOut {
    /// The emitter's bank holds a whole sample.
    pub full: Signal<Out, Bit>,
    /// That sample's framing error.
    pub err: Signal<Out, Bit>,
    /// The emitter's bank.
    pub bank: Signal<In, Bit>,
    /// The emitter frees it this cycle.
    pub free: Signal<In, Bit>,
}

/// The bank the emitter walks, the emitter's side (see [`BankOut`]).
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "BankOut"]
pub struct BankIn {
    /// The bank holds a whole sample.
    pub full: Signal<In, Bit>,
    /// That sample's framing error.
    pub err: Signal<In, Bit>,
    /// The bank walked.
    pub bank: Signal<Out, Bit>,
    /// The bank is freed this cycle.
    pub free: Signal<Out, Bit>,
}

/// The head, tail and next-pointer memories' read words of bank 0 and bank 1, registered by
/// the memories (DESIGN §5's bucket lists). The encoder drives them from its memories; the
/// emitter passes them to its [`ListReads`](super::ListReads) (`BankReads::link`).
#[derive(Clone, Debug, Default, LogicInterface)]
pub struct BankReads {
    /// `head[m]` of bank 0 and bank 1: the first feature of tick `m`'s list.
    pub head0: Signal<In, Bits<16>>,
    pub head1: Signal<In, Bits<16>>,
    /// `tail[m]`: the last feature of tick `m`'s list (all ones: the list is empty).
    pub tail0: Signal<In, Bits<16>>,
    pub tail1: Signal<In, Bits<16>>,
    /// `next[j]`: the feature after `j` in its list.
    pub next0: Signal<In, Bits<16>>,
    pub next1: Signal<In, Bits<16>>,
}
