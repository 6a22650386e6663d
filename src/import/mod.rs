//! Import paths into the lcttfs-model (DESIGN §3): float networks trained elsewhere, as a
//! PyTorch-style `.npz` / `.safetensors` state dict or as a NIR graph (HDF5).
//!
//! Each reader turns its file into an [`ImportedNetwork`]: model layers (dense, conv2d,
//! maxpool2d; average / sum pools already folded into the weighted layer after them) with
//! `f64` weights, named as in the source file so that every error can point at the key or node
//! to fix. A state dict holds no strides, padding, pooling or input shape: with conv weights it
//! needs `--arch` and `--input-shape` ([`Shaping`]). [`check`] then validates the LC-TTFS
//! constraints on those floats (finite values, chained shapes, `Σw + b = 1` per neuron or
//! output channel) with messages naming layer, neuron and amount, and
//! [`ImportedNetwork::to_float_model`] hands the result to the existing quantizer path.
//! `docs/import.md` describes the naming conventions and what is refused.

pub mod nir;
pub mod npz;
pub mod safetensors;
mod stages;
pub mod state_dict;

pub use state_dict::{parse_input_shape, NamedArch, Shaping};

use anyhow::{bail, Context, Result};
use golden::model::{
    shape_len, FloatLayer, FloatModel, LayerKind, Model, Readout, Shape, MAX_INPUT_BITS, MAX_WIDTH,
};
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
                 `<module>.weight` / `<module>.bias`) and .nir (NIR graph, also .h5/.hdf5)",
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

/// One model layer as read from the source file, before any LC-TTFS check.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedLayer {
    /// Where it came from: the module (`layers.2`, `fc1`, `features.0`) or the NIR node name;
    /// used in every message.
    pub source: String,
    /// Name of the weight tensor / node, e.g. `layers.2.weight` (empty for a max pool).
    pub weight_key: String,
    /// Dense, conv2d (shapes placed) or maxpool2d.
    pub kind: LayerKind,
    /// Dense: `outputs × inputs`, row i = incoming weights of neuron i (PyTorch
    /// `Linear.weight`). Conv: `Co × (C·Kh·Kw)`, row o = kernel o flattened `[c][i][j]`.
    /// Max pool: `0 × 0`.
    pub weights: Array2<f64>,
    /// One per row; zeros when the source has no bias (`Linear(bias=False)`, NIR `Linear`).
    pub bias: Vec<f64>,
    /// What was folded into this layer (an average or sum pool before it), for messages.
    pub note: Option<String>,
}

impl ImportedLayer {
    /// Features read (flattened).
    pub fn inputs(&self) -> usize {
        match self.kind {
            LayerKind::Dense => self.weights.ncols(),
            kind => shape_len(kind.in_shape(0)).unwrap_or(0),
        }
    }
    /// Features written (flattened).
    pub fn outputs(&self) -> usize {
        match self.kind {
            LayerKind::Dense => self.weights.nrows(),
            kind => shape_len(kind.out_shape(0)).unwrap_or(0),
        }
    }
    /// `[C, H, W]` written (`[1, 1, outputs]` for dense).
    pub fn out_shape(&self) -> Shape {
        self.kind.out_shape(self.outputs())
    }
}

/// A float network read from a file: model layers in order, shapes already checked per layer.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedNetwork {
    pub format: Format,
    /// `[C, H, W]` of the input when the first layer reads a map (conv or pool); `None` when
    /// it is dense (a dense-only network stays a version-1 model).
    pub input_shape: Option<Shape>,
    pub layers: Vec<ImportedLayer>,
}

/// Reads `path` with the reader its extension names; `shaping` (`--arch`, `--input-shape`) is
/// for state dicts only.
pub fn read(path: &Path, shaping: &Shaping) -> Result<ImportedNetwork> {
    let format = Format::of_path(path)?;
    if format == Format::Nir && !shaping.is_empty() {
        bail!(
            "{}: --arch and --input-shape are for state dicts (.npz, .safetensors): a NIR graph records its own \
             strides, padding, pools and input shape; drop them",
            path.display()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let origin = path.display().to_string();
    match format {
        Format::Npz => npz::read_npz(&bytes, &origin, shaping),
        Format::Safetensors => safetensors::read_safetensors(&bytes, &origin, shaping),
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
    /// Per layer: largest `|Σw + b − 1|` over its rows (0 for a max pool).
    pub worst_error: Vec<f64>,
}

/// Validates the LC-TTFS constraints on the float weights: at least one layer, consecutive
/// shapes chain, every value finite and representable as `f32` (the float model's type),
/// and every row (neuron, or output channel of a conv) summing to 1 within `tolerance`
/// (skipped when `renormalize`: then only a row sum too close to 0 to divide by is refused).
/// Errors name layer, neuron (or channel) and amount.
pub fn check(net: &ImportedNetwork, tolerance: f64, renormalize: bool) -> Result<RowSums> {
    if net.layers.is_empty() {
        bail!("no dense layer found: the file holds no weights");
    }
    let mut worst = Vec::with_capacity(net.layers.len());
    for (k, l) in net.layers.iter().enumerate() {
        let name = layer_label(k, l);
        if !l.kind.is_weighted() {
            worst.push(0.0);
            continue;
        }
        let (rows, fan_in) = l.weights.dim();
        if l.kind == LayerKind::Dense
            && (fan_in == 0 || rows == 0 || fan_in > MAX_WIDTH || rows > MAX_WIDTH)
        {
            bail!(
                "{name}: `{}` has shape [{rows}, {fan_in}]: outputs and inputs must both be in 1..={MAX_WIDTH}",
                l.weight_key
            );
        }
        if rows == 0 || fan_in == 0 || l.outputs() == 0 || l.outputs() > MAX_WIDTH {
            bail!(
                "{name}: `{}` gives {} output features: they must be in 1..={MAX_WIDTH}",
                l.weight_key,
                l.outputs()
            );
        }
        if l.bias.len() != rows {
            bail!(
                "{name}: bias has {} entries but `{}` has {rows} rows (one bias per output {})",
                l.bias.len(),
                l.weight_key,
                if l.kind == LayerKind::Dense {
                    "neuron"
                } else {
                    "channel"
                }
            );
        }
        if k > 0 {
            let prev = &net.layers[k - 1];
            if l.inputs() != prev.outputs() {
                bail!(
                    "{name}: `{}` has shape [{rows}, {fan_in}], so {} inputs, but {} has {} outputs: \
                     consecutive layers must chain (weight shape is [outputs, inputs])",
                    l.weight_key,
                    l.inputs(),
                    layer_label(k - 1, prev),
                    prev.outputs()
                );
            }
        }
        let what = match l.kind {
            LayerKind::Conv2d { .. } => "kernel weights + bias",
            _ => "weights + bias",
        };
        let note = l.note.as_ref().map_or(String::new(), |n| format!(" ({n})"));
        let mut layer_worst = 0.0f64;
        for i in 0..rows {
            let who = format!("{name}, {}", l.kind.row_label(i));
            for (j, &w) in l.weights.row(i).iter().enumerate() {
                check_value(w, &who, &l.kind.weight_label(j))?;
            }
            check_value(l.bias[i], &who, "bias")?;
            let sum: f64 = l.weights.row(i).iter().sum::<f64>() + l.bias[i];
            let off = sum - 1.0;
            layer_worst = layer_worst.max(off.abs());
            if renormalize {
                if sum.abs() < 1e-6 {
                    bail!(
                        "{who}: {what} sum to {sum:.3e}: too close to 0 to renormalize \
                         (LC-TTFS needs Σw + b = 1){note}"
                    );
                }
            } else if off.abs() > tolerance {
                bail!(
                    "{who}: {what} sum to {sum:.6}, off by {off:+.3e} from 1 (tolerance {tolerance:e}){note}: \
                     LC-TTFS needs Σw + b = 1 for every neuron; train with that constraint or pass --renormalize \
                     to divide each row by its sum"
                );
            }
        }
        worst.push(layer_worst);
    }
    Ok(RowSums { worst_error: worst })
}

fn check_value(v: f64, who: &str, what: &str) -> Result<()> {
    if !v.is_finite() {
        bail!(
            "{who}: {what} = {v} is not a finite number (NaN or infinite): fix the trained weights"
        );
    }
    if v.abs() > f32::MAX as f64 {
        bail!("{who}: {what} = {v:e} is beyond the float32 range");
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
                kind: l.kind,
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
            input_shape: self.input_shape,
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
    /// `--arch` / `--input-shape` (state dicts only).
    pub shaping: Shaping,
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
    let network = read(path, &opts.shaping)?;
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
// State-dict tensors shared by .npz and .safetensors.

/// A tensor read from a state dict, in row-major order.
#[derive(Clone, Debug)]
pub(crate) struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
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
}
