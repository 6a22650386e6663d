//! `RowOut` / `RowIn`: the fire phase's read register, handed to the serialiser.

use rust_hdl::prelude::*;

/// The row stream inside a layer stage, the fire sequencer's side: a row of the tick memory
/// (firing) or of `V` (z output) is on the lanes' read ports, with its group base `g·P` and
/// tick; the serialiser takes it (`load`) once it has emptied the last row. Beside it, the
/// sample's framing error and the end of the sweep (`draining`), and back the serialiser's
/// state (`drained`, `sample_end`). Wires only: no logic, no latency, no cost.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "RowIn"]
pub struct RowOut {
    /// The read register holds a row.
    pub valid: Signal<Out, Bit>,
    /// The read register holds a row next cycle (for the serialiser's registered `drained`).
    pub valid_next: Signal<Out, Bit>,
    /// The row's group base `g·P`.
    pub base: Signal<Out, Bits<16>>,
    /// The row's tick.
    pub m: Signal<Out, Bits<8>>,
    /// The sample's framing error.
    pub err: Signal<Out, Bit>,
    /// Every row is issued: once drained, the sample ends.
    pub draining: Signal<Out, Bit>,
    /// The serialiser takes the row this cycle.
    pub load: Signal<In, Bit>,
    /// The serialiser holds nothing (no row read, no lane pending).
    pub drained: Signal<In, Bit>,
    /// The serialiser sends (or, for z output, skips) the sample's end this cycle.
    pub sample_end: Signal<In, Bit>,
}

/// The row stream, the serialiser's side (see [`RowOut`]).
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "RowOut"]
pub struct RowIn {
    /// The read register holds a row.
    pub valid: Signal<In, Bit>,
    /// The read register holds a row next cycle.
    pub valid_next: Signal<In, Bit>,
    /// The row's group base `g·P`.
    pub base: Signal<In, Bits<16>>,
    /// The row's tick.
    pub m: Signal<In, Bits<8>>,
    /// The sample's framing error.
    pub err: Signal<In, Bit>,
    /// Every row is issued.
    pub draining: Signal<In, Bit>,
    /// The row is taken this cycle.
    pub load: Signal<Out, Bit>,
    /// Nothing held: no row read, no lane pending.
    pub drained: Signal<Out, Bit>,
    /// The sample's end goes out (or, for z output, is passed) this cycle.
    pub sample_end: Signal<Out, Bit>,
}
