//! `RDff`: a D flip-flop (register) with a synchronous, active-high reset.

use crate::prelude::*;

/// A register of any `Synth` type with a synchronous, active-high reset.
///
/// rust-hdl's own `DFF` emits an `initial q = …;` block and has no reset; this one has a
/// mandatory `rst` port (leaving it unconnected is a rust-hdl check error, so a forgotten reset
/// cannot slip through) and emits no `initial` block:
///
/// ```verilog
/// always @(posedge clock) begin
///    if (rst) q <= <reset value>;
///    else q <= d;
/// end
/// ```
///
/// Ports: `clock`, `rst` (in), `d` (in, `T`), `q` (out, `T`).
/// Latency: 1 cycle (`q` shows `d` after the next rising edge; `rst` wins over `d`).
/// Cost: `T::BITS` flip-flops (with synchronous reset/set), no logic.
///
/// A narrowed register ([`RDff::narrow`]) keeps only its low bits (`q <= d & MASK`): its
/// high flip-flops are then constant, and yosys removes them and the logic that only feeds them
/// (a 16-bit row counter whose rows fit 10 bits costs 10 flip-flops, not 16). Its user
/// guarantees that every value it holds fits, or wants it modulo `2^bits`.
///
/// In an `#[hdl_gen]` kernel, `dff_setup!(self, clock, a, b)` works for `RDff` too (it wires
/// `clock` and holds `d = q` by default); `rst` must then be wired explicitly:
/// `self.a.rst.next = self.rst.val();`.
#[derive(Clone, Debug, LogicBlock)]
pub struct RDff<T: Synth> {
    /// Next value, registered at the rising edge of `clock` unless `rst` is high.
    pub d: Input<T>,
    /// Registered value.
    pub q: Output<T>,
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high: `q <= reset value` at the next rising edge.
    pub rst: Input<Bit>,
    _reset_value: T,
    /// Bits kept (`T::BITS`: all), and the mask applying it in simulation.
    _keep: usize,
    _mask: Option<fn(T, usize) -> T>,
}

impl<T: Synth> RDff<T> {
    /// A register that resets to `reset_value`.
    pub fn new(reset_value: T) -> Self {
        Self {
            d: Signal::default(),
            q: Signal::new_with_default(reset_value),
            clock: Signal::default(),
            rst: Signal::default(),
            _reset_value: reset_value,
            _keep: T::BITS,
            _mask: None,
        }
    }
}

impl<const N: usize> RDff<Bits<N>> {
    /// This register keeping only its low `keep` bits (`1..=N`; `N`: unchanged). The reset
    /// value must fit.
    pub fn narrow(mut self, keep: usize) -> Self {
        assert!((1..=N).contains(&keep), "RDff::narrow: {keep} of {N} bits");
        assert!(
            keep == N || self._reset_value.index() < 1 << keep,
            "RDff::narrow: reset value wider than {keep} bits"
        );
        if keep < N {
            self._keep = keep;
            self._mask = Some(|v, keep| v & bits((1u64 << keep) - 1));
        }
        self
    }

    /// A zero-reset register for the values `0..n` (`n ≥ 1`), narrowed to the bits they need
    /// when `narrow` (else all `N`).
    pub fn holding(n: usize, narrow: bool) -> Self {
        let need = (usize::BITS - n.saturating_sub(1).leading_zeros()).max(1) as usize;
        let r = Self::default();
        if narrow {
            r.narrow(need.min(N))
        } else {
            r
        }
    }
}

impl<T: Synth> Default for RDff<T> {
    /// A register that resets to zero (`T::default()`).
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: Synth> Logic for RDff<T> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.q.next = if self.rst.val() {
                self._reset_value
            } else {
                match self._mask {
                    Some(mask) => mask(self.d.val(), self._keep),
                    None => self.d.val(),
                }
            };
        }
    }

    fn connect(&mut self) {
        self.q.connect();
    }

    fn hdl(&self) -> Verilog {
        let d = if self._keep < T::BITS {
            format!("d & {}'h{:x}", T::BITS, (1u64 << self._keep) - 1)
        } else {
            "d".to_string()
        };
        Verilog::Custom(format!(
            "always @(posedge clock) begin\n   if (rst) q <= {};\n   else q <= {d};\nend\n",
            reset_literal(self._reset_value)
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "rdff".into(),
            clock: "clock".into(),
            inputs: vec!["d".into(), "rst".into()],
            outputs: vec!["q".into()],
        }]
    }
}

/// The reset value as a literal of the register's own width. rust-hdl writes a `LogicState`
/// enum's value as a 64-bit literal (`64'h2`), which Verilator's lint flags as a truncation
/// (`WIDTHTRUNC`) on a narrower register; other types already carry their width.
fn reset_literal<T: Synth>(value: T) -> String {
    let lit = value.verilog().to_string();
    match lit.split_once("'h") {
        Some((w, hex)) if w.parse::<usize>().is_ok_and(|w| w != T::BITS) => {
            format!("{}'h{hex}", T::BITS)
        }
        _ => lit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrowed_register_masks_its_input_in_verilog() {
        // 784 rows need 10 bits: q <= d & 16'h3ff, the six flip-flops above constant 0.
        let r = RDff::<Bits16>::holding(784, true);
        let Verilog::Custom(text) = r.hdl() else {
            panic!("RDff emits custom Verilog")
        };
        assert!(text.contains("else q <= d & 16'h3ff;"), "{text}");
        let Verilog::Custom(full) = RDff::<Bits16>::holding(784, false).hdl() else {
            panic!("RDff emits custom Verilog")
        };
        assert!(full.contains("else q <= d;"), "{full}");
    }

    #[test]
    fn holding_keeps_the_bits_of_the_largest_value() {
        // Values 0..n: n = 1 and 2 need one bit, 784 ten, 1024 ten, 1025 eleven; never more
        // than the register has.
        let keep = |n: usize| RDff::<Bits16>::holding(n, true)._keep;
        assert_eq!(
            [keep(1), keep(2), keep(3), keep(784), keep(1024), keep(1025)],
            [1, 1, 2, 10, 10, 11]
        );
        assert_eq!(keep(1 << 20), 16);
        assert_eq!(RDff::<Bits16>::holding(784, false)._keep, 16);
    }
}
