//! The LC-TTFS trainer for `--arch` networks: convolutions, max / average / sum pooling and
//! dense layers (DESIGN §2.1), under the same constraints as the dense trainer [`crate::train`]:
//!
//! - **Input** `q0 / T` as the hardware encodes it; **ReLU1** after every weighted layer but the
//!   last, quantization-aware: forward `floor(T · clamp(z, 0, 1)) / T` (the SNN's `q / T`),
//!   backward straight through the floor (only the clamp stops the gradient).
//! - **Kernel sums**: every output channel of a conv (its `C·Kh·Kw` weights and its bias), like
//!   every dense neuron, is projected onto `Σ w + b = 1` after each optimizer step. A layer after
//!   a sum pool counts each weight `Kh·Kw` times (the export folds the pool in, and the folded
//!   row must sum to 1), so its projection is onto `Kh·Kw·Σ w + b = 1`.
//! - **Pools**: max pooling routes the gradient to the (first) maximum of each window; average
//!   and sum pooling train as layers of their own and are folded exactly into the next weighted
//!   layer at export ([`crate::arch::fold_pool`]): the model file holds `conv2d`, `maxpool2d`
//!   and `dense` only.
//! - **Weights** optionally quantization-aware ([`TrainConfig::weight_bits`]), as in the dense
//!   trainer: every step's forward uses the `ttfs quantize` grid of the latent weights.
//!
//! Speed: a convolution is an im2col gather (a precomputed receptive-field table per layer, no
//! bounds arithmetic in the loop) and one matrix product per batch (`ndarray`'s `dot`, i.e.
//! `matrixmultiply`, one thread); the backward pass is two more products and a scatter-add.
//! Everything random comes from one ChaCha8 stream seeded by [`TrainConfig::seed`] and every
//! reduction runs in a fixed order on one thread, so a seed gives bit-identical weights.

use crate::arch::{fold_pool, Arch, ArchLayer, Placed};
use crate::data::Dataset;
use crate::forward::argmax;
use crate::model::{shape_len, FloatLayer, FloatModel, LayerKind, Readout, Shape};
use crate::quantize::{grid_values, quantize, quantize_layer, QuantizeOptions};
use crate::train::{
    check_data, draw_batch, input_table, progress_bar, qat_activation, schedule, softmax_xent_grad,
    step, worst_row_sum_error, EpochStats, Param, TrainConfig, TrainError, Trained,
};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// Marks a padding position in a receptive-field table (reads 0, takes no gradient).
const PAD: u32 = u32::MAX;

/// What one node of the network computes.
#[derive(Clone, Debug)]
enum Op {
    /// `z = a · Wᵀ + b` over the flattened input.
    Dense,
    /// `field[p·fan_in + k]`: input feature under kernel entry `k` (PyTorch order `[c][i][j]`)
    /// at output position `p` of `positions = Ho·Wo`, or [`PAD`].
    Conv {
        field: Vec<u32>,
        positions: usize,
        fan_in: usize,
        channels: usize,
    },
    /// `windows[o·kk + k]`: input feature `k` of output feature `o`'s window.
    MaxPool { windows: Vec<u32>, kk: usize },
    /// A sum (`scale` = 1) or average (`scale` = 1/kk) pool: linear, folded at export.
    LinearPool {
        windows: Vec<u32>,
        kk: usize,
        scale: f32,
    },
}

#[derive(Clone, Debug)]
struct Node {
    op: Op,
    inputs: usize,
    outputs: usize,
    /// Index into the parameters of a weighted node.
    param: Option<usize>,
    /// ReLU1 (quantization-aware) after it: every weighted node but the last.
    activation: bool,
}

fn table(kind: &LayerKind, outputs: usize) -> Vec<u32> {
    (0..outputs)
        .flat_map(|o| kind.receptive_field(o))
        .map(|f| f.map_or(PAD, |i| i as u32))
        .collect()
}

/// The node computing `kind` (a pool's windows from [`LayerKind::receptive_field`]).
fn node_op(kind: &LayerKind, outputs: usize, linear: Option<bool>) -> Op {
    match *kind {
        LayerKind::Dense => Op::Dense,
        LayerKind::Conv2d {
            in_channels,
            out_channels,
            kernel,
            out_shape,
            ..
        } => {
            let positions = out_shape[1] * out_shape[2];
            Op::Conv {
                field: table(kind, positions),
                positions,
                fan_in: in_channels * kernel[0] * kernel[1],
                channels: out_channels,
            }
        }
        LayerKind::MaxPool2d { kernel, .. } => {
            let kk = kernel[0] * kernel[1];
            let windows = table(kind, outputs);
            match linear {
                None => Op::MaxPool { windows, kk },
                Some(average) => Op::LinearPool {
                    windows,
                    kk,
                    scale: if average { 1.0 / kk as f32 } else { 1.0 },
                },
            }
        }
    }
}

/// The weights a forward pass uses: the latent ones or their quantized grid.
type Effective<'a> = (ArrayView2<'a, f32>, ArrayView1<'a, f32>);

/// Weights and biases (or their gradients) of every weighted layer, input first.
pub type LayerParams = Vec<(Array2<f32>, Array1<f32>)>;

/// How hidden activations are computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `floor(T · clamp(z, 0, 1)) / T`, straight-through backward: what training uses.
    Quantized { time_steps: u32 },
    /// `clamp(z, 0, 1)` with its exact gradient (gradient checks).
    Relu1,
}

impl Activation {
    fn apply(self, z: f32) -> f32 {
        match self {
            Activation::Quantized { time_steps } => qat_activation(z, time_steps as f32),
            Activation::Relu1 => z.clamp(0.0, 1.0),
        }
    }
}

/// What the backward pass needs of a forward pass.
struct Cache {
    /// Input of every node (`inputs[0]` = the batch).
    inputs: Vec<Array2<f32>>,
    /// Pre-activations of the nodes with an activation.
    zs: Vec<Option<Array2<f32>>>,
    /// im2col matrices of the convolutions.
    cols: Vec<Option<Array2<f32>>>,
    /// Winning input feature of every max-pool output.
    argmax: Vec<Option<Vec<u32>>>,
}

/// A network being trained (or evaluated as trained): nodes and their weights.
pub struct Network {
    nodes: Vec<Node>,
    params: Vec<Param>,
    placed: Vec<Placed>,
    input_shape: Shape,
}

impl Network {
    /// A seeded network of `arch` reading `input_shape`: uniform `±sqrt(3/fan_in)` weights, zero
    /// biases, every row projected onto its LC-TTFS sum.
    pub fn init(arch: &Arch, input_shape: Shape, seed: u64) -> Result<Network, TrainError> {
        Network::init_with(arch, input_shape, &mut ChaCha8Rng::seed_from_u64(seed))
    }

    fn init_with(
        arch: &Arch,
        input_shape: Shape,
        rng: &mut ChaCha8Rng,
    ) -> Result<Network, TrainError> {
        let placed = arch
            .place(input_shape)
            .map_err(|e| TrainError::Config(e.to_string()))?;
        let last = placed.len() - 1;
        let mut nodes = Vec::with_capacity(placed.len());
        let mut params = Vec::new();
        let mut mult = 1.0f32;
        for (index, p) in placed.iter().enumerate() {
            let (inputs, outputs) = (p.inputs(), p.outputs());
            let internal = || {
                TrainError::Config(format!(
                    "--arch item {index} `{}` does not fit its input",
                    p.layer
                ))
            };
            let node = match p.layer {
                ArchLayer::LinearPool {
                    kernel,
                    stride,
                    average,
                } => {
                    let kind =
                        LayerKind::maxpool2d(p.in_shape, kernel, stride).ok_or_else(internal)?;
                    // The next (weighted) layer reads sums of `kk` values: in the folded model
                    // each of its weights counts `kk` times (an average pool divides that away).
                    mult = if average {
                        1.0
                    } else {
                        (kernel[0] * kernel[1]) as f32
                    };
                    Node {
                        op: node_op(&kind, outputs, Some(average)),
                        inputs,
                        outputs,
                        param: None,
                        activation: false,
                    }
                }
                _ => {
                    let kind = p.kind().ok_or_else(internal)?;
                    let op = node_op(&kind, outputs, None);
                    let param = if p.layer.is_weighted() {
                        let (fan_in, rows) = match &op {
                            Op::Conv {
                                fan_in, channels, ..
                            } => (*fan_in, *channels),
                            _ => (inputs, outputs),
                        };
                        params.push(Param::init_scaled(fan_in, rows, mult, rng));
                        mult = 1.0;
                        Some(params.len() - 1)
                    } else {
                        None
                    };
                    Node {
                        op,
                        inputs,
                        outputs,
                        param,
                        activation: p.layer.is_weighted() && index != last,
                    }
                }
            };
            nodes.push(node);
        }
        Ok(Network {
            nodes,
            params,
            placed,
            input_shape,
        })
    }

    /// A network computing a float model as trained (no linear pools: they are folded).
    fn of_model(model: &FloatModel) -> Network {
        let last = model.layers.len().saturating_sub(1);
        let mut params = Vec::new();
        let nodes = model
            .layers
            .iter()
            .enumerate()
            .map(|(k, l)| {
                let param = l.is_weighted().then(|| {
                    let mut p = Param::init(1, 1, &mut ChaCha8Rng::seed_from_u64(0));
                    p.w = l.weights.clone();
                    p.b = Array1::from(l.bias.clone());
                    params.push(p);
                    params.len() - 1
                });
                Node {
                    op: node_op(&l.kind, l.outputs, None),
                    inputs: l.inputs,
                    outputs: l.outputs,
                    param,
                    activation: l.is_weighted() && k != last,
                }
            })
            .collect();
        Network {
            nodes,
            params,
            placed: Vec::new(),
            input_shape: model.in_shape(),
        }
    }

    /// Number of weighted layers (entries of [`Network::weights_mut`]).
    pub fn weighted_layers(&self) -> usize {
        self.params.len()
    }

    /// Weights (`rows × fan_in`, a conv's rows are its output channels) and biases of every
    /// weighted layer, input first.
    pub fn weights_mut(&mut self) -> Vec<(&mut Array2<f32>, &mut Array1<f32>)> {
        self.params
            .iter_mut()
            .map(|p| (&mut p.w, &mut p.b))
            .collect()
    }

    /// Projects every row onto its LC-TTFS sum (as after every optimizer step).
    pub fn project(&mut self) {
        self.params.iter_mut().for_each(Param::project);
    }

    fn latent(&self) -> Vec<Effective<'_>> {
        self.params
            .iter()
            .map(|p| (p.w.view(), p.b.view()))
            .collect()
    }

    /// Mean softmax cross-entropy of `logit_scale · z` over a batch (`x`: one row of input
    /// activations per sample) and its gradient for every weighted layer's weights and bias.
    pub fn loss_and_gradients(
        &self,
        x: &Array2<f32>,
        labels: &[u8],
        activation: Activation,
        logit_scale: f32,
    ) -> (f64, LayerParams) {
        let eff = self.latent();
        let (cache, mut z) = self.forward(&eff, x.clone(), activation);
        let (loss, _) = softmax_xent_grad(&mut z, labels, logit_scale, labels.len());
        let grads = self.backward(&eff, &cache, z);
        (loss / labels.len() as f64, grads)
    }

    /// Forward pass of a batch: the cache for backward and the last layer's `z`.
    fn forward(
        &self,
        eff: &[Effective<'_>],
        x: Array2<f32>,
        activation: Activation,
    ) -> (Cache, Array2<f32>) {
        let n = self.nodes.len();
        let mut cache = Cache {
            inputs: Vec::with_capacity(n),
            zs: vec![None; n],
            cols: vec![None; n],
            argmax: vec![None; n],
        };
        let batch = x.nrows();
        let mut a = x;
        for (k, node) in self.nodes.iter().enumerate() {
            let out = match &node.op {
                Op::Dense => {
                    let (w, b) = eff[node.param.unwrap_or(0)];
                    let mut z = a.dot(&w.t());
                    z += &b;
                    z
                }
                Op::Conv {
                    field,
                    positions,
                    fan_in,
                    channels,
                } => {
                    let (w, b) = eff[node.param.unwrap_or(0)];
                    let cols = im2col(&a, field, *positions, *fan_in);
                    let zc = cols.dot(&w.t());
                    cache.cols[k] = Some(cols);
                    let mut z = Array2::<f32>::zeros((batch, node.outputs));
                    for (s, mut row) in z.rows_mut().into_iter().enumerate() {
                        let row = row.as_slice_mut().expect("contiguous");
                        let block = zc.slice(ndarray::s![s * positions..(s + 1) * positions, ..]);
                        for (p, zr) in block.rows().into_iter().enumerate() {
                            for o in 0..*channels {
                                row[o * positions + p] = zr[o] + b[o];
                            }
                        }
                    }
                    z
                }
                Op::MaxPool { windows, kk } => {
                    let mut out = Array2::<f32>::zeros((batch, node.outputs));
                    let mut arg = vec![0u32; batch * node.outputs];
                    for (s, (src, mut dst)) in a.rows().into_iter().zip(out.rows_mut()).enumerate()
                    {
                        let src = src.as_slice().expect("contiguous");
                        for (o, d) in dst.iter_mut().enumerate() {
                            let win = &windows[o * kk..(o + 1) * kk];
                            let mut best = win[0];
                            for &i in &win[1..] {
                                if src[i as usize] > src[best as usize] {
                                    best = i;
                                }
                            }
                            *d = src[best as usize];
                            arg[s * node.outputs + o] = best;
                        }
                    }
                    cache.argmax[k] = Some(arg);
                    out
                }
                Op::LinearPool { windows, kk, scale } => {
                    let mut out = Array2::<f32>::zeros((batch, node.outputs));
                    for (src, mut dst) in a.rows().into_iter().zip(out.rows_mut()) {
                        let src = src.as_slice().expect("contiguous");
                        for (o, d) in dst.iter_mut().enumerate() {
                            let sum: f32 = windows[o * kk..(o + 1) * kk]
                                .iter()
                                .map(|&i| src[i as usize])
                                .sum();
                            *d = sum * scale;
                        }
                    }
                    out
                }
            };
            cache.inputs.push(a);
            if node.activation {
                a = out.mapv(|v| activation.apply(v));
                cache.zs[k] = Some(out);
            } else {
                a = out;
            }
        }
        (cache, a)
    }

    /// Backward pass from `d loss / d z` of the last layer: the gradients of every weighted
    /// layer, input first.
    fn backward(&self, eff: &[Effective<'_>], cache: &Cache, dz_last: Array2<f32>) -> LayerParams {
        let mut grads: Vec<Option<(Array2<f32>, Array1<f32>)>> = vec![None; self.params.len()];
        let mut g = dz_last;
        for (k, node) in self.nodes.iter().enumerate().rev() {
            if let Some(z) = &cache.zs[k] {
                // ReLU1's gradient; the floor of the quantized activation passes it through.
                ndarray::Zip::from(&mut g).and(z).for_each(|d, &z| {
                    if !(z > 0.0 && z < 1.0) {
                        *d = 0.0;
                    }
                });
            }
            let a_in = &cache.inputs[k];
            let need_input = k > 0;
            let batch = g.nrows();
            g = match &node.op {
                Op::Dense => {
                    let pi = node.param.unwrap_or(0);
                    grads[pi] = Some((g.t().dot(a_in), g.sum_axis(Axis(0))));
                    if need_input {
                        g.dot(&eff[pi].0)
                    } else {
                        break;
                    }
                }
                Op::Conv {
                    field,
                    positions,
                    fan_in,
                    channels,
                } => {
                    let pi = node.param.unwrap_or(0);
                    // d z in im2col layout: one row per (sample, position), one column per channel.
                    let mut gz = Array2::<f32>::zeros((batch * positions, *channels));
                    for (s, row) in g.rows().into_iter().enumerate() {
                        let row = row.as_slice().expect("contiguous");
                        for p in 0..*positions {
                            let mut r = gz.row_mut(s * positions + p);
                            for o in 0..*channels {
                                r[o] = row[o * positions + p];
                            }
                        }
                    }
                    let cols = cache.cols[k].as_ref().expect("conv cache");
                    grads[pi] = Some((gz.t().dot(cols), gz.sum_axis(Axis(0))));
                    if !need_input {
                        break;
                    }
                    let dcols = gz.dot(&eff[pi].0);
                    col2im(&dcols, field, *positions, *fan_in, batch, node.inputs)
                }
                Op::MaxPool { .. } => {
                    let arg = cache.argmax[k].as_ref().expect("maxpool cache");
                    let mut d = Array2::<f32>::zeros((batch, node.inputs));
                    for (s, (src, mut dst)) in g.rows().into_iter().zip(d.rows_mut()).enumerate() {
                        let dst = dst.as_slice_mut().expect("contiguous");
                        for (o, &v) in src.iter().enumerate() {
                            dst[arg[s * node.outputs + o] as usize] += v;
                        }
                    }
                    d
                }
                Op::LinearPool { windows, kk, scale } => {
                    let mut d = Array2::<f32>::zeros((batch, node.inputs));
                    for (src, mut dst) in g.rows().into_iter().zip(d.rows_mut()) {
                        let dst = dst.as_slice_mut().expect("contiguous");
                        for (o, &v) in src.iter().enumerate() {
                            for &i in &windows[o * kk..(o + 1) * kk] {
                                dst[i as usize] += v * scale;
                            }
                        }
                    }
                    d
                }
            };
        }
        grads
            .into_iter()
            .zip(&self.params)
            .map(|(g, p)| g.unwrap_or_else(|| (Array2::zeros(p.w.dim()), Array1::zeros(p.b.len()))))
            .collect()
    }

    /// The exported float model: pools folded into the next weighted layer.
    fn export(&self, eff: &[Effective<'_>], cfg: &TrainConfig) -> Result<FloatModel, TrainError> {
        let mut layers = Vec::with_capacity(self.placed.len());
        let mut pending: Option<(Shape, [usize; 2], [usize; 2], bool)> = None;
        let mut pi = 0;
        for (index, p) in self.placed.iter().enumerate() {
            let internal = |what: &str| {
                TrainError::Config(format!(
                    "--arch item {index} `{}`: {what} (internal error)",
                    p.layer
                ))
            };
            match p.layer {
                ArchLayer::LinearPool {
                    kernel,
                    stride,
                    average,
                } => pending = Some((p.in_shape, kernel, stride, average)),
                ArchLayer::MaxPool { .. } => {
                    let kind = p.kind().ok_or_else(|| internal("no layer kind"))?;
                    layers.push(FloatLayer {
                        kind,
                        inputs: p.inputs(),
                        outputs: p.outputs(),
                        weights: Array2::zeros((0, 0)),
                        bias: Vec::new(),
                    });
                }
                ArchLayer::Conv { .. } | ArchLayer::Dense { .. } => {
                    let kind = p.kind().ok_or_else(|| internal("no layer kind"))?;
                    let (w, b) = eff[pi];
                    pi += 1;
                    let layer = FloatLayer {
                        kind,
                        inputs: p.inputs(),
                        outputs: p.outputs(),
                        weights: w.to_owned(),
                        bias: b.to_vec(),
                    };
                    let layer = match pending.take() {
                        Some((shape, kernel, stride, average)) => {
                            fold_pool(shape, kernel, stride, average, &layer)
                                .ok_or_else(|| internal("the pool before it does not fold"))?
                        }
                        None => layer,
                    };
                    layers.push(layer);
                }
            }
        }
        let first_dense = layers.first().is_some_and(|l| l.kind == LayerKind::Dense);
        let model = FloatModel {
            time_steps: cfg.time_steps,
            input_bits: cfg.input_bits,
            readout: Readout::Potential,
            dataset: None,
            // A dense first layer reads any shape flattened: the file stays version 1.
            input_shape: (!first_dense).then_some(self.input_shape),
            layers,
        };
        model
            .validate()
            .map_err(|e| TrainError::Config(format!("the trained model is invalid: {e}")))?;
        Ok(model)
    }

    /// The weights of this step's forward: the quantized grid of every weighted layer.
    fn quantized(&self, opts: &QuantizeOptions) -> Result<LayerParams, TrainError> {
        self.params
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let name = format!("weighted layer {}", k + 1);
                let bias = p.b.as_slice().expect("contiguous bias");
                let (layer, _) = quantize_layer(&p.w, bias, opts, &name)
                    .map_err(|e| TrainError::Quantize(e.to_string()))?;
                let (w, b) = grid_values(&layer);
                Ok((w, Array1::from(b)))
            })
            .collect()
    }
}

/// `cols[(s·P + p), k]` = input feature `field[p·fan_in + k]` of sample `s` (0 for padding).
fn im2col(a: &Array2<f32>, field: &[u32], positions: usize, fan_in: usize) -> Array2<f32> {
    let batch = a.nrows();
    let mut cols = vec![0.0f32; batch * positions * fan_in];
    for (s, src) in a.rows().into_iter().enumerate() {
        let src = src.as_slice().expect("contiguous activations");
        let dst = &mut cols[s * positions * fan_in..(s + 1) * positions * fan_in];
        for (d, &i) in dst.iter_mut().zip(field) {
            if i != PAD {
                *d = src[i as usize];
            }
        }
    }
    Array2::from_shape_vec((batch * positions, fan_in), cols).expect("im2col shape")
}

/// The transpose of [`im2col`]: scatter-adds every column entry back onto its input feature.
fn col2im(
    dcols: &Array2<f32>,
    field: &[u32],
    positions: usize,
    fan_in: usize,
    batch: usize,
    inputs: usize,
) -> Array2<f32> {
    let mut d = Array2::<f32>::zeros((batch, inputs));
    let src = dcols.as_slice().expect("contiguous");
    for (s, mut dst) in d.rows_mut().into_iter().enumerate() {
        let dst = dst.as_slice_mut().expect("contiguous");
        let block = &src[s * positions * fan_in..(s + 1) * positions * fan_in];
        for (&v, &i) in block.iter().zip(field) {
            if i != PAD {
                dst[i as usize] += v;
            }
        }
    }
    d
}

/// Checks an `--arch` training run before it starts; the message names the problem.
fn check_arch(
    cfg: &TrainConfig,
    arch: &Arch,
    input_shape: Shape,
    data: &Dataset,
) -> Result<(), TrainError> {
    let features = shape_len(input_shape).unwrap_or(0);
    if features != data.features() {
        return Err(TrainError::Config(format!(
            "--input-shape {}x{}x{} has {features} features but the images have {} pixels",
            input_shape[0],
            input_shape[1],
            input_shape[2],
            data.features()
        )));
    }
    if cfg.max_shift > 0 && input_shape != [1, data.rows, data.cols] {
        return Err(TrainError::Config(format!(
            "random shifts move {}x{} images, but --input-shape is {}x{}x{}: use --max-shift 0",
            data.rows, data.cols, input_shape[0], input_shape[1], input_shape[2]
        )));
    }
    let has_linear_pool = arch
        .layers
        .iter()
        .any(|l| matches!(l, ArchLayer::LinearPool { .. }));
    if cfg.weight_bits.is_some() && has_linear_pool {
        return Err(TrainError::Config(
            "--weight-bits with avgpool/sumpool is not supported: the quantized weights are \
             those of the folded layer; train in float (drop --weight-bits) or use maxpool"
                .into(),
        ));
    }
    Ok(())
}

/// The number of outputs (classes) of `arch` on `input_shape`.
pub fn arch_outputs(arch: &Arch, input_shape: Shape) -> Result<usize, TrainError> {
    let placed = arch
        .place(input_shape)
        .map_err(|e| TrainError::Config(e.to_string()))?;
    Ok(placed.last().map_or(0, |p| p.outputs()))
}

/// Trains `arch` on `data` (images read as `input_shape`). `config.hidden` is ignored and
/// `config.classes` must be the arch's output count. `on_epoch` sees every epoch's statistics
/// and the exported float model as it stands.
pub fn train_arch(
    config: &TrainConfig,
    arch: &Arch,
    input_shape: Shape,
    data: &Dataset,
    mut on_epoch: impl FnMut(&EpochStats, &FloatModel),
) -> Result<Trained, TrainError> {
    config.validate()?;
    let outputs = arch_outputs(arch, input_shape)?;
    if outputs != config.classes {
        return Err(TrainError::Config(format!(
            "the last layer of --arch has {outputs} outputs but the network needs {} classes",
            config.classes
        )));
    }
    let qopts = match config.weight_bits {
        Some(bits) => {
            Some(QuantizeOptions::new(bits).map_err(|e| TrainError::Config(e.to_string()))?)
        }
        None => None,
    };
    check_data(config, data)?;
    check_arch(config, arch, input_shape, data)?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut net = Network::init_with(arch, input_shape, &mut rng)?;
    // Fail before training, not after, if the export would be refused.
    net.export(&net.latent(), config)?;
    let lut = input_table(config.input_bits, config.time_steps);
    let activation = Activation::Quantized {
        time_steps: config.time_steps,
    };
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
            let quantized = match qat {
                Some(opts) => Some(net.quantized(opts)?),
                None => None,
            };
            let eff: Vec<Effective<'_>> = match &quantized {
                Some(q) => q.iter().map(|(w, b)| (w.view(), b.view())).collect(),
                None => net.latent(),
            };
            let (cache, mut dz) = net.forward(&eff, x, activation);
            let (l, c) = softmax_xent_grad(&mut dz, &labels, config.logit_scale, b);
            loss_sum += l;
            correct += c;
            let grads = net.backward(&eff, &cache, dz);
            drop(cache);
            drop(eff);
            lr = schedule(config, step_no, total_steps);
            step_no += 1;
            step(
                &mut net.params,
                grads,
                config,
                lr,
                step_no.min(i32::MAX as usize) as i32,
            );
            bar.inc(1);
        }
        let model = snapshot(&net, config, qopts.as_ref())?;
        let latent = net.export(&net.latent(), config)?;
        let st = EpochStats {
            epoch,
            loss: loss_sum / n as f64,
            train_accuracy: correct as f64 / n as f64,
            learning_rate: lr,
            seconds: start.elapsed().as_secs_f64(),
            worst_row_sum_error: worst_row_sum_error(&latent),
            max_abs_weight: model
                .layers
                .iter()
                .filter(|l| l.is_weighted())
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
    let float = snapshot(&net, config, qopts.as_ref())?;
    let quantized = match &qopts {
        Some(opts) => Some(
            quantize(&float, opts)
                .map_err(|e| TrainError::Quantize(e.to_string()))?
                .0,
        ),
        None => None,
    };
    Ok(Trained {
        float,
        quantized,
        stats,
    })
}

/// The exported model as it stands: latent weights, or under weight QAT their grid.
fn snapshot(
    net: &Network,
    cfg: &TrainConfig,
    qopts: Option<&QuantizeOptions>,
) -> Result<FloatModel, TrainError> {
    match qopts {
        Some(opts) => {
            let q = net.quantized(opts)?;
            let eff: Vec<Effective<'_>> = q.iter().map(|(w, b)| (w.view(), b.view())).collect();
            net.export(&eff, cfg)
        }
        None => net.export(&net.latent(), cfg),
    }
}

/// Classes a float model (any layer kinds) predicts as trained: input `q0/T`, hidden
/// activations floored to `T` levels, the readout of the model.
pub fn predict(model: &FloatModel, data: &Dataset) -> Vec<usize> {
    let net = Network::of_model(model);
    let eff = net.latent();
    let lut = input_table(model.input_bits, model.time_steps);
    let t = model.time_steps;
    let activation = Activation::Quantized { time_steps: t };
    let mut out = Vec::with_capacity(data.len());
    const CHUNK: usize = 256;
    let mut start = 0;
    while start < data.len() {
        let end = (start + CHUNK).min(data.len());
        let x = data
            .images
            .slice(ndarray::s![start..end, ..])
            .mapv(|p| lut[p as usize]);
        let (_, z) = net.forward(&eff, x, activation);
        out.extend(z.rows().into_iter().map(|r| match model.readout {
            Readout::Potential => argmax(r.as_slice().expect("contiguous")),
            Readout::FirstSpike => {
                let q: Vec<f32> = r.iter().map(|&v| activation.apply(v)).collect();
                argmax(&q)
            }
        }));
        start = end;
    }
    out
}
