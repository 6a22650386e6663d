//! `Activation`: combinational `q = clamp(z >> F, 0, T)` and the spike tick `T - q`.

use crate::prelude::*;

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
/// Parameters: port widths `ZW` (signed `z`), `K` (tick, `T ≤ 2^K`), `QW = K + 1` (`q`);
/// at construction `frac_bits` (`F`) and the window length `T` (a power of two,
/// `2 ≤ T ≤ 2^K`; [`Activation::new`] takes `T = 2^K`). Requires `ZW ≥ K + F + 2` so that
/// `T·2^F` is a positive `Signed<ZW>` (size `ZW` from the bound of DESIGN §2, then at least
/// this).
///
/// Ports: `z` (in, `Signed<ZW>`); `q` (out, `Bits<QW>`); `tick` (out, `Bits<K>`, `T - q`,
/// `0` when silent); `fires` (out, `q ≥ 1`).
/// Latency: 0 (combinational). Cost: two `ZW`-bit signed compares against constants, one
/// `K`-bit subtraction from a constant, `QW + K` 3:1 muxes; no multiplier, no state.
#[derive(LogicBlock)]
pub struct Activation<const ZW: usize, const K: usize, const QW: usize> {
    /// Pre-activation `z` (signed, `F` fractional bits).
    pub z: Input<Signed<ZW>>,
    /// Activation `q = clamp(z >> F, 0, T)`.
    pub q: Output<Bits<QW>>,
    /// Spike tick `T - q` within the window (meaningful when `fires`).
    pub tick: Output<Bits<K>>,
    /// `q ≥ 1`: the neuron spikes inside the window (else it is silent).
    pub fires: Output<Bit>,
    q_in: Wire<Bits<QW>>,
    q_lo: Wire<Bits<K>>,
    z_hi: Constant<Signed<ZW>>,
    z_lo: Constant<Signed<ZW>>,
    q_t: Constant<Bits<QW>>,
    q_zero: Constant<Bits<QW>>,
    tick_t: Constant<Bits<K>>,
    tick_zero: Constant<Bits<K>>,
    _frac: usize,
}

impl<const ZW: usize, const K: usize, const QW: usize> Activation<ZW, K, QW> {
    /// An activation for `T = 2^K` ticks and `frac_bits` fractional bits of `z`.
    pub fn new(frac_bits: usize) -> Self {
        Self::with_ticks(frac_bits, 1 << K)
    }

    /// An activation for `ticks = T` (a power of two, `2..=2^K`) and `frac_bits` fractional
    /// bits of `z`.
    pub fn with_ticks(frac_bits: usize, ticks: usize) -> Self {
        assert!((1..=16).contains(&K), "activation: K = {K} not in 1..=16");
        assert_eq!(QW, K + 1, "activation: QW must be K + 1");
        assert!(
            ticks.is_power_of_two() && (2..=1 << K).contains(&ticks),
            "activation: T = {ticks} is not a power of two in 2..=2^{K}"
        );
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
            q_in: Signal::default(),
            q_lo: Signal::default(),
            z_hi: Constant::new(Signed::from((ticks as i64) << frac_bits)),
            z_lo: Constant::new(Signed::from(1i64 << frac_bits)),
            q_t: Constant::new(bits(ticks as u64)),
            q_zero: Constant::new(bits(0)),
            tick_t: Constant::new(bits(ticks as u64 % (1 << K))),
            tick_zero: Constant::new(bits(0)),
            _frac: frac_bits,
        }
    }
}

impl<const ZW: usize, const K: usize, const QW: usize> Logic for Activation<ZW, K, QW> {
    #[hdl_gen]
    fn update(&mut self) {
        // A one-iteration loop turns the run-time `F` into a literal part-select offset
        // (`z[(9)+:(5)]`): a `Constant` offset would be a sized localparam, and Verilator
        // wants a select index exactly `clog2(ZW)` bits wide (WIDTHTRUNC); an integer literal
        // in `#[hdl_gen]` is 32 bits. In range (`1 ≤ z >> F < T ≤ 2^K`) bit `F + K` of `z` is
        // 0, so `z[F +: K+1] = z >> F`.
        for f in self._frac..(self._frac + 1) {
            self.q_in.next = unsigned_cast(self.z.val().get_bits::<QW>(f));
            self.q_lo.next = unsigned_cast(self.z.val().get_bits::<K>(f));
        }
        if self.z.val() >= self.z_hi.val() {
            self.q.next = self.q_t.val();
            self.tick.next = self.tick_zero.val();
            self.fires.next = true;
        } else if self.z.val() < self.z_lo.val() {
            self.q.next = self.q_zero.val();
            self.tick.next = self.tick_zero.val();
            self.fires.next = false;
        } else {
            self.q.next = self.q_in.val();
            // `0 < T - q < T ≤ 2^K`, so it is exact modulo 2^K: `(T mod 2^K) - q[K-1:0]`.
            self.tick.next = self.tick_t.val() - self.q_lo.val();
            self.fires.next = true;
        }
    }
}
