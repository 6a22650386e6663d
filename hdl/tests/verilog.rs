//! Verilog emitted by rust-hdl for the blocks: structure checks, and lint/synthesis with the
//! pinned tools in `<workspace>/.tools/bin` (or `$HDL_TOOLS_BIN`) when they are installed.

mod common;

use common::{assert_every_register_resets, emit, verilator_lint_clean, yosys_clean, Emitted};
use hdl::layer::{FireUnit, WindowCounter};
use hdl::prim::RDff;
use hdl::readout::Argmax;
use rust_hdl::prelude::*;

fn window_counter() -> Emitted {
    let mut uut = WindowCounter::<4>::new();
    uut.clock.connect();
    uut.rst.connect();
    uut.start.connect();
    uut.advance.connect();
    uut.connect_all();
    emit(&uut, "window_counter")
}

fn fire_unit() -> Emitted {
    let mut uut = FireUnit::<24, 4, 5>::new(9);
    uut.clock.connect();
    uut.rst.connect();
    uut.load.connect();
    uut.z.connect();
    uut.m.connect();
    uut.strobe.connect();
    uut.connect_all();
    emit(&uut, "fire_unit")
}

fn fire_unit_short_window() -> Emitted {
    // Port widths for T ≤ 256, run-time T = 16.
    let mut uut = FireUnit::<24, 8, 9>::with_ticks(9, 16);
    uut.connect_all();
    emit(&uut, "fire_unit_t16")
}

fn argmax() -> Emitted {
    let mut uut = Argmax::<20, 4>::new();
    uut.clock.connect();
    uut.rst.connect();
    uut.valid.connect();
    uut.value.connect();
    uut.last.connect();
    uut.connect_all();
    emit(&uut, "argmax")
}

fn all_blocks() -> Vec<Emitted> {
    vec![
        window_counter(),
        fire_unit(),
        fire_unit_short_window(),
        argmax(),
    ]
}

#[test]
fn emitted_verilog_has_no_initial_blocks() {
    for e in all_blocks() {
        assert!(
            !e.text.contains("initial"),
            "{}: state must come from the synchronous reset, not `initial`",
            e.name
        );
        assert!(
            e.text.contains(&format!("module {}(", e.name)),
            "{}",
            e.name
        );
        assert!(
            e.text.contains(&format!("module {} (", e.top())),
            "{}",
            e.name
        );
    }
}

#[test]
fn every_register_has_a_synchronous_reset() {
    for e in all_blocks() {
        assert_every_register_resets(&e);
    }
}

#[test]
fn ansi_wrapper_lists_ports_in_order_with_widths() {
    let e = fire_unit();
    let wrapper = &e.text[e.text.find("module fire_unit_ansi").unwrap()..];
    let expected = [
        "input  wire clk,",
        "input  wire rst,",
        "input  wire load,",
        "input  wire signed [23:0] z,",
        "input  wire [3:0] m,",
        "input  wire strobe,",
        "output wire fire,",
        "output wire [4:0] q",
    ];
    let mut at = 0;
    for line in expected {
        let found = wrapper[at..]
            .find(line)
            .unwrap_or_else(|| panic!("{line}\n{wrapper}"));
        at += found + line.len();
    }
    assert!(wrapper.contains(".clock(clk)"));
}

/// A block that forgets to drive a register's reset.
#[derive(LogicBlock, Default)]
struct ForgetsReset {
    pub clock: Signal<In, Clock>,
    pub d: Signal<In, Bit>,
    pub q: Signal<Out, Bit>,
    r: RDff<Bit>,
}

impl Logic for ForgetsReset {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r);
        self.r.d.next = self.d.val();
        self.q.next = self.r.q.val();
    }
}

#[test]
fn generation_refuses_a_register_without_reset() {
    let mut uut = ForgetsReset::default();
    uut.connect_all();
    let err = hdl::verilog::generate(&uut, "forgets_reset").unwrap_err();
    assert!(err.to_string().contains("rst"), "{err}");
}

#[test]
fn verilator_lint_is_clean() {
    for e in all_blocks() {
        verilator_lint_clean(&e);
    }
}

#[test]
fn yosys_synthesis_has_no_latch_multidriver_or_undriven_net() {
    for e in all_blocks() {
        yosys_clean(&e);
    }
}

/// yosys reads a range-less `localparam signed` as unsigned (YosysHQ/yosys#5745): the
/// generator gives every one an explicit range and leaves everything else alone.
#[test]
fn signed_localparams_get_an_explicit_range_for_yosys() {
    let text = "module m;\n    localparam signed z_hi = 24'h800;\n    localparam  k = 32'h4;\n    localparam signed [7:0] ok = 8'hff;\nendmodule\n";
    let fixed = hdl::verilog::range_signed_localparams(text);
    assert_eq!(
        fixed,
        "module m;\n    localparam signed [23:0] z_hi = 24'h800;\n    localparam  k = 32'h4;\n    localparam signed [7:0] ok = 8'hff;\nendmodule\n"
    );
}
