//! Trains an LC-TTFS MLP on MNIST (or Fashion-MNIST), quantizes it and reports the float and
//! integer accuracies.
//!
//! ```text
//! cargo run --release -p golden --example train_mnist -- [options]
//!   --dataset mnist|fashion-mnist   (default mnist)
//!   --hidden 128[,64]  --time-steps 16  --epochs 30  --batch 64  --lr 0.002
//!   --final-lr 0.01  --wd 0  --logit-scale 4  --shift 1  --seed 1  --momentum M (SGD)
//!   --weight-bits 8  --val N (hold out the last N training samples and report them)
//!   --out float.json  --out-int model.json  --quiet
//! ```

use golden::data::{self, DatasetKind, Split};
use golden::forward::classify;
use golden::model::{FloatModel, Model};
use golden::quantize::{quantize, QuantizeOptions};
use golden::train::{self, Optimizer, TrainConfig};
use std::path::PathBuf;
use std::time::Instant;

fn int_accuracy(model: &Model, set: &data::Dataset) -> f64 {
    let correct = (0..set.len())
        .filter(|&i| classify(model, &set.sample(i)) == set.labels[i] as usize)
        .count();
    correct as f64 / set.len().max(1) as f64
}

fn float_accuracy(model: &FloatModel, set: &data::Dataset) -> f64 {
    let correct = (0..set.len())
        .filter(|&i| {
            golden::forward::float_forward(model, &set.sample(i)).1 == set.labels[i] as usize
        })
        .count();
    correct as f64 / set.len().max(1) as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut cfg = TrainConfig::default();
    let mut kind = DatasetKind::Mnist;
    let mut weight_bits = 8u32;
    let mut val = 0usize;
    let mut out: Option<PathBuf> = None;
    let mut out_int: Option<PathBuf> = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let mut value = || -> Result<String, String> {
            i += 1;
            args.get(i).cloned().ok_or(format!("{flag} needs a value"))
        };
        match flag {
            "--dataset" => kind = value()?.parse()?,
            "--hidden" => {
                let v = value()?;
                cfg.hidden = if v.is_empty() {
                    vec![]
                } else {
                    v.split(',').map(|s| s.parse()).collect::<Result<_, _>>()?
                }
            }
            "--time-steps" => cfg.time_steps = value()?.parse()?,
            "--epochs" => cfg.epochs = value()?.parse()?,
            "--batch" => cfg.batch_size = value()?.parse()?,
            "--lr" => cfg.learning_rate = value()?.parse()?,
            "--final-lr" => cfg.final_lr_fraction = value()?.parse()?,
            "--wd" => cfg.weight_decay = value()?.parse()?,
            "--logit-scale" => cfg.logit_scale = value()?.parse()?,
            "--shift" => cfg.max_shift = value()?.parse()?,
            "--seed" => cfg.seed = value()?.parse()?,
            "--momentum" => {
                cfg.optimizer = Optimizer::Momentum {
                    momentum: value()?.parse()?,
                }
            }
            "--weight-bits" => weight_bits = value()?.parse()?,
            "--val" => val = value()?.parse()?,
            "--out" => out = Some(value()?.into()),
            "--out-int" => out_int = Some(value()?.into()),
            "--quiet" => cfg.progress = false,
            other => return Err(format!("unknown option {other}").into()),
        }
        i += 1;
    }

    let full = data::load(kind, Split::Train)?;
    let test = data::load(kind, Split::Test)?;
    let (train_set, val_set) = if val > 0 {
        let n = full.len().saturating_sub(val);
        (full.take(n), Some(full.slice(n, val)))
    } else {
        (full, None)
    };
    eprintln!(
        "{kind}: {} training, {} validation, {} test samples; config {cfg:?}",
        train_set.len(),
        val_set.as_ref().map_or(0, |v| v.len()),
        test.len()
    );
    let start = Instant::now();
    let (model, stats) = train::train_with(&cfg, &train_set, |st, m| {
        let v = val_set.as_ref().map(|v| train::accuracy(m, v));
        eprintln!(
            "epoch {:3}: loss {:.4} train {:.2}% {}lr {:.2e} {:.2}s row-sum err {:.1e} max|w| {:?}",
            st.epoch,
            st.loss,
            100.0 * st.train_accuracy,
            v.map_or(String::new(), |v| format!("val {:.2}% ", 100.0 * v)),
            st.learning_rate,
            st.seconds,
            st.worst_row_sum_error,
            st.max_abs_weight
        );
    })?;
    let secs = start.elapsed().as_secs_f64();
    let per_epoch = stats.iter().map(|s| s.seconds).sum::<f64>() / stats.len().max(1) as f64;
    println!(
        "trained {} epochs in {secs:.1} s ({per_epoch:.2} s/epoch)",
        stats.len()
    );

    let (qmodel, report) = quantize(&model, &QuantizeOptions::new(weight_bits)?)?;
    let frac: Vec<u32> = qmodel.layers.iter().map(|l| l.frac_bits).collect();
    println!(
        "quantized to {weight_bits}-bit weights: frac_bits {frac:?}, worst rounding error {:.2e}",
        report.worst_error()
    );
    let sets: Vec<(&str, &data::Dataset)> = match &val_set {
        Some(v) => vec![("val", v), ("test", &test)],
        None => vec![("test", &test)],
    };
    for (name, set) in sets {
        println!(
            "{name}: float (as trained, QAT) {:.2}%  float (forward::float_forward) {:.2}%  integer ANN {:.2}%",
            100.0 * train::accuracy(&model, set),
            100.0 * float_accuracy(&model, set),
            100.0 * int_accuracy(&qmodel, set)
        );
    }
    if let Some(p) = out {
        model.save(&p)?;
    }
    if let Some(p) = out_int {
        qmodel.save(&p)?;
    }
    Ok(())
}
