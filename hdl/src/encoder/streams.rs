//! The wires between the encoder's sub-blocks, as rust-hdl interfaces (the pattern of
//! [`crate::stream`]): the taken feature (framing → linker), the full bank's hand-off
//! (framing ↔ emitter) and the list memories' reads (→ emitter). Wires only: no logic, no
//! latency, no cost.

use crate::prelude::*;

/// A feature taken by the framing, its side: feature `j` of the sample, value `data`, goes
/// into `bank` this cycle (`valid`). No back-pressure: the linker takes one per cycle.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "TakeIn"]
pub struct TakeOut {
    /// A feature is taken this cycle.
    pub valid: Output<Bit>,
    /// The bank it goes into.
    pub bank: Output<Bit>,
    /// Its index in the sample.
    pub j: Output<Bits16>,
    /// Its raw value `x`.
    pub data: Output<Bits16>,
}

/// A taken feature, the linker's side (see [`TakeOut`]).
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "TakeOut"]
pub struct TakeIn {
    /// A feature is taken this cycle.
    pub valid: Input<Bit>,
    /// The bank it goes into.
    pub bank: Input<Bit>,
    /// Its index in the sample.
    pub j: Input<Bits16>,
    /// Its raw value `x`.
    pub data: Input<Bits16>,
}

/// The bank the emitter walks, the framing's side: whether that bank holds a whole sample
/// (`full`) and its framing error; the emitter names the bank and frees it.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "BankIn"]
pub struct BankOut {
    /// The emitter's bank holds a whole sample.
    pub full: Output<Bit>,
    /// That sample's framing error.
    pub err: Output<Bit>,
    /// The emitter's bank.
    pub bank: Input<Bit>,
    /// The emitter frees it this cycle.
    pub free: Input<Bit>,
}

/// The bank the emitter walks, the emitter's side (see [`BankOut`]).
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "BankOut"]
pub struct BankIn {
    /// The bank holds a whole sample.
    pub full: Input<Bit>,
    /// That sample's framing error.
    pub err: Input<Bit>,
    /// The bank walked.
    pub bank: Output<Bit>,
    /// The bank is freed this cycle.
    pub free: Output<Bit>,
}

/// The head, tail and next-pointer memories' read words of bank 0 and bank 1, registered by
/// the memories (DESIGN §5's bucket lists). The encoder drives them from its memories; the
/// emitter passes them to its [`ListReads`](super::ListReads) (`BankReads::link`).
#[derive(Clone, Debug, Default, LogicInterface)]
pub struct BankReads {
    /// `head[m]` of bank 0 and bank 1: the first feature of tick `m`'s list.
    pub head0: Input<Bits16>,
    pub head1: Input<Bits16>,
    /// `tail[m]`: the last feature of tick `m`'s list (all ones: the list is empty).
    pub tail0: Input<Bits16>,
    pub tail1: Input<Bits16>,
    /// `next[j]`: the feature after `j` in its list.
    pub next0: Input<Bits16>,
    pub next1: Input<Bits16>,
}
