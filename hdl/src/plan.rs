//! The generator's one parameter type: a validated [`Design`] = an `lcttfs-model` + the
//! hardware options the command line parses ([`HwOptions`]), with everything derived from
//! them: lanes per layer, widths from the DESIGN §2 bounds, where each memory lives, and the
//! cost model of DESIGN §5 (estimated cycles per sample, memory bits, LUT/FF/BRAM — estimates,
//! and named so in every report).
//!
//! The generator, the testbench and `report.json` all take a [`Design`]; nothing downstream
//! re-derives a width or a lane count.

use crate::encoder::MAX_BEAT_BITS;
use crate::layer::ConvGeometry;
use crate::target::{SPRAM_WIDTH, SPRAM_WORDS};
use golden::bounds;
use golden::model::{LayerKind, Model, Readout};
use golden::snn::EventSim;
use serde::Serialize;

/// The device facts live in [`crate::target`]; re-exported here, where the options name them.
pub use crate::target::{Capacity, Target};

/// Where the weights of the design come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightSource {
    /// In the bitstream (memory init files).
    Embedded,
    /// Through the `w_*` load stream after reset (one bitstream for every model of a shape).
    Runtime,
}

/// A deliberate bug, for tests that prove the co-simulation catches one. Never use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// The window counter of layer 1 starts one tick late.
    WindowOffByOne,
}

/// The hardware options of the command line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HwOptions {
    pub target: Target,
    /// Lanes per layer (`None`: the automatic choice for the target).
    pub lanes: Option<Vec<usize>>,
    pub weights: WeightSource,
    /// Add per-layer spike trace ports (for co-simulation).
    pub trace: bool,
    /// Clock the design is timed for.
    pub clock_hz: u64,
    /// Test-only deliberate bug.
    pub fault: Option<Fault>,
    /// Features per input beat (DESIGN §4 revision 2); `None`: the choice for the target
    /// ([`Design::input_lanes`]).
    pub input_lanes: Option<usize>,
    /// Events each stage integrates per pass, 1 or 2 (`None`: the choice for the target,
    /// [`LayerPlan::events_per_cycle`]).
    pub events_per_cycle: Option<Vec<usize>>,
    /// Event streams from the wide encoder into the first stage, 1 or 2 (`None`: the choice
    /// for the target, [`Design::encoder_streams`]).
    pub encoder_streams: Option<usize>,
}

impl HwOptions {
    pub fn new(target: Target) -> Self {
        HwOptions {
            target,
            lanes: None,
            weights: WeightSource::Embedded,
            trace: false,
            clock_hz: target.default_clock_hz(),
            fault: None,
            input_lanes: None,
            events_per_cycle: None,
            encoder_streams: None,
        }
    }

    /// Event streams from the encoder into the first stage ([`Design::encoder_streams`]).
    pub fn streams(&self) -> usize {
        self.encoder_streams.unwrap_or(1)
    }
}

/// Where one memory of a layer lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemoryKind {
    /// Flip-flops (tiny layers).
    Registers,
    /// Initialisable block RAM (iCE40 EBR `SB_RAM40_4K`, ECP5 `DP16KD`, or inferred).
    BlockRam,
    /// iCE40 UP5K `SB_SPRAM256KA`: loaded at boot through the weight stream.
    Spram,
    /// ECP5 distributed (LUT) RAM, for memories too small to spend a DP16KD on.
    Distributed,
}

/// Average number of events (non-silent spikes) per sample entering each layer, measured by
/// the golden model on representative inputs; drives the cycle estimates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Activity {
    /// `events_in[l − 1]`: events entering layer `l` (spikes of layer `l − 1`).
    pub events_in: Vec<f64>,
    /// Samples measured.
    pub samples: usize,
    /// Where the samples came from.
    pub source: String,
    /// `per_sample[k][l − 1]`: events entering layer `l` for sample `k` (the pipeline runs at
    /// the pace of each sample's slowest stage, so the mean of maxima, not the max of means).
    #[serde(skip)]
    pub per_sample: Vec<Vec<u32>>,
    /// `per_tick[k][l − 1][m]`: those events of sample `k` at tick `m` of their window (a
    /// conv stage fed without an event queue runs in lock step with its producer's tick
    /// sweeps, [`lockstep_integrate`]).
    #[serde(skip)]
    pub per_tick: Vec<Vec<Vec<u32>>>,
}

impl Activity {
    /// Measures with the golden event-driven SNN.
    pub fn measure(model: &Model, samples: &[Vec<u32>], source: &str) -> Activity {
        let mut sim = EventSim::new(model);
        let mut sums = vec![0u64; model.layers.len()];
        let mut per_sample = Vec::with_capacity(samples.len());
        let mut per_tick = Vec::with_capacity(samples.len());
        let t = model.time_steps;
        for x in samples {
            let trace = sim.trace(x);
            let ticks: Vec<Vec<u32>> = trace
                .spike_ticks
                .iter()
                .zip(&trace.window)
                .take(model.layers.len())
                .map(|(spikes, &l)| {
                    let mut bins = vec![0u32; t as usize];
                    let start = l as u32 * t;
                    for &s in spikes.iter().filter(|&&s| s >= start && s < start + t) {
                        bins[(s - start) as usize] += 1;
                    }
                    bins
                })
                .collect();
            per_tick.push(ticks);
            let events: Vec<u32> = trace
                .events_per_layer()
                .iter()
                .take(model.layers.len())
                .map(|&n| n as u32)
                .collect();
            for (l, n) in events.iter().enumerate() {
                sums[l] += *n as u64;
            }
            per_sample.push(events);
        }
        let n = samples.len().max(1) as f64;
        Activity {
            events_in: sums.iter().map(|&s| s as f64 / n).collect(),
            samples: samples.len(),
            source: source.to_string(),
            per_sample,
            per_tick,
        }
    }

    /// Every input active: the worst case.
    pub fn worst_case(model: &Model) -> Activity {
        Activity {
            events_in: model.layers.iter().map(|l| l.inputs as f64).collect(),
            samples: 0,
            source: "worst case (every input spikes)".into(),
            per_sample: Vec::new(),
            per_tick: Vec::new(),
        }
    }
}

/// Estimated cost of one layer stage (DESIGN §5 cost model). Estimates, not measurements.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerEstimate {
    /// Integrate: `(events_in + 1)·G` (the +1 is the bias) `+ T·G` ramp passes `+ G` clear.
    pub integrate_cycles: f64,
    /// Fire: `T·G` window-counter scan `+ events_out` serialisation (0 without a fire phase).
    pub fire_cycles: f64,
    /// Stage interval: integrate and fire overlap (ping-pong), so the larger of the two.
    pub cycles_per_sample: f64,
    /// Bits per cycle the stage's weight memories can deliver, every block and port read at
    /// its widest each cycle (`None`: weights in registers or LUT RAM, read in parallel).
    pub weight_read_bits_per_cycle: Option<u64>,
    /// The memory-bandwidth bound: the fewest cycles those memories could take to deliver one
    /// sample's weight rows, `(events_in + 1) · N · W / weight_read_bits_per_cycle` (the bias is
    /// one row). Today's stage reads one `P·W`-bit row per cycle; this is what reading all of
    /// its memories' width would give (`None` with no weight memory to bound it).
    pub bandwidth_bound_cycles: Option<f64>,
    /// Weight bits the stage reads per sample (dense: `(events_in + 1)·N·W`; conv:
    /// `(events_in·Kh·Kw + Ho·Wo)·Co·W`).
    pub weight_bits_read_per_sample: f64,
    pub weight_bits: u64,
    pub state_bits: u64,
    pub luts: u64,
    pub ffs: u64,
    pub brams: u64,
    pub sprams: u64,
}

/// The plan of one layer stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerPlan {
    /// 1-based number of the stage's weighted layer in the model's `layers` (DESIGN §2).
    pub layer: usize,
    /// The map the stage sends (0 = input, `k + 1` = `layers[k]`): its own layer's, or that
    /// of the `maxpool2d` fused into a conv stage.
    pub map: usize,
    /// Fan-in of one neuron (dense: the layer's inputs; conv: `C·Kh·Kw`).
    pub inputs: usize,
    /// Neurons on the lanes: a dense layer's neurons, a conv's output channels.
    pub outputs: usize,
    /// Neurons of the map the stage sends (dense: `outputs`; conv: `Co·Hp·Wp`).
    pub sent: usize,
    /// A conv stage's geometry (kernel walk and fused pool), `None` for dense.
    pub conv: Option<ConvGeometry>,
    /// Beats of the [`crate::layer::EventQueue`] on the stage's output (0: none; a conv stage
    /// that feeds a conv stage has one of [`EVENT_QUEUE_DEPTH`]).
    pub event_queue: usize,
    /// A conv stage computes its kernel-walk coordinates in logic
    /// ([`crate::layer::CoordLogic`]) instead of a block-RAM ROM: on iCE40 and the generic
    /// target, whose block RAMs are few; ECP5 keeps the ROM (one `DP16KD` is cheaper there than
    /// the multipliers, and its 100 MHz paths were closed with the ROM).
    pub coords_in_logic: bool,
    /// `P`: neurons updated in parallel.
    pub lanes: usize,
    /// Events integrated per pass (1 or 2; [`crate::layer::IntegrateIssue`]): with 2 a dense
    /// stage reads two weight rows per cycle through both ports of its ROM (ECP5 `DP16KD` is
    /// true dual-port) and each lane adds two products, so a pass of `G` cycles takes two
    /// events. Automatic on ECP5 for a dense stage whose weights are a block-RAM ROM and whose
    /// lanes leave `G ≥ 2` (with `G = 1` a one-event-per-cycle input stream gains nothing).
    pub events_per_cycle: usize,
    /// Event streams into the stage (2: the first stage of two encoder streams,
    /// [`Design::encoder_streams`]; else 1).
    pub input_streams: usize,
    /// `G = ⌈N / P⌉`: neurons time-multiplexed on one lane.
    pub groups: usize,
    pub weight_bits: u32,
    pub frac_bits: u32,
    /// The `|z|` bound the potentials are sized from (the rows' own `max(Σ w⁺, Σ |w⁻|)·T` for
    /// fixed weights, `(fan_in + 1)·2^(weight_bits−1)·T` for runtime ones) and its signed width.
    pub z_bound: i64,
    pub z_bits: u32,
    /// `|S| ≤ (fan_in + 1)·2^(weight_bits−1)` (the slope) and its signed width.
    pub slope_bits: u32,
    /// Width of an input index `0..=inputs` (`inputs` = the always-on bias input).
    pub input_index_bits: u32,
    /// Width of an output neuron index `0..outputs`.
    pub output_index_bits: u32,
    /// Whether the layer fires (all but the last layer under potential readout).
    pub fires: bool,
    pub weight_memory: MemoryKind,
    pub state_memory: MemoryKind,
    pub estimate: LayerEstimate,
}

/// Why a model and options cannot make a design.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// A validated model + hardware options and everything derived from them.
#[derive(Clone, Debug, Serialize)]
pub struct Design {
    #[serde(skip)]
    pub model: Model,
    pub options: HwOptions,
    pub time_steps: u32,
    /// `K = log2 T`: width of a window counter.
    pub tick_bits: u32,
    pub input_bits: u32,
    pub inputs: usize,
    pub classes: usize,
    /// `max(1, ⌈log2 classes⌉)`: width of `m_class`.
    pub class_bits: u32,
    pub readout: Readout,
    /// Features per input beat (DESIGN §4 revision 2): `s_data` is `input_lanes · input_bits`
    /// wide, and the core's wide encoder takes a whole beat per cycle (one encoder bank per
    /// slot), so a sample takes `⌈inputs / input_lanes⌉` cycles at the port. Unless
    /// `--input-lanes` says otherwise: 1 on the UP5K and the generic target, on ECP5 the
    /// fewest that bring the plan within 2 % of its fastest ([`auto_input_lanes`]).
    pub input_lanes: usize,
    /// Depth of the [`crate::layer::EventQueue`] after each of the wide encoder's banks, in
    /// beats (0: none). A `TickMerge` must wait for the other stream's next event, and a
    /// bank blocked behind its merge walks its empty ticks (two cycles each) only then: with
    /// six banks (ECP5-85F) the chain stalled to 249.5 cycles per sample where the cost model
    /// gives 156.6. A queue lets every bank walk ahead. A block RAM per bank, so only where
    /// the target's block RAMs hold them beside the rest ([`BANK_QUEUE_DEPTH`]).
    pub bank_queue_depth: usize,
    /// Event streams from the wide encoder into the first stage (1 or 2). One stream passes
    /// at most one event per cycle through its merge chain; with two, the banks' first half
    /// merges into one and the second half into the other, and the first stage
    /// ([`crate::layer::PairMerge`], two events per pass) takes two events of one tick per
    /// cycle. Needs a dense first stage with two events per pass and at least four banks.
    pub encoder_streams: usize,
    pub layers: Vec<LayerPlan>,
    pub activity: Activity,
    /// Estimated cycles per sample in steady state: the slowest of the input stream (one
    /// feature per beat), the encoder and every stage.
    pub est_cycles_per_sample: f64,
    /// Which of those sets it.
    pub bottleneck: String,
    /// The slowest stage's memory-bandwidth bound (`LayerEstimate::bandwidth_bound_cycles`):
    /// the fewest cycles per sample the planned memories could sustain. `None` when no stage
    /// keeps its weights in block RAM or SPRAM.
    pub bandwidth_bound_cycles_per_sample: Option<f64>,
    /// The same bound with every block RAM and SPRAM of the device reading weights: all stages'
    /// weight rows per sample over the device's read bits per cycle (`None` on the generic
    /// target, which has no device).
    pub device_bandwidth_bound_cycles_per_sample: Option<f64>,
    pub est_luts: u64,
    pub est_ffs: u64,
    pub est_brams: u64,
    pub est_sprams: u64,
    pub weight_memory_bits: u64,
}

/// Bits of an [`crate::layer::EventQueue`] row (index, and `{err, eow, m}`).
const EVENT_BEAT_BITS: u64 = 32;

/// LUT4s and flip-flops of an [`crate::layer::EventQueue`] beside its RAM.
const QUEUE_LOGIC: (u64, u64) = (60, 75);

/// Targets whose plan takes two encoder streams where they are faster when
/// `--encoder-streams` is not given ([`Design::auto_streams`]): those where a two-stream design
/// has been placed and routed at the target's default clock. The ECP5-85F: the default model
/// with two streams places at 80.6 MHz for 80 (seed 2), once [`crate::encoder::BeatQueue`]s
/// took the input handshake off the path across its eight banks (59.8 MHz without). Not the
/// 25F: its block RAMs leave no room for the bank queues that two streams need.
const AUTO_STREAMS: &[Target] = &[Target::Ecp5_85k];

/// Beats of a bank queue ([`Design::bank_queue_depth`]): 512 × 32 bits, one ECP5 `DP16KD`.
pub const BANK_QUEUE_DEPTH: usize = 512;

/// Block RAMs of a layer's weights in block RAM: one memory row per (group, input), the `P`
/// lanes side by side in 16-bit columns of `2^k` words (see `WeightLayout`), the last column
/// only as wide as it needs.
fn weight_brams(
    target: Target,
    inputs: usize,
    outputs: usize,
    lanes: usize,
    weight_bits: u32,
) -> u64 {
    let rows = ((inputs + 1) * outputs.div_ceil(lanes)) as u64;
    let depth = rows.max(2).next_power_of_two();
    let bits = lanes as u64 * weight_bits as u64;
    let (full, last) = (bits / 16, bits % 16);
    full * target.brams_for(depth, 16)
        + if last > 0 {
            target.brams_for(depth, last)
        } else {
            0
        }
}

/// Block RAMs of the encoder's bucket lists: heads and tails (`T` words each, two banks) and
/// the two banks of `next` (`inputs` words), all `link_bits = bits(inputs)` wide; with `k > 1`
/// features per beat, `k` such encoders of `⌈inputs/k⌉` features, whose `next` lists are in
/// LUT RAM where the target has it (ECP5).
fn encoder_brams(target: Target, inputs: usize, t: u32, k: usize) -> u64 {
    if k > 1 {
        let bank = encoder_brams(target, inputs.div_ceil(k), t, 1);
        return if target.has_lut_ram() {
            0
        } else {
            k as u64 * bank
        };
    }
    let link = (usize::BITS - inputs.leading_zeros()) as u64;
    let next_depth = (inputs.max(2) as u64).next_power_of_two();
    // LUT RAM (ECP5) keeps memories of a few dozen words.
    let lists = if target.has_lut_ram() && t <= 64 {
        0
    } else {
        4 * target.brams_for((t as u64).max(2), link)
    };
    lists + 2 * target.brams_for(next_depth, link)
}

/// LUT4s and flip-flops of the encoder (bucket lists, framing) and the readout (argmax, output
/// FIFO), calibrated on yosys `synth_ice40` of the default model. With `k > 1` features per
/// beat: `k` encoders of `⌈N/k⌉` features, their `k − 1` [`crate::encoder::TickMerge`]s (two
/// skids, a comparator, an output register) and, on ECP5, the `next` lists in LUT RAM.
fn fixed_logic(model: &Model, target: Target, k: usize) -> (u64, u64) {
    let n = model.input_len().div_ceil(k);
    let encoder_luts = 300 + 20 * index_bits(n + 1) as u64;
    let (encoder_ffs, readout_luts, readout_ffs) = (220u64, 200u64, 60u64);
    let k = k as u64;
    let (merge_luts, merge_ffs) = (70 * (k - 1), 135 * (k - 1));
    // Two lists of 2^⌈log2 n⌉ words of bits(n) bits in 16×4 LUT RAMs (two LUT4s each) and
    // their read multiplexers (a LUT4 and a PFUMX per 4 RAM outputs per bit).
    let lut_ram = if k > 1 && target.has_lut_ram() {
        let (words, bits) = (
            (n.max(2) as u64).next_power_of_two(),
            index_bits(n + 1) as u64,
        );
        2 * (words.div_ceil(16) * bits.div_ceil(4) * 2 + words.div_ceil(64) * bits)
    } else {
        0
    };
    (
        k * (encoder_luts + lut_ram) + merge_luts + readout_luts,
        k * encoder_ffs + merge_ffs + readout_ffs,
    )
}

/// Beats of one sample at the input port: `⌈N/k⌉` with `k` features per beat.
fn input_cycles(model: &Model, k: usize) -> f64 {
    model.input_len().div_ceil(k) as f64
}

/// Encoder cycles per sample (emit side) with `events` input spikes and `k` banks: one bank
/// walks its `T` lists at two cycles per tick and per event; `k` banks share the events, and
/// their merge passes at most one event per cycle.
fn encoder_cycles(events: f64, t: u32, k: usize, streams: usize) -> f64 {
    let bank = 2.0 * (events / k as f64 + t as f64) + 4.0;
    if k == 1 {
        bank
    } else {
        bank.max(merge_cycles(events, k, streams))
    }
}

/// Cycles of the merge side of a wide encoder of `k` banks with `events` input spikes: one
/// stream passes one event per cycle; two pass a pair per cycle when their heads share a
/// tick, which [`PAIR_EFFICIENCY`] of them do.
fn merge_cycles(events: f64, k: usize, streams: usize) -> f64 {
    if streams == 2 {
        events / (2.0 * PAIR_EFFICIENCY) + k as f64
    } else {
        events + 2.0 * k as f64
    }
}

/// The fraction of the events of two merged streams (each over half the banks) that leave
/// in pairs of one tick ([`crate::layer::PairMerge`]). Calibrated by co-simulation.
const PAIR_EFFICIENCY: f64 = 0.8;

/// `max(1, ⌈log2 n⌉)`: bits to index `0..n`.
pub fn index_bits(n: usize) -> u32 {
    bounds::unsigned_bits(n.saturating_sub(1) as u64)
}

/// One stage of the hardware: the model's weighted layer `layers[k]`, the map it sends, and
/// for a conv its geometry with the fused max-pool.
#[derive(Clone, Debug, PartialEq)]
pub struct StageSpec {
    /// Index of the weighted layer in `model.layers`.
    pub k: usize,
    /// The map the stage sends (`k + 1`, or `k + 2` with a fused `maxpool2d`).
    pub map: usize,
    pub conv: Option<ConvGeometry>,
    /// Depth of the event queue on the stage's output (0: none).
    pub event_queue: usize,
}

/// Depth of the event queue between two conv stages ([`crate::layer::EventQueue`]): enough to
/// bank a few hundred events of kernel walk through the ticks at which the first stage sends
/// nothing (one ECP5 `DP16KD`, four iCE40 `SB_RAM40_4K`).
pub const EVENT_QUEUE_DEPTH: usize = 512;

/// The stages of `model`, in order: each `dense` is one, each `conv2d` one with the
/// `maxpool2d` right after it fused in. Refuses, naming the layer, what the hardware cannot
/// build: a `maxpool2d` that does not follow a `conv2d`, a `conv2d` after a `dense`, a model
/// whose last weighted layer is not `dense` (the class is read from a dense layer), and conv
/// geometry outside the stage's counters (maps of 512 rows or more).
pub fn stage_specs(model: &Model) -> Result<Vec<StageSpec>, PlanError> {
    let mut specs: Vec<StageSpec> = Vec::new();
    let layers = &model.layers;
    let mut k = 0;
    while k < layers.len() {
        let name = |k: usize| format!("layer {} (layers[{k}], {})", k + 1, layers[k].kind.name());
        match layers[k].kind {
            LayerKind::Dense => {
                specs.push(StageSpec {
                    k,
                    map: k + 1,
                    conv: None,
                    event_queue: 0,
                });
                k += 1;
            }
            LayerKind::Conv2d {
                kernel,
                stride,
                padding,
                in_shape,
                out_shape,
                ..
            } => {
                if specs.iter().any(|s| s.conv.is_none()) {
                    return Err(PlanError(format!(
                        "{} follows a dense layer: the hardware runs conv stages before dense ones; flatten once, after the last conv",
                        name(k)
                    )));
                }
                let (pool_kernel, pool_stride, pooled_hw, map) =
                    match layers.get(k + 1).map(|l| l.kind) {
                        Some(LayerKind::MaxPool2d {
                            kernel,
                            stride,
                            out_shape,
                            ..
                        }) => (kernel, stride, [out_shape[1], out_shape[2]], k + 2),
                        _ => ([1, 1], [1, 1], [out_shape[1], out_shape[2]], k + 1),
                    };
                let geo = ConvGeometry {
                    in_shape,
                    kernel,
                    stride,
                    padding,
                    out_hw: [out_shape[1], out_shape[2]],
                    pool_kernel,
                    pool_stride,
                    pooled_hw,
                };
                if let Some(why) = geo.unsupported() {
                    return Err(PlanError(format!(
                        "{}: {why}; the hardware cannot build it",
                        name(k)
                    )));
                }
                if let Some(prev) = specs.last_mut() {
                    // A conv stage feeding this one queues its events (EVENT_QUEUE_DEPTH).
                    prev.event_queue = EVENT_QUEUE_DEPTH;
                }
                specs.push(StageSpec {
                    k,
                    map,
                    conv: Some(geo),
                    event_queue: 0,
                });
                k = map;
            }
            LayerKind::MaxPool2d { .. } => {
                let after = if k == 0 {
                    "the input".to_string()
                } else {
                    layers[k - 1].kind.name().to_string()
                };
                return Err(PlanError(format!(
                    "{} follows {after}: the hardware fuses a max-pool into the conv stage right before it, so a maxpool2d must come right after a conv2d",
                    name(k)
                )));
            }
        }
    }
    match specs.last() {
        Some(last) if last.conv.is_some() => Err(PlanError(format!(
            "the last weighted layer, layer {} (layers[{}]), is conv2d: the hardware reads the class from a dense last layer; add a dense layer",
            last.k + 1,
            last.k
        ))),
        _ => Ok(specs),
    }
}

/// `(events in, events out)` per sample of a stage: the events of the map its layer reads and
/// of the map it sends (0 for the last stage).
fn stage_events(spec: &StageSpec, events: &[f64]) -> (f64, f64) {
    (events[spec.k], events.get(spec.map).copied().unwrap_or(0.0))
}

impl Design {
    /// The plan of an [`AUTO_STREAMS`] target with the encoder streams not given: two where
    /// layer 1 takes them, the banks have queues to walk ahead (without them the chains stall
    /// each other) and the estimate is 2 % faster, else one (the 85F's default model: 98
    /// cycles per image estimated with two, 149 with one).
    fn auto_streams(
        model: Model,
        options: HwOptions,
        activity: Activity,
    ) -> Result<Design, PlanError> {
        let with = |s: usize| HwOptions {
            encoder_streams: Some(s),
            ..options.clone()
        };
        let one = Design::new(model.clone(), with(1), activity.clone())?;
        match Design::new(model, with(2), activity) {
            Ok(two)
                if two.bank_queue_depth > 0
                    && two.est_cycles_per_sample * 1.02 < one.est_cycles_per_sample =>
            {
                Ok(two)
            }
            _ => Ok(one),
        }
    }

    /// Plans `model` for `options`; refuses lanes that exceed a layer, a wrong number of lane
    /// values, and a model the target cannot hold, naming the layer and the numbers.
    pub fn new(model: Model, options: HwOptions, activity: Activity) -> Result<Design, PlanError> {
        model.validate().map_err(|e| PlanError(e.to_string()))?;
        let specs = stage_specs(&model)?;
        check_options(&model, &specs, &options, &activity)?;
        if options.encoder_streams.is_none() && AUTO_STREAMS.contains(&options.target) {
            return Design::auto_streams(model, options, activity);
        }
        let options = HwOptions {
            encoder_streams: Some(options.streams()),
            ..options
        };
        let (input_lanes, plans) = match options.input_lanes {
            Some(k) => (
                k,
                plan_for_input_lanes(&model, &specs, &options, &activity, k),
            ),
            None => auto_input_lanes(&model, &specs, &options, &activity),
        };
        let options = HwOptions {
            input_lanes: Some(input_lanes),
            ..options
        };
        let (fixed_luts, _) = fixed_logic(&model, options.target, input_lanes);
        let t = model.time_steps;
        let brams = encoder_brams(options.target, model.input_len(), t, input_lanes)
            + plans.iter().map(|p| p.estimate.brams).sum::<u64>();
        // Bank queues where the block RAMs left over hold them (one per bank), with a tenth
        // of the device to spare: synthesis places a few memories in block RAM that the
        // estimate does not count (3 on the ECP5-25F's default model, 5 on the 85F's).
        let queue_brams = input_lanes as u64
            * options
                .target
                .fifo_brams_for(BANK_QUEUE_DEPTH as u64, EVENT_BEAT_BITS);
        let queued = input_lanes > 1
            && options
                .target
                .capacity()
                .is_none_or(|cap| 10 * (brams + queue_brams) <= 9 * cap.brams);
        let (est, bottleneck) = pace(
            &model,
            &activity,
            &plans,
            (input_lanes, options.streams()),
            queued,
        );
        let (q_brams, q_luts, q_ffs) = if queued {
            let k = input_lanes as u64;
            (queue_brams, k * QUEUE_LOGIC.0, k * QUEUE_LOGIC.1)
        } else {
            (0, 0, 0)
        };
        let design = Design {
            time_steps: t,
            tick_bits: t.trailing_zeros(),
            input_bits: model.input_bits,
            inputs: model.input_len(),
            classes: model.classes(),
            class_bits: index_bits(model.classes()),
            readout: model.readout,
            input_lanes,
            bank_queue_depth: if queued { BANK_QUEUE_DEPTH } else { 0 },
            encoder_streams: options.streams(),
            est_cycles_per_sample: est,
            bottleneck,
            bandwidth_bound_cycles_per_sample: plans
                .iter()
                .filter_map(|p| p.estimate.bandwidth_bound_cycles)
                .reduce(f64::max),
            device_bandwidth_bound_cycles_per_sample: device_bandwidth_bound(
                options.target,
                &plans,
            ),
            est_luts: fixed_luts + q_luts + plans.iter().map(|p| p.estimate.luts).sum::<u64>(),
            est_ffs: fixed_logic(&model, options.target, input_lanes).1
                + q_ffs
                + plans.iter().map(|p| p.estimate.ffs).sum::<u64>(),
            est_brams: brams + q_brams,
            est_sprams: plans.iter().map(|p| p.estimate.sprams).sum(),
            weight_memory_bits: plans.iter().map(|p| p.estimate.weight_bits).sum(),
            layers: plans,
            activity,
            options,
            model,
        };
        design.check_fit()?;
        Ok(design)
    }

    /// Refuses a design whose estimated resources exceed the target, naming the resource and
    /// what would fit instead.
    fn check_fit(&self) -> Result<(), PlanError> {
        for l in &self.layers {
            if l.events_per_cycle == 2 && l.weight_memory == MemoryKind::Spram {
                return Err(PlanError(format!(
                    "--events-per-cycle 2 for layer {}: its weights are in single-port SPRAM on {}; give 1",
                    l.layer, self.options.target
                )));
            }
        }
        let Some(cap) = self.options.target.capacity() else {
            return Ok(());
        };
        let target = self.options.target;
        let bigger = match target.bigger() {
            Some(b) => format!("try --target {b}"),
            None => "use a smaller model (fewer or narrower weights)".into(),
        };
        if self.est_sprams > cap.spram {
            return Err(PlanError(format!(
                "the model needs {} SPRAMs for its weights ({} kbit) but {target} has {}: {bigger}",
                self.est_sprams,
                self.weight_memory_bits / 1024,
                cap.spram
            )));
        }
        // A stage's SPRAM weight memory places its lanes side by side, one row per group and
        // input: it does not stack SPRAMs in depth, so a row count above one SPRAM's words
        // needs more lanes (fewer groups).
        for l in &self.layers {
            let rows = (l.inputs as u64 + 1) * l.groups as u64;
            if l.weight_memory == MemoryKind::Spram && rows > SPRAM_WORDS {
                let per_lane_groups = (SPRAM_WORDS / (l.inputs as u64 + 1)).max(1);
                let min_lanes = (l.outputs as u64).div_ceil(per_lane_groups);
                let max_lanes = cap.spram * SPRAM_WIDTH / l.weight_bits.max(1) as u64;
                let advice = if min_lanes <= max_lanes {
                    format!("give it at least {min_lanes} lanes (--lanes)")
                } else {
                    bigger.clone()
                };
                return Err(PlanError(format!(
                    "layer {} with {} lanes needs {rows} weight rows ({} inputs + bias, times {} groups) but an SPRAM of {target} holds {SPRAM_WORDS}: {advice}",
                    l.layer, l.lanes, l.inputs, l.groups
                )));
            }
        }
        if self.est_brams > cap.brams {
            return Err(PlanError(format!(
                "the model needs ~{} block RAMs ({} kbit of weights) but {target} has {}: {bigger}, or fewer lanes",
                self.est_brams,
                self.weight_memory_bits / 1024,
                cap.brams
            )));
        }
        let cells = logic_cells(target, self.est_luts, self.est_ffs);
        if cells > cap.luts {
            let lanes: Vec<String> = self.layers.iter().map(|l| l.lanes.to_string()).collect();
            let what = if cells == self.est_luts {
                "LUTs (estimate"
            } else {
                "logic cells (estimate: LUT4s and the flip-flops that take a cell of their own"
            };
            return Err(PlanError(format!(
                "the design needs ~{cells} {what}; lanes {}) but {target} has {}: give fewer --lanes or {bigger}",
                lanes.join(","),
                cap.luts
            )));
        }
        Ok(())
    }

    /// Estimated throughput at the options' clock (samples per second).
    pub fn est_samples_per_s(&self) -> f64 {
        self.options.clock_hz as f64 / self.est_cycles_per_sample
    }
}

/// Refuses options the model cannot take (activity of another depth, a wrong number of lane
/// values or lanes outside a layer, features per beat, the clock), naming the numbers; returns
/// the features per input beat.
fn check_options(
    model: &Model,
    specs: &[StageSpec],
    options: &HwOptions,
    activity: &Activity,
) -> Result<(), PlanError> {
    let layers_n = model.layers.len();
    if activity.events_in.len() != layers_n {
        return Err(PlanError(format!(
            "activity has {} layers but the model has {layers_n}",
            activity.events_in.len()
        )));
    }
    if let Some(lanes) = &options.lanes {
        check_lanes(model, specs, lanes)?;
    }
    if let Some(events) = &options.events_per_cycle {
        check_events_per_cycle(model, specs, options, events)?;
    }
    check_encoder_streams(model, specs, options)?;
    let input_lanes = options.input_lanes.unwrap_or(1);
    let beat_bits = input_lanes * model.input_bits as usize;
    if input_lanes == 0 || input_lanes > max_input_lanes(model) || beat_bits > MAX_BEAT_BITS {
        return Err(PlanError(format!(
            "--input-lanes {input_lanes}: give 1..={} features per beat ({} inputs of {} bits, \
             at most {MAX_BEAT_BITS} bits per beat)",
            max_input_lanes(model),
            model.input_len(),
            model.input_bits
        )));
    }
    if !(1_000_000..=1_000_000_000).contains(&options.clock_hz) {
        return Err(PlanError(format!(
            "clock {} Hz is outside 1 MHz..1 GHz",
            options.clock_hz
        )));
    }
    Ok(())
}

/// The most features a beat can carry: every input, within [`MAX_BEAT_BITS`].
fn max_input_lanes(model: &Model) -> usize {
    model
        .input_len()
        .min(MAX_BEAT_BITS / model.input_bits.max(1) as usize)
}

/// The stages planned for `k` features per beat: each stage's lanes keep up with the input
/// stream of `⌈N/k⌉` beats within the target's block RAM, and, when the whole does not fit,
/// the lane search's fastest fitting plan.
fn plan_for_input_lanes(
    model: &Model,
    specs: &[StageSpec],
    options: &HwOptions,
    activity: &Activity,
    k: usize,
) -> Vec<LayerPlan> {
    let options = HwOptions {
        input_lanes: Some(k),
        ..options.clone()
    };
    let fixed = fixed_logic(model, options.target, k);
    let plans = plan_within_block_ram(model, specs, &options, activity);
    if options.lanes.is_none() && !fits_target(model, &options, &plans, fixed) {
        if let Some(found) = search_lanes(model, specs, &options, activity, fixed) {
            return found;
        }
    }
    plans
}

/// `input_lanes` when not given: 1 on the UP5K and the generic target (a one-feature port;
/// the UP5K's stages, not its input, set its pace), and on ECP5 the fewest features per beat
/// whose plan is within 2 % of the fastest plan of any width that fits the device (the
/// encoder grows a bank per feature of the beat).
fn auto_input_lanes(
    model: &Model,
    specs: &[StageSpec],
    options: &HwOptions,
    activity: &Activity,
) -> (usize, Vec<LayerPlan>) {
    let plan = |k: usize| plan_for_input_lanes(model, specs, options, activity, k);
    if options.target.family() != Some(crate::target::Family::Ecp5) {
        return (1, plan(1));
    }
    let options_k = |k: usize| HwOptions {
        input_lanes: Some(k),
        ..options.clone()
    };
    // Two encoder streams take half the banks each, at least two.
    let k_min = if options.streams() == 2 { 4 } else { 1 };
    let trials: Vec<(usize, f64, Vec<LayerPlan>)> = (k_min..=max_input_lanes(model).min(16))
        .map(|k| {
            let plans = plan(k);
            let cycles = pace(model, activity, &plans, (k, options.streams()), false).0;
            (k, cycles, plans)
        })
        .filter(|(k, _, plans)| {
            *k == k_min
                || fits_target(
                    model,
                    &options_k(*k),
                    plans,
                    fixed_logic(model, options.target, *k),
                )
        })
        .collect();
    let best = trials.iter().map(|t| t.1).fold(f64::INFINITY, f64::min);
    let (k, _, plans) = trials
        .into_iter()
        .find(|t| t.1 <= best * 1.02)
        .expect("k_min is always a trial");
    (k, plans)
}

/// Refuses `--encoder-streams` other than 1 or 2, and 2 where the first stage cannot take two
/// streams: a conv stage, weights loaded at run time (one event per pass), one event per pass
/// asked for layer 1, or fewer than four features per beat (two banks per stream).
fn check_encoder_streams(
    model: &Model,
    specs: &[StageSpec],
    options: &HwOptions,
) -> Result<(), PlanError> {
    let Some(s) = options.encoder_streams else {
        return Ok(());
    };
    // The automatic features per beat: at least 4 with two streams on ECP5, 1 elsewhere.
    let auto_k_min = if options.target.family() == Some(crate::target::Family::Ecp5) {
        4
    } else {
        1
    };
    let why = if !(1..=2).contains(&s) {
        Some("give 1 or 2".to_string())
    } else if s == 1 {
        None
    } else if specs[0].conv.is_some() {
        Some("the first stage is a conv stage, which takes one stream; give 1".into())
    } else if options.weights == WeightSource::Runtime {
        Some(
            "weights loaded at run time take one event per pass; give 1 or --weights embedded"
                .into(),
        )
    } else if options.events_per_cycle.as_ref().is_some_and(|e| e[0] != 2) {
        Some("layer 1 must integrate two events per pass (--events-per-cycle 2,…)".into())
    } else if options.input_lanes.unwrap_or(auto_k_min) < 4 || max_input_lanes(model) < 4 {
        Some("two streams need at least 4 features per beat (--input-lanes 4 or more)".into())
    } else {
        None
    };
    match why {
        Some(why) => Err(PlanError(format!("--encoder-streams {s}: {why}"))),
        None => Ok(()),
    }
}

/// Refuses `--events-per-cycle` with a value per layer missing or too many, a value other
/// than 1 or 2, or 2 where the stage cannot read two weight rows (a conv stage; weights loaded
/// at run time, whose RAM's second port is its write port).
fn check_events_per_cycle(
    model: &Model,
    specs: &[StageSpec],
    options: &HwOptions,
    events: &[usize],
) -> Result<(), PlanError> {
    if events.len() != specs.len() {
        return Err(PlanError(format!(
            "--events-per-cycle has {} values but the model has {} weighted layers: give one per layer (1 or 2)",
            events.len(),
            specs.len()
        )));
    }
    for (spec, &e) in specs.iter().zip(events) {
        let layer = spec.k + 1;
        if !(1..=2).contains(&e) {
            return Err(PlanError(format!(
                "--events-per-cycle {e} for layer {layer}: give 1 or 2"
            )));
        }
        if e == 2 && spec.conv.is_some() {
            return Err(PlanError(format!(
                "--events-per-cycle 2 for layer {layer}: a conv stage integrates one event at a time; give 1"
            )));
        }
        if e == 2 && options.weights == WeightSource::Runtime {
            return Err(PlanError(format!(
                "--events-per-cycle 2 for layer {layer}: weights loaded at run time use the second memory port to write; give 1 or --weights embedded"
            )));
        }
    }
    let _ = model;
    Ok(())
}

/// Refuses `--lanes` with a value per layer missing or too many, or lanes outside a layer.
fn check_lanes(model: &Model, specs: &[StageSpec], lanes: &[usize]) -> Result<(), PlanError> {
    let stages_n = specs.len();
    let neurons = |s: &StageSpec| model.layers[s.k].rows();
    if lanes.len() != stages_n {
        let what = if stages_n == model.layers.len() {
            "layers"
        } else {
            "weighted layers (a max-pool shares its conv's stage)"
        };
        return Err(PlanError(format!(
            "--lanes has {} values but the model has {stages_n} {what}: give one per layer, e.g. --lanes {}",
            lanes.len(),
            specs.iter().map(|s| neurons(s).min(8).to_string()).collect::<Vec<_>>().join(",")
        )));
    }
    for (&p, s) in lanes.iter().zip(specs) {
        let (n, what) = match s.conv {
            Some(_) => (neurons(s), "its output channels"),
            None => (neurons(s), "its number of neurons"),
        };
        if p == 0 || p > n {
            return Err(PlanError(format!(
                "layer {}: {p} lanes, but lanes must be in 1..={n} ({what})",
                s.k + 1
            )));
        }
    }
    Ok(())
}

/// The plan of every layer: the given lanes, or the automatic choice ([`auto_lanes`]).
/// [`plan_layers`], then, with automatic lanes, fewer lanes for the stage with the most block
/// RAMs until the design's block RAMs fit the target. Wide lanes cost block RAM twice: wider
/// weight rows and wider potential / tick rows (a UP5K stage of 16 lanes keeps `16·z_bits`
/// bits of potentials per row, each 16 bits an `SB_RAM40_4K` however shallow).
fn plan_within_block_ram(
    model: &Model,
    specs: &[StageSpec],
    options: &HwOptions,
    activity: &Activity,
) -> Vec<LayerPlan> {
    let mut specs = specs.to_vec();
    let specs = &mut specs;
    let mut caps = vec![usize::MAX; specs.len()];
    // Stages whose weights go to SPRAM, and those tried there that did not fit.
    let mut spram = vec![false; specs.len()];
    let mut tried = vec![false; specs.len()];
    loop {
        let plans = plan_layers(model, specs, options, activity, &caps, &spram);
        let Some(cap) = options.target.capacity() else {
            return plans;
        };
        let k = options.input_lanes.unwrap_or(1);
        let brams = encoder_brams(options.target, model.input_len(), model.time_steps, k)
            + plans.iter().map(|p| p.estimate.brams).sum::<u64>();
        if brams <= cap.brams {
            return plans;
        }
        // First free block RAM by moving the largest block-RAM weight memory (dense or conv)
        // to SPRAM (the UP5K's 4 × 256 kbit are idle in a conv model whose dense layer is
        // under 96 kbit), while the SPRAMs last; then the queues; then fewer lanes.
        let movable = |k: usize| {
            !spram[k]
                && !tried[k]
                && options.target.has_spram()
                && plans[k].weight_memory == MemoryKind::BlockRam
        };
        if let Some(k) = (0..plans.len())
            .filter(|&k| movable(k))
            .max_by_key(|&k| weight_blocks_of(options.target, model, specs, &plans[k]))
        {
            tried[k] = true;
            // The SPRAMs the other stages leave: this stage's lanes are as many weights as
            // their 16-bit words hold.
            let others: u64 = plans.iter().map(|p| p.estimate.sprams).sum();
            let free = cap.spram.saturating_sub(others);
            let lanes = (free * SPRAM_WIDTH / plans[k].weight_bits.max(1) as u64) as usize;
            if lanes > 0 && options.lanes.as_ref().is_none_or(|l| l[k] <= lanes) {
                spram[k] = true;
                caps[k] = caps[k].min(lanes);
            }
            continue;
        }
        // Then the event queues between conv stages (EVENT_QUEUE_DEPTH beats, 4 iCE40 EBR
        // each): without one the two stages run in lock step, which the estimate charges
        // ([`lockstep_integrate`]), so the lane search weighs it against the lanes it frees.
        if let Some(q) = specs.iter_mut().find(|q| q.event_queue > 0) {
            q.event_queue = 0;
            continue;
        }
        if options.lanes.is_some() {
            return plans;
        }
        let Some(k) = (0..plans.len())
            .filter(|&k| plans[k].lanes > 1)
            .max_by_key(|&k| plans[k].estimate.brams)
        else {
            return plans;
        };
        caps[k] = plans[k].lanes - 1;
    }
}

/// Logic cells an estimate of `luts` LUT4 and `ffs` flip-flops takes on `target`. An iCE40
/// logic cell holds a LUT4 and a flip-flop, but they share one only when the LUT feeds that
/// flip-flop alone: in nextpnr's pack of the UP5K `mnist-cnn` build (lanes 2, 4, 1) 1 297 of
/// its 2 430 flip-flops took a cell of their own (pipeline registers fed by registers or
/// memories, forwarded values), so a flip-flop counts half a cell there. ECP5 slices (two LUT4,
/// two flip-flops) are bound by their LUTs: LUT4s.
pub fn logic_cells(target: Target, luts: u64, ffs: u64) -> u64 {
    match target.family() {
        Some(crate::target::Family::Ice40) => luts + ffs / 2,
        _ => luts,
    }
}

/// The planned stages fit `target`: its block RAMs, SPRAMs and logic cells (the estimates,
/// with the encoder's block RAMs and the fixed logic's `(LUT4, flip-flops)`).
fn fits_target(model: &Model, options: &HwOptions, plans: &[LayerPlan], fixed: (u64, u64)) -> bool {
    let target = options.target;
    let Some(cap) = target.capacity() else {
        return true;
    };
    let k = options.input_lanes.unwrap_or(1);
    let brams = encoder_brams(target, model.input_len(), model.time_steps, k)
        + plans.iter().map(|p| p.estimate.brams).sum::<u64>();
    let sprams: u64 = plans.iter().map(|p| p.estimate.sprams).sum();
    let luts = fixed.0 + plans.iter().map(|p| p.estimate.luts).sum::<u64>();
    let ffs = fixed.1 + plans.iter().map(|p| p.estimate.ffs).sum::<u64>();
    brams <= cap.brams && sprams <= cap.spram && logic_cells(target, luts, ffs) <= cap.luts
}

/// When the stage-by-stage choice ([`plan_within_block_ram`]) does not fit the target, every
/// combination of lanes (each stage `1..=min(N, 16)`, at most [`LANE_SEARCH_LIMIT`]
/// combinations) planned as if given: the fastest plan that fits (estimated cycles per
/// sample, then fewer LUTs). `None` when none fits or the search is too large. On the UP5K this
/// is what balances `mnist-cnn`'s block RAM, SPRAM (each stage's lanes set its SPRAM width) and
/// logic cells ([`logic_cells`]: 5 154 estimated, 5 093 placed, of 5 280): 2, 4 and 1 lanes,
/// every layer's weights in SPRAM, the queue kept.
fn search_lanes(
    model: &Model,
    specs: &[StageSpec],
    options: &HwOptions,
    activity: &Activity,
    fixed: (u64, u64),
) -> Option<Vec<LayerPlan>> {
    let choices: Vec<usize> = specs
        .iter()
        .map(|s| model.layers[s.k].rows().min(16))
        .collect();
    if choices.iter().product::<usize>() > LANE_SEARCH_LIMIT {
        return None;
    }
    let mut lanes = vec![1usize; specs.len()];
    let mut best: Option<(f64, u64, Vec<LayerPlan>)> = None;
    loop {
        let trial = HwOptions {
            lanes: Some(lanes.clone()),
            ..options.clone()
        };
        let plans = plan_within_block_ram(model, specs, &trial, activity);
        if fits_target(model, options, &plans, fixed) {
            let cycles = pace(
                model,
                activity,
                &plans,
                (options.input_lanes.unwrap_or(1), options.streams()),
                false,
            )
            .0;
            let luts: u64 = plans.iter().map(|p| p.estimate.luts).sum();
            if best
                .as_ref()
                .is_none_or(|(c, l, _)| cycles < *c || (cycles == *c && luts < *l))
            {
                best = Some((cycles, luts, plans));
            }
        }
        // The next combination (odometer order).
        let mut i = 0;
        loop {
            if i == lanes.len() {
                return best.map(|(_, _, plans)| plans);
            }
            if lanes[i] < choices[i] {
                lanes[i] += 1;
                break;
            }
            lanes[i] = 1;
            i += 1;
        }
    }
}

/// Most lane combinations [`search_lanes`] tries.
const LANE_SEARCH_LIMIT: usize = 4096;

/// Block RAMs of a planned stage's weights (what moving them to SPRAM frees).
fn weight_blocks_of(target: Target, model: &Model, specs: &[StageSpec], p: &LayerPlan) -> u64 {
    let spec = specs
        .iter()
        .find(|s| s.k + 1 == p.layer)
        .expect("the plan's stage");
    let shape = StageShape::of(model, spec, p.lanes, p.z_bits, target);
    weight_blocks(target, p.weight_memory, &shape).0
}

/// Each layer's plan; automatic lanes are at most `lane_caps[k]`.
fn plan_layers(
    model: &Model,
    specs: &[StageSpec],
    options: &HwOptions,
    activity: &Activity,
    lane_caps: &[usize],
    spram: &[bool],
) -> Vec<LayerPlan> {
    let input_cycles = input_cycles(model, options.input_lanes.unwrap_or(1));
    let mut plans = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let last = i + 1 == specs.len();
        let fires = !(last && model.readout == Readout::Potential);
        let (events_in, events_out) = stage_events(spec, &activity.events_in);
        let streams = if i == 0 { options.streams() } else { 1 };
        let shape = |events_per_cycle: usize| StageShape {
            spram_weights: spram[i],
            events_per_cycle,
            input_streams: streams,
            ..StageShape::of(model, spec, 1, 0, options.target)
        };
        let lanes_for = |e: usize| match &options.lanes {
            Some(l) => l[i],
            None => auto_lanes(
                options.target,
                &shape(e),
                events_in,
                events_out,
                input_cycles,
                fires,
            )
            .min(lane_caps[i]),
        };
        let (lanes, e) = match &options.events_per_cycle {
            Some(e) => (lanes_for(e[i]), e[i]),
            None if i == 0 && options.streams() == 2 => (lanes_for(2), 2),
            None if dual_possible(options, &shape(2)) => {
                // Two events per pass only where one does not keep up with the input stream
                // and two are faster (a stage that keeps up keeps its one-event netlist).
                let cycles = |lanes: usize, e: usize| {
                    let (integrate, fire) =
                        StageShape { lanes, ..shape(e) }.phases(fires, events_in, events_out);
                    integrate.max(fire)
                };
                let (one, two) = (lanes_for(1), lanes_for(2));
                let (c1, c2) = (cycles(one, 1), cycles(two, 2));
                if c1 > input_cycles && c2 < c1 && shape(2).outputs.div_ceil(two) >= 2 {
                    (two, 2)
                } else {
                    (one, 1)
                }
            }
            None => (lanes_for(1), 1),
        };
        plans.push(plan_layer(
            model,
            spec,
            (lanes, e),
            fires,
            (events_in, events_out),
            options,
            spram[i],
        ));
    }
    // A conv stage fed by a conv stage without an event queue runs in lock step with its tick
    // sweeps: its integrate estimate is [`lockstep_integrate`] at the mean events per tick.
    let samples = activity.per_tick.len() as f64;
    for i in 1..plans.len() {
        if activity.per_tick.is_empty() {
            break;
        }
        if let Some(sweep) = lockstep_sweep(&plans[i - 1], &plans[i]) {
            let map = plans[i].layer - 1;
            let mean: Vec<f64> = (0..model.time_steps as usize)
                .map(|m| {
                    activity
                        .per_tick
                        .iter()
                        .map(|k| k[map][m] as f64)
                        .sum::<f64>()
                        / samples
                })
                .collect();
            let p = &mut plans[i];
            let geo = p.conv.clone().expect("a conv stage");
            let e = &mut p.estimate;
            e.integrate_cycles = lockstep_integrate(&geo, p.groups, sweep, &mean);
            e.cycles_per_sample = e.integrate_cycles.max(e.fire_cycles);
        }
    }
    plans
}

/// The cycles of one tick sweep of `producer` when `consumer` takes its events without an
/// event queue between them (both conv stages), else `None`: `2·G·Hp·Wp`, two cycles per tick
/// row ([`conv_stage_phases`]).
fn lockstep_sweep(producer: &LayerPlan, consumer: &LayerPlan) -> Option<f64> {
    let geo = producer.conv.as_ref()?;
    consumer.conv.as_ref()?;
    (producer.event_queue == 0)
        .then(|| 2.0 * producer.groups as f64 * geo.pooled_positions() as f64)
}

/// Integrate cycles of a conv stage (`geo`, `groups`) whose events come straight from a conv
/// stage's tick sweeps of `sweep` cycles each, `per_tick[m]` of them at tick `m`: with no
/// queue to bank them the two stages go in lock step, tick by tick the slower of the sweep and
/// the kernel walks of its events (`events · positions · G`), so
/// [`conv_stage_phases`]' `events · positions · G` becomes `Σ_m max(sweep, E_m · positions · G)`.
/// Co-simulated on `mnist-cnn` for the UP5K with lanes 2, 6, 1 and no queue: 37 795 cycles per
/// sample against 32 924 with this term (−13 %: per-tick means inside a sample) and 27 183
/// without it (−28 %).
pub fn lockstep_integrate(geo: &ConvGeometry, groups: usize, sweep: f64, per_tick: &[f64]) -> f64 {
    let walk = crate::layer::conv_issue::mean_walk_cycles(geo, groups);
    let events: f64 = per_tick.iter().sum();
    let (integrate, _) = conv_stage_phases(geo, groups, 1, events, 0.0);
    let ticks: f64 = per_tick.iter().map(|&e| sweep.max(e * walk)).sum();
    integrate - events * walk + ticks
}

/// Estimated cycles per sample in steady state and what sets them: the slowest of the input
/// stream (`⌈N/k⌉` beats of `k` features), the encoder and every stage at the mean activity,
/// or, with per-sample activity, the mean pace of the samples ([`per_sample_pace`]) when that
/// is slower. `queued`: a bank queue after each encoder bank ([`Design::bank_queue_depth`])
/// decouples the input side from the merge, so a sample's pace counts only what comes after
/// the queues (the automatic choices of lanes estimate without them, as they were tuned).
fn pace(
    model: &Model,
    activity: &Activity,
    plans: &[LayerPlan],
    (k, streams): (usize, usize),
    queued: bool,
) -> (f64, String) {
    let t = model.time_steps;
    let encoder_cycles = encoder_cycles(activity.events_in[0], t, k, streams);
    let mut est = input_cycles(model, k);
    let mut bottleneck = if k == 1 {
        format!(
            "input stream ({} features, one per beat)",
            model.input_len()
        )
    } else {
        format!(
            "input stream ({} features, {k} per beat: {est} beats)",
            model.input_len()
        )
    };
    if encoder_cycles > est {
        est = encoder_cycles;
        bottleneck = "encoder".into();
    }
    for p in plans {
        if p.estimate.cycles_per_sample > est {
            est = p.estimate.cycles_per_sample;
            bottleneck = format!("layer {} ({} lanes)", p.layer, p.lanes);
        }
    }
    if let Some((mean, layer)) = per_sample_pace(model, activity, plans, (k, streams), queued) {
        if mean > est {
            est = mean;
            if let Some(layer) = layer {
                bottleneck = layer;
            }
        }
    }
    (est, bottleneck)
}

/// With per-sample activity (`None` without): each sample passes at the pace of its slowest
/// stage, so the mean of those paces, and the layer that paces most samples (`None` when only
/// the input stream does), in words. With bank queues (`queued`) the input stream and the
/// banks' walks are 512 beats ahead of the merge: a sample's pace starts at its merge, and
/// [`pace`] holds the input side to its mean (the ECP5-85F with two encoder streams: 98.8
/// co-simulated cycles per image over 100, 105.4 estimated with the input side in each
/// sample's pace, as if a slow sample held the next one's beats).
fn per_sample_pace(
    model: &Model,
    activity: &Activity,
    plans: &[LayerPlan],
    (k, streams): (usize, usize),
    queued: bool,
) -> Option<(f64, Option<String>)> {
    if activity.per_sample.is_empty() {
        return None;
    }
    let t = model.time_steps;
    let input_cycles = input_cycles(model, k);
    // The encoder's pace of one sample (one bank: as calibrated before the wide encoder).
    let encoder = |events: f64| {
        if k == 1 {
            events + t as f64
        } else {
            encoder_cycles(events, t, k, streams)
        }
    };
    let merge = |events: f64| merge_cycles(events, k, streams);
    let mut total = 0.0;
    // How often each stage (0 = input/encoder, i + 1 = plans[i]) sets a sample's pace.
    let mut pacing = vec![0usize; plans.len() + 1];
    for (k, events) in activity.per_sample.iter().enumerate() {
        let first = if queued {
            merge(events[0] as f64)
        } else {
            input_cycles.max(encoder(events[0] as f64))
        };
        let (mut worst, mut who) = (first, 0);
        let ticks = activity.per_tick.get(k);
        for (i, p) in plans.iter().enumerate() {
            let ev_in = events[p.layer - 1] as f64;
            let out = events.get(p.map).copied().unwrap_or(0) as f64;
            let mut c = stage_cycles(p, t, ev_in, out);
            let sweep = i.checked_sub(1).and_then(|j| lockstep_sweep(&plans[j], p));
            if let (Some(sweep), Some(ticks), Some(geo)) = (sweep, ticks, &p.conv) {
                let per_tick: Vec<f64> = ticks[p.layer - 1].iter().map(|&e| e as f64).collect();
                let integrate = lockstep_integrate(geo, p.groups, sweep, &per_tick);
                c = c.max(integrate);
            }
            if c > worst {
                (worst, who) = (c, i + 1);
            }
        }
        pacing[who] += 1;
        total += worst;
    }
    let n = activity.per_sample.len();
    let layer = (1..pacing.len())
        .max_by_key(|&l| pacing[l])
        .filter(|&l| pacing[l] > 0)
        .map(|l| {
            format!(
                "layer {} ({} lanes) on {} of {n} samples, the input stream on {}",
                plans[l - 1].layer,
                plans[l - 1].lanes,
                pacing[l],
                pacing[0]
            )
        });
    Some((total / n as f64, layer))
}

/// Cycles of one stage for one sample (the DESIGN §5 cost model, [`stage_phases`]).
fn stage_cycles(p: &LayerPlan, t: u32, events_in: f64, events_out: f64) -> f64 {
    let (integrate, fire) = match &p.conv {
        Some(geo) => conv_stage_phases(geo, p.groups, t, events_in, events_out),
        None => stage_phases(
            (p.outputs, p.lanes),
            p.groups,
            p.fires,
            t,
            (events_in, events_out),
            (p.events_per_cycle, p.input_streams),
        ),
    };
    integrate.max(fire)
}

/// The DESIGN §5 cost model of a conv stage ([`crate::layer::ConvStage`]): `(integrate,
/// fire)` cycles for one sample of `events_in` input events and `events_out` sent spikes, `G`
/// = `groups` channel groups.
///
/// Integrate: the bias pass writes every `V` row (`G·Ho·Wo`, +1 to start), each event `G`
/// cycles per kernel position it walks whose output is inside the map and one per position
/// outside it (the positions aligned with the stride: `Kh·Kw` at stride 1; averaged over the
/// input map's positions, [`crate::layer::conv_issue::mean_walk_cycles`]; the next event's
/// coordinates are fetched during the walk, so only an event that has to be waited for costs
/// 3 more), 4 of pipeline, and the conversion,
/// which holds `V` (`G·Hp·Wp·kh·kw` reads). Fire: the conversion, then `T` sweeps
/// of the `G·Hp·Wp` tick rows at two cycles per row, the spikes, and the eow.
pub fn conv_stage_phases(
    geo: &ConvGeometry,
    groups: usize,
    t: u32,
    events_in: f64,
    events_out: f64,
) -> (f64, f64) {
    let g = groups as f64;
    let walk = crate::layer::conv_issue::mean_walk_cycles(geo, groups);
    let conversion = g * (geo.pooled_positions() * geo.pool_kernel[0] * geo.pool_kernel[1]) as f64;
    let bias = g * geo.out_positions() as f64 + 1.0;
    let integrate = bias + events_in * walk + 4.0 + conversion;
    let fire = conversion + 2.0 * t as f64 * g * geo.pooled_positions() as f64 + events_out + 2.0;
    (integrate, fire)
}

/// The DESIGN §5 cost model of one layer stage: `(integrate, fire)` cycles for one sample of
/// `events_in` input events and `events_out` spikes, for `outputs` neurons in `groups`
/// (`G = ⌈N / P⌉`) time-multiplexed groups over a window of `t` ticks; a stage that does not
/// fire (`fires = false`) streams its potentials instead.
///
/// Integrate is one `G`-cycle pass for the bias and per input event plus 4 cycles of pipeline,
/// plus the fire phase's first sweep over `V` (`G` reads; a z-output stage streams all `N`
/// potentials, `N + 2·G`, before `V` is free); fire converts `V` to spike ticks (`G`), scans
/// `T` ticks × `G` groups at two cycles per tick-memory row and serialises its spikes (a
/// sliced serialiser overlaps a row's load with the last row's spikes). The two
/// phases overlap (ping-pong), so the stage interval is the larger of the two. The plan
/// estimates with it (`LayerEstimate`) and `hdl/tests/layer_stage.rs` checks the block
/// against it.
pub fn stage_phases(
    (outputs, lanes): (usize, usize),
    groups: usize,
    fires: bool,
    t: u32,
    (events_in, events_out): (f64, f64),
    (events_per_cycle, input_streams): (usize, usize),
) -> (f64, f64) {
    let g = groups as f64;
    // Two events per pass halve the passes, but one input stream brings at most one event a
    // cycle: with `G = 1` the passes are as many as before. Two streams bring a pair of one
    // tick a cycle ([`merge_cycles`]).
    let input = if input_streams == 2 {
        events_in / (2.0 * PAIR_EFFICIENCY)
    } else {
        events_in
    };
    let passes = ((events_in / events_per_cycle as f64 + 1.0) * g).max(input + 1.0) + 4.0;
    if fires {
        let rows = t as f64 * g;
        if crate::layer::serialiser::sliced(lanes) {
            // A sliced serialiser loads the next row while the last one's candidates are
            // sent: a row of `n ≥ 2` spikes costs about `n` cycles, not `2 + n`, an empty
            // row two and a row of one spike three (the load waits for the row before to
            // leave its candidates). Over rows of `λ = spikes/(T·G)` spikes at random ticks
            // that is the spikes, plus two cycles per empty row and per row of one spike;
            // then the pipeline's two.
            let lambda = events_out / rows;
            let short = rows * (-lambda).exp() * (2.0 + 2.0 * lambda);
            (passes + g, g + 2.0 + events_out + short)
        } else {
            (passes + g, g + 2.0 * rows + events_out)
        }
    } else {
        let z_out = outputs as f64 + 2.0 * g;
        (passes + z_out, z_out)
    }
}

/// The shape of one layer stage: what its resources depend on.
#[derive(Clone, Debug)]
struct StageShape {
    /// Fan-in of a neuron (bias not counted) and neurons on the lanes (conv: channels).
    inputs: usize,
    outputs: usize,
    lanes: usize,
    weight_bits: u32,
    z_bits: u32,
    t: u32,
    /// A conv stage's geometry.
    conv: Option<ConvGeometry>,
    /// Depth of the event queue on its output (0: none).
    event_queue: usize,
    /// Coordinates in logic rather than a ROM ([`LayerPlan::coords_in_logic`]).
    coords_in_logic: bool,
    /// Weights in SPRAM whatever their size (a dense stage the planner moved there).
    spram_weights: bool,
    /// Events per pass ([`LayerPlan::events_per_cycle`]).
    events_per_cycle: usize,
    /// Event streams in ([`LayerPlan::input_streams`]).
    input_streams: usize,
}

/// Whether a conv stage of geometry `g` on `target` computes its coordinates in logic
/// ([`LayerPlan::coords_in_logic`]).
fn coords_in_logic(target: Target, g: &ConvGeometry) -> bool {
    target.family() != Some(crate::target::Family::Ecp5)
        && crate::layer::coord_logic::coords_in_logic_possible(g)
}

impl StageShape {
    /// The shape of stage `spec` of `model` with `lanes` lanes and `z_bits`-bit potentials.
    fn of(model: &Model, spec: &StageSpec, lanes: usize, z_bits: u32, target: Target) -> Self {
        let layer = &model.layers[spec.k];
        StageShape {
            inputs: layer.fan_in(),
            outputs: layer.rows(),
            lanes,
            weight_bits: layer.weight_bits,
            z_bits,
            t: model.time_steps,
            conv: spec.conv.clone(),
            event_queue: spec.event_queue,
            coords_in_logic: spec
                .conv
                .as_ref()
                .is_some_and(|g| coords_in_logic(target, g)),
            spram_weights: false,
            events_per_cycle: 1,
            input_streams: 1,
        }
    }

    /// `V` rows per group (conv: `Ho·Wo`) and tick rows per group (conv: `Hp·Wp`).
    fn positions(&self) -> (usize, usize) {
        self.conv
            .as_ref()
            .map_or((1, 1), |g| (g.out_positions(), g.pooled_positions()))
    }

    /// `(integrate, fire)` cycles ([`stage_phases`], [`conv_stage_phases`]).
    fn phases(&self, fires: bool, events_in: f64, events_out: f64) -> (f64, f64) {
        match &self.conv {
            Some(geo) => conv_stage_phases(geo, self.groups(), self.t, events_in, events_out),
            None => stage_phases(
                (self.outputs, self.lanes),
                self.groups(),
                fires,
                self.t,
                (events_in, events_out),
                (self.events_per_cycle, self.input_streams),
            ),
        }
    }

    /// Weight bits read per sample: a row of `N·W` bits for the bias and per event (dense);
    /// a conv reads `Co·W` per kernel position each event walks whose output is inside the
    /// map (a bubble reads nothing) and per output position for the bias.
    fn weight_bits_read(&self, events_in: f64) -> f64 {
        let row = (self.outputs as u64 * self.weight_bits as u64) as f64;
        match &self.conv {
            Some(g) => {
                // In-map positions: one group more adds one cycle per in-map position only.
                let walk = crate::layer::conv_issue::mean_walk_cycles;
                let inside = walk(g, 2) - walk(g, 1);
                row * (events_in * inside + g.out_positions() as f64)
            }
            None => row * (events_in + 1.0),
        }
    }

    /// `G = ⌈N / P⌉`.
    fn groups(&self) -> usize {
        self.outputs.div_ceil(self.lanes)
    }

    /// Bits of the weights, bias row included.
    fn weight_bits_total(&self) -> u64 {
        ((self.inputs + 1) * self.outputs) as u64 * self.weight_bits as u64
    }

    /// Bits of a spike tick (`K + 1`).
    fn tick_bits(&self) -> u64 {
        self.t.trailing_zeros() as u64 + 1
    }

    /// `V` (`z_bits`) and the spike tick (`K + 1` bits) per neuron (a conv: `V` per output
    /// position, ticks per pooled position).
    fn state_bits(&self) -> u64 {
        let (v, tk) = self.positions();
        self.outputs as u64 * (v as u64 * self.z_bits as u64 + tk as u64 * self.tick_bits())
    }
}

fn weight_memory_kind(target: Target, s: &StageShape) -> MemoryKind {
    let (weight_bits_total, outputs) = (s.weight_bits_total(), s.outputs);
    match () {
        // The planner moved the weights to SPRAM to free block RAM (`plan_within_block_ram`).
        _ if s.spram_weights && target.has_spram() => MemoryKind::Spram,
        // Tiny layers (≤ 1 kbit, e.g. a 10-neuron output layer of a few inputs) in registers.
        _ if weight_bits_total <= 1024 && outputs <= 16 => MemoryKind::Registers,
        // UP5K: 30 EBR = 120 kbit; anything above ~96 kbit goes to SPRAM.
        _ if target.has_spram() && weight_bits_total > 96 * 1024 => MemoryKind::Spram,
        // ECP5: up to 16 kbit costs fewer resources as LUT RAM (~1 LUT per 16 bits).
        _ if target.has_lut_ram() && weight_bits_total <= 16 * 1024 => MemoryKind::Distributed,
        _ => MemoryKind::BlockRam,
    }
}

fn state_memory_kind(target: Target, s: &StageShape) -> MemoryKind {
    match () {
        _ if s.outputs * s.positions().0 <= 32 => MemoryKind::Registers,
        _ if target.has_lut_ram() && s.state_bits() <= 16 * 1024 => MemoryKind::Distributed,
        _ => MemoryKind::BlockRam,
    }
}

/// Weight bits all stages read per sample (`LayerEstimate::weight_bits_read_per_sample`) over
/// the read bits per cycle of every block RAM and SPRAM of the device.
fn device_bandwidth_bound(target: Target, plans: &[LayerPlan]) -> Option<f64> {
    let cap = target.capacity()?;
    let family = target.family()?;
    let per_cycle = cap.brams * family.bram_read_bits_per_cycle() + cap.spram * SPRAM_WIDTH;
    let bits: f64 = plans
        .iter()
        .map(|p| p.estimate.weight_bits_read_per_sample)
        .sum();
    Some(bits / per_cycle as f64)
}

/// Read bits per cycle of a stage's weight memory of `kind` in `brams` block RAMs or `sprams`
/// SPRAMs (the generic target counts iCE40 blocks, as [`Target::brams_for`] does).
fn weight_read_bits(target: Target, kind: MemoryKind, brams: u64, sprams: u64) -> Option<u64> {
    let family = target.family().unwrap_or(crate::target::Family::Ice40);
    match kind {
        MemoryKind::BlockRam => Some(brams * family.bram_read_bits_per_cycle()),
        MemoryKind::Spram => Some(sprams * SPRAM_WIDTH),
        MemoryKind::Registers | MemoryKind::Distributed => None,
    }
}

/// LUT4s and flip-flops of a stage's lanes and control, memories aside.
///
/// Per lane: W × (K+1) shift-add, V adder and forwarding mux, tick compare, z/tick muxes.
/// Calibrated on place-and-route of the default model (tests/pnr_default.rs: iCEBreaker
/// 8 lanes, ULX3S 26 lanes, whose difference isolates the per-lane cost): a lane is ~2 LUT4
/// per V bit plus ~1 per partial-product bit of the shift-add; the stage's control and
/// spike serialiser ~450. Where a carry cell computes its sum bits ([`Target::carry_has_sum`])
/// the V adder and the product adders take ~`z_bits + W + K + 1` fewer LUT4.
/// Flip-flops per lane: the forwarded and the write-back V and the summed product (z_bits
/// each), ~12 bits of pipeline control, and the registered weight and half products
/// (~`3·W + K + 4`); per stage ~190 (pipeline control, output register); same calibration.
fn stage_logic(target: Target, s: &StageShape) -> (u64, u64) {
    let (w, z, k) = (s.weight_bits, s.z_bits, s.t.trailing_zeros());
    let carry_sums = if target.carry_has_sum() {
        z + w + k + 1
    } else {
        0
    };
    let mut lane_luts = (2 * z + 17 + w * (k + 1) - carry_sums) as u64;
    let mut lane_ffs = (3 * z + 12 + 3 * w + k + 4) as u64;
    if s.events_per_cycle == 2 {
        // The second event's half products, their registers and the wider product sum.
        lane_luts += (w * (k + 1) + z) as u64;
        lane_ffs += (2 * z + w) as u64;
    }
    // A conv stage adds its kernel walk and pooled conversion (~500 LUT4, ~200 FF) and per
    // lane the registered read, the two-back forwarded write and its mux (3·z_bits FF, z_bits
    // LUT4) and the pool's registered word, best word and compare (32 FF, ~32 LUT4);
    // calibrated on `ttfs synth --model mnist-cnn --target ecp5-25k` (6 382 LUT4, 5 987 FF).
    // Off ECP5 (`StageParams::v_read_registered`, `lean_control`) the read is not registered,
    // the control's registers are narrowed (~250 LUT4, ~60 FF) and a 1×1 pool is a register
    // (~K+1 FF); calibrated on `ttfs synth --model mnist-cnn --target ice40-up5k` (3 542 LUT4,
    // 2 430 FF, 5 077 logic cells).
    let ecp5 = target.family() == Some(crate::target::Family::Ecp5);
    let (conv_luts, conv_ffs) = match &s.conv {
        Some(_) if ecp5 => (
            500 + s.lanes as u64 * (z as u64 + 32),
            200 + s.lanes as u64 * (3 * z as u64 + 32),
        ),
        Some(g) => {
            let (pool_luts, pool_ffs) = if g.pool_kernel == [1, 1] {
                (0, k as u64 + 1)
            } else {
                (32, 32)
            };
            (
                250 + s.lanes as u64 * pool_luts,
                60 + s.lanes as u64 * pool_ffs,
            )
        }
        None => (0, 0),
    };
    // Coordinates in logic (CoordLogic): the index's constant multiplier, the quotient's, the
    // two tables and their adder (yosys `synth_ice40` of mnist-cnn's two: 311 and 410 LUT4 per
    // module before flattening), 32 flip-flops.
    let (coord_luts, coord_ffs) = if s.coords_in_logic { (300, 32) } else { (0, 0) };
    let (conv_luts, conv_ffs) = (conv_luts + coord_luts, conv_ffs + coord_ffs);
    (
        450 + s.lanes as u64 * lane_luts + conv_luts,
        190 + s.lanes as u64 * lane_ffs + conv_ffs,
    )
}

/// `(block RAMs, SPRAMs)` of a stage's weights in memory `kind`.
fn weight_blocks(target: Target, kind: MemoryKind, s: &StageShape) -> (u64, u64) {
    match kind {
        MemoryKind::Registers | MemoryKind::Distributed => (0, 0),
        MemoryKind::Spram => {
            // SPRAM words: SPRAM_WIDTH / W lanes per SPRAM, SPRAM_WORDS deep.
            let words = ((s.inputs + 1) * s.groups()) as u64;
            let lanes_per = (SPRAM_WIDTH / s.weight_bits.max(1) as u64).max(1);
            let cols = (s.lanes as u64).div_ceil(lanes_per);
            (0, cols * words.div_ceil(SPRAM_WORDS))
        }
        MemoryKind::BlockRam => {
            let blocks = weight_brams(target, s.inputs, s.outputs, s.lanes, s.weight_bits);
            // A second read port: both ports of a true dual-port DP16KD, else a copy.
            let copies = if s.events_per_cycle == 2 && !target.has_lut_ram() {
                2
            } else {
                1
            };
            (copies * blocks, 0)
        }
    }
}

/// Block RAMs of a stage's state in block RAM: two packed memories of `G` rows, `P·z_bits`
/// and `P·(K+1)` bits wide.
fn state_brams(target: Target, s: &StageShape) -> u64 {
    let (v, tk) = s.positions();
    let depth = |rows: usize| ((s.groups() * rows) as u64).max(2).next_power_of_two();
    target.brams_for(depth(v), s.lanes as u64 * s.z_bits as u64)
        + target.brams_for(depth(tk), s.lanes as u64 * s.tick_bits())
}

/// Block RAMs of a conv stage's coordinate ROM: one word per input feature
/// ([`crate::layer::conv_issue::CoordLayout`]), depth rounded up to a power of two.
fn coord_rom_brams(target: Target, s: &StageShape) -> u64 {
    s.conv
        .as_ref()
        .filter(|_| !s.coords_in_logic)
        .map_or(0, |g| {
            let depth = (g.in_shape.iter().product::<usize>() as u64)
                .max(2)
                .next_power_of_two();
            let bits = crate::layer::conv_issue::CoordLayout::of(g).stored_bits();
            target.brams_for(depth, bits as u64)
        })
}

/// The DESIGN §5 estimate of one stage: cycles ([`stage_phases`]), memory bits, LUT/FF/BRAM.
fn estimate(
    target: Target,
    s: &StageShape,
    events_in: f64,
    events_out: f64,
    fires: bool,
) -> LayerEstimate {
    let (integrate_cycles, fire_cycles) = s.phases(fires, events_in, events_out);
    let weight_bits = s.weight_bits_total();
    let state_bits = s.state_bits();
    let kind = weight_memory_kind(target, s);
    let (luts, ffs) = stage_logic(target, s);
    let (brams, sprams) = weight_blocks(target, kind, s);
    let weight_read_bits_per_cycle = weight_read_bits(target, kind, brams, sprams);
    let weight_bits_read_per_sample = s.weight_bits_read(events_in);
    let bandwidth_bound_cycles =
        weight_read_bits_per_cycle.map(|bw| weight_bits_read_per_sample / bw.max(1) as f64);
    let distributed_luts = if kind == MemoryKind::Distributed {
        weight_bits / 16
    } else {
        0
    };
    // State in block RAM; else LUT RAM on ECP5, flip-flops and ~1.5 LUTs of read mux per bit
    // on iCE40; registers only when the state is neither block RAM nor LUT RAM.
    let state = state_memory_kind(target, s);
    let (state_brams, state_luts) = match state {
        MemoryKind::BlockRam => (state_brams(target, s), 0),
        _ if target.has_lut_ram() => (0, state_bits / 16),
        _ => (0, state_bits * 3 / 2),
    };
    let state_ffs = if state == MemoryKind::Registers {
        state_bits
    } else {
        0
    };
    // The event queue: its packed 32-bit rows, two pointers, flags and the bypass register.
    let (queue_brams, queue_luts, queue_ffs) = if s.event_queue > 0 {
        (
            target.fifo_brams_for(s.event_queue as u64, EVENT_BEAT_BITS),
            QUEUE_LOGIC.0,
            QUEUE_LOGIC.1,
        )
    } else {
        (0, 0, 0)
    };
    LayerEstimate {
        integrate_cycles,
        fire_cycles,
        cycles_per_sample: integrate_cycles.max(fire_cycles),
        weight_read_bits_per_cycle,
        bandwidth_bound_cycles,
        weight_bits_read_per_sample,
        weight_bits,
        state_bits,
        luts: luts + distributed_luts + state_luts + queue_luts,
        ffs: ffs + state_ffs + queue_ffs,
        brams: brams + state_brams + coord_rom_brams(target, s) + queue_brams,
        sprams,
    }
}

/// The `|z|` bound the stage's potentials are sized from. Weights fixed in the design (ROM, or
/// the UP5K SPRAM image generated with it) give the exact bound `max(Σ w⁺, Σ |w⁻|) · T` of
/// their rows (every partial sum of `w · q`, `0 ≤ q ≤ T`, lies inside it); weights loaded at run
/// time (`--weights runtime`: any weights of the shape) take DESIGN §2's
/// `(fan_in + 1) · 2^(W−1) · T`. On the UP5K this keeps a 4-bit model's 16-lane potentials in
/// 13 bits instead of 18, which is what lets their block RAMs fit beside the encoder.
fn accumulator_bound(layer: &golden::model::Layer, t: u32, weights: WeightSource) -> i64 {
    match weights {
        WeightSource::Embedded => bounds::z_bound_exact(layer, t).max(1),
        WeightSource::Runtime => bounds::z_bound(layer, t),
    }
}

fn slope_bits(inputs: usize, weight_bits: u32) -> u32 {
    bounds::signed_bits((inputs as i64 + 1) * (1i64 << (weight_bits - 1)))
}

fn plan_layer(
    model: &Model,
    spec: &StageSpec,
    (lanes, events_per_cycle): (usize, usize),
    fires: bool,
    (events_in, events_out): (f64, f64),
    options: &HwOptions,
    spram: bool,
) -> LayerPlan {
    let layer = &model.layers[spec.k];
    let t = model.time_steps;
    let z_bound = accumulator_bound(layer, t, options.weights);
    let z_bits = bounds::signed_bits(z_bound);
    let shape = StageShape {
        spram_weights: spram,
        events_per_cycle,
        input_streams: if spec.k == 0 { options.streams() } else { 1 },
        ..StageShape::of(model, spec, lanes, z_bits, options.target)
    };
    let est = estimate(options.target, &shape, events_in, events_out, fires);
    let sent = shape.outputs * shape.positions().1;
    LayerPlan {
        layer: spec.k + 1,
        map: spec.map,
        inputs: shape.inputs,
        outputs: shape.outputs,
        sent,
        conv: spec.conv.clone(),
        event_queue: spec.event_queue,
        coords_in_logic: shape.coords_in_logic,
        lanes,
        events_per_cycle,
        input_streams: shape.input_streams,
        groups: shape.groups(),
        weight_bits: layer.weight_bits,
        frac_bits: layer.frac_bits,
        z_bound,
        z_bits,
        slope_bits: slope_bits(shape.inputs, layer.weight_bits),
        input_index_bits: bounds::unsigned_bits(layer.inputs as u64),
        output_index_bits: index_bits(sent),
        fires,
        weight_memory: weight_memory_kind(options.target, &shape),
        state_memory: state_memory_kind(options.target, &shape),
        estimate: est,
    }
}

/// Whether the automatic choice gives stage `shape` two events per pass: a dense stage whose
/// weights are a ROM in block RAM (both ports of an ECP5 `DP16KD` read; an iCE40 EBR has one
/// read port, so there the memory would be copied) on ECP5.
fn dual_possible(options: &HwOptions, shape: &StageShape) -> bool {
    options.target.family() == Some(crate::target::Family::Ecp5)
        && shape.conv.is_none()
        && options.weights == WeightSource::Embedded
        && weight_memory_kind(options.target, shape) == MemoryKind::BlockRam
}

/// The automatic lane count: the fewest lanes whose stage keeps up with the input stream (one
/// feature per beat), within the target's memory bandwidth (UP5K SPRAM: `spram · SPRAM_WIDTH`
/// = 64 bits per cycle).
fn auto_lanes(
    target: Target,
    shape: &StageShape,
    events_in: f64,
    events_out: f64,
    input_cycles: f64,
    fires: bool,
) -> usize {
    let (inputs, outputs, weight_bits) = (shape.inputs, shape.outputs, shape.weight_bits);
    let kind = weight_memory_kind(target, shape);
    let cap = target.capacity();
    let max_lanes = match (kind, cap) {
        (MemoryKind::Spram, Some(cap)) => {
            ((cap.spram * SPRAM_WIDTH / weight_bits as u64) as usize).clamp(1, outputs)
        }
        _ => outputs,
    };
    // More lanes need wider weight rows: stay within the target's block RAM, leaving a few
    // blocks for the encoder and the other layers (the fit check has the last word).
    let fits = |p: usize| match (kind, cap) {
        (MemoryKind::BlockRam, Some(cap)) => {
            weight_brams(target, inputs, outputs, p, weight_bits) + 4 <= cap.brams
        }
        // One SPRAM deep: (fan_in + 1)·G rows at most SPRAM_WORDS (see `check_fit`).
        (MemoryKind::Spram, _) => ((inputs + 1) * outputs.div_ceil(p)) as u64 <= SPRAM_WORDS,
        _ => true,
    };
    // The fewest fitting lanes that keep up with the input stream, else the fastest fitting
    // (block RAM use is not monotonic in P: rows (fan_in + 1)·G round up to a power of two).
    let mut best: Option<(f64, usize)> = None;
    for p in 1..=max_lanes {
        if !fits(p) {
            continue;
        }
        let trial = StageShape {
            lanes: p,
            ..shape.clone()
        };
        let (integrate, fire) = trial.phases(fires, events_in, events_out);
        let cycles = integrate.max(fire);
        if cycles <= input_cycles {
            return p;
        }
        if best.is_none_or(|(c, _)| cycles < c) {
            best = Some((cycles, p));
        }
    }
    best.map_or(max_lanes, |(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_design(target: Target) -> Design {
        let model = golden::default_model::quantized();
        let activity = Activity::worst_case(&model);
        Design::new(model, HwOptions::new(target), activity).unwrap()
    }

    #[test]
    fn up5k_fits_mnist_cnn_with_logic_coordinates_spram_weights_and_searched_lanes() {
        // mnist-cnn at one lane per stage needs ~76 iCE40 EBR with coordinate ROMs (7 + 14)
        // and block-RAM weights (16 dense, 8 conv). On the UP5K the coordinates are computed,
        // every stage's weights go to SPRAM (one lane-row of 16 bits per SPRAM: 2, 4 and 1
        // lanes of 8-bit weights take all four), which leaves the EBR to the state and the
        // conv → conv queue; the lane search keeps within the logic cells (6 lanes on the
        // second conv, as the plan was before it counted cells, did not place: 125 %).
        // ECP5 keeps ROMs, block-RAM weights and the queue.
        let model = golden::builtin::find("mnist-cnn").unwrap().quantized();
        let activity = Activity::worst_case(&model);
        let d = Design::new(
            model.clone(),
            HwOptions::new(Target::Ice40Up5k),
            activity.clone(),
        )
        .unwrap();
        assert!(d
            .layers
            .iter()
            .all(|p| p.weight_memory == MemoryKind::Spram));
        assert!(d
            .layers
            .iter()
            .all(|p| p.conv.is_none() || p.coords_in_logic));
        assert_eq!(d.layers[0].event_queue, EVENT_QUEUE_DEPTH);
        let cap = Target::Ice40Up5k.capacity().unwrap();
        assert!(d.est_brams <= cap.brams && d.est_sprams <= cap.spram);
        assert!(logic_cells(Target::Ice40Up5k, d.est_luts, d.est_ffs) <= cap.luts);
        let lanes: Vec<usize> = d.layers.iter().map(|p| p.lanes).collect();
        assert_eq!(lanes, [2, 4, 1]);
        let ecp5 = Design::new(model, HwOptions::new(Target::Ecp5_25k), activity).unwrap();
        assert!(ecp5.layers.iter().all(|p| !p.coords_in_logic));
        assert!(ecp5
            .layers
            .iter()
            .all(|p| p.weight_memory != MemoryKind::Spram));
        assert_eq!(ecp5.layers[0].event_queue, EVENT_QUEUE_DEPTH);
    }

    #[test]
    fn ecp5_widens_the_beat_and_pairs_events_only_where_one_per_cycle_falls_behind() {
        // Issue 15: on the ECP5-25F the default model's input stream (784 beats) and layer 1
        // (26 lanes, 5 groups: ~700 cycles with one event per pass) were the bounds; the plan
        // widens the beat and reads two weight rows per pass from both DP16KD ports.
        // MNIST-like activity: ~145 of 784 pixels spike, ~60 hidden neurons.
        let mnist_like = |target: Target| {
            let model = golden::default_model::quantized();
            let activity = Activity {
                events_in: vec![145.0, 60.0],
                samples: 1,
                source: "test".into(),
                per_sample: vec![],
                per_tick: vec![],
            };
            Design::new(model, HwOptions::new(target), activity).unwrap()
        };
        let d = mnist_like(Target::Ecp5_25k);
        assert!(d.input_lanes > 1, "{} features per beat", d.input_lanes);
        assert_eq!(d.layers[0].events_per_cycle, 2);
        assert!(d.layers[0].groups >= 2);
        assert!(
            d.est_cycles_per_sample <= 400.0,
            "{} cycles/sample",
            d.est_cycles_per_sample
        );
        // The UP5K and the generic target keep the one-feature port and one event per pass.
        for t in [Target::Ice40Up5k, Target::Generic] {
            let d = mnist_like(t);
            assert_eq!(d.input_lanes, 1, "{t}");
            assert!(d.layers.iter().all(|l| l.events_per_cycle == 1), "{t}");
        }
        // A stage that keeps up with one event per pass keeps it (mnist-cnn's dense layer).
        let model = golden::builtin::find("mnist-cnn").unwrap().quantized();
        let activity = Activity::worst_case(&model);
        let d = Design::new(model, HwOptions::new(Target::Ecp5_25k), activity).unwrap();
        assert!(d.layers.iter().all(|l| l.events_per_cycle == 1));
    }

    #[test]
    fn bank_queues_go_in_only_where_the_block_rams_hold_them() {
        // The default model's weights take 52 of the ECP5-25F's 56 DP16KD: no room for one
        // queue per bank. The 85F has 208, and the generic target no limit.
        let model = golden::default_model::quantized();
        let activity = Activity::worst_case(&model);
        let plan = |target: Target, k: usize| {
            let mut o = HwOptions::new(target);
            o.input_lanes = Some(k);
            Design::new(model.clone(), o, activity.clone()).unwrap()
        };
        let small = plan(Target::Ecp5_25k, 4);
        assert_eq!(small.bank_queue_depth, 0);
        let big = plan(Target::Ecp5_85k, 6);
        assert_eq!(big.bank_queue_depth, BANK_QUEUE_DEPTH);
        // A 512 × 32 queue per bank on top of the plan without them.
        let without = encoder_brams(Target::Ecp5_85k, 784, model.time_steps, 6)
            + big.layers.iter().map(|l| l.estimate.brams).sum::<u64>();
        let queue = Target::Ecp5_85k.fifo_brams_for(BANK_QUEUE_DEPTH as u64, EVENT_BEAT_BITS);
        assert_eq!(big.est_brams, without + 6 * queue);
        assert_eq!(plan(Target::Generic, 3).bank_queue_depth, BANK_QUEUE_DEPTH);
        // One feature per beat has one bank and no merge to queue for.
        assert_eq!(plan(Target::Generic, 1).bank_queue_depth, 0);
    }

    #[test]
    fn two_encoder_streams_bring_a_pair_of_one_tick_a_cycle_into_a_g1_stage() {
        // 120 events, G = 1, two events a pass: one stream binds at max(61, 121) + 4 = 125;
        // two streams pass 120 / (2 · 0.8) = 75 events' cycles: max(61, 76) + 4 = 80.
        let (one, _) = stage_phases((128, 128), 1, true, 16, (120.0, 40.0), (2, 1));
        let (two, _) = stage_phases((128, 128), 1, true, 16, (120.0, 40.0), (2, 2));
        assert_eq!((one, two), (125.0 + 1.0, 80.0 + 1.0));
        // The encoder's merge side: 120 + 2·8 = 136 cycles with one stream, 75 + 8 with two.
        assert_eq!(merge_cycles(120.0, 8, 1), 136.0);
        assert_eq!(merge_cycles(120.0, 8, 2), 83.0);
    }

    #[test]
    fn two_encoder_streams_are_asked_for_and_the_85f_plan_takes_them() {
        // One stream unless asked for, or automatic (the 85F only). With two, the 85F's G = 1
        // layer 1 takes two events a pass from two streams; layer 2 keeps one.
        let model = golden::default_model::quantized();
        let activity = Activity::worst_case(&model);
        let plan = |target: Target, streams: Option<usize>| {
            let mut o = HwOptions::new(target);
            o.encoder_streams = streams;
            Design::new(model.clone(), o, activity.clone()).unwrap()
        };
        for t in [Target::Ecp5_25k, Target::Generic, Target::Ice40Up5k] {
            assert_eq!(plan(t, None).encoder_streams, 1, "{t}");
        }
        assert_eq!(plan(Target::Ecp5_85k, Some(1)).encoder_streams, 1);
        let big = plan(Target::Ecp5_85k, Some(2));
        assert_eq!(big.encoder_streams, 2);
        assert!(big.input_lanes >= 4);
        assert_eq!(
            (big.layers[0].events_per_cycle, big.layers[0].input_streams),
            (2, 2)
        );
        assert_eq!(big.layers[1].input_streams, 1);
    }

    #[test]
    fn the_automatic_streams_take_two_only_with_bank_queues_and_a_faster_estimate() {
        // MNIST-like activity: ~145 of 784 pixels spike, ~60 hidden neurons. The 85F has bank
        // queues and 128 lanes (G = 1): two streams bring layer 1 from one event a cycle to a
        // pair. The 25F's block RAMs leave no room for queues: one. A conv first stage: one.
        let activity = |model: &Model| {
            if model.layers.len() == 2 {
                Activity {
                    events_in: vec![145.0, 60.0],
                    samples: 1,
                    source: "test".into(),
                    per_sample: vec![],
                    per_tick: vec![],
                }
            } else {
                Activity::worst_case(model)
            }
        };
        let auto = |name: &str, target: Target| {
            let model = golden::builtin::find(name).unwrap().quantized();
            let a = activity(&model);
            Design::auto_streams(model, HwOptions::new(target), a).unwrap()
        };
        let big = auto("mnist-mlp", Target::Ecp5_85k);
        assert_eq!(big.encoder_streams, 2);
        assert!(big.bank_queue_depth > 0);
        assert_eq!(auto("mnist-mlp", Target::Ecp5_25k).encoder_streams, 1);
        assert_eq!(auto("mnist-cnn", Target::Ecp5_85k).encoder_streams, 1);
        // Automatic only where a two-stream design has met the target's clock: the 85F.
        assert_eq!(AUTO_STREAMS, &[Target::Ecp5_85k]);
        for t in [
            Target::Ecp5_85k,
            Target::Ecp5_25k,
            Target::Generic,
            Target::Ice40Up5k,
        ] {
            let model = golden::default_model::quantized();
            let a = activity(&model);
            let d = Design::new(model, HwOptions::new(t), a).unwrap();
            assert_eq!(
                d.encoder_streams,
                usize::from(AUTO_STREAMS.contains(&t)) + 1
            );
        }
    }

    #[test]
    fn two_encoder_streams_are_refused_where_layer_1_cannot_take_them() {
        let model = golden::default_model::quantized();
        let activity = Activity::worst_case(&model);
        let refused = |edit: &dyn Fn(&mut HwOptions)| {
            let mut o = HwOptions::new(Target::Generic);
            o.input_lanes = Some(4);
            o.encoder_streams = Some(2);
            edit(&mut o);
            Design::new(model.clone(), o, activity.clone())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(refused(&|_| {}), "");
        assert!(refused(&|o| o.encoder_streams = Some(3)).contains("give 1 or 2"));
        assert!(refused(&|o| o.input_lanes = Some(3)).contains("at least 4 features per beat"));
        // The generic target's automatic beat is one feature.
        assert!(refused(&|o| o.input_lanes = None).contains("at least 4 features per beat"));
        assert!(refused(&|o| o.events_per_cycle = Some(vec![1, 1])).contains("two events per pass"));
        assert!(refused(&|o| o.weights = WeightSource::Runtime).contains("--weights embedded"));
    }

    #[test]
    fn two_events_per_pass_halve_the_passes_but_not_below_one_event_a_cycle() {
        // 120 events, G = 5: (120 + 1)·5 + 4 = 609 passes' cycles with one event a pass,
        // (60 + 1)·5 + 4 = 309 with two; with G = 1 the stream's one event a cycle binds:
        // max(61, 121) + 4 = 125.
        let (i1, _) = stage_phases((128, 26), 5, true, 16, (120.0, 40.0), (1, 1));
        let (i2, _) = stage_phases((128, 26), 5, true, 16, (120.0, 40.0), (2, 1));
        assert_eq!((i1, i2), (609.0 + 5.0, 309.0 + 5.0));
        let (g1, _) = stage_phases((128, 128), 1, true, 16, (120.0, 40.0), (2, 1));
        assert_eq!(g1, 125.0 + 1.0);
    }

    #[test]
    fn given_lanes_that_overflow_the_up5k_are_refused_not_searched() {
        // 8 lanes on the first conv need 4 EBR of weights and 10 of state: over the 30.
        let model = golden::builtin::find("mnist-cnn").unwrap().quantized();
        let mut o = HwOptions::new(Target::Ice40Up5k);
        o.lanes = Some(vec![8, 16, 10]);
        let e = Design::new(model.clone(), o, Activity::worst_case(&model)).unwrap_err();
        assert!(e.to_string().contains("block RAMs"), "{e}");
    }

    #[test]
    fn given_lanes_that_overflow_the_up5k_logic_cells_are_refused_by_name() {
        // 4, 4, 1 lanes fit the UP5K's EBR and SPRAM, not its 5 280 logic cells
        // (~4 300 LUT4 + ~2 070 flip-flops / 2).
        let model = golden::builtin::find("mnist-cnn").unwrap().quantized();
        let mut o = HwOptions::new(Target::Ice40Up5k);
        o.lanes = Some(vec![4, 4, 1]);
        let e = Design::new(model.clone(), o, Activity::worst_case(&model)).unwrap_err();
        assert!(e.to_string().contains("logic cells"), "{e}");
        assert!(e.to_string().contains("lanes 4,4,1"), "{e}");
    }

    #[test]
    fn conv_stages_fuse_their_max_pool_and_send_its_map() {
        let model = golden::builtin::find("fashion-cnn").unwrap().quantized();
        let specs = stage_specs(&model).unwrap();
        let maps: Vec<(usize, usize)> = specs.iter().map(|s| (s.k, s.map)).collect();
        // conv(0) + pool(1) → map 2; conv(2) + pool(3) → map 4; dense(4) → map 5.
        assert_eq!(maps, [(0, 2), (2, 4), (4, 5)]);
        let g = specs[0].conv.as_ref().unwrap();
        assert_eq!(
            (g.out_hw, g.pooled_hw, g.pool_kernel),
            ([28, 28], [14, 14], [2, 2])
        );
        let d = Design::new(
            model,
            HwOptions::new(Target::Generic),
            Activity::worst_case(&golden::builtin::find("fashion-cnn").unwrap().quantized()),
        )
        .unwrap();
        // Lanes run across the 8 and 16 output channels; the conv stages send the pooled maps.
        assert_eq!(
            d.layers.iter().map(|l| l.sent).collect::<Vec<_>>(),
            [8 * 14 * 14, 16 * 7 * 7, 10]
        );
        // The first conv stage feeds a conv stage: its events go through a queue.
        assert_eq!(
            d.layers.iter().map(|l| l.event_queue).collect::<Vec<_>>(),
            [EVENT_QUEUE_DEPTH, 0, 0]
        );
    }

    #[test]
    fn strided_convs_walk_only_their_aligned_kernel_positions() {
        // mnist-cnn: conv 5x5 stride 2 pad 2 (28 → 14), conv 5x5 stride 2 pad 2 (14 → 7), dense.
        let model = golden::builtin::find("mnist-cnn").unwrap().quantized();
        let specs = stage_specs(&model).unwrap();
        let maps: Vec<(usize, usize)> = specs.iter().map(|s| (s.k, s.map)).collect();
        assert_eq!(maps, [(0, 1), (1, 2), (2, 3)]);
        let g = specs[1].conv.as_ref().unwrap();
        assert_eq!((g.out_hw, g.pooled_hw, g.stride), ([7, 7], [7, 7], [2, 2]));
        // Offsets 0, 2, 4 line up with an even y + 2, offsets 1, 3 with an odd one: on average
        // 2.5 rows × 2.5 columns of the 25.
        assert_eq!(crate::layer::conv_issue::aligned_offsets(4, 5, 2), (0, 3));
        assert_eq!(crate::layer::conv_issue::aligned_offsets(5, 5, 2), (1, 2));
        assert_eq!(crate::layer::conv_issue::mean_walk_positions(g), 6.25);
        // A 1-wide kernel at stride 2 reaches nothing from an odd row: one bubble.
        assert_eq!(crate::layer::conv_issue::aligned_offsets(3, 1, 2), (1, 0));
        let d = Design::new(
            model.clone(),
            HwOptions::new(Target::Generic),
            Activity::worst_case(&model),
        )
        .unwrap();
        // Worst case (every input fires): the second stage walks 8·14·14 events × 6.25
        // positions, plus its bias pass (49 + 1), 4 of pipeline and its conversion (49).
        let l2 = &d.layers[1];
        assert_eq!(
            l2.estimate.integrate_cycles,
            50.0 + 1568.0 * 6.25 + 4.0 + 49.0
        );
        // With G groups an in-map position costs G cycles, an out-of-map one a bubble. Of the
        // 35 aligned kernel rows over the 14 input rows, 3 reach outside the 7 output rows
        // (y + 2 = 2 reaches row −1, 14 and 15 reach row 7): 32 inside, the same for columns,
        // so (32/14)² of the (35/14)² = 6.25 mean positions are inside.
        let cycles = |groups| crate::layer::conv_issue::mean_walk_cycles(g, groups);
        assert_eq!(cycles(1), 6.25);
        let inside = (32.0f64 / 14.0).powi(2);
        assert!((cycles(3) - (3.0 * inside + 6.25 - inside)).abs() < 1e-9);
    }

    #[test]
    fn a_conv_fed_without_an_event_queue_waits_for_its_producers_tick_sweeps() {
        // Lock step: a tick whose events walk for less than the producer's sweep costs the
        // sweep. 16 ticks of sweep 100, events 0 except 40 at tick 3 (walk 6.25 each at G = 1):
        // Σ max = 15·100 + 250, not the 250 of a queued stage.
        let model = golden::builtin::find("mnist-cnn").unwrap().quantized();
        let specs = stage_specs(&model).unwrap();
        let g = specs[1].conv.as_ref().unwrap();
        let mut per_tick = vec![0.0; 16];
        per_tick[3] = 40.0;
        let (queued, _) = conv_stage_phases(g, 1, 16, 40.0, 0.0);
        let lockstep = lockstep_integrate(g, 1, 100.0, &per_tick);
        assert_eq!(lockstep - queued, 15.0 * 100.0 + 250.0 - 250.0);
    }

    #[test]
    fn refuses_a_pool_without_its_conv_a_conv_after_dense_and_a_conv_last() {
        let model = golden::builtin::find("fashion-cnn").unwrap().quantized();
        let err = |layers: Vec<golden::model::Layer>| {
            let m = Model {
                layers,
                ..model.clone()
            };
            stage_specs(&m).unwrap_err().to_string()
        };
        let l = &model.layers;
        let e = err(l[1..].to_vec());
        assert!(
            e.contains("layer 1 (layers[0], maxpool2d) follows the input"),
            "{e}"
        );
        let e = err(vec![l[4].clone(), l[0].clone(), l[4].clone()]);
        assert!(
            e.contains("layer 2 (layers[1], conv2d) follows a dense layer"),
            "{e}"
        );
        let e = err(l[..3].to_vec());
        assert!(e.contains("layer 3 (layers[2]), is conv2d"), "{e}");
    }

    #[test]
    fn widths_come_from_the_design_bound() {
        let model = golden::default_model::quantized();
        let mut o = HwOptions::new(Target::Generic);
        o.weights = WeightSource::Runtime;
        let d = Design::new(model.clone(), o, Activity::worst_case(&model)).unwrap();
        // Any weights of the shape (runtime load): (784 + 1)·2^7·16 = 1 607 680 < 2^21, so 22
        // signed bits.
        assert_eq!(d.layers[0].z_bound, 1_607_680);
        assert_eq!(d.layers[0].z_bits, 22);
        // Slope: 785·128 = 100 480 < 2^17 → 18 bits. Input index 0..=784 → 10 bits.
        assert_eq!(d.layers[0].slope_bits, 18);
        assert_eq!(d.layers[0].input_index_bits, 10);
        assert_eq!((d.class_bits, d.tick_bits), (4, 4));
    }

    #[test]
    fn fixed_weights_size_the_potentials_from_their_own_rows() {
        let d = default_design(Target::Generic);
        // The default model's worst row: max(Σ w⁺, Σ |w⁻|) = 3 183, times T = 16 is 50 928
        // < 2^16, so 17 signed bits (22 for any weights of the shape).
        assert_eq!(d.layers[0].z_bound, 50_928);
        assert_eq!(d.layers[0].z_bits, 17);
        assert_eq!(
            d.layers[0].z_bound,
            golden::bounds::z_bound_exact(&d.model.layers[0], 16)
        );
    }

    #[test]
    fn bandwidth_bound_is_the_weight_rows_over_the_memories_read_width() {
        // Worst case: all 784 inputs spike, so 785 rows (bias included) of 128 · 8 bits.
        let d = default_design(Target::Ecp5_25k);
        let l1 = &d.layers[0];
        assert_eq!(l1.weight_memory, MemoryKind::BlockRam);
        let state = if l1.state_memory == MemoryKind::BlockRam {
            state_brams(
                Target::Ecp5_25k,
                &StageShape {
                    inputs: l1.inputs,
                    outputs: l1.outputs,
                    lanes: l1.lanes,
                    weight_bits: l1.weight_bits,
                    z_bits: l1.z_bits,
                    t: d.time_steps,
                    conv: None,
                    event_queue: 0,
                    coords_in_logic: false,
                    spram_weights: false,
                    events_per_cycle: l1.events_per_cycle,
                    input_streams: l1.input_streams,
                },
            )
        } else {
            0
        };
        // A DP16KD reads two 18-bit ports per cycle.
        let read = (l1.estimate.brams - state) * 36;
        assert_eq!(l1.estimate.weight_read_bits_per_cycle, Some(read));
        let bound = 785.0 * 1024.0 / read as f64;
        assert_eq!(l1.estimate.bandwidth_bound_cycles, Some(bound));
        // Today's stage reads one row of lanes · 8 bits per cycle: never faster than the bound.
        assert!(l1.estimate.cycles_per_sample >= bound);
        // The 10-neuron output layer keeps its weights in LUT RAM: no memory bound.
        assert_eq!(d.layers[1].estimate.bandwidth_bound_cycles, None);
        assert_eq!(d.bandwidth_bound_cycles_per_sample, Some(bound));
        // The whole device: 56 DP16KD × 36 bits; rows of both layers (785 × 1 024 + 129 × 80).
        let device = (785.0 * 1024.0 + 129.0 * 80.0) / (56.0 * 36.0);
        assert_eq!(d.device_bandwidth_bound_cycles_per_sample, Some(device));
        assert_eq!(
            default_design(Target::Generic).device_bandwidth_bound_cycles_per_sample,
            None
        );
    }

    #[test]
    fn up5k_puts_the_first_layer_in_spram_with_at_most_eight_lanes() {
        let d = default_design(Target::Ice40Up5k);
        assert_eq!(d.layers[0].weight_memory, MemoryKind::Spram);
        assert!(d.layers[0].lanes <= 8);
        assert!(d.est_sprams <= 4);
    }

    fn four_bit_default(weights: WeightSource) -> Design {
        let opts = golden::quantize::QuantizeOptions::new(4).unwrap();
        let (model, _) =
            golden::quantize::quantize(&golden::default_model::float(), &opts).unwrap();
        let mut o = HwOptions::new(Target::Ice40Up5k);
        o.weights = weights;
        Design::new(model.clone(), o, Activity::worst_case(&model)).unwrap()
    }

    #[test]
    fn up5k_packs_sixteen_four_bit_lanes_into_the_spram_row() {
        // 4 SPRAMs · 16 bits = 64 bits per read = 16 weights of 4 bits: G = 128 / 16 = 8.
        let d = four_bit_default(WeightSource::Embedded);
        assert_eq!(d.layers[0].weight_memory, MemoryKind::Spram);
        assert_eq!((d.layers[0].lanes, d.layers[0].groups), (16, 8));
        assert!(d.est_brams <= 30, "{} block RAMs", d.est_brams);
    }

    #[test]
    fn auto_lanes_step_down_until_the_block_ram_fits() {
        // Runtime weights size the potentials for any 4-bit weights (18 bits, not 13): 16 lanes
        // would need 16·18 bits of potentials per row (18 EBR) and overflow the UP5K's 30.
        let d = four_bit_default(WeightSource::Runtime);
        assert_eq!(d.layers[0].z_bits, 18);
        assert!(d.layers[0].lanes < 16, "{} lanes", d.layers[0].lanes);
        assert!(d.est_brams <= 30, "{} block RAMs", d.est_brams);
    }

    #[test]
    fn refuses_lanes_that_exceed_the_layer_or_miscount_layers() {
        let model = golden::default_model::quantized();
        let mut o = HwOptions::new(Target::Generic);
        o.lanes = Some(vec![200, 2]);
        let e = Design::new(model.clone(), o.clone(), Activity::worst_case(&model))
            .unwrap_err()
            .0;
        assert!(
            e.contains("layer 1") && e.contains("200 lanes") && e.contains("1..=128"),
            "{e}"
        );
        o.lanes = Some(vec![8]);
        let e = Design::new(model.clone(), o, Activity::worst_case(&model))
            .unwrap_err()
            .0;
        assert!(e.contains("1 values") && e.contains("2 layers"), "{e}");
    }

    #[test]
    fn lanes_that_do_not_divide_the_layer_round_groups_up() {
        let model = golden::default_model::quantized();
        let mut o = HwOptions::new(Target::Generic);
        o.lanes = Some(vec![48, 3]);
        let d = Design::new(model.clone(), o, Activity::worst_case(&model)).unwrap();
        // ⌈128/48⌉ = 3, ⌈10/3⌉ = 4.
        assert_eq!((d.layers[0].groups, d.layers[1].groups), (3, 4));
    }
}
