//! `ttfs export`: an lcttfs-model as a PyTorch-style state dict, the layout `ttfs import` reads
//! (`docs/import.md`): `layers.<i>.weight` (`outputs × inputs`, float32, row i = neuron i, as
//! `nn.Linear.weight`; `[out, in, Kh, Kw]` for a `conv2d`, as `nn.Conv2d.weight`) and
//! `layers.<i>.bias`, in `.npz` (NumPy `savez`) or `.safetensors`. `<i>` is the layer's index in
//! the model file; a max pool has no tensors, so a conv model's keys have gaps where
//! `nn.Sequential` would have its pools. A state dict holds no strides, padding, pooling or
//! input shape, so for a conv model the command prints the `--arch` and `--input-shape` that
//! import it back.
//!
//! Why: to take a network trained here into PyTorch (fine-tuning, analysis) and back, and to
//! give the README walkthrough a real file to import. A quantized model exports its values
//! `w / 2^frac_bits`, exact in float32.

use crate::source::load_any_model;
use anyhow::{bail, Context, Result};
use clap::Args;
use golden::arch::{Arch, ArchLayer};
use golden::model::{AnyModel, LayerKind, Shape};
use ndarray::{Array2, ArrayD, IxDyn};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Model to export (float or quantized lcttfs-model JSON)
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Output state dict: FILE.npz or FILE.safetensors
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `(key index, weights in their PyTorch shape, bias)` per weighted layer, in float32.
type Tensors = Vec<(usize, ArrayD<f32>, Vec<f32>)>;

/// The weights of a layer of `kind` in the shape PyTorch gives them: `[outputs, inputs]`, or
/// `[out, in, Kh, Kw]` for a conv (whose rows are the kernels flattened in that order).
fn torch_shape(kind: &LayerKind, w: Array2<f32>) -> ArrayD<f32> {
    let shape = match *kind {
        LayerKind::Conv2d {
            in_channels,
            out_channels,
            kernel,
            ..
        } => vec![out_channels, in_channels, kernel[0], kernel[1]],
        _ => vec![w.nrows(), w.ncols()],
    };
    // Row-major rows of C·Kh·Kw are exactly PyTorch's [c][i][j] order (golden::model).
    w.into_shape_with_order(IxDyn(&shape))
        .expect("a layer's weight matrix holds out · in · Kh · Kw values")
}

fn tensors(model: &AnyModel) -> Tensors {
    match model {
        AnyModel::Float(m) => m
            .layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_weighted())
            .map(|(i, l)| (i, torch_shape(&l.kind, l.weights.clone()), l.bias.clone()))
            .collect(),
        AnyModel::Quantized(m) => m
            .layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.kind.is_weighted())
            .map(|(i, l)| {
                // |w| < 2^15 and F ≤ 30: w / 2^F is exact in float32.
                let scale = 1.0 / l.one() as f64;
                let w = l.weights.mapv(|w| (w as f64 * scale) as f32);
                let b = l.bias.iter().map(|&b| (b as f64 * scale) as f32).collect();
                (i, torch_shape(&l.kind, w), b)
            })
            .collect(),
    }
}

/// The `--arch` spec of a model's layers (`None` for a dense-only model, which imports without
/// one).
fn arch_of(kinds: &[(LayerKind, usize)]) -> Option<Arch> {
    if kinds.iter().all(|(k, _)| *k == LayerKind::Dense) {
        return None;
    }
    let layers = kinds
        .iter()
        .map(|&(kind, outputs)| match kind {
            LayerKind::Dense => ArchLayer::Dense { outputs },
            LayerKind::Conv2d {
                out_channels,
                kernel,
                stride,
                padding,
                ..
            } => ArchLayer::Conv {
                out_channels,
                kernel,
                stride,
                padding,
            },
            LayerKind::MaxPool2d { kernel, stride, .. } => ArchLayer::MaxPool { kernel, stride },
        })
        .collect();
    Some(Arch { layers })
}

fn write_npz(t: &Tensors, out: &std::path::Path) -> Result<()> {
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot write {}", out.display()))?;
    let mut npz = ndarray_npy::NpzWriter::new_compressed(file);
    for (i, w, b) in t {
        npz.add_array(format!("layers.{i}.weight"), w)
            .and_then(|_| npz.add_array(format!("layers.{i}.bias"), &ndarray::arr1(b)))
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    npz.finish()
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}

fn write_safetensors(t: &Tensors, out: &std::path::Path) -> Result<()> {
    use safetensors::tensor::{Dtype, TensorView};
    let le =
        |v: &mut dyn Iterator<Item = f32>| -> Vec<u8> { v.flat_map(f32::to_le_bytes).collect() };
    let data: Vec<(String, Vec<usize>, Vec<u8>)> = t
        .iter()
        .flat_map(|(i, w, b)| {
            [
                (
                    format!("layers.{i}.weight"),
                    w.shape().to_vec(),
                    le(&mut w.iter().copied()),
                ),
                (
                    format!("layers.{i}.bias"),
                    vec![b.len()],
                    le(&mut b.iter().copied()),
                ),
            ]
        })
        .collect();
    let views = data
        .iter()
        .map(|(k, shape, bytes)| {
            Ok((
                k.clone(),
                TensorView::new(Dtype::F32, shape.clone(), bytes)?,
            ))
        })
        .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
        .context("cannot build the safetensors tensors")?;
    let bytes = safetensors::tensor::serialize(views, None).context("cannot serialize")?;
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))
}

pub fn run(a: &ExportArgs) -> Result<()> {
    let ext = a
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("npz" | "safetensors")) {
        bail!(
            "--out {}: ttfs export writes .npz or .safetensors; name the file FILE.npz or FILE.safetensors",
            a.out.display()
        );
    }
    let model = load_any_model(&a.model)?;
    let (kinds, input_shape): (Vec<_>, Option<Shape>) = match &model {
        AnyModel::Float(m) => (
            m.layers.iter().map(|l| (l.kind, l.outputs)).collect(),
            m.input_shape,
        ),
        AnyModel::Quantized(m) => (
            m.layers.iter().map(|l| (l.kind, l.outputs)).collect(),
            m.input_shape,
        ),
    };
    let t = tensors(&model);
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create directory {}", dir.display()))?;
    }
    match ext.as_deref() {
        Some("npz") => write_npz(&t, &a.out)?,
        _ => write_safetensors(&t, &a.out)?,
    }
    let (kind, t_steps) = match &model {
        AnyModel::Float(m) => ("float", m.time_steps),
        AnyModel::Quantized(m) => ("quantized", m.time_steps),
    };
    let inputs = match &model {
        AnyModel::Float(m) => m.input_len(),
        AnyModel::Quantized(m) => m.input_len(),
    };
    let shape = match input_shape {
        Some([c, h, w]) => format!("{c}x{h}x{w}"),
        None => inputs.to_string(),
    };
    let widths: Vec<String> = std::iter::once(shape)
        .chain(kinds.iter().map(|(kind, outputs)| match *kind {
            LayerKind::Conv2d { out_shape, .. } | LayerKind::MaxPool2d { out_shape, .. } => {
                format!("{}x{}x{}", out_shape[0], out_shape[1], out_shape[2])
            }
            LayerKind::Dense => outputs.to_string(),
        }))
        .collect();
    // A state dict holds no strides, padding, pooling or input shape: say what brings them back.
    let arch = match (arch_of(&kinds), input_shape) {
        (Some(arch), Some([c, h, w])) => format!(" --input-shape {c},{h},{w} --arch {arch}"),
        _ => String::new(),
    };
    println!(
        "exported {kind} model {} ({}) as {}: {} weighted layers (`layers.<i>.weight` / `.bias`, float32); \
         import it back with: ttfs import {} --time-steps {t_steps}{arch} --out model.json",
        a.model.display(),
        widths.join("-"),
        a.out.display(),
        t.len(),
        a.out.display()
    );
    Ok(())
}
