//! `SyncRam`: a simple dual-port synchronous RAM/ROM, initialised with `$readmemh`.

use crate::prelude::*;

/// Simple dual-port synchronous RAM of `2^N` words of type `D`: one write port, one read
/// port with a registered output, one clock — the shape that yosys maps to iCE40
/// `SB_RAM40_4K` / ECP5 `DP16KD` (block RAM) when it is large enough. With `we` tied low it is
/// a ROM. Contents, if any, come from a `$readmemh` file (one hex word per line) that the
/// generator writes next to the Verilog ([`SyncRam::hex_image`]); rust-hdl's own `RAM`
/// writes one `initial` assignment per word instead.
///
/// Memory is not reset (neither contents nor the read register, which is part of the block
/// RAM primitive): a consumer must track the validity of `rdata` with its own reset state
/// (e.g. a valid bit one cycle behind the read address).
///
/// The depth may also be a run-time parameter below `2^N` ([`SyncRam::with_depth`]: only the
/// low `ceil(log2 depth)` address bits are used, the others must be zero), and the stored
/// words narrower than `D` ([`SyncRam::narrow`]), as the encoder's lists need
/// ([`crate::encoder::VarRam`]).
///
/// Ports: `clock`; `raddr` (in, `Bits<N>`), `rdata` (out, `D`, the word at `raddr` one cycle
/// later); `we`, `waddr` (`Bits<N>`), `wdata` (`D`) (in, write at the rising edge).
/// A read of the word being written returns the old word (read-before-write).
/// Latency: 1 cycle read, 1 cycle write. Cost: `2^N · D::BITS` bits of block RAM
/// (`2^ceil(log2 depth)` words of the stored bits with a run-time depth; LUT RAM or registers
/// when small), no logic.
#[derive(LogicBlock)]
pub struct SyncRam<D: Synth, const N: usize> {
    /// Clock.
    pub clock: Input<Clock>,
    /// Read address.
    pub raddr: Input<Bits<N>>,
    /// Registered read data.
    pub rdata: Output<D>,
    /// Write enable.
    pub we: Input<Bit>,
    /// Write address.
    pub waddr: Input<Bits<N>>,
    /// Write data.
    pub wdata: Input<D>,
    _mem: Vec<D>,
    _image: Option<String>,
    /// Address bits in use (`≤ N`).
    _abits: usize,
    /// Stored bits per word (`≤ D::BITS`).
    _bits: usize,
    /// Built from flip-flops (`ram_style = "logic"`).
    _logic: bool,
    /// Built from LUT RAM (`ram_style = "distributed"`; ECP5 `TRELLIS_DPR16X4`).
    _distributed: bool,
}

impl<D: Synth, const N: usize> SyncRam<D, N> {
    /// A RAM without initial contents (zero in simulation, undefined in hardware).
    pub fn new() -> Self {
        Self::with_depth(1 << N)
    }

    /// A RAM of at least `depth ≤ 2^N` words (rounded up to a power of two, at least 2)
    /// without initial contents.
    pub fn with_depth(depth: usize) -> Self {
        assert!((1..=20).contains(&N), "sync ram: N = {N} not in 1..=20");
        assert!((1..=1 << N).contains(&depth), "sync ram: depth {depth}");
        let abits = (depth.max(2) - 1).ilog2() as usize + 1;
        Self {
            clock: Signal::default(),
            raddr: Signal::default(),
            rdata: Signal::default(),
            we: Signal::default(),
            waddr: Signal::default(),
            wdata: Signal::default(),
            _mem: vec![D::default(); 1 << abits],
            _image: None,
            _abits: abits,
            _bits: D::BITS,
            _logic: false,
            _distributed: false,
        }
    }

    /// This memory in LUT RAM (`ram_style = "distributed"`), on a target that has it (ECP5):
    /// lists of a few hundred words that would each take a whole block RAM.
    pub fn distributed(mut self) -> Self {
        self._distributed = true;
        self._logic = false;
        self
    }

    /// Like [`SyncRam::with_depth`], but storing only the low `bits` of each word: a stored
    /// word of all ones reads back as all ones (the encoder's empty-list sentinel), any other
    /// is zero-extended. So every value written must be below `2^bits − 1`, or all ones. With
    /// `logic` the memory is built from flip-flops (`ram_style = "logic"`): tiny lists that
    /// would otherwise each take a whole block RAM.
    pub fn narrow(depth: usize, bits: usize, logic: bool) -> Self {
        assert!((1..=D::BITS).contains(&bits), "sync ram: {bits} bits");
        let mut ram = Self::with_depth(depth);
        ram._bits = bits;
        ram._logic = logic;
        ram
    }

    /// A RAM (or, with `we` tied low, a ROM) whose first `contents.len()` words are loaded
    /// from the `$readmemh` file `file_name` (the rest are zero). The Verilog refers to the
    /// file by this name, relative to the simulator's/synthesiser's working directory; write
    /// [`SyncRam::hex_image`] there.
    pub fn with_image(file_name: &str, contents: &[D]) -> Self {
        assert!(
            contents.len() <= 1 << N,
            "sync ram: {} words do not fit 2^{N}",
            contents.len()
        );
        assert!(
            !file_name.contains('"') && !file_name.contains('\\'),
            "sync ram: bad image file name {file_name:?}"
        );
        let mut ram = Self::new();
        ram._mem[..contents.len()].copy_from_slice(contents);
        ram._image = Some(file_name.to_string());
        ram
    }

    /// A ROM of exactly `contents.len()` words (depth rounded up to a power of two, the rest
    /// zero) from the `$readmemh` file `file_name`: tie `we` low. Unlike
    /// [`SyncRam::with_image`], which keeps all `2^N` words, only the low
    /// `ceil(log2 len)` address bits are used.
    pub fn rom(file_name: &str, contents: &[D]) -> Self {
        assert!(
            !file_name.contains('"') && !file_name.contains('\\'),
            "sync ram: bad image file name {file_name:?}"
        );
        let mut ram = Self::with_depth(contents.len().max(1));
        ram._mem[..contents.len()].copy_from_slice(contents);
        ram._image = Some(file_name.to_string());
        ram
    }

    /// Stores only the low `bits` of each word, as [`SyncRam::narrow`] does (so every value
    /// must be below `2^bits − 1`); its `$readmemh` image then has `ceil(bits/4)` hex digits
    /// per word.
    pub fn set_stored_bits(&mut self, bits: usize) {
        assert!((1..=D::BITS).contains(&bits), "sync ram: {bits} bits");
        self._bits = bits;
    }

    /// The `$readmemh` file: every word of the memory, one per line, as `ceil(BITS/4)` hex
    /// digits (two's complement for signed words).
    pub fn hex_image(&self) -> String {
        let digits = D::BITS.div_ceil(4);
        let mut out = String::with_capacity(self._mem.len() * (digits + 1));
        for word in &self._mem {
            let lit = format!("{:x}", word.verilog());
            let hex = lit.rsplit('h').next().unwrap_or("0");
            out.push_str(&format!("{hex:0>digits$}\n"));
        }
        out
    }
}

impl<D: Synth, const N: usize> Default for SyncRam<D, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<D: Synth, const N: usize> Logic for SyncRam<D, N> {
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
        // The array is `words_`, not `mem`: Verilator -Wall reports VARHIDDEN when the array
        // has the name of the instance (the parent's field name).
        let init = match &self._image {
            Some(file) => format!("initial $readmemh(\"{file}\", words_);\n"),
            None => String::new(),
        };
        let mut unused = vec![];
        if a < N {
            unused.push(format!("raddr[{m}:{a}], waddr[{m}:{a}]", m = N - 1));
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
        } else if self._distributed {
            "(* ram_style = \"distributed\" *) "
        } else {
            ""
        };
        let sel = if a < N {
            format!("[{}:0]", a - 1)
        } else {
            String::new()
        };
        let last = (1usize << a) - 1;
        if self._distributed {
            // LUT RAM reads asynchronously: register the address, not the data, so the path
            // into the RAM ends at a flip-flop and the RAM's read mux starts at one (with the
            // data register after the mux, the address logic, the RAM and its 16:1 mux were
            // one 11 ns path on the ECP5). A read of a word written in the same cycle returns
            // the new word; the encoder's lists never use such a read (a bank's `next` list is
            // read only after its last link is written).
            let word = if b == d {
                "words_[ra_]".to_string()
            } else {
                format!(
                    "(&(words_[ra_])) ? {{{d}{{1'b1}}}} : {{{{{z}{{1'b0}}}}, words_[ra_]}}",
                    z = d - b
                )
            };
            return Verilog::Custom(format!(
                "{style}reg [{bm}:0] words_ [0:{last}];\nreg [{am}:0] ra_;\n{init}{unused}\
                 always @(posedge clock) begin\n\
                 \x20  if (we) words_[waddr{sel}] <= wdata[{bm}:0];\n\
                 \x20  ra_ <= raddr{sel};\n\
                 end\n\
                 always @(*) rdata = {word};\n",
                bm = b - 1,
                am = a - 1,
            ));
        }
        if b == d {
            return Verilog::Custom(format!(
                "{style}reg [{msb}:0] words_ [0:{last}];\n{init}{unused}\
                 always @(posedge clock) begin\n\
                 \x20  if (we) words_[waddr{sel}] <= wdata;\n\
                 \x20  rdata <= words_[raddr{sel}];\n\
                 end\n",
                msb = d - 1,
            ));
        }
        Verilog::Custom(format!(
            "{style}reg [{bm}:0] words_ [0:{last}];\nreg [{bm}:0] q_;\n{init}{unused}\
             always @(posedge clock) begin\n\
             \x20  if (we) words_[waddr{sel}] <= wdata[{bm}:0];\n\
             \x20  q_ <= words_[raddr{sel}];\n\
             end\n\
             always @(*) rdata = (&q_) ? {{{d}{{1'b1}}}} : {{{{{z}{{1'b0}}}}, q_}};\n",
            bm = b - 1,
            z = d - b,
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![
            TimingInfo {
                name: "ram_read".into(),
                clock: "clock".into(),
                inputs: vec!["raddr".into()],
                outputs: vec!["rdata".into()],
            },
            TimingInfo {
                name: "ram_write".into(),
                clock: "clock".into(),
                inputs: vec!["we".into(), "waddr".into(), "wdata".into()],
                outputs: vec![],
            },
        ]
    }
}
