//! Spiking simulators of an LC-TTFS network (DESIGN §2 and §5).
//!
//! Two simulators that must agree with each other and with the integer ANN of
//! [`crate::forward`] on every spike of every neuron:
//!
//! - [`tick`]: the *physical* model. Non-leaky integrate-and-fire neurons with ramp PSPs
//!   `V_i(t) = Σ_j w_ij·max(0, t − t_j) + b_i·max(0, t − t_bias)`, simulated tick by tick over
//!   absolute time `0..=(L+1)·T`, all layers concurrently, with the dynamic threshold of the
//!   layer window (+∞ before `l·T`, `T·2^F` inside, forced spike at `(l+1)·T`). It never
//!   evaluates the ANN formula; the property tests show that it reproduces it when every row
//!   sums to `2^F`, and that it warps when one does not.
//! - [`event`]: the event-driven fast path, built from one software *twin* per hardware block of
//!   DESIGN §5: [`Encoder`], [`Integrate`], [`FireUnit`], [`WindowCounter`], [`ReadoutUnit`].
//!   Between stages flow [`Event`]s `(m, index)` sorted by tick then index; silent neurons send
//!   nothing.
//!
//! Both return a [`SnnTrace`]: the absolute spike tick of every neuron of every layer (layer 0,
//! the encoded input, included; forced spikes at a window end included), every layer's `z`
//! (its potential at the start of its own window) and the class.
//!
//! Layer numbering follows DESIGN §2: layer 0 is the encoded input, layer `l ≥ 1` is
//! `model.layers[l − 1]` and owns the window `[l·T, (l+1)·T]`. With `maxpool2d` layers
//! (DESIGN §2.1) traces are indexed by *map*: map 0 is the input, map `k + 1` is
//! `model.layers[k]`, and [`SnnTrace::window`] gives each map's window (a pool fires in the
//! window of its input; `l` counts weighted layers only).

pub mod encoder;
pub mod event;
pub mod fire;
pub mod integrate;
pub mod pool;
pub mod readout;
pub mod tick;
pub mod window;

pub use encoder::Encoder;
pub use event::EventSim;
pub use fire::FireUnit;
pub use integrate::Integrate;
pub use pool::PoolUnit;
pub use readout::ReadoutUnit;
pub use tick::TickSim;
pub use window::WindowCounter;

use crate::model::{LayerKind, Model};

/// A spike event between pipeline stages: neuron `index` of the sending layer fired at tick
/// `m` of the sending layer's window (absolute tick `l·T + m`), `m ∈ 0..T`.
///
/// Streams are sorted by `(m, index)` (the derived order). Silent neurons (`q = 0`, which would
/// fire at `m = T`) send nothing. The *always-on* input of the receiving layer (the one whose
/// weight is the bias, DESIGN §2) is the event `(0, width)`, `width` being the number of
/// neurons of the sending layer: it fires at the very start of the sending layer's window,
/// `q = T`, and is the last event of tick 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Event {
    /// Tick inside the sender's window, `0..T`.
    pub m: u32,
    /// Sending neuron; `== width` of the sender for the always-on (bias) input.
    pub index: u32,
}

impl Event {
    /// The always-on event of a sender with `width` neurons.
    pub fn always_on(width: usize) -> Event {
        Event {
            m: 0,
            index: width as u32,
        }
    }
}

/// What a spiking simulation computes for one sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnnTrace {
    /// `T`, ticks per layer window.
    pub time_steps: u32,
    /// `spike_ticks[l][i]`: absolute tick at which neuron `i` of layer `l` fires, in
    /// `[l·T, (l+1)·T]` (layer 0 = encoded input). A silent neuron (`q = 0`) is reported at its
    /// window end `(l+1)·T`, where the tick-level model forces its spike.
    pub spike_ticks: Vec<Vec<u32>>,
    /// `z[k][i]`: potential of neuron `i` of `layers[k]` at its window start `l·T` (dense-only:
    /// `z[l − 1]` of layer `l`); empty for a pool, which has no potential.
    pub z: Vec<Vec<i64>>,
    /// `window[k]`: the window `l` of map `k` (map 0 = input, map `k + 1` = `layers[k]`): a
    /// weighted layer owns the next window, a pool fires in its input's (DESIGN §2.1).
    pub window: Vec<usize>,
    /// Predicted class (the model's readout).
    pub class: usize,
}

impl SnnTrace {
    /// `q[l][i] = (l+1)·T − spike_ticks[l][i]`, the activations the spikes encode.
    pub fn q(&self) -> Vec<Vec<u32>> {
        self.spike_ticks
            .iter()
            .zip(&self.window)
            .map(|(ticks, &l)| {
                let end = (l as u32 + 1) * self.time_steps;
                ticks.iter().map(|&t| end - t).collect()
            })
            .collect()
    }

    /// The last layer's `z` (the `potentials` of `ttfs sim`).
    pub fn potentials(&self) -> &[i64] {
        self.z.last().map_or(&[], |z| z.as_slice())
    }

    /// Non-silent spikes (`q > 0`, i.e. events on the wire) per layer, layer 0 included.
    pub fn events_per_layer(&self) -> Vec<usize> {
        self.spike_ticks
            .iter()
            .zip(&self.window)
            .map(|(ticks, &l)| {
                let end = (l as u32 + 1) * self.time_steps;
                ticks.iter().filter(|&&t| t < end).count()
            })
            .collect()
    }

    /// Synaptic operations of the run (DESIGN §5): every non-silent spike of a map read by a
    /// weighted layer, times the neurons of that layer that read it ([`Fanouts`]); always-on
    /// (bias) events excluded. Dense: `events_in_l · N_l`; a conv counts the receptive fields
    /// covering each spike (padding positions are no synapses); a pool has none.
    pub fn synaptic_ops(&self, fanouts: &Fanouts) -> u64 {
        let t = self.time_steps;
        fanouts
            .per_layer
            .iter()
            .enumerate()
            .filter_map(|(k, f)| f.as_ref().map(|f| (k, f)))
            .map(|(k, fanout)| {
                let end = (self.window[k] as u32 + 1) * t;
                self.spike_ticks[k]
                    .iter()
                    .zip(fanout)
                    .filter(|(&tick, _)| tick < end)
                    .map(|(_, &n)| n as u64)
                    .sum::<u64>()
            })
            .sum()
    }
}

/// For every `layers[k]`, how many of its neurons read each feature of its input map (`None`
/// for a pool, which has no synapses): what one spike of that feature costs in synaptic
/// operations. Dense: every neuron reads every input; conv: the output positions whose window
/// covers the feature, times the output channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fanouts {
    pub per_layer: Vec<Option<Vec<u32>>>,
}

impl Fanouts {
    pub fn of(model: &Model) -> Fanouts {
        let per_layer = model
            .layers
            .iter()
            .map(|l| match l.kind {
                _ if !l.is_weighted() => None,
                LayerKind::Dense => Some(vec![l.outputs as u32; l.inputs]),
                kind => {
                    let mut n = vec![0u32; l.inputs];
                    for out in 0..l.outputs {
                        for j in kind.receptive_field(out).into_iter().flatten() {
                            n[j] += 1;
                        }
                    }
                    Some(n)
                }
            })
            .collect();
        Fanouts { per_layer }
    }

    /// Multiply-accumulates of the dense-equivalent ANN: every synapse once.
    pub fn macs(&self) -> u64 {
        self.per_layer
            .iter()
            .flatten()
            .flatten()
            .map(|&n| n as u64)
            .sum()
    }
}

/// Index of the largest value, lowest index on ties (the readout comparator's order).
pub(crate) fn argmax_i64(v: &[i64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate().skip(1) {
        if x > v[best] {
            best = i;
        }
    }
    best
}
