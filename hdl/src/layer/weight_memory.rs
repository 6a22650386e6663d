//! `WeightMemory`: the weights of one layer stage, all lanes side by side in one wide memory,
//! stored as 16-bit columns (inferred block RAM with a `$readmemh` image, or iCE40 UP5K
//! `SB_SPRAM256KA` loaded through the weight-load stream).

use crate::prelude::*;
use crate::prim::Ice40Spram;

/// Address width of the weight memory's ports (`(fan_in + 1)·G ≤ 2^20` words).
pub const WEIGHT_ADDR_BITS: usize = 20;
/// A weight memory row address.
pub type WeightAddr = Bits<WEIGHT_ADDR_BITS>;

/// Where a stage's weights live (chosen by the plan per target, DESIGN §5/§6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightStore {
    /// Inferred memory initialised by the bitstream (`$readmemh`): a ROM.
    Rom,
    /// Inferred memory with a write port, filled through the load stream (`--weights runtime`).
    Ram,
    /// iCE40 UP5K single-port `SB_SPRAM256KA` columns, filled through the load stream (the
    /// bitstream cannot initialise SPRAM).
    Spram,
}

impl WeightStore {
    /// Whether the memory is written through the load stream.
    pub fn loadable(self) -> bool {
        !matches!(self, WeightStore::Rom)
    }
}

/// The bit layout of a stage's weight memory, shared by the hardware, its `$readmemh`
/// images and the `weights.bin` load image.
///
/// Row `a = g·(fan_in + 1) + j` holds, for every lane `p`, the `W`-bit two's-complement weight
/// `w[g·P + p][j]` (`j = fan_in`: the bias; 0 for padding neurons `g·P + p ≥ N`) at bits
/// `[p·W, p·W + W)`. The `P·W`-bit row is cut into `C = ⌈P·W/16⌉` columns of 16 bits (column `c`
/// = row bits `[16c, 16c + 16)`, the last one zero-padded). The load image sends, for each row
/// in order, its `C` columns as 16-bit words, column 0 first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightLayout {
    /// `P`: lanes.
    pub lanes: usize,
    /// `W`: stored bits per weight (the layer's `weight_bits`).
    pub weight_bits: usize,
    /// Rows in use: `(fan_in + 1)·G`.
    pub rows: usize,
}

impl WeightLayout {
    /// `C`: 16-bit columns per row.
    pub fn columns(&self) -> usize {
        (self.lanes * self.weight_bits).div_ceil(16)
    }

    /// Bits actually used by the last column (`1..=16`).
    pub fn last_column_bits(&self) -> usize {
        self.lanes * self.weight_bits - 16 * (self.columns() - 1)
    }

    /// Address bits of the memory array (`2^k ≥ rows`, at least 1).
    pub fn addr_bits(&self) -> usize {
        self.rows.max(2).next_power_of_two().trailing_zeros() as usize
    }

    /// Words of the load image (`rows · C`).
    pub fn load_words(&self) -> usize {
        self.rows * self.columns()
    }

    /// The `C` column words of each row, from the per-lane words (`lane_words[p][a]`).
    pub fn pack(&self, lane_words: &[Vec<i32>]) -> Vec<Vec<u16>> {
        let (w, c) = (self.weight_bits, self.columns());
        let mask = (1u64 << w) - 1;
        let mut cols = vec![vec![0u16; self.rows]; c];
        for a in 0..self.rows {
            // Rows are at most 16·P ≤ 2^20 bits: assemble them bit by bit into 64-bit chunks.
            let mut row = vec![0u64; (self.lanes * w).div_ceil(64) + 1];
            for (p, words) in lane_words.iter().enumerate() {
                let v = (words[a] as i64 as u64) & mask;
                let bit = p * w;
                row[bit / 64] |= v << (bit % 64);
                if bit % 64 + w > 64 {
                    row[bit / 64 + 1] |= v >> (64 - bit % 64);
                }
            }
            for (k, col) in cols.iter_mut().enumerate() {
                let bit = 16 * k;
                let mut v = row[bit / 64] >> (bit % 64);
                if bit % 64 > 48 {
                    v |= row[bit / 64 + 1] << (64 - bit % 64);
                }
                col[a] = (v & 0xffff) as u16;
            }
        }
        cols
    }

    /// Weight `p` of a row given as its `C` column words (the inverse of [`Self::pack`]).
    pub fn unpack(&self, row: &[u16], p: usize) -> i32 {
        let w = self.weight_bits;
        let mut v: u64 = 0;
        for b in 0..w {
            let bit = p * w + b;
            v |= (((row[bit / 16] >> (bit % 16)) & 1) as u64) << b;
        }
        // Sign-extend from W bits.
        ((v << (64 - w)) as i64 >> (64 - w)) as i32
    }
}

/// A `Ram` writes only `wdata[cb-1:0]` into every column when there is a single, narrow one.
fn c_all_narrow(l: &WeightLayout) -> bool {
    l.columns() == 1 && l.last_column_bits() < 16
}

/// All weights of a layer stage: `P` lanes side by side, one registered read per cycle (the
/// same row address for every lane), optionally written through the load stream.
///
/// Ports: `clock`; `raddr` (in, [`WEIGHT_ADDR_BITS`]): row to read; `rdata` (out, one
/// `Signed<16>` per lane): the lanes' weights of the row read at the previous edge,
/// sign-extended from `W` bits; `we`, `waddr`, `wcol` (`Bits<8>`), `wdata` (`Bits<16>`): write
/// column `wcol` of row `waddr` (ignored for a ROM). Latency: 1 cycle.
///
/// Cost: `C = ⌈P·W/16⌉` memories of `2^k × 16` bits (`2^k ≥` rows), no logic but the lane
/// slicing. Inferred (`Rom`, `Ram`) they map to iCE40 `SB_RAM40_4K` / ECP5 `DP16KD` (a ROM is
/// initialised from `<prefix>_c<c>.hex`); `Spram` instantiates one [`Ice40Spram`]
/// (`SB_SPRAM256KA`) per column (`rows ≤ 16384`; single port: the address is `waddr` while
/// `we`, else `raddr`). The rust-hdl simulation reads every store from its own column model,
/// which a test may start pre-loaded; the `Ice40Spram` columns are the hardware.
#[derive(LogicBlock)]
pub struct WeightMemory {
    /// Clock.
    pub clock: Input<Clock>,
    /// Row read address.
    pub raddr: Input<WeightAddr>,
    /// Per-lane weights of the row read at the previous edge, sign-extended.
    pub rdata: Vec<Output<Signed<16>>>,
    /// Write enable (load stream).
    pub we: Input<Bit>,
    /// Row write address.
    pub waddr: Input<WeightAddr>,
    /// Column written.
    pub wcol: Input<Bits8>,
    /// Column word written.
    pub wdata: Input<Bits16>,
    /// The second read port ([`WeightMemory::dual`]; empty otherwise): its row address, and
    /// the lanes' weights of the row it read at the previous edge.
    pub raddr2: Vec<Input<WeightAddr>>,
    pub rdata2: Vec<Output<Signed<16>>>,
    /// The SPRAM columns (`Spram` only).
    spram: Vec<Ice40Spram>,
    _layout: WeightLayout,
    _store: WeightStore,
    _cols: Vec<Vec<u16>>,
    _q: Vec<u16>,
    _q2: Vec<u16>,
    _prefix: String,
}

impl WeightMemory {
    /// A weight memory of `layout` holding `lane_words[p][row]` (the simulation contents; in
    /// hardware a `Rom` is loaded from the `$readmemh` files `<prefix>_c<c>.hex`, the others
    /// from the load stream).
    pub fn new(
        layout: WeightLayout,
        store: WeightStore,
        lane_words: &[Vec<i32>],
        prefix: &str,
    ) -> Self {
        assert!(
            !prefix.contains('"') && !prefix.contains('\\'),
            "weight memory: bad image prefix {prefix:?}"
        );
        assert_eq!(
            lane_words.len(),
            layout.lanes,
            "weight memory: one word list per lane"
        );
        assert!(
            (1..=16).contains(&layout.weight_bits),
            "weight memory: W in 1..=16"
        );
        assert!(
            layout.columns() <= 255,
            "weight memory: more than 255 columns"
        );
        assert!(
            layout.addr_bits() <= WEIGHT_ADDR_BITS,
            "weight memory: too deep"
        );
        if store == WeightStore::Spram {
            assert!(
                layout.rows <= 16384,
                "weight memory: SPRAM holds 16384 rows"
            );
        }
        let mut cols = layout.pack(lane_words);
        for col in &mut cols {
            col.resize(1 << layout.addr_bits(), 0);
        }
        let c = layout.columns();
        Self {
            clock: Signal::default(),
            raddr: Signal::default(),
            rdata: (0..layout.lanes).map(|_| Signal::default()).collect(),
            we: Signal::default(),
            waddr: Signal::default(),
            wcol: Signal::default(),
            wdata: Signal::default(),
            raddr2: vec![],
            rdata2: vec![],
            spram: (0..c)
                .filter(|_| store == WeightStore::Spram)
                .map(|_| Ice40Spram::new())
                .collect(),
            _layout: layout,
            _store: store,
            _cols: cols,
            _q: vec![0; c],
            _q2: vec![],
            _prefix: prefix.to_string(),
        }
    }

    /// This memory with a second read port (`raddr2`, `rdata2`), for a stage that integrates
    /// two events per pass: a ROM read through both ports of its block RAMs (ECP5 `DP16KD` is
    /// true dual-port; a target whose block RAM has one read port gets two copies).
    pub fn dual(mut self) -> Self {
        assert_eq!(
            self._store,
            WeightStore::Rom,
            "weight memory: a second read port needs a ROM (both ports read)"
        );
        self.raddr2 = vec![Signal::default()];
        self.rdata2 = (0..self._layout.lanes).map(|_| Signal::default()).collect();
        self._q2 = vec![0; self._layout.columns()];
        self
    }

    /// The `$readmemh` file of column `c`.
    pub fn image_file(&self, c: usize) -> String {
        format!("{}_c{c}.hex", self._prefix)
    }

    /// The `$readmemh` images `(file name, text)` of a `Rom` (none for the loaded stores).
    pub fn images(&self) -> Vec<(String, String)> {
        if self._store != WeightStore::Rom {
            return vec![];
        }
        let bits = |c: usize| {
            if c + 1 == self._layout.columns() {
                self._layout.last_column_bits()
            } else {
                16
            }
        };
        self._cols
            .iter()
            .enumerate()
            .map(|(c, col)| {
                let digits = bits(c).div_ceil(4);
                let mut text = String::with_capacity(col.len() * (digits + 1));
                for w in col {
                    text.push_str(&format!("{w:0digits$x}\n"));
                }
                (self.image_file(c), text)
            })
            .collect()
    }

    fn lane_value(&self, p: usize) -> i32 {
        self._layout.unpack(&self._q, p)
    }

    fn dual_ports(&self) -> bool {
        !self.raddr2.is_empty()
    }

    /// Unused port bits, reduced into one wire that `verilator -Wall` exempts.
    fn unused_verilog(&self) -> String {
        let l = &self._layout;
        let a_msb = WEIGHT_ADDR_BITS - 1;
        let mut unused = vec![];
        // Address bits decoded: the array's `k`, or SPRAM's 14.
        let ka = if self._store == WeightStore::Spram {
            14
        } else {
            l.addr_bits()
        };
        if ka < WEIGHT_ADDR_BITS {
            unused.push(format!("raddr[{a_msb}:{ka}]"));
            if self.dual_ports() {
                unused.push(format!("raddr2$0[{a_msb}:{ka}]"));
            }
            if self._store.loadable() {
                unused.push(format!("waddr[{a_msb}:{ka}]"));
            }
        }
        if !self._store.loadable() {
            unused.extend(["we".into(), "waddr".into(), "wcol".into(), "wdata".into()]);
        } else if self._store == WeightStore::Ram && c_all_narrow(l) {
            unused.push(format!("wdata[15:{}]", l.last_column_bits()));
        }
        if unused.is_empty() {
            String::new()
        } else {
            format!("wire unused_hi = |{{{}}};\n", unused.join(", "))
        }
    }

    /// Column `c` of an inferred store: `col<c>_` (`cb` bits, a ROM's from its image) and its
    /// read register `q<c>_`.
    fn inferred_column(&self, c: usize) -> String {
        let l = &self._layout;
        let k = l.addr_bits();
        let m = if c + 1 == l.columns() {
            l.last_column_bits() - 1
        } else {
            15
        };
        let mut v = format!(
            "reg [{m}:0] col{c}_ [0:{last}];\nreg [{m}:0] q{c}_;\n",
            last = (1usize << k) - 1
        );
        if self._store == WeightStore::Rom {
            v.push_str(&format!(
                "initial $readmemh(\"{}\", col{c}_);\n",
                self.image_file(c)
            ));
        }
        v.push_str("always @(posedge clock) begin\n");
        if self._store == WeightStore::Ram {
            v.push_str(&format!(
                "  if (we && wcol == 8'd{c}) col{c}_[waddr[{kk}:0]] <= wdata[{m}:0];\n",
                kk = k - 1
            ));
        }
        v.push_str(&format!("  q{c}_ <= col{c}_[raddr[{kk}:0]];\n", kk = k - 1));
        if self.dual_ports() {
            v.push_str(&format!(
                "  q{c}b_ <= col{c}_[raddr2$0[{kk}:0]];\n",
                kk = k - 1
            ));
        }
        v.push_str("end\n");
        if self.dual_ports() {
            v = v.replacen(
                &format!("reg [{m}:0] q{c}_;\n"),
                &format!("reg [{m}:0] q{c}_;\nreg [{m}:0] q{c}b_;\n"),
                1,
            );
        }
        v
    }

    /// The row `row_` (the columns side by side), and each lane's W bits of it sign-extended
    /// to 16 on `rdata$<p>` (the second port's: `row2_`, `q<c>b_`, `rdata2$<p>`).
    fn lanes_verilog(&self) -> String {
        let mut v = self.port_lanes_verilog("", "", "rdata");
        if self.dual_ports() {
            v.push_str(&self.port_lanes_verilog("2", "b", "rdata2"));
        }
        v
    }

    fn port_lanes_verilog(&self, row: &str, q: &str, out: &str) -> String {
        let l = &self._layout;
        let (c_n, w) = (l.columns(), l.weight_bits);
        let parts: Vec<String> = (0..c_n).rev().map(|c| format!("q{c}{q}_")).collect();
        let row_bits = match self._store {
            WeightStore::Spram => 16 * c_n,
            _ => 16 * (c_n - 1) + l.last_column_bits(),
        };
        let mut v = format!(
            "wire [{}:0] row{row}_ = {{{}}};\n",
            row_bits - 1,
            parts.join(", ")
        );
        if row_bits > l.lanes * w {
            v.push_str(&format!(
                "wire unused_row{row} = |row{row}_[{}:{}];\n",
                row_bits - 1,
                l.lanes * w
            ));
        }
        v.push_str("always @(*) begin\n");
        for p in 0..l.lanes {
            let lo = p * w;
            if w == 16 {
                v.push_str(&format!("  {out}${p} = row{row}_[{}:{lo}];\n", lo + 15));
            } else {
                v.push_str(&format!(
                    "  {out}${p} = {{{{{ext}{{row{row}_[{msb}]}}}}, row{row}_[{msb}:{lo}]}};\n",
                    ext = 16 - w,
                    msb = lo + w - 1
                ));
            }
        }
        v.push_str("end\n");
        v
    }
}

/// Column `c` of the `Spram` store: the [`Ice40Spram`] `spram$<c>` (single port: the address
/// is `waddr` while `we`, else `raddr`; written when `wcol == c`) read as `q<c>_`.
fn spram_column(c: usize) -> String {
    format!(
        "always @(*) begin\n\
         \x20 spram${c}$clock = clock;\n\
         \x20 spram${c}$addr = we ? waddr[13:0] : raddr[13:0];\n\
         \x20 spram${c}$we = we && wcol == 8'd{c};\n\
         \x20 spram${c}$wdata = wdata;\n\
         end\n\
         wire [15:0] q{c}_ = spram${c}$rdata;\n"
    )
}

impl Logic for WeightMemory {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let mask = (1usize << self._layout.addr_bits()) - 1;
            let ra = self.raddr.val().index() & mask;
            let wa = self.waddr.val().index() & mask;
            let we = self.we.val() && self._store.loadable();
            let wc = self.wcol.val().index();
            let ra2 = self.raddr2.first().map(|a| a.val().index() & mask);
            for (c, col) in self._cols.iter_mut().enumerate() {
                match self._store {
                    // Single port: a write cycle reads nothing new.
                    WeightStore::Spram if we => {}
                    _ => self._q[c] = col[ra],
                }
                if let Some(ra2) = ra2 {
                    self._q2[c] = col[ra2];
                }
                if we && wc == c {
                    col[wa] = self.wdata.val().index() as u16;
                }
            }
            for p in 0..self._layout.lanes {
                self.rdata[p].next = Signed::from(self.lane_value(p) as i64);
            }
            for p in 0..self.rdata2.len() {
                let w = self._layout.unpack(&self._q2, p);
                self.rdata2[p].next = Signed::from(w as i64);
            }
        }
    }

    fn connect(&mut self) {
        for r in self.rdata.iter_mut().chain(self.rdata2.iter_mut()) {
            r.connect();
        }
        for col in &mut self.spram {
            col.clock.connect();
            col.addr.connect();
            col.we.connect();
            col.wdata.connect();
        }
    }

    fn hdl(&self) -> Verilog {
        let mut v = self.unused_verilog();
        for c in 0..self._layout.columns() {
            v.push_str(&match self._store {
                WeightStore::Spram => spram_column(c),
                _ => self.inferred_column(c),
            });
        }
        v.push_str(&self.lanes_verilog());
        Verilog::Custom(v)
    }

    fn timing(&self) -> Vec<TimingInfo> {
        let mut t = vec![
            TimingInfo {
                name: "weight_read".into(),
                clock: "clock".into(),
                inputs: vec!["raddr".into()],
                outputs: (0..self._layout.lanes)
                    .map(|p| format!("rdata${p}"))
                    .collect(),
            },
            TimingInfo {
                name: "weight_write".into(),
                clock: "clock".into(),
                inputs: vec!["we".into(), "waddr".into(), "wcol".into(), "wdata".into()],
                outputs: vec![],
            },
        ];
        if self.dual_ports() {
            t.push(TimingInfo {
                name: "weight_read2".into(),
                clock: "clock".into(),
                inputs: vec!["raddr2$0".into()],
                outputs: (0..self.rdata2.len())
                    .map(|p| format!("rdata2${p}"))
                    .collect(),
            });
        }
        t
    }
}
