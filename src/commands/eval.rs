//! `ttfs eval`: float, integer-ANN and golden-SNN accuracy of a model on a dataset, the
//! spike-level agreement of SNN and ANN (must be 0 mismatches), and the event statistics that
//! LC-TTFS promises (spikes per neuron, SOP vs MAC).

use crate::source::{check_dataset_fits, progress, DatasetArgs, LoadedModel, ModelArgs};
use anyhow::Result;
use clap::{Args, ValueEnum};
use golden::data::Dataset;
use golden::forward::{float_forward, forward};
use golden::model::AnyModel;
use golden::snn::{self, EventSim, Fanouts};
use serde::Serialize;

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Float model the quantized --model came from, to report float accuracy too
    #[arg(long, value_name = "F")]
    pub float_model: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub data: DatasetArgs,
    /// Which spiking simulator to check against the integer ANN
    #[arg(long, value_enum, default_value_t = SimKind::Tick)]
    pub sim: SimKind,
    /// Print the figures as one JSON object
    #[arg(long)]
    pub json: bool,
}

/// The golden spiking simulators.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimKind {
    /// Tick-level neuron dynamics (ramp PSPs, dynamic threshold)
    Tick,
    /// Event-driven twin of the hardware blocks
    Event,
}

/// What `ttfs eval --json` prints.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct EvalReport {
    pub samples: usize,
    /// Float model accuracy (continuous ReLU1), when the float weights are known.
    pub float_acc: Option<f64>,
    pub ann_acc: f64,
    pub snn_acc: f64,
    /// Samples where any spike of any neuron (or the class) differs between SNN and ANN.
    pub snn_ann_mismatches: usize,
    /// Non-silent spikes per neuron (all layers, input included), averaged over samples.
    pub spikes_per_neuron: f64,
    /// Synaptic operations per sample: each non-silent spike counts once per neuron of the next
    /// weighted layer that reads it (dense: all `N_l`; conv: the receptive fields covering it).
    /// A pool is a comparator, not a synapse: it adds none.
    pub sop_per_sample: f64,
    /// ANN multiply-accumulates per sample: the connections of every weighted layer (dense
    /// `inputs_l · N_l`; conv: receptive-field inputs inside the map, padding excluded).
    pub mac_per_sample: f64,
}

pub fn run(a: &EvalArgs) -> Result<()> {
    let loaded = load_models(a)?;
    let data = a.data.load()?;
    check_dataset_fits(&loaded.model, &data, a.data.dataset.name())?;
    let report = evaluate(&loaded, &data, a.sim);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(a, &loaded.origin, &report);
    }
    let mismatches = report.snn_ann_mismatches;
    if mismatches > 0 {
        anyhow::bail!("{mismatches} samples where the SNN and the integer ANN disagree: the golden model is inconsistent (a bug)");
    }
    Ok(())
}

/// `--model`, with the float model of `--float-model` it was quantized from.
fn load_models(a: &EvalArgs) -> Result<LoadedModel> {
    let mut loaded = a.model.load()?;
    let Some(path) = &a.float_model else {
        return Ok(loaded);
    };
    match crate::source::load_any_model(path)? {
        AnyModel::Float(f) => {
            anyhow::ensure!(
                f.layers.iter().map(|l| (l.kind, l.inputs, l.outputs)).eq(loaded.model.layers.iter().map(|l| (l.kind, l.inputs, l.outputs))),
                "{}: its layer shapes differ from the model's: give the float model the quantized one came from",
                path.display()
            );
            loaded.float = Some(f);
            Ok(loaded)
        }
        AnyModel::Quantized(_) => anyhow::bail!(
            "{} is a quantized model, not a float one: --float-model takes the float source (no frac_bits)",
            path.display()
        ),
    }
}

/// Runs every sample through the float model (when known), the integer ANN and the chosen
/// golden SNN, and counts.
fn evaluate(loaded: &LoadedModel, data: &Dataset, sim: SimKind) -> EvalReport {
    let model = &loaded.model;
    let t = model.time_steps;
    let neurons: usize = model.input_len() + model.layers.iter().map(|l| l.outputs).sum::<usize>();
    let fanouts = Fanouts::of(model);
    let mac = fanouts.macs();
    let mut event_sim = EventSim::new(model);
    let (mut float_ok, mut ann_ok, mut snn_ok, mut mismatches) = (0usize, 0usize, 0usize, 0usize);
    let (mut spikes, mut sop) = (0u64, 0u64);
    let bar = progress(data.len() as u64, "eval");
    for i in 0..data.len() {
        let x = data.sample(i);
        let label = data.labels[i] as usize;
        let ann = forward(model, &x);
        let trace = match sim {
            SimKind::Tick => snn::tick::simulate(model, &x),
            SimKind::Event => event_sim.trace(&x),
        };
        if trace.spike_ticks != ann.spike_ticks(t) || trace.class != ann.class {
            mismatches += 1;
        }
        ann_ok += (ann.class == label) as usize;
        snn_ok += (trace.class == label) as usize;
        if let Some(f) = &loaded.float {
            float_ok += (float_forward(f, &x).1 == label) as usize;
        }
        spikes += trace.events_per_layer().iter().sum::<usize>() as u64;
        sop += trace.synaptic_ops(&fanouts);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let n = data.len() as f64;
    EvalReport {
        samples: data.len(),
        float_acc: loaded.float.as_ref().map(|_| float_ok as f64 / n),
        ann_acc: ann_ok as f64 / n,
        snn_acc: snn_ok as f64 / n,
        snn_ann_mismatches: mismatches,
        spikes_per_neuron: spikes as f64 / n / neurons as f64,
        sop_per_sample: sop as f64 / n,
        mac_per_sample: mac as f64,
    }
}

fn print_report(a: &EvalArgs, origin: &str, report: &EvalReport) {
    println!("model:   {origin}");
    println!("dataset: {} ({} samples)", a.data.dataset, report.samples);
    let pct = |v: f64| format!("{:.2} %", 100.0 * v);
    println!(
        "float accuracy:       {}",
        report
            .float_acc
            .map_or("n/a (float weights unknown)".into(), pct)
    );
    println!("integer ANN accuracy: {}", pct(report.ann_acc));
    println!(
        "golden SNN accuracy:  {} ({:?} simulator)",
        pct(report.snn_acc),
        a.sim
    );
    println!(
        "SNN/ANN mismatches:   {} samples (any spike differs)",
        report.snn_ann_mismatches
    );
    println!("spikes per neuron:    {:.3}", report.spikes_per_neuron);
    println!(
        "SOP per sample:       {:.0} vs {:.0} ANN MACs ({:.1} % of the ANN)",
        report.sop_per_sample,
        report.mac_per_sample,
        100.0 * report.sop_per_sample / report.mac_per_sample
    );
}
