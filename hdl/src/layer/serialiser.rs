//! `Serialiser<ZW>`: a layer stage's output — the lanes' pending neurons, one beat per cycle.

use crate::layer::beat_register::BeatRegister;
use crate::layer::row_stream::RowIn;
use crate::prelude::*;
use crate::stream::{EventOut, ZOut};

/// Serialises a row's pending neurons (`pend[p]`: lane `p`'s neuron fires at the row's tick,
/// or in z output is a real neuron) lowest lane first into a [`BeatRegister`] (select
/// register, then output register), which drives the stage's event stream (firing) or its
/// `z` stream. A row's pending bits are loaded from the lanes (`pend_d`) when the read
/// register holds a row and the last one is emptied. When the fire phase has issued every row
/// (`draining`) and nothing is left (`drained`, and the select register empty), the beat
/// register sends the sample's eow beat (firing; z output sends none) and reports
/// `sample_end`.
///
/// The pending bits live here, not in the lanes: the select over them and their clears are
/// then local, where with the bits spread over the lanes (which sit at their memories) the
/// routes of select → handshake → clear were the stage's longest path.
///
/// Ports: `clock`, `rst` (in); per lane `pend_d`, `idx` (its lane number), `z` (in);
/// `row` ([`RowIn`]: the fire phase's read register in; `load`, `drained`, `sample_end`
/// back); `ev_out` ([`EventOut`]), `z_out` ([`ZOut`]).
///
/// Latency: 1 cycle from a row's load to its first beat into the beat register, 3 to the
/// output. Cost: a `P`-input priority select, `P` + `16 + 8 + 1` flip-flops, and the
/// [`BeatRegister`].
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
    /// Per lane: it is the lowest pending one (the one a beat sends and clears). A clear
    /// from this one-hot word, not from comparing the selected lane number with each lane's,
    /// keeps the 16-lane UP5K stage's select → clear → `drained` path short.
    first: Vec<Wire<Bit>>,
    /// The loaded row's base and tick.
    pend_base: RDff<Bits16>,
    pend_m: RDff<Bits8>,
    out: BeatRegister<ZW>,
    found: Wire<Bit>,
    more: Wire<Bit>,
    beat: Wire<Bit>,
    sel: Wire<Bits16>,
    zsel: Wire<Signed<ZW>>,
    fires_c: Constant<Bit>,
    zero16: Constant<Bits16>,
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
            first: (0..lanes).map(|_| Signal::default()).collect(),
            pend_base: RDff::default(),
            pend_m: RDff::default(),
            out: BeatRegister::new(outputs, fires),
            found: Signal::default(),
            more: Signal::default(),
            beat: Signal::default(),
            sel: Signal::default(),
            zsel: Signal::default(),
            fires_c: Constant::new(fires),
            zero16: Constant::new(bits(0)),
            zero_z: Constant::new(Signed::from(0i64)),
            _p: lanes,
        }
    }
}

impl<const ZW: usize> Logic for Serialiser<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, drained_r, pend_base, pend_m);
        clock!(self, clock, out);
        self.drained_r.rst.next = self.rst.val();
        self.pend_base.rst.next = self.rst.val();
        self.pend_m.rst.next = self.rst.val();
        self.out.rst.next = self.rst.val();
        EventOut::link(&mut self.ev_out, &mut self.out.ev_out);
        ZOut::<ZW>::link(&mut self.z_out, &mut self.out.z_out);
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
        // The lowest pending lane goes to the select register when it is free.
        self.beat.next = self.found.val() & self.out.take_a.val();
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
        // Left pending next cycle. A load counts whatever the row holds: the OR of the lanes'
        // tick compares would sit on the path into `drained_r`. A firing stage's `drained`
        // only ends the sample, so it may lag the last beat by a cycle: `found` alone, without
        // the at-least-two test over all lanes (26 on the ECP5-25F: 103.3 MHz with it). The z
        // output issues each row on `drained` and keeps the exact test: after a beat, the
        // lanes above the one sent (`more`), else all (`found`). The beat register does not
        // count here: it has already taken the row's `z`.
        if self.row.load.val() {
            self.any_next.next = true;
        } else if self.fires_c.val() {
            self.any_next.next = self.found.val();
        } else {
            self.any_next.next = self.found.val() & (!self.beat.val() | self.more.val());
        }
        self.drained_r.d.next = !self.row.valid_next.val() & !self.any_next.val();
        self.row.drained.next = self.drained_r.q.val();
        if self.row.load.val() {
            self.pend_base.d.next = self.row.base.val();
            self.pend_m.d.next = self.row.m.val();
        }
        self.out.push.next = self.beat.val();
        self.out.sel.next = self.sel.val();
        self.out.base.next = self.pend_base.q.val();
        self.out.m.next = self.pend_m.q.val();
        self.out.z.next = self.zsel.val();
        self.out.err.next = self.row.err.val();
        self.out.finish.next = self.row.draining.val() & self.drained_r.q.val();
        self.out.finish_err.next = self.row.err.val();
        self.row.sample_end.next = self.out.sample_end.val();
    }
}
