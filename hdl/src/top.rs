//! `TtfsCore<ZW>`: the whole accelerator — encoder → layer stages → readout.

use crate::encoder::Encoder;
use crate::layer::{LayerStage, StageParams, WeightStore};
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

/// The stage parameters of layer `k` (0-based) of `design`; memory files are named
/// `<prefix>l<k+1>_c<c>.hex`.
pub fn stage_params(design: &Design, k: usize, prefix: &str) -> StageParams {
    let plan = &design.layers[k];
    let layer = &design.model.layers[k];
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
        hex_prefix: format!("{prefix}l{}", k + 1),
        window_start: usize::from(k == 0 && design.options.fault == Some(Fault::WindowOffByOne)),
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
    /// stage's output, in layer order.
    pub trace: Vec<EventTap>,
    /// Layer 0.
    pub encoder: Encoder,
    /// Layers 1..=L.
    pub stages: Vec<LayerStage<ZW>>,
    /// Class of each sample.
    pub readout: Readout<ZW>,
    /// Stage `i` → stage `i + 1`.
    links: Vec<EventWire>,
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
        let n = design.layers.len();
        assert!(n >= 1, "ttfs core: no layer");
        assert_eq!(params.len(), n, "ttfs core: one StageParams per layer");
        let images = params.iter().flat_map(|p| p.images()).collect();
        let firing = design.layers.iter().filter(|l| l.fires).count();
        let taps = if design.options.trace { 1 + firing } else { 0 };
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            s: FeatureIn::default(),
            m: ClassOut::default(),
            w_valid: Signal::default(),
            w_ready: Signal::default(),
            w_data: Signal::default(),
            loaded: Signal::default(),
            encoder: Encoder::new(design.inputs, design.input_bits, design.time_steps),
            stages: params.iter().map(LayerStage::new).collect(),
            readout: Readout::new(design.readout == ReadoutKind::FirstSpike),
            trace: (0..taps).map(|_| EventTap::default()).collect(),
            links: (1..n).map(|_| EventWire::default()).collect(),
            z_sinks: (1..n).map(|_| ZSink::default()).collect(),
            ld_prefix: (0..=n).map(|_| Signal::default()).collect(),
            _n: n,
            _np1: n + 1,
            _links: n - 1,
            _enc_tap: taps.min(1),
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
        self.ld_prefix[0].next = true;
        self.w_ready.next = false;
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
        // The event streams: encoder → stage 0 → … → the last stage → readout (both of its
        // streams; the readout takes the one of its kind). Inner stages' z streams are unused.
        EventOut::join(&mut self.encoder.ev_out, &mut self.stages[0].ev_in);
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
        for i in 0..self._stage_taps {
            self.trace[i + 1].valid.next =
                self.stages[i].ev_out.valid.val() & self.stages[i].ev_out.ready.val();
            self.trace[i + 1].eow.next = self.stages[i].ev_out.eow.val();
            self.trace[i + 1].m.next = self.stages[i].ev_out.m.val();
            self.trace[i + 1].index.next = self.stages[i].ev_out.index.val();
        }
    }
}
