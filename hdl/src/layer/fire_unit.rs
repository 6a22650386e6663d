//! `FireUnit`: one neuron's fire decision against the layer's window counter.

use crate::layer::Activation;
use crate::prim::RDff;
use rust_hdl::prelude::*;

/// Fire unit of one neuron (or one lane slot): latches the pre-activation `z` at the window
/// start and fires at the first tick `m` with `z + m·2^F ≥ T·2^F` (DESIGN §2), with the
/// saturating clamp at both ends: `z ≥ T·2^F` fires at `m = 0`, `z < 2^F` never fires.
///
/// Implementation (an equivalent of the descending threshold `T·2^F - m·2^F`): on `load` the
/// [`Activation`] block turns `z` into `q = clamp(z >> F, 0, T)` and the spike tick `T - q`,
/// and the unit latches `q`, the tick and `q ≥ 1` instead of `z` — `QW + K + 1` flip-flops
/// instead of `ZW`, and a `K`-bit equality compare against `m` instead of a `ZW`-bit adder and
/// compare per tick. The latched `q` is also the activation the next layer needs.
///
/// Ports:
/// - `clock`, `rst` (in): clock, synchronous active-high reset (clears to `q = 0`, silent).
/// - `load` (in), `z` (in, `Signed<ZW>`): latch a new `z` (sampled in the `load` cycle).
/// - `m` (in, `Bits<K>`): the window counter's tick (`T ≤ 2^K` ticks, see `with_ticks`).
/// - `strobe` (in): evaluate at this `m` (e.g. the window counter's `active`, or the `advance`
///   that closes tick `m` when a tick lasts several cycles, so that `fire` is one pulse).
/// - `fire` (out): `strobe && q ≥ 1 && m == T - q` (combinational from state, `m`, `strobe`).
/// - `q` (out, `Bits<QW>`): latched `clamp(z >> F, 0, T)`.
///
/// Latency: `load` → new `q`/decision 1 cycle; `fire` 0 cycles from `m`/`strobe`.
/// Cost: `QW + K + 1` flip-flops, the `Activation` logic (two `ZW`-bit constant compares, a
/// `K`-bit subtraction from a constant), one `K`-bit equality compare.
#[derive(LogicBlock)]
pub struct FireUnit<const ZW: usize, const K: usize, const QW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset, active high.
    pub rst: Signal<In, Bit>,
    /// Latch `z`.
    pub load: Signal<In, Bit>,
    /// Pre-activation (signed, `F` fractional bits).
    pub z: Signal<In, Signed<ZW>>,
    /// Window counter tick.
    pub m: Signal<In, Bits<K>>,
    /// Evaluate the fire condition at this `m`.
    pub strobe: Signal<In, Bit>,
    /// The neuron fires at the current tick.
    pub fire: Signal<Out, Bit>,
    /// Latched activation `clamp(z >> F, 0, T)`.
    pub q: Signal<Out, Bits<QW>>,
    act: Activation<ZW, K, QW>,
    q_r: RDff<Bits<QW>>,
    tick_r: RDff<Bits<K>>,
    fires_r: RDff<Bit>,
}

impl<const ZW: usize, const K: usize, const QW: usize> FireUnit<ZW, K, QW> {
    /// A fire unit for `T = 2^K` ticks and `frac_bits` fractional bits of `z`
    /// (constraints of [`Activation::with_ticks`]).
    pub fn new(frac_bits: usize) -> Self {
        Self::with_ticks(frac_bits, 1 << K)
    }

    /// A fire unit for `ticks = T` (a power of two, `2..=2^K`) and `frac_bits` fractional
    /// bits of `z` (constraints of [`Activation::with_ticks`]).
    pub fn with_ticks(frac_bits: usize, ticks: usize) -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            load: Signal::default(),
            z: Signal::default(),
            m: Signal::default(),
            strobe: Signal::default(),
            fire: Signal::default(),
            q: Signal::default(),
            act: Activation::with_ticks(frac_bits, ticks),
            q_r: RDff::default(),
            tick_r: RDff::default(),
            fires_r: RDff::default(),
        }
    }
}

impl<const ZW: usize, const K: usize, const QW: usize> Logic for FireUnit<ZW, K, QW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, q_r, tick_r, fires_r);
        self.q_r.rst.next = self.rst.val();
        self.tick_r.rst.next = self.rst.val();
        self.fires_r.rst.next = self.rst.val();
        self.act.z.next = self.z.val();
        if self.load.val() {
            self.q_r.d.next = self.act.q.val();
            self.tick_r.d.next = self.act.tick.val();
            self.fires_r.d.next = self.act.fires.val();
        }
        self.fire.next =
            self.strobe.val() & self.fires_r.q.val() & (self.m.val() == self.tick_r.q.val());
        self.q.next = self.q_r.q.val();
    }
}
