//! `ttfs train`: trains a float LC-TTFS network (ReLU1, rows summing to 1, activations
//! quantization-aware at T levels) and writes it as an `lcttfs-model` float file. With
//! `--weight-bits N` the weights are trained quantization-aware too (golden::train) and the file
//! holds the trained integer model's grid values, which `ttfs quantize --weight-bits N` maps
//! back to exactly that integer model. With `--arch SPEC` it trains a convolutional network
//! (golden::train_arch) and writes a version-2 file (conv2d / maxpool2d / dense, average and sum
//! pools folded into the next weighted layer).

use crate::source::SplitArg;
use anyhow::{Context, Result};
use clap::Args;
use golden::arch::Arch;
use golden::data::{self, DatasetKind, Split};
use golden::quantize::{quantize, QuantizeOptions};
use golden::train::{self, TrainConfig};
use golden::train_arch::{arch_outputs, train_arch};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Dataset to train on: mnist or fashion-mnist
    #[arg(long, value_name = "NAME")]
    pub dataset: DatasetKind,
    /// Hidden layer widths, comma separated (e.g. 128 or 256,64)
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "128",
        value_name = "N[,N…]"
    )]
    pub hidden: Vec<usize>,
    /// Layer spec instead of --hidden, e.g. conv:8:5:pad=2,maxpool:2,conv:16:5:pad=2,maxpool:2,dense:10
    /// (conv:OUT:K[:stride=S][:pad=P], maxpool:K[:stride=S], avgpool:K, sumpool:K, dense:OUT;
    /// average and sum pools are folded into the next weighted layer in the file written)
    #[arg(long, value_name = "SPEC", conflicts_with = "hidden")]
    pub arch: Option<String>,
    /// With --arch: shape C,H,W the images are read as (default: the dataset's 1,28,28)
    #[arg(long, value_delimiter = ',', value_name = "C,H,W", requires = "arch")]
    pub input_shape: Option<Vec<usize>>,
    /// Ticks per layer window T (power of two in 2..=256)
    #[arg(long, default_value_t = 16, value_name = "T")]
    pub time_steps: u32,
    /// Passes over the training set
    #[arg(long, default_value_t = TrainConfig::default().epochs, value_name = "N")]
    pub epochs: usize,
    /// Minibatch size
    #[arg(long, default_value_t = TrainConfig::default().batch_size)]
    pub batch_size: usize,
    /// Peak learning rate (cosine decay)
    #[arg(long, default_value_t = TrainConfig::default().learning_rate)]
    pub learning_rate: f32,
    /// Random pixel shift for augmentation (0 = off)
    #[arg(long, default_value_t = TrainConfig::default().max_shift)]
    pub max_shift: usize,
    /// Decoupled (AdamW-style) weight decay on the weights, not the biases; 0 = off
    #[arg(long, default_value_t = TrainConfig::default().weight_decay, value_name = "D")]
    pub weight_decay: f32,
    /// The loss is softmax cross-entropy of this scale times the last layer's potentials (a
    /// sharper softmax without larger weights; the class is the same argmax)
    #[arg(long, default_value_t = TrainConfig::default().logit_scale, value_name = "S")]
    pub logit_scale: f32,
    /// Seed of initialization, shuffling and augmentation
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// Train on only the first N training samples
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Train the weights quantization-aware at this many bits (2..=16): the forward uses the
    /// `ttfs quantize` integer weights (straight-through gradient), and the file written holds
    /// their exact grid values. Without it the weights train in float and the report at the
    /// end quantizes to 8 bits
    #[arg(long, value_name = "BITS")]
    pub weight_bits: Option<u32>,
    /// With --weight-bits: first epoch (1-based) that trains on quantized weights; the epochs
    /// before warm up in float
    #[arg(long, default_value_t = 1, value_name = "E")]
    pub qat_start_epoch: usize,
    /// Also write the quantized model (the integer model trained under --weight-bits, else the
    /// 8-bit quantization) to this file
    #[arg(long, value_name = "FILE")]
    pub out_quantized: Option<PathBuf>,
    /// Output float model file
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(a: &TrainArgs) -> Result<()> {
    let mut config = TrainConfig {
        hidden: a.hidden.clone(),
        time_steps: a.time_steps,
        epochs: a.epochs,
        batch_size: a.batch_size,
        learning_rate: a.learning_rate,
        max_shift: a.max_shift,
        weight_decay: a.weight_decay,
        logit_scale: a.logit_scale,
        seed: a.seed,
        weight_bits: a.weight_bits,
        qat_start_epoch: a.qat_start_epoch,
        progress: true,
        ..TrainConfig::default()
    };
    config.validate()?;
    let report_bits = a.weight_bits.unwrap_or(8);
    let qopts = QuantizeOptions::new(report_bits)?;
    if a.weight_bits.is_some() && a.qat_start_epoch > a.epochs {
        anyhow::bail!(
            "--qat-start-epoch {} is after the last of the {} epochs: no epoch would train on quantized weights",
            a.qat_start_epoch,
            a.epochs
        );
    }
    // --arch: parsed and placed before the data is read, so a bad spec costs nothing.
    let arch = match &a.arch {
        Some(spec) => {
            let arch: Arch = spec.parse()?;
            let shape = match a.input_shape.as_deref() {
                None => [1, 28, 28],
                Some(&[c, h, w]) => [c, h, w],
                Some(other) => anyhow::bail!(
                    "--input-shape takes three numbers C,H,W, found {}",
                    other.len()
                ),
            };
            config.classes = arch_outputs(&arch, shape)?;
            Some((arch, shape))
        }
        None => None,
    };
    let mut train_set = data::load(a.dataset, Split::Train)?;
    if let Some(n) = a.limit {
        anyhow::ensure!(n > 0, "--limit 0 selects no samples: use a positive number");
        train_set = train_set.take(n.min(train_set.len()));
    }
    let test_set = crate::source::DatasetArgs {
        dataset: a.dataset,
        split: SplitArg::Test,
        limit: None,
    }
    .load()?;
    let weights = match a.weight_bits {
        Some(b) => format!(
            "{b}-bit quantization-aware weights from epoch {}",
            a.qat_start_epoch
        ),
        None => "float weights".into(),
    };
    let shape_text = match &arch {
        Some((arch, [c, h, w])) => format!("{c}x{h}x{w} → {arch}"),
        None => format!(
            "{}-{}-{}",
            train_set.features(),
            a.hidden
                .iter()
                .map(|h| h.to_string())
                .collect::<Vec<_>>()
                .join("-"),
            config.classes
        ),
    };
    eprintln!(
        "training {shape_text} on {} ({} samples), T = {}, {} epochs, seed {}, {weights}",
        a.dataset,
        train_set.len(),
        a.time_steps,
        a.epochs,
        a.seed
    );
    let start = std::time::Instant::now();
    let trained = match &arch {
        Some((arch, shape)) => train_arch(&config, arch, *shape, &train_set, |_, _| {})?,
        None => train::train_full(&config, &train_set, |_, _| {})?,
    };
    let mut model = trained.float;
    // Recorded in the file: quantize carries it, and the hardware's activity is planned from it.
    model.dataset = Some(a.dataset);
    let secs = start.elapsed().as_secs_f64();
    model
        .save(&a.out)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    let float_acc = train::accuracy(&model, &test_set);
    let (q, rep) = quantize(&model, &qopts)?;
    if let Some(mut trained_q) = trained.quantized {
        trained_q.dataset = Some(a.dataset);
        // The promise of the file format: quantizing the grid gives back the trained model.
        anyhow::ensure!(
            trained_q == q,
            "internal error: quantizing the written grid does not reproduce the trained {report_bits}-bit model"
        );
    }
    if let Some(path) = &a.out_quantized {
        q.save(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let ann_acc = (0..test_set.len())
        .filter(|&i| {
            golden::forward::classify(&q, &test_set.sample(i)) == test_set.labels[i] as usize
        })
        .count() as f64
        / test_set.len() as f64;
    println!("trained in {secs:.1} s; wrote {}", a.out.display());
    if let Some(path) = &a.out_quantized {
        println!("wrote {} ({report_bits}-bit weights)", path.display());
    }
    println!(
        "test accuracy: float (QAT) {:.2} %, integer ANN at {} bits {:.2} % (frac_bits {:?}, worst rounding error {:.2e})",
        100.0 * float_acc,
        report_bits,
        100.0 * ann_acc,
        rep.layers.iter().map(|l| l.frac_bits).collect::<Vec<_>>(),
        rep.worst_error()
    );
    Ok(())
}
