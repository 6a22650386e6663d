//! `EventPairer`: an event stream → beats of up to two events, for a stage that integrates two
//! events per pass.

use crate::prelude::*;
use crate::stream::{EventIn, EventOut};

/// Holds up to two beats of an event stream and offers them together: the oldest on `ev_out`
/// as usual, and, when the next one is an event of the same sample (not an eow), that one too
/// (`two`, `index2`, `m2`). The receiver takes the pair (`take2`) or the oldest alone.
///
/// A stage that integrates two events per pass ([`super::IntegrateIssue`] with
/// `events_per_cycle = 2`) reads their two weight rows in one pass: events of any ticks pair,
/// because a pass adds `w·(T − m)` per event. When the stage is busy the pairer fills, so the
/// pass after a busy one takes two; a stage that waits on its input takes events as they come.
///
/// Ports:
/// - `clock`, `rst` (in): clock, synchronous active-high reset (empties the pair).
/// - `ev_in` ([`EventIn`]): the stream.
/// - `ev_out` ([`EventOut`]): the oldest beat; `ready`: it leaves.
/// - `two` (out): the next beat is an event too, on `index2`, `m2`; `take2` (in, with
///   `ev_out.ready`): it leaves as well.
///
/// Latency: a beat taken in cycle `c` is offered in `c + 1`. Throughput: one beat in per cycle
/// (`ev_in.ready` is `!` the second entry, a register). Cost: 2 × 26 + 2 flip-flops.
#[derive(LogicBlock, Default)]
pub struct EventPairer {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// The event stream.
    pub ev_in: EventIn,
    /// The oldest beat.
    pub ev_out: EventOut,
    /// The next beat is an event of the same sample: on `index2`, `m2`.
    pub two: Output<Bit>,
    /// Index of the second event.
    pub index2: Output<Bits16>,
    /// Tick of the second event.
    pub m2: Output<Bits8>,
    /// The second event leaves with the first (only with `two` and `ev_out.ready`).
    pub take2: Input<Bit>,
    // The oldest (0) and the next (1) beat.
    v0: RDff<Bit>,
    i0: RDff<Bits16>,
    m0: RDff<Bits8>,
    eow0: RDff<Bit>,
    err0: RDff<Bit>,
    v1: RDff<Bit>,
    i1: RDff<Bits16>,
    m1: RDff<Bits8>,
    eow1: RDff<Bit>,
    err1: RDff<Bit>,
    take: Wire<Bit>,
    pop1: Wire<Bit>,
    pop2: Wire<Bit>,
}

impl Logic for EventPairer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, v0, i0, m0, eow0, err0, v1, i1, m1, eow1, err1);
        self.v0.rst.next = self.rst.val();
        self.i0.rst.next = self.rst.val();
        self.m0.rst.next = self.rst.val();
        self.eow0.rst.next = self.rst.val();
        self.err0.rst.next = self.rst.val();
        self.v1.rst.next = self.rst.val();
        self.i1.rst.next = self.rst.val();
        self.m1.rst.next = self.rst.val();
        self.eow1.rst.next = self.rst.val();
        self.err1.rst.next = self.rst.val();
        self.ev_out.valid.next = self.v0.q.val();
        self.ev_out.index.next = self.i0.q.val();
        self.ev_out.m.next = self.m0.q.val();
        self.ev_out.eow.next = self.eow0.q.val();
        self.ev_out.err.next = self.err0.q.val();
        self.two.next = self.v0.q.val() & !self.eow0.q.val() & self.v1.q.val() & !self.eow1.q.val();
        self.index2.next = self.i1.q.val();
        self.m2.next = self.m1.q.val();
        self.ev_in.ready.next = !self.v1.q.val();
        self.take.next = self.ev_in.valid.val() & !self.v1.q.val();
        self.pop2.next =
            self.v0.q.val() & self.ev_out.ready.val() & self.two.val() & self.take2.val();
        self.pop1.next = self.v0.q.val() & self.ev_out.ready.val() & !self.pop2.val();
        if self.pop2.val() {
            // Both leave; `take` is low (the second entry was full).
            self.v0.d.next = false;
            self.v1.d.next = false;
        }
        if self.pop1.val() {
            if self.v1.q.val() {
                self.v0.d.next = true;
                self.i0.d.next = self.i1.q.val();
                self.m0.d.next = self.m1.q.val();
                self.eow0.d.next = self.eow1.q.val();
                self.err0.d.next = self.err1.q.val();
                self.v1.d.next = false;
            } else {
                self.v0.d.next = false;
            }
        }
        if self.take.val() {
            if self.v0.q.val() & !self.pop1.val() {
                self.v1.d.next = true;
                self.i1.d.next = self.ev_in.index.val();
                self.m1.d.next = self.ev_in.m.val();
                self.eow1.d.next = self.ev_in.eow.val();
                self.err1.d.next = self.ev_in.err.val();
            } else {
                // Empty, or the oldest leaves now with nothing behind it (`take` needs the
                // second entry empty).
                self.v0.d.next = true;
                self.i0.d.next = self.ev_in.index.val();
                self.m0.d.next = self.ev_in.m.val();
                self.eow0.d.next = self.ev_in.eow.val();
                self.err0.d.next = self.ev_in.err.val();
            }
        }
    }
}
