//! The LC-TTFS trainer (DESIGN §1–§2), plain `ndarray`.
//!
//! An MLP with ReLU1 hidden layers and a bias, trained under the three LC-TTFS constraints so
//! that the integer model and the spiking network compute what was trained:
//!
//! - **Input** is what the hardware sees: `a0 = q0 / T` with `q0 = encode_value(x, b, T)`.
//! - **Hidden activations** are quantization-aware: the forward pass uses
//!   `a = floor(T · clamp(z, 0, 1)) / T` — exactly `q / T` of DESIGN §2 — and the backward pass
//!   is a straight-through estimator that keeps only the clamp's gradient (`0 < z < 1`).
//! - **Row constraint** `Σ_j w_ij + b_i = 1` holds after every optimizer step: [`project_rows`]
//!   subtracts the mean excess from every weight and bias of the row, then puts the (f32
//!   rounding) residue on the bias, so rows sum to 1 within an f32 ulp.
//! - **Weights** are quantization-aware when [`TrainConfig::weight_bits`] is set: from epoch
//!   [`TrainConfig::qat_start_epoch`] on, every step's forward (and the backward's activation
//!   gradient) uses the integer layer that [`crate::quantize::quantize_layer`] — the very
//!   quantizer of `ttfs quantize`, exact row sums `Σ w + b = 2^F` included — makes of the latent
//!   float weights, as its grid values `w_int / 2^F`. The gradient passes straight through the
//!   rounding to the latent weights, which the optimizer updates and projects as usual. The
//!   model returned is the grid of the final quantized layers, so quantizing it at the same
//!   bits gives back exactly the integer model that was trained ([`Trained::quantized`]).
//! - **Readout** is the last layer's potential: softmax cross-entropy on `logit_scale · z`
//!   (the scale sharpens the softmax without growing the weights; argmax is unchanged).
//!
//! Optimizer: Adam (default) or SGD with momentum, minibatches, cosine learning-rate decay,
//! optional decoupled weight decay and random image shifts. Everything random comes from one
//! ChaCha8 stream seeded by [`TrainConfig::seed`], and the matrix products run on one thread,
//! so the same config and data give bit-identical weights.

use crate::data::Dataset;
use crate::forward::{argmax, encode_value};
use crate::model::{
    FloatLayer, FloatModel, Layer, Model, Readout, MAX_INPUT_BITS, MAX_WEIGHT_BITS, MAX_WIDTH,
};
use crate::quantize::{grid_values, quantize_layer, QuantizeOptions};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// The optimizer and its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum Optimizer {
    /// Adam (Kingma & Ba) with bias correction.
    Adam { beta1: f32, beta2: f32, eps: f32 },
    /// SGD with (heavy-ball) momentum.
    Momentum { momentum: f32 },
}

impl Default for Optimizer {
    fn default() -> Self {
        Optimizer::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// Everything that decides a training run.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Hidden layer widths (ReLU1); empty = a single dense layer.
    pub hidden: Vec<usize>,
    /// `T`: ticks per layer window, a power of two in 2..=256.
    pub time_steps: u32,
    /// Bits of one raw input value (8 for MNIST pixels).
    pub input_bits: u32,
    /// Output width (number of classes); every label must be below it.
    pub classes: usize,
    pub epochs: usize,
    pub batch_size: usize,
    /// Peak learning rate.
    pub learning_rate: f32,
    /// The learning rate decays along a cosine from `learning_rate` to
    /// `learning_rate · final_lr_fraction` over the run (1.0 = constant).
    pub final_lr_fraction: f32,
    pub optimizer: Optimizer,
    /// Decoupled weight decay (AdamW style) on the weights, not the biases; 0 = off.
    pub weight_decay: f32,
    /// The loss is softmax cross-entropy on `logit_scale · z` of the last layer.
    pub logit_scale: f32,
    /// Data augmentation: every training image is shifted by a random whole number of pixels
    /// in `-max_shift..=max_shift` in each direction (zero fill); 0 = off.
    pub max_shift: usize,
    /// Seed of the one random stream (initialization, shuffling, augmentation).
    pub seed: u64,
    /// Weight quantization-aware training at this many weight bits (`None` = float weights,
    /// as the default model was trained).
    pub weight_bits: Option<u32>,
    /// First epoch (1-based) whose forward uses the quantized weights; earlier epochs train
    /// float weights (a warm-up). Only used with `weight_bits`.
    pub qat_start_epoch: usize,
    /// Show a progress bar (rate, ETA) on stderr.
    pub progress: bool,
}

impl Default for TrainConfig {
    /// The default MNIST model: 784-128-10 at T = 16, 8-bit inputs.
    fn default() -> Self {
        TrainConfig {
            hidden: vec![128],
            time_steps: 16,
            input_bits: 8,
            classes: 10,
            epochs: 30,
            batch_size: 64,
            learning_rate: 2e-3,
            final_lr_fraction: 0.01,
            optimizer: Optimizer::default(),
            weight_decay: 0.1,
            logit_scale: 4.0,
            max_shift: 1,
            seed: 1,
            weight_bits: None,
            qat_start_epoch: 1,
            progress: true,
        }
    }
}

/// Why training could not run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("invalid training configuration: {0}")]
    Config(String),
    #[error("training data: {0}")]
    Data(String),
    #[error("quantization-aware training: {0}")]
    Quantize(String),
}

fn finite_in(name: &str, v: f32, lo: f32, hi: f32, hi_open: bool) -> Result<(), TrainError> {
    let ok = v.is_finite() && v >= lo && if hi_open { v < hi } else { v <= hi };
    if ok {
        Ok(())
    } else {
        Err(TrainError::Config(format!(
            "{name} = {v} is outside {lo}..{}{hi}",
            if hi_open { "" } else { "=" }
        )))
    }
}

impl TrainConfig {
    /// Checks every field; the message names the field, the value and the allowed range.
    pub fn validate(&self) -> Result<(), TrainError> {
        let cfg = |m: String| Err(TrainError::Config(m));
        for (k, &h) in self.hidden.iter().enumerate() {
            if h == 0 || h > MAX_WIDTH {
                return cfg(format!(
                    "hidden[{k}] = {h}: layer widths must be in 1..={MAX_WIDTH}"
                ));
            }
        }
        if !(2..=256).contains(&self.time_steps) || !self.time_steps.is_power_of_two() {
            return cfg(format!(
                "time_steps = {} is not a power of two in 2..=256",
                self.time_steps
            ));
        }
        if !(1..=MAX_INPUT_BITS).contains(&self.input_bits) {
            return cfg(format!(
                "input_bits = {} is outside 1..={MAX_INPUT_BITS}",
                self.input_bits
            ));
        }
        if !(2..=MAX_WIDTH).contains(&self.classes) {
            return cfg(format!(
                "classes = {} is outside 2..={MAX_WIDTH}",
                self.classes
            ));
        }
        if self.batch_size == 0 {
            return cfg("batch_size = 0: use at least 1".into());
        }
        if !(self.learning_rate.is_finite()
            && self.learning_rate > 0.0
            && self.learning_rate <= 10.0)
        {
            return cfg(format!(
                "learning_rate = {} must be in (0, 10]",
                self.learning_rate
            ));
        }
        if let Some(bits) = self.weight_bits {
            if !(2..=MAX_WEIGHT_BITS).contains(&bits) {
                return cfg(format!(
                    "weight_bits = {bits} is outside 2..={MAX_WEIGHT_BITS}"
                ));
            }
        }
        if self.qat_start_epoch == 0 {
            return cfg("qat_start_epoch = 0: epochs count from 1".into());
        }
        finite_in("final_lr_fraction", self.final_lr_fraction, 0.0, 1.0, false)?;
        finite_in("weight_decay", self.weight_decay, 0.0, 1.0, false)?;
        if !(self.logit_scale.is_finite() && self.logit_scale > 0.0 && self.logit_scale <= 1e4) {
            return cfg(format!(
                "logit_scale = {} must be in (0, 1e4]",
                self.logit_scale
            ));
        }
        match self.optimizer {
            Optimizer::Adam { beta1, beta2, eps } => {
                finite_in("adam beta1", beta1, 0.0, 1.0, true)?;
                finite_in("adam beta2", beta2, 0.0, 1.0, true)?;
                if !(eps.is_finite() && eps > 0.0) {
                    return cfg(format!("adam eps = {eps} must be positive"));
                }
            }
            Optimizer::Momentum { momentum } => finite_in("momentum", momentum, 0.0, 1.0, true)?,
        }
        Ok(())
    }

    /// Layer widths from input to output.
    pub fn widths(&self, inputs: usize) -> Vec<usize> {
        let mut w = vec![inputs];
        w.extend(&self.hidden);
        w.push(self.classes);
        w
    }
}

/// What one epoch did.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochStats {
    /// 1-based.
    pub epoch: usize,
    /// Mean cross-entropy over the epoch's (augmented) training batches.
    pub loss: f64,
    /// Accuracy on those batches, as the network stood at each batch.
    pub train_accuracy: f64,
    /// Learning rate at the epoch's last step.
    pub learning_rate: f32,
    /// Wall time of the epoch.
    pub seconds: f64,
    /// Largest `|Σ w + b − 1|` over all rows after the epoch (f64 sum of the f32 values).
    pub worst_row_sum_error: f64,
    /// Largest `|w|` (bias included) of each layer: it decides the quantizer's `frac_bits`.
    pub max_abs_weight: Vec<f32>,
}

// ---------------------------------------------------------------------------------------------
// The constraint.

/// Makes `Σ_j w_j + b = 1` for one row: subtracts the mean excess `(Σw + b − 1)/(n + 1)` from
/// every weight and the bias (the Euclidean projection onto the constraint plane), then adds
/// what f32 rounding left over to the bias. Sums are taken in f64.
pub fn project_row(w: &mut [f32], b: &mut f32) {
    let excess = row_sum(w, *b) - 1.0;
    let shift = (excess / (w.len() + 1) as f64) as f32;
    for v in w.iter_mut() {
        *v -= shift;
    }
    *b -= shift;
    // Residue of the f32 roundings: one correction on the bias (|residue| ≲ n·ulp, tiny).
    let residue = row_sum(w, *b) - 1.0;
    *b = (*b as f64 - residue) as f32;
}

/// [`project_row`] for a row whose weights each count `mult` times: the Euclidean projection
/// onto `mult·Σ_j w_j + b = 1` moves every weight by `mult·λ` and the bias by `λ`, with
/// `λ = (mult·Σw + b − 1) / (n·mult² + 1)`; the f32 residue goes on the bias. `mult = 1` is
/// [`project_row`] up to rounding.
pub fn project_row_scaled(w: &mut [f32], b: &mut f32, mult: f32) {
    let m = mult as f64;
    let sum = |w: &[f32], b: f32| m * row_sum(w, 0.0) + b as f64;
    let lambda = (sum(w, *b) - 1.0) / (w.len() as f64 * m * m + 1.0);
    let shift = (m * lambda) as f32;
    for v in w.iter_mut() {
        *v -= shift;
    }
    *b = (*b as f64 - lambda) as f32;
    let residue = sum(w, *b) - 1.0;
    *b = (*b as f64 - residue) as f32;
}

/// `Σ_j w_j + b` in f64 (eight fixed partial sums: vectorizes, and is deterministic).
pub fn row_sum(w: &[f32], b: f32) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = w.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().map(|&v| v as f64).sum();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v as f64;
        }
    }
    acc.iter().sum::<f64>() + tail + b as f64
}

/// [`project_row`] on every row of a layer (`weights` is `outputs × inputs`).
pub fn project_rows(weights: &mut Array2<f32>, bias: &mut [f32]) {
    assert_eq!(weights.nrows(), bias.len(), "one bias per weight row");
    for (mut row, b) in weights.rows_mut().into_iter().zip(bias.iter_mut()) {
        match row.as_slice_mut() {
            Some(s) => project_row(s, b),
            None => {
                let mut v = row.to_vec();
                project_row(&mut v, b);
                row.assign(&Array1::from(v));
            }
        }
    }
}

/// Largest `|Σ w + b − 1|` over the rows of every layer.
pub fn worst_row_sum_error(model: &FloatModel) -> f64 {
    model
        .layers
        .iter()
        .flat_map(|l| {
            l.weights
                .rows()
                .into_iter()
                .zip(&l.bias)
                .map(|(r, &b)| (r.iter().map(|&v| v as f64).sum::<f64>() + b as f64 - 1.0).abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------------------------
// The network being trained.

pub(crate) struct Param {
    pub(crate) w: Array2<f32>,
    pub(crate) b: Array1<f32>,
    // Optimizer state (Adam: first and second moments; momentum: velocity in m).
    mw: Array2<f32>,
    vw: Array2<f32>,
    mb: Array1<f32>,
    vb: Array1<f32>,
    /// How many times each weight counts in its row's LC-TTFS sum: 1, or `Kh·Kw` for the layer
    /// after a sum pool (which the export folds in, DESIGN §2.1). The bias counts once.
    pub(crate) mult: f32,
}

impl Param {
    /// Uniform `±sqrt(3/fan_in)` (variance `1/fan_in`), zero bias, then projected onto the
    /// constraint (which shifts every entry by about `1/(fan_in+1)`).
    pub(crate) fn init(inputs: usize, outputs: usize, rng: &mut ChaCha8Rng) -> Param {
        let a = (3.0 / inputs as f64).sqrt() as f32;
        let mut w = Array2::from_shape_simple_fn((outputs, inputs), || rng.gen_range(-a..a));
        let mut b = vec![0.0f32; outputs];
        project_rows(&mut w, &mut b);
        Param {
            mw: Array2::zeros((outputs, inputs)),
            vw: Array2::zeros((outputs, inputs)),
            mb: Array1::zeros(outputs),
            vb: Array1::zeros(outputs),
            w,
            b: Array1::from(b),
            mult: 1.0,
        }
    }

    /// [`Param::init`] for a layer whose weights count `mult` times in the row sum: the
    /// weights are drawn `mult` times smaller, then projected onto `mult·Σw + b = 1`.
    pub(crate) fn init_scaled(
        inputs: usize,
        outputs: usize,
        mult: f32,
        rng: &mut ChaCha8Rng,
    ) -> Param {
        if mult == 1.0 {
            return Param::init(inputs, outputs, rng);
        }
        let a = ((3.0 / inputs as f64).sqrt() / mult as f64) as f32;
        let w = Array2::from_shape_simple_fn((outputs, inputs), || rng.gen_range(-a..a));
        let mut p = Param {
            mw: Array2::zeros((outputs, inputs)),
            vw: Array2::zeros((outputs, inputs)),
            mb: Array1::zeros(outputs),
            vb: Array1::zeros(outputs),
            w,
            b: Array1::zeros(outputs),
            mult,
        };
        p.project();
        p
    }

    pub(crate) fn project(&mut self) {
        let b = self.b.as_slice_mut().expect("contiguous bias");
        if self.mult == 1.0 {
            project_rows(&mut self.w, b);
        } else {
            for (mut row, b) in self.w.rows_mut().into_iter().zip(b.iter_mut()) {
                let mut v = row.to_vec();
                project_row_scaled(&mut v, b, self.mult);
                row.assign(&Array1::from(v));
            }
        }
    }
}

/// Hidden forward of DESIGN §2 in float: `floor(T · clamp(z, 0, 1)) / T`.
#[inline]
pub(crate) fn qat_activation(z: f32, t: f32) -> f32 {
    // floor of a value in [0, T]: truncation is floor here, and much cheaper than floorf.
    // (NaN clamps to NaN and casts to 0.)
    ((t * z.clamp(0.0, 1.0)) as u32) as f32 / t
}

/// The weights and bias a forward pass uses: the latent float ones, or their quantized grid.
type Effective<'a> = (ArrayView2<'a, f32>, ArrayView1<'a, f32>);

/// Forward pass of a batch. Returns every layer's input activations (`acts[0]` = input) and
/// the pre-activations `zs` of every layer.
fn forward_batch(
    layers: &[Effective<'_>],
    x: Array2<f32>,
    t: f32,
) -> (Vec<Array2<f32>>, Vec<Array2<f32>>) {
    let mut acts = vec![x];
    let mut zs = Vec::with_capacity(layers.len());
    for (k, (w, b)) in layers.iter().enumerate() {
        let mut z = acts[k].dot(&w.t());
        z += b;
        if k + 1 < layers.len() {
            acts.push(z.mapv(|v| qat_activation(v, t)));
        }
        zs.push(z);
    }
    (acts, zs)
}

/// Input activations `q0 / T` of every raw value `0..256`.
pub(crate) fn input_table(input_bits: u32, time_steps: u32) -> [f32; 256] {
    let mut lut = [0.0f32; 256];
    for (x, v) in lut.iter_mut().enumerate() {
        *v = encode_value(x as u32, input_bits, time_steps) as f32 / time_steps as f32;
    }
    lut
}

/// The next mini-batch of `chunk`: a random shift per image (`|dy|, |dx| ≤ max_shift`, drawn
/// from `rng` in sample order; none when `max_shift` is 0), the encoded shifted images (the
/// first `chunk.len()` rows of `x_buf`, returned owned) and their labels. The dense and the
/// `--arch` trainers share it, so both draw one random stream in one order for a seed.
pub(crate) fn draw_batch<R: Rng + ?Sized>(
    rng: &mut R,
    data: &Dataset,
    chunk: &[usize],
    max_shift: isize,
    lut: &[f32; 256],
    x_buf: &mut Array2<f32>,
) -> (Array2<f32>, Vec<u8>) {
    let s = max_shift;
    let shifts: Vec<(isize, isize)> = chunk
        .iter()
        .map(|_| {
            if s == 0 {
                (0, 0)
            } else {
                (rng.gen_range(-s..=s), rng.gen_range(-s..=s))
            }
        })
        .collect();
    let labels: Vec<u8> = chunk.iter().map(|&i| data.labels[i]).collect();
    let b = chunk.len();
    {
        let mut xv = x_buf.slice_mut(ndarray::s![..b, ..]);
        fill_batch(&mut xv, data, chunk, &shifts, lut);
    }
    (x_buf.slice(ndarray::s![..b, ..]).to_owned(), labels)
}

/// Fills `x` (batch × features) with the encoded images `idx`, each shifted by `shifts[k]`.
fn fill_batch(
    x: &mut ArrayView2Mut<'_>,
    data: &Dataset,
    idx: &[usize],
    shifts: &[(isize, isize)],
    lut: &[f32; 256],
) {
    let (rows, cols) = (data.rows as isize, data.cols as isize);
    for (k, (&i, &(dy, dx))) in idx.iter().zip(shifts).enumerate() {
        let src = data.images.row(i);
        let mut dst = x.row_mut(k);
        if dy == 0 && dx == 0 {
            for (d, &s) in dst.iter_mut().zip(src.iter()) {
                *d = lut[s as usize];
            }
            continue;
        }
        dst.fill(0.0);
        let dst = dst.as_slice_mut().expect("contiguous batch row");
        let src = src.as_slice().expect("contiguous image row");
        // Destination columns whose source column c − dx is inside the image.
        let c0 = dx.max(0) as usize;
        let c1 = (cols + dx.min(0)).max(0) as usize;
        if c0 >= c1 {
            continue;
        }
        for r in 0..rows {
            let sr = r - dy;
            if sr < 0 || sr >= rows {
                continue;
            }
            let d = &mut dst[(r * cols) as usize..][c0..c1];
            let s = &src[(sr * cols) as usize..]
                [(c0 as isize - dx) as usize..(c1 as isize - dx) as usize];
            for (o, &p) in d.iter_mut().zip(s) {
                *o = lut[p as usize];
            }
        }
    }
}

pub(crate) type ArrayView2Mut<'a> = ndarray::ArrayViewMut2<'a, f32>;

/// Softmax cross-entropy of `scale · z` against `labels`: returns the summed loss, the number
/// of correct argmax predictions, and overwrites `z` with `d loss / d z` divided by `batch`.
pub(crate) fn softmax_xent_grad(
    z: &mut Array2<f32>,
    labels: &[u8],
    scale: f32,
    batch: usize,
) -> (f64, usize) {
    let mut loss = 0.0f64;
    let mut correct = 0;
    let inv = 1.0 / batch as f32;
    for (mut row, &y) in z.rows_mut().into_iter().zip(labels) {
        let y = y as usize;
        let slice = row.as_slice_mut().expect("contiguous logits");
        if argmax(slice) == y {
            correct += 1;
        }
        let max = slice.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut sum = 0.0f32;
        for v in slice.iter_mut() {
            *v = ((*v - max) * scale).exp();
            sum += *v;
        }
        loss -= ((slice[y] / sum) as f64).ln();
        for (j, v) in slice.iter_mut().enumerate() {
            let p = *v / sum;
            *v = scale * (p - if j == y { 1.0 } else { 0.0 }) * inv;
        }
    }
    (loss, correct)
}

/// One optimizer step on every layer, then the projection onto `Σ w + b = 1`.
pub(crate) fn step(
    params: &mut [Param],
    grads: Vec<(Array2<f32>, Array1<f32>)>,
    cfg: &TrainConfig,
    lr: f32,
    t: i32,
) {
    for (p, (gw, gb)) in params.iter_mut().zip(grads) {
        if cfg.weight_decay > 0.0 {
            let f = 1.0 - lr * cfg.weight_decay;
            p.w.mapv_inplace(|v| v * f);
        }
        match cfg.optimizer {
            Optimizer::Adam { beta1, beta2, eps } => {
                let c1 = 1.0 - beta1.powi(t);
                let c2 = 1.0 - beta2.powi(t);
                let upd = |w: &mut f32, m: &mut f32, v: &mut f32, g: &f32| {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    *w -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                };
                Zip::from(&mut p.w)
                    .and(&mut p.mw)
                    .and(&mut p.vw)
                    .and(&gw)
                    .for_each(upd);
                Zip::from(&mut p.b)
                    .and(&mut p.mb)
                    .and(&mut p.vb)
                    .and(&gb)
                    .for_each(upd);
            }
            Optimizer::Momentum { momentum } => {
                let upd = |w: &mut f32, m: &mut f32, g: &f32| {
                    *m = momentum * *m + g;
                    *w -= lr * *m;
                };
                Zip::from(&mut p.w).and(&mut p.mw).and(&gw).for_each(upd);
                Zip::from(&mut p.b).and(&mut p.mb).and(&gb).for_each(upd);
            }
        }
        p.project();
    }
}

/// A quantized layer with its grid values (weights, bias): what a QAT forward uses.
type QuantizedParam = (Layer, Array2<f32>, Array1<f32>);

/// The quantized layers of the latent weights.
fn quantize_params(
    params: &[Param],
    opts: &QuantizeOptions,
) -> Result<Vec<QuantizedParam>, TrainError> {
    params
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let name = format!("layer {} (layers[{k}])", k + 1);
            let bias = p.b.as_slice().expect("contiguous bias");
            let (layer, _) = quantize_layer(&p.w, bias, opts, &name)
                .map_err(|e| TrainError::Quantize(e.to_string()))?;
            let (w, b) = grid_values(&layer);
            Ok((layer, w, Array1::from(b)))
        })
        .collect()
}

/// The model as it stands: the latent float weights, or under weight QAT the quantized grid.
fn snapshot(
    params: &[Param],
    cfg: &TrainConfig,
    qopts: Option<&QuantizeOptions>,
) -> Result<(FloatModel, Option<Model>), TrainError> {
    let Some(opts) = qopts else {
        return Ok((to_model(params, cfg), None));
    };
    let q = quantize_params(params, opts)?;
    let float = FloatModel {
        input_shape: None,
        time_steps: cfg.time_steps,
        input_bits: cfg.input_bits,
        readout: Readout::Potential,
        dataset: None,
        layers: q
            .iter()
            .map(|(l, w, b)| FloatLayer {
                kind: crate::model::LayerKind::Dense,
                inputs: l.inputs,
                outputs: l.outputs,
                weights: w.clone(),
                bias: b.to_vec(),
            })
            .collect(),
    };
    let model = Model {
        input_shape: None,
        time_steps: cfg.time_steps,
        input_bits: cfg.input_bits,
        readout: Readout::Potential,
        dataset: None,
        layers: q.into_iter().map(|(l, _, _)| l).collect(),
    };
    Ok((float, Some(model)))
}

fn to_model(params: &[Param], cfg: &TrainConfig) -> FloatModel {
    FloatModel {
        input_shape: None,
        time_steps: cfg.time_steps,
        input_bits: cfg.input_bits,
        readout: Readout::Potential,
        dataset: None,
        layers: params
            .iter()
            .map(|p| FloatLayer {
                kind: crate::model::LayerKind::Dense,
                inputs: p.w.ncols(),
                outputs: p.w.nrows(),
                weights: p.w.clone(),
                bias: p.b.to_vec(),
            })
            .collect(),
    }
}

pub(crate) fn check_data(cfg: &TrainConfig, data: &Dataset) -> Result<(), TrainError> {
    if data.is_empty() {
        return Err(TrainError::Data("the training set is empty".into()));
    }
    if data.features() == 0 || data.images.ncols() != data.features() {
        return Err(TrainError::Data(format!(
            "images have {} pixels but rows·cols = {}·{}",
            data.images.ncols(),
            data.rows,
            data.cols
        )));
    }
    if let Some((i, &y)) = data
        .labels
        .iter()
        .enumerate()
        .find(|(_, &y)| y as usize >= cfg.classes)
    {
        return Err(TrainError::Data(format!(
            "sample {i} has label {y} but the network has {} classes (set classes ≥ {})",
            cfg.classes,
            y as usize + 1
        )));
    }
    if config_shift_too_big(cfg, data) {
        return Err(TrainError::Data(format!(
            "max_shift = {} is not smaller than the {}×{} images",
            cfg.max_shift, data.rows, data.cols
        )));
    }
    let max_pixel = data.images.iter().copied().max().unwrap_or(0) as u64;
    if max_pixel >= 1u64 << cfg.input_bits {
        return Err(TrainError::Data(format!(
            "a pixel has value {max_pixel}, which does not fit input_bits = {} (use input_bits ≥ 8 for 8-bit images)",
            cfg.input_bits
        )));
    }
    Ok(())
}

fn config_shift_too_big(cfg: &TrainConfig, data: &Dataset) -> bool {
    cfg.max_shift >= data.rows.min(data.cols)
}

/// Trains an LC-TTFS network on `data` (features = pixels, labels < `classes`).
pub fn train(config: &TrainConfig, data: &Dataset) -> Result<FloatModel, TrainError> {
    train_with(config, data, |_, _| {}).map(|(m, _)| m)
}

/// [`train`], calling `on_epoch` after every epoch with its statistics and the model as it
/// stands (e.g. to track a validation set). Returns the model and every epoch's statistics.
pub fn train_with(
    config: &TrainConfig,
    data: &Dataset,
    on_epoch: impl FnMut(&EpochStats, &FloatModel),
) -> Result<(FloatModel, Vec<EpochStats>), TrainError> {
    train_full(config, data, on_epoch).map(|t| (t.float, t.stats))
}

/// What a training run produced.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The float model: the latent weights, or under weight QAT the grid values of
    /// [`Trained::quantized`].
    pub float: FloatModel,
    /// Under weight QAT, the integer model the last steps trained (its weights, `frac_bits`
    /// and all): `quantize(&float, weight_bits)` is exactly this model.
    pub quantized: Option<Model>,
    pub stats: Vec<EpochStats>,
}

/// [`train_with`], returning also the integer model of weight QAT.
pub fn train_full(
    config: &TrainConfig,
    data: &Dataset,
    mut on_epoch: impl FnMut(&EpochStats, &FloatModel),
) -> Result<Trained, TrainError> {
    config.validate()?;
    let qopts = match config.weight_bits {
        Some(bits) => {
            Some(QuantizeOptions::new(bits).map_err(|e| TrainError::Config(e.to_string()))?)
        }
        None => None,
    };
    check_data(config, data)?;
    let widths = config.widths(data.features());
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut params: Vec<Param> = widths
        .windows(2)
        .map(|w| Param::init(w[0], w[1], &mut rng))
        .collect();
    let lut = input_table(config.input_bits, config.time_steps);
    let t = config.time_steps as f32;
    let n = data.len();
    let bs = config.batch_size.min(n);
    let batches = n.div_ceil(bs);
    let total_steps = (batches * config.epochs).max(1);
    let bar = progress_bar(config.progress, total_steps as u64);
    let mut order: Vec<usize> = (0..n).collect();
    let mut stats = Vec::with_capacity(config.epochs);
    let s = config.max_shift as isize;
    let mut step_no = 0usize;
    let mut x_buf = Array2::<f32>::zeros((bs, data.features()));
    let mut lr = config.learning_rate;
    for epoch in 1..=config.epochs {
        let start = Instant::now();
        let qat = qopts.as_ref().filter(|_| epoch >= config.qat_start_epoch);
        order.shuffle(&mut rng);
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        for chunk in order.chunks(bs) {
            let b = chunk.len();
            let (x, labels) = draw_batch(&mut rng, data, chunk, s, &lut, &mut x_buf);
            // The weights of this step's forward: latent, or quantized (straight-through).
            let quantized = match qat {
                Some(opts) => Some(quantize_params(&params, opts)?),
                None => None,
            };
            let effective: Vec<Effective<'_>> = match &quantized {
                Some(q) => q.iter().map(|(_, w, b)| (w.view(), b.view())).collect(),
                None => params.iter().map(|p| (p.w.view(), p.b.view())).collect(),
            };
            let (acts, mut zs) = forward_batch(&effective, x, t);
            let mut dz = zs.pop().expect("≥1 layer");
            let (l, c) = softmax_xent_grad(&mut dz, &labels, config.logit_scale, b);
            loss_sum += l;
            correct += c;
            // Backward, last layer first.
            let mut grads = Vec::with_capacity(params.len());
            for k in (0..params.len()).rev() {
                let gw = dz.t().dot(&acts[k]);
                let gb = dz.sum_axis(Axis(0));
                if k > 0 {
                    let mut da = dz.dot(&effective[k].0);
                    // Straight-through: the floor passes the gradient, the clamp stops it.
                    Zip::from(&mut da).and(&zs[k - 1]).for_each(|d, &z| {
                        if !(z > 0.0 && z < 1.0) {
                            *d = 0.0;
                        }
                    });
                    dz = da;
                }
                grads.push((gw, gb));
            }
            grads.reverse();
            drop(effective);
            lr = schedule(config, step_no, total_steps);
            step_no += 1;
            step(
                &mut params,
                grads,
                config,
                lr,
                step_no.min(i32::MAX as usize) as i32,
            );
            bar.inc(1);
        }
        let (model, _) = snapshot(&params, config, qopts.as_ref())?;
        let st = EpochStats {
            epoch,
            loss: loss_sum / n as f64,
            train_accuracy: correct as f64 / n as f64,
            learning_rate: lr,
            seconds: start.elapsed().as_secs_f64(),
            worst_row_sum_error: worst_row_sum_error(&to_model(&params, config)),
            max_abs_weight: model
                .layers
                .iter()
                .map(|l| {
                    l.weights
                        .iter()
                        .chain(&l.bias)
                        .fold(0.0f32, |m, &v| m.max(v.abs()))
                })
                .collect(),
        };
        bar.set_message(format!(
            "epoch {epoch}/{} loss {:.4} train acc {:.2}%",
            config.epochs,
            st.loss,
            100.0 * st.train_accuracy
        ));
        on_epoch(&st, &model);
        stats.push(st);
    }
    bar.finish_and_clear();
    let (float, quantized) = snapshot(&params, config, qopts.as_ref())?;
    Ok(Trained {
        float,
        quantized,
        stats,
    })
}

/// Cosine decay from the peak rate to `peak · final_lr_fraction`.
pub(crate) fn schedule(cfg: &TrainConfig, step: usize, total: usize) -> f32 {
    let progress = step as f64 / total.max(1) as f64;
    let floor = cfg.final_lr_fraction as f64;
    let f = floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
    (cfg.learning_rate as f64 * f) as f32
}

pub(crate) fn progress_bar(show: bool, len: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} training [{bar:30}] {pos}/{len} batches, {rate} batches/s, ETA {eta}  {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .with_key(
        "rate",
        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}", state.per_sec());
        },
    )
    .progress_chars("=> ");
    bar.set_style(style);
    bar
}

// ---------------------------------------------------------------------------------------------
// Evaluation as trained.

/// Classes the network predicts *as trained*: input `q0/T`, hidden activations floored to
/// `T` levels, potential readout (argmax of the last `z`, lowest index on ties). This is the
/// integer model's computation up to weight quantization; conv / pool models run through
/// [`crate::train_arch::predict`]. (`forward::float_forward` instead
/// uses the unquantized input and continuous ReLU1.)
pub fn predict(model: &FloatModel, data: &Dataset) -> Vec<usize> {
    if !model.is_dense_only() {
        return crate::train_arch::predict(model, data);
    }
    let lut = input_table(model.input_bits, model.time_steps);
    let t = model.time_steps as f32;
    let mut out = Vec::with_capacity(data.len());
    const CHUNK: usize = 1000;
    let mut start = 0;
    while start < data.len() {
        let end = (start + CHUNK).min(data.len());
        let mut a = data
            .images
            .slice(ndarray::s![start..end, ..])
            .mapv(|p| lut[p as usize]);
        for (k, l) in model.layers.iter().enumerate() {
            let mut z = a.dot(&l.weights.t());
            z += &ndarray::ArrayView1::from(&l.bias[..]);
            a = if k + 1 < model.layers.len() {
                z.mapv(|v| qat_activation(v, t))
            } else {
                z
            };
        }
        out.extend(a.rows().into_iter().map(|r| match model.readout {
            Readout::Potential => argmax(r.as_slice().expect("contiguous")),
            Readout::FirstSpike => {
                let q: Vec<f32> = r.iter().map(|&v| qat_activation(v, t)).collect();
                argmax(&q)
            }
        }));
        start = end;
    }
    out
}

/// Fraction of `data` that [`predict`] classifies correctly.
pub fn accuracy(model: &FloatModel, data: &Dataset) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let pred = predict(model, data);
    let correct = pred
        .iter()
        .zip(&data.labels)
        .filter(|(&p, &y)| p == y as usize)
        .count();
    correct as f64 / data.len() as f64
}
