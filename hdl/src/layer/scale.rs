//! `Scale<ZW>`: `y = w · k`, a weight times a ramp length, exactly.

use crate::prelude::*;

/// The integrate product of one lane: a weight `w` (`W`-bit two's complement, carried
/// sign-extended in 16 bits) times the number of ramp ticks `k = T − m` it contributes
/// (`0..=T`, `K + 1` bits with `K = log2 T`), sign-extended to `ZW` bits.
///
/// Why a product: an input spike at tick `m` adds `w` to the slope for the `T − m` tick ends
/// that follow, so the ramp of DESIGN §5 (`S += w` per event, `V += S` per tick) ends at
/// exactly `z = Σ_j w_j·(T − m_j) + b·T`; adding `w·(T − m)` per event gives the same `z` with
/// no slope memory and no per-tick pass. The product is a shift-add over the `K + 1` bits of
/// `k` (DESIGN §5: "skipping empty ticks with a shift-add ... is allowed"): no multiplier cell,
/// so no DSP block is spent (the UP5K has 8 for 9 lanes) and every target builds it in LUTs
/// and carry chains.
///
/// A `Scale` may take only the bits `lo..hi` of `k` ([`Scale::part`]): `y = w·(k & mask)`.
/// The lane sums two such halves a register stage later, so no path holds more than
/// `⌈(K+1)/2⌉` partial products (the whole chain of `K` ripple adders was the ECP5 critical
/// path at ~12 ns).
///
/// Ports: `w` (in, `Signed<16>`), `k` (in, `Bits<9>`), `y` (out, `Signed<ZW>`).
/// Latency: combinational. Cost: `hi − lo − 1` adders of `W + K + 1` bits (iCE40:
/// ~`(K+1)·(W+K)` LCs for both halves).
#[derive(LogicBlock)]
pub struct Scale<const ZW: usize> {
    /// Weight, sign-extended from `W` bits.
    pub w: Input<Signed<16>>,
    /// Ramp ticks `0..=T`.
    pub k: Input<Bits<9>>,
    /// `w · k`.
    pub y: Output<Signed<ZW>>,
    _w_bits: usize,
    _k_bits: usize,
    _lo: usize,
}

impl<const ZW: usize> Scale<ZW> {
    /// A multiplier of `w_bits`-bit weights by `k_bits`-bit ramp lengths.
    pub fn new(w_bits: usize, k_bits: usize) -> Self {
        Self::part(w_bits, k_bits, 0, k_bits)
    }

    /// `w · (k & mask)` where `mask` keeps bits `lo..hi` of the `k_bits`-bit `k`
    /// (`0 ≤ lo < hi ≤ k_bits`): one half of a pipelined product.
    pub fn part(w_bits: usize, k_bits: usize, lo: usize, hi: usize) -> Self {
        assert!((2..=16).contains(&w_bits), "scale: W = {w_bits}");
        assert!((1..=9).contains(&k_bits), "scale: K + 1 = {k_bits}");
        assert!(
            lo < hi && hi <= k_bits,
            "scale: bits {lo}..{hi} of {k_bits}"
        );
        Self {
            w: Signal::default(),
            k: Signal::default(),
            y: Signal::default(),
            _w_bits: w_bits,
            _k_bits: hi,
            _lo: lo,
        }
    }
}

impl<const ZW: usize> Logic for Scale<ZW> {
    fn update(&mut self) {
        let wb = self._w_bits;
        let raw: i64 = self.w.val().bigint().try_into().unwrap_or(0);
        // Only the low W bits reach the multiplier (sign-extended from bit W−1).
        let w = (raw << (64 - wb)) >> (64 - wb);
        let mask = ((1 << self._k_bits) - 1) & !((1 << self._lo) - 1);
        let k = (self.k.val().index() & mask) as i64;
        // Kept to ZW bits (two's complement wrap, as the hardware's truncation): every V the
        // stage accumulates fits ZW, so sums of wrapped products are exact.
        let y = ((w * k) << (64 - ZW)) >> (64 - ZW);
        self.y.next = Signed::from(y);
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        let (wb, kb, lo) = (self._w_bits, self._k_bits, self._lo);
        // Product width: W + K + 1 holds every w·k exactly (|w| ≤ 2^(W−1), k ≤ 2^K).
        let pw = wb + kb + 1;
        let mut v = String::new();
        let mut unused = vec![];
        if wb < 16 {
            unused.push(format!("w[15:{wb}]"));
        }
        if kb < 9 {
            unused.push(format!("k[8:{kb}]"));
        }
        if lo > 0 {
            unused.push(format!("k[{}:0]", lo - 1));
        }
        if !unused.is_empty() {
            v.push_str(&format!("wire unused_hi = |{{{}}};\n", unused.join(", ")));
        }
        v.push_str(&format!(
            "wire [{m}:0] wx = {{{{{we}{{w[{wt}]}}}}, w[{wt}:0]}};\n",
            m = pw - 1,
            we = pw - wb,
            wt = wb - 1,
        ));
        if lo > 0 {
            // The smallest shift is `lo`: the top `lo` bits of `wx` fall off every term.
            v.push_str(&format!("wire unused_wx = |wx[{}:{}];\n", pw - 1, pw - lo));
        }
        // Partial products w·2^b for the set bits of k, summed (two's complement, mod 2^pw).
        let terms: Vec<String> = (lo..kb)
            .map(|b| {
                let shifted = if b == 0 {
                    "wx".to_string()
                } else {
                    format!("{{wx[{}:0], {b}'b0}}", pw - 1 - b)
                };
                format!("(k[{b}] ? {shifted} : {pw}'d0)")
            })
            .collect();
        v.push_str(&format!("wire [{}:0] p = {};\n", pw - 1, terms.join(" + ")));
        if pw < ZW {
            v.push_str(&format!(
                "always @(*) y = {{{{{}{{p[{}]}}}}, p}};\n",
                ZW - pw,
                pw - 1
            ));
        } else if pw == ZW {
            v.push_str("always @(*) y = p;\n");
        } else {
            v.push_str(&format!(
                "wire unused_p = |p[{}:{ZW}];\nalways @(*) y = p[{}:0];\n",
                pw - 1,
                ZW - 1
            ));
        }
        Verilog::Custom(v)
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![]
    }
}
