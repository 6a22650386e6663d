//! `PairMerge`: two event streams sorted by tick → beats of up to two events, still sorted by
//! tick, for a stage that integrates two events per pass from two streams.

use crate::encoder::EventSkid;
use crate::prelude::*;
use crate::stream::{EventIn, EventOut, EventTap};

/// Merges the streams `a` and `b` (each sorted by tick, one eow per sample) in tick order and
/// offers up to two events at once, as [`super::EventPairer`] does from one stream: the first
/// on `ev_out`, a second (`two`, `index2`, `m2`) only when both heads are events of the same
/// tick, so that the pair and the beats after it stay in tick order. The sample's eow leaves
/// once both streams are at theirs (with either's framing error).
///
/// Where one stream cannot pass more than one event per cycle (the encoder's merge chain),
/// two of them, each over half the wide encoder's banks, feed a `G = 1` stage two events per
/// cycle: the ticks of MNIST's input spikes are spread so that most heads pair.
///
/// Ports:
/// - `clock`, `rst` (in): clock, synchronous active-high reset (empties it).
/// - `a`, `b` ([`EventIn`]): the two streams.
/// - `ev_out` ([`EventOut`]): the first beat; `ready`: it leaves.
/// - `two` (out): a second event of the same tick is on `index2`, `m2`; `take2` (in, with
///   `ev_out.ready`): it leaves as well.
/// - `tap`, `tap2` ([`EventTap`]): the first and the second event as they leave (`tap2` never
///   carries an eow), for the trace ports.
///
/// Latency: 2 cycles (the inputs' skid, then the pair register). Throughput: one beat, up to
/// two events, per cycle. Cost: 2 skids, 2 × 26 + 2 flip-flops, a 9-bit compare.
#[derive(LogicBlock)]
pub struct PairMerge {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// The first stream.
    pub a: EventIn,
    /// The second stream.
    pub b: EventIn,
    /// The first beat.
    pub ev_out: EventOut,
    /// A second event of the same tick: on `index2`, `m2`.
    pub two: Output<Bit>,
    /// Index of the second event.
    pub index2: Output<Bits16>,
    /// Tick of the second event.
    pub m2: Output<Bits8>,
    /// The second event leaves with the first (only with `two` and `ev_out.ready`).
    pub take2: Input<Bit>,
    /// The first beat as it leaves.
    pub tap: EventTap,
    /// The second event as it leaves.
    pub tap2: EventTap,
    qa: EventSkid,
    qb: EventSkid,
    // Sort keys: `{eow, m}`, so an eow beat ranks after every tick.
    ka: Wire<Bits<9>>,
    kb: Wire<Bits<9>>,
    ma: ZeroExtend<8, 9>,
    mb: ZeroExtend<8, 9>,
    eow_key: Constant<Bits<9>>,
    both: Wire<Bit>,
    pop1: Wire<Bit>,
    pop2: Wire<Bit>,
    free: Wire<Bit>,
    // The first (0) and the second (1) entry of the beat.
    v0: RDff<Bit>,
    i0: RDff<Bits16>,
    m0: RDff<Bits8>,
    eow0: RDff<Bit>,
    err0: RDff<Bit>,
    v1: RDff<Bit>,
    i1: RDff<Bits16>,
    m1: RDff<Bits8>,
}

impl PairMerge {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            a: EventIn::default(),
            b: EventIn::default(),
            ev_out: EventOut::default(),
            two: Signal::default(),
            index2: Signal::default(),
            m2: Signal::default(),
            take2: Signal::default(),
            tap: EventTap::default(),
            tap2: EventTap::default(),
            qa: EventSkid::default(),
            qb: EventSkid::default(),
            ka: Signal::default(),
            kb: Signal::default(),
            ma: ZeroExtend::new(),
            mb: ZeroExtend::new(),
            eow_key: Constant::new(bits(256)),
            both: Signal::default(),
            pop1: Signal::default(),
            pop2: Signal::default(),
            free: Signal::default(),
            v0: RDff::default(),
            i0: RDff::default(),
            m0: RDff::default(),
            eow0: RDff::default(),
            err0: RDff::default(),
            v1: RDff::default(),
            i1: RDff::default(),
            m1: RDff::default(),
        }
    }
}

impl Logic for PairMerge {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, v0, i0, m0, eow0, err0, v1, i1, m1);
        clock!(self, clock, qa, qb);
        self.qa.rst.next = self.rst.val();
        self.qb.rst.next = self.rst.val();
        self.v0.rst.next = self.rst.val();
        self.i0.rst.next = self.rst.val();
        self.m0.rst.next = self.rst.val();
        self.eow0.rst.next = self.rst.val();
        self.err0.rst.next = self.rst.val();
        self.v1.rst.next = self.rst.val();
        self.i1.rst.next = self.rst.val();
        self.m1.rst.next = self.rst.val();
        EventIn::link(&mut self.a, &mut self.qa.ev_in);
        EventIn::link(&mut self.b, &mut self.qb.ev_in);
        self.ev_out.valid.next = self.v0.q.val();
        self.ev_out.index.next = self.i0.q.val();
        self.ev_out.m.next = self.m0.q.val();
        self.ev_out.eow.next = self.eow0.q.val();
        self.ev_out.err.next = self.err0.q.val();
        // Entry 1 is only ever an event paired with an event of entry 0.
        self.two.next = self.v0.q.val() & self.v1.q.val();
        self.index2.next = self.i1.q.val();
        self.m2.next = self.m1.q.val();
        self.pop2.next =
            self.v0.q.val() & self.ev_out.ready.val() & self.v1.q.val() & self.take2.val();
        self.pop1.next = self.v0.q.val() & self.ev_out.ready.val() & !self.pop2.val();
        self.tap.valid.next = self.v0.q.val() & self.ev_out.ready.val();
        self.tap.eow.next = self.eow0.q.val();
        self.tap.m.next = self.m0.q.val();
        self.tap.index.next = self.i0.q.val();
        self.tap2.valid.next = self.pop2.val();
        self.tap2.eow.next = false;
        self.tap2.m.next = self.m1.q.val();
        self.tap2.index.next = self.i1.q.val();
        if self.pop2.val() {
            self.v0.d.next = false;
            self.v1.d.next = false;
        }
        if self.pop1.val() {
            // A lone first (or the first of a pair whose second stays): entry 1 moves up.
            self.v0.d.next = self.v1.q.val();
            self.i0.d.next = self.i1.q.val();
            self.m0.d.next = self.m1.q.val();
            self.eow0.d.next = false;
            self.err0.d.next = false;
            self.v1.d.next = false;
        }
        // The heads load when the beat is empty after this cycle's pops.
        self.free.next = !self.v0.q.val() | self.pop2.val() | (self.pop1.val() & !self.v1.q.val());
        self.ma.x.next = self.qa.ev_out.m.val();
        self.mb.x.next = self.qb.ev_out.m.val();
        self.ka.next = self.ma.y.val();
        if self.qa.ev_out.eow.val() {
            self.ka.next = self.eow_key.val();
        }
        self.kb.next = self.mb.y.val();
        if self.qb.ev_out.eow.val() {
            self.kb.next = self.eow_key.val();
        }
        self.both.next = self.qa.ev_out.valid.val() & self.qb.ev_out.valid.val();
        self.qa.ev_out.ready.next = false;
        self.qb.ev_out.ready.next = false;
        if self.free.val() & self.both.val() {
            self.v0.d.next = true;
            if self.qa.ev_out.eow.val() & self.qb.ev_out.eow.val() {
                self.qa.ev_out.ready.next = true;
                self.qb.ev_out.ready.next = true;
                self.i0.d.next = self.qa.ev_out.index.val();
                self.m0.d.next = self.qa.ev_out.m.val();
                self.eow0.d.next = true;
                self.err0.d.next = self.qa.ev_out.err.val() | self.qb.ev_out.err.val();
            } else if self.ka.val() == self.kb.val() {
                // Two events of one tick: a pair.
                self.qa.ev_out.ready.next = true;
                self.qb.ev_out.ready.next = true;
                self.i0.d.next = self.qa.ev_out.index.val();
                self.m0.d.next = self.qa.ev_out.m.val();
                self.eow0.d.next = false;
                self.err0.d.next = false;
                self.v1.d.next = true;
                self.i1.d.next = self.qb.ev_out.index.val();
                self.m1.d.next = self.qb.ev_out.m.val();
            } else if self.ka.val() < self.kb.val() {
                self.qa.ev_out.ready.next = true;
                self.i0.d.next = self.qa.ev_out.index.val();
                self.m0.d.next = self.qa.ev_out.m.val();
                self.eow0.d.next = false;
                self.err0.d.next = false;
            } else {
                self.qb.ev_out.ready.next = true;
                self.i0.d.next = self.qb.ev_out.index.val();
                self.m0.d.next = self.qb.ev_out.m.val();
                self.eow0.d.next = false;
                self.err0.d.next = false;
            }
        }
    }
}
