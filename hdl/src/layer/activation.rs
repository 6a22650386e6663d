//! `Activation`: combinational `q = clamp(z >> F, 0, T)` and the spike tick `T - q`.

use rust_hdl::prelude::*;

/// Combinational activation of one neuron: from the pre-activation `z` (raw units, `F`
/// fractional bits) to the integer activation `q = clamp(z >> F, 0, T)` (`>>` arithmetic, i.e.
/// floor) and the tick `m = T - q` of the layer window at which the neuron fires.
///
/// Why this is the fire rule of DESIGN §2: the neuron fires at the first `m` in `0..T` with
/// `z + m·2^F ≥ T·2^F`, i.e. `z ≥ (T-m)·2^F`, i.e. (`T-m` is an integer) `z >> F ≥ T - m`.
/// For `T - m` in `1..=T` clamping `z >> F` to `[0, T]` does not change that test, so the first
/// such `m` is `T - q` when `q ≥ 1`, and there is none when `q = 0`. The saturating clamp at
/// both ends follows: `z ≥ T·2^F` gives `q = T`, a spike at `m = 0`; `z < 2^F` (negative
/// included) gives `q = 0`, silent (the forced spike at the window end adds nothing).
///
/// Parameters: `ZW` width of `z` (signed), `K` with `T = 2^K`, `QW = K + 1` width of `q`;
/// `frac_bits` (`F`) at construction. Requires `ZW ≥ K + F + 2` so that `T·2^F` is a
/// positive `Signed<ZW>` (size `ZW` from the bound of DESIGN §2, then at least this).
///
/// Ports: `z` (in, `Signed<ZW>`); `q` (out, `Bits<QW>`); `tick` (out, `Bits<K>`, `T - q`
/// modulo `T`, `0` when silent); `fires` (out, `q ≥ 1`).
/// Latency: 0 (combinational). Cost: two `ZW`-bit signed compares against constants, one
/// `K`-bit negation, `QW + K` 3:1 muxes; no multiplier, no state.
#[derive(LogicBlock)]
pub struct Activation<const ZW: usize, const K: usize, const QW: usize> {
    /// Pre-activation `z` (signed, `F` fractional bits).
    pub z: Signal<In, Signed<ZW>>,
    /// Activation `q = clamp(z >> F, 0, T)`.
    pub q: Signal<Out, Bits<QW>>,
    /// Spike tick `T - q` within the window (meaningful when `fires`).
    pub tick: Signal<Out, Bits<K>>,
    /// `q ≥ 1`: the neuron spikes inside the window (else it is silent).
    pub fires: Signal<Out, Bit>,
    z_hi: Constant<Signed<ZW>>,
    z_lo: Constant<Signed<ZW>>,
    _frac: usize,
    q_t: Constant<Bits<QW>>,
    q_zero: Constant<Bits<QW>>,
    tick_zero: Constant<Bits<K>>,
}

impl<const ZW: usize, const K: usize, const QW: usize> Activation<ZW, K, QW> {
    /// An activation for `T = 2^K` ticks and `frac_bits` fractional bits of `z`.
    pub fn new(frac_bits: usize) -> Self {
        assert!((1..=16).contains(&K), "activation: K = {K} not in 1..=16");
        assert_eq!(QW, K + 1, "activation: QW must be K + 1");
        assert!(
            ZW >= K + frac_bits + 2 && ZW <= 64,
            "activation: ZW = {ZW} must be in K + F + 2 = {}..=64",
            K + frac_bits + 2
        );
        Self {
            z: Signal::default(),
            q: Signal::default(),
            tick: Signal::default(),
            fires: Signal::default(),
            z_hi: Constant::new(Signed::from(1i64 << (K + frac_bits))),
            z_lo: Constant::new(Signed::from(1i64 << frac_bits)),
            _frac: frac_bits,
            q_t: Constant::new(bits(1 << K)),
            q_zero: Constant::new(bits(0)),
            tick_zero: Constant::new(bits(0)),
        }
    }
}

impl<const ZW: usize, const K: usize, const QW: usize> Logic for Activation<ZW, K, QW> {
    #[hdl_gen]
    fn update(&mut self) {
        if self.z.val() >= self.z_hi.val() {
            self.q.next = self.q_t.val();
            self.tick.next = self.tick_zero.val();
            self.fires.next = true;
        } else if self.z.val() < self.z_lo.val() {
            self.q.next = self.q_zero.val();
            self.tick.next = self.tick_zero.val();
            self.fires.next = false;
        } else {
            // A one-iteration loop turns the run-time `F` into a literal part-select offset
            // (`z[(9)+:(5)]`); a `Constant` offset would be a sized localparam and Verilator
            // wants the index exactly `clog2(ZW)` bits wide (WIDTHTRUNC).
            for f in self._frac..(self._frac + 1) {
                self.q.next = unsigned_cast(self.z.val().get_bits::<QW>(f));
                self.tick.next = self.tick_zero.val() - unsigned_cast(self.z.val().get_bits::<K>(f));
            }
            self.fires.next = true;
        }
    }
}
