//! `BeatRegister<ZW>`: the serialiser's two output registers — select, then output.

use crate::prelude::*;
use crate::stream::{EventOut, ZOut};

/// Two registers between the serialiser's priority select and the stage's output stream. The
/// select register (`a`) takes a selected beat as the select produced it: the lane number
/// `sel`, the row's `base`, tick `m`, `z` and error. The output register (`ob`) takes it from
/// there, adds `base + sel` into the neuron index, and drives the event stream (firing) or
/// the `z` stream. When the select register is empty and `finish` is high (the fire phase has
/// issued every row and the serialiser holds nothing), the output register takes the
/// sample's eow beat instead (firing; z output sends none) and `sample_end` pulses.
///
/// Why two: with 26 lanes (ECP5-25F, default model) pending bits → priority select → index
/// adder → output register was the design's longest path (98.7 MHz at 100); the select
/// register splits the select from the adder, and the serialiser's clear of the sent lane
/// waits only for the select register to be free (`take_a`), not for the next stage. The
/// output register lets the next stage's handshake and this stage's select meet at a
/// flip-flop instead of chaining through both stages.
///
/// Ports: `clock`, `rst` (in); `push`, `sel`, `base`, `m`, `z`, `err` (in: a beat from the
/// select); `take_a` (out: the select register takes a beat this cycle); `finish`, `finish_err`
/// (in), `sample_end` (out); `ev_out` ([`EventOut`]), `z_out` ([`ZOut`]).
///
/// Latency: 2 cycles from `push` to the beat on the output; one beat per cycle. Cost: a
/// 16-bit adder, a 16-bit compare (`last`), `1 + 16 + 16 + 8 + ZW + 1` and
/// `1 + 16 + 8 + 1 + 1 + ZW + 1` flip-flops.
#[derive(LogicBlock)]
pub struct BeatRegister<const ZW: usize> {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// A beat from the select (only when `take_a`): its lane number, row base, tick, `z`,
    /// framing error.
    pub push: Input<Bit>,
    pub sel: Input<Bits16>,
    pub base: Input<Bits16>,
    pub m: Input<Bits8>,
    pub z: Input<Signed<ZW>>,
    pub err: Input<Bit>,
    /// The select register is empty or moves on this cycle.
    pub take_a: Output<Bit>,
    /// The sample may end (every row issued, nothing pending), with its framing error.
    pub finish: Input<Bit>,
    pub finish_err: Input<Bit>,
    /// The sample's end goes out (or, for z output, is passed) this cycle.
    pub sample_end: Output<Bit>,
    /// Spike events (a firing stage).
    pub ev_out: EventOut,
    /// Potentials (a stage that does not fire).
    pub z_out: ZOut<ZW>,
    a_valid: RDff<Bit>,
    a_sel: RDff<Bits16>,
    a_base: RDff<Bits16>,
    a_m: RDff<Bits8>,
    a_z: RDff<Signed<ZW>>,
    a_err: RDff<Bit>,
    ob_valid: RDff<Bit>,
    ob_index: RDff<Bits16>,
    ob_m: RDff<Bits8>,
    ob_eow: RDff<Bit>,
    ob_err: RDff<Bit>,
    ob_z: RDff<Signed<ZW>>,
    ob_last: RDff<Bit>,
    /// The output register takes a beat (it is empty or being emptied).
    take: Wire<Bit>,
    out_idx: Wire<Bits16>,
    nlast_c: Constant<Bits16>,
    fires_c: Constant<Bit>,
    zero16: Constant<Bits16>,
    zero8: Constant<Bits8>,
}

impl<const ZW: usize> BeatRegister<ZW> {
    /// The output of a stage with `outputs` neurons; `fires = false`: it streams `z`.
    pub fn new(outputs: usize, fires: bool) -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            push: Signal::default(),
            sel: Signal::default(),
            base: Signal::default(),
            m: Signal::default(),
            z: Signal::default(),
            err: Signal::default(),
            take_a: Signal::default(),
            finish: Signal::default(),
            finish_err: Signal::default(),
            sample_end: Signal::default(),
            ev_out: EventOut::default(),
            z_out: ZOut::default(),
            a_valid: RDff::default(),
            a_sel: RDff::default(),
            a_base: RDff::default(),
            a_m: RDff::default(),
            a_z: RDff::default(),
            a_err: RDff::default(),
            ob_valid: RDff::default(),
            ob_index: RDff::default(),
            ob_m: RDff::default(),
            ob_eow: RDff::default(),
            ob_err: RDff::default(),
            ob_z: RDff::default(),
            ob_last: RDff::default(),
            take: Signal::default(),
            out_idx: Signal::default(),
            nlast_c: Constant::new(bits(outputs as u64 - 1)),
            fires_c: Constant::new(fires),
            zero16: Constant::new(bits(0)),
            zero8: Constant::new(bits(0)),
        }
    }
}

impl<const ZW: usize> Logic for BeatRegister<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, a_valid, a_sel, a_base, a_m, a_z, a_err, ob_valid, ob_index, ob_m, ob_eow,
            ob_err, ob_z, ob_last
        );
        self.a_valid.rst.next = self.rst.val();
        self.a_sel.rst.next = self.rst.val();
        self.a_base.rst.next = self.rst.val();
        self.a_m.rst.next = self.rst.val();
        self.a_z.rst.next = self.rst.val();
        self.a_err.rst.next = self.rst.val();
        self.ob_valid.rst.next = self.rst.val();
        self.ob_index.rst.next = self.rst.val();
        self.ob_m.rst.next = self.rst.val();
        self.ob_eow.rst.next = self.rst.val();
        self.ob_err.rst.next = self.rst.val();
        self.ob_z.rst.next = self.rst.val();
        self.ob_last.rst.next = self.rst.val();
        if self.fires_c.val() {
            self.take.next = !self.ob_valid.q.val() | self.ev_out.ready.val();
        } else {
            self.take.next = !self.ob_valid.q.val() | self.z_out.ready.val();
        }
        self.take_a.next = !self.a_valid.q.val() | self.take.val();
        if self.push.val() {
            self.a_valid.d.next = true;
            self.a_sel.d.next = self.sel.val();
            self.a_base.d.next = self.base.val();
            self.a_m.d.next = self.m.val();
            self.a_z.d.next = self.z.val();
            self.a_err.d.next = self.err.val();
        } else if self.take.val() {
            self.a_valid.d.next = false;
        }
        self.out_idx.next = self.a_base.q.val() + self.a_sel.q.val();
        self.sample_end.next = false;
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
            } else if self.finish.val() {
                // The sample's end: an eow beat (spikes), nothing (z output).
                self.ob_valid.d.next = self.fires_c.val();
                self.ob_index.d.next = self.zero16.val();
                self.ob_m.d.next = self.zero8.val();
                self.ob_eow.d.next = true;
                self.ob_err.d.next = self.finish_err.val();
                self.ob_last.d.next = false;
                self.sample_end.next = true;
            }
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
    }
}
