//! `Ice40Spram`: one iCE40 UP5K `SB_SPRAM256KA` (16k × 16 bit) embedded with
//! `Verilog::Wrapper`.

use crate::prelude::*;

/// One iCE40 UP5K single-port RAM `SB_SPRAM256KA`: 16384 words of 16 bits, one port for
/// reads and writes, registered read data. Its contents are not loaded by the bitstream:
/// they must be written after configuration (DESIGN §6, the weight-load stream).
///
/// The Verilog instantiates the vendor primitive through `Verilog::Wrapper` (output ports as
/// nets). yosys' `synth_ice40` maps it to the real cell; for simulators without the vendor
/// library, [`append_sim_model`] adds the behavioural [`SB_SPRAM256KA_SIM`] to a generated
/// file once (rust-hdl would repeat a wrapper's `cores` text for every instance). The
/// rust-hdl simulation model is a plain array.
///
/// Ports: `clock`; `addr` (in, `Bits<14>`); `we` (in): write `wdata` at `addr` (all four
/// nibbles), else read; `wdata` (in, `Bits<16>`); `rdata` (out, `Bits<16>`): the word read
/// at the previous rising edge. After a write cycle `rdata` is undefined in hardware (`'x` in
/// yosys' cell model; this model keeps the last read word): use it only after a read.
/// Latency: 1 cycle. Cost: one of the four `SB_SPRAM256KA` (256 kbit), no logic.
#[derive(LogicBlock)]
pub struct Ice40Spram {
    /// Clock.
    pub clock: Input<Clock>,
    /// Word address.
    pub addr: Input<Bits<14>>,
    /// Write enable.
    pub we: Input<Bit>,
    /// Write data.
    pub wdata: Input<Bits16>,
    /// Registered read data.
    pub rdata: Output<Bits16>,
    _mem: Vec<Bits16>,
}

impl Ice40Spram {
    /// An SPRAM (zero in simulation; undefined after configuration in hardware).
    pub fn new() -> Self {
        Self {
            clock: Signal::default(),
            addr: Signal::default(),
            we: Signal::default(),
            wdata: Signal::default(),
            rdata: Signal::default(),
            _mem: vec![Bits::default(); 1 << 14],
        }
    }
}

impl Default for Ice40Spram {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for Ice40Spram {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let a = self.addr.val().index();
            if self.we.val() {
                self._mem[a] = self.wdata.val();
            } else {
                self.rdata.next = self._mem[a];
            }
        }
    }

    fn connect(&mut self) {
        self.rdata.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper {
            code: format!(
                "{INSTANCE}\n\
                 \x20   .ADDRESS(addr), .DATAIN(wdata), .MASKWREN(4'b1111), .WREN(we),\n\
                 \x20   .CHIPSELECT(1'b1), .CLOCK(clock), .STANDBY(1'b0), .SLEEP(1'b0),\n\
                 \x20   .POWEROFF(1'b1), .DATAOUT(rdata)\n\
                 );\n"
            ),
            cores: String::new(),
        })
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "spram".into(),
            clock: "clock".into(),
            inputs: vec!["addr".into(), "we".into(), "wdata".into()],
            outputs: vec!["rdata".into()],
        }]
    }
}

/// How [`Ice40Spram`] instantiates the primitive (and how [`append_sim_model`] finds it).
const INSTANCE: &str = "SB_SPRAM256KA spram (";

/// Appends [`SB_SPRAM256KA_SIM`] to the generated Verilog `text` when it instantiates an
/// [`Ice40Spram`] and does not define the model yet.
pub fn append_sim_model(text: &mut String) {
    if text.contains(INSTANCE) && !text.contains("module SB_SPRAM256KA(") {
        text.push('\n');
        text.push_str(SB_SPRAM256KA_SIM);
    }
}

/// A behavioural model of the iCE40 UP5K `SB_SPRAM256KA` for simulators without the vendor
/// library (Verilator). Guarded by `ifndef SYNTHESIS` (yosys defines it; `synth_ice40` maps the
/// real cell) and `TTFS_VENDOR_SIM` (define it when simulating with Lattice's own models).
/// Semantics as in yosys' `ice40/cells_sim.v`: registered read, `MASKWREN` per nibble; a write
/// cycle leaves `DATAOUT` unchanged here (undefined in silicon).
pub const SB_SPRAM256KA_SIM: &str = "\
`ifndef SYNTHESIS
`ifndef TTFS_VENDOR_SIM
/* verilator lint_off UNUSEDSIGNAL */
module SB_SPRAM256KA(
    input wire [13:0] ADDRESS, input wire [15:0] DATAIN, input wire [3:0] MASKWREN,
    input wire WREN, input wire CHIPSELECT, input wire CLOCK, input wire STANDBY,
    input wire SLEEP, input wire POWEROFF, output reg [15:0] DATAOUT
);
    reg [15:0] mem [0:16383];
    always @(posedge CLOCK) begin
        if (CHIPSELECT && !STANDBY && !SLEEP && POWEROFF) begin
            if (WREN) begin
                if (MASKWREN[0]) mem[ADDRESS][3:0] <= DATAIN[3:0];
                if (MASKWREN[1]) mem[ADDRESS][7:4] <= DATAIN[7:4];
                if (MASKWREN[2]) mem[ADDRESS][11:8] <= DATAIN[11:8];
                if (MASKWREN[3]) mem[ADDRESS][15:12] <= DATAIN[15:12];
            end else begin
                DATAOUT <= mem[ADDRESS];
            end
        end
    end
endmodule
/* verilator lint_on UNUSEDSIGNAL */
`endif
`endif
";
