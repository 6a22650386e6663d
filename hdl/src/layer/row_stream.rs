//! `RowOut` / `RowIn`: the fire phase's read register, handed to the serialiser.

use crate::prelude::*;

/// The row stream inside a layer stage, the fire sequencer's side: a row of the tick memory
/// (firing) or of `V` (z output) is on the lanes' read ports, with its group base `g·P` and
/// tick; the serialiser takes it (`load`) once it has emptied the last row. Beside it, the
/// sample's framing error and the end of the sweep (`draining`), and back the serialiser's
/// state (`drained`, `sample_end`). Wires only: no logic, no latency, no cost.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "RowIn"]
pub struct RowOut {
    /// The read register holds a row.
    pub valid: Output<Bit>,
    /// The read register holds a row next cycle (for the serialiser's registered `drained`).
    pub valid_next: Output<Bit>,
    /// The row's group base `g·P`.
    pub base: Output<Bits16>,
    /// The row's tick.
    pub m: Output<Bits8>,
    /// The sample's framing error.
    pub err: Output<Bit>,
    /// Every row is issued: once drained, the sample ends.
    pub draining: Output<Bit>,
    /// The serialiser takes the row this cycle.
    pub load: Input<Bit>,
    /// The serialiser holds nothing (no row read, no lane pending).
    pub drained: Input<Bit>,
    /// The serialiser sends (or, for z output, skips) the sample's end this cycle.
    pub sample_end: Input<Bit>,
}

/// The row stream, the serialiser's side (see [`RowOut`]).
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "RowOut"]
pub struct RowIn {
    /// The read register holds a row.
    pub valid: Input<Bit>,
    /// The read register holds a row next cycle.
    pub valid_next: Input<Bit>,
    /// The row's group base `g·P`.
    pub base: Input<Bits16>,
    /// The row's tick.
    pub m: Input<Bits8>,
    /// The sample's framing error.
    pub err: Input<Bit>,
    /// Every row is issued.
    pub draining: Input<Bit>,
    /// The row is taken this cycle.
    pub load: Output<Bit>,
    /// Nothing held: no row read, no lane pending.
    pub drained: Output<Bit>,
    /// The sample's end goes out (or, for z output, is passed) this cycle.
    pub sample_end: Output<Bit>,
}
