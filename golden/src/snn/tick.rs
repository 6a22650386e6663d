//! The tick-level (physical) simulator: integrate-and-fire neurons with ramp PSPs, simulated
//! tick by tick over absolute time, all layers concurrently (DESIGN §1–§2).
//!
//! Neuron `i` of layer `l ≥ 1` sees the spikes of layer `l − 1` (each at its tick `t_j`) and the
//! always-on input, which fires at `t_bias = (l − 1)·T`, the start of the previous window:
//!
//! ```text
//! V_i(t) = Σ_j w_ij·max(0, t − t_j) + b_i·max(0, t − t_bias)
//! ```
//!
//! simulated incrementally as `V(t + 1) = V(t) + S(t)`, `S(t) = Σ_{t_j ≤ t} w_ij` (+ `b_i` once
//! `t ≥ t_bias`) — an input that fires at `t_j` adds nothing at `t_j` and `w` per tick after.
//! The neuron fires at the first tick `t ∈ [l·T, (l+1)·T]` with `V_i(t) ≥ T·2^F` (the threshold
//! is +∞ before `l·T`), and is forced to fire at `(l+1)·T` if it has not. It fires at most once.
//! Layer-0 neurons fire at `T − q0`.
//!
//! Convolution and pooling (DESIGN §2.1) change only *who is wired to whom*:
//!
//! - a `conv2d` neuron's inputs are its receptive field (`Kh·Kw` positions of every input
//!   channel, weights of its output channel). A padding position is a silent input: it fires at
//!   the end of the previous window, `l·T`, and its weight joins the slope from then on, so the
//!   slope inside the neuron's own window is the whole kernel sum + bias, `2^F`.
//! - a `maxpool2d` neuron has no potential: it fires at the first tick at which any input of its
//!   window fires (the earliest spike, i.e. the largest `q`), in the same tick and so in the
//!   same window; `l` counts weighted layers only.
//!
//! Nothing here evaluates `z >> F` or the ANN; `z` is only *recorded* as `V(l·T)`.

use super::SnnTrace;
use crate::forward::encode;
use crate::model::{Layer, LayerKind, Model, Readout};

/// The dynamic threshold of layer `layer` at absolute tick `tick`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// Before the window (no premature spike) and after it (the neuron has fired).
    Infinite,
    /// Inside the window `[l·T, (l+1)·T)`: fire when `V ≥` this (`T·2^F`).
    Finite(i64),
    /// The window end `(l+1)·T`: every neuron that has not fired fires now.
    Forced,
}

/// Dynamic threshold of layer `layer ≥ 1` (window `[layer·T, (layer+1)·T]`) at `tick`.
pub fn threshold(layer: usize, tick: u32, time_steps: u32, frac_bits: u32) -> Threshold {
    let start = layer as u32 * time_steps;
    let end = start + time_steps;
    if tick < start || tick > end {
        Threshold::Infinite
    } else if tick < end {
        Threshold::Finite((time_steps as i64) << frac_bits)
    } else {
        Threshold::Forced
    }
}

/// How the neurons of one layer are wired to the map below.
#[derive(Clone, Debug)]
enum Wiring {
    /// Every input to every neuron: input `j` feeds the weight column `j` (dense).
    Dense,
    /// Receptive fields (conv2d, maxpool2d): `fanout[j]` lists the `(neuron, weight)` pairs
    /// input `j` feeds (weight 0 for a pool), `padding[i]` the summed weight of neuron `i`'s
    /// padding positions (silent inputs firing at the end of the previous window).
    Field {
        fanout: Vec<Vec<(u32, i32)>>,
        padding: Vec<i64>,
    },
}

impl Wiring {
    fn of(layer: &Layer) -> Wiring {
        if layer.kind == LayerKind::Dense {
            return Wiring::Dense;
        }
        let mut fanout = vec![Vec::new(); layer.inputs];
        let mut padding = vec![0i64; layer.outputs];
        for (i, pad) in padding.iter_mut().enumerate() {
            let row = layer.row_of(i);
            for (k, source) in layer.kind.receptive_field(i).into_iter().enumerate() {
                let w = if layer.is_weighted() {
                    layer.weights[[row, k]]
                } else {
                    0
                };
                match source {
                    Some(j) => fanout[j].push((i as u32, w)),
                    None => *pad += w as i64,
                }
            }
        }
        Wiring::Field { fanout, padding }
    }
}

/// Tick-by-tick simulation state of one sample.
#[derive(Clone, Debug)]
pub struct TickSim<'m> {
    model: &'m Model,
    now: u32,
    /// `window[k]`: window of map `k` (map 0 = input, map `k + 1` = `layers[k]`).
    window: Vec<usize>,
    wiring: Vec<Wiring>,
    /// `input_at[t]`: layer-0 neurons that fire at tick `t ∈ 0..=T`.
    input_at: Vec<Vec<usize>>,
    /// `spikes[k][i]`: tick at which neuron `i` of map `k` fired, if it has.
    spikes: Vec<Vec<Option<u32>>>,
    /// `v[k]`, `slope[k]`, `z[k]`: potentials `V(now)`, slopes, and `V(l·T)` of `layers[k]`
    /// (empty for a pool).
    v: Vec<Vec<i64>>,
    slope: Vec<Vec<i64>>,
    z: Vec<Vec<i64>>,
    /// `fired_now[k]`: neurons of map `k` that fired at the tick being processed.
    fired_now: Vec<Vec<usize>>,
}

impl<'m> TickSim<'m> {
    /// Starts a simulation at tick 0 from a raw sample (encoded as DESIGN §2).
    pub fn new(model: &'m Model, x: &[u32]) -> Self {
        Self::new_encoded(model, &encode(model, x))
    }

    /// Starts a simulation at tick 0 from encoded activations `q0` (each in `0..=T`).
    pub fn new_encoded(model: &'m Model, q0: &[u32]) -> Self {
        let t = model.time_steps;
        assert_eq!(q0.len(), model.input_len(), "q0 length != model inputs");
        let mut input_at = vec![Vec::new(); t as usize + 1];
        for (j, &q) in q0.iter().enumerate() {
            assert!(q <= t, "q0[{j}] = {q} > T = {t}");
            input_at[(t - q) as usize].push(j);
        }
        let mut spikes = vec![vec![None; q0.len()]];
        let mut fired_now = vec![Vec::new()];
        for layer in &model.layers {
            spikes.push(vec![None; layer.outputs]);
            fired_now.push(Vec::new());
        }
        let zeros = || -> Vec<Vec<i64>> {
            model
                .layers
                .iter()
                .map(|l| vec![0; if l.is_weighted() { l.outputs } else { 0 }])
                .collect()
        };
        TickSim {
            model,
            now: 0,
            window: model.windows(),
            wiring: model.layers.iter().map(Wiring::of).collect(),
            input_at,
            spikes,
            v: zeros(),
            slope: zeros(),
            z: zeros(),
            fired_now,
        }
    }

    /// The next tick to be processed; potentials are `V(now)`.
    pub fn now(&self) -> u32 {
        self.now
    }

    /// The last tick of the simulation, `(L + 1)·T` (the last layer's forced-spike tick), `L`
    /// counting weighted layers.
    pub fn end_tick(&self) -> u32 {
        (self.model.weighted_len() as u32 + 1) * self.model.time_steps
    }

    /// `V(now)` of `layers[layer − 1]` (layer `l` of a dense-only model); empty for a pool.
    pub fn potential(&self, layer: usize) -> &[i64] {
        &self.v[layer - 1]
    }

    /// Current slopes `S` of `layers[layer − 1]` (the `V` increment of the next tick end).
    pub fn slope(&self, layer: usize) -> &[i64] {
        &self.slope[layer - 1]
    }

    /// Tick at which neuron `i` of map `layer` fired, if it has (map 0 = input).
    pub fn spike_tick(&self, layer: usize, i: usize) -> Option<u32> {
        self.spikes[layer][i]
    }

    /// Processes tick `now`: spikes at `V(now)`, then the slopes of the inputs that fired at
    /// `now`, then `V(now + 1) = V(now) + S`. Returns false (doing nothing) after the end tick.
    pub fn step(&mut self) -> bool {
        let t = self.now;
        if t > self.end_tick() {
            return false;
        }
        let steps = self.model.time_steps;

        // Layer 0: the encoded inputs fire at T − q0.
        self.fired_now[0].clear();
        if let Some(js) = self.input_at.get(t as usize) {
            for &j in js {
                self.spikes[0][j] = Some(t);
                self.fired_now[0].push(j);
            }
        }

        // Maps in increasing order, so that map k's spikes at t are known to layers[k].
        for (k, layer) in self.model.layers.iter().enumerate() {
            let (below, here) = self.fired_now.split_at_mut(k + 1);
            let fired_now = &mut here[0];
            fired_now.clear();
            let wiring = &self.wiring[k];

            if !layer.is_weighted() {
                // Max pool: the first input spike of a window fires the pooled neuron, now.
                if let Wiring::Field { fanout, .. } = wiring {
                    for &j in &below[k] {
                        for &(i, _) in &fanout[j] {
                            let spike = &mut self.spikes[k + 1][i as usize];
                            if spike.is_none() {
                                *spike = Some(t);
                                fired_now.push(i as usize);
                            }
                        }
                    }
                }
                continue;
            }

            let l = self.window[k + 1];
            let v = &mut self.v[k];
            let slope = &mut self.slope[k];

            // Fire: compare V(t) with the dynamic threshold.
            if t == l as u32 * steps {
                self.z[k].copy_from_slice(v); // V at the window start: z
            }
            let th = threshold(l, t, steps, layer.frac_bits);
            for (i, spike) in self.spikes[k + 1].iter_mut().enumerate() {
                if spike.is_some() {
                    continue; // fires at most once
                }
                let fire = match th {
                    Threshold::Infinite => false,
                    Threshold::Finite(theta) => v[i] >= theta,
                    Threshold::Forced => true,
                };
                if fire {
                    *spike = Some(t);
                    fired_now.push(i);
                }
            }

            // Inputs that fired at t start their ramp: the slope grows by their weight.
            match wiring {
                Wiring::Dense => {
                    for &j in &below[k] {
                        for (s, &w) in slope.iter_mut().zip(layer.weights.column(j)) {
                            *s += w as i64;
                        }
                    }
                }
                Wiring::Field { fanout, padding } => {
                    for &j in &below[k] {
                        for &(i, w) in &fanout[j] {
                            slope[i as usize] += w as i64;
                        }
                    }
                    if t == l as u32 * steps {
                        // Padding positions are silent inputs of the previous window: they
                        // fire at its end, l·T, like every input that has not fired before.
                        for (s, &p) in slope.iter_mut().zip(padding) {
                            *s += p;
                        }
                    }
                }
            }
            if t == (l as u32 - 1) * steps {
                // The always-on input fires at the start of the previous window.
                for (i, s) in slope.iter_mut().enumerate() {
                    *s += layer.bias[layer.row_of(i)] as i64;
                }
            }

            // Tick end: the ramp.
            for (vi, &s) in v.iter_mut().zip(slope.iter()) {
                *vi += s;
            }
        }
        self.now += 1;
        true
    }

    /// Runs to the end and returns the trace. The class comes from the simulated quantities:
    /// potential readout = argmax of the last layer's `V(L·T)`, first-spike readout = the
    /// earliest spike of the last layer, lowest index on ties.
    pub fn finish(mut self) -> SnnTrace {
        while self.step() {}
        let spike_ticks: Vec<Vec<u32>> = self
            .spikes
            .iter()
            .map(|layer| {
                layer
                    .iter()
                    .map(|s| s.expect("every neuron fires by its window end"))
                    .collect()
            })
            .collect();
        let last_ticks = spike_ticks.last().expect("layer 0 present");
        // The last layer is weighted (validated): its potentials and spikes are the classes.
        let z_last = self.z.last().expect("model has at least one layer");
        let class = match self.model.readout {
            Readout::Potential => super::argmax_i64(z_last),
            Readout::FirstSpike => {
                let mut best = 0;
                for (i, &tick) in last_ticks.iter().enumerate() {
                    if tick < last_ticks[best] {
                        best = i;
                    }
                }
                best
            }
        };
        SnnTrace {
            time_steps: self.model.time_steps,
            spike_ticks,
            z: self.z,
            window: self.window,
            class,
        }
    }
}

/// Tick-level trace of one raw sample. Works on any `Model` (validated or not): with rows that
/// do not sum to `2^F` the spike times warp, as the physics says.
pub fn simulate(model: &Model, x: &[u32]) -> SnnTrace {
    TickSim::new(model, x).finish()
}

/// Tick-level trace from encoded activations `q0`.
pub fn simulate_encoded(model: &Model, q0: &[u32]) -> SnnTrace {
    TickSim::new_encoded(model, q0).finish()
}
