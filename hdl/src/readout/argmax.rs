//! `Argmax`: streaming argmax over a sequence of signed values, lowest index on ties.

use crate::prelude::*;

/// Streaming argmax: one signed value per `valid` beat, `last` on the final one; reports the
/// index of the largest value, the lowest index on ties (a later value replaces the best only
/// when strictly greater). Serves both readouts of DESIGN §2: `potential` (argmax of `z`) and
/// `first-spike` (argmax of `q`, fed zero-extended).
///
/// Ports:
/// - `clock`, `rst` (in): clock, synchronous active-high reset (drops a partial sequence).
/// - `valid` (in), `value` (in, `Signed<W>`), `last` (in): the sequence, one element per
///   `valid` cycle, indices `0, 1, …` in arrival order; `last` closes it (a one-element
///   sequence is a beat with `valid && last`).
/// - `done` (out): one-cycle pulse in the cycle after the `last` beat.
/// - `index` (out, `Bits<IW>`): argmax of the last closed sequence (held until the next one).
/// - `max` (out, `Signed<W>`): the maximum of the last closed sequence.
///
/// A sequence must have at most `2^IW` elements (the element counter wraps).
/// Latency: 1 cycle from the `last` beat to `done`; accepts a beat every cycle (sequences
/// may follow back to back). Cost: `2·W + 3·IW + 2` flip-flops, one `W`-bit signed compare,
/// one `IW`-bit incrementer.
#[derive(LogicBlock)]
pub struct Argmax<const W: usize, const IW: usize> {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// An element is present on `value`.
    pub valid: Input<Bit>,
    /// Element value.
    pub value: Input<Signed<W>>,
    /// This element is the last of the sequence.
    pub last: Input<Bit>,
    /// Pulse: `index`/`max` have just been updated with a closed sequence.
    pub done: Output<Bit>,
    /// Argmax (lowest index on ties) of the last closed sequence.
    pub index: Output<Bits<IW>>,
    /// Maximum of the last closed sequence.
    pub max: Output<Signed<W>>,
    take: Wire<Bit>,
    count_r: RDff<Bits<IW>>,
    busy_r: RDff<Bit>,
    best_v_r: RDff<Signed<W>>,
    best_i_r: RDff<Bits<IW>>,
    out_v_r: RDff<Signed<W>>,
    out_i_r: RDff<Bits<IW>>,
    done_r: RDff<Bit>,
    zero: Constant<Bits<IW>>,
    one: Constant<Bits<IW>>,
}

impl<const W: usize, const IW: usize> Argmax<W, IW> {
    /// An argmax over `W`-bit signed values and sequences of up to `2^IW` elements.
    pub fn new() -> Self {
        assert!((1..=64).contains(&W), "argmax: W = {W} not in 1..=64");
        assert!((1..=32).contains(&IW), "argmax: IW = {IW} not in 1..=32");
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            valid: Signal::default(),
            value: Signal::default(),
            last: Signal::default(),
            done: Signal::default(),
            index: Signal::default(),
            max: Signal::default(),
            take: Signal::default(),
            count_r: RDff::default(),
            busy_r: RDff::default(),
            best_v_r: RDff::default(),
            best_i_r: RDff::default(),
            out_v_r: RDff::default(),
            out_i_r: RDff::default(),
            done_r: RDff::default(),
            zero: Constant::new(bits(0)),
            one: Constant::new(bits(1)),
        }
    }
}

impl<const W: usize, const IW: usize> Default for Argmax<W, IW> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const W: usize, const IW: usize> Logic for Argmax<W, IW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, count_r, busy_r, best_v_r, best_i_r, out_v_r, out_i_r, done_r);
        self.count_r.rst.next = self.rst.val();
        self.busy_r.rst.next = self.rst.val();
        self.best_v_r.rst.next = self.rst.val();
        self.best_i_r.rst.next = self.rst.val();
        self.out_v_r.rst.next = self.rst.val();
        self.out_i_r.rst.next = self.rst.val();
        self.done_r.rst.next = self.rst.val();
        // The first element of a sequence is always taken; later ones only when strictly
        // greater, which keeps the lowest index on ties.
        self.take.next = !self.busy_r.q.val() | (self.value.val() > self.best_v_r.q.val());
        self.done_r.d.next = false;
        if self.valid.val() {
            if self.last.val() {
                self.count_r.d.next = self.zero.val();
                self.busy_r.d.next = false;
                self.done_r.d.next = true;
                if self.take.val() {
                    self.out_v_r.d.next = self.value.val();
                    self.out_i_r.d.next = self.count_r.q.val();
                } else {
                    self.out_v_r.d.next = self.best_v_r.q.val();
                    self.out_i_r.d.next = self.best_i_r.q.val();
                }
            } else {
                self.count_r.d.next = self.count_r.q.val() + self.one.val();
                self.busy_r.d.next = true;
                if self.take.val() {
                    self.best_v_r.d.next = self.value.val();
                    self.best_i_r.d.next = self.count_r.q.val();
                }
            }
        }
        self.done.next = self.done_r.q.val();
        self.index.next = self.out_i_r.q.val();
        self.max.next = self.out_v_r.q.val();
    }
}
