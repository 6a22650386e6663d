//! `TickMerge`: two event streams sorted by tick → one, still sorted by tick.

use super::EventSkid;
use crate::prelude::*;
use crate::stream::{EventIn, EventOut};

/// Merges two event streams of the same samples (each: a sample's events in tick order, then
/// its eow beat) into one, for the wide encoder: its banks sort their own features, and a
/// chain of merges makes the one stream a stage takes (DESIGN §5: events grouped by tick,
/// ticks in increasing order; the order inside a tick is free).
///
/// Each cycle, with both heads present, the one of the earlier tick leaves (`a` on a tie);
/// an eow beat ranks after every event, so a sample's events all leave before its eow, which
/// leaves once, when both heads are eow (`err` = either's). A head waits while the other
/// stream has nothing to compare it with: that is what keeps the ticks in order.
///
/// Ports:
/// - `clock`, `rst` (in): clock, synchronous active-high reset.
/// - `a`, `b` ([`EventIn`]): the two streams, each behind an [`EventSkid`].
/// - `ev_out` ([`EventOut`]): the merged stream, from a register.
///
/// Latency: 2 cycles (skid, output register). Throughput: one beat per cycle while both
/// streams have beats waiting. Cost: two skids (2 × 54 flip-flops), a 9-bit comparator, a
/// 26-bit output register and its 2:1 mux.
#[derive(LogicBlock)]
pub struct TickMerge {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// First stream (wins ties).
    pub a: EventIn,
    /// Second stream.
    pub b: EventIn,
    /// Both streams, in tick order.
    pub ev_out: EventOut,
    qa: EventSkid,
    qb: EventSkid,
    // Sort keys: `{eow, m}`, so an eow beat ranks after every tick.
    ka: Wire<Bits<9>>,
    kb: Wire<Bits<9>>,
    ma: ZeroExtend<8, 9>,
    mb: ZeroExtend<8, 9>,
    eow_key: Constant<Bits<9>>,
    load: Wire<Bit>,
    both: Wire<Bit>,
    o_valid: RDff<Bit>,
    o_index: RDff<Bits16>,
    o_m: RDff<Bits8>,
    o_eow: RDff<Bit>,
    o_err: RDff<Bit>,
}

impl TickMerge {
    /// A merge of two streams.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            a: EventIn::default(),
            b: EventIn::default(),
            ev_out: EventOut::default(),
            qa: EventSkid::default(),
            qb: EventSkid::default(),
            ka: Signal::default(),
            kb: Signal::default(),
            ma: ZeroExtend::new(),
            mb: ZeroExtend::new(),
            eow_key: Constant::new(bits(256)),
            load: Signal::default(),
            both: Signal::default(),
            o_valid: RDff::default(),
            o_index: RDff::default(),
            o_m: RDff::default(),
            o_eow: RDff::default(),
            o_err: RDff::default(),
        }
    }
}

impl Logic for TickMerge {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, o_valid, o_index, o_m, o_eow, o_err);
        clock!(self, clock, qa, qb);
        self.qa.rst.next = self.rst.val();
        self.qb.rst.next = self.rst.val();
        self.o_valid.rst.next = self.rst.val();
        self.o_index.rst.next = self.rst.val();
        self.o_m.rst.next = self.rst.val();
        self.o_eow.rst.next = self.rst.val();
        self.o_err.rst.next = self.rst.val();
        EventIn::link(&mut self.a, &mut self.qa.ev_in);
        EventIn::link(&mut self.b, &mut self.qb.ev_in);
        self.ev_out.valid.next = self.o_valid.q.val();
        self.ev_out.index.next = self.o_index.q.val();
        self.ev_out.m.next = self.o_m.q.val();
        self.ev_out.eow.next = self.o_eow.q.val();
        self.ev_out.err.next = self.o_err.q.val();
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
        self.load.next = !self.o_valid.q.val() | self.ev_out.ready.val();
        self.both.next = self.qa.ev_out.valid.val() & self.qb.ev_out.valid.val();
        self.qa.ev_out.ready.next = false;
        self.qb.ev_out.ready.next = false;
        if self.load.val() {
            self.o_valid.d.next = self.both.val();
        }
        if self.load.val() & self.both.val() {
            if self.qa.ev_out.eow.val() & self.qb.ev_out.eow.val() {
                self.qa.ev_out.ready.next = true;
                self.qb.ev_out.ready.next = true;
                self.o_index.d.next = self.qa.ev_out.index.val();
                self.o_m.d.next = self.qa.ev_out.m.val();
                self.o_eow.d.next = true;
                self.o_err.d.next = self.qa.ev_out.err.val() | self.qb.ev_out.err.val();
            } else if self.ka.val() <= self.kb.val() {
                self.qa.ev_out.ready.next = true;
                self.o_index.d.next = self.qa.ev_out.index.val();
                self.o_m.d.next = self.qa.ev_out.m.val();
                self.o_eow.d.next = false;
                self.o_err.d.next = false;
            } else {
                self.qb.ev_out.ready.next = true;
                self.o_index.d.next = self.qb.ev_out.index.val();
                self.o_m.d.next = self.qb.ev_out.m.val();
                self.o_eow.d.next = false;
                self.o_err.d.next = false;
            }
        }
    }
}
