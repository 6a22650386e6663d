//! Import paths into the lcttfs-model (DESIGN §3): float networks trained elsewhere, as a
//! PyTorch-style `.npz` / `.safetensors` state dict or as a NIR graph (HDF5).
//!
//! Each reader turns its file into an [`ImportedNetwork`]: dense layers with `f64` weights,
//! named as in the source file so that every error can point at the key or node to fix.
//! [`check`] then validates the LC-TTFS constraints on those floats (finite values, chained
//! shapes, `Σw + b = 1` per neuron) with messages naming layer, neuron and amount, and
//! [`ImportedNetwork::to_float_model`] hands the result to the existing quantizer path.
//! `docs/import.md` describes the naming conventions and what is refused.

pub mod nir;
pub mod npz;
pub mod safetensors;

use anyhow::{bail, Context, Result};
use golden::model::{FloatLayer, FloatModel, Model, Readout, MAX_INPUT_BITS, MAX_WIDTH};
use golden::quantize::{quantize, QuantizeOptions, QuantizeReport, DEFAULT_SUM_TOLERANCE};
use ndarray::Array2;
use std::path::Path;

/// Which reader a file goes through, chosen by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Npz,
    Safetensors,
    Nir,
}

impl Format {
    /// The format of `path` by extension (case-insensitive), or an error listing the known ones.
    pub fn of_path(path: &Path) -> Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("npz") => Ok(Format::Npz),
            Some("safetensors") => Ok(Format::Safetensors),
            // NIR files are HDF5; `nir.write` does not force an extension.
            Some("nir") | Some("h5") | Some("hdf5") => Ok(Format::Nir),
            other => bail!(
                "{}: unknown file type{}: ttfs import reads .npz and .safetensors (PyTorch state dict of \
                 `layers.<i>.weight` / `layers.<i>.bias`) and .nir (NIR graph, also .h5/.hdf5)",
                path.display(),
                other.map_or(" (no extension)".to_string(), |e| format!(" .{e}"))
            ),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Npz => "npz",
            Format::Safetensors => "safetensors",
            Format::Nir => "NIR",
        }
    }
}

/// One dense layer as read from the source file, before any LC-TTFS check.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedLayer {
    /// Where it came from: `layers.2` (state dict) or the NIR node name; used in every message.
    pub source: String,
    /// Name of the weight tensor / node, e.g. `layers.2.weight`.
    pub weight_key: String,
    /// `outputs × inputs`, row i = incoming weights of neuron i (PyTorch `Linear.weight`).
    pub weights: Array2<f64>,
    /// One per neuron; zeros when the source has no bias (`Linear(bias=False)`, NIR `Linear`).
    pub bias: Vec<f64>,
}

impl ImportedLayer {
    pub fn inputs(&self) -> usize {
        self.weights.ncols()
    }
    pub fn outputs(&self) -> usize {
        self.weights.nrows()
    }
}

/// A float network read from a file: dense layers in order, shapes already checked per layer.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedNetwork {
    pub format: Format,
    pub layers: Vec<ImportedLayer>,
}

/// Reads `path` with the reader its extension names.
pub fn read(path: &Path) -> Result<ImportedNetwork> {
    let format = Format::of_path(path)?;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let origin = path.display().to_string();
    match format {
        Format::Npz => npz::read_npz(&bytes, &origin),
        Format::Safetensors => safetensors::read_safetensors(&bytes, &origin),
        Format::Nir => nir::read_nir(&bytes, &origin),
    }
}

/// `layer 2 (layers.2)`: layers are numbered from 1 as in DESIGN §2 (layer 0 is the input).
fn layer_label(index: usize, l: &ImportedLayer) -> String {
    format!("layer {} (`{}`)", index + 1, l.source)
}

/// What [`check`] found out about the rows (for the summary).
#[derive(Clone, Debug)]
pub struct RowSums {
    /// Per layer: largest `|Σw + b − 1|` over its neurons.
    pub worst_error: Vec<f64>,
}

/// Validates the LC-TTFS constraints on the float weights: at least one layer, consecutive
/// shapes chain, every value finite and representable as `f32` (the float model's type),
/// and every row summing to 1 within `tolerance` (skipped when `renormalize`: then only a
/// row sum too close to 0 to divide by is refused). Errors name layer, neuron and amount.
pub fn check(net: &ImportedNetwork, tolerance: f64, renormalize: bool) -> Result<RowSums> {
    if net.layers.is_empty() {
        bail!("no dense layer found: the file holds no weights");
    }
    let mut worst = Vec::with_capacity(net.layers.len());
    for (k, l) in net.layers.iter().enumerate() {
        let name = layer_label(k, l);
        let (outputs, inputs) = l.weights.dim();
        if inputs == 0 || outputs == 0 || inputs > MAX_WIDTH || outputs > MAX_WIDTH {
            bail!(
                "{name}: `{}` has shape [{outputs}, {inputs}]: outputs and inputs must both be in 1..={MAX_WIDTH}",
                l.weight_key
            );
        }
        if l.bias.len() != outputs {
            bail!(
                "{name}: bias has {} entries but `{}` has {outputs} rows (one bias per output neuron)",
                l.bias.len(),
                l.weight_key
            );
        }
        if k > 0 {
            let prev = &net.layers[k - 1];
            if inputs != prev.outputs() {
                bail!(
                    "{name}: `{}` has shape [{outputs}, {inputs}], so {inputs} inputs, but {} has {} outputs: \
                     consecutive layers must chain (weight shape is [outputs, inputs])",
                    l.weight_key,
                    layer_label(k - 1, prev),
                    prev.outputs()
                );
            }
        }
        let mut layer_worst = 0.0f64;
        for i in 0..outputs {
            for (j, &w) in l.weights.row(i).iter().enumerate() {
                check_value(w, &name, i, &format!("weight[{j}]"))?;
            }
            check_value(l.bias[i], &name, i, "bias")?;
            let sum: f64 = l.weights.row(i).iter().sum::<f64>() + l.bias[i];
            let off = sum - 1.0;
            layer_worst = layer_worst.max(off.abs());
            if renormalize {
                if sum.abs() < 1e-6 {
                    bail!(
                        "{name}, neuron {i}: weights + bias sum to {sum:.3e}: too close to 0 to renormalize \
                         (LC-TTFS needs Σw + b = 1)"
                    );
                }
            } else if off.abs() > tolerance {
                bail!(
                    "{name}, neuron {i}: weights + bias sum to {sum:.6}, off by {off:+.3e} from 1 (tolerance {tolerance:e}): \
                     LC-TTFS needs Σw + b = 1 for every neuron; train with that constraint or pass --renormalize \
                     to divide each row by its sum"
                );
            }
        }
        worst.push(layer_worst);
    }
    Ok(RowSums { worst_error: worst })
}

fn check_value(v: f64, name: &str, neuron: usize, what: &str) -> Result<()> {
    if !v.is_finite() {
        bail!("{name}, neuron {neuron}: {what} = {v} is not a finite number (NaN or infinite): fix the trained weights");
    }
    if v.abs() > f32::MAX as f64 {
        bail!("{name}, neuron {neuron}: {what} = {v:e} is beyond the float32 range");
    }
    Ok(())
}

/// Checks `T` with the flag's name in the message (golden would say `time_steps`).
pub fn check_time_steps(t: u32) -> Result<()> {
    if !(2..=256).contains(&t) || !t.is_power_of_two() {
        bail!("--time-steps {t} is not a power of two in 2..=256: use 2, 4, 8, 16, 32, 64, 128 or 256");
    }
    Ok(())
}

/// Checks the raw input width.
pub fn check_input_bits(b: u32) -> Result<()> {
    if !(1..=MAX_INPUT_BITS).contains(&b) {
        bail!("--input-bits {b} is outside 1..={MAX_INPUT_BITS}");
    }
    Ok(())
}

impl ImportedNetwork {
    /// The float lcttfs-model of this network (values cast to `f32`, the float model's type).
    pub fn to_float_model(
        &self,
        time_steps: u32,
        input_bits: u32,
        readout: Readout,
    ) -> Result<FloatModel> {
        let layers = self
            .layers
            .iter()
            .map(|l| FloatLayer {
                kind: golden::model::LayerKind::Dense,
                inputs: l.inputs(),
                outputs: l.outputs(),
                weights: l.weights.mapv(|w| w as f32),
                bias: l.bias.iter().map(|&b| b as f32).collect(),
            })
            .collect();
        let model = FloatModel {
            time_steps,
            input_bits,
            readout,
            dataset: None,
            input_shape: None,
            layers,
        };
        model.validate()?;
        Ok(model)
    }
}

/// Everything `ttfs import` needs besides the file.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    pub time_steps: u32,
    pub input_bits: u32,
    pub readout: Readout,
    pub weight_bits: u32,
    pub renormalize: bool,
}

/// The result of [`import`]: the quantized model and what happened on the way.
#[derive(Clone, Debug)]
pub struct Imported {
    pub network: ImportedNetwork,
    pub model: Model,
    pub row_sums: RowSums,
    pub report: QuantizeReport,
}

/// Reads, validates and quantizes a network: the whole of `ttfs import` but the writing.
pub fn import(path: &Path, opts: &ImportOptions) -> Result<Imported> {
    check_time_steps(opts.time_steps)?;
    check_input_bits(opts.input_bits)?;
    QuantizeOptions::new(opts.weight_bits).map_err(|e| anyhow::anyhow!("--weight-bits: {e}"))?;
    let network = read(path)?;
    import_network(network, opts).with_context(|| format!("{}", path.display()))
}

/// Validates and quantizes a network already read (the part of [`import`] after the reader).
pub fn import_network(network: ImportedNetwork, opts: &ImportOptions) -> Result<Imported> {
    check_time_steps(opts.time_steps)?;
    check_input_bits(opts.input_bits)?;
    let mut qopts = QuantizeOptions::new(opts.weight_bits)
        .map_err(|e| anyhow::anyhow!("--weight-bits: {e}"))?;
    let row_sums = check(&network, DEFAULT_SUM_TOLERANCE, opts.renormalize)?;
    let float = network.to_float_model(opts.time_steps, opts.input_bits, opts.readout)?;
    qopts.renormalize = opts.renormalize;
    let (model, report) = quantize(&float, &qopts)?;
    Ok(Imported {
        network,
        model,
        row_sums,
        report,
    })
}

// ---------------------------------------------------------------------------------------------
// Panic guard for third-party parsers.

use std::cell::{Cell, RefCell};

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs a third-party parser so that a panic inside it becomes an error naming the file.
///
/// Why: the parsers walk offsets and lengths taken from the file itself, and a malformed or
/// truncated file must give one error line, never a crash. `hdf5-reader` in particular parses
/// a complex binary format and its own corruption tests do not promise panic freedom, so
/// every reader goes through here (`catch_unwind`). The process-wide panic hook is wrapped
/// once so that a panic caught here prints nothing (the binary's hook would otherwise print an
/// "internal error" line before our error); panics elsewhere, or on other threads, still
/// reach the previous hook unchanged. Allocation failure is an abort, not a panic, and cannot
/// be caught: the readers bound what they allocate by the file size where the crates allow it.
pub(crate) fn guarded<T>(origin: &str, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    static WRAP: std::sync::Once = std::sync::Once::new();
    WRAP.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| q.get()) {
                let msg = crate::panic_message(info.payload());
                CAUGHT.with(|c| *c.borrow_mut() = Some(msg));
            } else {
                previous(info);
            }
        }));
    });
    let was_quiet = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was_quiet));
    match result {
        // Parser errors can span lines (the npy header parser draws a caret diagram): the
        // command line promises one line per error.
        Ok(r) => r.map_err(|e| anyhow::anyhow!(one_line(&format!("{e:#}")))),
        Err(_) => {
            let msg = CAUGHT
                .with(|c| c.borrow_mut().take())
                .unwrap_or_else(|| "unknown panic".into());
            bail!(
                "{origin}: the {what} reader failed on malformed data ({}): the file is corrupt or truncated; \
                 write it again",
                msg.replace('\n', " ")
            )
        }
    }
}

/// `text` with every run of whitespace (newlines included) collapsed to one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The one error text of a parser crash (see [`guarded`]); the fuzz test looks for it.
pub const GUARD_MARKER: &str = "reader failed on malformed data";

// ---------------------------------------------------------------------------------------------
// State-dict naming shared by .npz and .safetensors.

/// A tensor read from a state dict, in row-major order.
#[derive(Clone, Debug)]
pub(crate) struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

/// What a state-dict key is.
enum Key {
    Weight(u64),
    Bias(u64),
}

/// Parses `layers.<i>.weight` / `layers.<i>.bias`, or explains why the key is refused.
fn parse_key(key: &str) -> Result<Key> {
    let parts: Vec<&str> = key.split('.').collect();
    let index = match parts.as_slice() {
        ["layers", i, _] if !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()) => {
            i.parse::<u64>().ok()
        }
        _ => None,
    };
    let field = parts.last().copied().unwrap_or("");
    match (index, field) {
        (Some(i), "weight") => Ok(Key::Weight(i)),
        (Some(i), "bias") => Ok(Key::Bias(i)),
        (_, "running_mean" | "running_var" | "num_batches_tracked") => bail!(
            "key `{key}` belongs to a batch-norm layer: LC-TTFS has no batch norm (its learned scale breaks \
             Σw + b = 1 per neuron); retrain without it, or fold it into the Linear layer and re-normalize the rows"
        ),
        _ => bail!(
            "unknown key `{key}`: expected only `layers.<i>.weight` ([outputs, inputs]) and `layers.<i>.bias` \
             ([outputs]), the state_dict of an nn.Sequential named `layers` of nn.Linear (see docs/import.md)"
        ),
    }
}

/// Groups state-dict tensors into dense layers ordered by their integer index (any increasing
/// indices: `nn.Sequential` puts activations between the Linear layers, so 0, 2, 4…).
pub(crate) fn layers_from_state_dict(tensors: Vec<(String, Tensor)>) -> Result<Vec<ImportedLayer>> {
    use std::collections::BTreeMap;
    // Per index: the weight and the bias, each with its key.
    type Named = Option<(String, Tensor)>;
    let mut by_index: BTreeMap<u64, (Named, Named)> = BTreeMap::new();
    let mut tensors = tensors;
    // Sorted so that the first refused key is the same whatever order the file lists them.
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, t) in tensors {
        let slot = match parse_key(&key)? {
            Key::Weight(i) => &mut by_index.entry(i).or_default().0,
            Key::Bias(i) => &mut by_index.entry(i).or_default().1,
        };
        if slot.is_some() {
            bail!("key `{key}` appears twice");
        }
        *slot = Some((key, t));
    }
    let mut layers = Vec::with_capacity(by_index.len());
    for (i, (weight, bias)) in by_index {
        let Some((wkey, w)) = weight else {
            bail!("`layers.{i}.bias` has no `layers.{i}.weight`: every layer needs a weight [outputs, inputs]");
        };
        if w.shape.len() != 2 {
            bail!(
                "`{wkey}` has shape {:?}: a Linear weight is 2-D [outputs, inputs]{}",
                w.shape,
                if w.shape.len() == 1 {
                    " (a 1-D weight is a batch-norm or layer-norm scale, which LC-TTFS does not have)"
                } else {
                    " (convolutions are not supported: flatten to dense layers)"
                }
            );
        }
        let (outputs, inputs) = (w.shape[0], w.shape[1]);
        let weights = Array2::from_shape_vec((outputs, inputs), w.data).map_err(|_| {
            anyhow::anyhow!("`{wkey}`: data length does not match shape [{outputs}, {inputs}]")
        })?;
        let bias = match bias {
            None => vec![0.0; outputs],
            Some((bkey, b)) => {
                if b.shape.len() != 1 || b.shape[0] != outputs {
                    bail!(
                        "`{bkey}` has shape {:?} but `{wkey}` has shape [{outputs}, {inputs}]: the bias must be [{outputs}]",
                        b.shape
                    );
                }
                b.data
            }
        };
        layers.push(ImportedLayer {
            source: format!("layers.{i}"),
            weight_key: wkey,
            weights,
            bias,
        });
    }
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parser_panic_becomes_one_error_line_naming_the_file() {
        let r: Result<()> = guarded("net.nir", "NIR (HDF5)", || {
            let v: Vec<u8> = Vec::new();
            let _ = v[3]; // index out of bounds, as a parser bug on a malformed file would
            Ok(())
        });
        let msg = format!("{:#}", r.unwrap_err());
        assert!(msg.starts_with("net.nir: the NIR (HDF5) reader"), "{msg}");
        assert!(
            msg.contains(GUARD_MARKER) && msg.contains("index out of bounds"),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "{msg}");
        // The guard leaves later panics alone: they still unwind as panics.
        assert!(std::panic::catch_unwind(|| panic!("outside")).is_err());
    }

    #[test]
    fn state_dict_keys_are_layers_index_weight_or_bias() {
        assert!(matches!(parse_key("layers.0.weight"), Ok(Key::Weight(0))));
        assert!(matches!(parse_key("layers.14.bias"), Ok(Key::Bias(14))));
        for bad in [
            "layers.-1.weight",
            "layers.a.weight",
            "0.weight",
            "model.layers.0.weight",
            "layers.0.scale",
        ] {
            let e = parse_key(bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains(&format!("unknown key `{bad}`")), "{bad}: {e}");
        }
        let e = parse_key("layers.1.running_var").err().unwrap().to_string();
        assert!(e.contains("batch norm"), "{e}");
    }
}
