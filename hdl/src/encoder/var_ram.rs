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
    _bits: usize,
    _logic: bool,
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
            _bits: D::BITS,
            _logic: false,
        }
    }

    /// Like [`VarRam::new`], but storing only the low `bits` of each word: a stored word of all
    /// ones reads back as all ones (the encoder's empty-list sentinel), any other is
    /// zero-extended. So every value written must be below `2^bits − 1`, or all ones. With
    /// `logic` the memory is built from flip-flops (`ram_style = "logic"`): tiny lists that
    /// would otherwise each take a whole block RAM.
    pub fn narrow(depth: usize, bits: usize, logic: bool) -> Self {
        assert!((1..=D::BITS).contains(&bits), "var ram: {bits} bits");
        let mut ram = Self::new(depth);
        ram._bits = bits;
        ram._logic = logic;
        ram
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
        let (a, b, d) = (self._abits, self._bits, D::BITS);
        let mut unused = vec![];
        if a < 16 {
            unused.push(format!("raddr[15:{a}], waddr[15:{a}]"));
        }
        if b < d {
            unused.push(format!("wdata[{}:{b}]", d - 1));
        }
        let unused = if unused.is_empty() {
            String::new()
        } else {
            format!("wire unused_hi = &{{1'b0, {}}};\n", unused.join(", "))
        };
        let style = if self._logic {
            "(* ram_style = \"logic\" *) "
        } else {
            ""
        };
        if b == d {
            return Verilog::Custom(format!(
                "{style}reg [{msb}:0] words_ [0:{last}];\n{unused}\
                 always @(posedge clock) begin\n\
                 \x20  if (we) words_[waddr[{am}:0]] <= wdata;\n\
                 \x20  rdata <= words_[raddr[{am}:0]];\n\
                 end\n",
                msb = d - 1,
                last = (1usize << a) - 1,
                am = a - 1,
            ));
        }
        Verilog::Custom(format!(
            "{style}reg [{bm}:0] words_ [0:{last}];\nreg [{bm}:0] q_;\n{unused}\
             always @(posedge clock) begin\n\
             \x20  if (we) words_[waddr[{am}:0]] <= wdata[{bm}:0];\n\
             \x20  q_ <= words_[raddr[{am}:0]];\n\
             end\n\
             always @(*) rdata = (&q_) ? {{{d}{{1'b1}}}} : {{{{{z}{{1'b0}}}}, q_}};\n",
            bm = b - 1,
            last = (1usize << a) - 1,
            am = a - 1,
            z = d - b,
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
