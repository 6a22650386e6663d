//! `ttfs synth`: generates the accelerator for a device target, runs yosys → nextpnr →
//! icepack/ecppack with the pinned tools, and writes `synth.json`: resources used/available,
//! fmax vs the target clock, the bitstream, throughput from the cost model (or co-simulated
//! cycles), and the generator's estimates next to what place-and-route found; `report.md`
//! next to it has the same figures as Markdown tables.

use super::gen::{self, HwArgs};
use crate::report::{Doc, Table};
use crate::source::ModelArgs;
use crate::synth::board::{self, Board, BoardChoice, BoardConstraints};
use crate::synth::report::RESOURCE_ORDER;
use crate::synth::{self, FileInfo, SynthJob, SynthOutcome};
use anyhow::{Context, Result};
use clap::Args;
use hdl::board::generate_board;
use hdl::plan::{Design, Target};
use serde_json::{json, Value};
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
    /// nextpnr placer seed
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// The next bigger device, for "does not fit" messages.
fn bigger(target: Target) -> &'static str {
    match target {
        Target::Ice40Up5k => "a bigger --target (ecp5-25k)",
        Target::Ecp5_25k => "a bigger --target (ecp5-85k)",
        _ => "a smaller model",
    }
}

/// Where the cycles per sample come from: (cycles, "estimate" | "cosim").
fn cycles(a: &SynthArgs, d: &Design) -> Result<(f64, &'static str)> {
    if let Some(c) = a.cycles_per_sample {
        anyhow::ensure!(
            c.is_finite() && c > 0.0,
            "--cycles-per-sample {c} must be positive"
        );
        return Ok((c, "cosim"));
    }
    if let Some(path) = &a.cosim_json {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let v: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
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
        return Ok((c, "cosim"));
    }
    Ok((d.est_cycles_per_sample, "estimate"))
}

fn rel_err(estimated: u64, actual: u64) -> Value {
    if actual == 0 {
        Value::Null
    } else {
        json!((estimated as f64 - actual as f64) / actual as f64)
    }
}

/// Writes the board wrapper of `d` (`board_top.v`, `hdl::board::generate_board`) into `out`
/// with its `$readmemh` images, the quantized `model.json`, `report.json` and, when the
/// wrapper reads its weights from the SPI flash, the flash image `weights.bin` (the tools run
/// in `out`, so the bitstream lands next to it). Returns the Verilog file and the flash image.
pub fn write_board(
    d: &Design,
    board: Board,
    out: &Path,
) -> Result<(PathBuf, Option<hdl::board::FlashImage>)> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    let g = generate_board(d, board)?;
    let top = out.join(format!("{}.v", board::WRAPPER_TOP));
    super::write_file(&top, &g.verilog)?;
    for (name, text) in &g.memories {
        super::write_file(&out.join(name), text)?;
    }
    let bin = out.join("weights.bin");
    match &g.flash {
        Some(f) => std::fs::write(&bin, &f.bytes)
            .with_context(|| format!("cannot write {}", bin.display()))?,
        None if bin.exists() => std::fs::remove_file(&bin)
            .with_context(|| format!("cannot remove stale {}", bin.display()))?,
        None => {}
    }
    d.model.save(&out.join("model.json"))?;
    super::write_file(
        &out.join("report.json"),
        &serde_json::to_string_pretty(&gen::report_json(d, g.load.as_ref()))?,
    )?;
    Ok((top, g.flash))
}

pub fn run(a: &SynthArgs) -> Result<()> {
    let start = Instant::now();
    let board = a.board.0;
    // Step lines only on a terminal: scripts and --json runs see the result or one error line.
    let step = |msg: &str| {
        crate::source::note(&format!(
            "[synth {:6.1} s] {msg}",
            start.elapsed().as_secs_f64()
        ))
    };
    let mut hw = a.hw.clone();
    // `--board icebreaker` alone implies its device.
    if let (Target::Generic, Some(b)) = (hw.target, &board) {
        hw.target = b.target();
    }
    synth::Device::of(hw.target)?;
    if let Some(b) = board {
        b.check_target(hw.target)?;
        anyhow::ensure!(
            !hw.trace,
            "--trace adds ports that board {b} has no pins for: use --board none"
        );
        // The board clocks the core (its PLL output, else the oscillator): that is the
        // clock the design is timed and its throughput counted at.
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
    }
    let d = gen::design(&a.model, &hw)?;
    let (cycles, cycles_source) = cycles(a, &d)?;
    let out = a.out.clone().unwrap_or_else(|| {
        let mut name = hw.target.to_string();
        if let Some(b) = &board {
            name = format!("{name}-{}", b.name());
        }
        PathBuf::from("out/synth").join(name)
    });
    let (top_file, flash) = match board {
        Some(b) => write_board(&d, b, &out)?,
        None => (gen::write_design(&d, &out)?, None),
    };
    let lanes: Vec<usize> = d.layers.iter().map(|l| l.lanes).collect();
    step(&format!(
        "generated {} for {} (lanes {:?}) → {}",
        top_file.display(),
        hw.target,
        lanes,
        out.display()
    ));

    let mut verilog = vec![PathBuf::from(top_file.file_name().unwrap_or_default())];
    for f in &a.extra_verilog {
        let f = std::fs::canonicalize(f).with_context(|| format!("cannot read {}", f.display()))?;
        verilog.push(f);
    }
    let top = match (&a.top, &board) {
        (Some(t), _) => t.clone(),
        (None, Some(_)) => board::WRAPPER_TOP.to_string(),
        (None, None) => "ttfs_top".to_string(),
    };
    if a.top.is_some() {
        let defined = verilog.iter().any(|f| {
            std::fs::read_to_string(out.join(f))
                .map(|t| {
                    t.lines().any(|l| {
                        let l = l.trim_start();
                        l.strip_prefix("module ")
                            .map(|r| {
                                r.trim_start()
                                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                                    .next()
                                    == Some(top.as_str())
                            })
                            .unwrap_or(false)
                    })
                })
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
    }
    synth::check_tools(hw.target)?;
    let clock_mhz = d.options.clock_hz as f64 / 1e6;
    let job = SynthJob {
        dir: out.clone(),
        verilog,
        top: top.clone(),
        target: hw.target,
        board,
        clock_mhz,
        seed: a.seed,
    };
    step("yosys (the first call compiles for 1–2 min; yosys runs are serialised machine-wide)");
    let gen_s = start.elapsed().as_secs_f64();
    let mut progress = |m: &str| step(m);
    let o = synth::run(&job, &mut progress)?;

    let report = synth_json(
        &d,
        &job,
        &o,
        Cycles {
            cycles,
            source: cycles_source,
        },
        flash.as_ref(),
        gen_s,
        start,
    );
    let path = out.join("synth.json");
    super::write_file(&path, &serde_json::to_string_pretty(&report)?)?;
    write_markdown(&report, &o, &d, &out.join("report.md"))?;

    if let Some(ov) = &o.overflow {
        let lanes = lanes
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let advice = match ov.resource.as_str() {
            "EBR" | "DP16KD" | "SPRAM" | "LUTRAM" => format!(
                "its memories do not fit: {}, fewer --lanes (now {lanes}) or a smaller model",
                bigger(hw.target)
            ),
            "IO" => "the top has more ports than the package has pins: use a board wrapper (--board) or a bigger --target".into(),
            _ => format!(
                "give fewer --lanes (now {lanes}) or {}",
                bigger(hw.target)
            ),
        };
        anyhow::bail!(
            "{top} does not fit {} ({}): {} after place-and-route; {advice} (details: {})",
            hw.target,
            o.part,
            ov.describe(),
            path.display()
        );
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_summary(&report, &o);
    }
    Ok(())
}

/// Cycles per sample and where they come from (`estimate` | `cosim`).
struct Cycles {
    cycles: f64,
    source: &'static str,
}

/// iceprog's `-o` offset: `1M`, `64k` or bytes.
fn iceprog_offset(offset: u32) -> String {
    if offset > 0 && offset.is_multiple_of(1 << 20) {
        format!("{}M", offset >> 20)
    } else if offset > 0 && offset.is_multiple_of(1024) {
        format!("{}k", offset >> 10)
    } else {
        offset.to_string()
    }
}

/// The commands that put the bitstream (and the flash image) on the board, run in the
/// output folder.
fn program_commands(
    board: Option<Board>,
    bitstream: Option<&FileInfo>,
    flash: Option<&hdl::board::FlashImage>,
) -> Vec<String> {
    let (Some(b), Some(bit)) = (board, bitstream) else {
        return Vec::new();
    };
    let name = bit
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match b {
        Board::Icebreaker => {
            let mut c = vec![format!("iceprog {name}")];
            if let Some(f) = flash {
                c.push(format!(
                    "iceprog -o {} weights.bin",
                    iceprog_offset(f.offset)
                ));
            }
            c
        }
        Board::Ulx3s25f => vec![format!("openFPGALoader -b ulx3s {name}")],
    }
}

fn synth_json(
    d: &Design,
    job: &SynthJob,
    o: &SynthOutcome,
    cycles: Cycles,
    flash: Option<&hdl::board::FlashImage>,
    gen_s: f64,
    start: Instant,
) -> Value {
    let clock_mhz = job.clock_mhz;
    // Cycles per second the design runs at (null without an fmax).
    let rate_hz = o.fmax_mhz.map(|f| f.min(clock_mhz) * 1e6);
    let throughput = rate_hz.map(|r| r / cycles.cycles);
    // DESIGN §4 takes one feature per beat, so no design behind that port beats
    // `rate / inputs` samples/s: report it, and how close this design comes.
    let inputs = d.inputs.max(1) as f64;
    let input_bound = rate_hz.map(|r| r / inputs);
    let input_bound_fraction = rate_hz.map(|_| inputs / cycles.cycles);
    let used = |k: &str| o.resources.get(k).map(|r| r.used).unwrap_or(0);
    let (bram_name, luts) = match o.family {
        synth::Family::Ice40 => ("EBR", used("LUT4")),
        synth::Family::Ecp5 => ("DP16KD", used("LUT4")),
    };
    let est = |e: u64, actual: u64| json!({"estimated": e, "actual": actual, "relative_error": rel_err(e, actual)});
    let mut runtimes = serde_json::Map::new();
    runtimes.insert("generate".into(), json!(gen_s));
    for (k, v) in &o.runtimes_s {
        runtimes.insert(k.clone(), json!(v));
    }
    runtimes.insert("total".into(), json!(start.elapsed().as_secs_f64()));
    let image = out_file(&job.dir.join("weights.bin"));
    // On a board the image goes into the SPI flash at the board's offset; without one it is
    // streamed through the w_* port by a host.
    let (flash_image, load_image) = match (flash, image) {
        (Some(f), Some(i)) => (
            json!({
                "path": i.path,
                "bytes": i.bytes,
                "offset": f.offset,
                "offset_hex": format!("{:#x}", f.offset),
            }),
            Value::Null,
        ),
        (None, Some(i)) if job.board.is_none() => (Value::Null, json!(i)),
        _ => (Value::Null, Value::Null),
    };
    let board_clock = job.board.map(|b| {
        json!({
            "oscillator_mhz": b.osc_hz() as f64 / 1e6,
            "core_clock_mhz": b.core_clock_hz() as f64 / 1e6,
            "pll": b.pll().map(|p| match p {
                hdl::board::Pll::Ice40(p) => {
                    json!({"primitive": "SB_PLL40_PAD", "divr": p.divr, "divf": p.divf, "divq": p.divq})
                }
                hdl::board::Pll::Ecp5(p) => json!({
                    "primitive": "EHXPLLL", "clki_div": p.clki_div, "clkfb_div": p.clkfb_div,
                    "clkop_div": p.clkop_div
                }),
            }),
            "constraints": b.constraints_file(),
        })
    });
    json!({
        "target": job.target.to_string(),
        "board": job.board.map(|b| b.name()).unwrap_or("none"),
        "board_clock": board_clock,
        "part": o.part,
        "top": job.top,
        "fits": o.fits,
        "overflow": o.overflow,
        "timing_met": o.timing_met,
        "fmax_mhz": o.fmax_mhz,
        "clock_mhz": clock_mhz,
        "clocks": o.clocks,
        "cycles_per_sample": cycles.cycles,
        "cycles_source": cycles.source,
        "estimated_cycles_per_sample": d.est_cycles_per_sample,
        "throughput_samples_per_s": throughput,
        "throughput_note": "min(fmax, clock) / cycles_per_sample",
        "input_bound_samples_per_s": input_bound,
        "input_bound_fraction": input_bound_fraction,
        "input_bound_note": "min(fmax, clock) / inputs: the DESIGN §4 input stream moves one feature per cycle at most",
        "lanes": d.layers.iter().map(|l| l.lanes).collect::<Vec<_>>(),
        "resources": o.resources,
        "estimates": {
            "source": "report.json (DESIGN §5 cost model)",
            "LUT": est(d.est_luts, luts),
            "FF": est(d.est_ffs, used("FF")),
            "BRAM": est(d.est_brams, used(bram_name)),
            "SPRAM": est(d.est_sprams, used("SPRAM")),
        },
        "bitstream": o.bitstream,
        "flash_image": flash_image,
        "load_image": load_image,
        "program": program_commands(job.board, o.bitstream.as_ref(), flash),
        "runtimes_s": runtimes,
        "logs": o.logs,
        "nextpnr_utilization": o.nextpnr_utilization,
        "yosys_cells": o.yosys_cells,
    })
}

fn sorted_resources(o: &SynthOutcome) -> Vec<&String> {
    let rank = |k: &str| {
        RESOURCE_ORDER
            .iter()
            .position(|o| *o == k)
            .unwrap_or(RESOURCE_ORDER.len())
    };
    let mut names: Vec<&String> = o.resources.keys().collect();
    names.sort_by_key(|k| rank(k));
    names
}

/// `report.md` next to synth.json: the same figures as Markdown tables.
fn write_markdown(r: &Value, o: &SynthOutcome, d: &Design, path: &Path) -> Result<()> {
    let f1 = |v: &Value| v.as_f64().map(|x| format!("{x:.1}")).unwrap_or("–".into());
    let text = |v: &Value| v.as_str().unwrap_or("–").to_string();
    let mut doc = Doc::new(&format!(
        "ttfs synth: {} on {} ({})",
        text(&r["top"]),
        text(&r["target"]),
        o.part
    ));
    doc.para(
        "Place-and-route results of the pinned open tools (yosys → nextpnr → pack), the same \
         figures as synth.json next to this file; estimates are those of report.json (DESIGN §5 \
         cost model).",
    );
    doc.section("Result");
    doc.facts([
        ("target", text(&r["target"])),
        ("part", o.part.to_string()),
        ("board", text(&r["board"])),
        ("top", text(&r["top"])),
        ("lanes", r["lanes"].to_string()),
        ("fits", if o.fits { "yes" } else { "NO" }.to_string()),
        (
            "overflow",
            o.overflow
                .as_ref()
                .map(|ov| ov.describe())
                .unwrap_or_else(|| "none".into()),
        ),
    ]);
    doc.section("Timing and throughput");
    doc.facts([
        (
            "timing",
            if o.timing_met { "met" } else { "NOT met" }.to_string(),
        ),
        ("fmax", format!("{} MHz", f1(&r["fmax_mhz"]))),
        ("clock", format!("{} MHz", f1(&r["clock_mhz"]))),
        (
            "cycles per sample",
            format!(
                "{} ({})",
                f1(&r["cycles_per_sample"]),
                text(&r["cycles_source"])
            ),
        ),
        (
            "estimated cycles per sample",
            f1(&r["estimated_cycles_per_sample"]),
        ),
        (
            "throughput",
            format!(
                "{} samples/s (min(fmax, clock) / cycles per sample)",
                crate::report::num(r["throughput_samples_per_s"].as_f64(), 0)
            ),
        ),
        (
            "input stream bound",
            format!(
                "{} samples/s (min(fmax, clock) / inputs: one feature per beat); this design reaches {} %",
                crate::report::num(r["input_bound_samples_per_s"].as_f64(), 0),
                crate::report::num(r["input_bound_fraction"].as_f64().map(|x| 100.0 * x), 1)
            ),
        ),
    ]);
    if !o.clocks.is_empty() {
        let mut t = Table::new(&["clock", "achieved MHz", "constraint MHz"]);
        for (name, c) in &o.clocks {
            t.row([
                name.clone(),
                format!("{:.1}", c.achieved_mhz),
                format!("{:.1}", c.constraint_mhz),
            ]);
        }
        doc.table(&t);
    }
    doc.section("Resources");
    let mut t = Table::new(&["resource", "used", "available", "%"]);
    for k in sorted_resources(o) {
        let res = &o.resources[k];
        t.row([
            k.clone(),
            res.used.to_string(),
            res.available.to_string(),
            crate::report::percent(res.used, res.available),
        ]);
    }
    doc.table(&t);
    doc.section("Estimate vs measured");
    let mut t = Table::new(&["resource", "estimated", "actual", "relative error"]);
    for k in ["LUT", "FF", "BRAM", "SPRAM"] {
        let e = &r["estimates"][k];
        t.row([
            k.to_string(),
            e["estimated"].to_string(),
            e["actual"].to_string(),
            e["relative_error"]
                .as_f64()
                .map(|x| format!("{:+.0} %", 100.0 * x))
                .unwrap_or("–".into()),
        ]);
    }
    doc.table(&t);
    doc.section("Files and run times");
    let mut files: Vec<(String, String)> = Vec::new();
    if let Some(b) = &o.bitstream {
        files.push((
            "bitstream".into(),
            format!("{} ({} bytes)", b.path.display(), b.bytes),
        ));
    }
    if let Some(p) = r["flash_image"]["path"].as_str() {
        files.push((
            "flash image".into(),
            format!(
                "{p} ({} bytes) at flash offset {}",
                r["flash_image"]["bytes"],
                text(&r["flash_image"]["offset_hex"])
            ),
        ));
    }
    if let Some(cmds) = r["program"].as_array().filter(|c| !c.is_empty()) {
        let cmds: Vec<&str> = cmds.iter().filter_map(Value::as_str).collect();
        files.push(("program".into(), format!("`{}`", cmds.join(" && "))));
    }
    if let Some(rt) = r["runtimes_s"].as_object() {
        for (k, v) in rt {
            files.push((format!("{k} time"), format!("{} s", f1(v))));
        }
    }
    doc.facts(files);
    gen::design_sections(&mut doc, d);
    doc.write(path)
}

fn out_file(path: &std::path::Path) -> Option<FileInfo> {
    std::fs::metadata(path).ok().map(|m| FileInfo {
        path: path.to_path_buf(),
        bytes: m.len(),
    })
}

fn print_summary(r: &Value, o: &SynthOutcome) {
    let f = |v: &Value| v.as_f64().map(|x| format!("{x:.1}")).unwrap_or("?".into());
    println!(
        "{} on {} ({}), board {}, top {}",
        r["target"].as_str().unwrap_or(""),
        o.part,
        r["lanes"],
        r["board"].as_str().unwrap_or(""),
        r["top"].as_str().unwrap_or("")
    );
    println!(
        "  fits: {}   timing: {} (fmax {} MHz, clock {} MHz)",
        if o.fits { "yes" } else { "NO" },
        if o.timing_met { "met" } else { "NOT met" },
        f(&r["fmax_mhz"]),
        f(&r["clock_mhz"])
    );
    println!(
        "  {} cycles/sample ({}) → {} samples/s",
        f(&r["cycles_per_sample"]),
        r["cycles_source"].as_str().unwrap_or(""),
        r["throughput_samples_per_s"]
            .as_f64()
            .map(|t| format!("{t:.0}"))
            .unwrap_or("?".into())
    );
    if let (Some(b), Some(x)) = (
        r["input_bound_samples_per_s"].as_f64(),
        r["input_bound_fraction"].as_f64(),
    ) {
        println!(
            "  input stream bound (one feature per beat): {b:.0} samples/s; this design reaches {:.1} %",
            100.0 * x
        );
    }
    println!("  resource        used / available");
    for k in sorted_resources(o) {
        let res = &o.resources[k];
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
    for k in ["LUT", "FF", "BRAM", "SPRAM"] {
        let e = &r["estimates"][k];
        if let Some(err) = e["relative_error"].as_f64() {
            println!(
                "  estimate {k:<5} {:>7} vs {:>7} actual ({:+.0} %)",
                e["estimated"],
                e["actual"],
                100.0 * err
            );
        }
    }
    if let Some(b) = &o.bitstream {
        println!("  bitstream: {} ({} bytes)", b.path.display(), b.bytes);
    }
    if let Some(f) = r["flash_image"]["path"].as_str() {
        println!(
            "  flash image: {f} ({} bytes) at flash offset {}",
            r["flash_image"]["bytes"],
            r["flash_image"]["offset_hex"].as_str().unwrap_or("?")
        );
    }
    if let Some(cmds) = r["program"].as_array().filter(|c| !c.is_empty()) {
        let cmds: Vec<&str> = cmds.iter().filter_map(Value::as_str).collect();
        println!("  program (in the output folder): {}", cmds.join(" && "));
    }
    println!(
        "  time: {} s (yosys {} s, nextpnr {} s)",
        f(&r["runtimes_s"]["total"]),
        f(&r["runtimes_s"]["yosys"]),
        f(&r["runtimes_s"]["nextpnr"])
    );
}
