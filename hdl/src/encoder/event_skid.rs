//! `EventSkid`: a two-entry queue of event beats whose `ready` is a register.

use crate::prelude::*;
use crate::stream::{EventIn, EventOut};

/// A two-entry queue on an event stream: a head (offered on `ev_out`) and a spare.
///
/// It decouples a producer from a consumer whose `ready` is a combinational decision (the
/// [`super::TickMerge`] picks a stream by comparing two heads): `ev_in.ready` is `!spare`,
/// a register, so no path runs from the consumer's choice back into the producer.
///
/// Ports:
/// - `clock`, `rst` (in): clock, synchronous active-high reset (empties the queue).
/// - `ev_in` ([`EventIn`]): beats in.
/// - `ev_out` ([`EventOut`]): the oldest beat, from registers.
///
/// Latency: a beat taken in cycle `c` is offered in `c + 1`. Throughput: one beat per cycle
/// while the consumer takes one per cycle. Cost: 2 × 26 + 2 flip-flops, a 26-bit mux.
#[derive(LogicBlock, Default)]
pub struct EventSkid {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// Beats in.
    pub ev_in: EventIn,
    /// The oldest beat.
    pub ev_out: EventOut,
    // The head (offered) and the spare (taken while the head waited).
    h_valid: RDff<Bit>,
    h_index: RDff<Bits16>,
    h_m: RDff<Bits8>,
    h_eow: RDff<Bit>,
    h_err: RDff<Bit>,
    s_valid: RDff<Bit>,
    s_index: RDff<Bits16>,
    s_m: RDff<Bits8>,
    s_eow: RDff<Bit>,
    s_err: RDff<Bit>,
    take: Wire<Bit>,
    pop: Wire<Bit>,
}

impl Logic for EventSkid {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, h_valid, h_index, h_m, h_eow, h_err, s_valid, s_index, s_m, s_eow, s_err
        );
        self.h_valid.rst.next = self.rst.val();
        self.h_index.rst.next = self.rst.val();
        self.h_m.rst.next = self.rst.val();
        self.h_eow.rst.next = self.rst.val();
        self.h_err.rst.next = self.rst.val();
        self.s_valid.rst.next = self.rst.val();
        self.s_index.rst.next = self.rst.val();
        self.s_m.rst.next = self.rst.val();
        self.s_eow.rst.next = self.rst.val();
        self.s_err.rst.next = self.rst.val();
        self.ev_out.valid.next = self.h_valid.q.val();
        self.ev_out.index.next = self.h_index.q.val();
        self.ev_out.m.next = self.h_m.q.val();
        self.ev_out.eow.next = self.h_eow.q.val();
        self.ev_out.err.next = self.h_err.q.val();
        self.ev_in.ready.next = !self.s_valid.q.val();
        self.take.next = self.ev_in.valid.val() & !self.s_valid.q.val();
        self.pop.next = self.h_valid.q.val() & self.ev_out.ready.val();
        if self.pop.val() {
            // The spare (if any) moves up; a beat taken now goes behind it.
            self.h_valid.d.next = self.s_valid.q.val();
            self.h_index.d.next = self.s_index.q.val();
            self.h_m.d.next = self.s_m.q.val();
            self.h_eow.d.next = self.s_eow.q.val();
            self.h_err.d.next = self.s_err.q.val();
            self.s_valid.d.next = false;
        }
        if self.take.val() {
            if self.pop.val() | !self.h_valid.q.val() {
                // The spare is empty (`take` needs it): the beat becomes the head.
                self.h_valid.d.next = true;
                self.h_index.d.next = self.ev_in.index.val();
                self.h_m.d.next = self.ev_in.m.val();
                self.h_eow.d.next = self.ev_in.eow.val();
                self.h_err.d.next = self.ev_in.err.val();
            } else {
                self.s_valid.d.next = true;
                self.s_index.d.next = self.ev_in.index.val();
                self.s_m.d.next = self.ev_in.m.val();
                self.s_eow.d.next = self.ev_in.eow.val();
                self.s_err.d.next = self.ev_in.err.val();
            }
        }
    }
}
