//! `ttfs import`: PyTorch-style `.npz` / `.safetensors` state dicts and NIR graphs → lcttfs-model.
//!
//! The readers and the LC-TTFS checks live in [`crate::import`]; this is the command line
//! and the summary. See `docs/import.md` for the naming conventions and what is refused.

use crate::import::{import, ImportOptions};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use golden::data::DatasetKind;
use golden::model::Readout;
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
    #[command(flatten)]
    pub quant: super::quantize::QuantFlags,
    /// Output quantized model file (lcttfs-model JSON)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(a: &ImportArgs) -> Result<()> {
    let opts = ImportOptions {
        time_steps: a.time_steps,
        input_bits: a.input_bits,
        readout: a.readout.into(),
        weight_bits: a.quant.weight_bits,
        renormalize: a.quant.renormalize,
    };
    let mut imported = import(&a.file, &opts)?;
    if let Some(kind) = a.dataset {
        crate::source::check_images_fit(&imported.model, kind.features(), kind.name())
            .context("--dataset")?;
        imported.model.dataset = Some(kind);
    }
    let model = &imported.model;
    model.save(&a.out)?;
    let widths: Vec<String> = std::iter::once(model.input_len())
        .chain(model.layers.iter().map(|l| l.outputs))
        .map(|n| n.to_string())
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
        println!(
            "  layer {} `{}`: [{}, {}] + bias, float row sums off by ≤ {:.1e}{}, frac_bits {}, worst rounding error {:.3e}",
            k + 1,
            src.source,
            src.outputs(),
            src.inputs(),
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
