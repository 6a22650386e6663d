//! `ttfs synth`: generates the accelerator for a device target, runs yosys → nextpnr →
//! icepack/ecppack with the pinned tools, and writes `synth.json`: resources used/available,
//! fmax vs the target clock, the bitstream, throughput from the cost model (or co-simulated
//! cycles), and the generator's estimates next to what place-and-route found; `report.md`
//! next to it has the same figures as Markdown tables (`crate::synth::json`).

use crate::accelerator::{self, HwArgs};
use crate::source::ModelArgs;
use crate::synth::board::{self, Board, BoardChoice, BoardConstraints};
use crate::synth::json::{Cycles, CyclesSource, Runtimes, SynthJson};
use crate::synth::report::Overflow;
use crate::synth::{self, SynthJob};
use anyhow::{Context, Result};
use clap::Args;
use hdl::plan::{Design, Target};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args, Debug)]
pub struct SynthArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub hw: HwArgs,
    /// Board: none (the design's own ttfs_top on free pins), icebreaker or ulx3s-25f (the
    /// generated board wrapper board_top, the board's pins, its core clock)
    #[arg(long, default_value = "none", value_name = "B")]
    pub board: BoardChoice,
    /// Output folder: the design, synth.json and report.md (default: out/synth/<target>[-<board>])
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print synth.json on stdout
    #[arg(long)]
    pub json: bool,
    /// Cycles per sample measured by co-simulation (default: the cost-model estimate)
    #[arg(long, value_name = "N", conflicts_with = "cosim_json")]
    pub cycles_per_sample: Option<f64>,
    /// Take the cycles per sample from a `ttfs cosim --json` output file
    #[arg(long, value_name = "FILE")]
    pub cosim_json: Option<PathBuf>,
    /// Top module to synthesize (default: ttfs_top, or board_top with --board)
    #[arg(long, value_name = "MODULE")]
    pub top: Option<String>,
    /// Extra Verilog file to synthesize with the design (e.g. a board wrapper); repeatable
    #[arg(long = "verilog", value_name = "FILE")]
    pub extra_verilog: Vec<PathBuf>,
    /// nextpnr placer seed (default: 2 on ecp5-85k, whose default design seed 1 does not
    /// route within the hour; else 1)
    #[arg(long)]
    pub seed: Option<u64>,
}

/// The next bigger device (from `hdl::target`), for "does not fit" messages.
fn bigger(target: Target) -> String {
    match target.bigger() {
        Some(b) => format!("a bigger --target ({b})"),
        None => "a smaller model".into(),
    }
}

/// Where the cycles per sample come from: `--cycles-per-sample`, `--cosim-json` or the
/// design's estimate.
fn cycles(a: &SynthArgs, d: &Design) -> Result<Cycles> {
    let cosim = |cycles| Cycles {
        cycles,
        source: CyclesSource::Cosim,
    };
    if let Some(c) = a.cycles_per_sample {
        anyhow::ensure!(
            c.is_finite() && c > 0.0,
            "--cycles-per-sample {c} must be positive"
        );
        return Ok(cosim(c));
    }
    if let Some(path) = &a.cosim_json {
        return cosim_cycles(path).map(cosim);
    }
    Ok(Cycles {
        cycles: d.est_cycles_per_sample,
        source: CyclesSource::Estimate,
    })
}

/// `cycles_per_sample` of a `ttfs cosim --json` file. Read as plain JSON, not as cosim.json's
/// type: any file with that number will do, and a file without it gets a line that says so.
fn cosim_cycles(path: &Path) -> Result<f64> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let c = v["cycles_per_sample"].as_f64().with_context(|| {
        format!(
            "{} has no numeric cycles_per_sample (expected `ttfs cosim --json` output)",
            path.display()
        )
    })?;
    anyhow::ensure!(
        c > 0.0,
        "{}: cycles_per_sample {c} must be positive",
        path.display()
    );
    Ok(c)
}

pub fn run(a: &SynthArgs) -> Result<()> {
    let start = Instant::now();
    // Step lines only on a terminal: scripts and --json runs see the result or one error line.
    let step = |msg: &str| {
        crate::source::note(&format!(
            "[synth {:6.1} s] {msg}",
            start.elapsed().as_secs_f64()
        ))
    };
    let board = a.board.0;
    let hw = board_options(&a.hw, board)?;
    let d = accelerator::plan(&a.model, &hw)?;
    let cycles = cycles(a, &d)?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| default_out(hw.target, board));
    let files = accelerator::write(&d, board, &out)?;
    step(&format!(
        "generated {} for {} (lanes {:?}) → {}",
        files.top.display(),
        hw.target,
        d.layers.iter().map(|l| l.lanes).collect::<Vec<_>>(),
        out.display()
    ));
    let verilog = verilog_sources(&files.top, &a.extra_verilog)?;
    let top = match (&a.top, &board) {
        (Some(t), _) => t.clone(),
        (None, Some(_)) => board::WRAPPER_TOP.to_string(),
        (None, None) => "ttfs_top".to_string(),
    };
    if a.top.is_some() {
        check_top_defined(&top, &verilog, &out)?;
    }
    synth::check_tools(hw.target)?;
    let job = SynthJob {
        dir: out.clone(),
        verilog,
        top,
        target: hw.target,
        board,
        clock_mhz: d.options.clock_hz as f64 / 1e6,
        seed: a.seed.unwrap_or(hw.target.default_seed()),
    };
    step("yosys (the first call compiles for 1–2 min; yosys runs are serialised machine-wide)");
    let generate = start.elapsed().as_secs_f64();
    let mut progress = |m: &str| step(m);
    let o = synth::run(&job, &mut progress)?;

    let times = Runtimes {
        generate,
        total: start.elapsed().as_secs_f64(),
    };
    let report = SynthJson::new(&d, &job, &o, cycles, files.flash.as_ref(), times);
    let text = report.to_json()?;
    let path = out.join("synth.json");
    super::write_file(&path, &text)?;
    report.markdown(&d).write(&out.join("report.md"))?;
    if let Some(ov) = &report.overflow {
        return Err(does_not_fit(&report, ov, hw.target, &path));
    }
    if a.json {
        println!("{text}");
    } else {
        print_summary(&report);
    }
    Ok(())
}

/// The hardware options a board sets: `--board icebreaker` alone implies its device, and the
/// board clocks the core (its PLL output, else the oscillator), so that is the clock the
/// design is timed and its throughput counted at.
fn board_options(hw: &HwArgs, board: Option<Board>) -> Result<HwArgs> {
    let mut hw = hw.clone();
    if let (Target::Generic, Some(b)) = (hw.target, &board) {
        hw.target = b.target();
    }
    synth::Device::of(hw.target)?;
    let Some(b) = board else {
        return Ok(hw);
    };
    b.check_target(hw.target)?;
    anyhow::ensure!(
        !hw.trace,
        "--trace adds ports that board {b} has no pins for: use --board none"
    );
    let core_mhz = b.core_clock_hz() as f64 / 1e6;
    if let Some(mhz) = hw.clock_mhz {
        anyhow::ensure!(
            (mhz - core_mhz).abs() < 1e-6,
            "board {b} clocks the core at {core_mhz} MHz ({} MHz oscillator{}), not \
             --clock-mhz {mhz}: drop --clock-mhz, or use --board none",
            b.osc_hz() as f64 / 1e6,
            if b.pll().is_some() {
                " through the PLL"
            } else {
                ""
            }
        );
    }
    hw.clock_mhz = Some(core_mhz);
    Ok(hw)
}

/// `out/synth/<target>[-<board>]`.
fn default_out(target: Target, board: Option<Board>) -> PathBuf {
    let mut name = target.to_string();
    if let Some(b) = &board {
        name = format!("{name}-{}", b.name());
    }
    PathBuf::from("out/synth").join(name)
}

/// The generated top (relative: the tools run in the output folder) and every `--verilog`
/// file (absolute, for the same reason).
fn verilog_sources(top_file: &Path, extra: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut verilog = vec![PathBuf::from(top_file.file_name().unwrap_or_default())];
    for f in extra {
        let f = std::fs::canonicalize(f).with_context(|| format!("cannot read {}", f.display()))?;
        verilog.push(f);
    }
    Ok(verilog)
}

/// Refuses a `--top` that no Verilog file defines, before minutes of yosys.
fn check_top_defined(top: &str, verilog: &[PathBuf], out: &Path) -> Result<()> {
    let defined = verilog.iter().any(|f| {
        std::fs::read_to_string(out.join(f))
            .map(|text| defines_module(&text, top))
            .unwrap_or(false)
    });
    anyhow::ensure!(
        defined,
        "top module {top} is not in the Verilog ({}): give the file that defines it with --verilog FILE",
        verilog
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    );
    Ok(())
}

/// Whether a line of `verilog` starts `module <name>`.
fn defines_module(verilog: &str, name: &str) -> bool {
    verilog.lines().any(|l| {
        l.trim_start().strip_prefix("module ").is_some_and(|r| {
            r.trim_start()
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .next()
                == Some(name)
        })
    })
}

/// The one-line refusal of a design that does not fit, with what to change.
fn does_not_fit(r: &SynthJson, ov: &Overflow, target: Target, path: &Path) -> anyhow::Error {
    let lanes = r
        .lanes
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let advice = match ov.resource.as_str() {
        "EBR" | "DP16KD" | "SPRAM" | "LUTRAM" => format!(
            "its memories do not fit: {}, fewer --lanes (now {lanes}) or a smaller model",
            bigger(target)
        ),
        "IO" => "the top has more ports than the package has pins: use a board wrapper (--board) or a bigger --target".into(),
        // At one lane everywhere fewer lanes cannot help: only another device or model.
        _ if r.lanes.iter().all(|&l| l == 1) => match target.bigger() {
            Some(b) => format!(
                "it is at one lane per layer already (--lanes {lanes}): a bigger --target ({b}) or a smaller model"
            ),
            None => {
                format!("it is at one lane per layer already (--lanes {lanes}): a smaller model")
            }
        },
        _ => format!(
            "give fewer --lanes (now {lanes}) or {}",
            bigger(target)
        ),
    };
    anyhow::anyhow!(
        "{} does not fit {target} ({}): {} after place-and-route; {advice} (details: {})",
        r.top,
        r.part,
        ov.describe(),
        path.display()
    )
}

/// One decimal, `?` when absent.
fn f1(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map(|x| format!("{x:.1}"))
        .unwrap_or("?".into())
}

fn print_summary(r: &SynthJson) {
    println!(
        "{} on {} ({}), board {}, top {}",
        r.target,
        r.part,
        r.lanes_text(),
        r.board,
        r.top
    );
    println!(
        "  fits: {}   timing: {} (fmax {} MHz, clock {} MHz)",
        if r.fits { "yes" } else { "NO" },
        if r.timing_met { "met" } else { "NOT met" },
        f1(r.fmax_mhz),
        f1(Some(r.clock_mhz))
    );
    println!(
        "  {} cycles/sample ({}) → {} samples/s",
        f1(Some(r.cycles_per_sample)),
        r.cycles_source.name(),
        r.throughput_samples_per_s
            .filter(|t| t.is_finite())
            .map(|t| format!("{t:.0}"))
            .unwrap_or("?".into())
    );
    let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
    if let (Some(b), Some(x)) = (
        finite(r.input_bound_samples_per_s),
        finite(r.input_bound_fraction),
    ) {
        println!(
            "  input stream bound (a beat per cycle): {b:.0} samples/s; this design reaches {:.1} %",
            100.0 * x
        );
    }
    print_resources(r);
    print_files(r);
}

/// Used resources (and the main ones even when unused), then the estimates next to them.
fn print_resources(r: &SynthJson) {
    println!("  resource        used / available");
    for (k, res) in r.resources_in_order() {
        if res.used > 0
            || ["LC", "TRELLIS_COMB", "FF", "EBR", "DP16KD", "SPRAM"].contains(&k.as_str())
        {
            println!(
                "  {k:<12} {:>7} / {:<7} {:5.1} %",
                res.used,
                res.available,
                100.0 * res.used as f64 / res.available.max(1) as f64
            );
        }
    }
    for (k, e) in r.estimates.named() {
        if let Some(err) = e.relative_error.filter(|x| x.is_finite()) {
            println!(
                "  estimate {k:<5} {} vs {} actual ({:+.0} %)",
                e.estimated,
                e.actual,
                100.0 * err
            );
        }
    }
}

/// The bitstream, the flash image, how to program them, and the run times.
fn print_files(r: &SynthJson) {
    for (what, file) in r.files() {
        println!("  {what}: {file}");
    }
    if let Some(p) = r.program_line() {
        println!("  program (in the output folder): {p}");
    }
    let time = |k: &str| f1(r.runtimes_s.get(k).copied());
    println!(
        "  time: {} s (yosys {} s, nextpnr {} s)",
        time("total"),
        time("yosys"),
        time("nextpnr")
    );
}
