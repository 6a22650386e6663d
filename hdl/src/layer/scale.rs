//! `Scale<ZW>`: `y = w · k`, a weight times a ramp length, exactly.

use rust_hdl::prelude::*;

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
/// Ports: `w` (in, `Signed<16>`), `k` (in, `Bits<9>`), `y` (out, `Signed<ZW>`).
/// Latency: combinational. Cost: `K` adders of `W + K + 1` bits (iCE40: ~`(K+1)·(W+K)` LCs).
#[derive(LogicBlock)]
pub struct Scale<const ZW: usize> {
    /// Weight, sign-extended from `W` bits.
    pub w: Signal<In, Signed<16>>,
    /// Ramp ticks `0..=T`.
    pub k: Signal<In, Bits<9>>,
    /// `w · k`.
    pub y: Signal<Out, Signed<ZW>>,
    _w_bits: usize,
    _k_bits: usize,
}

impl<const ZW: usize> Scale<ZW> {
    /// A multiplier of `w_bits`-bit weights by `k_bits`-bit ramp lengths.
    pub fn new(w_bits: usize, k_bits: usize) -> Self {
        assert!((2..=16).contains(&w_bits), "scale: W = {w_bits}");
        assert!((1..=9).contains(&k_bits), "scale: K + 1 = {k_bits}");
        Self {
            w: Signal::default(),
            k: Signal::default(),
            y: Signal::default(),
            _w_bits: w_bits,
            _k_bits: k_bits,
        }
    }
}

impl<const ZW: usize> Logic for Scale<ZW> {
    fn update(&mut self) {
        let wb = self._w_bits;
        let raw: i64 = self.w.val().bigint().try_into().unwrap_or(0);
        // Only the low W bits reach the multiplier (sign-extended from bit W−1).
        let w = (raw << (64 - wb)) >> (64 - wb);
        let k = (self.k.val().index() & ((1 << self._k_bits) - 1)) as i64;
        // Kept to ZW bits (two's complement wrap, as the hardware's truncation): every V the
        // stage accumulates fits ZW, so sums of wrapped products are exact.
        let y = ((w * k) << (64 - ZW)) >> (64 - ZW);
        self.y.next = Signed::from(y);
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        let (wb, kb) = (self._w_bits, self._k_bits);
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
        if !unused.is_empty() {
            v.push_str(&format!("wire unused_hi = |{{{}}};\n", unused.join(", ")));
        }
        v.push_str(&format!(
            "wire [{m}:0] wx = {{{{{we}{{w[{wt}]}}}}, w[{wt}:0]}};\n",
            m = pw - 1,
            we = pw - wb,
            wt = wb - 1,
        ));
        // Partial products w·2^b for the set bits of k, summed (two's complement, mod 2^pw).
        let terms: Vec<String> = (0..kb)
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
