//! `ttfs quantize`: float model → integer model with exact row sums.

use anyhow::{bail, Context, Result};
use clap::Args;
use golden::model::LayerKind;
use golden::quantize::{quantize, QuantizeOptions};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct QuantizeArgs {
    /// Float model file (lcttfs-model without frac_bits), or a built-in model name (its float source)
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    #[command(flatten)]
    pub quant: QuantFlags,
    /// Output quantized model file
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// How float weights become integers: shared by `ttfs quantize` and `ttfs import`.
#[derive(Args, Debug, Clone, Copy)]
pub struct QuantFlags {
    /// Signed weight width of the quantized model (2..=16)
    #[arg(long, default_value_t = 8, value_name = "BITS")]
    pub weight_bits: u32,
    /// Divide each row by its sum instead of refusing rows that do not sum to 1
    #[arg(long)]
    pub renormalize: bool,
}

pub fn run(a: &QuantizeArgs) -> Result<()> {
    let Some(float) = crate::source::load_float_model(&a.model)? else {
        bail!(
            "{} is already quantized (it has frac_bits): nothing to do; quantize its float source instead",
            a.model.display()
        )
    };
    let mut opts = QuantizeOptions::new(a.quant.weight_bits)?;
    opts.renormalize = a.quant.renormalize;
    let (model, report) = quantize(&float, &opts)
        .with_context(|| format!("cannot quantize {}", a.model.display()))?;
    model.save(&a.out)?;
    println!(
        "wrote {} ({} layers, {}-bit weights)",
        a.out.display(),
        model.layers.len(),
        a.quant.weight_bits
    );
    for (k, (l, layer)) in report.layers.iter().zip(&model.layers).enumerate() {
        if !layer.is_weighted() {
            println!("  layer {}: {} (no weights)", k + 1, layer.kind.name());
            continue;
        }
        // A row holds fan_in weights then the bias (a conv's row is an output channel).
        let input = if l.worst_input == layer.fan_in() {
            "bias".to_string()
        } else if layer.kind == LayerKind::Dense {
            format!("input {}", l.worst_input)
        } else {
            layer.kind.weight_label(l.worst_input)
        };
        println!(
            "  layer {}: frac_bits {:2}, worst rounding error {:.3e} ({}, {input}), float row sums off by ≤ {:.1e}",
            k + 1,
            l.frac_bits,
            l.worst_error,
            layer.kind.row_label(l.worst_neuron),
            l.worst_row_sum_error
        );
    }
    Ok(())
}
