//! `PackedRam<D>`: one word per lane, all lanes side by side in one memory row (one address
//! for every lane), stored in exactly the bits they need.

use crate::prelude::*;

/// Address width of the ports (`depth ≤ 2^16`).
pub const PACKED_ADDR_BITS: usize = 16;

/// A simple dual-port synchronous RAM whose row holds one `bits`-wide field per lane: lane `p`
/// is row bits `[p·bits, p·bits + bits)`, read back extended to `D` (sign-extended when
/// `signed`, else zero-extended). Registered read; a read of the row written in the same cycle
/// returns the old word in simulation but is undefined in block RAM (`no_rw_check`): users
/// must not rely on it (the layer stage forwards instead). No reset (contents are state that
/// the stage always writes before it reads), zero in simulation.
///
/// Why packed: the lanes of a stage always access the same address, so one wide memory costs
/// `⌈P·bits/16⌉` iCE40 `SB_RAM40_4K` instead of `P·⌈bits/16⌉` for per-lane memories, and no
/// bit of a lane's field is wasted on the accumulator width of the `ZW` menu. `logic`: the
/// memory is tiny (or the target has no LUT RAM to spare block RAM): ask yosys for flip-flops
/// (`ram_style = "logic"`).
///
/// Ports: `clock`; `raddr` (in, `Bits<16>`); `rdata` (out, one `D` per lane); `we` (in);
/// `waddr` (in, `Bits<16>`); `wdata` (in, one `D` per lane). Latency 1 cycle.
/// Cost: `2^k × P·bits` memory bits (`2^k ≥ depth`), no logic.
#[derive(LogicBlock)]
pub struct PackedRam<D: Synth> {
    /// Clock.
    pub clock: Input<Clock>,
    /// Read address.
    pub raddr: Input<Bits<PACKED_ADDR_BITS>>,
    /// Per-lane words of the row read at the previous edge.
    pub rdata: Vec<Output<D>>,
    /// Write enable (all lanes).
    pub we: Input<Bit>,
    /// Write address.
    pub waddr: Input<Bits<PACKED_ADDR_BITS>>,
    /// Per-lane words to write.
    pub wdata: Vec<Input<D>>,
    _mem: Vec<Vec<D>>,
    _k: usize,
    _bits: usize,
    _signed: bool,
    _logic: bool,
}

impl<D: Synth> PackedRam<D> {
    /// `lanes` fields of `bits` bits (`1..=D::BITS`), at least `depth` rows.
    pub fn new(lanes: usize, depth: usize, bits: usize, signed: bool, logic: bool) -> Self {
        let k = depth.max(2).next_power_of_two().trailing_zeros() as usize;
        assert!(lanes >= 1, "packed ram: no lane");
        assert!(k <= PACKED_ADDR_BITS, "packed ram: depth {depth} too large");
        assert!(
            (1..=D::BITS).contains(&bits),
            "packed ram: {bits} bits per lane, the port holds {}",
            D::BITS
        );
        Self {
            clock: Signal::default(),
            raddr: Signal::default(),
            rdata: (0..lanes).map(|_| Signal::default()).collect(),
            we: Signal::default(),
            waddr: Signal::default(),
            wdata: (0..lanes).map(|_| Signal::default()).collect(),
            _mem: vec![vec![D::default(); lanes]; 1 << k],
            _k: k,
            _bits: bits,
            _signed: signed,
            _logic: logic,
        }
    }
}

impl<D: Synth> Logic for PackedRam<D> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let mask = self._mem.len() - 1;
            let ra = self.raddr.val().index() & mask;
            for (p, r) in self.rdata.iter_mut().enumerate() {
                r.next = self._mem[ra][p];
            }
            if self.we.val() {
                let wa = self.waddr.val().index() & mask;
                for (p, w) in self.wdata.iter().enumerate() {
                    self._mem[wa][p] = w.val();
                }
            }
        }
    }

    fn connect(&mut self) {
        for r in &mut self.rdata {
            r.connect();
        }
    }

    fn hdl(&self) -> Verilog {
        let (k, b, lanes) = (self._k, self._bits, self.rdata.len());
        let width = lanes * b;
        let dbits = D::BITS;
        let amsb = PACKED_ADDR_BITS - 1;
        let mut v = String::new();
        let mut unused = vec![];
        if k < PACKED_ADDR_BITS {
            unused.push(format!("raddr[{amsb}:{k}]"));
            unused.push(format!("waddr[{amsb}:{k}]"));
        }
        if b < dbits {
            for p in 0..lanes {
                unused.push(format!("wdata${p}[{}:{b}]", dbits - 1));
            }
        }
        if !unused.is_empty() {
            v.push_str(&format!("wire unused_hi = |{{{}}};\n", unused.join(", ")));
        }
        // `no_rw_check`: a read of the row written in the same cycle may return anything — the
        // stage never uses such a read (it forwards the written word instead), and without
        // the attribute yosys wraps block RAM in a bypass of one flip-flop and mux per bit.
        let style = if self._logic {
            "(* ram_style = \"logic\" *) "
        } else {
            "(* no_rw_check *) "
        };
        let fields: Vec<String> = (0..lanes)
            .rev()
            .map(|p| {
                if b == 1 && dbits == 1 {
                    format!("wdata${p}")
                } else {
                    format!("wdata${p}[{}:0]", b - 1)
                }
            })
            .collect();
        v.push_str(&format!(
            "{style}reg [{wm}:0] rows_ [0:{last}];\nreg [{wm}:0] q_;\n\
             always @(posedge clock) begin\n\
             \x20 if (we) rows_[waddr[{kk}:0]] <= {{{f}}};\n\
             \x20 q_ <= rows_[raddr[{kk}:0]];\n\
             end\n",
            wm = width - 1,
            last = (1usize << k) - 1,
            kk = k - 1,
            f = fields.join(", ")
        ));
        v.push_str("always @(*) begin\n");
        for p in 0..lanes {
            let (lo, hi) = (p * b, p * b + b - 1);
            if b == dbits {
                v.push_str(&format!("  rdata${p} = q_[{hi}:{lo}];\n"));
            } else {
                let fill = if self._signed {
                    format!("q_[{hi}]")
                } else {
                    "1'b0".into()
                };
                v.push_str(&format!(
                    "  rdata${p} = {{{{{}{{{fill}}}}}, q_[{hi}:{lo}]}};\n",
                    dbits - b
                ));
            }
        }
        v.push_str("end\n");
        Verilog::Custom(v)
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![
            TimingInfo {
                name: "packed_read".into(),
                clock: "clock".into(),
                inputs: vec!["raddr".into()],
                outputs: (0..self.rdata.len())
                    .map(|p| format!("rdata${p}"))
                    .collect(),
            },
            TimingInfo {
                name: "packed_write".into(),
                clock: "clock".into(),
                inputs: std::iter::once("we".to_string())
                    .chain(std::iter::once("waddr".into()))
                    .chain((0..self.wdata.len()).map(|p| format!("wdata${p}")))
                    .collect(),
                outputs: vec![],
            },
        ]
    }
}
