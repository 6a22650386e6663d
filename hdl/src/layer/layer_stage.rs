//! `LayerStage<ZW>`: one event-driven, time-multiplexed layer stage (DESIGN §5): integrate the
//! input event stream into `z` on `P` lanes, then fire (spike events out) or stream `z` out;
//! the spike ticks are kept apart from the potentials so that the next sample integrates while
//! this one fires.

use crate::layer::weight_memory::{WeightLayout, WeightMemory, WeightStore, WEIGHT_ADDR_BITS};
use crate::layer::{Activation, Scale};
use crate::prim::{PackedRam, RDff, ZeroExtend};
use rust_hdl::prelude::*;

/// Address width of the stage's potential / tick memories (`G ≤ 2^16` rows).
pub const STATE_ADDR_BITS: usize = 16;

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
    /// `W`: bits of every weight and bias (two's complement, `2..=16`).
    pub weight_bits: usize,
    /// Bits of `V` (two's complement): every partial sum of `z` fits (DESIGN §2 bound).
    pub z_bits: usize,
    /// Keep `V` and the spike ticks in flip-flops instead of block RAM (tiny layers).
    pub state_in_logic: bool,
    /// Where the weights live: ROM initialised by the bitstream, or loaded RAM / SPRAM.
    pub store: WeightStore,
    /// `outputs × inputs`, row `i` = incoming weights of neuron `i` (each fits `W` bits).
    pub weights: Vec<Vec<i32>>,
    /// One bias per neuron (weight of the always-on input).
    pub bias: Vec<i32>,
    /// Prefix of the weight image files: column `c` is `<prefix>_c<c>.hex`.
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

    /// The weight memory layout (all lanes side by side, 16-bit columns).
    pub fn layout(&self) -> WeightLayout {
        WeightLayout {
            lanes: self.lanes,
            weight_bits: self.weight_bits,
            rows: (self.inputs + 1) * self.groups(),
        }
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

    /// The per-lane weight words (`lane_words(p)` for every lane).
    pub fn all_lane_words(&self) -> Vec<Vec<i32>> {
        (0..self.lanes).map(|p| self.lane_words(p)).collect()
    }

    /// The weight memory of the stage (simulation contents and, for a ROM, its images).
    pub fn weight_memory(&self) -> WeightMemory {
        WeightMemory::new(
            self.layout(),
            self.store,
            &self.all_lane_words(),
            &self.hex_prefix,
        )
    }

    /// The `$readmemh` images of the weight memory, `(file name, hex text)`, one per column
    /// (none when the weights are loaded through the stream).
    pub fn images(&self) -> Vec<(String, String)> {
        self.weight_memory().images()
    }

    /// The stage's part of the load image: for each row, its `C` column words.
    pub fn load_words(&self) -> Vec<u16> {
        let layout = self.layout();
        let cols = layout.pack(&self.all_lane_words());
        let mut out = Vec::with_capacity(layout.load_words());
        for a in 0..layout.rows {
            for col in &cols {
                out.push(col[a]);
            }
        }
        out
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
            self.groups() <= 1 << STATE_ADDR_BITS,
            "layer stage: G too large"
        );
        assert!(
            (2..=zw).contains(&self.z_bits),
            "layer stage: z_bits = {} not in 2..={zw}",
            self.z_bits
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
        let wb = self.weight_bits;
        assert!(
            (2..=16).contains(&wb),
            "layer stage: W = {wb} not in 2..=16"
        );
        let fits = |w: i32| (-(1 << (wb - 1))..(1 << (wb - 1))).contains(&w);
        assert!(
            self.weights.iter().flatten().all(|&w| fits(w)) && self.bias.iter().all(|&b| fits(b)),
            "layer stage: a weight does not fit {wb} bits"
        );
        if self.store == WeightStore::Spram {
            assert!(
                self.layout().rows <= 16384 && self.layout().columns() <= 4,
                "layer stage: SPRAM weights need ≤ 16384 rows and ≤ 4 columns"
            );
        }
        assert!(
            zw >= 8 + self.frac_bits + 2,
            "layer stage: ZW = {zw} < K + F + 2 = {}",
            10 + self.frac_bits
        );
    }
}

/// One lane: the integrate datapath (`V = w·T` for the bias, `V += w·(T − m)` per event, in
/// four register stages — weight, two half products, their sum, then add and write back, with
/// forwarding of the previous cycle's write when it hits the row being read) and the
/// fire/z-output slot (`pend`: this lane's neuron of the group being serialised). Its potential
/// and spike-tick words live in the stage's packed memories (`v_*`, `tk_*`).
///
/// Latency: 4 cycles from `w_in` to `v_out`. Cost: ~`2·z_bits + 17 + W·(K+1)` LUT4 on iCE40
/// (`z_bits + W + K + 1` fewer on ECP5, whose carry cells make their sum bits) and
/// ~`3·z_bits + 3·W + K + 16` flip-flops (the plan's cost model, calibrated by place-and-route).
#[derive(LogicBlock)]
pub struct Lane<const ZW: usize> {
    pub clock: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    /// This lane's weight of the row read last cycle (from the stage's [`WeightMemory`]);
    /// registered here, so the product stage sees it one cycle later.
    pub w_in: Signal<In, Signed<16>>,
    /// This lane's `V` of the row read last cycle.
    pub v_in: Signal<In, Signed<ZW>>,
    /// `V` to write (execute stage).
    pub v_out: Signal<Out, Signed<ZW>>,
    /// This lane's spike-tick word of the row read last cycle.
    pub tk_in: Signal<In, Bits<16>>,
    /// Spike-tick word of the `V` on `v_in` (`2^K + tick` when it fires, else 0).
    pub tk_out: Signal<Out, Bits<16>>,
    /// Ramp ticks of the pass in the product stage (`T` for the bias, `T − m` for an event).
    pub ex_k: Signal<In, Bits<9>>,
    /// The pass in the write-back stage is the bias pass (`V = w·T`, so `V` needs no clear).
    pub wb_first: Signal<In, Bit>,
    /// Write-back: take `V` from the previous write instead of the memory (same row).
    pub fwd_v: Signal<In, Bit>,
    /// Tick of the group whose fire word is on the read ports.
    pub m: Signal<In, Bits<8>>,
    /// `g·P` of that group.
    pub rd_base: Signal<In, Bits<16>>,
    pub load: Signal<In, Bit>,
    pub clear: Signal<In, Bit>,
    pub sel: Signal<In, Bits<16>>,
    pub pend: Signal<Out, Bit>,
    pub idx: Signal<Out, Bits<16>>,
    pub z: Signal<Out, Signed<ZW>>,
    scale_lo: Scale<ZW>,
    scale_hi: Scale<ZW>,
    act: Activation<ZW, 8, 9>,
    tick_ext: ZeroExtend<8, 16>,
    m_ext: ZeroExtend<8, 16>,
    v_fwd: RDff<Signed<ZW>>,
    w_r: RDff<Signed<16>>,
    lo_r: RDff<Signed<ZW>>,
    hi_r: RDff<Signed<ZW>>,
    prod_r: RDff<Signed<ZW>>,
    pend_r: RDff<Bit>,
    v_old: Signal<Local, Signed<ZW>>,
    v_new: Signal<Local, Signed<ZW>>,
    fires_now: Signal<Local, Bit>,
    hit: Signal<Local, Bit>,
    neuron: Signal<Local, Bits<16>>,
    idx_c: Constant<Bits<16>>,
    n_c: Constant<Bits<16>>,
    zmode_c: Constant<Bit>,
    tvalid_c: Constant<Bits<16>>,
    zero16: Constant<Bits<16>>,
}

impl<const ZW: usize> Lane<ZW> {
    fn new(params: &StageParams, p: usize) -> Self {
        let k = params.time_steps.trailing_zeros() as usize;
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            w_in: Signal::default(),
            v_in: Signal::default(),
            v_out: Signal::default(),
            tk_in: Signal::default(),
            tk_out: Signal::default(),
            ex_k: Signal::default(),
            wb_first: Signal::default(),
            fwd_v: Signal::default(),
            m: Signal::default(),
            rd_base: Signal::default(),
            load: Signal::default(),
            clear: Signal::default(),
            sel: Signal::default(),
            pend: Signal::default(),
            idx: Signal::default(),
            z: Signal::default(),
            scale_lo: Scale::part(params.weight_bits, k + 1, 0, (k + 2) / 2),
            scale_hi: Scale::part(params.weight_bits, k + 1, (k + 2) / 2, k + 1),
            act: Activation::with_ticks(params.frac_bits, params.time_steps),
            tick_ext: ZeroExtend::new(),
            m_ext: ZeroExtend::new(),
            v_fwd: RDff::default(),
            w_r: RDff::default(),
            lo_r: RDff::default(),
            hi_r: RDff::default(),
            prod_r: RDff::default(),
            pend_r: RDff::default(),
            v_old: Signal::default(),
            v_new: Signal::default(),
            fires_now: Signal::default(),
            hit: Signal::default(),
            neuron: Signal::default(),
            idx_c: Constant::new(bits(p as u64)),
            n_c: Constant::new(bits(params.outputs as u64)),
            zmode_c: Constant::new(!params.fires),
            tvalid_c: Constant::new(bits(params.time_steps as u64)),
            zero16: Constant::new(bits(0)),
        }
    }
}

impl<const ZW: usize> Logic for Lane<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, v_fwd, w_r, lo_r, hi_r, prod_r, pend_r);
        self.v_fwd.rst.next = self.rst.val();
        self.w_r.rst.next = self.rst.val();
        self.lo_r.rst.next = self.rst.val();
        self.hi_r.rst.next = self.rst.val();
        self.prod_r.rst.next = self.rst.val();
        self.pend_r.rst.next = self.rst.val();
        // Weight stage: the block RAM's output is registered next to it, so the long route
        // from the memory to the lane starts at a flip-flop (the DP16KD's clock-to-out is
        // 5.6 ns without its output register).
        self.w_r.d.next = self.w_in.val();
        // Product stages: the registered weight times the low and the high bits of the pass's
        // ramp ticks, registered, then their sum, registered (the shift-add, the sum and the
        // add → memory paths get a cycle each).
        self.scale_lo.w.next = self.w_r.q.val();
        self.scale_lo.k.next = self.ex_k.val();
        self.scale_hi.w.next = self.w_r.q.val();
        self.scale_hi.k.next = self.ex_k.val();
        self.lo_r.d.next = self.scale_lo.y.val();
        self.hi_r.d.next = self.scale_hi.y.val();
        self.prod_r.d.next = self.lo_r.q.val() + self.hi_r.q.val();
        // Write-back stage: `V` read last cycle is on `v_in`, or forwarded when that cycle's
        // write went to the same row (the memory's read of a row being written is not used).
        if self.fwd_v.val() {
            self.v_old.next = self.v_fwd.q.val();
        } else {
            self.v_old.next = self.v_in.val();
        }
        if self.wb_first.val() {
            self.v_new.next = self.prod_r.q.val();
        } else {
            self.v_new.next = self.v_old.val() + self.prod_r.q.val();
        }
        self.v_out.next = self.v_new.val();
        self.v_fwd.d.next = self.v_new.val();
        // Fire: the conversion pass decides each neuron's spike tick from `z = V` (the
        // Activation rule, bit-exact to DESIGN §2) into the tick memory; the sweeps read it.
        self.act.z.next = self.v_in.val();
        self.fires_now.next = self.act.fires.val() & self.act.q.val().any();
        self.tick_ext.x.next = self.act.tick.val();
        self.m_ext.x.next = self.m.val();
        if self.fires_now.val() {
            self.tk_out.next = self.tick_ext.y.val() + self.tvalid_c.val();
        } else {
            self.tk_out.next = self.zero16.val();
        }
        self.hit.next = self.tk_in.val() == (self.m_ext.y.val() + self.tvalid_c.val());
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
        self.z.next = self.v_in.val();
    }
}

/// One layer stage of the event-driven array (DESIGN §5), `ZW`-bit accumulators.
///
/// Micro-architecture: `P` [`Lane`]s, `G = ⌈N/P⌉` groups, neuron `i = g·P + p`. The stage's
/// [`WeightMemory`] holds row `g·(fan_in + 1) + j` = the lanes' weights from input `j` (so the
/// per-group address step is a constant add, no multiplier); two [`PackedRam`]s hold, per
/// group row, every lane's potential `V` (`z_bits` each) and spike-tick word (`K + 1` bits).
///
/// *Integrate*: passes of `G` cycles, one group per cycle on all lanes at once, pipelined
/// (issue the weight read, register the weight, two registered half products, their sum with
/// the `V` read, then add and write back) and back to back: the bias pass at sample start
/// (`V = b·T`, so `V` needs no clear) and one pass per event `V += w[j]·(T − m)` ([`Scale`]:
/// the ramp of DESIGN §5 summed in closed form), then `eow` ends the sample.
/// *Fire* (after integrate has consumed `eow` and the previous fire has finished): first a
/// conversion pass reads `z = V` row by row (`G` cycles) and writes each neuron's spike tick
/// (the [`Activation`] rule, bit-exact to DESIGN §2, saturating clamp at both ends) into the
/// tick memory; `V` is then free and the next sample integrates while this one fires. Then for
/// `m = 0..T-1`, `g = 0..G-1`: read the row's ticks, mark the lanes whose neuron fires at `m`
/// and serialise them lowest lane first onto `out_*`; one `eow` beat ends the sample. With
/// `fires = false` one sweep streams `z` in neuron order onto `z_*` instead (integrate waits
/// for it).
///
/// Cycles per sample: integrate `(events + 1)·G + 4` plus the conversion `G` (z output:
/// `N + 2G`), fire `G + 2·T·G + events_out + 2`; integrate and fire overlap.
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
    /// Weight load stream (loaded stores only): one 16-bit column word per beat, rows in
    /// order, columns in order within a row ([`WeightLayout`]).
    pub wl_valid: Signal<In, Bit>,
    pub wl_ready: Signal<Out, Bit>,
    pub wl_data: Signal<In, Bits<16>>,
    /// The weights are in place (always, for a ROM; after the last load word otherwise).
    pub loaded: Signal<Out, Bit>,
    wmem: WeightMemory,
    vram: PackedRam<Signed<ZW>>,
    tkram: PackedRam<Bits<16>>,
    lanes: Vec<Lane<ZW>>,
    m_ext: ZeroExtend<8, 9>,
    j_ext: ZeroExtend<16, WEIGHT_ADDR_BITS>,
    // Integrate control.
    bias_pend: RDff<Bit>,
    int_done: RDff<Bit>,
    int_err: RDff<Bit>,
    pass_act: RDff<Bit>,
    pass_bias: RDff<Bit>,
    pass_k: RDff<Bits<9>>,
    g_r: RDff<Bits<16>>,
    last_g_r: RDff<Bit>,
    wa_r: RDff<Bits<WEIGHT_ADDR_BITS>>,
    wr_valid: RDff<Bit>,
    wr_bias: RDff<Bit>,
    wr_k: RDff<Bits<9>>,
    wr_g: RDff<Bits<16>>,
    ex_valid: RDff<Bit>,
    ex_bias: RDff<Bit>,
    ex_k: RDff<Bits<9>>,
    ex_g: RDff<Bits<16>>,
    x2_valid: RDff<Bit>,
    x2_bias: RDff<Bit>,
    x2_g: RDff<Bits<16>>,
    wb_valid: RDff<Bit>,
    wb_bias: RDff<Bit>,
    wb_g: RDff<Bits<16>>,
    wb_fwd: RDff<Bit>,
    // Fire control.
    f_busy: RDff<Bit>,
    f_issue_done: RDff<Bit>,
    f_g: RDff<Bits<16>>,
    f_gbase: RDff<Bits<16>>,
    f_m: RDff<Bits<8>>,
    f_raddr: RDff<Bits<16>>,
    f_err: RDff<Bit>,
    /// The fire phase converts `V` into spike ticks (one row per cycle).
    f_conv: RDff<Bit>,
    /// A converted row is on `V`'s read port: write its ticks.
    conv_valid: RDff<Bit>,
    rd_valid: RDff<Bit>,
    rd_base: RDff<Bits<16>>,
    rd_m: RDff<Bits<8>>,
    pend_base: RDff<Bits<16>>,
    pend_m: RDff<Bits<8>>,
    // Output register (spike/eow beat or z beat): the next stage's handshake and the lanes'
    // priority select meet at a flip-flop instead of chaining through both stages.
    ob_valid: RDff<Bit>,
    ob_index: RDff<Bits<16>>,
    ob_m: RDff<Bits<8>>,
    ob_eow: RDff<Bit>,
    ob_err: RDff<Bit>,
    ob_z: RDff<Signed<ZW>>,
    ob_last: RDff<Bit>,
    take: Signal<Local, Bit>,
    // Weight loading.
    ld_addr: RDff<Bits<WEIGHT_ADDR_BITS>>,
    ld_col: RDff<Bits<8>>,
    ld_done: RDff<Bit>,
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
    /// The fire phase still needs `V`'s read port: integrate waits.
    v_busy: Signal<Local, Bit>,
    fire_raddr: Signal<Local, Bits<16>>,
    out_idx: Signal<Local, Bits<16>>,
    gmax_c: Constant<Bits<16>>,
    gmax_m1_c: Constant<Bits<16>>,
    g1_c: Constant<Bit>,
    p_c: Constant<Bits<16>>,
    nlast_c: Constant<Bits<16>>,
    stride_c: Constant<Bits<WEIGHT_ADDR_BITS>>,
    fanin_c: Constant<Bits<WEIGHT_ADDR_BITS>>,
    t_c: Constant<Bits<9>>,
    tm1_c: Constant<Bits<8>>,
    one16: Constant<Bits<16>>,
    one8: Constant<Bits<8>>,
    zero16: Constant<Bits<16>>,
    zero8: Constant<Bits<8>>,
    /// First tick of the fire window (0; 1 only under a test-only fault).
    m_start: Constant<Bits<8>>,
    zero_z: Constant<Signed<ZW>>,
    fires_c: Constant<Bit>,
    cmax_c: Constant<Bits<8>>,
    rmax_c: Constant<Bits<WEIGHT_ADDR_BITS>>,
    one_wa: Constant<Bits<WEIGHT_ADDR_BITS>>,
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
            wl_valid: Signal::default(),
            wl_ready: Signal::default(),
            wl_data: Signal::default(),
            loaded: Signal::default(),
            wmem: params.weight_memory(),
            vram: PackedRam::new(params.lanes, g, params.z_bits, true, params.state_in_logic),
            tkram: PackedRam::new(
                params.lanes,
                g,
                params.time_steps.trailing_zeros() as usize + 1,
                false,
                params.state_in_logic,
            ),
            lanes: (0..params.lanes).map(|p| Lane::new(params, p)).collect(),
            m_ext: ZeroExtend::new(),
            j_ext: ZeroExtend::new(),
            bias_pend: RDff::new(true),
            int_done: RDff::default(),
            int_err: RDff::default(),
            pass_act: RDff::default(),
            pass_bias: RDff::default(),
            pass_k: RDff::default(),
            g_r: RDff::default(),
            last_g_r: RDff::new(g == 1),
            wa_r: RDff::default(),
            wr_valid: RDff::default(),
            wr_bias: RDff::default(),
            wr_k: RDff::default(),
            wr_g: RDff::default(),
            ex_valid: RDff::default(),
            ex_bias: RDff::default(),
            ex_k: RDff::default(),
            ex_g: RDff::default(),
            x2_valid: RDff::default(),
            x2_bias: RDff::default(),
            x2_g: RDff::default(),
            wb_valid: RDff::default(),
            wb_bias: RDff::default(),
            wb_g: RDff::default(),
            wb_fwd: RDff::default(),
            f_busy: RDff::default(),
            f_issue_done: RDff::default(),
            f_g: RDff::default(),
            f_gbase: RDff::default(),
            f_m: RDff::default(),
            f_raddr: RDff::default(),
            f_err: RDff::default(),
            f_conv: RDff::default(),
            conv_valid: RDff::default(),
            rd_valid: RDff::default(),
            rd_base: RDff::default(),
            rd_m: RDff::default(),
            pend_base: RDff::default(),
            pend_m: RDff::default(),
            ob_valid: RDff::default(),
            ob_index: RDff::default(),
            ob_m: RDff::default(),
            ob_eow: RDff::default(),
            ob_err: RDff::default(),
            ob_z: RDff::default(),
            ob_last: RDff::default(),
            take: Signal::default(),
            ld_addr: RDff::default(),
            ld_col: RDff::default(),
            ld_done: RDff::new(!params.store.loadable()),
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
            v_busy: Signal::default(),
            fire_raddr: Signal::default(),
            out_idx: Signal::default(),
            gmax_c: Constant::new(bits(g as u64 - 1)),
            // `G − 2` (wraps for G = 1, where `g_r` never increments).
            gmax_m1_c: Constant::new(bits((g as u64).wrapping_sub(2) & 0xffff)),
            g1_c: Constant::new(g == 1),
            p_c: Constant::new(bits(params.lanes as u64)),
            nlast_c: Constant::new(bits(params.outputs as u64 - 1)),
            stride_c: Constant::new(bits(params.inputs as u64 + 1)),
            fanin_c: Constant::new(bits(params.inputs as u64)),
            t_c: Constant::new(bits(params.time_steps as u64)),
            tm1_c: Constant::new(bits(params.time_steps as u64 - 1)),
            one16: Constant::new(bits(1)),
            one8: Constant::new(bits(1)),
            zero16: Constant::new(bits(0)),
            zero8: Constant::new(bits(0)),
            m_start: Constant::new(bits(params.window_start as u64)),
            zero_z: Constant::new(Signed::from(0i64)),
            fires_c: Constant::new(params.fires),
            cmax_c: Constant::new(bits(params.layout().columns() as u64 - 1)),
            rmax_c: Constant::new(bits(params.layout().rows as u64 - 1)),
            one_wa: Constant::new(bits(1)),
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
            bias_pend,
            int_done,
            int_err,
            pass_act,
            pass_bias,
            pass_k,
            g_r,
            last_g_r,
            wa_r,
            wr_valid,
            wr_bias,
            wr_k,
            wr_g,
            ex_valid,
            ex_bias,
            ex_k,
            ex_g,
            x2_valid,
            x2_bias,
            x2_g,
            wb_valid,
            wb_bias,
            wb_g,
            wb_fwd,
            f_busy,
            f_issue_done,
            f_g,
            f_gbase,
            f_m,
            f_raddr,
            f_err,
            f_conv,
            conv_valid,
            rd_valid,
            rd_base,
            rd_m,
            pend_base,
            pend_m,
            ob_valid,
            ob_index,
            ob_m,
            ob_eow,
            ob_err,
            ob_z,
            ob_last,
            ld_addr,
            ld_col,
            ld_done
        );
        self.ld_addr.rst.next = self.rst.val();
        self.pass_k.rst.next = self.rst.val();
        self.ex_k.rst.next = self.rst.val();
        self.wr_valid.rst.next = self.rst.val();
        self.wr_bias.rst.next = self.rst.val();
        self.wr_k.rst.next = self.rst.val();
        self.wr_g.rst.next = self.rst.val();
        self.f_conv.rst.next = self.rst.val();
        self.conv_valid.rst.next = self.rst.val();
        self.ld_col.rst.next = self.rst.val();
        self.ld_done.rst.next = self.rst.val();
        self.bias_pend.rst.next = self.rst.val();
        self.int_done.rst.next = self.rst.val();
        self.int_err.rst.next = self.rst.val();
        self.pass_act.rst.next = self.rst.val();
        self.pass_bias.rst.next = self.rst.val();
        self.g_r.rst.next = self.rst.val();
        self.last_g_r.rst.next = self.rst.val();
        self.wa_r.rst.next = self.rst.val();
        self.ex_valid.rst.next = self.rst.val();
        self.ex_bias.rst.next = self.rst.val();
        self.ex_g.rst.next = self.rst.val();
        self.x2_valid.rst.next = self.rst.val();
        self.x2_bias.rst.next = self.rst.val();
        self.x2_g.rst.next = self.rst.val();
        self.wb_valid.rst.next = self.rst.val();
        self.wb_bias.rst.next = self.rst.val();
        self.wb_g.rst.next = self.rst.val();
        self.wb_fwd.rst.next = self.rst.val();
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
        self.ob_valid.rst.next = self.rst.val();
        self.ob_index.rst.next = self.rst.val();
        self.ob_m.rst.next = self.rst.val();
        self.ob_eow.rst.next = self.rst.val();
        self.ob_err.rst.next = self.rst.val();
        self.ob_z.rst.next = self.rst.val();
        self.ob_last.rst.next = self.rst.val();
        self.m_ext.x.next = self.in_m.val();
        self.j_ext.x.next = self.in_index.val();

        // ---------------- Weight memory and loading ----------------
        self.wmem.clock.next = self.clock.val();
        self.wmem.raddr.next = self.wa_r.q.val();
        self.wl_ready.next = !self.ld_done.q.val();
        self.wmem.we.next = self.wl_valid.val() & !self.ld_done.q.val();
        self.wmem.waddr.next = self.ld_addr.q.val();
        self.wmem.wcol.next = self.ld_col.q.val();
        self.wmem.wdata.next = self.wl_data.val();
        if self.wl_valid.val() & !self.ld_done.q.val() {
            if self.ld_col.q.val() == self.cmax_c.val() {
                self.ld_col.d.next = self.zero8.val();
                if self.ld_addr.q.val() == self.rmax_c.val() {
                    self.ld_done.d.next = true;
                } else {
                    self.ld_addr.d.next = self.ld_addr.q.val() + self.one_wa.val();
                }
            } else {
                self.ld_col.d.next = self.ld_col.q.val() + self.one8.val();
            }
        }
        self.loaded.next = self.ld_done.q.val();

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
        // The output register takes a beat when it is empty or being emptied.
        if self.fires_c.val() {
            self.take.next = !self.ob_valid.q.val() | self.out_ready.val();
        } else {
            self.take.next = !self.ob_valid.q.val() | self.z_ready.val();
        }
        self.beat.next = self.found.val() & self.take.val();
        self.pend_free.next = !self.found.val() | (self.beat.val() & !self.more.val());
        self.load.next = self.rd_valid.q.val() & self.pend_free.val();
        self.drained.next = !self.rd_valid.q.val() & !self.found.val();
        // V's read port belongs to the fire phase while it converts, and for the whole z output.
        self.v_busy.next = self.f_conv.q.val()
            | self.conv_valid.q.val()
            | (!self.fires_c.val() & self.f_busy.q.val());
        if self.fires_c.val() {
            // Sweeps start once every row's ticks are written (a tick read in the cycle of the
            // last write would see the old word when G = 1). A row is read only into an empty
            // read register (two cycles per row): issuing into one that the lanes take this
            // cycle would chain the select, the handshake and the memory's address.
            self.f_issue.next = self.f_busy.q.val()
                & !self.f_conv.q.val()
                & !self.conv_valid.q.val()
                & !self.f_issue_done.q.val()
                & !self.rd_valid.q.val();
        } else {
            self.f_issue.next =
                self.f_busy.q.val() & !self.f_issue_done.q.val() & self.drained.val();
        }
        // Conversion: one row of V per cycle → its lanes' spike ticks, written a cycle later.
        self.conv_valid.d.next = self.f_conv.q.val();
        if self.f_conv.q.val() {
            self.f_raddr.d.next = self.f_g.q.val();
            if self.f_g.q.val() == self.gmax_c.val() {
                self.f_g.d.next = self.zero16.val();
                self.f_conv.d.next = false;
            } else {
                self.f_g.d.next = self.f_g.q.val() + self.one16.val();
            }
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
        // V's read port: the fire phase while it needs it (v_busy), else integrate.
        if self.f_issue.val() | self.f_conv.q.val() {
            self.fire_raddr.next = self.f_g.q.val();
        } else {
            self.fire_raddr.next = self.f_raddr.q.val();
        }
        self.vram.clock.next = self.clock.val();
        self.tkram.clock.next = self.clock.val();
        if self.v_busy.val() {
            self.vram.raddr.next = self.fire_raddr.val();
        } else {
            self.vram.raddr.next = self.x2_g.q.val();
        }
        self.vram.we.next = self.wb_valid.q.val();
        self.vram.waddr.next = self.wb_g.q.val();
        self.tkram.raddr.next = self.fire_raddr.val();
        self.tkram.we.next = self.conv_valid.q.val();
        self.tkram.waddr.next = self.f_raddr.q.val();
        for p in 0..self._p {
            self.lanes[p].clock.next = self.clock.val();
            self.lanes[p].rst.next = self.rst.val();
            self.lanes[p].w_in.next = self.wmem.rdata[p].val();
            self.lanes[p].v_in.next = self.vram.rdata[p].val();
            self.vram.wdata[p].next = self.lanes[p].v_out.val();
            self.lanes[p].tk_in.next = self.tkram.rdata[p].val();
            self.tkram.wdata[p].next = self.lanes[p].tk_out.val();
            self.lanes[p].ex_k.next = self.ex_k.q.val();
            self.lanes[p].wb_first.next = self.wb_bias.q.val();
            self.lanes[p].fwd_v.next = self.wb_fwd.q.val();
            self.lanes[p].m.next = self.rd_m.q.val();
            self.lanes[p].rd_base.next = self.rd_base.q.val();
            self.lanes[p].load.next = self.load.val();
            self.lanes[p].clear.next = self.beat.val();
            self.lanes[p].sel.next = self.sel.val();
        }

        // ---------------- Integrate: pass issue ----------------
        // `g_r == G − 1`, kept in a register so the next stage's handshake (`in_ready`) starts
        // at flip-flops.
        self.last_g.next = self.last_g_r.q.val();
        self.accept_event.next = false;
        self.accept_eow.next = false;
        if self.pass_act.q.val() & !self.last_g.val() {
            self.g_r.d.next = self.g_r.q.val() + self.one16.val();
            self.last_g_r.d.next = self.g_r.q.val() == self.gmax_m1_c.val();
            self.wa_r.d.next = self.wa_r.q.val() + self.stride_c.val();
        } else {
            self.pass_act.d.next = false;
            self.g_r.d.next = self.zero16.val();
            self.last_g_r.d.next = self.g1_c.val();
            if !self.int_done.q.val() & self.ld_done.q.val() & !self.v_busy.val() {
                if self.bias_pend.q.val() {
                    self.bias_pend.d.next = false;
                    self.pass_act.d.next = true;
                    self.pass_bias.d.next = true;
                    self.pass_k.d.next = self.t_c.val();
                    self.wa_r.d.next = self.fanin_c.val();
                } else if self.in_valid.val() & !self.in_eow.val() {
                    self.accept_event.next = true;
                    self.pass_act.d.next = true;
                    self.pass_bias.d.next = false;
                    self.pass_k.d.next = self.t_c.val() - self.m_ext.y.val();
                    self.wa_r.d.next = self.j_ext.y.val();
                } else if self.in_valid.val() & self.in_eow.val() {
                    self.accept_eow.next = true;
                    self.int_done.d.next = true;
                    self.int_err.d.next = self.in_err.val();
                }
            }
        }
        self.in_ready.next = self.accept_event.val() | self.accept_eow.val();

        // ---------------- Integrate: execute stage ----------------
        self.wr_valid.d.next = self.pass_act.q.val();
        self.wr_bias.d.next = self.pass_bias.q.val();
        self.wr_k.d.next = self.pass_k.q.val();
        self.wr_g.d.next = self.g_r.q.val();
        self.ex_valid.d.next = self.wr_valid.q.val();
        self.ex_bias.d.next = self.wr_bias.q.val();
        self.ex_k.d.next = self.wr_k.q.val();
        self.ex_g.d.next = self.wr_g.q.val();
        // Pipeline: issue (weight read) → weight register → half products → product (V read)
        // → write-back (V write).
        self.x2_valid.d.next = self.ex_valid.q.val();
        self.x2_bias.d.next = self.ex_bias.q.val();
        self.x2_g.d.next = self.ex_g.q.val();
        self.wb_valid.d.next = self.x2_valid.q.val();
        self.wb_bias.d.next = self.x2_bias.q.val();
        self.wb_g.d.next = self.x2_g.q.val();
        // This cycle's write-back is invisible to this cycle's read of the same row: forward.
        self.wb_fwd.d.next = self.wb_valid.q.val()
            & self.x2_valid.q.val()
            & (self.wb_g.q.val() == self.x2_g.q.val());

        // ---------------- Outputs ----------------
        self.out_valid.next = self.fires_c.val() & self.ob_valid.q.val();
        self.out_index.next = self.ob_index.q.val();
        self.out_m.next = self.ob_m.q.val();
        self.out_eow.next = self.ob_eow.q.val();
        self.out_err.next = self.ob_err.q.val();
        self.z_valid.next = !self.fires_c.val() & self.ob_valid.q.val();
        self.z_value.next = self.ob_z.q.val();
        self.z_last.next = self.ob_last.q.val();
        self.z_err.next = self.ob_err.q.val();
        if self.take.val() {
            self.ob_valid.d.next = false;
            if self.found.val() {
                self.ob_valid.d.next = true;
                self.ob_index.d.next = self.out_idx.val();
                self.ob_m.d.next = self.pend_m.q.val();
                self.ob_eow.d.next = false;
                self.ob_err.d.next = !self.fires_c.val() & self.f_err.q.val();
                self.ob_z.d.next = self.zsel.val();
                self.ob_last.d.next = self.out_idx.val() == self.nlast_c.val();
            } else if self.f_busy.q.val() & self.f_issue_done.q.val() & self.drained.val() {
                // The sample's end: an eow beat (spikes), nothing (z output); V and the
                // tick memory are free.
                self.ob_valid.d.next = self.fires_c.val();
                self.ob_index.d.next = self.zero16.val();
                self.ob_m.d.next = self.zero8.val();
                self.ob_eow.d.next = true;
                self.ob_err.d.next = self.f_err.q.val();
                self.ob_last.d.next = false;
                self.f_busy.d.next = false;
            }
        }

        // ---------------- Fire start ----------------
        // The integrated sample moves to the fire phase once its last write-back is done; the
        // next one waits for `V` (v_busy).
        if self.int_done.q.val()
            & !self.f_busy.q.val()
            & !self.wr_valid.q.val()
            & !self.ex_valid.q.val()
            & !self.x2_valid.q.val()
            & !self.wb_valid.q.val()
        {
            self.int_done.d.next = false;
            self.bias_pend.d.next = true;
            self.f_busy.d.next = true;
            self.f_conv.d.next = self.fires_c.val();
            self.f_issue_done.d.next = false;
            self.f_g.d.next = self.zero16.val();
            self.f_gbase.d.next = self.zero16.val();
            self.f_m.d.next = self.m_start.val();
            self.f_err.d.next = self.int_err.q.val();
        }
    }
}
