//! `ttfs cosim`: generates the accelerator with spike trace ports, simulates it in Verilator (or
//! Icarus Verilog, `--simulator icarus`) under seeded random back-pressure, and checks every spike of every layer, every class and
//! every framing verdict against the golden model. Writes `cosim.json` (what `--json` prints)
//! and `report.md` into `--out`, next to the generated design.

use super::sim::read_samples;
use crate::accelerator::{self, HwArgs};
use crate::report::{Doc, Table};
use crate::source::{check_dataset_fits, spinner, DatasetArgs, ModelArgs};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use golden::data::DatasetKind;
use golden::model::Model;
use hdl::plan::Design;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use testbench::{
    check, CosimOptions, CosimReport, Harness, Stalls, Stimulus, TopInfo, VcdDump, Verilator,
};

/// The simulator that runs the generated Verilog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Simulator {
    /// Verilator (pinned by scripts/tools.sh): compiled, fast; progress bar, VCD dumps
    Verilator,
    /// Icarus Verilog (Debian's iverilog): event-driven, slow; the second opinion on the Verilog
    Icarus,
}

#[derive(Args, Debug)]
pub struct CosimArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub hw: HwArgs,
    /// Dataset to stream through the design: mnist or fashion-mnist (test split)
    #[arg(long, value_name = "NAME", conflicts_with = "input")]
    pub dataset: Option<DatasetKind>,
    /// Use only the first N samples of the dataset
    #[arg(long, value_name = "N", requires = "dataset")]
    pub limit: Option<usize>,
    /// Samples file {"samples": [[x0, x1, …], …]} instead of a dataset
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Simulator: verilator, or icarus (event-driven, ~100× slower: use --limit)
    #[arg(long, value_enum, default_value = "verilator")]
    pub simulator: Simulator,
    /// Seed of the random stalls
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Probability of a stall cycle on each stream (s_valid low, m_ready low)
    #[arg(long, default_value_t = 0.2, value_name = "P")]
    pub stall_prob: f64,
    /// Dump a VCD of the first mismatching sample (or of sample --vcd-sample) to this file
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<PathBuf>,
    /// Sample to dump with --vcd (default: the first mismatch, else sample 0)
    #[arg(long, value_name = "K", requires = "vcd")]
    pub vcd_sample: Option<usize>,
    /// Folder for the generated Verilog and the reports: the design's report.json, and
    /// cosim.json + report.md with the co-simulation figures (default: out/cosim)
    #[arg(long, default_value = "out/cosim", value_name = "DIR")]
    pub out: PathBuf,
    /// Print the report (cosim.json) as one JSON object instead of the summary
    #[arg(long)]
    pub json: bool,
}

/// One sample's verdict in cosim.json (with `--input` only).
#[derive(Serialize, Deserialize)]
pub struct SampleOut {
    pub class: Option<u64>,
    pub error: Option<bool>,
}

/// `cosim.json`, what `--json` prints. Written straight from the struct, keys in field order:
/// unlike report.json and synth.json it was never built as a `serde_json::Value`.
#[derive(Serialize, Deserialize)]
pub struct CosimJson {
    pub simulator: Simulator,
    pub samples: usize,
    pub mismatches: usize,
    pub spike_mismatches: usize,
    pub cycles: u64,
    pub cycles_per_sample: f64,
    pub estimated_cycles_per_sample: f64,
    /// The planned memories' bandwidth bound (report.json), `None` without block RAM weights.
    #[serde(default)]
    pub bandwidth_bound_cycles_per_sample: Option<f64>,
    pub first_mismatch: Option<String>,
    pub sim_seconds: f64,
    pub build_seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_sample: Option<Vec<SampleOut>>,
}

impl CosimJson {
    fn new(a: &CosimArgs, d: &Design, report: &CosimReport) -> CosimJson {
        CosimJson {
            simulator: a.simulator,
            samples: report.samples,
            mismatches: report.mismatches,
            spike_mismatches: report.spike_mismatches,
            cycles: report.cycles,
            cycles_per_sample: report.cycles_per_sample,
            estimated_cycles_per_sample: d.est_cycles_per_sample,
            bandwidth_bound_cycles_per_sample: d.bandwidth_bound_cycles_per_sample,
            first_mismatch: report.first_mismatch.clone(),
            sim_seconds: report.sim_seconds,
            build_seconds: report.build_seconds,
            per_sample: a.input.as_ref().map(|_| {
                report
                    .per_sample
                    .iter()
                    .map(|s| SampleOut {
                        class: s.class,
                        error: s.error,
                    })
                    .collect()
            }),
        }
    }
}

pub fn run(a: &CosimArgs) -> Result<()> {
    check_args(a)?;
    let mut hw = a.hw.clone();
    hw.trace = true;
    // Planned from the data it runs on (`--activity auto` and a model without a dataset).
    let design = accelerator::plan_streaming(&a.model, &hw, a.dataset)?;
    let samples = load_samples(a, &design.model)?;
    let n = samples.len();
    let top = accelerator::write_design(&design, &a.out)?;
    let stim = Stimulus::new(samples)
        .with_stalls(Stalls::random(a.seed, a.stall_prob))
        .with_weights(accelerator::read_load_image(&a.out)?)
        .with_input_lanes(design.input_lanes, design.input_bits);
    let opts = options(a, n)?;
    let report = simulate(a, &design.model, &top, &stim, opts)?;
    let out = CosimJson::new(a, &design, &report);
    let json_text = serde_json::to_string_pretty(&out)?;
    super::write_file(&a.out.join("cosim.json"), &json_text)?;
    write_markdown(a, &design, &out)?;
    if a.json {
        println!("{json_text}");
    } else {
        print_summary(a, &design, &out);
    }
    anyhow::ensure!(
        report.mismatches == 0 && report.spike_mismatches == 0,
        "{} class and {} spike mismatches against the golden model; first: {}",
        report.mismatches,
        report.spike_mismatches,
        report
            .first_mismatch
            .as_deref()
            .unwrap_or("(none recorded)")
    );
    Ok(())
}

/// Refuses option combinations that cannot run, before minutes of generation.
fn check_args(a: &CosimArgs) -> Result<()> {
    anyhow::ensure!(
        a.stall_prob.is_finite() && (0.0..1.0).contains(&a.stall_prob),
        "--stall-prob {} is outside 0..1 (a probability; 1 would stall forever)",
        a.stall_prob
    );
    anyhow::ensure!(
        a.vcd.is_none() || a.simulator == Simulator::Verilator,
        "--vcd dumps from the Verilator harness: drop --vcd, or use --simulator verilator"
    );
    Ok(())
}

/// The samples of `--dataset` (test split, `--limit`) or of `--input`.
fn load_samples(a: &CosimArgs, model: &Model) -> Result<Vec<Vec<u32>>> {
    match (&a.dataset, &a.input) {
        (Some(kind), None) => {
            let data = DatasetArgs {
                dataset: *kind,
                split: crate::source::SplitArg::Test,
                limit: a.limit,
            }
            .load()?;
            check_dataset_fits(model, &data, kind.name())?;
            Ok((0..data.len()).map(|i| data.sample(i)).collect())
        }
        (None, Some(path)) => read_samples(path, model),
        _ => anyhow::bail!("give the samples: --dataset mnist [--limit N] or --input samples.json"),
    }
}

/// Harness options: trace ports on, and the VCD of `--vcd-sample` when given.
fn options(a: &CosimArgs, samples: usize) -> Result<CosimOptions> {
    let mut opts = CosimOptions {
        trace: true,
        ..CosimOptions::default()
    };
    if let (Some(path), Some(k)) = (&a.vcd, a.vcd_sample) {
        anyhow::ensure!(
            k < samples,
            "--vcd-sample {k}: there are only {samples} samples"
        );
        opts.vcd = Some(VcdDump {
            path: path.clone(),
            from_sample: k,
            to_sample: k,
        });
    }
    Ok(opts)
}

/// Runs the simulator; with `--vcd` but no `--vcd-sample`, a mismatching run is run again to
/// dump its first failing sample.
fn simulate(
    a: &CosimArgs,
    model: &Model,
    top: &Path,
    stim: &Stimulus,
    mut opts: CosimOptions,
) -> Result<CosimReport> {
    let report = match a.simulator {
        Simulator::Verilator => run_cosim(model, top, stim, &opts).context("co-simulation")?,
        Simulator::Icarus => run_icarus(model, top, stim, &a.out)?,
    };
    let (Some(path), None, true) = (&a.vcd, a.vcd_sample, report.mismatches > 0) else {
        return Ok(report);
    };
    let k = report
        .per_sample
        .iter()
        .position(|s| s.class != s.expected_class.map(|c| c as u64))
        .unwrap_or(0);
    opts.vcd = Some(VcdDump {
        path: path.clone(),
        from_sample: k,
        to_sample: k,
    });
    run_cosim(model, top, stim, &opts).context("co-simulation (VCD)")
}

fn print_summary(a: &CosimArgs, d: &Design, out: &CosimJson) {
    println!(
        "co-simulation in {} of {} samples ({} target, lanes {:?}), stall probability {}, seed {}",
        simulator_name(a.simulator),
        out.samples,
        d.options.target,
        d.layers.iter().map(|l| l.lanes).collect::<Vec<_>>(),
        a.stall_prob,
        a.seed
    );
    println!("  class/framing mismatches: {}", out.mismatches);
    println!("  spike mismatches:         {}", out.spike_mismatches);
    println!(
        "  cycles per sample:        {:.1} measured, {:.1} estimated (report.json)",
        out.cycles_per_sample, out.estimated_cycles_per_sample
    );
    if let Some(bound) = out.bandwidth_bound_cycles_per_sample {
        println!(
            "  memory-bandwidth bound:   {bound:.1} (measured is {:.2}× the bound)",
            out.cycles_per_sample / bound.max(f64::MIN_POSITIVE)
        );
    }
    match a.simulator {
        Simulator::Verilator => println!(
            "  simulation {:.1} s, Verilator build {:.1} s",
            out.sim_seconds, out.build_seconds
        ),
        Simulator::Icarus => println!("  simulation {:.1} s (vvp)", out.sim_seconds),
    }
    if let Some(m) = &out.first_mismatch {
        println!("  first mismatch: {m}");
    }
    println!(
        "  reports: {} and {}",
        a.out.join("report.md").display(),
        a.out.join("cosim.json").display()
    );
}

fn simulator_name(s: Simulator) -> &'static str {
    match s {
        Simulator::Verilator => "Verilator",
        Simulator::Icarus => "Icarus Verilog",
    }
}

/// [`testbench::cosim_icarus`] with a spinner; the run is stopped when it takes longer than
/// ten minutes plus 20 s per sample of wall time (a stuck simulation, not a slow one).
fn run_icarus(model: &Model, top: &Path, stim: &Stimulus, out: &Path) -> Result<CosimReport> {
    let limit = std::time::Duration::from_secs(600 + 20 * stim.samples.len() as u64);
    let bar = spinner("Icarus Verilog simulation");
    let report = testbench::cosim_icarus(
        model,
        &[top.to_path_buf()],
        stim,
        true,
        &out.join("icarus"),
        limit,
    );
    bar.finish_and_clear();
    Ok(report?)
}

/// `testbench::cosim` in its three steps, with a spinner (elapsed time) for the Verilator
/// build and a progress bar (samples, rate, ETA) for the simulation, fed by the harness's
/// progress reports ([`Harness::run_with_progress`]).
fn run_cosim(
    model: &Model,
    top: &Path,
    stim: &Stimulus,
    opts: &CosimOptions,
) -> Result<CosimReport> {
    let info = TopInfo::from_model(model, opts.trace)?
        .with_load(!stim.weights.is_empty())
        .with_input_lanes(stim.input_lanes())
        .with_pairs_from(&[top.to_path_buf()]);
    stim.validate(&info)?;
    let tool = Verilator::discover()?;
    let mut build = opts.build.clone();
    build.vcd |= opts.vcd.is_some();
    let bar = spinner("Verilator build");
    let harness = Harness::build(&tool, &info, &[top.to_path_buf()], &build);
    bar.finish_and_clear();
    let harness = harness?;
    let n = stim.samples.len() as u64;
    let bar = crate::source::progress(n, "Verilator simulation");
    let run = harness.run_with_progress(stim, opts.vcd.as_ref(), &mut |done| {
        // Output beats accepted so far: one per sample (more only on framing faults).
        bar.set_position(done.min(n))
    });
    bar.finish_and_clear();
    let mut report = check(model, &info, stim, &run?)?;
    report.build_cached = harness.cached;
    report.build_seconds = harness.build_seconds;
    Ok(report)
}

/// `report.md`: the co-simulation figures of cosim.json and the design they ran on.
fn write_markdown(a: &CosimArgs, d: &Design, out: &CosimJson) -> Result<()> {
    let mut doc = Doc::new(&format!("ttfs cosim: ttfs_top for {}", d.options.target));
    doc.para(&format!(
        "Every spike of every layer, every class and every framing verdict of the generated \
         design, simulated in {}, checked against the golden model. Figures as in `{}`.",
        simulator_name(a.simulator),
        a.out.join("cosim.json").display()
    ));
    doc.section("Result");
    doc.facts([
        ("samples", out.samples.to_string()),
        ("class/framing mismatches", out.mismatches.to_string()),
        ("spike mismatches", out.spike_mismatches.to_string()),
        (
            "first mismatch",
            out.first_mismatch.clone().unwrap_or_else(|| "none".into()),
        ),
        ("stall probability", a.stall_prob.to_string()),
        ("stall seed", a.seed.to_string()),
        ("simulation time", format!("{:.1} s", out.sim_seconds)),
        ("build time", format!("{:.1} s", out.build_seconds)),
    ]);
    doc.section("Cycles: estimate vs measured");
    let mut t = Table::new(&[
        "figure",
        "estimated (report.json)",
        "measured",
        "relative error",
    ]);
    t.row([
        "cycles per sample".to_string(),
        format!("{:.1}", out.estimated_cycles_per_sample),
        format!("{:.1}", out.cycles_per_sample),
        if out.cycles_per_sample > 0.0 {
            format!(
                "{:+.1} %",
                100.0 * (out.estimated_cycles_per_sample - out.cycles_per_sample)
                    / out.cycles_per_sample
            )
        } else {
            "–".into()
        },
    ]);
    t.row([
        "total cycles".to_string(),
        "–".into(),
        out.cycles.to_string(),
        "–".into(),
    ]);
    doc.table(&t);
    accelerator::design_sections(&mut doc, d);
    doc.write(&a.out.join("report.md"))
}
