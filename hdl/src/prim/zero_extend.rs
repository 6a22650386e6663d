//! `ZeroExtend`: width-clean zero extension `Bits<N>` → `Bits<M>`.

use crate::prelude::*;

/// Zero extension of a `Bits<N>` to a `Bits<M>` (`M ≥ N`), emitted as `{{(M-N){1'b0}}, x}`.
///
/// rust-hdl's `bit_cast::<M, N>(x)` emits `((x) & M'h…)`, whose operands differ in width
/// (`verilator -Wall`: WIDTHEXPAND); widen through this block instead.
///
/// Ports: `x` (in, `Bits<N>`), `y` (out, `Bits<M>`). Latency 0, cost: wiring only.
#[derive(LogicBlock, Default)]
pub struct ZeroExtend<const N: usize, const M: usize> {
    /// Narrow value.
    pub x: Input<Bits<N>>,
    /// `x` zero-extended to `M` bits.
    pub y: Output<Bits<M>>,
}

impl<const N: usize, const M: usize> ZeroExtend<N, M> {
    /// A zero extension from `N` to `M ≥ N` bits.
    pub fn new() -> Self {
        assert!(
            N >= 1 && M >= N,
            "zero extend: need 1 <= N = {N} <= M = {M}"
        );
        Self::default()
    }
}

impl<const N: usize, const M: usize> Logic for ZeroExtend<N, M> {
    fn update(&mut self) {
        self.y.next = bit_cast::<M, N>(self.x.val());
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        let body = if M == N {
            "always @(*) y = x;\n".to_string()
        } else {
            format!("always @(*) y = {{{{{}{{1'b0}}}}, x}};\n", M - N)
        };
        Verilog::Custom(body)
    }
}
