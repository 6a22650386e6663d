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
                self.d.val()
            };
        }
    }

    fn connect(&mut self) {
        self.q.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "always @(posedge clock) begin\n   if (rst) q <= {};\n   else q <= d;\nend\n",
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
