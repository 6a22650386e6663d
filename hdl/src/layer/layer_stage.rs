//! `LayerStage<ZW>`: one event-driven, time-multiplexed layer stage (DESIGN §5): integrate the
//! input event stream into `z` on `P` lanes, then fire (spike events out) or stream `z` out,
//! with ping-pong potential banks so that the next sample integrates while this one fires.

use crate::layer::Activation;
use crate::prim::{RDff, SignExtend, ZeroExtend};
use rust_hdl::prelude::*;

/// Address width of a lane's weight memory (`(fan_in + 1)·G ≤ 2^20` words).
pub const WEIGHT_ADDR_BITS: usize = 20;
/// Address width of a lane's slope / potential memories (`G ≤ 2^16` words).
pub const STATE_ADDR_BITS: usize = 16;

/// A simple dual-port synchronous RAM/ROM like [`crate::prim::SyncRam`] (registered read,
/// read-before-write, optional `$readmemh` image), but with a *run-time* depth: the address
/// ports are `Bits<A>` (a fixed port width) and the array holds `2^k` words, `k` the smallest
/// width that covers the requested depth; only `addr[k-1:0]` is decoded (the unused high
/// address bits are reduced into a wire named `unused_*`, which `verilator -Wall` exempts).
/// A `SyncRam<D, N>` would need the depth as a const generic, which the stage's one-type-per-
/// `ZW` plan forbids.
#[derive(LogicBlock)]
pub struct LaneRam<D: Synth, const A: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Read address.
    pub raddr: Signal<In, Bits<A>>,
    /// Registered read data.
    pub rdata: Signal<Out, D>,
    /// Write enable.
    pub we: Signal<In, Bit>,
    /// Write address.
    pub waddr: Signal<In, Bits<A>>,
    /// Write data.
    pub wdata: Signal<In, D>,
    _mem: Vec<D>,
    _k: usize,
    _image: Option<String>,
}

impl<D: Synth, const A: usize> LaneRam<D, A> {
    /// A RAM of at least `depth` words (rounded up to a power of two, at least 2), zero in
    /// simulation, undefined in hardware.
    pub fn new(depth: usize) -> Self {
        let k = depth.max(2).next_power_of_two().trailing_zeros() as usize;
        assert!(
            k <= A,
            "lane ram: depth {depth} does not fit {A} address bits"
        );
        Self {
            clock: Signal::default(),
            raddr: Signal::default(),
            rdata: Signal::default(),
            we: Signal::default(),
            waddr: Signal::default(),
            wdata: Signal::default(),
            _mem: vec![D::default(); 1 << k],
            _k: k,
            _image: None,
        }
    }

    /// A RAM (ROM with `we` low) holding `contents`, loaded in hardware from the `$readmemh`
    /// file `file_name` (write [`LaneRam::hex_image`] there).
    pub fn with_image(file_name: &str, contents: &[D]) -> Self {
        assert!(
            !file_name.contains('"') && !file_name.contains('\\'),
            "lane ram: bad image file name {file_name:?}"
        );
        let mut ram = Self::new(contents.len());
        ram._mem[..contents.len()].copy_from_slice(contents);
        ram._image = Some(file_name.to_string());
        ram
    }

    /// The `$readmemh` text: every word, one per line, `ceil(BITS/4)` hex digits.
    pub fn hex_image(&self) -> String {
        hex_words(&self._mem)
    }
}

fn hex_words<D: Synth>(words: &[D]) -> String {
    let digits = D::BITS.div_ceil(4);
    let mut out = String::with_capacity(words.len() * (digits + 1));
    for word in words {
        let lit = format!("{:x}", word.verilog());
        let hex = lit.rsplit('h').next().unwrap_or("0");
        out.push_str(&format!("{hex:0>digits$}\n"));
    }
    out
}

impl<D: Synth, const A: usize> Logic for LaneRam<D, A> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let mask = self._mem.len() - 1;
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
        let k = self._k;
        let init = match &self._image {
            Some(file) => format!("initial $readmemh(\"{file}\", words_);\n"),
            None => String::new(),
        };
        let unused = if k < A {
            format!(
                "wire unused_hi = |{{raddr[{msb}:{k}], waddr[{msb}:{k}]}};\n",
                msb = A - 1
            )
        } else {
            String::new()
        };
        Verilog::Custom(format!(
            "reg [{msb}:0] words_ [0:{last}];\n{init}{unused}\
             always @(posedge clock) begin\n\
             \x20  if (we) words_[waddr[{kk}:0]] <= wdata;\n\
             \x20  rdata <= words_[raddr[{kk}:0]];\n\
             end\n",
            msb = D::BITS - 1,
            last = (1usize << k) - 1,
            kk = k - 1,
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

/// Parameters of one layer stage (everything but the accumulator width `ZW`).
#[derive(Clone, Debug, PartialEq)]
pub struct StageParams {
    /// `N`: neurons of the layer (`1..=65535`).
    pub outputs: usize,
    /// `fan_in`: inputs of the layer, the always-on (bias) input not counted.
    pub inputs: usize,
    /// `P`: lanes (`1..=N`).
    pub lanes: usize,
    /// `T`: ticks per window (a power of two, `2..=256`).
    pub time_steps: usize,
    /// `F`: fractional bits of weights and `z`.
    pub frac_bits: usize,
    /// Fire spike events (`out_*`); `false`: stream `z` (`z_*`, potential readout).
    pub fires: bool,
    /// `outputs × inputs`, row `i` = incoming weights of neuron `i` (each fits 16 bits).
    pub weights: Vec<Vec<i32>>,
    /// One bias per neuron (weight of the always-on input).
    pub bias: Vec<i32>,
    /// Prefix of the weight image files: lane `p` reads `<prefix>_w<p>.hex`.
    pub hex_prefix: String,
    /// First tick of the fire phase's window counter: 0. Only the test-only
    /// `Fault::WindowOffByOne` sets 1 (the counter starts one tick late), to prove that the
    /// co-simulation catches such a bug.
    pub window_start: usize,
}

impl StageParams {
    /// `G = ⌈N/P⌉`, groups of neurons per lane.
    pub fn groups(&self) -> usize {
        self.outputs.div_ceil(self.lanes)
    }

    /// The weight memory file name of lane `p`.
    pub fn image_file(&self, p: usize) -> String {
        format!("{}_w{p}.hex", self.hex_prefix)
    }

    /// The weight memory of lane `p`: word `g·(fan_in + 1) + j` is `w[g·P + p][j]` (`j = fan_in`:
    /// the bias), 0 for padding neurons `g·P + p ≥ N`.
    pub fn lane_words(&self, p: usize) -> Vec<i32> {
        let stride = self.inputs + 1;
        let mut words = vec![0i32; stride * self.groups()];
        for g in 0..self.groups() {
            let i = g * self.lanes + p;
            if i >= self.outputs {
                continue;
            }
            words[g * stride..g * stride + self.inputs].copy_from_slice(&self.weights[i]);
            words[g * stride + self.inputs] = self.bias[i];
        }
        words
    }

    /// The `$readmemh` images of the weight memories, `(file name, hex text)`, one per lane:
    /// 16-bit two's-complement words (4 hex digits), padded to the memory's power-of-two depth.
    pub fn images(&self) -> Vec<(String, String)> {
        (0..self.lanes)
            .map(|p| {
                let words: Vec<Signed<16>> = self
                    .lane_words(p)
                    .iter()
                    .map(|&w| Signed::from(w as i64))
                    .collect();
                let ram = LaneRam::<Signed<16>, WEIGHT_ADDR_BITS>::with_image("x", &words);
                (self.image_file(p), ram.hex_image())
            })
            .collect()
    }

    fn validate(&self, zw: usize) {
        let (n, p, t) = (self.outputs, self.lanes, self.time_steps);
        assert!(
            (1..=65535).contains(&n),
            "layer stage: N = {n} not in 1..=65535"
        );
        assert!((1..=n).contains(&p), "layer stage: P = {p} not in 1..={n}");
        assert!(
            self.inputs <= 65534,
            "layer stage: fan_in {} > 65534",
            self.inputs
        );
        assert!(
            t.is_power_of_two() && (2..=256).contains(&t),
            "layer stage: T = {t} is not a power of two in 2..=256"
        );
        assert!(
            self.groups() * p <= 65536,
            "layer stage: G·P = {} exceeds the 16-bit index",
            self.groups() * p
        );
        assert!(
            (self.inputs + 1) * self.groups() <= 1 << WEIGHT_ADDR_BITS,
            "layer stage: weight memory depth exceeds 2^{WEIGHT_ADDR_BITS}"
        );
        assert!(
            2 * self.groups() <= 1 << STATE_ADDR_BITS,
            "layer stage: G too large"
        );
        assert_eq!(
            self.weights.len(),
            n,
            "layer stage: weights must have N rows"
        );
        assert_eq!(self.bias.len(), n, "layer stage: bias must have N entries");
        for (i, row) in self.weights.iter().enumerate() {
            assert_eq!(
                row.len(),
                self.inputs,
                "layer stage: row {i} has wrong length"
            );
        }
        let fits = |w: i32| (-(1 << 15)..(1 << 15)).contains(&w);
        assert!(
            self.weights.iter().flatten().all(|&w| fits(w)) && self.bias.iter().all(|&b| fits(b)),
            "layer stage: a weight does not fit 16 bits"
        );
        assert!(
            zw >= 8 + self.frac_bits + 2,
            "layer stage: ZW = {zw} < K + F + 2 = {}",
            10 + self.frac_bits
        );
    }
}

/// One lane: weight, slope and two potential memories, the integrate datapath (`S = w`,
/// `S += w`, `V = S`, `V += S`, with forwarding of the previous cycle's write for `G = 1`),
/// and the fire/z-output slot (`pend`: this lane's neuron of the group being serialised).
#[derive(LogicBlock)]
pub struct Lane<const ZW: usize> {
    pub clock: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub w_raddr: Signal<In, Bits<WEIGHT_ADDR_BITS>>,
    pub s_raddr: Signal<In, Bits<STATE_ADDR_BITS>>,
    pub iv_raddr: Signal<In, Bits<STATE_ADDR_BITS>>,
    pub fv_raddr: Signal<In, Bits<STATE_ADDR_BITS>>,
    /// Integrate bank (the fire bank is the other one).
    pub ib: Signal<In, Bit>,
    pub ex_s_we: Signal<In, Bit>,
    pub ex_s_add: Signal<In, Bit>,
    pub ex_v_we: Signal<In, Bit>,
    pub ex_first: Signal<In, Bit>,
    pub ex_waddr: Signal<In, Bits<STATE_ADDR_BITS>>,
    pub fwd_s: Signal<In, Bit>,
    pub fwd_v: Signal<In, Bit>,
    /// Tick of the group whose `z` is on the fire bank's read port.
    pub m: Signal<In, Bits<8>>,
    /// `g·P` of that group.
    pub rd_base: Signal<In, Bits<16>>,
    pub load: Signal<In, Bit>,
    pub clear: Signal<In, Bit>,
    pub sel: Signal<In, Bits<16>>,
    pub pend: Signal<Out, Bit>,
    pub idx: Signal<Out, Bits<16>>,
    pub z: Signal<Out, Signed<ZW>>,
    w: LaneRam<Signed<16>, WEIGHT_ADDR_BITS>,
    s: LaneRam<Signed<ZW>, STATE_ADDR_BITS>,
    v0: LaneRam<Signed<ZW>, STATE_ADDR_BITS>,
    v1: LaneRam<Signed<ZW>, STATE_ADDR_BITS>,
    ext: SignExtend<16, ZW>,
    act: Activation<ZW, 8, 9>,
    s_fwd: RDff<Signed<ZW>>,
    v_fwd: RDff<Signed<ZW>>,
    pend_r: RDff<Bit>,
    s_old: Signal<Local, Signed<ZW>>,
    v_old: Signal<Local, Signed<ZW>>,
    v_int: Signal<Local, Signed<ZW>>,
    s_new: Signal<Local, Signed<ZW>>,
    v_new: Signal<Local, Signed<ZW>>,
    zf: Signal<Local, Signed<ZW>>,
    hit: Signal<Local, Bit>,
    neuron: Signal<Local, Bits<16>>,
    idx_c: Constant<Bits<16>>,
    n_c: Constant<Bits<16>>,
    zmode_c: Constant<Bit>,
    zero_wa: Constant<Bits<WEIGHT_ADDR_BITS>>,
    zero_w: Constant<Signed<16>>,
}

impl<const ZW: usize> Lane<ZW> {
    fn new(params: &StageParams, p: usize) -> Self {
        let words: Vec<Signed<16>> = params
            .lane_words(p)
            .iter()
            .map(|&w| Signed::from(w as i64))
            .collect();
        let g = params.groups();
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            w_raddr: Signal::default(),
            s_raddr: Signal::default(),
            iv_raddr: Signal::default(),
            fv_raddr: Signal::default(),
            ib: Signal::default(),
            ex_s_we: Signal::default(),
            ex_s_add: Signal::default(),
            ex_v_we: Signal::default(),
            ex_first: Signal::default(),
            ex_waddr: Signal::default(),
            fwd_s: Signal::default(),
            fwd_v: Signal::default(),
            m: Signal::default(),
            rd_base: Signal::default(),
            load: Signal::default(),
            clear: Signal::default(),
            sel: Signal::default(),
            pend: Signal::default(),
            idx: Signal::default(),
            z: Signal::default(),
            w: LaneRam::with_image(&params.image_file(p), &words),
            s: LaneRam::new(g),
            v0: LaneRam::new(g),
            v1: LaneRam::new(g),
            ext: SignExtend::new(),
            act: Activation::with_ticks(params.frac_bits, params.time_steps),
            s_fwd: RDff::default(),
            v_fwd: RDff::default(),
            pend_r: RDff::default(),
            s_old: Signal::default(),
            v_old: Signal::default(),
            v_int: Signal::default(),
            s_new: Signal::default(),
            v_new: Signal::default(),
            zf: Signal::default(),
            hit: Signal::default(),
            neuron: Signal::default(),
            idx_c: Constant::new(bits(p as u64)),
            n_c: Constant::new(bits(params.outputs as u64)),
            zmode_c: Constant::new(!params.fires),
            zero_wa: Constant::new(bits(0)),
            zero_w: Constant::new(Signed::from(0i64)),
        }
    }
}

impl<const ZW: usize> Logic for Lane<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, s_fwd, v_fwd, pend_r);
        self.s_fwd.rst.next = self.rst.val();
        self.v_fwd.rst.next = self.rst.val();
        self.pend_r.rst.next = self.rst.val();
        self.w.clock.next = self.clock.val();
        self.s.clock.next = self.clock.val();
        self.v0.clock.next = self.clock.val();
        self.v1.clock.next = self.clock.val();
        // Weights: a ROM.
        self.w.raddr.next = self.w_raddr.val();
        self.w.we.next = false;
        self.w.waddr.next = self.zero_wa.val();
        self.w.wdata.next = self.zero_w.val();
        self.ext.x.next = self.w.rdata.val();
        // Potential banks: the integrate bank is read by integrate, the other one by fire.
        if self.ib.val() {
            self.v0.raddr.next = self.fv_raddr.val();
            self.v1.raddr.next = self.iv_raddr.val();
            self.zf.next = self.v0.rdata.val();
            self.v_int.next = self.v1.rdata.val();
        } else {
            self.v0.raddr.next = self.iv_raddr.val();
            self.v1.raddr.next = self.fv_raddr.val();
            self.zf.next = self.v1.rdata.val();
            self.v_int.next = self.v0.rdata.val();
        }
        self.s.raddr.next = self.s_raddr.val();
        // Execute stage: the read issued last cycle is on `rdata`, or forwarded when that
        // cycle's write went to the same address (read-before-write memory, G = 1).
        if self.fwd_s.val() {
            self.s_old.next = self.s_fwd.q.val();
        } else {
            self.s_old.next = self.s.rdata.val();
        }
        if self.fwd_v.val() {
            self.v_old.next = self.v_fwd.q.val();
        } else {
            self.v_old.next = self.v_int.val();
        }
        if self.ex_s_add.val() {
            self.s_new.next = self.s_old.val() + self.ext.y.val();
        } else {
            self.s_new.next = self.ext.y.val();
        }
        if self.ex_first.val() {
            self.v_new.next = self.s_old.val();
        } else {
            self.v_new.next = self.v_old.val() + self.s_old.val();
        }
        self.s.we.next = self.ex_s_we.val();
        self.s.waddr.next = self.ex_waddr.val();
        self.s.wdata.next = self.s_new.val();
        self.v0.we.next = self.ex_v_we.val() & !self.ib.val();
        self.v1.we.next = self.ex_v_we.val() & self.ib.val();
        self.v0.waddr.next = self.ex_waddr.val();
        self.v1.waddr.next = self.ex_waddr.val();
        self.v0.wdata.next = self.v_new.val();
        self.v1.wdata.next = self.v_new.val();
        self.s_fwd.d.next = self.s_new.val();
        self.v_fwd.d.next = self.v_new.val();
        // Fire / z slot.
        self.act.z.next = self.zf.val();
        self.hit.next =
            self.act.fires.val() & self.act.q.val().any() & (self.act.tick.val() == self.m.val());
        self.neuron.next = self.rd_base.val() + self.idx_c.val();
        if self.load.val() {
            if self.zmode_c.val() {
                self.pend_r.d.next = self.neuron.val() < self.n_c.val();
            } else {
                self.pend_r.d.next = self.hit.val();
            }
        } else if self.clear.val() & (self.sel.val() == self.idx_c.val()) {
            self.pend_r.d.next = false;
        }
        self.pend.next = self.pend_r.q.val();
        self.idx.next = self.idx_c.val();
        self.z.next = self.zf.val();
    }
}

/// One layer stage of the event-driven array (DESIGN §5), `ZW`-bit accumulators.
///
/// Micro-architecture: `P` [`Lane`]s, `G = ⌈N/P⌉` groups, neuron `i = g·P + p`. Lane `p` keeps
/// its weights at `g·(fan_in + 1) + j` (so the per-group address step is a constant add, no
/// multiplier), slopes `S[g]` and two potential banks `V0/V1[g]`.
///
/// *Integrate* (bank `ib`): passes of `G` cycles, one group per cycle on all lanes at once,
/// pipelined (issue read, then execute/write) and back to back: the bias pass at sample start
/// (`S = w[fan_in]`, so `S` needs no clear), one pass per event `S += w[j]`, one pass per tick
/// end `V += S` (the first one writes `V = S`, so `V` needs no clear). Tick-end passes run
/// while the next event's tick is ahead of the current tick `c`, and on `eow` until `c = T`.
/// *Fire* (the other bank, after the swap): for `m = 0..T-1`, `g = 0..G-1`: read `z` of the
/// group, mark the lanes whose neuron fires at `m` (the [`Activation`] rule, bit-exact to
/// DESIGN §2) and serialise them lowest lane first onto `out_*`, then one `eow` beat. With
/// `fires = false` one pass over the groups streams `z` in neuron order onto `z_*` instead.
/// Banks swap when integrate has consumed `eow` and fire has finished the previous sample.
///
/// Cycles per sample: integrate `(events + 1 + T)·G + 1`, fire `≈ T·G + events_out + 2`
/// (z output `≈ N + 2G`); the two overlap.
#[derive(LogicBlock)]
pub struct LayerStage<const ZW: usize> {
    pub clock: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_index: Signal<In, Bits<16>>,
    pub in_m: Signal<In, Bits<8>>,
    pub in_eow: Signal<In, Bit>,
    pub in_err: Signal<In, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_index: Signal<Out, Bits<16>>,
    pub out_m: Signal<Out, Bits<8>>,
    pub out_eow: Signal<Out, Bit>,
    pub out_err: Signal<Out, Bit>,
    pub z_valid: Signal<Out, Bit>,
    pub z_ready: Signal<In, Bit>,
    pub z_value: Signal<Out, Signed<ZW>>,
    pub z_last: Signal<Out, Bit>,
    pub z_err: Signal<Out, Bit>,
    lanes: Vec<Lane<ZW>>,
    m_ext: ZeroExtend<8, 9>,
    j_ext: ZeroExtend<16, WEIGHT_ADDR_BITS>,
    // Integrate control.
    ib: RDff<Bit>,
    c: RDff<Bits<9>>,
    bias_pend: RDff<Bit>,
    int_done: RDff<Bit>,
    int_err: RDff<Bit>,
    pass_act: RDff<Bit>,
    pass_bias: RDff<Bit>,
    pass_event: RDff<Bit>,
    pass_tick: RDff<Bit>,
    pass_first: RDff<Bit>,
    g_r: RDff<Bits<16>>,
    wa_r: RDff<Bits<WEIGHT_ADDR_BITS>>,
    ex_valid: RDff<Bit>,
    ex_bias: RDff<Bit>,
    ex_event: RDff<Bit>,
    ex_tick: RDff<Bit>,
    ex_first: RDff<Bit>,
    ex_g: RDff<Bits<16>>,
    ex_fwd_s: RDff<Bit>,
    ex_fwd_v: RDff<Bit>,
    // Fire control.
    f_busy: RDff<Bit>,
    f_issue_done: RDff<Bit>,
    f_g: RDff<Bits<16>>,
    f_gbase: RDff<Bits<16>>,
    f_m: RDff<Bits<8>>,
    f_raddr: RDff<Bits<16>>,
    f_err: RDff<Bit>,
    rd_valid: RDff<Bit>,
    rd_base: RDff<Bits<16>>,
    rd_m: RDff<Bits<8>>,
    pend_base: RDff<Bits<16>>,
    pend_m: RDff<Bits<8>>,
    // Combinational intermediates.
    last_g: Signal<Local, Bit>,
    accept_event: Signal<Local, Bit>,
    accept_eow: Signal<Local, Bit>,
    found: Signal<Local, Bit>,
    more: Signal<Local, Bit>,
    sel: Signal<Local, Bits<16>>,
    zsel: Signal<Local, Signed<ZW>>,
    beat: Signal<Local, Bit>,
    pend_free: Signal<Local, Bit>,
    load: Signal<Local, Bit>,
    f_issue: Signal<Local, Bit>,
    drained: Signal<Local, Bit>,
    out_idx: Signal<Local, Bits<16>>,
    gmax_c: Constant<Bits<16>>,
    p_c: Constant<Bits<16>>,
    nlast_c: Constant<Bits<16>>,
    stride_c: Constant<Bits<WEIGHT_ADDR_BITS>>,
    fanin_c: Constant<Bits<WEIGHT_ADDR_BITS>>,
    t_c: Constant<Bits<9>>,
    tm1_c: Constant<Bits<8>>,
    one16: Constant<Bits<16>>,
    one9: Constant<Bits<9>>,
    one8: Constant<Bits<8>>,
    zero16: Constant<Bits<16>>,
    zero9: Constant<Bits<9>>,
    zero8: Constant<Bits<8>>,
    /// First tick of the fire window (0; 1 only under a test-only fault).
    m_start: Constant<Bits<8>>,
    zero_z: Constant<Signed<ZW>>,
    fires_c: Constant<Bit>,
    _p: usize,
}

impl<const ZW: usize> LayerStage<ZW> {
    /// A stage for `params` (validated here: panics with a message on a bad parameter).
    pub fn new(params: &StageParams) -> Self {
        assert!(
            [16, 24, 32, 40].contains(&ZW),
            "layer stage: ZW = {ZW} not in {{16, 24, 32, 40}}"
        );
        params.validate(ZW);
        let g = params.groups();
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            in_valid: Signal::default(),
            in_ready: Signal::default(),
            in_index: Signal::default(),
            in_m: Signal::default(),
            in_eow: Signal::default(),
            in_err: Signal::default(),
            out_valid: Signal::default(),
            out_ready: Signal::default(),
            out_index: Signal::default(),
            out_m: Signal::default(),
            out_eow: Signal::default(),
            out_err: Signal::default(),
            z_valid: Signal::default(),
            z_ready: Signal::default(),
            z_value: Signal::default(),
            z_last: Signal::default(),
            z_err: Signal::default(),
            lanes: (0..params.lanes).map(|p| Lane::new(params, p)).collect(),
            m_ext: ZeroExtend::new(),
            j_ext: ZeroExtend::new(),
            ib: RDff::default(),
            c: RDff::default(),
            bias_pend: RDff::new(true),
            int_done: RDff::default(),
            int_err: RDff::default(),
            pass_act: RDff::default(),
            pass_bias: RDff::default(),
            pass_event: RDff::default(),
            pass_tick: RDff::default(),
            pass_first: RDff::default(),
            g_r: RDff::default(),
            wa_r: RDff::default(),
            ex_valid: RDff::default(),
            ex_bias: RDff::default(),
            ex_event: RDff::default(),
            ex_tick: RDff::default(),
            ex_first: RDff::default(),
            ex_g: RDff::default(),
            ex_fwd_s: RDff::default(),
            ex_fwd_v: RDff::default(),
            f_busy: RDff::default(),
            f_issue_done: RDff::default(),
            f_g: RDff::default(),
            f_gbase: RDff::default(),
            f_m: RDff::default(),
            f_raddr: RDff::default(),
            f_err: RDff::default(),
            rd_valid: RDff::default(),
            rd_base: RDff::default(),
            rd_m: RDff::default(),
            pend_base: RDff::default(),
            pend_m: RDff::default(),
            last_g: Signal::default(),
            accept_event: Signal::default(),
            accept_eow: Signal::default(),
            found: Signal::default(),
            more: Signal::default(),
            sel: Signal::default(),
            zsel: Signal::default(),
            beat: Signal::default(),
            pend_free: Signal::default(),
            load: Signal::default(),
            f_issue: Signal::default(),
            drained: Signal::default(),
            out_idx: Signal::default(),
            gmax_c: Constant::new(bits(g as u64 - 1)),
            p_c: Constant::new(bits(params.lanes as u64)),
            nlast_c: Constant::new(bits(params.outputs as u64 - 1)),
            stride_c: Constant::new(bits(params.inputs as u64 + 1)),
            fanin_c: Constant::new(bits(params.inputs as u64)),
            t_c: Constant::new(bits(params.time_steps as u64)),
            tm1_c: Constant::new(bits(params.time_steps as u64 - 1)),
            one16: Constant::new(bits(1)),
            one9: Constant::new(bits(1)),
            one8: Constant::new(bits(1)),
            zero16: Constant::new(bits(0)),
            zero9: Constant::new(bits(0)),
            zero8: Constant::new(bits(0)),
            m_start: Constant::new(bits(params.window_start as u64)),
            zero_z: Constant::new(Signed::from(0i64)),
            fires_c: Constant::new(params.fires),
            _p: params.lanes,
        }
    }
}

impl<const ZW: usize> Logic for LayerStage<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            ib,
            c,
            bias_pend,
            int_done,
            int_err,
            pass_act,
            pass_bias,
            pass_event,
            pass_tick,
            pass_first,
            g_r,
            wa_r,
            ex_valid,
            ex_bias,
            ex_event,
            ex_tick,
            ex_first,
            ex_g,
            ex_fwd_s,
            ex_fwd_v,
            f_busy,
            f_issue_done,
            f_g,
            f_gbase,
            f_m,
            f_raddr,
            f_err,
            rd_valid,
            rd_base,
            rd_m,
            pend_base,
            pend_m
        );
        self.ib.rst.next = self.rst.val();
        self.c.rst.next = self.rst.val();
        self.bias_pend.rst.next = self.rst.val();
        self.int_done.rst.next = self.rst.val();
        self.int_err.rst.next = self.rst.val();
        self.pass_act.rst.next = self.rst.val();
        self.pass_bias.rst.next = self.rst.val();
        self.pass_event.rst.next = self.rst.val();
        self.pass_tick.rst.next = self.rst.val();
        self.pass_first.rst.next = self.rst.val();
        self.g_r.rst.next = self.rst.val();
        self.wa_r.rst.next = self.rst.val();
        self.ex_valid.rst.next = self.rst.val();
        self.ex_bias.rst.next = self.rst.val();
        self.ex_event.rst.next = self.rst.val();
        self.ex_tick.rst.next = self.rst.val();
        self.ex_first.rst.next = self.rst.val();
        self.ex_g.rst.next = self.rst.val();
        self.ex_fwd_s.rst.next = self.rst.val();
        self.ex_fwd_v.rst.next = self.rst.val();
        self.f_busy.rst.next = self.rst.val();
        self.f_issue_done.rst.next = self.rst.val();
        self.f_g.rst.next = self.rst.val();
        self.f_gbase.rst.next = self.rst.val();
        self.f_m.rst.next = self.rst.val();
        self.f_raddr.rst.next = self.rst.val();
        self.f_err.rst.next = self.rst.val();
        self.rd_valid.rst.next = self.rst.val();
        self.rd_base.rst.next = self.rst.val();
        self.rd_m.rst.next = self.rst.val();
        self.pend_base.rst.next = self.rst.val();
        self.pend_m.rst.next = self.rst.val();
        self.m_ext.x.next = self.in_m.val();
        self.j_ext.x.next = self.in_index.val();

        // ---------------- Integrate: pass issue ----------------
        self.last_g.next = self.g_r.q.val() == self.gmax_c.val();
        self.accept_event.next = false;
        self.accept_eow.next = false;
        if self.pass_act.q.val() & !self.last_g.val() {
            self.g_r.d.next = self.g_r.q.val() + self.one16.val();
            self.wa_r.d.next = self.wa_r.q.val() + self.stride_c.val();
        } else {
            self.pass_act.d.next = false;
            self.g_r.d.next = self.zero16.val();
            if !self.int_done.q.val() {
                if self.bias_pend.q.val() {
                    self.bias_pend.d.next = false;
                    self.pass_act.d.next = true;
                    self.pass_bias.d.next = true;
                    self.pass_event.d.next = false;
                    self.pass_tick.d.next = false;
                    self.wa_r.d.next = self.fanin_c.val();
                } else if self.in_valid.val()
                    & !self.in_eow.val()
                    & (self.m_ext.y.val() == self.c.q.val())
                {
                    self.accept_event.next = true;
                    self.pass_act.d.next = true;
                    self.pass_bias.d.next = false;
                    self.pass_event.d.next = true;
                    self.pass_tick.d.next = false;
                    self.wa_r.d.next = self.j_ext.y.val();
                } else if self.in_valid.val()
                    & (self.in_eow.val() | (self.m_ext.y.val() > self.c.q.val()))
                    & (self.c.q.val() != self.t_c.val())
                {
                    self.pass_act.d.next = true;
                    self.pass_bias.d.next = false;
                    self.pass_event.d.next = false;
                    self.pass_tick.d.next = true;
                    self.pass_first.d.next = self.c.q.val() == self.zero9.val();
                    self.c.d.next = self.c.q.val() + self.one9.val();
                } else if self.in_valid.val()
                    & self.in_eow.val()
                    & (self.c.q.val() == self.t_c.val())
                {
                    self.accept_eow.next = true;
                    self.int_done.d.next = true;
                    self.int_err.d.next = self.in_err.val();
                }
            }
        }
        self.in_ready.next = self.accept_event.val() | self.accept_eow.val();

        // ---------------- Integrate: execute stage ----------------
        self.ex_valid.d.next = self.pass_act.q.val();
        self.ex_bias.d.next = self.pass_bias.q.val();
        self.ex_event.d.next = self.pass_event.q.val();
        self.ex_tick.d.next = self.pass_tick.q.val();
        self.ex_first.d.next = self.pass_first.q.val();
        self.ex_g.d.next = self.g_r.q.val();
        // This cycle's write is invisible to this cycle's read of the same word: forward.
        self.ex_fwd_s.d.next = self.ex_valid.q.val()
            & (self.ex_bias.q.val() | self.ex_event.q.val())
            & self.pass_act.q.val()
            & (self.ex_g.q.val() == self.g_r.q.val());
        self.ex_fwd_v.d.next = self.ex_valid.q.val()
            & self.ex_tick.q.val()
            & self.pass_act.q.val()
            & (self.ex_g.q.val() == self.g_r.q.val());

        // ---------------- Fire / z output: serialiser ----------------
        self.found.next = false;
        self.more.next = false;
        self.sel.next = self.zero16.val();
        self.zsel.next = self.zero_z.val();
        for p in 0..self._p {
            if self.lanes[p].pend.val() {
                if self.found.val() {
                    self.more.next = true;
                } else {
                    self.found.next = true;
                    self.sel.next = self.lanes[p].idx.val();
                    self.zsel.next = self.lanes[p].z.val();
                }
            }
        }
        self.out_idx.next = self.pend_base.q.val() + self.sel.val();
        if self.fires_c.val() {
            self.beat.next = self.found.val() & self.out_ready.val();
        } else {
            self.beat.next = self.found.val() & self.z_ready.val();
        }
        self.pend_free.next = !self.found.val() | (self.beat.val() & !self.more.val());
        self.load.next = self.rd_valid.q.val() & self.pend_free.val();
        self.drained.next = !self.rd_valid.q.val() & !self.found.val();
        if self.fires_c.val() {
            self.f_issue.next = self.f_busy.q.val()
                & !self.f_issue_done.q.val()
                & (!self.rd_valid.q.val() | self.load.val());
        } else {
            self.f_issue.next =
                self.f_busy.q.val() & !self.f_issue_done.q.val() & self.drained.val();
        }
        if self.f_issue.val() {
            self.f_raddr.d.next = self.f_g.q.val();
            self.rd_valid.d.next = true;
            self.rd_base.d.next = self.f_gbase.q.val();
            self.rd_m.d.next = self.f_m.q.val();
            if self.f_g.q.val() == self.gmax_c.val() {
                self.f_g.d.next = self.zero16.val();
                self.f_gbase.d.next = self.zero16.val();
                if (self.f_m.q.val() == self.tm1_c.val()) | !self.fires_c.val() {
                    self.f_issue_done.d.next = true;
                } else {
                    self.f_m.d.next = self.f_m.q.val() + self.one8.val();
                }
            } else {
                self.f_g.d.next = self.f_g.q.val() + self.one16.val();
                self.f_gbase.d.next = self.f_gbase.q.val() + self.p_c.val();
            }
        } else if self.load.val() {
            self.rd_valid.d.next = false;
        }
        if self.load.val() {
            self.pend_base.d.next = self.rd_base.q.val();
            self.pend_m.d.next = self.rd_m.q.val();
        }
        for p in 0..self._p {
            self.lanes[p].clock.next = self.clock.val();
            self.lanes[p].rst.next = self.rst.val();
            self.lanes[p].w_raddr.next = self.wa_r.q.val();
            self.lanes[p].s_raddr.next = self.g_r.q.val();
            self.lanes[p].iv_raddr.next = self.g_r.q.val();
            if self.f_issue.val() {
                self.lanes[p].fv_raddr.next = self.f_g.q.val();
            } else {
                self.lanes[p].fv_raddr.next = self.f_raddr.q.val();
            }
            self.lanes[p].ib.next = self.ib.q.val();
            self.lanes[p].ex_s_we.next =
                self.ex_valid.q.val() & (self.ex_bias.q.val() | self.ex_event.q.val());
            self.lanes[p].ex_s_add.next = self.ex_event.q.val();
            self.lanes[p].ex_v_we.next = self.ex_valid.q.val() & self.ex_tick.q.val();
            self.lanes[p].ex_first.next = self.ex_first.q.val();
            self.lanes[p].ex_waddr.next = self.ex_g.q.val();
            self.lanes[p].fwd_s.next = self.ex_fwd_s.q.val();
            self.lanes[p].fwd_v.next = self.ex_fwd_v.q.val();
            self.lanes[p].m.next = self.rd_m.q.val();
            self.lanes[p].rd_base.next = self.rd_base.q.val();
            self.lanes[p].load.next = self.load.val();
            self.lanes[p].clear.next = self.beat.val();
            self.lanes[p].sel.next = self.sel.val();
        }

        // ---------------- Outputs ----------------
        self.out_valid.next = false;
        self.out_index.next = self.zero16.val();
        self.out_m.next = self.zero8.val();
        self.out_eow.next = false;
        self.out_err.next = false;
        self.z_valid.next = false;
        self.z_value.next = self.zero_z.val();
        self.z_last.next = false;
        self.z_err.next = false;
        if self.fires_c.val() {
            if self.found.val() {
                self.out_valid.next = true;
                self.out_index.next = self.out_idx.val();
                self.out_m.next = self.pend_m.q.val();
            } else if self.f_busy.q.val() & self.f_issue_done.q.val() & self.drained.val() {
                self.out_valid.next = true;
                self.out_eow.next = true;
                self.out_err.next = self.f_err.q.val();
                if self.out_ready.val() {
                    self.f_busy.d.next = false;
                }
            }
        } else {
            if self.found.val() {
                self.z_valid.next = true;
                self.z_value.next = self.zsel.val();
                self.z_last.next = self.out_idx.val() == self.nlast_c.val();
                self.z_err.next = self.f_err.q.val();
            }
            if self.f_busy.q.val() & self.f_issue_done.q.val() & self.drained.val() {
                self.f_busy.d.next = false;
            }
        }

        // ---------------- Bank swap ----------------
        if self.int_done.q.val() & !self.f_busy.q.val() {
            self.ib.d.next = !self.ib.q.val();
            self.int_done.d.next = false;
            self.c.d.next = self.zero9.val();
            self.bias_pend.d.next = true;
            self.f_busy.d.next = true;
            self.f_issue_done.d.next = false;
            self.f_g.d.next = self.zero16.val();
            self.f_gbase.d.next = self.zero16.val();
            self.f_m.d.next = self.m_start.val();
            self.f_err.d.next = self.int_err.q.val();
        }
    }
}
