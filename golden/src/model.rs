//! The `lcttfs-model` file (DESIGN §3): types, loading, saving and full validation.
//!
//! Float (trained) and quantized (integer) models share one JSON format; `frac_bits` is
//! present exactly when the weights are integers. Every reader validates fully: a bad file is
//! refused with a [`ModelError`] naming the layer, the neuron and the numbers.
//!
//! Layers are numbered as in DESIGN §2: layer 0 is the encoded input, the first weight layer
//! is layer 1 (`layers[0]` in the file).

use crate::data::DatasetKind;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The format tag every model file carries.
pub const FORMAT: &str = "lcttfs-model";
/// The model-file version this crate writes: version 1, the dense-only layout, which every
/// reader of version 2 reads too (DESIGN §3).
pub const VERSION: u64 = 1;
/// The newest version this crate reads: version 2 (DESIGN §3) adds `input_shape` and the
/// `conv2d` / `maxpool2d` kinds of §2.1. Its dense networks are read; convolution and
/// pooling are refused by name until the generator has stages for them.
pub const VERSION_READ: u64 = 2;
/// The layer kinds of version 2 that this crate does not run yet.
pub const NOT_YET_KINDS: [&str; 2] = ["conv2d", "maxpool2d"];
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

/// One dense layer with integer weights: value `w / 2^frac_bits`.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    pub weight_bits: u32,
    pub frac_bits: u32,
    /// `outputs × inputs`; row i = incoming weights of neuron i.
    pub weights: Array2<i32>,
    /// Weight of the always-on input (`q = T`), one per neuron.
    pub bias: Vec<i32>,
}

impl Layer {
    /// `2^F`: what every row (bias included) sums to.
    pub fn one(&self) -> i64 {
        1i64 << self.frac_bits
    }
    /// Smallest and largest weight representable in `weight_bits` (two's complement).
    pub fn weight_range(&self) -> (i32, i32) {
        weight_range(self.weight_bits)
    }
}

/// Smallest and largest value of a `bits`-bit two's-complement integer.
pub fn weight_range(bits: u32) -> (i32, i32) {
    let half = 1i64 << (bits - 1);
    ((-half) as i32, (half - 1) as i32)
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
    pub layers: Vec<Layer>,
}

/// One dense layer with float weights (a trained model before quantization).
#[derive(Clone, Debug, PartialEq)]
pub struct FloatLayer {
    pub inputs: usize,
    pub outputs: usize,
    pub weights: Array2<f32>,
    pub bias: Vec<f32>,
}

/// A float (trained) LC-TTFS model.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatModel {
    pub time_steps: u32,
    pub input_bits: u32,
    pub readout: Readout,
    /// The dataset the model was trained on, as in [`Model::dataset`].
    pub dataset: Option<DatasetKind>,
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

#[derive(Serialize, Deserialize)]
struct RawModel {
    format: String,
    version: u64,
    time_steps: u64,
    input_bits: u64,
    readout: String,
    /// Optional: absent in files that do not record it, and then not written back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dataset: Option<serde_json::Value>,
    layers: Vec<RawLayer>,
}

#[derive(Serialize, Deserialize)]
struct RawLayer {
    kind: String,
    inputs: u64,
    outputs: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weight_bits: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    frac_bits: Option<u64>,
    weights: Vec<Vec<serde_json::Number>>,
    bias: Vec<serde_json::Number>,
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

fn check_shape(
    raw: &RawLayer,
    index: usize,
    prev_outputs: Option<usize>,
) -> Result<(usize, usize), ModelError> {
    let name = layer_name(index);
    if raw.kind != "dense" {
        return Err(ModelError::invalid(format!(
            "{name}: unknown kind \"{}\": only \"dense\" layers are supported",
            raw.kind
        )));
    }
    let inputs = raw.inputs as usize;
    let outputs = raw.outputs as usize;
    if inputs == 0 || outputs == 0 || inputs > MAX_WIDTH || outputs > MAX_WIDTH {
        return Err(ModelError::invalid(format!(
            "{name}: inputs = {inputs}, outputs = {outputs}: both must be in 1..={MAX_WIDTH}"
        )));
    }
    if let Some(prev) = prev_outputs {
        if inputs != prev {
            return Err(ModelError::invalid(format!(
                "{name}: inputs = {inputs} but the previous layer has {prev} outputs"
            )));
        }
    }
    if raw.weights.len() != outputs {
        return Err(ModelError::invalid(format!(
            "{name}: weights has {} rows but outputs = {outputs} (row i = incoming weights of neuron i)",
            raw.weights.len()
        )));
    }
    for (i, row) in raw.weights.iter().enumerate() {
        if row.len() != inputs {
            return Err(ModelError::invalid(format!(
                "{name}, neuron {i}: weight row has {} entries but inputs = {inputs}",
                row.len()
            )));
        }
    }
    if raw.bias.len() != outputs {
        return Err(ModelError::invalid(format!(
            "{name}: bias has {} entries but outputs = {outputs}",
            raw.bias.len()
        )));
    }
    Ok((inputs, outputs))
}

fn int_of(
    n: &serde_json::Number,
    name: &str,
    neuron: usize,
    what: &str,
) -> Result<i64, ModelError> {
    n.as_i64().ok_or_else(|| {
        ModelError::invalid(format!(
            "{name}, neuron {neuron}: {what} = {n} is not an integer, but frac_bits is given (integer weights); \
             drop frac_bits for a float model or quantize it with `ttfs quantize`"
        ))
    })
}

fn float_of(
    n: &serde_json::Number,
    name: &str,
    neuron: usize,
    what: &str,
) -> Result<f32, ModelError> {
    let v = n.as_f64().unwrap_or(f64::NAN) as f32;
    if !v.is_finite() {
        return Err(ModelError::invalid(format!(
            "{name}, neuron {neuron}: {what} = {n} is not a finite number"
        )));
    }
    Ok(v)
}

/// The `input_shape` of a version-2 file (`[C, H, W]`, or fewer dimensions), after refusing the
/// layer kinds this crate does not run yet, by layer and kind.
fn version2_input_shape(value: &serde_json::Value, origin: &str) -> Result<Vec<u64>, ModelError> {
    if let Some(layers) = value.get("layers").and_then(|l| l.as_array()) {
        for (i, l) in layers.iter().enumerate() {
            if let Some(kind) = l.get("kind").and_then(|k| k.as_str()) {
                if NOT_YET_KINDS.contains(&kind) {
                    return Err(ModelError::invalid(format!(
                        "{origin}: {}: kind \"{kind}\" (model version 2, DESIGN §2.1) is not supported \
                         by this version of the tool yet: it reads and generates dense layers only",
                        layer_name(i)
                    )));
                }
            }
        }
    }
    let shape = value
        .get("input_shape")
        .and_then(|s| s.as_array())
        .and_then(|a| a.iter().map(|d| d.as_u64()).collect::<Option<Vec<u64>>>())
        .filter(|s| (1..=3).contains(&s.len()) && s.iter().all(|&d| d > 0));
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
        let shape = match value.get("version").and_then(|v| v.as_u64()) {
            Some(1) => None,
            Some(2) => Some(version2_input_shape(&value, origin)?),
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
        let model = Self::from_raw(raw)?;
        if let Some(shape) = shape {
            let features: u64 = shape.iter().product();
            let inputs = match &model {
                AnyModel::Quantized(m) => m.input_len(),
                AnyModel::Float(m) => m.input_len(),
            };
            if features != inputs as u64 {
                return Err(ModelError::invalid(format!(
                    "{origin}: input_shape {shape:?} holds {features} features but layer 1 has inputs = {inputs}"
                )));
            }
        }
        Ok(model)
    }

    fn from_raw(raw: RawModel) -> Result<AnyModel, ModelError> {
        check_header(raw.time_steps, raw.input_bits)?;
        let readout = parse_readout(&raw.readout)?;
        let dataset = parse_dataset(raw.dataset.as_ref())?;
        if raw.layers.is_empty() {
            return Err(ModelError::invalid(
                "model has no layers: at least one dense layer is needed",
            ));
        }
        let quantized = raw.layers[0].frac_bits.is_some();
        for (index, l) in raw.layers.iter().enumerate() {
            if l.frac_bits.is_some() != quantized {
                return Err(ModelError::invalid(format!(
                    "{}: frac_bits is {} here but {} in layer 1: a model is either all-integer or all-float",
                    layer_name(index),
                    if l.frac_bits.is_some() { "present" } else { "absent" },
                    if quantized { "present" } else { "absent" },
                )));
            }
        }
        let time_steps = raw.time_steps as u32;
        let input_bits = raw.input_bits as u32;
        let mut prev = None;
        if quantized {
            let mut layers = Vec::with_capacity(raw.layers.len());
            for (index, l) in raw.layers.iter().enumerate() {
                let name = layer_name(index);
                let (inputs, outputs) = check_shape(l, index, prev)?;
                prev = Some(outputs);
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
                let mut weights = Array2::<i32>::zeros((outputs, inputs));
                let mut bias = Vec::with_capacity(outputs);
                for i in 0..outputs {
                    for (j, n) in l.weights[i].iter().enumerate() {
                        // Range is checked in validate(); clamp here only to fit i32 storage.
                        let v = int_of(n, &name, i, &format!("weight[{j}]"))?;
                        weights[[i, j]] = v.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
                        if v != weights[[i, j]] as i64 {
                            return Err(out_of_range(
                                &name,
                                i,
                                &format!("weight[{j}]"),
                                v,
                                weight_bits as u32,
                            ));
                        }
                    }
                    let v = int_of(&l.bias[i], &name, i, "bias")?;
                    if v < i32::MIN as i64 || v > i32::MAX as i64 {
                        return Err(out_of_range(&name, i, "bias", v, weight_bits as u32));
                    }
                    bias.push(v as i32);
                }
                layers.push(Layer {
                    inputs,
                    outputs,
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
                layers,
            };
            model.validate()?;
            Ok(AnyModel::Quantized(model))
        } else {
            let mut layers = Vec::with_capacity(raw.layers.len());
            for (index, l) in raw.layers.iter().enumerate() {
                let name = layer_name(index);
                let (inputs, outputs) = check_shape(l, index, prev)?;
                prev = Some(outputs);
                let mut weights = Array2::<f32>::zeros((outputs, inputs));
                let mut bias = Vec::with_capacity(outputs);
                for i in 0..outputs {
                    for (j, n) in l.weights[i].iter().enumerate() {
                        weights[[i, j]] = float_of(n, &name, i, &format!("weight[{j}]"))?;
                    }
                    bias.push(float_of(&l.bias[i], &name, i, "bias")?);
                }
                layers.push(FloatLayer {
                    inputs,
                    outputs,
                    weights,
                    bias,
                });
            }
            let model = FloatModel {
                time_steps,
                input_bits,
                readout,
                dataset,
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

fn out_of_range(name: &str, neuron: usize, what: &str, v: i64, bits: u32) -> ModelError {
    let (lo, hi) = weight_range(bits.clamp(2, 32));
    ModelError::invalid(format!(
        "{name}, neuron {neuron}: {what} = {v} does not fit weight_bits = {bits} (range {lo}..={hi})"
    ))
}

impl Model {
    /// Checks every LC-TTFS constraint of DESIGN §2–§3.
    pub fn validate(&self) -> Result<(), ModelError> {
        check_header(self.time_steps as u64, self.input_bits as u64)?;
        if self.layers.is_empty() {
            return Err(ModelError::invalid(
                "model has no layers: at least one dense layer is needed",
            ));
        }
        for (index, l) in self.layers.iter().enumerate() {
            let name = layer_name(index);
            if l.inputs == 0 || l.outputs == 0 || l.inputs > MAX_WIDTH || l.outputs > MAX_WIDTH {
                return Err(ModelError::invalid(format!(
                    "{name}: inputs = {}, outputs = {}: both must be in 1..={MAX_WIDTH}",
                    l.inputs, l.outputs
                )));
            }
            if index > 0 && l.inputs != self.layers[index - 1].outputs {
                return Err(ModelError::invalid(format!(
                    "{name}: inputs = {} but the previous layer has {} outputs",
                    l.inputs,
                    self.layers[index - 1].outputs
                )));
            }
            if l.weights.dim() != (l.outputs, l.inputs) || l.bias.len() != l.outputs {
                return Err(ModelError::invalid(format!(
                    "{name}: weights are {:?} and bias has {} entries, expected {}×{} and {}",
                    l.weights.dim(),
                    l.bias.len(),
                    l.outputs,
                    l.inputs,
                    l.outputs
                )));
            }
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
            for i in 0..l.outputs {
                let row = l.weights.row(i);
                for (j, &w) in row.iter().enumerate() {
                    if w < lo || w > hi {
                        return Err(out_of_range(
                            &name,
                            i,
                            &format!("weight[{j}]"),
                            w as i64,
                            l.weight_bits,
                        ));
                    }
                }
                let b = l.bias[i];
                if b < lo || b > hi {
                    return Err(out_of_range(&name, i, "bias", b as i64, l.weight_bits));
                }
                let sum: i64 = row.iter().map(|&w| w as i64).sum::<i64>() + b as i64;
                if sum != l.one() {
                    return Err(ModelError::invalid(format!(
                        "{name}, neuron {i}: weights + bias sum to {sum}, not 2^frac_bits = {} \
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

    /// Serializes to the `lcttfs-model` JSON text (one weight row per line).
    pub fn to_json_string(&self) -> String {
        let layers = self
            .layers
            .iter()
            .map(|l| RawLayer {
                kind: "dense".into(),
                inputs: l.inputs as u64,
                outputs: l.outputs as u64,
                weight_bits: Some(l.weight_bits as u64),
                frac_bits: Some(l.frac_bits as u64),
                weights: l
                    .weights
                    .rows()
                    .into_iter()
                    .map(|r| r.iter().map(|&w| serde_json::Number::from(w)).collect())
                    .collect(),
                bias: l
                    .bias
                    .iter()
                    .map(|&b| serde_json::Number::from(b))
                    .collect(),
            })
            .collect();
        compact_rows(&RawModel {
            format: FORMAT.into(),
            version: VERSION,
            time_steps: self.time_steps as u64,
            input_bits: self.input_bits as u64,
            readout: self.readout.to_string(),
            dataset: self.dataset.map(|d| serde_json::Value::from(d.name())),
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
        if self.layers.is_empty() {
            return Err(ModelError::invalid(
                "model has no layers: at least one dense layer is needed",
            ));
        }
        for (index, l) in self.layers.iter().enumerate() {
            let name = layer_name(index);
            if index > 0 && l.inputs != self.layers[index - 1].outputs {
                return Err(ModelError::invalid(format!(
                    "{name}: inputs = {} but the previous layer has {} outputs",
                    l.inputs,
                    self.layers[index - 1].outputs
                )));
            }
            if l.weights.dim() != (l.outputs, l.inputs)
                || l.bias.len() != l.outputs
                || l.inputs == 0
                || l.outputs == 0
            {
                return Err(ModelError::invalid(format!(
                    "{name}: weights are {:?} and bias has {} entries, expected {}×{} and {} (non-empty)",
                    l.weights.dim(),
                    l.bias.len(),
                    l.outputs,
                    l.inputs,
                    l.outputs
                )));
            }
            for i in 0..l.outputs {
                for (j, &w) in l.weights.row(i).iter().enumerate() {
                    if !w.is_finite() {
                        return Err(ModelError::invalid(format!(
                            "{name}, neuron {i}: weight[{j}] = {w} is not a finite number"
                        )));
                    }
                }
                if !l.bias[i].is_finite() {
                    return Err(ModelError::invalid(format!(
                        "{name}, neuron {i}: bias = {} is not a finite number",
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

    /// Serializes to `lcttfs-model` JSON (no `frac_bits`: float weights).
    pub fn to_json_string(&self) -> String {
        let num = |v: f32| {
            // Shortest f32 text that round-trips, stored as an f64 JSON number.
            let v64: f64 = format!("{v}").parse().unwrap_or(0.0);
            serde_json::Number::from_f64(v64).unwrap_or_else(|| serde_json::Number::from(0))
        };
        let layers = self
            .layers
            .iter()
            .map(|l| RawLayer {
                kind: "dense".into(),
                inputs: l.inputs as u64,
                outputs: l.outputs as u64,
                weight_bits: None,
                frac_bits: None,
                weights: l
                    .weights
                    .rows()
                    .into_iter()
                    .map(|r| r.iter().map(|&w| num(w)).collect())
                    .collect(),
                bias: l.bias.iter().map(|&b| num(b)).collect(),
            })
            .collect();
        compact_rows(&RawModel {
            format: FORMAT.into(),
            version: VERSION,
            time_steps: self.time_steps as u64,
            input_bits: self.input_bits as u64,
            readout: self.readout.to_string(),
            dataset: self.dataset.map(|d| serde_json::Value::from(d.name())),
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

/// Pretty JSON with each weight row on one line: readable, diffable, and not 100k lines long.
fn compact_rows(raw: &RawModel) -> String {
    let mut out = String::new();
    out.push_str("{\n");
    out.push_str(&format!(
        "  \"format\": {},\n",
        serde_json::json!(raw.format)
    ));
    out.push_str(&format!("  \"version\": {},\n", raw.version));
    out.push_str(&format!("  \"time_steps\": {},\n", raw.time_steps));
    out.push_str(&format!("  \"input_bits\": {},\n", raw.input_bits));
    out.push_str(&format!(
        "  \"readout\": {},\n",
        serde_json::json!(raw.readout)
    ));
    if let Some(dataset) = &raw.dataset {
        out.push_str(&format!("  \"dataset\": {dataset},\n"));
    }
    out.push_str("  \"layers\": [\n");
    for (k, l) in raw.layers.iter().enumerate() {
        out.push_str("    {\n");
        out.push_str(&format!("      \"kind\": {},\n", serde_json::json!(l.kind)));
        out.push_str(&format!(
            "      \"inputs\": {}, \"outputs\": {},\n",
            l.inputs, l.outputs
        ));
        if let (Some(wb), Some(fb)) = (l.weight_bits, l.frac_bits) {
            out.push_str(&format!(
                "      \"weight_bits\": {wb}, \"frac_bits\": {fb},\n"
            ));
        }
        out.push_str("      \"weights\": [\n");
        for (i, row) in l.weights.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(|n| n.to_string()).collect();
            let sep = if i + 1 < l.weights.len() { "," } else { "" };
            out.push_str(&format!("        [{}]{sep}\n", cells.join(",")));
        }
        out.push_str("      ],\n");
        let bias: Vec<String> = l.bias.iter().map(|n| n.to_string()).collect();
        out.push_str(&format!("      \"bias\": [{}]\n", bias.join(",")));
        out.push_str(if k + 1 < raw.layers.len() {
            "    },\n"
        } else {
            "    }\n"
        });
    }
    out.push_str("  ]\n}\n");
    out
}
