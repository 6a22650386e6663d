//! `TtfsCore<ZW>`: the whole accelerator — encoder → layer stages → readout.

use crate::encoder::{BankIndex, BeatQueue, Encoder, TickMerge};
use crate::layer::{ConvStage, EventQueue, LayerStage, StageParams, WeightStore};
use crate::plan::{Design, Fault, MemoryKind, WeightSource};
use crate::prelude::*;
use crate::readout::Readout;
use crate::stream::{
    ClassOut, ConnectInputs, EventOut, EventTap, EventWire, FeatureIn, ZOut, ZSink,
};
use golden::model::Readout as ReadoutKind;

/// The accumulator widths a core can be built with (`ZW`).
pub const ZW_MENU: [usize; 4] = [16, 24, 32, 40];

/// The smallest `ZW` of [`ZW_MENU`] that holds every layer's `z` (`z_bits`) and the stage's
/// own minimum `10 + F`, or `None` when more than 40 bits are needed.
pub fn pick_zw(design: &Design) -> Option<usize> {
    let need = design
        .layers
        .iter()
        .map(|l| (l.z_bits as usize).max(10 + l.frac_bits as usize))
        .max()
        .unwrap_or(16);
    ZW_MENU.iter().copied().find(|&zw| zw >= need)
}

/// Where layer `k`'s weights live: SPRAM when the plan put them there (UP5K), a loaded RAM
/// for `--weights runtime`, else a ROM initialised by the bitstream.
pub fn weight_store(design: &Design, k: usize) -> WeightStore {
    match (design.layers[k].weight_memory, design.options.weights) {
        (MemoryKind::Spram, _) => WeightStore::Spram,
        (_, WeightSource::Runtime) => WeightStore::Ram,
        _ => WeightStore::Rom,
    }
}

/// The stage parameters of stage `k` (0-based) of `design`; memory files are named
/// `<prefix>l<l>_c<c>.hex` after the stage's layer number `l`.
pub fn stage_params(design: &Design, k: usize, prefix: &str) -> StageParams {
    let plan = &design.layers[k];
    let layer = &design.model.layers[plan.layer - 1];
    StageParams {
        outputs: plan.outputs,
        inputs: plan.inputs,
        lanes: plan.lanes,
        time_steps: design.time_steps as usize,
        frac_bits: plan.frac_bits as usize,
        fires: plan.fires,
        weight_bits: plan.weight_bits as usize,
        z_bits: plan.z_bits as usize,
        state_in_logic: plan.state_memory == MemoryKind::Registers,
        store: weight_store(design, k),
        weights: layer
            .weights
            .rows()
            .into_iter()
            .map(|r| r.to_vec())
            .collect(),
        bias: layer.bias.clone(),
        hex_prefix: format!("{prefix}l{}", plan.layer),
        window_start: usize::from(k == 0 && design.options.fault == Some(Fault::WindowOffByOne)),
        conv: plan.conv.clone(),
        event_queue: plan.event_queue,
        coords_in_logic: plan.coords_in_logic,
        v_read_registered: design.options.target.family() == Some(crate::target::Family::Ecp5),
        lean_control: design.options.target.family() != Some(crate::target::Family::Ecp5),
        events_per_cycle: plan.events_per_cycle,
        input_streams: if k == 0 { design.encoder_streams } else { 1 },
    }
}

/// The elaboration step, plan → block parameters: every layer's [`StageParams`], in order.
/// Generation, the load image and the board wrapper build from its result.
pub fn elaborate(design: &Design, prefix: &str) -> Vec<StageParams> {
    (0..design.layers.len())
        .map(|k| stage_params(design, k, prefix))
        .collect()
}

/// The accelerator core (DESIGN §4, §5) with `ZW`-bit potentials: [`Encoder`] → one
/// [`LayerStage`] per layer (event streams chained, each stage handshaking with its
/// neighbours) → [`Readout`] (potential: the last stage's `z` stream; first spike: its
/// events) with its output FIFO.
///
/// Ports (rust-hdl names; the generator's ANSI wrapper `ttfs_top` names them as DESIGN §4
/// does, `clock` → `clk`, `s.valid` → `s_valid`, …, and narrows `s_data` to `input_bits`,
/// `m_class` to `class_bits`): `clock`, `rst`, `s` ([`FeatureIn`]: `valid`, `ready`, `data`
/// `Bits<16>`, `last`), `m` ([`ClassOut`]: `valid`, `ready`, `class` `Bits<16>`, `error`), the
/// weight-load stream `w_valid` (in), `w_ready` (out), `w_data` (in, `Bits<16>`) (the wrapper
/// exposes it only when a stage loads its weights; it ties `w_valid` low otherwise). The load
/// image is the stages' [`StageParams::load_words`] in layer order, loaded stages only; until
/// it is all in, `s.ready` stays low.
#[derive(LogicBlock)]
pub struct TtfsCore<const ZW: usize> {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// Raw features (DESIGN §4 `s_*`).
    pub s: FeatureIn<16>,
    /// Class and framing error of each sample (DESIGN §4 `m_*`).
    pub m: ClassOut,
    /// Weight load stream: a word is offered.
    pub w_valid: Input<Bit>,
    /// Weight load stream: taken.
    pub w_ready: Output<Bit>,
    /// Weight load stream: one 16-bit column word.
    pub w_data: Input<Bits16>,
    /// Every stage has its weights.
    pub loaded: Output<Bit>,
    /// Trace taps (`--trace` only, else none): the encoder's stream, then each firing
    /// dense stage's output, in layer order.
    pub trace: Vec<EventTap>,
    /// The second event of a cycle into the first stage (`--trace` with two encoder streams
    /// only, else none): [`Design::encoder_streams`].
    pub trace2: Vec<EventTap>,
    /// Trace taps of the conv stages (`--trace` only), in layer order; they come before the
    /// dense stages' in the event chain.
    pub conv_trace: Vec<EventTap>,
    /// Features of beat slots `1..K` (DESIGN §4 revision 2, `K = input_lanes`; empty for one
    /// feature per beat, whose only slot is `s.data`): slot `k + 1`, zero-extended. A padding
    /// slot of the beat that closes a sample must read 0 (`ttfs_top` zeroes it): its bank
    /// counts it like any feature, so that every bank frames the beats as the stream does,
    /// and a 0 never spikes.
    pub s_slot: Vec<Input<Bits16>>,
    /// Layer 0 (with `K > 1`: the wide encoder's bank 0, slot 0 of every beat).
    pub encoder: Encoder,
    /// The wide encoder's banks `1..K`: bank `k` sorts slot `k` of every beat, features
    /// `j = i·K + k`, in its own lists, so `K` features enter per cycle.
    banks: Vec<Encoder>,
    /// Bank `k`'s local index `i` → `j` (all `K` banks; none with one bank).
    bank_index: Vec<BankIndex>,
    /// The chain that merges the banks' streams in tick order: merge 0 takes banks 0 and 1,
    /// merge `i` merge `i − 1` and bank `i + 1`; the last one feeds the first stage. With two
    /// encoder streams, two chains: merges `0..h−1` over banks `0..h` (`h = ⌊K/2⌋`), as
    /// above, into the first stage's `ev_in`, and merges `h−1..K−2` over banks `h..K`
    /// (merge `h − 1` takes banks `h` and `h + 1`, merge `i` merge `i − 1` and bank `i + 2`)
    /// into its `ev_in2`.
    merges: Vec<TickMerge>,
    /// A queue after each bank's `BankIndex` ([`Design::bank_queue_depth`]; none without).
    bank_queues: Vec<EventQueue>,
    /// `rdy[k]`: banks `0..=k` take a beat (a beat enters all banks in the same cycle); with
    /// beat queues, the queues of banks `0..=k` have room.
    rdy: Vec<Wire<Bit>>,
    /// With two encoder streams, a queue before each bank ([`BeatQueue`]; none otherwise): the
    /// banks take each beat at their own pace, and `s_ready` is `beat_ready`, a register.
    beat_queues: Vec<BeatQueue>,
    beat_ready: Vec<RDff<Bit>>,
    /// The conv stages (first in the chain; empty for a dense model).
    pub convs: Vec<ConvStage<ZW>>,
    /// The dense stages.
    pub stages: Vec<LayerStage<ZW>>,
    /// Class of each sample.
    pub readout: Readout<ZW>,
    /// Stage `i` → stage `i + 1`.
    links: Vec<EventWire>,
    /// Conv stage `i` → the next stage (conv or the first dense one).
    conv_links: Vec<EventWire>,
    /// Sinks of the conv stages' unused `z` streams.
    conv_z_sinks: Vec<ZSink<ZW>>,
    /// `loaded` of conv stages `0..=i` (prefix AND); the last one opens the dense chain's.
    conv_ld: Vec<Wire<Bit>>,
    /// Sinks of the inner stages' unused `z` streams.
    z_sinks: Vec<ZSink<ZW>>,
    /// `loaded` of stages `0..i` (prefix AND), combinational.
    ld_prefix: Vec<Wire<Bit>>,
    _n: usize,
    _np1: usize,
    _links: usize,
    /// Trace taps: the encoder's (0 or 1), the firing stages' (0 or their count).
    _enc_tap: usize,
    _stage_taps: usize,
    /// Conv stages, `− 1` (saturating), and 0/1 switches of where the encoder's
    /// stream goes; conv taps.
    _nc: usize,
    _nc_m1: usize,
    _enc_to_conv: usize,
    _enc_to_dense: usize,
    /// The chain starts with a conv stage (1) or a dense one (`_dense_first`).
    _conv_first: usize,
    _dense_first: usize,
    _conv_taps: usize,
    /// Wide encoder (0/1 switches): present, its stream to a conv or a dense stage, its tap;
    /// banks beyond the first (`K − 1`, also the merges), `K − 2` (the last merge).
    _wide: usize,
    _wide_to_conv: usize,
    _wide_to_dense: usize,
    _wide_tap: usize,
    _nb: usize,
    _nb_end: usize,
    /// Beat queues (0/1 switches): present, or the wide encoder without them; the end of the
    /// `rdy` chain with them (`K − 1.._fan_end`).
    _fan: usize,
    _direct: usize,
    _fan_end: usize,
    /// Bank queues (0/1 switches): present, absent (wide encoder only).
    _bq: usize,
    _no_bq: usize,
    /// Merge wiring, as ranges of merge indices (see `merges`): merges whose `b` is bank
    /// `i + 1` (`_nb_a`), links `merge i − 1 → merge i` of the first chain (`1.._link_a`),
    /// the single chain's end (`_fin0.._fin1`); with two streams (else empty): the second
    /// chain's head (`_hb0.._hb1`), its merges whose `b` is bank `i + 2` (`_mb0.._mb1`), its
    /// links (`_lb0.._lb1`), and the two chains' ends (`_fa0.._fa1`, `_fb0.._fb1`).
    _nb_a: usize,
    _link_a: usize,
    _fin0: usize,
    _fin1: usize,
    _hb0: usize,
    _hb1: usize,
    _mb0: usize,
    _mb1: usize,
    _lb0: usize,
    _lb1: usize,
    _fa0: usize,
    _fa1: usize,
    _fb0: usize,
    _fb1: usize,
    /// Taps of the two streams' pair merge (0/1).
    _pair_tap: usize,
    _images: Vec<(String, String)>,
}

impl<const ZW: usize> TtfsCore<ZW> {
    /// The core of `design`; memory image files are named `<prefix>l<k>_w<p>.hex`.
    /// Panics if `ZW` is not in the menu or too narrow for a layer (use [`pick_zw`]).
    pub fn new(design: &Design, prefix: &str) -> Self {
        Self::from_params(design, &elaborate(design, prefix))
    }

    /// The core of `design` from its elaborated stage parameters ([`elaborate`]).
    pub fn from_params(design: &Design, params: &[StageParams]) -> Self {
        assert!(
            ZW_MENU.contains(&ZW),
            "ttfs core: ZW = {ZW} not in the menu"
        );
        let zw = pick_zw(design).expect("a ZW of the menu");
        assert!(ZW >= zw, "ttfs core: ZW = {ZW} < {zw} needed");
        assert_eq!(
            params.len(),
            design.layers.len(),
            "ttfs core: one StageParams per stage"
        );
        let nc = params.iter().take_while(|p| p.conv.is_some()).count();
        let n = params.len() - nc;
        assert!(n >= 1, "ttfs core: no dense stage");
        assert!(
            params[nc..].iter().all(|p| p.conv.is_none()),
            "ttfs core: conv stages come first"
        );
        let images = params.iter().flat_map(|p| p.images()).collect();
        let firing = design.layers[nc..].iter().filter(|l| l.fires).count();
        let taps = if design.options.trace { 1 + firing } else { 0 };
        let conv_taps = if design.options.trace { nc } else { 0 };
        // With `K` features per beat, `K` banks of `⌈N/K⌉` features each.
        let k = design.input_lanes.max(1);
        let wide = usize::from(k > 1);
        let bank_inputs = design.inputs.div_ceil(k);
        let lut_ram = wide == 1 && design.options.target.has_lut_ram();
        let bq = usize::from(wide == 1 && design.bank_queue_depth > 0);
        let bank =
            || Encoder::with_lists(bank_inputs, design.input_bits, design.time_steps, lut_ram);
        // Two streams: banks `0..h` and `h..k`, each at least two (the planner's rule).
        let two = usize::from(wide == 1 && design.encoder_streams == 2);
        assert!(
            two == 0 || (k >= 4 && nc == 0),
            "ttfs core: two encoder streams need 4 or more banks and a dense first stage"
        );
        // Beat queues go with two streams, the designs whose banks spread widest.
        let direct = wide * (1 - two);
        let h = k / 2;
        let merges = if two == 1 { k - 2 } else { k - 1 };
        let pair_tap = two * taps.min(1);
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            s: FeatureIn::default(),
            m: ClassOut::default(),
            w_valid: Signal::default(),
            w_ready: Signal::default(),
            w_data: Signal::default(),
            loaded: Signal::default(),
            s_slot: (1..k).map(|_| Signal::default()).collect(),
            encoder: bank(),
            banks: (1..k).map(|_| bank()).collect(),
            bank_index: (0..k * wide).map(|b| BankIndex::new(k, b)).collect(),
            merges: (0..merges).map(|_| TickMerge::new()).collect(),
            // (With one stream `h` may be 0: the two-stream ranges are empty, `two · …`.)
            _nb_a: if two == 1 { h - 1 } else { k - 1 },
            _link_a: if two == 1 { h - 1 } else { k - 1 },
            _fin0: if two == 1 { 0 } else { k.saturating_sub(2) },
            _fin1: if two == 1 { 0 } else { k - 1 },
            _hb0: two * h.saturating_sub(1),
            _hb1: two * h,
            _mb0: two * h.saturating_sub(1),
            _mb1: two * k.saturating_sub(2),
            _lb0: two * h,
            _lb1: two * k.saturating_sub(2),
            _fa0: two * h.saturating_sub(2),
            _fa1: two * h.saturating_sub(1),
            _fb0: two * k.saturating_sub(3),
            _fb1: two * k.saturating_sub(2),
            _pair_tap: pair_tap,
            bank_queues: (0..k * bq)
                .map(|_| EventQueue::new(design.bank_queue_depth))
                .collect(),
            _bq: bq,
            _no_bq: 1 - bq,
            rdy: (0..k * wide).map(|_| Signal::default()).collect(),
            beat_queues: (0..k * two).map(|_| BeatQueue::default()).collect(),
            beat_ready: (0..two).map(|_| RDff::default()).collect(),
            _fan: two,
            _direct: direct,
            _fan_end: k - 1 + two,
            _wide: wide,
            _wide_to_conv: nc.min(1) * wide,
            _wide_to_dense: usize::from(nc == 0) * wide,
            _wide_tap: taps.min(1) * wide * (1 - two),
            _nb: k - 1,
            _nb_end: k - 1 + direct,
            convs: params[..nc].iter().map(ConvStage::new).collect(),
            stages: params[nc..].iter().map(LayerStage::new).collect(),
            readout: Readout::new(design.readout == ReadoutKind::FirstSpike),
            trace: (0..taps).map(|_| EventTap::default()).collect(),
            trace2: (0..pair_tap).map(|_| EventTap::default()).collect(),
            conv_trace: (0..conv_taps).map(|_| EventTap::default()).collect(),
            conv_links: (0..nc).map(|_| EventWire::default()).collect(),
            conv_z_sinks: (0..nc).map(|_| ZSink::default()).collect(),
            conv_ld: (0..nc).map(|_| Signal::default()).collect(),
            _nc: nc,
            _nc_m1: nc.saturating_sub(1),
            _conv_first: nc.min(1),
            _dense_first: usize::from(nc == 0),
            _enc_to_conv: nc.min(1) * (1 - wide),
            _enc_to_dense: usize::from(nc == 0) * (1 - wide),
            _conv_taps: conv_taps,
            links: (1..n).map(|_| EventWire::default()).collect(),
            z_sinks: (1..n).map(|_| ZSink::default()).collect(),
            ld_prefix: (0..=n).map(|_| Signal::default()).collect(),
            _n: n,
            _np1: n + 1,
            _links: n - 1,
            _enc_tap: taps.min(1) * (1 - wide),
            _stage_taps: taps.saturating_sub(1),
            _images: images,
        }
    }

    /// The `$readmemh` files of the weight memories: `(file name, contents)`.
    pub fn images(&self) -> &[(String, String)] {
        &self._images
    }

    /// Marks the external inputs as driven and connects everything (before simulation or
    /// generation).
    pub fn connect_inputs(&mut self) {
        self.clock.connect();
        self.rst.connect();
        self.s.connect_inputs();
        for slot in &mut self.s_slot {
            slot.connect();
        }
        self.m.connect_inputs();
        self.w_valid.connect();
        self.w_data.connect();
        self.connect_all();
    }
}

impl<const ZW: usize> Logic for TtfsCore<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, encoder, readout);
        self.encoder.rst.next = self.rst.val();
        self.readout.rst.next = self.rst.val();
        // Weight loading: stages take the load stream in layer order, each until it has its
        // whole image (a ROM stage is loaded from reset and takes nothing). Samples wait.
        // The conv stages load first (`conv_ld[i]`: conv stages `0..=i` are loaded).
        for i in 0..self._dense_first {
            self.ld_prefix[i].next = true;
        }
        self.w_ready.next = false;
        for i in 0..self._nc {
            self.convs[i].clock.next = self.clock.val();
            self.convs[i].rst.next = self.rst.val();
            self.convs[i].wl.data.next = self.w_data.val();
        }
        for i in 0..self._conv_first {
            self.convs[i].wl.valid.next = self.w_valid.val();
            if self.convs[i].wl.ready.val() {
                self.w_ready.next = true;
            }
            self.conv_ld[i].next = self.convs[i].loaded.val();
        }
        for i in 1..self._nc {
            self.convs[i].wl.valid.next = self.w_valid.val() & self.conv_ld[i - 1].val();
            if self.conv_ld[i - 1].val() & self.convs[i].wl.ready.val() {
                self.w_ready.next = true;
            }
            self.conv_ld[i].next = self.conv_ld[i - 1].val() & self.convs[i].loaded.val();
        }
        for i in self._nc_m1..self._nc {
            self.ld_prefix[0].next = self.conv_ld[i].val();
        }
        for i in 0..self._n {
            self.stages[i].clock.next = self.clock.val();
            self.stages[i].rst.next = self.rst.val();
            self.stages[i].wl.valid.next = self.w_valid.val() & self.ld_prefix[i].val();
            self.stages[i].wl.data.next = self.w_data.val();
            if self.ld_prefix[i].val() & self.stages[i].wl.ready.val() {
                self.w_ready.next = true;
            }
            self.ld_prefix[i + 1].next = self.ld_prefix[i].val() & self.stages[i].loaded.val();
        }
        for i in self._n..self._np1 {
            self.loaded.next = self.ld_prefix[i].val();
        }
        // No feature is taken before every weight is in.
        self.encoder.s.valid.next = self.s.valid.val() & self.loaded.val();
        self.encoder.s.data.next = self.s.data.val();
        self.encoder.s.last.next = self.s.last.val();
        self.s.ready.next = self.encoder.s.ready.val() & self.loaded.val();
        // The wide encoder: a beat enters every bank in the same cycle, when all can take it …
        for i in 0..self._direct {
            self.rdy[i].next = self.encoder.s.ready.val();
        }
        for i in 0..self._fan {
            self.rdy[i].next = self.beat_queues[i].room.val();
        }
        for i in 0..self._nb {
            for _d in 0..self._direct {
                self.rdy[i + 1].next = self.rdy[i].val() & self.banks[i].s.ready.val();
            }
            for _f in 0..self._fan {
                self.rdy[i + 1].next = self.rdy[i].val() & self.beat_queues[i + 1].room.val();
            }
            self.banks[i].clock.next = self.clock.val();
            self.banks[i].rst.next = self.rst.val();
            self.banks[i].s.data.next = self.s_slot[i].val();
            self.banks[i].s.last.next = self.s.last.val();
        }
        // … or enters every bank's queue when all had room, each bank popping at its own pace.
        for i in self._nb..self._fan_end {
            for f in 0..self._fan {
                self.beat_ready[f].clock.next = self.clock.val();
                self.beat_ready[f].rst.next = self.rst.val();
                self.beat_ready[f].d.next = self.rdy[i].val() & self.loaded.val();
                self.s.ready.next = self.beat_ready[f].q.val();
            }
        }
        // Queue 0 feeds bank 0 (`encoder`) from slot 0; queue `b + 1` bank `b + 1` from its slot.
        for f in 0..self._fan {
            self.beat_queues[f].clock.next = self.clock.val();
            self.beat_queues[f].rst.next = self.rst.val();
            self.beat_queues[f].push.next = self.s.valid.val() & self.beat_ready[f].q.val();
            self.beat_queues[f].data.next = self.s.data.val();
            self.beat_queues[f].last.next = self.s.last.val();
            self.encoder.s.valid.next = self.beat_queues[f].m_valid.val();
            self.encoder.s.data.next = self.beat_queues[f].m_data.val();
            self.encoder.s.last.next = self.beat_queues[f].m_last.val();
            self.beat_queues[f].m_ready.next = self.encoder.s.ready.val();
        }
        for b in 0..self._nb {
            for f in 0..self._fan {
                self.beat_queues[b + 1].clock.next = self.clock.val();
                self.beat_queues[b + 1].rst.next = self.rst.val();
                self.beat_queues[b + 1].push.next = self.s.valid.val() & self.beat_ready[f].q.val();
                self.beat_queues[b + 1].data.next = self.s_slot[b].val();
                self.beat_queues[b + 1].last.next = self.s.last.val();
                self.banks[b].s.valid.next = self.beat_queues[b + 1].m_valid.val();
                self.banks[b].s.data.next = self.beat_queues[b + 1].m_data.val();
                self.banks[b].s.last.next = self.beat_queues[b + 1].m_last.val();
                self.beat_queues[b + 1].m_ready.next = self.banks[b].s.ready.val();
            }
        }
        for i in self._nb..self._nb_end {
            self.s.ready.next = self.rdy[i].val() & self.loaded.val();
            self.encoder.s.valid.next = self.s.valid.val() & self.loaded.val() & self.rdy[i].val();
            for b in 0..self._nb {
                self.banks[b].s.valid.next =
                    self.s.valid.val() & self.loaded.val() & self.rdy[i].val();
            }
        }
        // The event streams: encoder → stage 0 → … → the last stage → readout (both of its
        // streams; the readout takes the one of its kind). Inner stages' z streams are unused.
        for i in 0..self._enc_to_conv {
            EventOut::join(&mut self.encoder.ev_out, &mut self.convs[i].ev_in);
        }
        for i in 0..self._enc_to_dense {
            EventOut::join(&mut self.encoder.ev_out, &mut self.stages[i].ev_in);
        }
        for i in 0..self._nc_m1 {
            EventOut::join(&mut self.convs[i].ev_out, &mut self.conv_links[i].ev_in);
            EventOut::join(&mut self.conv_links[i].ev_out, &mut self.convs[i + 1].ev_in);
        }
        for i in 0..self._wide {
            EventOut::join(&mut self.encoder.ev_out, &mut self.bank_index[i].ev_in);
            for _q in 0..self._no_bq {
                EventOut::join(&mut self.bank_index[i].ev_out, &mut self.merges[i].a);
            }
            for _q in 0..self._bq {
                self.bank_queues[i].clock.next = self.clock.val();
                self.bank_queues[i].rst.next = self.rst.val();
                EventOut::join(
                    &mut self.bank_index[i].ev_out,
                    &mut self.bank_queues[i].ev_in,
                );
                EventOut::join(&mut self.bank_queues[i].ev_out, &mut self.merges[i].a);
            }
        }
        for i in 0..self._nb_a {
            self.merges[i].clock.next = self.clock.val();
            self.merges[i].rst.next = self.rst.val();
            EventOut::join(&mut self.banks[i].ev_out, &mut self.bank_index[i + 1].ev_in);
            for _q in 0..self._no_bq {
                EventOut::join(&mut self.bank_index[i + 1].ev_out, &mut self.merges[i].b);
            }
            for _q in 0..self._bq {
                self.bank_queues[i + 1].clock.next = self.clock.val();
                self.bank_queues[i + 1].rst.next = self.rst.val();
                EventOut::join(
                    &mut self.bank_index[i + 1].ev_out,
                    &mut self.bank_queues[i + 1].ev_in,
                );
                EventOut::join(&mut self.bank_queues[i + 1].ev_out, &mut self.merges[i].b);
            }
        }
        for i in 1..self._link_a {
            self.merges[i].a.valid.next = self.merges[i - 1].ev_out.valid.val();
            self.merges[i - 1].ev_out.ready.next = self.merges[i].a.ready.val();
            self.merges[i].a.index.next = self.merges[i - 1].ev_out.index.val();
            self.merges[i].a.m.next = self.merges[i - 1].ev_out.m.val();
            self.merges[i].a.eow.next = self.merges[i - 1].ev_out.eow.val();
            self.merges[i].a.err.next = self.merges[i - 1].ev_out.err.val();
        }
        // Two streams: the second chain's head merge takes bank `h` (`banks[h − 1]`) on `a`.
        for i in self._hb0..self._hb1 {
            EventOut::join(&mut self.banks[i].ev_out, &mut self.bank_index[i + 1].ev_in);
            for _q in 0..self._no_bq {
                EventOut::join(&mut self.bank_index[i + 1].ev_out, &mut self.merges[i].a);
            }
            for _q in 0..self._bq {
                self.bank_queues[i + 1].clock.next = self.clock.val();
                self.bank_queues[i + 1].rst.next = self.rst.val();
                EventOut::join(
                    &mut self.bank_index[i + 1].ev_out,
                    &mut self.bank_queues[i + 1].ev_in,
                );
                EventOut::join(&mut self.bank_queues[i + 1].ev_out, &mut self.merges[i].a);
            }
        }
        // … and its merges take bank `i + 2` (`banks[i + 1]`) on `b`.
        for i in self._mb0..self._mb1 {
            self.merges[i].clock.next = self.clock.val();
            self.merges[i].rst.next = self.rst.val();
            EventOut::join(
                &mut self.banks[i + 1].ev_out,
                &mut self.bank_index[i + 2].ev_in,
            );
            for _q in 0..self._no_bq {
                EventOut::join(&mut self.bank_index[i + 2].ev_out, &mut self.merges[i].b);
            }
            for _q in 0..self._bq {
                self.bank_queues[i + 2].clock.next = self.clock.val();
                self.bank_queues[i + 2].rst.next = self.rst.val();
                EventOut::join(
                    &mut self.bank_index[i + 2].ev_out,
                    &mut self.bank_queues[i + 2].ev_in,
                );
                EventOut::join(&mut self.bank_queues[i + 2].ev_out, &mut self.merges[i].b);
            }
        }
        for i in self._lb0..self._lb1 {
            self.merges[i].a.valid.next = self.merges[i - 1].ev_out.valid.val();
            self.merges[i - 1].ev_out.ready.next = self.merges[i].a.ready.val();
            self.merges[i].a.index.next = self.merges[i - 1].ev_out.index.val();
            self.merges[i].a.m.next = self.merges[i - 1].ev_out.m.val();
            self.merges[i].a.eow.next = self.merges[i - 1].ev_out.eow.val();
            self.merges[i].a.err.next = self.merges[i - 1].ev_out.err.val();
        }
        for i in self._fa0..self._fa1 {
            EventOut::join(&mut self.merges[i].ev_out, &mut self.stages[0].ev_in);
        }
        for i in self._fb0..self._fb1 {
            EventOut::join(&mut self.merges[i].ev_out, &mut self.stages[0].ev_in2[0]);
        }
        for t in 0..self._pair_tap {
            self.trace[t].valid.next = self.stages[0].in_tap[0].valid.val();
            self.trace[t].eow.next = self.stages[0].in_tap[0].eow.val();
            self.trace[t].m.next = self.stages[0].in_tap[0].m.val();
            self.trace[t].index.next = self.stages[0].in_tap[0].index.val();
            self.trace2[t].valid.next = self.stages[0].in_tap2[0].valid.val();
            self.trace2[t].eow.next = self.stages[0].in_tap2[0].eow.val();
            self.trace2[t].m.next = self.stages[0].in_tap2[0].m.val();
            self.trace2[t].index.next = self.stages[0].in_tap2[0].index.val();
        }
        for i in self._fin0..self._fin1 {
            for c in 0..self._wide_to_conv {
                EventOut::join(&mut self.merges[i].ev_out, &mut self.convs[c].ev_in);
            }
            for d in 0..self._wide_to_dense {
                EventOut::join(&mut self.merges[i].ev_out, &mut self.stages[d].ev_in);
            }
            for t in 0..self._wide_tap {
                self.trace[t].valid.next =
                    self.merges[i].ev_out.valid.val() & self.merges[i].ev_out.ready.val();
                self.trace[t].eow.next = self.merges[i].ev_out.eow.val();
                self.trace[t].m.next = self.merges[i].ev_out.m.val();
                self.trace[t].index.next = self.merges[i].ev_out.index.val();
            }
        }
        for i in self._nc_m1..self._nc {
            EventOut::join(&mut self.convs[i].ev_out, &mut self.conv_links[i].ev_in);
            EventOut::join(&mut self.conv_links[i].ev_out, &mut self.stages[0].ev_in);
        }
        for i in 0..self._nc {
            ZOut::<ZW>::join(&mut self.convs[i].z_out, &mut self.conv_z_sinks[i].z_in);
        }
        for i in 0..self._links {
            EventOut::join(&mut self.stages[i].ev_out, &mut self.links[i].ev_in);
            EventOut::join(&mut self.links[i].ev_out, &mut self.stages[i + 1].ev_in);
            ZOut::<ZW>::join(&mut self.stages[i].z_out, &mut self.z_sinks[i].z_in);
        }
        for i in self._links..self._n {
            EventOut::join(&mut self.stages[i].ev_out, &mut self.readout.ev_in);
            ZOut::<ZW>::join(&mut self.stages[i].z_out, &mut self.readout.z_in);
        }
        ClassOut::link(&mut self.m, &mut self.readout.m);
        // Trace taps: the beats that move.
        for t in 0..self._enc_tap {
            self.trace[t].valid.next =
                self.encoder.ev_out.valid.val() & self.encoder.ev_out.ready.val();
            self.trace[t].eow.next = self.encoder.ev_out.eow.val();
            self.trace[t].m.next = self.encoder.ev_out.m.val();
            self.trace[t].index.next = self.encoder.ev_out.index.val();
        }
        for i in 0..self._conv_taps {
            self.conv_trace[i].valid.next =
                self.convs[i].ev_out.valid.val() & self.convs[i].ev_out.ready.val();
            self.conv_trace[i].eow.next = self.convs[i].ev_out.eow.val();
            self.conv_trace[i].m.next = self.convs[i].ev_out.m.val();
            self.conv_trace[i].index.next = self.convs[i].ev_out.index.val();
        }
        for i in 0..self._stage_taps {
            self.trace[i + 1].valid.next =
                self.stages[i].ev_out.valid.val() & self.stages[i].ev_out.ready.val();
            self.trace[i + 1].eow.next = self.stages[i].ev_out.eow.val();
            self.trace[i + 1].m.next = self.stages[i].ev_out.m.val();
            self.trace[i + 1].index.next = self.stages[i].ev_out.index.val();
        }
    }
}
