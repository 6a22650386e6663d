//! `SyncRam`: a simple dual-port synchronous RAM/ROM, initialised with `$readmemh`.

use rust_hdl::prelude::*;

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
/// Ports: `clock`; `raddr` (in, `Bits<N>`), `rdata` (out, `D`, the word at `raddr` one cycle
/// later); `we`, `waddr` (`Bits<N>`), `wdata` (`D`) (in, write at the rising edge).
/// A read of the word being written returns the old word (read-before-write).
/// Latency: 1 cycle read, 1 cycle write. Cost: `2^N · D::BITS` bits of block RAM
/// (or LUT RAM / registers when small), no logic.
#[derive(LogicBlock)]
pub struct SyncRam<D: Synth, const N: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Read address.
    pub raddr: Signal<In, Bits<N>>,
    /// Registered read data.
    pub rdata: Signal<Out, D>,
    /// Write enable.
    pub we: Signal<In, Bit>,
    /// Write address.
    pub waddr: Signal<In, Bits<N>>,
    /// Write data.
    pub wdata: Signal<In, D>,
    _mem: Vec<D>,
    _image: Option<String>,
}

impl<D: Synth, const N: usize> SyncRam<D, N> {
    /// A RAM without initial contents (zero in simulation, undefined in hardware).
    pub fn new() -> Self {
        assert!((1..=20).contains(&N), "sync ram: N = {N} not in 1..=20");
        Self {
            clock: Signal::default(),
            raddr: Signal::default(),
            rdata: Signal::default(),
            we: Signal::default(),
            waddr: Signal::default(),
            wdata: Signal::default(),
            _mem: vec![D::default(); 1 << N],
            _image: None,
        }
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
            self.rdata.next = self._mem[self.raddr.val().index()];
            if self.we.val() {
                self._mem[self.waddr.val().index()] = self.wdata.val();
            }
        }
    }

    fn connect(&mut self) {
        self.rdata.connect();
    }

    fn hdl(&self) -> Verilog {
        // The array is `words_`, not `mem`: Verilator -Wall reports VARHIDDEN when the array
        // has the name of the instance (the parent's field name).
        let init = match &self._image {
            Some(file) => format!("initial $readmemh(\"{file}\", words_);\n"),
            None => String::new(),
        };
        Verilog::Custom(format!(
            "reg [{msb}:0] words_ [0:{last}];\n{init}\
             always @(posedge clock) begin\n\
             \x20  if (we) words_[waddr] <= wdata;\n\
             \x20  rdata <= words_[raddr];\n\
             end\n",
            msb = D::BITS - 1,
            last = (1usize << N) - 1,
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
