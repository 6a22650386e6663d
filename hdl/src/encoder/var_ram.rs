//! `VarRam`: a simple dual-port synchronous RAM whose depth is a run-time parameter.

use rust_hdl::prelude::*;

/// Simple dual-port synchronous RAM of `depth` words of type `D` (depth fixed at construction,
/// not a const generic), addressed by `Bits<16>`: only the low `ceil(log2 depth)` address bits
/// are used (the others must be zero). Same ports and timing as [`crate::prim::SyncRam`]:
/// registered read (read-before-write), one write port, no reset, no initial contents.
///
/// Ports: `clock`; `raddr` (in, `Bits<16>`), `rdata` (out, `D`); `we`, `waddr` (`Bits<16>`),
/// `wdata` (`D`). Cost: `2^ceil(log2 depth) · D::BITS` RAM bits.
#[derive(LogicBlock)]
pub struct VarRam<D: Synth> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Read address.
    pub raddr: Signal<In, Bits<16>>,
    /// Registered read data.
    pub rdata: Signal<Out, D>,
    /// Write enable.
    pub we: Signal<In, Bit>,
    /// Write address.
    pub waddr: Signal<In, Bits<16>>,
    /// Write data.
    pub wdata: Signal<In, D>,
    _mem: Vec<D>,
    _abits: usize,
}

impl<D: Synth> VarRam<D> {
    /// A RAM of at least `depth` words (rounded up to a power of two, at least 2).
    pub fn new(depth: usize) -> Self {
        assert!((1..=1 << 16).contains(&depth), "var ram: depth {depth}");
        let abits = (depth.max(2) - 1).ilog2() as usize + 1;
        Self {
            clock: Signal::default(),
            raddr: Signal::default(),
            rdata: Signal::default(),
            we: Signal::default(),
            waddr: Signal::default(),
            wdata: Signal::default(),
            _mem: vec![D::default(); 1 << abits],
            _abits: abits,
        }
    }
}

impl<D: Synth> Logic for VarRam<D> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let mask = (1usize << self._abits) - 1;
            self.rdata.next = self._mem[self.raddr.val().index() & mask];
            if self.we.val() {
                self._mem[self.waddr.val().index() & mask] = self.wdata.val();
            }
        }
    }

    fn connect(&mut self) {
        self.rdata.connect();
    }

    fn hdl(&self) -> Verilog {
        let a = self._abits;
        let unused = if a < 16 {
            format!("wire unused_hi = &{{1'b0, raddr[15:{a}], waddr[15:{a}]}};\n")
        } else {
            String::new()
        };
        Verilog::Custom(format!(
            "reg [{msb}:0] words_ [0:{last}];\n{unused}\
             always @(posedge clock) begin\n\
             \x20  if (we) words_[waddr[{am}:0]] <= wdata;\n\
             \x20  rdata <= words_[raddr[{am}:0]];\n\
             end\n",
            msb = D::BITS - 1,
            last = (1usize << a) - 1,
            am = a - 1,
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "ram_read".into(),
            clock: "clock".into(),
            inputs: vec!["raddr".into()],
            outputs: vec!["rdata".into()],
        }]
    }
}
