//! The iCE40 and ECP5 PLL primitives: their Verilog declarations (black boxes for yosys,
//! pass-through models for simulators), instantiated by `board::ClockGen`.

/// Behavioural model / black box of `SB_PLL40_PAD` (instantiated by `board::ClockGen`): one declaration, a
/// `(* blackbox *)` for yosys (which defines `SYNTHESIS`), a pass-through body for simulators.
pub const SB_PLL40_PAD_DECL: &str = "
`ifndef TTFS_VENDOR_SIM
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
`ifdef SYNTHESIS
(* blackbox *)
`endif
module SB_PLL40_PAD #(
    parameter FEEDBACK_PATH = \"SIMPLE\", parameter PLLOUT_SELECT = \"GENCLK\",
    parameter [3:0] DIVR = 4'd0, parameter [6:0] DIVF = 7'd0, parameter [2:0] DIVQ = 3'd0,
    parameter [2:0] FILTER_RANGE = 3'd0
) (
    input wire PACKAGEPIN, output wire PLLOUTCORE, output wire PLLOUTGLOBAL,
    output wire LOCK, input wire RESETB, input wire BYPASS
);
`ifndef SYNTHESIS
    // Simulation: the core clock is the oscillator (frequency is irrelevant to a
    // cycle-based simulation), locked at once.
    assign PLLOUTCORE = PACKAGEPIN;
    assign PLLOUTGLOBAL = PACKAGEPIN;
    assign LOCK = RESETB | 1'b1;
`endif
endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */
`endif
";

/// Behavioural model / black box of `EHXPLLL` (instantiated by `board::ClockGen`), made like
/// [`SB_PLL40_PAD_DECL`]; only the ports and parameters the wrapper uses.
pub const EHXPLLL_DECL: &str = "
`ifndef TTFS_VENDOR_SIM
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
`ifdef SYNTHESIS
(* blackbox *)
`endif
module EHXPLLL #(
    parameter CLKI_DIV = 1, parameter CLKFB_DIV = 1, parameter CLKOP_DIV = 8,
    parameter CLKOP_CPHASE = 0, parameter CLKOP_FPHASE = 0,
    parameter CLKOP_ENABLE = \"ENABLED\", parameter FEEDBK_PATH = \"CLKOP\"
) (
    input wire CLKI, input wire CLKFB, input wire RST, input wire STDBY,
    input wire PHASESEL0, input wire PHASESEL1, input wire PHASEDIR, input wire PHASESTEP,
    input wire PHASELOADREG, input wire PLLWAKESYNC, input wire ENCLKOP,
    output wire CLKOP, output wire LOCK
);
`ifndef SYNTHESIS
    // Simulation: the core clock is the oscillator, locked at once.
    assign CLKOP = CLKI;
    assign LOCK = ~RST | 1'b1;
`endif
endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */
`endif
";
