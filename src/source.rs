//! Where models and datasets come from: the one place that turns `--model` / `--dataset`
//! options into validated values.

use anyhow::{bail, Context, Result};
use clap::Args;
use golden::data::{self, Dataset, DatasetKind, Split};
use golden::model::{AnyModel, FloatModel, Model, ModelError};
use golden::quantize::{quantize, QuantizeOptions};
use std::path::{Path, PathBuf};

/// `--model M`: an `lcttfs-model` file or a built-in model's name; the embedded default model
/// (`mnist-mlp`) when absent.
#[derive(Args, Clone, Debug, Default)]
pub struct ModelArgs {
    /// Model file (lcttfs-model JSON, quantized or float) or built-in model name (mnist-mlp, mnist-mlp-w4, mnist-cnn, fashion-cnn; an existing file wins); default: mnist-mlp, the embedded 784-128-10 MNIST model
    #[arg(long, value_name = "M")]
    pub model: Option<PathBuf>,
    /// Weight bits used when --model is a float model and must be quantized on the fly
    #[arg(long, default_value_t = 8, value_name = "BITS")]
    pub weight_bits: u32,
}

/// A quantized model and, when known, the float model it came from.
pub struct LoadedModel {
    pub model: Model,
    pub float: Option<FloatModel>,
    /// Human-readable origin for reports.
    pub origin: String,
}

impl ModelArgs {
    pub fn load(&self) -> Result<LoadedModel> {
        match &self.model {
            None => Ok(LoadedModel {
                model: golden::default_model::quantized(),
                float: Some(golden::default_model::float()),
                origin: "embedded default (784-128-10 MNIST, T=16, 8-bit)".into(),
            }),
            Some(arg) => match resolve_model(arg)? {
                ModelRef::Builtin(b) => Ok(LoadedModel {
                    model: b.quantized(),
                    float: Some(b.float()),
                    origin: format!("built-in {} ({})", b.name, b.description),
                }),
                ModelRef::File(path) => Self::load_file(&path, self.weight_bits),
            },
        }
    }

    fn load_file(path: &Path, weight_bits: u32) -> Result<LoadedModel> {
        match load_any_model(path)? {
            AnyModel::Quantized(model) => Ok(LoadedModel {
                model,
                float: None,
                origin: path.display().to_string(),
            }),
            AnyModel::Float(float) => {
                let opts = QuantizeOptions::new(weight_bits)?;
                let (model, _) = quantize(&float, &opts).with_context(|| {
                    format!(
                        "{} is a float model and quantizing it failed",
                        path.display()
                    )
                })?;
                Ok(LoadedModel {
                    model,
                    float: Some(float),
                    origin: format!(
                        "{} (float, quantized to {} bits)",
                        path.display(),
                        weight_bits
                    ),
                })
            }
        }
    }
}

/// What a `--model` argument names: a file, or (when no such file exists) a built-in model.
pub enum ModelRef {
    File(PathBuf),
    Builtin(&'static golden::builtin::Builtin),
}

/// Resolves a `--model` argument: an existing path wins over a built-in name; a built-in name
/// is next; anything else is refused in one line. A bare word (no `/`, no `.`) is taken for a
/// mistyped name and the line lists the built-in models; a path-like argument gets the file
/// system's error (which names the path).
pub fn resolve_model(arg: &Path) -> Result<ModelRef> {
    if arg.exists() {
        return Ok(ModelRef::File(arg.to_path_buf()));
    }
    let text = arg.to_string_lossy();
    if let Ok(b) = golden::builtin::find(&text) {
        return Ok(ModelRef::Builtin(b));
    }
    if !text.contains(['/', '\\', '.']) {
        bail!(
            "--model {text}: no such file, and not a built-in model name: the built-in models are {} (or give the path of an lcttfs-model file)",
            golden::builtin::names().join(", ")
        );
    }
    Ok(ModelRef::File(arg.to_path_buf()))
}

/// A float model from a file or a built-in model's float source (`--model-float`, `ttfs
/// quantize --model`); `None` when the file holds a quantized model.
pub fn load_float_model(arg: &Path) -> Result<Option<FloatModel>> {
    match resolve_model(arg)? {
        ModelRef::Builtin(b) => Ok(Some(b.float())),
        ModelRef::File(path) => match load_any_model(&path)? {
            AnyModel::Float(f) => Ok(Some(f)),
            AnyModel::Quantized(_) => Ok(None),
        },
    }
}

/// Loads a float or quantized `lcttfs-model` file; every refusal names the file (golden's
/// reader names binary files and NaN; a validation error gets the path in front here).
pub fn load_any_model(path: &Path) -> Result<AnyModel> {
    AnyModel::load(path).map_err(|e| match e {
        ModelError::Invalid(msg) => anyhow::anyhow!("model file {}: {msg}", path.display()),
        other => other.into(),
    })
}

/// Refuses, in one line naming `origin` and the layer, a model the hardware generator cannot
/// build (`hdl::plan::stage_specs`: a max-pool not right after a conv, a conv after a dense
/// layer, a conv last, a map too large for the stage's counters), for `what`.
pub fn require_buildable(model: &Model, origin: &str, what: &str) -> Result<()> {
    hdl::plan::stage_specs(model)
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("model {origin}, for {what}: {e}"))
}

/// `--dataset mnist [--split test] [--limit N]`.
#[derive(Args, Clone, Debug)]
pub struct DatasetArgs {
    /// Dataset: mnist or fashion-mnist (files under $LCTTFS_DATA or data/; scripts/fetch-mnist.sh fetches MNIST)
    #[arg(long, value_name = "NAME")]
    pub dataset: DatasetKind,
    /// Which split to use
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    pub split: SplitArg,
    /// Use only the first N samples
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitArg {
    Train,
    Test,
}

impl DatasetArgs {
    pub fn load(&self) -> Result<Dataset> {
        let split = match self.split {
            SplitArg::Train => Split::Train,
            SplitArg::Test => Split::Test,
        };
        let mut d = data::load(self.dataset, split)?;
        if let Some(n) = self.limit {
            if n == 0 {
                bail!("--limit 0 selects no samples: use a positive number");
            }
            d = d.take(n.min(d.len()));
        }
        Ok(d)
    }
}

/// Checks that a dataset's samples fit a model (feature count and value range).
pub fn check_dataset_fits(model: &Model, d: &Dataset, name: &str) -> Result<()> {
    check_images_fit(model, d.features(), name)
}

/// Checks that images of `features` 8-bit pixels, taken as raw inputs (one pixel, one input,
/// unscaled: what `eval`, `cosim` and the cost model's activity feed the model), fit a model.
pub fn check_images_fit(model: &Model, features: usize, name: &str) -> Result<()> {
    if features != model.input_len() {
        bail!(
            "{name} has {features} features per sample but the model takes {} inputs: use a model trained on {name}",
            model.input_len()
        );
    }
    if model.input_bits < 8 {
        bail!(
            "{name} has 8-bit pixels but the model has input_bits = {}: use a model with input_bits ≥ 8",
            model.input_bits
        );
    }
    Ok(())
}

/// A progress bar with rate and ETA on stderr (hidden when stderr is not a terminal).
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{what} [{{bar:30}}] {{pos}}/{{len}} {{rate}}, ETA {{eta}}"
    ))
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .with_key(
        "rate",
        |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.1}/s", s.per_sec());
        },
    )
    .progress_chars("=> ");
    bar.set_style(style);
    bar
}

/// A spinner with elapsed time on stderr for work of unknown length (a tool run), hidden when
/// stderr is not a terminal. `finish_and_clear` it when the step is done.
pub fn spinner(what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{{spinner}} {what} ({{elapsed}}){{msg}}"
    ))
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A bar for a tool run whose length is known only from a previous run (`expected_s`): it
/// advances with wall time, shows elapsed time and an ETA, and stops just short of the end
/// until the run really finishes (a slower run than last time does not claim to be done).
pub fn timed_bar(what: &str, expected_s: f64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new((expected_s * 10.0).ceil().max(1.0) as u64);
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{what} [{{bar:30}}] {{elapsed}} of ~{expected_s:.0}s (last run), ETA {{eta}}"
    ))
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar
}

/// Prints a progress note on stderr only when stderr is a terminal (like the bars), so that
/// scripts and `--json` runs see nothing but the result or one `error:` line.
pub fn note(msg: &str) {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        eprintln!("{msg}");
    }
}
