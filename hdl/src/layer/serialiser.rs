//! `Serialiser<ZW>`: a layer stage's output — the lanes' pending neurons, one beat per cycle.

use crate::layer::row_stream::RowIn;
use crate::prelude::*;
use crate::stream::{EventOut, ZOut};

/// Serialises a row's pending neurons (`pend[p]`: lane `p`'s neuron fires at the row's tick,
/// or in z output is a real neuron) lowest lane first, through a select register (`a`: the
/// lane number, the row's base and tick) into an output register, which drives the stage's
/// event stream (firing) or its `z` stream. A row's pending bits are loaded from
/// the lanes (`pend_d`) when the read register holds a row and the last one is emptied. When the fire phase has issued every row (`draining`) and nothing is left
/// (`drained`), it sends the sample's eow beat (firing; z output sends none) and reports
/// `sample_end`.
///
/// The pending bits live here, not in the lanes: the select over them and their clears are
/// then local, where with the bits spread over the lanes (which sit at their memories) the
/// routes of select → handshake → clear were the stage's longest path. The output register
/// lets the next stage's handshake and the select meet at a flip-flop instead of chaining
/// through both stages. The select register splits the priority select from the index adder
/// `base + lane`: with 26 lanes (ECP5-25F, default model) pend → select → adder → output was
/// the design's longest path (98.7 MHz at 100), and the clear of the sent lane no longer waits
/// for the output register, only for the select register to be free.
///
/// Ports: `clock`, `rst` (in); per lane `pend_d`, `idx` (its lane number), `z` (in);
/// `row` ([`RowIn`]: the fire phase's read register in; `load`, `drained`, `sample_end`
/// back); `ev_out` ([`EventOut`]), `z_out` ([`ZOut`]).
///
/// Latency: 2 cycles from a row's load to its first beat on the output. Cost: a `P`-input
/// priority select, a 16-bit adder, `P` + ~`16 + 8 + ZW + 6` + `log2 P + 16 + 8 + ZW + 2` +
/// `24` flip-flops.
#[derive(LogicBlock)]
pub struct Serialiser<const ZW: usize> {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// Per lane: its neuron of the row on the read ports is pending, the lane's number, its
    /// `z`.
    pub pend_d: Vec<Input<Bit>>,
    pub idx: Vec<Input<Bits16>>,
    pub z: Vec<Input<Signed<ZW>>>,
    /// The fire phase's read register, and the sample's end back to it.
    pub row: RowIn,
    /// Spike events (a firing stage).
    pub ev_out: EventOut,
    /// Potentials (a stage that does not fire).
    pub z_out: ZOut<ZW>,
    /// Per lane: its neuron of the loaded row is still to be sent.
    pend: Vec<RDff<Bit>>,
    /// `drained` of this cycle, computed from last cycle's next state: the fire phase's
    /// z-output issue (and the memory address after it) then starts at a flip-flop.
    drained_r: RDff<Bit>,
    /// Some lane is pending next cycle.
    any_next: Wire<Bit>,
    /// The select register: a beat's lane number, its row's base and tick, `z` and error.
    a_valid: RDff<Bit>,
    a_sel: RDff<Bits16>,
    a_base: RDff<Bits16>,
    a_m: RDff<Bits8>,
    a_z: RDff<Signed<ZW>>,
    a_err: RDff<Bit>,
    /// The select register takes a beat (it is empty or moves to the output register).
    take_a: Wire<Bit>,
    /// Per lane: it is the lowest pending one (the one a beat sends and clears). A clear
    /// from this one-hot word, not from comparing the selected lane number with each lane's,
    /// keeps the 16-lane UP5K stage's select → clear → `drained` path short.
    first: Vec<Wire<Bit>>,
    pend_base: RDff<Bits16>,
    pend_m: RDff<Bits8>,
    ob_valid: RDff<Bit>,
    ob_index: RDff<Bits16>,
    ob_m: RDff<Bits8>,
    ob_eow: RDff<Bit>,
    ob_err: RDff<Bit>,
    ob_z: RDff<Signed<ZW>>,
    ob_last: RDff<Bit>,
    found: Wire<Bit>,
    more: Wire<Bit>,
    beat: Wire<Bit>,
    sel: Wire<Bits16>,
    zsel: Wire<Signed<ZW>>,
    take: Wire<Bit>,
    out_idx: Wire<Bits16>,
    nlast_c: Constant<Bits16>,
    fires_c: Constant<Bit>,
    zero16: Constant<Bits16>,
    zero8: Constant<Bits8>,
    zero_z: Constant<Signed<ZW>>,
    _p: usize,
}

impl<const ZW: usize> Serialiser<ZW> {
    /// The serialiser of `lanes` lanes for a layer of `outputs` neurons; `fires = false`:
    /// it streams `z`.
    pub fn new(lanes: usize, outputs: usize, fires: bool) -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            pend_d: (0..lanes).map(|_| Signal::default()).collect(),
            idx: (0..lanes).map(|_| Signal::default()).collect(),
            z: (0..lanes).map(|_| Signal::default()).collect(),
            row: RowIn::default(),
            ev_out: EventOut::default(),
            z_out: ZOut::default(),
            pend: (0..lanes).map(|_| RDff::default()).collect(),
            drained_r: RDff::new(true),
            any_next: Signal::default(),
            a_valid: RDff::default(),
            a_sel: RDff::default(),
            a_base: RDff::default(),
            a_m: RDff::default(),
            a_z: RDff::default(),
            a_err: RDff::default(),
            take_a: Signal::default(),
            first: (0..lanes).map(|_| Signal::default()).collect(),
            pend_base: RDff::default(),
            pend_m: RDff::default(),
            ob_valid: RDff::default(),
            ob_index: RDff::default(),
            ob_m: RDff::default(),
            ob_eow: RDff::default(),
            ob_err: RDff::default(),
            ob_z: RDff::default(),
            ob_last: RDff::default(),
            found: Signal::default(),
            more: Signal::default(),
            beat: Signal::default(),
            sel: Signal::default(),
            zsel: Signal::default(),
            take: Signal::default(),
            out_idx: Signal::default(),
            nlast_c: Constant::new(bits(outputs as u64 - 1)),
            fires_c: Constant::new(fires),
            zero16: Constant::new(bits(0)),
            zero8: Constant::new(bits(0)),
            zero_z: Constant::new(Signed::from(0i64)),
            _p: lanes,
        }
    }
}

impl<const ZW: usize> Logic for Serialiser<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, drained_r, pend_base, pend_m, a_valid, a_sel, a_base, a_m, a_z, a_err,
            ob_valid, ob_index, ob_m, ob_eow, ob_err, ob_z, ob_last
        );
        self.a_valid.rst.next = self.rst.val();
        self.a_sel.rst.next = self.rst.val();
        self.a_base.rst.next = self.rst.val();
        self.a_m.rst.next = self.rst.val();
        self.a_z.rst.next = self.rst.val();
        self.a_err.rst.next = self.rst.val();
        self.drained_r.rst.next = self.rst.val();
        self.pend_base.rst.next = self.rst.val();
        self.pend_m.rst.next = self.rst.val();
        self.ob_valid.rst.next = self.rst.val();
        self.ob_index.rst.next = self.rst.val();
        self.ob_m.rst.next = self.rst.val();
        self.ob_eow.rst.next = self.rst.val();
        self.ob_err.rst.next = self.rst.val();
        self.ob_z.rst.next = self.rst.val();
        self.ob_last.rst.next = self.rst.val();
        // The output register takes a beat when it is empty or being emptied.
        if self.fires_c.val() {
            self.take.next = !self.ob_valid.q.val() | self.ev_out.ready.val();
        } else {
            self.take.next = !self.ob_valid.q.val() | self.z_out.ready.val();
        }
        self.take_a.next = !self.a_valid.q.val() | self.take.val();
        self.found.next = false;
        self.more.next = false;
        self.sel.next = self.zero16.val();
        self.zsel.next = self.zero_z.val();
        for p in 0..self._p {
            self.pend[p].clock.next = self.clock.val();
            self.pend[p].rst.next = self.rst.val();
            // `found` is, at this point, whether a lower lane is pending.
            self.first[p].next = self.pend[p].q.val() & !self.found.val();
            if self.pend[p].q.val() {
                if self.found.val() {
                    self.more.next = true;
                } else {
                    self.found.next = true;
                    self.sel.next = self.idx[p].val();
                    self.zsel.next = self.z[p].val();
                }
            }
        }
        self.out_idx.next = self.a_base.q.val() + self.a_sel.q.val();
        self.beat.next = self.found.val() & self.take_a.val();
        // A row loads once the last one is sent, not in its last beat: the load then hangs on
        // the pending bits' OR alone, not on the select, the next stage's handshake and the
        // at-least-two test, the 16-lane UP5K stage's longest path (29.7 MHz at 30). A row
        // with pending spikes costs one cycle more, which the fire sweep's two cycles per row
        // hide for one spike a row.
        self.row.load.next = self.row.valid.val() & !self.found.val();
        // The lowest pending lane is sent and clears; a load refills every lane.
        for p in 0..self._p {
            self.pend[p].d.next = self.pend[p].q.val();
            if self.row.load.val() {
                self.pend[p].d.next = self.pend_d[p].val();
            } else if self.beat.val() & self.first[p].val() {
                self.pend[p].d.next = false;
            }
        }
        // Left pending: after a beat, the lanes above the one sent (`more`); else all of them
        // (`found`). The select register does not count: `drained` lets the z output issue
        // its next row, whose `z` the select register has already taken. A load counts as pending whatever the row holds: the OR of the lanes'
        // tick compares would sit on the path into `drained_r` (the ECP5 stage's longest),
        // and an empty last row only delays the sample's end by a cycle.
        // A firing stage's `drained` only ends the sample, so it may lag the last beat by a
        // cycle: `found` alone, without the at-least-two test over all lanes, keeps the
        // 26-lane ECP5 stage's pend → `more` → `drained_r` path short (103.3 MHz with it).
        // The z output issues each row on `drained`, so it keeps the exact test (few lanes).
        if self.row.load.val() {
            self.any_next.next = true;
        } else if self.fires_c.val() {
            self.any_next.next = self.found.val();
        } else {
            self.any_next.next = self.found.val() & (!self.beat.val() | self.more.val());
        }
        // `!row.valid & !found`, one cycle ahead.
        self.drained_r.d.next = !self.row.valid_next.val() & !self.any_next.val();
        self.row.drained.next = self.drained_r.q.val();
        if self.row.load.val() {
            self.pend_base.d.next = self.row.base.val();
            self.pend_m.d.next = self.row.m.val();
        }
        if self.beat.val() {
            self.a_valid.d.next = true;
            self.a_sel.d.next = self.sel.val();
            self.a_base.d.next = self.pend_base.q.val();
            self.a_m.d.next = self.pend_m.q.val();
            self.a_z.d.next = self.zsel.val();
            self.a_err.d.next = self.row.err.val();
        } else if self.take.val() {
            self.a_valid.d.next = false;
        }
        self.ev_out.valid.next = self.fires_c.val() & self.ob_valid.q.val();
        self.ev_out.index.next = self.ob_index.q.val();
        self.ev_out.m.next = self.ob_m.q.val();
        self.ev_out.eow.next = self.ob_eow.q.val();
        self.ev_out.err.next = self.ob_err.q.val();
        self.z_out.valid.next = !self.fires_c.val() & self.ob_valid.q.val();
        self.z_out.value.next = self.ob_z.q.val();
        self.z_out.last.next = self.ob_last.q.val();
        self.z_out.err.next = self.ob_err.q.val();
        self.row.sample_end.next = false;
        if self.take.val() {
            self.ob_valid.d.next = false;
            if self.a_valid.q.val() {
                self.ob_valid.d.next = true;
                self.ob_index.d.next = self.out_idx.val();
                self.ob_m.d.next = self.a_m.q.val();
                self.ob_eow.d.next = false;
                self.ob_err.d.next = !self.fires_c.val() & self.a_err.q.val();
                self.ob_z.d.next = self.a_z.q.val();
                self.ob_last.d.next = self.out_idx.val() == self.nlast_c.val();
            } else if self.row.draining.val() & self.row.drained.val() {
                // The sample's end: an eow beat (spikes), nothing (z output).
                self.ob_valid.d.next = self.fires_c.val();
                self.ob_index.d.next = self.zero16.val();
                self.ob_m.d.next = self.zero8.val();
                self.ob_eow.d.next = true;
                self.ob_err.d.next = self.row.err.val();
                self.ob_last.d.next = false;
                self.row.sample_end.next = true;
            }
        }
    }
}
