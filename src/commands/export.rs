//! `ttfs export`: an lcttfs-model as a PyTorch-style state dict, the layout `ttfs import` reads
//! (`docs/import.md`): `layers.<i>.weight` (`outputs × inputs`, float32, row i = neuron i, as
//! `nn.Linear.weight`) and `layers.<i>.bias`, in `.npz` (NumPy `savez`) or `.safetensors`.
//!
//! Why: to take a network trained here into PyTorch (fine-tuning, analysis) and back, and to
//! give the README walkthrough a real file to import. A quantized model exports its values
//! `w / 2^frac_bits`, exact in float32.

use crate::source::{load_any_model, require_dense_kinds};
use anyhow::{bail, Context, Result};
use clap::Args;
use golden::model::AnyModel;
use ndarray::Array2;
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

/// `(key, outputs × inputs weights, bias)` per layer, in float32.
type Tensors = Vec<(usize, Array2<f32>, Vec<f32>)>;

fn tensors(model: &AnyModel) -> Tensors {
    match model {
        AnyModel::Float(m) => m
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| (i, l.weights.clone(), l.bias.clone()))
            .collect(),
        AnyModel::Quantized(m) => m
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                // |w| < 2^15 and F ≤ 30: w / 2^F is exact in float32.
                let scale = 1.0 / l.one() as f64;
                let w = l.weights.mapv(|w| (w as f64 * scale) as f32);
                let b = l.bias.iter().map(|&b| (b as f64 * scale) as f32).collect();
                (i, w, b)
            })
            .collect(),
    }
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
                    vec![w.nrows(), w.ncols()],
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
    // Conv weights would need their 4-D PyTorch shape.
    let kinds: Vec<_> = match &model {
        AnyModel::Float(m) => m.layers.iter().map(|l| l.kind).collect(),
        AnyModel::Quantized(m) => m.layers.iter().map(|l| l.kind).collect(),
    };
    require_dense_kinds(
        kinds.into_iter(),
        &a.model.display().to_string(),
        "ttfs export",
    )?;
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
    let widths: Vec<String> = std::iter::once(t.first().map_or(0, |(_, w, _)| w.ncols()))
        .chain(t.iter().map(|(_, w, _)| w.nrows()))
        .map(|n| n.to_string())
        .collect();
    println!(
        "exported {kind} model {} ({}) as {}: {} layers (`layers.<i>.weight` / `.bias`, float32); \
         import it back with: ttfs import {} --time-steps {t_steps} --out model.json",
        a.model.display(),
        widths.join("-"),
        a.out.display(),
        t.len(),
        a.out.display()
    );
    Ok(())
}
