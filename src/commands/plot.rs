//! `ttfs plot`: spike raster of one sample and accuracy / spikes sweep over `T` or over the
//! weight bits (SVG and PNG; the sweep also as JSON).

use crate::plot::{self, maps::FeatureMaps, raster::Raster, sweep};
use crate::source::{check_dataset_fits, load_float_model, progress, ModelArgs};
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use golden::data::{self, Dataset, DatasetKind, Split};
use golden::model::FloatModel;
use golden::snn::EventSim;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct PlotArgs {
    #[command(subcommand)]
    pub figure: Figure,
}

#[derive(Subcommand, Debug)]
pub enum Figure {
    /// Spike raster of one test sample: every layer's spikes (golden event simulator) over absolute ticks
    Raster(RasterArgs),
    /// Float, integer-ANN and SNN accuracy and spikes per neuron for T = 2, 4, …, 256 (or for 2..=8 weight bits)
    Sweep(SweepArgs),
}

#[derive(Args, Debug)]
pub struct RasterArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Index of the test sample to draw (0-based)
    // Signed so that a negative index is refused by our one-line check, not by clap's usage text.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub sample: i64,
    /// Dataset: mnist or fashion-mnist (test split; files under $LCTTFS_DATA or data/)
    #[arg(long, value_name = "NAME", default_value = "mnist")]
    pub dataset: String,
    /// Output directory for raster-sample<N>.svg and .png
    #[arg(long, value_name = "DIR", default_value = "out/plots")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Dataset: mnist or fashion-mnist (test split; files under $LCTTFS_DATA or data/)
    #[arg(long, value_name = "NAME")]
    pub dataset: String,
    /// What to sweep: t (T = 2, 4, …, 256 at --weight-bits; writes sweep.svg/.png) or
    /// weight-bits (2..=8 bits at the model's own T; writes sweep-weight-bits.svg/.png)
    #[arg(long, value_enum, default_value = "t", value_name = "AXIS")]
    pub over: sweep::Axis,
    /// Float model (lcttfs-model without frac_bits) or built-in model name (its float source), quantized at every point; default: the embedded float model
    #[arg(long, value_name = "M")]
    pub model_float: Option<PathBuf>,
    /// Weight bits of the quantized models of a sweep over T [default: 8]
    #[arg(long, value_name = "BITS")]
    pub weight_bits: Option<u32>,
    /// Print the sweep as JSON on stdout (keys over, dataset, samples, weight_bits, float_acc, trained_t, points)
    #[arg(long)]
    pub json: bool,
    /// Use only the first N test samples (default: all)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Output directory for sweep.svg and .png
    #[arg(long, value_name = "DIR", default_value = "out/plots")]
    pub out: PathBuf,
}

pub fn run(a: &PlotArgs) -> Result<()> {
    match &a.figure {
        Figure::Raster(r) => raster(r),
        Figure::Sweep(s) => sweep(s),
    }
}

/// Parses `--dataset` here rather than in clap so that an unknown name is one line.
fn load_test_set(name: &str) -> Result<(DatasetKind, Dataset)> {
    let kind: DatasetKind = name.parse().map_err(anyhow::Error::msg)?;
    Ok((kind, data::load(kind, Split::Test)?))
}

/// The dataset's usual spelling, for figure titles.
fn pretty(kind: DatasetKind) -> &'static str {
    match kind {
        DatasetKind::Mnist => "MNIST",
        DatasetKind::FashionMnist => "Fashion-MNIST",
    }
}

fn print_written(svg: &Path, png: &Path) {
    println!("wrote {}", svg.display());
    println!("wrote {}", png.display());
}

fn raster(a: &RasterArgs) -> Result<()> {
    let loaded = a.model.load()?;
    let model = &loaded.model;
    let (kind, data) = load_test_set(&a.dataset)?;
    check_dataset_fits(model, &data, kind.name())?;
    let n = data.len();
    let sample = match usize::try_from(a.sample) {
        Ok(s) if s < n => s,
        _ => bail!(
            "--sample {} is out of range: the {} test set has {n} samples (0..={})",
            a.sample,
            kind.name(),
            n.saturating_sub(1)
        ),
    };
    let x = data.sample(sample);
    let label = data.labels[sample] as usize;
    plot::prepare_dir(&a.out)?;
    let trace = EventSim::new(model).trace(&x);
    let title = format!(
        "Spike raster, {} test sample {sample}: predicted {}, true {label}  (T = {})",
        pretty(kind),
        trace.class,
        model.time_steps
    );
    let figure = Raster::from_trace(model, &trace, title.clone());
    let (svg, png) = plot::save(&figure, &a.out, &format!("raster-sample{sample}"))?;
    print_written(&svg, &png);
    // A model with feature maps also gets them as images: a raster of thousands of conv
    // neurons shows when they fired, the maps show where.
    let maps_title = title.replacen("Spike raster", "Feature maps", 1);
    if let Some(maps) = FeatureMaps::from_trace(model, &trace, maps_title) {
        let (svg, png) = plot::save(&maps, &a.out, &format!("maps-sample{sample}"))?;
        print_written(&svg, &png);
    }
    let counts: Vec<String> = figure
        .bands
        .iter()
        .map(|b| {
            format!(
                "{} {}/{}",
                b.name,
                b.events(figure.time_steps).count(),
                b.neurons()
            )
        })
        .collect();
    println!(
        "sample {sample}: predicted {}, true {label}; spikes per layer: {} (model: {})",
        trace.class,
        counts.join(", "),
        loaded.origin
    );
    Ok(())
}

fn load_float(path: &Option<PathBuf>) -> Result<(FloatModel, String)> {
    match path {
        None => Ok((
            golden::default_model::float(),
            "embedded default float model".into(),
        )),
        Some(p) => match load_float_model(p)? {
            Some(f) => Ok((f, p.display().to_string())),
            None => bail!(
                "{} is a quantized model, not a float one: --model-float takes the float source (no frac_bits)",
                p.display()
            ),
        },
    }
}

fn sweep(a: &SweepArgs) -> Result<()> {
    if a.limit == Some(0) {
        bail!("--limit 0 selects no samples: use a positive number");
    }
    let weight_bits = match (a.over, a.weight_bits) {
        (sweep::Axis::TimeSteps, bits) => Some(bits.unwrap_or(8)),
        (sweep::Axis::WeightBits, None) => None,
        (sweep::Axis::WeightBits, Some(bits)) => bail!(
            "--weight-bits {bits} fixes the weights of a sweep over T, but --over weight-bits sweeps {}..={} bits: drop one of them",
            sweep::WEIGHT_BITS.start(),
            sweep::WEIGHT_BITS.end()
        ),
    };
    let (float, origin) = load_float(&a.model_float)?;
    plot::prepare_dir(&a.out)?;
    let models = match weight_bits {
        Some(bits) => sweep::models(&float, bits)?,
        None => sweep::models_over_weight_bits(&float)?,
    };
    let (kind, mut data) = load_test_set(&a.dataset)?;
    if let Some(n) = a.limit {
        data = data.take(n.min(data.len()));
    }
    check_dataset_fits(&models[0], &data, kind.name())?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bar = progress(data.len() as u64, "sweep");
    let result = sweep::run(
        a.over,
        &float,
        &models,
        &data,
        pretty(kind),
        weight_bits,
        threads,
        &bar,
    );
    bar.finish_and_clear();
    let (svg, png) = plot::save(&result, &a.out, a.over.stem())?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print_written(&svg, &png);
        let fixed = match weight_bits {
            Some(bits) => format!("{bits}-bit weights"),
            None => format!("T = {}", float.time_steps),
        };
        println!(
            "{} test samples of {}, model: {origin}, {fixed}",
            result.samples,
            kind.name(),
        );
        print!("{}", result.table());
    }
    let bad: usize = result.points.iter().map(|p| p.mismatches).sum();
    if bad > 0 {
        bail!("{bad} sample runs where the SNN and the integer ANN disagree: the golden model is inconsistent (a bug)");
    }
    Ok(())
}
