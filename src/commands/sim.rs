//! `ttfs sim`: the golden SNN on raw samples from a JSON file, every spike printed.

use crate::source::ModelArgs;
use anyhow::{bail, Context, Result};
use clap::Args;
use golden::forward::{check_input, forward};
use golden::model::Model;
use golden::snn;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct SimArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Samples file: {"samples": [[x0, x1, …], …]} with raw input values
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
}

#[derive(Serialize)]
struct LayerOut {
    q: Vec<u32>,
    spike_ticks: Vec<u32>,
}

#[derive(Serialize)]
struct SampleOut {
    layers: Vec<LayerOut>,
    potentials: Vec<i64>,
    class: usize,
}

#[derive(Serialize)]
struct SimOut {
    samples: Vec<SampleOut>,
}

/// Reads and validates `{"samples": [[…], …]}` against a model's inputs and `input_bits`.
pub fn read_samples(path: &Path, model: &Model) -> Result<Vec<Vec<u32>>> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read samples file {}", path.display()))?;
    let Ok(text) = String::from_utf8(bytes) else {
        bail!(
            "samples file {} is binary, not JSON: give {{\"samples\": [[x0, x1, …], …]}}",
            path.display()
        );
    };
    parse_samples(&text, &path.display().to_string(), model)
}

/// Parses samples JSON text; `origin` names it in errors.
pub fn parse_samples(text: &str, origin: &str, model: &Model) -> Result<Vec<Vec<u32>>> {
    let value: serde_json::Value =
        serde_json::from_str(text).with_context(|| format!("{origin} is not valid JSON"))?;
    let Some(samples) = value.get("samples").and_then(|s| s.as_array()) else {
        bail!("{origin}: expected an object {{\"samples\": [[x0, x1, …], …]}}");
    };
    if samples.is_empty() {
        bail!("{origin}: \"samples\" is empty: give at least one sample");
    }
    samples
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let Some(arr) = s.as_array() else {
                bail!("{origin}: samples[{k}] is not an array of numbers");
            };
            let raw: Vec<i64> = arr
                .iter()
                .enumerate()
                .map(|(j, v)| {
                    v.as_i64().with_context(|| {
                        format!("{origin}: samples[{k}][{j}] = {v} is not an integer")
                    })
                })
                .collect::<Result<_>>()?;
            check_input(model.input_len(), model.input_bits, &raw)
                .with_context(|| format!("{origin}: samples[{k}]"))
        })
        .collect()
}

pub fn run(a: &SimArgs) -> Result<()> {
    let model = a.model.load()?.model;
    let samples = read_samples(&a.input, &model)?;
    let t = model.time_steps;
    let mut out = Vec::with_capacity(samples.len());
    for (k, x) in samples.iter().enumerate() {
        let trace = snn::tick::simulate(&model, x);
        let ann = forward(&model, x);
        if trace.spike_ticks != ann.spike_ticks(t) {
            bail!("sample {k}: the tick-level SNN and the integer ANN disagree (a bug of the golden model)");
        }
        let layers = trace
            .q()
            .into_iter()
            .zip(trace.spike_ticks.iter())
            .map(|(q, ticks)| LayerOut {
                q,
                spike_ticks: ticks.clone(),
            })
            .collect();
        out.push(SampleOut {
            layers,
            potentials: trace.potentials().to_vec(),
            class: trace.class,
        });
    }
    println!("{}", serde_json::to_string(&SimOut { samples: out })?);
    Ok(())
}
