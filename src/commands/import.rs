//! `ttfs import`: PyTorch-style `.npz` / `.safetensors` state dicts (dense, or conv with
//! `--arch` and `--input-shape`) and NIR graphs → lcttfs-model.
//!
//! The readers and the LC-TTFS checks live in [`crate::import`]; this is the command line
//! and the summary. See `docs/import.md` for the naming conventions and what is refused.

use crate::import::{import, parse_input_shape, ImportOptions, ImportedLayer, NamedArch, Shaping};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use golden::data::DatasetKind;
use golden::model::{LayerKind, Readout, Shape};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReadoutArg {
    /// class = argmax of the last layer's potential z
    Potential,
    /// class = earliest spike of the last layer (argmax of the clamped activation)
    FirstSpike,
}

impl From<ReadoutArg> for Readout {
    fn from(r: ReadoutArg) -> Readout {
        match r {
            ReadoutArg::Potential => Readout::Potential,
            ReadoutArg::FirstSpike => Readout::FirstSpike,
        }
    }
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// File to import (.npz, .safetensors or .nir)
    pub file: PathBuf,
    /// Ticks per layer window T of the imported model (a power of two in 2..=256)
    #[arg(long, value_name = "T")]
    pub time_steps: u32,
    /// Bits of one raw input value
    #[arg(long, default_value_t = 8, value_name = "BITS")]
    pub input_bits: u32,
    /// How the last layer is read out
    #[arg(long, value_enum, default_value = "potential")]
    pub readout: ReadoutArg,
    /// Dataset the network was trained on (mnist or fashion-mnist), recorded in the model file:
    /// the hardware's activity is then measured on it (gen-verilog --activity auto)
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<DatasetKind>,
    /// Layers of a state dict, which holds no strides, padding, pooling or input shape:
    /// `conv:OUT:K[:stride=S][:pad=P]`, `maxpool:K[:stride=S]`, `avgpool:K`, `sumpool:K`,
    /// `dense:OUT`, comma-separated; a conv/dense item may name its module (`fc1=dense:128`),
    /// else the file's order is used
    #[arg(long, value_name = "SPEC")]
    pub arch: Option<String>,
    /// Shape of one input sample for --arch: C,H,W (e.g. 1,28,28)
    #[arg(long, value_name = "C,H,W")]
    pub input_shape: Option<String>,
    #[command(flatten)]
    pub quant: super::quantize::QuantFlags,
    /// Output quantized model file (lcttfs-model JSON)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(a: &ImportArgs) -> Result<()> {
    // Options are checked before the file is read, each refusal naming its flag.
    let shaping = Shaping {
        arch: a
            .arch
            .as_deref()
            .map(|s| s.parse::<NamedArch>())
            .transpose()?,
        input_shape: a
            .input_shape
            .as_deref()
            .map(parse_input_shape)
            .transpose()?,
    };
    let opts = ImportOptions {
        time_steps: a.time_steps,
        input_bits: a.input_bits,
        readout: a.readout.into(),
        weight_bits: a.quant.weight_bits,
        renormalize: a.quant.renormalize,
        shaping,
    };
    let mut imported = import(&a.file, &opts)?;
    if let Some(kind) = a.dataset {
        crate::source::check_images_fit(&imported.model, kind.features(), kind.name())
            .context("--dataset")?;
        imported.model.dataset = Some(kind);
    }
    let model = &imported.model;
    model.save(&a.out)?;
    let widths: Vec<String> = std::iter::once(model.in_shape())
        .chain(model.layers.iter().map(|l| l.out_shape()))
        .map(dims)
        .collect();
    println!(
        "imported {} ({}): {} layers {}, T = {}, {}-bit inputs, {} readout{}",
        a.file.display(),
        imported.network.format.name(),
        model.layers.len(),
        widths.join("-"),
        model.time_steps,
        model.input_bits,
        model.readout,
        model
            .dataset
            .map_or(String::new(), |d| format!(", trained on {d}"))
    );
    for (k, (src, rep)) in imported
        .network
        .layers
        .iter()
        .zip(&imported.report.layers)
        .enumerate()
    {
        if !src.kind.is_weighted() {
            println!("  layer {} `{}`: {}", k + 1, src.source, describe(src));
            continue;
        }
        println!(
            "  layer {} `{}`: {}, float row sums off by ≤ {:.1e}{}, frac_bits {}, worst rounding error {:.3e}",
            k + 1,
            src.source,
            describe(src),
            imported.row_sums.worst_error[k],
            if a.quant.renormalize { " (renormalized)" } else { "" },
            rep.frac_bits,
            rep.worst_error
        );
    }
    println!(
        "wrote {} ({}-bit weights, every row sums to exactly 2^frac_bits)",
        a.out.display(),
        a.quant.weight_bits
    );
    Ok(())
}

/// `16` for a flat vector, `8x14x14` for a map.
fn dims(s: Shape) -> String {
    crate::import::state_dict::dims(s)
}

/// What a layer is, for the summary: `[12, 16] + bias` for dense (as before), the kernel and
/// maps for a conv, the window for a pool; plus what was folded into it.
fn describe(l: &ImportedLayer) -> String {
    let pair = |p: [usize; 2]| format!("{}x{}", p[0], p[1]);
    let text = match l.kind {
        LayerKind::Dense => format!("[{}, {}] + bias", l.outputs(), l.inputs()),
        LayerKind::Conv2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            in_shape,
            out_shape,
        } => format!(
            "conv2d [{out_channels}, {in_channels}, {}, {}] + bias, stride {}, padding {}, {} → {}",
            kernel[0],
            kernel[1],
            pair(stride),
            pair(padding),
            dims(in_shape),
            dims(out_shape)
        ),
        LayerKind::MaxPool2d {
            kernel,
            stride,
            in_shape,
            out_shape,
        } => format!(
            "maxpool2d {}, stride {}, {} → {}",
            pair(kernel),
            pair(stride),
            dims(in_shape),
            dims(out_shape)
        ),
    };
    match &l.note {
        Some(n) => format!("{text} ({n})"),
        None => text,
    }
}
