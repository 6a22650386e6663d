//! `ttfs bench`: wall time of the integer ANN, the event-driven SNN and the tick-level SNN over
//! the same samples, measured in one run.

use crate::source::{check_dataset_fits, DatasetArgs, ModelArgs, SplitArg};
use anyhow::Result;
use clap::Args;
use golden::data::DatasetKind;
use golden::forward::classify;
use golden::snn::{self, EventSim};
use serde::Serialize;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Use only the first N test samples (default: the whole MNIST test set)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print the figures as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct BenchReport {
    samples: usize,
    ann_s: f64,
    snn_event_s: f64,
    snn_tick_s: f64,
}

pub fn run(a: &BenchArgs) -> Result<()> {
    let model = a.model.load()?.model;
    let data = DatasetArgs {
        dataset: DatasetKind::Mnist,
        split: SplitArg::Test,
        limit: a.limit,
    }
    .load()?;
    check_dataset_fits(&model, &data, "mnist")?;
    let samples: Vec<Vec<u32>> = (0..data.len()).map(|i| data.sample(i)).collect();
    // Every simulator's classes are summed into a checksum so none of the work can be optimised
    // away, and compared so the benchmark also proves the three agree.
    let time = |f: &mut dyn FnMut(&[u32]) -> usize| {
        let start = Instant::now();
        let sum: usize = samples.iter().map(|x| f(x)).sum();
        (start.elapsed().as_secs_f64(), sum)
    };
    let (ann_s, c1) = time(&mut |x| classify(&model, x));
    let mut ev = EventSim::new(&model);
    let (snn_event_s, c2) = time(&mut |x| ev.run(x));
    let (snn_tick_s, c3) = time(&mut |x| snn::tick::simulate(&model, x).class);
    anyhow::ensure!(
        c1 == c2 && c2 == c3,
        "the simulators disagree on the classes (a bug)"
    );
    let r = BenchReport {
        samples: samples.len(),
        ann_s,
        snn_event_s,
        snn_tick_s,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        let per = |s: f64| {
            format!(
                "{:8.3} s  ({:7.1} µs/sample)",
                s,
                1e6 * s / r.samples as f64
            )
        };
        println!("{} MNIST test samples", r.samples);
        println!("integer ANN     {}", per(r.ann_s));
        println!("event-driven SNN{}", per(r.snn_event_s));
        println!("tick-level SNN  {}", per(r.snn_tick_s));
    }
    Ok(())
}
