//! `SignExtend`: width-clean sign extension `Signed<N>` → `Signed<M>`.

use rust_hdl::prelude::*;

/// Sign extension of a `Signed<N>` to a `Signed<M>` (`M ≥ N`), emitted as a replication
/// `{{(M-N){x[N-1]}}, x}`.
///
/// rust-hdl's `signed_bit_cast::<M, N>(x)` emits `$signed(x)`, an `N`-bit operand in an
/// `M`-bit expression, which `verilator -Wall` reports as WIDTHEXPAND (and plain integer
/// literals in `#[hdl_gen]` are 32-bit for the same reason); its simulation also overflows
/// the stack on the most negative value. Widen through
/// this block instead, e.g. a weight into an accumulator: `acc + ext.y`.
///
/// Ports: `x` (in, `Signed<N>`), `y` (out, `Signed<M>`). Latency 0, cost: wiring only.
#[derive(LogicBlock, Default)]
pub struct SignExtend<const N: usize, const M: usize> {
    /// Narrow value.
    pub x: Signal<In, Signed<N>>,
    /// `x` sign-extended to `M` bits.
    pub y: Signal<Out, Signed<M>>,
}

impl<const N: usize, const M: usize> SignExtend<N, M> {
    /// A sign extension from `N` to `M ≥ N` bits.
    pub fn new() -> Self {
        assert!(
            N >= 1 && M >= N,
            "sign extend: need 1 <= N = {N} <= M = {M}"
        );
        Self::default()
    }
}

impl<const N: usize, const M: usize> Logic for SignExtend<N, M> {
    fn update(&mut self) {
        // Not `signed_bit_cast`: in rust-hdl 0.46 it recurses forever (stack overflow) on the
        // most negative value, whose negation is itself.
        self.y.next = Signed::<M>::from(self.x.val().bigint());
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        let body = if M == N {
            "always @(*) y = x;\n".to_string()
        } else {
            format!("always @(*) y = {{{{{}{{x[{}]}}}}, x}};\n", M - N, N - 1)
        };
        Verilog::Custom(body)
    }
}
