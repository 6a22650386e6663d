//! Twin of a layer stage's *integrate* phase (DESIGN §5): slopes from events, a multiplier-free
//! ramp `V += S` per tick.

use super::Event;
use crate::bounds::z_bound_exact;
use crate::model::{Layer, LayerKind};

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

/// A whole window (see [`Integrate::integrate_window`]), monomorphised per slope width; `add`
/// applies one event's weights to the slopes.
fn window<S: SlopeWord>(
    slope: &mut [S],
    v: &mut [i64],
    events: &[Event],
    t: u32,
    mut add: impl FnMut(&mut [S], usize),
) {
    slope.fill(S::default());
    v.fill(0);
    let mut now = 0u32;
    for e in events {
        debug_assert!(e.m >= now && e.m < t, "events out of tick order");
        if e.m > now {
            ramp(v, slope, (e.m - now) as i64); // the empty ticks between two event ticks, skipped
            now = e.m;
        }
        add(slope, e.index as usize);
    }
    ramp(v, slope, (t - now) as i64);
}

/// The geometry of a conv stage (DESIGN §5 conv stage): an input event `(c, y, x)` scatters
/// `w[·][c][i][j]` into every output position whose window covers `(y, x)`.
#[derive(Clone, Copy, Debug)]
struct ConvGeometry {
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    in_shape: [usize; 3],
    out_shape: [usize; 3],
}

/// One event into the slopes: a dense row `w[·][j]`, or a conv scatter. `rows` is the
/// input-major weight memory (`(fan_in + 1) × width`, the last row the bias), `width` the
/// neurons of a dense layer or the output channels of a conv.
#[inline(always)]
fn scatter<S: SlopeWord>(
    rows: &[i32],
    width: usize,
    conv: Option<&ConvGeometry>,
    slope: &mut [S],
    j: usize,
) {
    let Some(g) = conv else {
        add_row(slope, &rows[j * width..(j + 1) * width]);
        return;
    };
    let [kh, kw] = g.kernel;
    let [sh, sw] = g.stride;
    let [ph, pw] = g.padding;
    let [c, h, w] = g.in_shape;
    let [co, ho, wo] = g.out_shape;
    let plane = ho * wo;
    let fan_in = c * kh * kw;
    if j == c * h * w {
        // The always-on input: every position of channel o gets the bias b[o].
        for o in 0..co {
            let b = rows[fan_in * co + o];
            for s in &mut slope[o * plane..(o + 1) * plane] {
                s.add(b);
            }
        }
        return;
    }
    let (ci, yy, xx) = (j / (h * w), (j / w) % h, j % w);
    // Output row y reads input row y·Sh − Ph + i: it covers yy for kernel row i = yy + Ph − y·Sh.
    for i in 0..kh {
        let Some(ys) = (yy + ph).checked_sub(i) else {
            continue;
        };
        if ys % sh != 0 || ys / sh >= ho {
            continue;
        }
        let y = ys / sh;
        for jj in 0..kw {
            let Some(xs) = (xx + pw).checked_sub(jj) else {
                continue;
            };
            if xs % sw != 0 || xs / sw >= wo {
                continue;
            }
            let x = xs / sw;
            let at = ((ci * kh + i) * kw + jj) * co;
            for (o, &wt) in rows[at..at + co].iter().enumerate() {
                slope[o * plane + y * wo + x].add(wt);
            }
        }
    }
}

/// Integrates one layer's input window. Weights are held input-major, as the hardware's weight
/// memory is addressed by the event: row `j` holds `w[·][j]` for the `N` neurons, and row
/// `fan_in` holds the biases (the weights of the always-on input).
///
/// Per event `j`: `S += w[·][j]`. At each tick end: `V += S` — the ramp PSP, since an input that
/// fired at tick `t_j` has added `w·(t − t_j)` by tick `t`. Runs of empty ticks may be skipped
/// with one multiply (`V += S·Δ`), which DESIGN §5 allows. After the `T` tick ends of the input
/// window, `V = Σ_j w_ij·q_j + b_i·T = z_i` — exactly, whatever the row sums.
///
/// A conv2d stage holds its kernels input-major (`(C·Kh·Kw + 1) × Co`, lanes across output
/// channels) and scatters each event `(c, y, x)` into the `Co·Kh·Kw` (fewer at borders and
/// with stride) potentials whose windows cover it. Padding positions are silent: they add
/// nothing to `z`; the fire unit's `+2^F` per tick accounts for them (DESIGN §2.1).
#[derive(Clone, Debug)]
pub struct Integrate {
    fan_in: usize,
    outputs: usize,
    /// Dense: `(fan_in + 1) × outputs`, input-major; the last row is the bias. Conv:
    /// `(C·Kh·Kw + 1) × Co`, row `(c·Kh + i)·Kw + j` holding `w[·][c][i][j]`.
    rows: Vec<i32>,
    /// Lanes of one weight row: `outputs` (dense) or `Co` (conv).
    width: usize,
    conv: Option<ConvGeometry>,
    slope: Slope,
    v: Vec<i64>,
}

impl Integrate {
    /// Loads a layer's weights into the input-major weight memory (a dense or conv2d layer).
    pub fn new(layer: &Layer) -> Self {
        let (n, fan_in) = (layer.outputs, layer.inputs);
        let (width, conv) = match layer.kind {
            LayerKind::Conv2d {
                kernel,
                stride,
                padding,
                in_shape,
                out_shape,
                ..
            } => (
                out_shape[0],
                Some(ConvGeometry {
                    kernel,
                    stride,
                    padding,
                    in_shape,
                    out_shape,
                }),
            ),
            _ => (n, None),
        };
        let row_len = layer.weights.ncols();
        let mut rows = vec![0i32; (row_len + 1) * width];
        for i in 0..layer.rows() {
            for (j, &w) in layer.weights.row(i).iter().enumerate() {
                rows[j * width + i] = w;
            }
            rows[row_len * width + i] = layer.bias[i];
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
            width,
            conv,
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

    /// One input event: `S += w[·][j]` (`j == fan_in` is the always-on input, adding the bias);
    /// a conv scatters it over the positions whose windows cover input `j`.
    pub fn event(&mut self, j: usize) {
        let (rows, width, conv) = (&self.rows, self.width, self.conv.as_ref());
        match &mut self.slope {
            Slope::Narrow(slope) => scatter(rows, width, conv, slope, j),
            Slope::Wide(slope) => scatter(rows, width, conv, slope, j),
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
        let (rows, width, conv) = (&self.rows, self.width, self.conv.as_ref());
        match &mut self.slope {
            Slope::Narrow(s) => window(s, &mut self.v, events, time_steps, |s, j| {
                scatter(rows, width, conv, s, j)
            }),
            Slope::Wide(s) => window(s, &mut self.v, events, time_steps, |s, j| {
                scatter(rows, width, conv, s, j)
            }),
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
