//! `Ice40Spram`: one iCE40 UP5K `SB_SPRAM256KA` (16k × 16 bit) embedded with
//! `Verilog::Wrapper`.

use rust_hdl::prelude::*;

/// One iCE40 UP5K single-port RAM `SB_SPRAM256KA`: 16384 words of 16 bits, one port for
/// reads and writes, registered read data. Its contents are not loaded by the bitstream:
/// they must be written after configuration (DESIGN §6, the weight-load stream).
///
/// The Verilog instantiates the vendor primitive through `Verilog::Wrapper` (its `cores`
/// text is a `(* blackbox *)` declaration so that Verilator and yosys accept the file
/// without the vendor library; yosys' `synth_ice40` maps it to the real cell). The
/// simulation model is a plain array.
///
/// Ports: `clock`; `addr` (in, `Bits<14>`); `we` (in): write `wdata` at `addr` (all four
/// nibbles), else read; `wdata` (in, `Bits<16>`); `rdata` (out, `Bits<16>`): the word read
/// at the previous rising edge. After a write cycle `rdata` is undefined in hardware (`'x` in
/// yosys' cell model; this model keeps the last read word): use it only after a read.
/// Latency: 1 cycle. Cost: one of the four `SB_SPRAM256KA` (256 kbit), no logic.
#[derive(LogicBlock)]
pub struct Ice40Spram {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Word address.
    pub addr: Signal<In, Bits<14>>,
    /// Write enable.
    pub we: Signal<In, Bit>,
    /// Write data.
    pub wdata: Signal<In, Bits<16>>,
    /// Registered read data.
    pub rdata: Signal<Out, Bits<16>>,
    _mem: Vec<Bits<16>>,
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
            code: "\
SB_SPRAM256KA spram (
    .ADDRESS(addr), .DATAIN(wdata), .MASKWREN(4'b1111), .WREN(we),
    .CHIPSELECT(1'b1), .CLOCK(clock), .STANDBY(1'b0), .SLEEP(1'b0),
    .POWEROFF(1'b1), .DATAOUT(rdata)
);
"
            .into(),
            cores: "
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNDRIVEN */
(* blackbox *)
module SB_SPRAM256KA(
    input wire [13:0] ADDRESS, input wire [15:0] DATAIN, input wire [3:0] MASKWREN,
    input wire WREN, input wire CHIPSELECT, input wire CLOCK, input wire STANDBY,
    input wire SLEEP, input wire POWEROFF, output wire [15:0] DATAOUT
);
endmodule
/* verilator lint_on UNDRIVEN */
/* verilator lint_on UNUSEDSIGNAL */
"
            .into(),
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
