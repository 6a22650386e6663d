//! Twin of a layer stage's *integrate* phase (DESIGN §5): slopes from events, a multiplier-free
//! ramp `V += S` per tick.

use super::Event;
use crate::bounds::z_bound_exact;
use crate::model::Layer;

/// Slope registers, as wide as the layer's weights need: `|S_i|` never exceeds
/// `max(Σ w⁺, Σ |w⁻|)` of row i (bias included), which fits 32 bits for every practical model
/// (twice as fast); wider rows fall back to 64 bits.
#[derive(Clone, Debug)]
enum Slope {
    Narrow(Vec<i32>),
    Wide(Vec<i64>),
}

/// A slope register word.
trait SlopeWord: Copy + Default {
    fn add(&mut self, w: i32);
    fn wide(self) -> i64;
}

impl SlopeWord for i32 {
    #[inline(always)]
    fn add(&mut self, w: i32) {
        *self += w;
    }
    #[inline(always)]
    fn wide(self) -> i64 {
        self as i64
    }
}

impl SlopeWord for i64 {
    #[inline(always)]
    fn add(&mut self, w: i32) {
        *self += w as i64;
    }
    #[inline(always)]
    fn wide(self) -> i64 {
        self
    }
}

/// `S += row`.
#[inline(always)]
fn add_row<S: SlopeWord>(slope: &mut [S], row: &[i32]) {
    for (s, &w) in slope.iter_mut().zip(row) {
        s.add(w);
    }
}

/// `V += S·k`.
#[inline(always)]
fn ramp<S: SlopeWord>(v: &mut [i64], slope: &[S], k: i64) {
    for (v, &s) in v.iter_mut().zip(slope) {
        *v += s.wide() * k;
    }
}

/// A whole window (see [`Integrate::integrate_window`]), monomorphised per slope width.
fn window<S: SlopeWord>(rows: &[i32], slope: &mut [S], v: &mut [i64], events: &[Event], t: u32) {
    let n = slope.len();
    slope.fill(S::default());
    v.fill(0);
    let mut now = 0u32;
    for e in events {
        debug_assert!(e.m >= now && e.m < t, "events out of tick order");
        if e.m > now {
            ramp(v, slope, (e.m - now) as i64); // the empty ticks between two event ticks, skipped
            now = e.m;
        }
        let j = e.index as usize;
        add_row(slope, &rows[j * n..(j + 1) * n]);
    }
    ramp(v, slope, (t - now) as i64);
}

/// Integrates one layer's input window. Weights are held input-major, as the hardware's weight
/// memory is addressed by the event: row `j` holds `w[·][j]` for the `N` neurons, and row
/// `fan_in` holds the biases (the weights of the always-on input).
///
/// Per event `j`: `S += w[·][j]`. At each tick end: `V += S` — the ramp PSP, since an input that
/// fired at tick `t_j` has added `w·(t − t_j)` by tick `t`. Runs of empty ticks may be skipped
/// with one multiply (`V += S·Δ`), which DESIGN §5 allows. After the `T` tick ends of the input
/// window, `V = Σ_j w_ij·q_j + b_i·T = z_i` — exactly, whatever the row sums.
#[derive(Clone, Debug)]
pub struct Integrate {
    fan_in: usize,
    outputs: usize,
    /// `(fan_in + 1) × outputs`, input-major; the last row is the bias.
    rows: Vec<i32>,
    slope: Slope,
    v: Vec<i64>,
}

impl Integrate {
    /// Loads a layer's weights into the input-major weight memory.
    pub fn new(layer: &Layer) -> Self {
        let (n, fan_in) = (layer.outputs, layer.inputs);
        let mut rows = vec![0i32; (fan_in + 1) * n];
        for i in 0..n {
            for (j, &w) in layer.weights.row(i).iter().enumerate() {
                rows[j * n + i] = w;
            }
            rows[fan_in * n + i] = layer.bias[i];
        }
        let slope = if z_bound_exact(layer, 1) <= i32::MAX as i64 {
            Slope::Narrow(vec![0; n])
        } else {
            Slope::Wide(vec![0; n])
        };
        Integrate {
            fan_in,
            outputs: n,
            rows,
            slope,
            v: vec![0; n],
        }
    }

    /// Inputs of the layer (the always-on input not counted).
    pub fn fan_in(&self) -> usize {
        self.fan_in
    }

    /// Neurons of the layer.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Clears `S` and `V` (start of an input window).
    pub fn reset(&mut self) {
        match &mut self.slope {
            Slope::Narrow(s) => s.fill(0),
            Slope::Wide(s) => s.fill(0),
        }
        self.v.fill(0);
    }

    /// One input event: `S += w[·][j]` (`j == fan_in` is the always-on input, adding the bias).
    pub fn event(&mut self, j: usize) {
        let n = self.outputs;
        let row = &self.rows[j * n..(j + 1) * n];
        match &mut self.slope {
            Slope::Narrow(slope) => add_row(slope, row),
            Slope::Wide(slope) => add_row(slope, row),
        }
    }

    /// `ticks` tick ends at once: `V += S·ticks` (`ticks = 1` is the multiplier-free ramp step).
    pub fn tick_end(&mut self, ticks: u32) {
        match &self.slope {
            Slope::Narrow(slope) => ramp(&mut self.v, slope, ticks as i64),
            Slope::Wide(slope) => ramp(&mut self.v, slope, ticks as i64),
        }
    }

    /// Current slopes `S` (a copy, widened to 64 bits).
    pub fn slope(&self) -> Vec<i64> {
        match &self.slope {
            Slope::Narrow(s) => s.iter().map(|&v| v as i64).collect(),
            Slope::Wide(s) => s.clone(),
        }
    }

    /// Current potentials `V`.
    pub fn potential(&self) -> &[i64] {
        &self.v
    }

    /// Integrates a whole input window: `events` sorted by tick (as every stage emits them),
    /// ticks `m ∈ 0..T`; per event tick the events add their rows to `S`, and the tick ends up to
    /// the next event tick are applied at once. Returns `V` at the window end, i.e. `z`.
    pub fn integrate_window(&mut self, events: &[Event], time_steps: u32) -> &[i64] {
        match &mut self.slope {
            Slope::Narrow(s) => window(&self.rows, s, &mut self.v, events, time_steps),
            Slope::Wide(s) => window(&self.rows, s, &mut self.v, events, time_steps),
        }
        &self.v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn layer() -> Layer {
        // Two neurons, three inputs, F = 2 (rows + bias sum to 4).
        Layer {
            kind: crate::model::LayerKind::Dense,
            inputs: 3,
            outputs: 2,
            weight_bits: 8,
            frac_bits: 2,
            weights: array![[3, -1, 2], [-5, 4, 1]],
            bias: vec![0, 4],
        }
    }

    #[test]
    fn integrated_window_equals_z() {
        // T = 8, q = [8, 3, 0] ⇒ events (0,0), (0,always-on=3), (5,1); input 2 is silent.
        // z_0 = 3·8 − 1·3 + 2·0 + 0·8 = 21;  z_1 = −5·8 + 4·3 + 1·0 + 4·8 = 4.
        let mut it = Integrate::new(&layer());
        let events = [
            Event { m: 0, index: 0 },
            Event::always_on(3),
            Event { m: 5, index: 1 },
        ];
        assert_eq!(it.integrate_window(&events, 8), &[21, 4]);
    }

    #[test]
    fn skipping_empty_ticks_equals_tick_by_tick_ramp() {
        let events = [
            Event { m: 0, index: 0 },
            Event::always_on(3),
            Event { m: 2, index: 2 },
            Event { m: 5, index: 1 },
        ];
        let mut fast = Integrate::new(&layer());
        let z = fast.integrate_window(&events, 8).to_vec();
        // Tick by tick: events of tick m, then one tick end (V += S, no multiply).
        let mut slow = Integrate::new(&layer());
        for m in 0..8 {
            for e in events.iter().filter(|e| e.m == m) {
                slow.event(e.index as usize);
            }
            slow.tick_end(1);
        }
        assert_eq!(slow.potential(), z.as_slice());
    }
}
