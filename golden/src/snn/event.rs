//! The event-driven fast path: the DESIGN §5 pipeline assembled from the block twins.
//!
//! ```text
//! x ─► Encoder ─events─► [Integrate ─z─► FireUnit] ─events─► … ─► [Integrate ─z─►] ReadoutUnit
//!                         layer 1                                  layer L
//! ```
//!
//! One sample flows through the stages in order (the hardware overlaps consecutive samples;
//! per sample the result is the same). A `conv2d` layer is a stage like a dense one (its
//! [`Integrate`] scatters events over receptive fields); a `maxpool2d` is a [`PoolUnit`]
//! between two stages, passing on the earliest event of each window in the same window. Streams are sorted by `(m, index)`; silent neurons send
//! nothing. Buffers are allocated once in [`EventSim::new`] and reused for every sample.

use super::{Encoder, Event, Fanouts, FireUnit, Integrate, PoolUnit, ReadoutUnit, SnnTrace};
use crate::model::Model;

/// One layer stage: integrate during the previous layer's window, fire during its own.
#[derive(Clone, Debug)]
pub struct Stage {
    pub integrate: Integrate,
    pub fire: FireUnit,
}

/// What `layers[k]` is in the pipeline.
#[derive(Clone, Debug)]
enum Step {
    /// A weighted layer: `stages[s]`.
    Stage(usize),
    Pool(PoolUnit),
}

/// The event-driven simulator of one model.
#[derive(Clone, Debug)]
pub struct EventSim {
    time_steps: u32,
    encoder: Encoder,
    /// The weighted layers' stages, in order.
    stages: Vec<Stage>,
    /// One step per layer.
    steps: Vec<Step>,
    /// Window of every map (0 = input).
    window: Vec<usize>,
    readout: ReadoutUnit,
    /// `streams[k]`: the events sent by map `k` (0 = encoder, `k + 1` = `layers[k]`) in the
    /// last run.
    streams: Vec<Vec<Event>>,
    /// How many layers the last run fired (the last layer is skipped by [`EventSim::run`]
    /// under potential readout).
    fired_layers: usize,
}

impl EventSim {
    /// Builds the pipeline (weights loaded input-major into each [`Integrate`]). The model is not
    /// validated here; every LC-TTFS model that passed [`Model::validate`] is simulated exactly.
    pub fn new(model: &Model) -> Self {
        let t = model.time_steps;
        let mut stages = Vec::new();
        let mut steps = Vec::with_capacity(model.layers.len());
        for layer in &model.layers {
            match PoolUnit::new(&layer.kind) {
                Some(pool) => steps.push(Step::Pool(pool)),
                None => {
                    steps.push(Step::Stage(stages.len()));
                    stages.push(Stage {
                        integrate: Integrate::new(layer),
                        fire: FireUnit::new(layer.outputs, t, layer.frac_bits),
                    });
                }
            }
        }
        let mut streams = vec![Vec::with_capacity(model.input_len() + 1)];
        for layer in &model.layers {
            streams.push(Vec::with_capacity(layer.outputs + 1));
        }
        EventSim {
            time_steps: t,
            encoder: Encoder::new(model.input_len(), model.input_bits, t),
            stages,
            steps,
            window: model.windows(),
            readout: ReadoutUnit::new(model.readout, model.classes()),
            streams,
            fired_layers: 0,
        }
    }

    /// The stages (for inspection).
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Runs one raw sample and returns only the class (the fast path: under potential readout
    /// the last layer is integrated but not fired). Per-layer events of the run stay readable
    /// through [`EventSim::events`].
    pub fn run(&mut self, x: &[u32]) -> usize {
        self.encoder.encode(x, &mut self.streams[0]);
        self.propagate(self.readout.needs_events())
    }

    /// Runs one raw sample and returns its full trace (every layer fired).
    pub fn trace(&mut self, x: &[u32]) -> SnnTrace {
        self.encoder.encode(x, &mut self.streams[0]);
        let class = self.propagate(true);
        self.collect(class)
    }

    /// Like [`EventSim::trace`] from already encoded activations `q0` (each in `0..=T`).
    pub fn trace_encoded(&mut self, q0: &[u32]) -> SnnTrace {
        self.encoder.encode_q0(q0, &mut self.streams[0]);
        let class = self.propagate(true);
        self.collect(class)
    }

    /// Events sent by map `layer` (0 = encoder, `k + 1` = `layers[k]`) in the last run,
    /// always-on event included.
    /// Empty for the last layer after a potential-readout [`EventSim::run`].
    pub fn events(&self, layer: usize) -> &[Event] {
        if layer <= self.fired_layers {
            &self.streams[layer]
        } else {
            &[]
        }
    }

    /// The last layer's `z` of the last run.
    pub fn potentials(&self) -> &[i64] {
        self.stages.last().map_or(&[], |s| s.integrate.potential())
    }

    /// Synaptic operations of the last run, as [`SnnTrace::synaptic_ops`]: each event read by
    /// a weighted layer costs the neurons that read its sender ([`Fanouts`]; the always-on
    /// event, `index == width`, has no entry and costs none).
    pub fn synaptic_ops(&self, fanouts: &Fanouts) -> u64 {
        fanouts
            .per_layer
            .iter()
            .enumerate()
            .filter_map(|(k, f)| f.as_ref().map(|f| (k, f)))
            .map(|(k, fanout)| {
                self.streams[k]
                    .iter()
                    .filter_map(|e| fanout.get(e.index as usize))
                    .map(|&n| n as u64)
                    .sum::<u64>()
            })
            .sum()
    }

    fn propagate(&mut self, fire_last: bool) -> usize {
        let t = self.time_steps;
        let n = self.steps.len();
        for (k, step) in self.steps.iter_mut().enumerate() {
            let (sent, rest) = self.streams.split_at_mut(k + 1);
            match step {
                Step::Pool(pool) => pool.pool(&sent[k], &mut rest[0]),
                Step::Stage(s) => {
                    let stage = &mut self.stages[*s];
                    let z = stage.integrate.integrate_window(&sent[k], t);
                    if k + 1 < n || fire_last {
                        stage.fire.latch(z);
                        stage.fire.emit(&mut rest[0]);
                    }
                }
            }
        }
        self.fired_layers = if fire_last { n } else { n - 1 };
        let last = self.stages.last().expect("model has at least one layer");
        self.readout
            .class(last.integrate.potential(), self.events(n))
    }

    fn collect(&self, class: usize) -> SnnTrace {
        let t = self.time_steps;
        let mut spike_ticks = Vec::with_capacity(self.steps.len() + 1);
        let widths =
            std::iter::once(self.encoder.inputs()).chain(self.steps.iter().map(
                |step| match step {
                    Step::Stage(s) => self.stages[*s].integrate.outputs(),
                    Step::Pool(p) => p.outputs(),
                },
            ));
        for (k, width) in widths.enumerate() {
            let base = self.window[k] as u32 * t;
            // Silent neurons sent nothing: they fire (forced) at the window end.
            let mut ticks = vec![base + t; width];
            for e in &self.streams[k] {
                if (e.index as usize) < width {
                    ticks[e.index as usize] = base + e.m;
                }
            }
            spike_ticks.push(ticks);
        }
        SnnTrace {
            time_steps: t,
            spike_ticks,
            z: self
                .steps
                .iter()
                .map(|step| match step {
                    Step::Stage(s) => self.stages[*s].fire.z().to_vec(),
                    Step::Pool(_) => Vec::new(),
                })
                .collect(),
            window: self.window.clone(),
            class,
        }
    }
}

/// Event-driven trace of one raw sample (builds an [`EventSim`]; reuse one for many samples).
pub fn simulate(model: &Model, x: &[u32]) -> SnnTrace {
    EventSim::new(model).trace(x)
}
