//! The `lcttfs-model` file (DESIGN §3): types, loading, saving and full validation.
//!
//! Float (trained) and quantized (integer) models share one JSON format; `frac_bits` is
//! present exactly when the weights are integers. Every reader validates fully: a bad file is
//! refused with a [`ModelError`] naming the layer, the neuron and the numbers.
//!
//! Layers are numbered as in DESIGN §2: layer 0 is the encoded input, the first weight layer
//! is layer 1 (`layers[0]` in the file). Messages name `layers[k]` as `layer k+1 (layers[k])`,
//! pools included.
//!
//! Version 2 (DESIGN §2.1) adds `conv2d` and `maxpool2d` layers and `input_shape`. They share
//! the [`Layer`] struct through [`LayerKind`]: a conv keeps its kernels as a weight matrix
//! `Co × (C·Kh·Kw)` (PyTorch flatten order), so "every row + bias sums to `2^F`" is the one
//! check for dense neurons and conv output channels alike, and `inputs` / `outputs` stay the
//! flattened feature counts every consumer already uses; a pool has a `0 × 0` matrix.

use crate::data::DatasetKind;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The format tag every model file carries.
pub const FORMAT: &str = "lcttfs-model";
/// The model-file version this crate writes for a dense-only model without `input_shape`:
/// version 1, byte-identical to what earlier versions of the tool wrote (DESIGN §3).
pub const VERSION: u64 = 1;
/// The version written when a model has a `conv2d` / `maxpool2d` layer or an `input_shape`
/// (DESIGN §2.1, §3).
pub const VERSION_TENSOR: u64 = 2;
/// The newest version this crate reads: version 2 adds `input_shape` and the `conv2d` /
/// `maxpool2d` kinds of DESIGN §2.1.
pub const VERSION_READ: u64 = 2;
/// Largest supported `weight_bits` (the weight-load port of DESIGN §4 is 16 bits wide).
pub const MAX_WEIGHT_BITS: u32 = 16;
/// Largest supported `input_bits`.
pub const MAX_INPUT_BITS: u32 = 16;
/// Largest supported `frac_bits` (keeps `2^F` and every bound well inside `i64`).
pub const MAX_FRAC_BITS: u32 = 30;
/// Largest supported layer width or fan-in.
pub const MAX_WIDTH: usize = 1 << 20;

/// Why a model was refused. Every message names where and what, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read model file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "model file {path} is not valid lcttfs-model JSON: {source} (see DESIGN §3 for the format)"
    )]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error(
        "{path} is not an lcttfs-model JSON file (it is binary, e.g. an image or a NumPy file): give a model written by ttfs train, quantize or import"
    )]
    Binary { path: String },
    /// JSON has no NaN or infinity: a writer that emitted one gets told so, not a column number.
    #[error(
        "model file {path} has a NaN or infinite number ({detail}): every weight and bias must be a finite number; re-export the model"
    )]
    NonFinite { path: String, detail: String },
    #[error("{0}")]
    Invalid(String),
}

impl ModelError {
    fn invalid(msg: impl Into<String>) -> Self {
        ModelError::Invalid(msg.into())
    }
}

/// How the last layer is read out (DESIGN §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Readout {
    /// class = argmax of the last layer's `z` (no clamp), lowest index on ties.
    Potential,
    /// class = argmax of the clamped `q` (earliest spike), lowest index on ties.
    FirstSpike,
}

impl std::fmt::Display for Readout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Readout::Potential => "potential",
            Readout::FirstSpike => "first-spike",
        })
    }
}

/// A feature-map shape `[C, H, W]`, stored channel-major: feature `(c·H + y)·W + x`
/// (DESIGN §2.1, PyTorch's `Flatten` order). A flat vector of `n` features is `[1, 1, n]`.
pub type Shape = [usize; 3];

/// Number of features of a shape, `None` when it overflows.
pub fn shape_len(shape: Shape) -> Option<usize> {
    shape[0].checked_mul(shape[1])?.checked_mul(shape[2])
}

/// Output length of a window of `kernel` sliding with `stride` over `n + 2·padding` positions:
/// `(n + 2·p − k) / s + 1` (floor, DESIGN §2.1), `None` when the stride or kernel is zero or the
/// kernel is larger than the padded input.
pub fn window_out_len(n: usize, kernel: usize, stride: usize, padding: usize) -> Option<usize> {
    let padded = n.checked_add(padding.checked_mul(2)?)?;
    if kernel == 0 || stride == 0 || kernel > padded {
        return None;
    }
    Some((padded - kernel) / stride + 1)
}

/// What a layer computes (DESIGN §2, §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// Every output reads every input (flattened, channel-major).
    Dense,
    /// A 2-D convolution with zero padding; weighted, owns a window like `Dense`. The weight
    /// matrix is `out_channels × (in_channels·Kh·Kw)`, row `o` = kernel `o` flattened in
    /// PyTorch order `[c][i][j]`, so "row + bias = 2^F" is the per-channel kernel-sum check.
    Conv2d {
        in_channels: usize,
        out_channels: usize,
        /// `[Kh, Kw]`.
        kernel: [usize; 2],
        /// `[Sh, Sw]`.
        stride: [usize; 2],
        /// `[Ph, Pw]`: zeros (silent inputs) around the input map.
        padding: [usize; 2],
        /// `[C, H, W]` read.
        in_shape: Shape,
        /// `[Co, Ho, Wo]` written.
        out_shape: Shape,
    },
    /// Max pooling, no padding, no weights and no window of its own: `q_out` = max over the
    /// window, i.e. the earliest input spike, passed on in the same window.
    MaxPool2d {
        kernel: [usize; 2],
        stride: [usize; 2],
        in_shape: Shape,
        out_shape: Shape,
    },
}

impl LayerKind {
    /// The `kind` string of the model file.
    pub fn name(&self) -> &'static str {
        match self {
            LayerKind::Dense => "dense",
            LayerKind::Conv2d { .. } => "conv2d",
            LayerKind::MaxPool2d { .. } => "maxpool2d",
        }
    }

    /// A `conv2d` reading `in_shape`, its output shape computed; `None` when a kernel or
    /// stride is zero, the kernel is larger than the padded input or a size overflows.
    pub fn conv2d(
        in_shape: Shape,
        out_channels: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Option<LayerKind> {
        let ho = window_out_len(in_shape[1], kernel[0], stride[0], padding[0])?;
        let wo = window_out_len(in_shape[2], kernel[1], stride[1], padding[1])?;
        let out_shape = [out_channels, ho, wo];
        shape_len(out_shape)?;
        Some(LayerKind::Conv2d {
            in_channels: in_shape[0],
            out_channels,
            kernel,
            stride,
            padding,
            in_shape,
            out_shape,
        })
    }

    /// A `maxpool2d` reading `in_shape`; `None` as for [`LayerKind::conv2d`].
    pub fn maxpool2d(in_shape: Shape, kernel: [usize; 2], stride: [usize; 2]) -> Option<LayerKind> {
        let ho = window_out_len(in_shape[1], kernel[0], stride[0], 0)?;
        let wo = window_out_len(in_shape[2], kernel[1], stride[1], 0)?;
        Some(LayerKind::MaxPool2d {
            kernel,
            stride,
            in_shape,
            out_shape: [in_shape[0], ho, wo],
        })
    }

    /// Whether the layer has weights (and a window of its own).
    pub fn is_weighted(&self) -> bool {
        !matches!(self, LayerKind::MaxPool2d { .. })
    }

    /// Shape read, for a layer of `inputs` features.
    pub fn in_shape(&self, inputs: usize) -> Shape {
        match *self {
            LayerKind::Dense => [1, 1, inputs],
            LayerKind::Conv2d { in_shape, .. } | LayerKind::MaxPool2d { in_shape, .. } => in_shape,
        }
    }

    /// Shape written, for a layer of `outputs` features.
    pub fn out_shape(&self, outputs: usize) -> Shape {
        match *self {
            LayerKind::Dense => [1, 1, outputs],
            LayerKind::Conv2d { out_shape, .. } | LayerKind::MaxPool2d { out_shape, .. } => {
                out_shape
            }
        }
    }

    /// Inputs of one output neuron (padding positions included, the bias excluded).
    pub fn fan_in(&self, inputs: usize) -> usize {
        match *self {
            LayerKind::Dense => inputs,
            LayerKind::Conv2d {
                in_channels,
                kernel,
                ..
            } => in_channels * kernel[0] * kernel[1],
            LayerKind::MaxPool2d { kernel, .. } => kernel[0] * kernel[1],
        }
    }

    /// How weight `j` of a row is named in messages: `weight[j]`, or `weight[c][i][j]` of a kernel.
    pub fn weight_label(&self, j: usize) -> String {
        match *self {
            LayerKind::Conv2d { kernel, .. } => {
                let (kh, kw) = (kernel[0], kernel[1]);
                format!("weight[{}][{}][{}]", j / (kh * kw), (j / kw) % kh, j % kw)
            }
            _ => format!("weight[{j}]"),
        }
    }

    /// What one weight row belongs to in messages: `neuron i` or `channel o`.
    pub fn row_label(&self, i: usize) -> String {
        match self {
            LayerKind::Conv2d { .. } => format!("channel {i}"),
            _ => format!("neuron {i}"),
        }
    }

    /// The receptive field of output feature `out` of a `conv2d` / `maxpool2d`: for every
    /// window position, in weight-row order (`[c][i][j]` for a conv, `[i][j]` for a pool),
    /// the input feature read, or `None` for a padding position (a silent input). The channel
    /// of a pool is the output's own. `Dense` has no windows: empty.
    pub fn receptive_field(&self, out: usize) -> Vec<Option<usize>> {
        let (channels, kernel, stride, padding, in_shape, out_shape) = match *self {
            LayerKind::Dense => return Vec::new(),
            LayerKind::Conv2d {
                in_channels,
                kernel,
                stride,
                padding,
                in_shape,
                out_shape,
                ..
            } => (0..in_channels, kernel, stride, padding, in_shape, out_shape),
            LayerKind::MaxPool2d {
                kernel,
                stride,
                in_shape,
                out_shape,
            } => {
                let c = out / (out_shape[1] * out_shape[2]);
                (c..c + 1, kernel, stride, [0, 0], in_shape, out_shape)
            }
        };
        let (h, w) = (in_shape[1] as i64, in_shape[2] as i64);
        let y = (out / out_shape[2]) % out_shape[1];
        let x = out % out_shape[2];
        let mut field = Vec::with_capacity(channels.len() * kernel[0] * kernel[1]);
        for c in channels {
            for i in 0..kernel[0] {
                for j in 0..kernel[1] {
                    let yy = (y * stride[0] + i) as i64 - padding[0] as i64;
                    let xx = (x * stride[1] + j) as i64 - padding[1] as i64;
                    field.push(if (0..h).contains(&yy) && (0..w).contains(&xx) {
                        Some((c as i64 * h + yy) as usize * w as usize + xx as usize)
                    } else {
                        None
                    });
                }
            }
        }
        field
    }
}

/// One layer with integer weights: value `w / 2^frac_bits`.
///
/// A `dense` or `conv2d` layer is *weighted*: `weights` holds one row per neuron (dense,
/// `outputs × inputs`) or per output channel (conv, `out_channels × (C·Kh·Kw)`), and every
/// row + bias sums to `2^F`. A `maxpool2d` has a `0 × 0` weight matrix, no bias, and
/// `weight_bits = frac_bits = 0`. `inputs` / `outputs` are always the flattened feature counts
/// of the maps read and written (for a conv, `outputs = Co·Ho·Wo`).
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub kind: LayerKind,
    pub inputs: usize,
    pub outputs: usize,
    pub weight_bits: u32,
    pub frac_bits: u32,
    /// Dense: `outputs × inputs`, row i = incoming weights of neuron i. Conv: `Co × (C·Kh·Kw)`.
    pub weights: Array2<i32>,
    /// Weight of the always-on input (`q = T`), one per row.
    pub bias: Vec<i32>,
}

impl Layer {
    /// A dense layer; `inputs` and `outputs` from the weight matrix (`outputs × inputs`).
    pub fn dense(weight_bits: u32, frac_bits: u32, weights: Array2<i32>, bias: Vec<i32>) -> Layer {
        let (outputs, inputs) = weights.dim();
        Layer {
            kind: LayerKind::Dense,
            inputs,
            outputs,
            weight_bits,
            frac_bits,
            weights,
            bias,
        }
    }

    /// A weighted layer of `kind` (`inputs`/`outputs` from its shapes) or a pool (no weights).
    pub fn of_kind(
        kind: LayerKind,
        weight_bits: u32,
        frac_bits: u32,
        weights: Array2<i32>,
        bias: Vec<i32>,
    ) -> Layer {
        match kind {
            LayerKind::Dense => Layer::dense(weight_bits, frac_bits, weights, bias),
            LayerKind::Conv2d {
                in_shape,
                out_shape,
                ..
            } => Layer {
                kind,
                inputs: shape_len(in_shape).unwrap_or(0),
                outputs: shape_len(out_shape).unwrap_or(0),
                weight_bits,
                frac_bits,
                weights,
                bias,
            },
            LayerKind::MaxPool2d { .. } => Layer::maxpool(kind),
        }
    }

    /// The layer of a `maxpool2d` kind: no weights.
    pub fn maxpool(kind: LayerKind) -> Layer {
        Layer {
            kind,
            inputs: shape_len(kind.in_shape(0)).unwrap_or(0),
            outputs: shape_len(kind.out_shape(0)).unwrap_or(0),
            weight_bits: 0,
            frac_bits: 0,
            weights: Array2::zeros((0, 0)),
            bias: Vec::new(),
        }
    }

    /// `2^F`: what every row (bias included) sums to.
    pub fn one(&self) -> i64 {
        1i64 << self.frac_bits
    }
    /// Smallest and largest weight representable in `weight_bits` (two's complement).
    pub fn weight_range(&self) -> (i32, i32) {
        weight_range(self.weight_bits)
    }
    /// Whether the layer has weights and a window (`dense`, `conv2d`), not a pool.
    pub fn is_weighted(&self) -> bool {
        self.kind.is_weighted()
    }
    /// Inputs of one output neuron (dense: `inputs`; conv: `C·Kh·Kw`; pool: `Kh·Kw`).
    pub fn fan_in(&self) -> usize {
        self.kind.fan_in(self.inputs)
    }
    /// Weight rows: neurons of a dense layer, output channels of a conv, 0 for a pool.
    pub fn rows(&self) -> usize {
        self.weights.nrows()
    }
    /// `[C, H, W]` read (`[1, 1, inputs]` for dense).
    pub fn in_shape(&self) -> Shape {
        self.kind.in_shape(self.inputs)
    }
    /// `[C, H, W]` written (`[1, 1, outputs]` for dense).
    pub fn out_shape(&self) -> Shape {
        self.kind.out_shape(self.outputs)
    }
    /// Weight row (neuron or channel) of output feature `i`.
    pub fn row_of(&self, i: usize) -> usize {
        match self.kind {
            LayerKind::Conv2d { out_shape, .. } => i / (out_shape[1] * out_shape[2]),
            _ => i,
        }
    }
}

/// Smallest and largest value of a `bits`-bit two's-complement integer.
pub fn weight_range(bits: u32) -> (i32, i32) {
    let half = 1i64 << (bits.max(1) - 1);
    ((-half) as i32, (half - 1) as i32)
}

/// Window number of every feature map: `windows(layers)[0] = 0` for the input, then for
/// `layers[k]` entry `k + 1`: a weighted layer owns the next window, a pool stays in the
/// window of its input (DESIGN §2.1: `l` counts weighted layers only).
pub fn windows(kinds: impl Iterator<Item = LayerKind>) -> Vec<usize> {
    let mut out = vec![0];
    let mut l = 0;
    for kind in kinds {
        if kind.is_weighted() {
            l += 1;
        }
        out.push(l);
    }
    out
}

/// A quantized (integer) LC-TTFS model: what the golden model, generator and testbench run.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// `T`: ticks per layer window, a power of two in 2..=256.
    pub time_steps: u32,
    /// Bits of one raw input value `x`.
    pub input_bits: u32,
    pub readout: Readout,
    /// The dataset the model was trained on (optional `dataset` field, an extension of DESIGN
    /// §3): the data its hardware's activity is planned from. `None` when the file says nothing.
    pub dataset: Option<DatasetKind>,
    /// `[C, H, W]` of the input (DESIGN §2.1, version 2). `None`: flat, `[1, 1, inputs]`.
    /// A file whose first layer is dense reads as `None` (a dense layer reads any shape
    /// flattened, so the shape changes nothing); a model with `Some` is written as version 2.
    pub input_shape: Option<Shape>,
    pub layers: Vec<Layer>,
}

/// One layer with float weights (a trained model before quantization); the same kinds and
/// weight layout as [`Layer`] (a pool has a `0 × 0` matrix and no bias).
#[derive(Clone, Debug, PartialEq)]
pub struct FloatLayer {
    pub kind: LayerKind,
    pub inputs: usize,
    pub outputs: usize,
    pub weights: Array2<f32>,
    pub bias: Vec<f32>,
}

impl FloatLayer {
    /// A dense float layer (`outputs × inputs` weights).
    pub fn dense(weights: Array2<f32>, bias: Vec<f32>) -> FloatLayer {
        let (outputs, inputs) = weights.dim();
        FloatLayer {
            kind: LayerKind::Dense,
            inputs,
            outputs,
            weights,
            bias,
        }
    }
    pub fn is_weighted(&self) -> bool {
        self.kind.is_weighted()
    }
    pub fn fan_in(&self) -> usize {
        self.kind.fan_in(self.inputs)
    }
    pub fn rows(&self) -> usize {
        self.weights.nrows()
    }
    pub fn in_shape(&self) -> Shape {
        self.kind.in_shape(self.inputs)
    }
    pub fn out_shape(&self) -> Shape {
        self.kind.out_shape(self.outputs)
    }
}

/// A float (trained) LC-TTFS model.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatModel {
    pub time_steps: u32,
    pub input_bits: u32,
    pub readout: Readout,
    /// The dataset the model was trained on, as in [`Model::dataset`].
    pub dataset: Option<DatasetKind>,
    /// As [`Model::input_shape`].
    pub input_shape: Option<Shape>,
    pub layers: Vec<FloatLayer>,
}

/// Either kind of model file.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyModel {
    Quantized(Model),
    Float(FloatModel),
}

// ---------------------------------------------------------------------------------------------
// Raw JSON form: parsed loosely, then validated into the typed models above.

#[derive(Deserialize)]
struct RawModel {
    time_steps: u64,
    input_bits: u64,
    readout: String,
    /// Optional: absent in files that do not record it, and then not written back.
    #[serde(default)]
    dataset: Option<serde_json::Value>,
    layers: Vec<RawLayer>,
}

/// One layer as written; which fields are needed depends on `kind` (checked by hand so that
/// every refusal names the layer).
#[derive(Deserialize)]
struct RawLayer {
    kind: String,
    inputs: Option<u64>,
    outputs: Option<u64>,
    in_channels: Option<u64>,
    out_channels: Option<u64>,
    kernel: Option<serde_json::Value>,
    stride: Option<serde_json::Value>,
    padding: Option<serde_json::Value>,
    weight_bits: Option<u64>,
    frac_bits: Option<u64>,
    weights: Option<serde_json::Value>,
    bias: Option<serde_json::Value>,
}

fn layer_name(index: usize) -> String {
    format!("layer {} (layers[{}])", index + 1, index)
}

fn check_header(time_steps: u64, input_bits: u64) -> Result<(), ModelError> {
    if !(2..=256).contains(&time_steps) || !time_steps.is_power_of_two() {
        return Err(ModelError::invalid(format!(
            "time_steps = {time_steps} is not a power of two in 2..=256: use 2, 4, 8, 16, 32, 64, 128 or 256"
        )));
    }
    if !(1..=MAX_INPUT_BITS as u64).contains(&input_bits) {
        return Err(ModelError::invalid(format!(
            "input_bits = {input_bits} is outside 1..={MAX_INPUT_BITS}"
        )));
    }
    Ok(())
}

fn parse_readout(s: &str) -> Result<Readout, ModelError> {
    match s {
        "potential" => Ok(Readout::Potential),
        "first-spike" => Ok(Readout::FirstSpike),
        other => Err(ModelError::invalid(format!(
            "unknown readout \"{other}\": use \"potential\" or \"first-spike\""
        ))),
    }
}

/// The accepted values of the `dataset` field.
pub const DATASET_VALUES: &str = "\"mnist\" or \"fashion-mnist\"";

/// The optional `dataset` field: a dataset name the command line knows (`--dataset`), or absent
/// (`null` reads as absent).
fn parse_dataset(value: Option<&serde_json::Value>) -> Result<Option<DatasetKind>, ModelError> {
    let value = match value {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(v) => v,
    };
    value
        .as_str()
        .and_then(|s| s.parse::<DatasetKind>().ok())
        .map(Some)
        .ok_or_else(|| {
            ModelError::invalid(format!(
                "dataset = {value} is not a dataset this tool knows: use {DATASET_VALUES}, or leave the field out"
            ))
        })
}

/// A layer after its shape is checked: kind, sizes, and the weight rows and biases still as
/// JSON numbers (integers or floats decided by the caller).
struct ShapedLayer {
    kind: LayerKind,
    inputs: usize,
    outputs: usize,
    rows: Vec<Vec<serde_json::Number>>,
    bias: Vec<serde_json::Number>,
}

/// A `[a, b]` pair of sizes (`kernel`, `stride`, `padding`).
fn pair(
    value: Option<&serde_json::Value>,
    name: &str,
    kind: &str,
    field: &str,
    default: Option<[usize; 2]>,
) -> Result<[usize; 2], ModelError> {
    let Some(value) = value else {
        return default.ok_or_else(|| {
            ModelError::invalid(format!(
                "{name}: {kind} needs \"{field}\": [rows, columns] (DESIGN §2.1)"
            ))
        });
    };
    value
        .as_array()
        .filter(|a| a.len() == 2)
        .and_then(|a| {
            let v: Option<Vec<usize>> = a
                .iter()
                .map(|d| d.as_u64().filter(|&d| d <= MAX_WIDTH as u64).map(|d| d as usize))
                .collect();
            v.map(|v| [v[0], v[1]])
        })
        .ok_or_else(|| {
            ModelError::invalid(format!(
                "{name}: {kind} {field} = {value} is not a pair [rows, columns] of integers in 0..={MAX_WIDTH}"
            ))
        })
}

fn numbers(
    value: &serde_json::Value,
    len: usize,
    who: &str,
    what: &str,
) -> Result<Vec<serde_json::Number>, ModelError> {
    let fail = |detail: String| ModelError::invalid(format!("{who}: {what} {detail}"));
    let arr = value
        .as_array()
        .ok_or_else(|| fail(format!("= {value} is not a list of numbers")))?;
    if arr.len() != len {
        return Err(fail(format!("has {} entries, expected {len}", arr.len())));
    }
    arr.iter()
        .enumerate()
        .map(|(k, v)| match v {
            serde_json::Value::Number(n) => Ok(n.clone()),
            other => Err(fail(format!("[{k}] = {other} is not a number"))),
        })
        .collect()
}

fn list<'a>(
    value: &'a serde_json::Value,
    len: usize,
    who: &str,
    what: &str,
) -> Result<&'a Vec<serde_json::Value>, ModelError> {
    match value.as_array() {
        Some(a) if a.len() == len => Ok(a),
        Some(a) => Err(ModelError::invalid(format!(
            "{who}: {what} has {} entries, expected {len}",
            a.len()
        ))),
        None => Err(ModelError::invalid(format!("{who}: {what} is not a list"))),
    }
}

/// Checks one raw layer's kind and sizes against the shape it reads (`prev`, `None` for a
/// dense first layer whose input size it sets) and collects its weight rows.
fn shape_layer(
    raw: &RawLayer,
    index: usize,
    prev: Option<Shape>,
    version: u64,
) -> Result<ShapedLayer, ModelError> {
    let name = layer_name(index);
    let kind_name = raw.kind.as_str();
    check_kind(raw, index, version)?;
    let missing = |field: &str| {
        ModelError::invalid(format!("{name}: {kind_name} needs \"{field}\" (DESIGN §3)"))
    };
    if kind_name == "maxpool2d" {
        if raw.weights.is_some() || raw.bias.is_some() {
            return Err(ModelError::invalid(format!(
                "{name}: maxpool2d has no weights or bias (it passes on the largest q of each window)"
            )));
        }
        let prev = prev.ok_or_else(|| missing("input_shape"))?;
        let kernel = pair(raw.kernel.as_ref(), &name, kind_name, "kernel", None)?;
        let stride = pair(
            raw.stride.as_ref(),
            &name,
            kind_name,
            "stride",
            Some(kernel),
        )?;
        let kind = pool_kind(&name, prev, kernel, stride)?;
        return Ok(ShapedLayer {
            kind,
            inputs: shape_len(prev).unwrap_or(0),
            outputs: shape_len(kind.out_shape(0)).unwrap_or(0),
            rows: Vec::new(),
            bias: Vec::new(),
        });
    }
    let weights = raw.weights.as_ref().ok_or_else(|| missing("weights"))?;
    let bias = raw.bias.as_ref().ok_or_else(|| missing("bias"))?;
    if kind_name == "dense" {
        let inputs = raw.inputs.ok_or_else(|| missing("inputs"))? as usize;
        let outputs = raw.outputs.ok_or_else(|| missing("outputs"))? as usize;
        if inputs == 0 || outputs == 0 || inputs > MAX_WIDTH || outputs > MAX_WIDTH {
            return Err(ModelError::invalid(format!(
                "{name}: inputs = {inputs}, outputs = {outputs}: both must be in 1..={MAX_WIDTH}"
            )));
        }
        if let Some(prev) = prev {
            check_dense_input(&name, index, inputs, prev)?;
        }
        let rows = weights
            .as_array()
            .ok_or_else(|| ModelError::invalid(format!("{name}: weights is not a list of rows")))?;
        if rows.len() != outputs {
            return Err(ModelError::invalid(format!(
                "{name}: weights has {} rows but outputs = {outputs} (row i = incoming weights of neuron i)",
                rows.len()
            )));
        }
        let rows = rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let who = format!("{name}, neuron {i}");
                match row.as_array() {
                    Some(r) if r.len() != inputs => Err(ModelError::invalid(format!(
                        "{who}: weight row has {} entries but inputs = {inputs}",
                        r.len()
                    ))),
                    _ => numbers(row, inputs, &who, "weight row"),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if bias.as_array().is_some_and(|b| b.len() != outputs) {
            return Err(ModelError::invalid(format!(
                "{name}: bias has {} entries but outputs = {outputs}",
                bias.as_array().map_or(0, |b| b.len())
            )));
        }
        let bias = numbers(bias, outputs, &name, "bias")?;
        return Ok(ShapedLayer {
            kind: LayerKind::Dense,
            inputs,
            outputs,
            rows,
            bias,
        });
    }
    // conv2d
    let prev = prev.ok_or_else(|| missing("input_shape"))?;
    let in_channels = raw.in_channels.ok_or_else(|| missing("in_channels"))? as usize;
    let out_channels = raw.out_channels.ok_or_else(|| missing("out_channels"))? as usize;
    let kernel = pair(raw.kernel.as_ref(), &name, kind_name, "kernel", None)?;
    let stride = pair(
        raw.stride.as_ref(),
        &name,
        kind_name,
        "stride",
        Some([1, 1]),
    )?;
    let padding = pair(
        raw.padding.as_ref(),
        &name,
        kind_name,
        "padding",
        Some([0, 0]),
    )?;
    let kind = conv_kind(
        &name,
        prev,
        in_channels,
        out_channels,
        kernel,
        stride,
        padding,
    )?;
    let [kh, kw] = kernel;
    let channels = list(
        weights,
        out_channels,
        &name,
        "weights (one kernel per output channel)",
    )?;
    let mut rows = Vec::with_capacity(out_channels);
    for (o, ch) in channels.iter().enumerate() {
        let who = format!("{name}, channel {o}");
        let mut row = Vec::with_capacity(in_channels * kh * kw);
        for (c, plane) in list(
            ch,
            in_channels,
            &who,
            "kernel (one plane per input channel)",
        )?
        .iter()
        .enumerate()
        {
            for (i, line) in list(plane, kh, &who, &format!("kernel plane {c} (Kh rows)"))?
                .iter()
                .enumerate()
            {
                row.extend(numbers(line, kw, &who, &format!("kernel [{c}][{i}]"))?);
            }
        }
        rows.push(row);
    }
    let bias = numbers(bias, out_channels, &name, "bias (one per output channel)")?;
    Ok(ShapedLayer {
        kind,
        inputs: shape_len(prev).unwrap_or(0),
        outputs: shape_len(kind.out_shape(0)).unwrap_or(0),
        rows,
        bias,
    })
}

/// The `kind` string: `dense` in any version, `conv2d` / `maxpool2d` in version 2.
fn check_kind(raw: &RawLayer, index: usize, version: u64) -> Result<(), ModelError> {
    let name = layer_name(index);
    match (raw.kind.as_str(), version) {
        ("dense", _) | ("conv2d" | "maxpool2d", 2) => Ok(()),
        (other, 1) => Err(ModelError::invalid(format!(
            "{name}: unknown kind \"{other}\" for a version 1 file, which has \"dense\" layers only \
             (conv2d and maxpool2d need version 2 with an input_shape, DESIGN §3)"
        ))),
        (other, _) => Err(ModelError::invalid(format!(
            "{name}: unknown kind \"{other}\": use \"dense\", \"conv2d\" or \"maxpool2d\""
        ))),
    }
}

/// A dense layer reads the previous map flattened: its `inputs` must be the map's size.
fn check_dense_input(
    name: &str,
    index: usize,
    inputs: usize,
    prev: Shape,
) -> Result<(), ModelError> {
    let features = shape_len(prev).unwrap_or(usize::MAX);
    if inputs == features {
        return Ok(());
    }
    Err(ModelError::invalid(if index == 0 {
        format!("input_shape {prev:?} holds {features} features but layer 1 has inputs = {inputs}")
    } else if prev[0] == 1 && prev[1] == 1 {
        format!("{name}: inputs = {inputs} but the previous layer has {features} outputs")
    } else {
        format!(
            "{name}: inputs = {inputs} but the previous layer has {features} outputs (a {prev:?} map, read flattened)"
        )
    }))
}

/// The `conv2d` kind reading `prev`, or the one-line reason it cannot be.
fn conv_kind(
    name: &str,
    prev: Shape,
    in_channels: usize,
    out_channels: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
) -> Result<LayerKind, ModelError> {
    if in_channels != prev[0] {
        return Err(ModelError::invalid(format!(
            "{name}: conv2d in_channels = {in_channels} but its input map {prev:?} has {} channels",
            prev[0]
        )));
    }
    if out_channels == 0 || out_channels > MAX_WIDTH {
        return Err(ModelError::invalid(format!(
            "{name}: conv2d out_channels = {out_channels} is outside 1..={MAX_WIDTH}"
        )));
    }
    window_checks(name, "conv2d", prev, kernel, stride, padding)?;
    let fan_in = in_channels
        .checked_mul(kernel[0])
        .and_then(|n| n.checked_mul(kernel[1]));
    if fan_in.is_none_or(|n| n > MAX_WIDTH) {
        return Err(ModelError::invalid(format!(
            "{name}: conv2d kernel {kernel:?} over {in_channels} channels gives each neuron more than {MAX_WIDTH} inputs"
        )));
    }
    let kind = LayerKind::conv2d(prev, out_channels, kernel, stride, padding);
    match kind {
        Some(k) if shape_len(k.out_shape(0)).is_some_and(|n| n <= MAX_WIDTH) => Ok(k),
        _ => Err(ModelError::invalid(format!(
            "{name}: conv2d output map is larger than {MAX_WIDTH} features"
        ))),
    }
}

/// The `maxpool2d` kind reading `prev`, or the one-line reason it cannot be.
fn pool_kind(
    name: &str,
    prev: Shape,
    kernel: [usize; 2],
    stride: [usize; 2],
) -> Result<LayerKind, ModelError> {
    window_checks(name, "maxpool2d", prev, kernel, stride, [0, 0])?;
    LayerKind::maxpool2d(prev, kernel, stride).ok_or_else(|| {
        ModelError::invalid(format!("{name}: maxpool2d window does not fit its input"))
    })
}

/// Zero kernel or stride, and a kernel larger than its padded input, named with the numbers.
fn window_checks(
    name: &str,
    kind: &str,
    prev: Shape,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
) -> Result<(), ModelError> {
    if kernel.contains(&0) {
        return Err(ModelError::invalid(format!(
            "{name}: {kind} kernel {kernel:?} has a zero size: kernels are at least 1×1"
        )));
    }
    if stride.contains(&0) {
        return Err(ModelError::invalid(format!(
            "{name}: {kind} stride {stride:?} has a zero step: strides are at least 1"
        )));
    }
    let padded = [prev[1] + 2 * padding[0], prev[2] + 2 * padding[1]];
    if kernel[0] > padded[0] || kernel[1] > padded[1] {
        return Err(ModelError::invalid(format!(
            "{name}: {kind} kernel {kernel:?} is larger than its padded input {}×{} (map {prev:?}, padding {padding:?})",
            padded[0], padded[1]
        )));
    }
    Ok(())
}

fn int_of(n: &serde_json::Number, who: &str, what: &str) -> Result<i64, ModelError> {
    n.as_i64().ok_or_else(|| {
        ModelError::invalid(format!(
            "{who}: {what} = {n} is not an integer, but frac_bits is given (integer weights); \
             drop frac_bits for a float model or quantize it with `ttfs quantize`"
        ))
    })
}

fn float_of(n: &serde_json::Number, who: &str, what: &str) -> Result<f32, ModelError> {
    let v = n.as_f64().unwrap_or(f64::NAN) as f32;
    if !v.is_finite() {
        return Err(ModelError::invalid(format!(
            "{who}: {what} = {n} is not a finite number"
        )));
    }
    Ok(v)
}

/// The `input_shape` of a version-2 file: `[C, H, W]`, or `[H, W]` (one channel) or `[n]`
/// (flat), every size positive.
fn version2_input_shape(value: &serde_json::Value, origin: &str) -> Result<Shape, ModelError> {
    let shape = value
        .get("input_shape")
        .and_then(|s| s.as_array())
        .and_then(|a| a.iter().map(|d| d.as_u64()).collect::<Option<Vec<u64>>>())
        .filter(|s| (1..=3).contains(&s.len()) && s.iter().all(|&d| d > 0 && d <= MAX_WIDTH as u64))
        .map(|s| {
            let mut full = [1usize; 3];
            for (k, &d) in s.iter().rev().enumerate() {
                full[2 - k] = d as usize;
            }
            full
        })
        .filter(|&s| shape_len(s).is_some_and(|n| n <= MAX_WIDTH));
    shape.ok_or_else(|| {
        ModelError::invalid(format!(
            "{origin}: version 2 needs \"input_shape\": [C, H, W] (1 to 3 positive integers whose \
             product is layer 1's inputs), found {}",
            value
                .get("input_shape")
                .map_or("none".to_string(), |s| s.to_string())
        ))
    })
}

impl AnyModel {
    /// Parses and fully validates a model from JSON text. `origin` names the source in errors.
    pub fn from_json_str(text: &str, origin: &str) -> Result<AnyModel, ModelError> {
        // Check the header first so an unknown format/version gets its own message rather than
        // a field error from a newer layout.
        let value: serde_json::Value = serde_json::from_str(text).map_err(|source| {
            if ["NaN", "Infinity"].iter().any(|w| text.contains(w)) {
                ModelError::NonFinite {
                    path: origin.to_string(),
                    detail: source.to_string(),
                }
            } else {
                ModelError::Json {
                    path: origin.to_string(),
                    source,
                }
            }
        })?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(ModelError::invalid(format!(
                    "{origin}: format is \"{other}\", expected \"{FORMAT}\" (import other formats with `ttfs import`)"
                )))
            }
            None => {
                return Err(ModelError::invalid(format!(
                    "{origin}: no \"format\": \"{FORMAT}\" field: this is not an lcttfs-model file"
                )))
            }
        }
        let (version, shape) = match value.get("version").and_then(|v| v.as_u64()) {
            Some(1) => (1, None),
            Some(2) => (2, Some(version2_input_shape(&value, origin)?)),
            other => {
                return Err(ModelError::invalid(format!(
                    "{origin}: unknown version {}: this tool reads lcttfs-model versions 1 and {VERSION_READ}",
                    other.map_or("(missing)".to_string(), |v| v.to_string())
                )))
            }
        };
        let raw: RawModel = serde_json::from_value(value).map_err(|source| ModelError::Json {
            path: origin.to_string(),
            source,
        })?;
        Self::from_raw(raw, version, shape).map_err(|e| match e {
            ModelError::Invalid(msg) if msg.starts_with("input_shape") => {
                ModelError::Invalid(format!("{origin}: {msg}"))
            }
            other => other,
        })
    }

    fn from_raw(raw: RawModel, version: u64, shape: Option<Shape>) -> Result<AnyModel, ModelError> {
        check_header(raw.time_steps, raw.input_bits)?;
        let readout = parse_readout(&raw.readout)?;
        let dataset = parse_dataset(raw.dataset.as_ref())?;
        if raw.layers.is_empty() {
            return Err(ModelError::invalid(
                "model has no layers: at least one dense layer is needed",
            ));
        }
        for (index, l) in raw.layers.iter().enumerate() {
            check_kind(l, index, version)?;
        }
        // Pools carry no weights: the first weighted layer decides integer or float.
        let weighted = |l: &&RawLayer| l.kind != "maxpool2d";
        let quantized = raw
            .layers
            .iter()
            .find(weighted)
            .is_some_and(|l| l.frac_bits.is_some());
        for (index, l) in raw.layers.iter().enumerate().filter(|(_, l)| weighted(l)) {
            if l.frac_bits.is_some() != quantized {
                return Err(ModelError::invalid(format!(
                    "{}: frac_bits is {} here but {} in layer 1: a model is either all-integer or all-float",
                    layer_name(index),
                    if l.frac_bits.is_some() { "present" } else { "absent" },
                    if quantized { "present" } else { "absent" },
                )));
            }
        }
        // A dense first layer reads any input shape flattened: the shape only has to hold its
        // inputs, and the model is the same as without it.
        let keep_shape = raw.layers[0].kind != "dense";
        let mut prev = shape;
        let mut shaped = Vec::with_capacity(raw.layers.len());
        for (index, l) in raw.layers.iter().enumerate() {
            let s = shape_layer(l, index, prev, version)?;
            prev = Some(s.kind.out_shape(s.outputs));
            shaped.push(s);
        }
        let input_shape = if keep_shape { shape } else { None };
        let time_steps = raw.time_steps as u32;
        let input_bits = raw.input_bits as u32;
        if quantized {
            let mut layers = Vec::with_capacity(shaped.len());
            for (index, (l, s)) in raw.layers.iter().zip(shaped).enumerate() {
                let name = layer_name(index);
                if !s.kind.is_weighted() {
                    layers.push(Layer::maxpool(s.kind));
                    continue;
                }
                let weight_bits = l.weight_bits.ok_or_else(|| {
                    ModelError::invalid(format!(
                        "{name}: frac_bits is given but weight_bits is missing"
                    ))
                })?;
                if !(2..=MAX_WEIGHT_BITS as u64).contains(&weight_bits) {
                    return Err(ModelError::invalid(format!(
                        "{name}: weight_bits = {weight_bits} is outside 2..={MAX_WEIGHT_BITS}"
                    )));
                }
                let frac_bits = l.frac_bits.unwrap_or(0);
                if frac_bits > MAX_FRAC_BITS as u64 {
                    return Err(ModelError::invalid(format!(
                        "{name}: frac_bits = {frac_bits} is above the maximum {MAX_FRAC_BITS}"
                    )));
                }
                let cols = s.rows.first().map_or(0, |r| r.len());
                let mut weights = Array2::<i32>::zeros((s.rows.len(), cols));
                let mut bias = Vec::with_capacity(s.rows.len());
                for (i, row) in s.rows.iter().enumerate() {
                    let who = format!("{name}, {}", s.kind.row_label(i));
                    for (j, n) in row.iter().enumerate() {
                        // Range is checked in validate(); here only that it fits i32 storage.
                        let what = s.kind.weight_label(j);
                        let v = int_of(n, &who, &what)?;
                        if v < i32::MIN as i64 || v > i32::MAX as i64 {
                            return Err(out_of_range(&who, &what, v, weight_bits as u32));
                        }
                        weights[[i, j]] = v as i32;
                    }
                    let v = int_of(&s.bias[i], &who, "bias")?;
                    if v < i32::MIN as i64 || v > i32::MAX as i64 {
                        return Err(out_of_range(&who, "bias", v, weight_bits as u32));
                    }
                    bias.push(v as i32);
                }
                layers.push(Layer {
                    kind: s.kind,
                    inputs: s.inputs,
                    outputs: s.outputs,
                    weight_bits: weight_bits as u32,
                    frac_bits: frac_bits as u32,
                    weights,
                    bias,
                });
            }
            let model = Model {
                time_steps,
                input_bits,
                readout,
                dataset,
                input_shape,
                layers,
            };
            model.validate()?;
            Ok(AnyModel::Quantized(model))
        } else {
            let mut layers = Vec::with_capacity(shaped.len());
            for (index, s) in shaped.into_iter().enumerate() {
                let name = layer_name(index);
                let cols = s.rows.first().map_or(0, |r| r.len());
                let mut weights = Array2::<f32>::zeros((s.rows.len(), cols));
                let mut bias = Vec::with_capacity(s.rows.len());
                for (i, row) in s.rows.iter().enumerate() {
                    let who = format!("{name}, {}", s.kind.row_label(i));
                    for (j, n) in row.iter().enumerate() {
                        weights[[i, j]] = float_of(n, &who, &s.kind.weight_label(j))?;
                    }
                    bias.push(float_of(&s.bias[i], &who, "bias")?);
                }
                layers.push(FloatLayer {
                    kind: s.kind,
                    inputs: s.inputs,
                    outputs: s.outputs,
                    weights,
                    bias,
                });
            }
            let model = FloatModel {
                time_steps,
                input_bits,
                readout,
                dataset,
                input_shape,
                layers,
            };
            model.validate()?;
            Ok(AnyModel::Float(model))
        }
    }

    /// Reads and validates a model file.
    pub fn load(path: &Path) -> Result<AnyModel, ModelError> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| ModelError::Binary {
            path: path.display().to_string(),
        })?;
        Self::from_json_str(&text, &path.display().to_string())
    }
}

fn out_of_range(who: &str, what: &str, v: i64, bits: u32) -> ModelError {
    let (lo, hi) = weight_range(bits.clamp(2, 32));
    ModelError::invalid(format!(
        "{who}: {what} = {v} does not fit weight_bits = {bits} (range {lo}..={hi})"
    ))
}

/// Checks the shapes of a chain of layers (either model kind): each layer's kind and sizes
/// against the map it reads, the weight matrix against the kind, and that the last layer is
/// weighted. `dims(k)` gives layer k's kind, inputs, outputs, weight matrix dims, bias length.
fn check_chain(
    input_shape: Option<Shape>,
    n: usize,
    dims: impl Fn(usize) -> (LayerKind, usize, usize, (usize, usize), usize),
) -> Result<(), ModelError> {
    if n == 0 {
        return Err(ModelError::invalid(
            "model has no layers: at least one dense layer is needed",
        ));
    }
    let first = dims(0);
    let mut prev = input_shape.unwrap_or_else(|| first.0.in_shape(first.1));
    for index in 0..n {
        let name = layer_name(index);
        let (kind, inputs, outputs, wdim, bias_len) = dims(index);
        if inputs == 0 || outputs == 0 || inputs > MAX_WIDTH || outputs > MAX_WIDTH {
            return Err(ModelError::invalid(format!(
                "{name}: inputs = {inputs}, outputs = {outputs}: both must be in 1..={MAX_WIDTH}"
            )));
        }
        let expected = match kind {
            LayerKind::Dense => {
                check_dense_input(&name, index, inputs, prev)?;
                (outputs, inputs)
            }
            LayerKind::Conv2d {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
                in_shape,
                out_shape,
            } => {
                let k = conv_kind(
                    &name,
                    prev,
                    in_channels,
                    out_channels,
                    kernel,
                    stride,
                    padding,
                )?;
                if in_shape != prev || k.out_shape(0) != out_shape {
                    return Err(ModelError::invalid(format!(
                        "{name}: conv2d maps {in_shape:?} to {out_shape:?} but it reads a {prev:?} map, \
                         which its kernel, stride and padding map to {:?}",
                        k.out_shape(0)
                    )));
                }
                (out_channels, in_channels * kernel[0] * kernel[1])
            }
            LayerKind::MaxPool2d {
                kernel,
                stride,
                in_shape,
                out_shape,
            } => {
                let k = pool_kind(&name, prev, kernel, stride)?;
                if in_shape != prev || k.out_shape(0) != out_shape {
                    return Err(ModelError::invalid(format!(
                        "{name}: maxpool2d maps {in_shape:?} to {out_shape:?} but it reads a {prev:?} map, \
                         which its kernel and stride map to {:?}",
                        k.out_shape(0)
                    )));
                }
                (0, 0)
            }
        };
        let (in_len, out_len) = (
            shape_len(kind.in_shape(inputs)),
            shape_len(kind.out_shape(outputs)),
        );
        if in_len != Some(inputs) || out_len != Some(outputs) {
            return Err(ModelError::invalid(format!(
                "{name}: {} has inputs = {inputs}, outputs = {outputs} but maps {:?} to {:?}",
                kind.name(),
                kind.in_shape(inputs),
                kind.out_shape(outputs)
            )));
        }
        if wdim != expected || bias_len != expected.0 {
            return Err(ModelError::invalid(format!(
                "{name}: weights are {wdim:?} and bias has {bias_len} entries, expected {}×{} and {}",
                expected.0, expected.1, expected.0
            )));
        }
        prev = kind.out_shape(outputs);
    }
    let (last, ..) = dims(n - 1);
    if !last.is_weighted() {
        return Err(ModelError::invalid(format!(
            "{}: the last layer is a {} but it must be weighted (dense or conv2d): its outputs are the classes \
             and a pool has no weighted layer after it (DESIGN §2.1)",
            layer_name(n - 1),
            last.name()
        )));
    }
    Ok(())
}

impl Model {
    /// Checks every LC-TTFS constraint of DESIGN §2–§3 (and the shapes of §2.1).
    pub fn validate(&self) -> Result<(), ModelError> {
        check_header(self.time_steps as u64, self.input_bits as u64)?;
        check_chain(self.input_shape, self.layers.len(), |k| {
            let l = &self.layers[k];
            (l.kind, l.inputs, l.outputs, l.weights.dim(), l.bias.len())
        })?;
        for (index, l) in self.layers.iter().enumerate() {
            if !l.is_weighted() {
                continue;
            }
            let name = layer_name(index);
            if !(2..=MAX_WEIGHT_BITS).contains(&l.weight_bits) {
                return Err(ModelError::invalid(format!(
                    "{name}: weight_bits = {} is outside 2..={MAX_WEIGHT_BITS}",
                    l.weight_bits
                )));
            }
            if l.frac_bits > MAX_FRAC_BITS {
                return Err(ModelError::invalid(format!(
                    "{name}: frac_bits = {} is above the maximum {MAX_FRAC_BITS}",
                    l.frac_bits
                )));
            }
            let (lo, hi) = l.weight_range();
            for i in 0..l.rows() {
                let who = format!("{name}, {}", l.kind.row_label(i));
                let row = l.weights.row(i);
                for (j, &w) in row.iter().enumerate() {
                    if w < lo || w > hi {
                        return Err(out_of_range(
                            &who,
                            &l.kind.weight_label(j),
                            w as i64,
                            l.weight_bits,
                        ));
                    }
                }
                let b = l.bias[i];
                if b < lo || b > hi {
                    return Err(out_of_range(&who, "bias", b as i64, l.weight_bits));
                }
                let sum: i64 = row.iter().map(|&w| w as i64).sum::<i64>() + b as i64;
                if sum != l.one() {
                    let what = match l.kind {
                        LayerKind::Conv2d { .. } => "kernel weights + bias",
                        _ => "weights + bias",
                    };
                    return Err(ModelError::invalid(format!(
                        "{who}: {what} sum to {sum}, not 2^frac_bits = {} \
                         (LC-TTFS needs every row to sum to exactly 1; re-quantize with `ttfs quantize`)",
                        l.one()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Number of classes (outputs of the last layer).
    pub fn classes(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// Number of raw input features.
    pub fn input_len(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    /// `[C, H, W]` of the input: `input_shape`, or flat `[1, 1, inputs]`.
    pub fn in_shape(&self) -> Shape {
        self.input_shape.unwrap_or([1, 1, self.input_len()])
    }

    /// Whether every layer is dense (what the hardware generator builds today).
    pub fn is_dense_only(&self) -> bool {
        self.layers.iter().all(|l| l.kind == LayerKind::Dense)
    }

    /// The first layer that is not dense, as `(index, kind name)`.
    pub fn first_non_dense(&self) -> Option<(usize, &'static str)> {
        self.layers
            .iter()
            .position(|l| l.kind != LayerKind::Dense)
            .map(|k| (k, self.layers[k].kind.name()))
    }

    /// Window of every map: entry 0 the input (window 0), entry `k + 1` of `layers[k]` (see
    /// [`windows`]).
    pub fn windows(&self) -> Vec<usize> {
        windows(self.layers.iter().map(|l| l.kind))
    }

    /// Number of weighted layers `L` (windows `1..=L`).
    pub fn weighted_len(&self) -> usize {
        self.layers.iter().filter(|l| l.is_weighted()).count()
    }

    /// The version this model is written as: 1 for dense-only without `input_shape`, else 2.
    pub fn file_version(&self) -> u64 {
        if self.is_dense_only() && self.input_shape.is_none() {
            VERSION
        } else {
            VERSION_TENSOR
        }
    }

    /// Serializes to the `lcttfs-model` JSON text (one weight row, or one output channel's
    /// kernel, per line).
    pub fn to_json_string(&self) -> String {
        let layers = self
            .layers
            .iter()
            .map(|l| OutLayer {
                kind: l.kind,
                inputs: l.inputs,
                outputs: l.outputs,
                bits: Some((l.weight_bits, l.frac_bits)),
                rows: l
                    .weights
                    .rows()
                    .into_iter()
                    .map(|r| r.iter().map(|w| w.to_string()).collect())
                    .collect(),
                bias: l.bias.iter().map(|b| b.to_string()).collect(),
            })
            .collect();
        write_model(&OutModel {
            version: self.file_version(),
            time_steps: self.time_steps,
            input_bits: self.input_bits,
            readout: self.readout,
            dataset: self.dataset,
            input_shape: self.input_shape,
            layers,
        })
    }

    /// Writes the model as JSON.
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        std::fs::write(path, self.to_json_string()).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads a model file that must be quantized.
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        match AnyModel::load(path)? {
            AnyModel::Quantized(m) => Ok(m),
            AnyModel::Float(_) => Err(ModelError::invalid(format!(
                "{}: this is a float model (no frac_bits); quantize it first with `ttfs quantize --model {} --out model.json`",
                path.display(),
                path.display()
            ))),
        }
    }

    /// Parses a model that must be quantized.
    pub fn from_json_str(text: &str, origin: &str) -> Result<Model, ModelError> {
        match AnyModel::from_json_str(text, origin)? {
            AnyModel::Quantized(m) => Ok(m),
            AnyModel::Float(_) => Err(ModelError::invalid(format!(
                "{origin}: this is a float model (no frac_bits); quantize it first with `ttfs quantize`"
            ))),
        }
    }
}

impl FloatModel {
    /// Checks shapes, finiteness and header fields (row sums are the quantizer's business).
    pub fn validate(&self) -> Result<(), ModelError> {
        check_header(self.time_steps as u64, self.input_bits as u64)?;
        check_chain(self.input_shape, self.layers.len(), |k| {
            let l = &self.layers[k];
            (l.kind, l.inputs, l.outputs, l.weights.dim(), l.bias.len())
        })?;
        for (index, l) in self.layers.iter().enumerate() {
            let name = layer_name(index);
            for i in 0..l.rows() {
                let who = format!("{name}, {}", l.kind.row_label(i));
                for (j, &w) in l.weights.row(i).iter().enumerate() {
                    if !w.is_finite() {
                        return Err(ModelError::invalid(format!(
                            "{who}: {} = {w} is not a finite number",
                            l.kind.weight_label(j)
                        )));
                    }
                }
                if !l.bias[i].is_finite() {
                    return Err(ModelError::invalid(format!(
                        "{who}: bias = {} is not a finite number",
                        l.bias[i]
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn classes(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    pub fn input_len(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    /// `[C, H, W]` of the input: `input_shape`, or flat `[1, 1, inputs]`.
    pub fn in_shape(&self) -> Shape {
        self.input_shape.unwrap_or([1, 1, self.input_len()])
    }

    /// Whether every layer is dense.
    pub fn is_dense_only(&self) -> bool {
        self.layers.iter().all(|l| l.kind == LayerKind::Dense)
    }

    /// Serializes to `lcttfs-model` JSON (no `frac_bits`: float weights).
    pub fn to_json_string(&self) -> String {
        let num = |v: f32| {
            // Shortest f32 text that round-trips, stored as an f64 JSON number.
            let v64: f64 = format!("{v}").parse().unwrap_or(0.0);
            serde_json::Number::from_f64(v64)
                .unwrap_or_else(|| serde_json::Number::from(0))
                .to_string()
        };
        let layers = self
            .layers
            .iter()
            .map(|l| OutLayer {
                kind: l.kind,
                inputs: l.inputs,
                outputs: l.outputs,
                bits: None,
                rows: l
                    .weights
                    .rows()
                    .into_iter()
                    .map(|r| r.iter().map(|&w| num(w)).collect())
                    .collect(),
                bias: l.bias.iter().map(|&b| num(b)).collect(),
            })
            .collect();
        write_model(&OutModel {
            version: if self.is_dense_only() && self.input_shape.is_none() {
                VERSION
            } else {
                VERSION_TENSOR
            },
            time_steps: self.time_steps,
            input_bits: self.input_bits,
            readout: self.readout,
            dataset: self.dataset,
            input_shape: self.input_shape,
            layers,
        })
    }

    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        std::fs::write(path, self.to_json_string()).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })
    }
}

/// What the writer needs of a model (either kind), numbers already as JSON text.
struct OutModel {
    version: u64,
    time_steps: u32,
    input_bits: u32,
    readout: Readout,
    dataset: Option<DatasetKind>,
    input_shape: Option<Shape>,
    layers: Vec<OutLayer>,
}

struct OutLayer {
    kind: LayerKind,
    inputs: usize,
    outputs: usize,
    /// `(weight_bits, frac_bits)` of an integer layer.
    bits: Option<(u32, u32)>,
    rows: Vec<Vec<String>>,
    bias: Vec<String>,
}

/// Pretty JSON with each weight row (or each output channel's kernel) on one line: readable,
/// diffable, and not 100k lines long. A dense-only model is written exactly as version 1 was.
fn write_model(m: &OutModel) -> String {
    let pair = |p: [usize; 2]| format!("[{}, {}]", p[0], p[1]);
    let mut out = String::new();
    out.push_str("{\n");
    out.push_str(&format!("  \"format\": {},\n", serde_json::json!(FORMAT)));
    out.push_str(&format!("  \"version\": {},\n", m.version));
    out.push_str(&format!("  \"time_steps\": {},\n", m.time_steps));
    out.push_str(&format!("  \"input_bits\": {},\n", m.input_bits));
    out.push_str(&format!(
        "  \"readout\": {},\n",
        serde_json::json!(m.readout.to_string())
    ));
    if let Some(dataset) = m.dataset {
        out.push_str(&format!(
            "  \"dataset\": {},\n",
            serde_json::Value::from(dataset.name())
        ));
    }
    if m.version >= VERSION_TENSOR {
        let s = m
            .input_shape
            .unwrap_or([1, 1, m.layers.first().map_or(0, |l| l.inputs)]);
        out.push_str(&format!(
            "  \"input_shape\": [{}, {}, {}],\n",
            s[0], s[1], s[2]
        ));
    }
    out.push_str("  \"layers\": [\n");
    for (k, l) in m.layers.iter().enumerate() {
        out.push_str("    {\n");
        out.push_str(&format!(
            "      \"kind\": {},\n",
            serde_json::json!(l.kind.name())
        ));
        match l.kind {
            LayerKind::Dense => out.push_str(&format!(
                "      \"inputs\": {}, \"outputs\": {},\n",
                l.inputs, l.outputs
            )),
            LayerKind::Conv2d {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
                ..
            } => out.push_str(&format!(
                "      \"in_channels\": {in_channels}, \"out_channels\": {out_channels}, \"kernel\": {}, \"stride\": {}, \"padding\": {},\n",
                pair(kernel),
                pair(stride),
                pair(padding)
            )),
            LayerKind::MaxPool2d { kernel, stride, .. } => out.push_str(&format!(
                "      \"kernel\": {}, \"stride\": {}\n",
                pair(kernel),
                pair(stride)
            )),
        }
        if l.kind.is_weighted() {
            if let Some((wb, fb)) = l.bits {
                out.push_str(&format!(
                    "      \"weight_bits\": {wb}, \"frac_bits\": {fb},\n"
                ));
            }
            out.push_str("      \"weights\": [\n");
            for (i, row) in l.rows.iter().enumerate() {
                let sep = if i + 1 < l.rows.len() { "," } else { "" };
                let text = match l.kind {
                    LayerKind::Conv2d {
                        in_channels,
                        kernel,
                        ..
                    } => {
                        // [c][i][j]: planes of Kh lines of Kw numbers.
                        let planes: Vec<String> = (0..in_channels)
                            .map(|c| {
                                let lines: Vec<String> = (0..kernel[0])
                                    .map(|i| {
                                        let at = (c * kernel[0] + i) * kernel[1];
                                        format!("[{}]", row[at..at + kernel[1]].join(","))
                                    })
                                    .collect();
                                format!("[{}]", lines.join(","))
                            })
                            .collect();
                        format!("[{}]", planes.join(","))
                    }
                    _ => format!("[{}]", row.join(",")),
                };
                out.push_str(&format!("        {text}{sep}\n"));
            }
            out.push_str("      ],\n");
            out.push_str(&format!("      \"bias\": [{}]\n", l.bias.join(",")));
        }
        out.push_str(if k + 1 < m.layers.len() {
            "    },\n"
        } else {
            "    }\n"
        });
    }
    out.push_str("  ]\n}\n");
    out
}
