//! `ClockGen`: the board's core clock, through the iCE40 or ECP5 PLL or straight from the
//! oscillator.

use crate::board::board::Pll;
use crate::prelude::*;
use crate::prim::pll::{EHXPLLL_DECL, SB_PLL40_PAD_DECL};

/// The core clock of a board wrapper: an iCE40 `SB_PLL40_PAD` (simple feedback, global
/// output) or an ECP5 `EHXPLLL` (feedback from `CLKOP`) when built with a [`Pll`], else a
/// wire from the oscillator.
///
/// The Verilog embeds the vendor primitive with `Verilog::Wrapper`. Its `cores` text is
/// guarded by `ifdef SYNTHESIS`: yosys (which defines it) sees a `(* blackbox *)`
/// declaration and `synth_ice40` maps the real cell; every simulator (Verilator) sees a
/// behavioural pass-through model (output = input clock, `LOCK = 1`), as the rust-hdl
/// simulation does. Define `TTFS_VENDOR_SIM` to use Lattice's own simulation models instead.
/// `clock_in` must come straight from the top-level oscillator pin (`SB_PLL40_PAD`).
///
/// Ports: `clock_in` (in, oscillator pin), `clock_out` (out, core clock), `lock` (out, high
/// while the PLL is locked; constant 1 without a PLL).
/// Latency: none in simulation (a PLL locks within ~50 µs in silicon; the wrapper holds its
/// reset until `lock`). Cost: one `SB_PLL40_PAD` / `EHXPLLL` (or nothing), no logic.
#[derive(LogicBlock)]
pub struct ClockGen {
    /// Oscillator input (top-level pin).
    pub clock_in: Input<Clock>,
    /// Core clock.
    pub clock_out: Output<Clock>,
    /// PLL locked.
    pub lock: Output<Bit>,
    _pll: Option<Pll>,
}

impl ClockGen {
    /// A clock generator with the PLL `pll` (`None`: pass the oscillator through).
    pub fn new(pll: Option<Pll>) -> Self {
        match pll {
            Some(Pll::Ice40(p)) => assert!(
                p.divr < 16 && p.divf < 128 && (1..=6).contains(&p.divq) && p.filter_range < 8,
                "clock gen: PLL parameters out of range: {p:?}"
            ),
            Some(Pll::Ecp5(p)) => assert!(
                [p.clki_div, p.clkfb_div, p.clkop_div]
                    .iter()
                    .all(|d| (1..=128).contains(d))
                    && p.clkop_cphase < 128,
                "clock gen: PLL parameters out of range: {p:?}"
            ),
            None => {}
        }
        Self {
            clock_in: Signal::default(),
            clock_out: Signal::default(),
            lock: Signal::default(),
            _pll: pll,
        }
    }
}

impl Logic for ClockGen {
    fn update(&mut self) {
        self.clock_out.next = self.clock_in.val();
        self.lock.next = true;
    }

    fn connect(&mut self) {
        self.clock_out.connect();
        self.lock.connect();
    }

    fn hdl(&self) -> Verilog {
        match self._pll {
            None => Verilog::Wrapper(Wrapper {
                code: "assign clock_out = clock_in;\nassign lock = 1'b1;\n".into(),
                cores: String::new(),
            }),
            Some(Pll::Ice40(p)) => Verilog::Wrapper(Wrapper {
                code: format!(
                    "\
/* verilator lint_off PINCONNECTEMPTY */
SB_PLL40_PAD #(
    .FEEDBACK_PATH(\"SIMPLE\"), .PLLOUT_SELECT(\"GENCLK\"),
    .DIVR(4'd{}), .DIVF(7'd{}), .DIVQ(3'd{}), .FILTER_RANGE(3'd{})
) pll (
    .PACKAGEPIN(clock_in), .PLLOUTCORE(), .PLLOUTGLOBAL(clock_out), .LOCK(lock),
    .RESETB(1'b1), .BYPASS(1'b0)
);
/* verilator lint_on PINCONNECTEMPTY */
",
                    p.divr, p.divf, p.divq, p.filter_range
                ),
                cores: SB_PLL40_PAD_DECL.into(),
            }),
            // Parameters as `ecppll` writes them (project Trellis); the loop-filter attributes
            // are what Diamond would pick for this VCO and nextpnr ignores them.
            Some(Pll::Ecp5(p)) => Verilog::Wrapper(Wrapper {
                code: format!(
                    "\
/* verilator lint_off PINCONNECTEMPTY */
(* ICP_CURRENT=\"12\" *) (* LPF_RESISTOR=\"8\" *) (* MFG_ENABLE_FILTEROPAMP=\"1\" *) (* MFG_GMCREF_SEL=\"2\" *)
EHXPLLL #(
    .CLKI_DIV({}), .CLKFB_DIV({}), .CLKOP_DIV({}), .CLKOP_CPHASE({}), .CLKOP_FPHASE(0),
    .CLKOP_ENABLE(\"ENABLED\"), .FEEDBK_PATH(\"CLKOP\")
) pll (
    .CLKI(clock_in), .CLKFB(clock_out), .CLKOP(clock_out), .LOCK(lock),
    .RST(1'b0), .STDBY(1'b0), .PHASESEL0(1'b0), .PHASESEL1(1'b0), .PHASEDIR(1'b1),
    .PHASESTEP(1'b1), .PHASELOADREG(1'b1), .PLLWAKESYNC(1'b0), .ENCLKOP(1'b0)
);
/* verilator lint_on PINCONNECTEMPTY */
",
                    p.clki_div, p.clkfb_div, p.clkop_div, p.clkop_cphase
                ),
                cores: EHXPLLL_DECL.into(),
            }),
        }
    }
}
