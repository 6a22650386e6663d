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
/// Over [`SLICE_LANES`] lanes one priority select over all of them is too slow (128 lanes on
/// the ECP5-85F: 74.8 MHz at 100). Such a serialiser selects in slices of 16 lanes: each
/// slice's lowest pending lane moves into the slice's candidate register, and the lowest
/// slice holding a candidate sends it. A slice refills its register in the cycle it is sent,
/// so the slices drain lowest first, as one select would. A row loads once the last one's
/// pending bits have all moved into candidate registers, while those are still being sent:
/// each candidate carries its row's parity, the older row's candidates go first, and a row
/// of `n ≥ 2` spikes takes about `n` cycles instead of `n + 2`; an empty row or a row of one
/// spike still takes two or three, as the cost model's fire phase counts them (two encoder
/// streams on the ECP5-85F: 98.7 cycles per image, was 112.3). Whether a slice still holds pending lanes is a register per
/// slice (`s_busy`, from the select's "another one is pending" of the cycle before), so the
/// load, and through it the enables of every pending bit, does not wait on a select chain
/// (75.7 MHz on the 85F with the OR of the slices' selects there).
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
/// output (sliced: one more). Cost: a `P`-input priority select, `P` + `16 + 8 + 1`
/// flip-flops, and the [`BeatRegister`]; sliced: `⌈P/16⌉` 16-input selects and as many
/// candidate registers of `3 + 16 + ZW` flip-flops instead of the one select, and the two
/// rows' base and tick (`2·(16 + 8) + 1`).
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
    /// Sliced select only (empty otherwise), per slice: a lane of the slice is pending, the
    /// lowest one's number and `z`.
    s_found: Vec<Wire<Bit>>,
    s_sel: Vec<Wire<Bits16>>,
    s_z: Vec<Wire<Signed<ZW>>>,
    /// Per slice: a lane above the lowest pending one is pending too.
    s_more: Vec<Wire<Bit>>,
    /// Per slice: some lane of it is pending (a load counts as pending).
    s_busy: Vec<RDff<Bit>>,
    /// Per slice: its candidate register (a selected lane waiting to be sent).
    c_valid: Vec<RDff<Bit>>,
    c_sel: Vec<RDff<Bits16>>,
    c_z: Vec<RDff<Signed<ZW>>>,
    /// Per slice: its candidate is the lowest one held; the register takes a new one.
    c_first: Vec<Wire<Bit>>,
    refill: Vec<Wire<Bit>>,
    /// Per slice: the row its candidate came from, by parity (the row loaded last has
    /// `p_gen`; a candidate of the row before is older and goes first).
    c_gen: Vec<RDff<Bit>>,
    /// Per slice: its candidate may be sent this cycle (it is of the older row, or no
    /// candidate is).
    c_ok: Vec<Wire<Bit>>,
    /// Some slice is busy; some candidate register is full; some candidate is of the older
    /// row.
    /// (One of each when sliced, none otherwise: the one-select netlist stays as it was.)
    pend_any: Vec<Wire<Bit>>,
    c_any: Vec<Wire<Bit>>,
    old_any: Vec<Wire<Bit>>,
    /// The parity of the row loaded last, and per parity the row's base and tick (the
    /// candidates of two rows are in flight at once).
    p_gen: Vec<RDff<Bit>>,
    g_base: Vec<RDff<Bits16>>,
    g_m: Vec<RDff<Bits8>>,
    _p: usize,
    /// 1: one select over all lanes; 0: sliced (`_s` slices).
    _narrow: usize,
    _wide: usize,
    _s: usize,
}

/// The most lanes one priority select serves; a wider serialiser selects in slices of
/// [`SLICE_WIDTH`].
pub const SLICE_LANES: usize = 32;

/// Lanes per slice of a sliced serialiser (the `p / 16` of its select).
pub const SLICE_WIDTH: usize = 16;

/// Whether a serialiser of `lanes` lanes selects in slices (one cycle more per row).
pub fn sliced(lanes: usize) -> bool {
    lanes > SLICE_LANES
}

impl<const ZW: usize> Serialiser<ZW> {
    /// The serialiser of `lanes` lanes for a layer of `outputs` neurons; `fires = false`:
    /// it streams `z`.
    pub fn new(lanes: usize, outputs: usize, fires: bool) -> Self {
        let wide = sliced(lanes);
        let slices = if wide { lanes.div_ceil(SLICE_WIDTH) } else { 0 };
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
            s_found: (0..slices).map(|_| Signal::default()).collect(),
            s_sel: (0..slices).map(|_| Signal::default()).collect(),
            s_z: (0..slices).map(|_| Signal::default()).collect(),
            s_more: (0..slices).map(|_| Signal::default()).collect(),
            s_busy: (0..slices).map(|_| RDff::default()).collect(),
            c_valid: (0..slices).map(|_| RDff::default()).collect(),
            c_sel: (0..slices).map(|_| RDff::default()).collect(),
            c_z: (0..slices).map(|_| RDff::default()).collect(),
            c_first: (0..slices).map(|_| Signal::default()).collect(),
            refill: (0..slices).map(|_| Signal::default()).collect(),
            c_gen: (0..slices).map(|_| RDff::default()).collect(),
            c_ok: (0..slices).map(|_| Signal::default()).collect(),
            pend_any: (0..usize::from(wide)).map(|_| Signal::default()).collect(),
            c_any: (0..usize::from(wide)).map(|_| Signal::default()).collect(),
            old_any: (0..usize::from(wide)).map(|_| Signal::default()).collect(),
            p_gen: (0..usize::from(wide)).map(|_| RDff::default()).collect(),
            g_base: (0..2 * usize::from(wide))
                .map(|_| RDff::default())
                .collect(),
            g_m: (0..2 * usize::from(wide))
                .map(|_| RDff::default())
                .collect(),
            _p: lanes,
            _narrow: usize::from(!wide),
            _wide: usize::from(wide),
            _s: slices,
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
        for _n in 0..self._narrow {
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
        }
        // Sliced: each slice's lowest pending lane, then the lowest slice's candidate.
        for _w in 0..self._wide {
            self.pend_any[_w].next = false;
            self.c_any[_w].next = false;
            self.old_any[_w].next = false;
            self.p_gen[_w].clock.next = self.clock.val();
            self.p_gen[_w].rst.next = self.rst.val();
            for k in 0..2 {
                self.g_base[k].clock.next = self.clock.val();
                self.g_base[k].rst.next = self.rst.val();
                self.g_m[k].clock.next = self.clock.val();
                self.g_m[k].rst.next = self.rst.val();
                self.g_base[k].d.next = self.g_base[k].q.val();
                self.g_m[k].d.next = self.g_m[k].q.val();
            }
            for s in 0..self._s {
                self.c_gen[s].clock.next = self.clock.val();
                self.c_gen[s].rst.next = self.rst.val();
                if self.c_valid[s].q.val() & (self.c_gen[s].q.val() != self.p_gen[_w].q.val()) {
                    self.old_any[_w].next = true;
                }
                self.c_valid[s].clock.next = self.clock.val();
                self.c_valid[s].rst.next = self.rst.val();
                self.c_sel[s].clock.next = self.clock.val();
                self.c_sel[s].rst.next = self.rst.val();
                self.c_z[s].clock.next = self.clock.val();
                self.c_z[s].rst.next = self.rst.val();
                self.s_busy[s].clock.next = self.clock.val();
                self.s_busy[s].rst.next = self.rst.val();
                self.s_found[s].next = false;
                self.s_more[s].next = false;
                self.s_sel[s].next = self.zero16.val();
                self.s_z[s].next = self.zero_z.val();
            }
            for p in 0..self._p {
                self.pend[p].clock.next = self.clock.val();
                self.pend[p].rst.next = self.rst.val();
                // `s_found` is, at this point, whether a lower lane of the slice is pending.
                self.first[p].next = self.pend[p].q.val() & !self.s_found[p / 16].val();
                if self.pend[p].q.val() {
                    if self.s_found[p / 16].val() {
                        self.s_more[p / 16].next = true;
                    } else {
                        self.s_found[p / 16].next = true;
                        self.s_sel[p / 16].next = self.idx[p].val();
                        self.s_z[p / 16].next = self.z[p].val();
                    }
                }
            }
            for s in 0..self._s {
                // The older row's candidates go first: its spikes are of an earlier tick.
                self.c_ok[s].next = self.c_valid[s].q.val()
                    & (!self.old_any[_w].val() | (self.c_gen[s].q.val() != self.p_gen[_w].q.val()));
                self.c_first[s].next = self.c_ok[s].val() & !self.found.val();
                if self.c_ok[s].val() & !self.found.val() {
                    self.found.next = true;
                    self.sel.next = self.c_sel[s].q.val();
                    self.zsel.next = self.c_z[s].q.val();
                }
                if self.s_busy[s].q.val() {
                    self.pend_any[_w].next = true;
                }
                if self.c_valid[s].q.val() {
                    self.c_any[_w].next = true;
                }
            }
            self.beat.next = self.found.val() & self.out.take_a.val();
            // Registered state only (`s_busy`, the candidates): the load does not wait on the
            // select or the handshake. A row loads as soon as the last one has left the pending
            // bits for the candidate registers and the row before that is sent: its parity is
            // then free.
            self.row.load.next =
                self.row.valid.val() & !self.pend_any[_w].val() & !self.old_any[_w].val();
            self.p_gen[_w].d.next = self.p_gen[_w].q.val();
            if self.row.load.val() {
                self.p_gen[_w].d.next = !self.p_gen[_w].q.val();
                if self.p_gen[_w].q.val() {
                    self.g_base[0].d.next = self.row.base.val();
                    self.g_m[0].d.next = self.row.m.val();
                } else {
                    self.g_base[1].d.next = self.row.base.val();
                    self.g_m[1].d.next = self.row.m.val();
                }
            }
            // A slice takes its next lane when its register is empty or sent this cycle.
            for s in 0..self._s {
                self.refill[s].next =
                    !self.c_valid[s].q.val() | (self.beat.val() & self.c_first[s].val());
                self.c_valid[s].d.next = self.c_valid[s].q.val();
                self.c_sel[s].d.next = self.c_sel[s].q.val();
                self.c_z[s].d.next = self.c_z[s].q.val();
                self.c_gen[s].d.next = self.c_gen[s].q.val();
                // Left pending in the slice: another lane, or the lowest one if not taken.
                self.s_busy[s].d.next =
                    self.s_more[s].val() | (self.s_found[s].val() & !self.refill[s].val());
                if self.row.load.val() {
                    self.s_busy[s].d.next = true;
                }
                if self.refill[s].val() {
                    self.c_valid[s].d.next = self.s_found[s].val();
                    self.c_sel[s].d.next = self.s_sel[s].val();
                    self.c_z[s].d.next = self.s_z[s].val();
                    self.c_gen[s].d.next = self.p_gen[_w].q.val();
                }
            }
            for p in 0..self._p {
                self.pend[p].d.next = self.pend[p].q.val();
                if self.row.load.val() {
                    self.pend[p].d.next = self.pend_d[p].val();
                } else if self.refill[p / 16].val() & self.first[p].val() {
                    self.pend[p].d.next = false;
                }
            }
            // Over-counts by a cycle (a candidate being sent still counts): `drained` lags,
            // never leads, and the path into `drained_r` starts at flip-flops and slice ORs.
            self.any_next.next =
                self.row.load.val() | self.pend_any[_w].val() | self.c_any[_w].val();
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
        // Sliced: the sent candidate's row, the older one if any candidate is of it.
        for _w in 0..self._wide {
            if self.p_gen[_w].q.val() != self.old_any[_w].val() {
                self.out.base.next = self.g_base[1].q.val();
                self.out.m.next = self.g_m[1].q.val();
            } else {
                self.out.base.next = self.g_base[0].q.val();
                self.out.m.next = self.g_m[0].q.val();
            }
        }
        self.out.err.next = self.row.err.val();
        self.out.finish.next = self.row.draining.val() & self.drained_r.q.val();
        self.out.finish_err.next = self.row.err.val();
        self.row.sample_end.next = self.out.sample_end.val();
    }
}
