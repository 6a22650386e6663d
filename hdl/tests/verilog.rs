//! Verilog emitted by rust-hdl for the blocks: structure checks, and lint/synthesis with the
//! pinned tools in `<workspace>/.tools/bin` (or `$HDL_TOOLS_BIN`) when they are installed.

mod common;

use common::{assert_every_register_resets, emit, verilator_lint_clean, yosys_clean, Emitted};
use hdl::prim::RDff;
use hdl::readout::Argmax;
use hdl::verilog::{Dir, Instance, Port, VerilogError, Wrapper};
use rust_hdl::prelude::*;

fn argmax_block<const W: usize, const IW: usize>() -> Argmax<W, IW> {
    let mut uut = Argmax::<W, IW>::new();
    uut.clock.connect();
    uut.rst.connect();
    uut.valid.connect();
    uut.value.connect();
    uut.last.connect();
    uut.connect_all();
    uut
}

fn argmax() -> Emitted {
    emit(&argmax_block::<20, 4>(), "argmax")
}

/// One-bit index (no range in the port declarations).
fn argmax_narrow() -> Emitted {
    emit(&argmax_block::<9, 1>(), "argmax_iw1")
}

fn all_blocks() -> Vec<Emitted> {
    vec![argmax(), argmax_narrow()]
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
    let e = argmax();
    let wrapper = &e.text[e.text.find("module argmax_ansi").unwrap()..];
    let expected = [
        "input  wire clk,",
        "input  wire rst,",
        "input  wire valid,",
        "input  wire signed [19:0] value,",
        "input  wire last,",
        "output wire done,",
        "output wire [3:0] index,",
        "output wire signed [19:0] max",
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

/// The wrapper generator: ports in order, wires, a narrowed output, an instance whose ports
/// carry rust-hdl's `$`, and the checks of every name.
#[test]
fn wrapper_renders_ports_wires_narrowing_and_instances() {
    let mut w = Wrapper::new("top");
    w.doc("A test top.");
    w.input("clk", 1).input("d", 3).output("q", 4);
    w.wire_eq("d_wide", 8, hdl::verilog::zero_extended("d", 3, 8));
    w.narrow("q", 4, "core_q", 16);
    let mut core = Instance::new("core_mod", "core");
    core.conn("clock", "clk")
        .conn("d", "d_wide")
        .conn("trace$0$q", "core_q");
    w.instance(core);
    let text = w.render().unwrap();
    let expected = "// A test top.\n\
module top (\n    input  wire clk,\n    input  wire [2:0] d,\n    output wire [3:0] q\n);\n\
\x20   wire [7:0] d_wide = {{5{1'b0}}, d};\n\
\x20   wire [15:0] core_q;\n\
\x20   assign q = core_q[3:0];\n\
\x20   wire unused_q_hi = |core_q[15:4];\n\
\x20   core_mod core (\n        .clock(clk),\n        .d(d_wide),\n        .trace$0$q(core_q)\n    );\n\
endmodule\n";
    assert_eq!(text, expected);

    let bad = |w: &Wrapper| w.render().unwrap_err();
    let mut twice = Wrapper::new("top");
    twice.input("a", 1).wire("a", 2);
    assert!(matches!(bad(&twice), VerilogError::Declaration(n) if n == "a"));
    let mut dollar_port = Wrapper::new("top");
    dollar_port.port(Port {
        name: "t$0".into(),
        dir: Dir::Out,
        width: 1,
        signed: false,
    });
    assert!(matches!(bad(&dollar_port), VerilogError::BadName(_)));
    let mut bad_conn = Wrapper::new("top");
    let mut inst = Instance::new("m", "u");
    inst.conn("0x", "a");
    bad_conn.instance(inst);
    assert!(matches!(bad(&bad_conn), VerilogError::BadName(n) if n == "0x"));
    assert!(matches!(
        bad(&Wrapper::new("a b")),
        VerilogError::BadName(_)
    ));
}

/// A signed constant compare: rust-hdl declares the constant `localparam signed`.
#[derive(LogicBlock)]
struct BelowMinus3 {
    pub a: Signal<In, Signed<20>>,
    pub below: Signal<Out, Bit>,
    minus3: Constant<Signed<20>>,
}

impl Logic for BelowMinus3 {
    #[hdl_gen]
    fn update(&mut self) {
        self.below.next = self.a.val() < self.minus3.val();
    }
}

#[test]
fn emitted_signed_constants_have_a_range() {
    let mut x = BelowMinus3 {
        a: Signal::default(),
        below: Signal::default(),
        minus3: Constant::new(signed(-3)),
    };
    x.a.connect();
    x.connect_all();
    let e = emit(&x, "below_minus3");
    // Ranged, so that yosys reads it as signed too (hdl::verilog::range_signed_localparams).
    assert!(e
        .text
        .contains("localparam signed [19:0] minus3 = 20'hffffd;"));
    verilator_lint_clean(&e);
    yosys_clean(&e);
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

/// The shape rust-hdl emits: `y` gets a default and then an override, and a sub-module port
/// (`fifo$d`) reads it; `t` is assigned twice but read by its own block only; `z` once.
const GLITCHY: &str = "module m(clock,a,y);
    input wire clock;
    input wire [3:0] a;
    output reg signed [7:0] y;
    reg [3:0] t;
    reg z;
    reg [7:0] fifo$d;
    top$fifo fifo(
        .d(fifo$d)
    );
    always @(*) begin
        y = 8'h0;
        t = a;
        if (a[0]) begin
            y = 8'h1f + y;
            t = 4'h0;
        end
        z = t[1];
        fifo$d = y;
        fifo$d = fifo$d ^ {4'h0, t};
    end
endmodule // m
";

#[test]
fn signals_another_process_reads_are_assigned_once_per_comb_evaluation() {
    let found = hdl::verilog::comb_multiple_assignments(GLITCHY);
    assert_eq!(
        found,
        vec![
            ("m".to_string(), "y".to_string()),
            ("m".to_string(), "fifo$d".to_string())
        ],
        "the checker sees the port and the sub-module input, not the block-local t"
    );
    let fixed = hdl::verilog::single_assignment_comb(GLITCHY);
    assert!(
        hdl::verilog::comb_multiple_assignments(&fixed).is_empty(),
        "{fixed}"
    );
    // Same width and signedness; every read and write inside the block goes to the shadow, so
    // `y = 8'h1f + y` still adds to the default; one final assignment per shadowed signal.
    for line in [
        "    reg signed [7:0] y$$c;",
        "    reg [7:0] fifo$d$$c;",
        "            y$$c = 8'h1f + y$$c;",
        "        fifo$d$$c = fifo$d$$c ^ {4'h0, t};",
        "        y = y$$c;",
        "        fifo$d = fifo$d$$c;",
        "        t = a;",
        "        .d(fifo$d)",
    ] {
        assert!(
            fixed.lines().any(|l| l == line),
            "{line:?} missing in:\n{fixed}"
        );
    }
    let plain_y = fixed.lines().filter(|l| l.trim_start().starts_with("y = "));
    assert_eq!(plain_y.count(), 1, "y itself is written once: {fixed}");
    // Idempotent: a second pass changes nothing.
    assert_eq!(hdl::verilog::single_assignment_comb(&fixed), fixed);
}

#[test]
fn rust_hdl_output_glitches_until_the_generator_makes_it_single_assignment() {
    // The checker can fail on real emitted code: rust-hdl's own output of the argmax assigns
    // its registers' inputs a default and then an override.
    let raw = generate_verilog_unchecked(&argmax_block::<20, 4>());
    assert!(!hdl::verilog::comb_multiple_assignments(&raw).is_empty());
    for e in all_blocks() {
        let text = std::fs::read_to_string(&e.file).unwrap();
        assert_eq!(
            hdl::verilog::comb_multiple_assignments(&text),
            vec![],
            "{}",
            e.name
        );
    }
}

/// A block whose sub-block field is named after a Verilog primitive (`buf`) and whose port is
/// a SystemVerilog keyword (`byte`): Verilator and yosys would stop at a bare syntax error.
#[derive(LogicBlock, Default)]
struct KeywordNames {
    clock: Signal<In, Clock>,
    byte: Signal<In, Bit>,
    q: Signal<Out, Bit>,
    buf: RDff<Bit>,
}

impl Logic for KeywordNames {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, buf);
        self.buf.rst.next = false;
        self.buf.d.next = self.byte.val();
        self.q.next = self.buf.q.val();
    }
}

#[test]
fn refuses_fields_named_after_verilog_keywords_naming_the_field_and_its_instance() {
    let mut uut = KeywordNames::default();
    uut.clock.connect();
    uut.byte.connect();
    uut.connect_all();
    let err = hdl::verilog::generate(&uut, "kw_top").unwrap_err();
    let text = err.to_string();
    // The port comes before the sub-block in field order.
    assert!(matches!(err, VerilogError::Keyword { .. }), "{text}");
    assert_eq!(
        text,
        "`byte` in `kw_top` is a Verilog/SystemVerilog keyword: rename that field of the block"
    );
}
