//! `gen-verilog`: from a model and hardware options to the accelerator's files: the Verilog
//! top, memory init files, the quantized `model.json` it was generated from, and
//! `report.json` with the DESIGN §5 cost model (estimates, named as such), and its
//! human-readable twin `report.md` (per-layer table, estimates; see `crate::report`).

use crate::report::{Doc, Table};
use crate::source::ModelArgs;
use anyhow::{Context, Result};
use clap::Args;
use golden::model::Model;
use hdl::plan::{Activity, Design, Fault, HwOptions, Target, WeightSource};
use rand::{Rng, SeedableRng};
use std::path::PathBuf;

/// The first 100 MNIST test images (committed fixture): representative activity for the
/// cycle estimates of MNIST-shaped models.
const MNIST_FIXTURE: &[u8] =
    include_bytes!("../../golden/tests/fixtures/mnist-t10k-100-images-idx3-ubyte");

/// Hardware options shared by `gen-verilog`, `ttfs cosim` and `ttfs synth`.
#[derive(Args, Clone, Debug)]
pub struct HwArgs {
    /// Target: generic, ice40-up5k, ecp5-25k or ecp5-85k
    #[arg(long, default_value = "generic", value_name = "T")]
    pub target: Target,
    /// Lanes per layer, comma separated (default: automatic for the target)
    #[arg(long, value_delimiter = ',', value_name = "P[,P…]")]
    pub lanes: Option<Vec<usize>>,
    /// Weights in the bitstream (embedded) or loaded at run time through the w_* stream
    #[arg(long, value_enum, default_value_t = WeightsArg::Embedded)]
    pub weights: WeightsArg,
    /// Clock frequency the design is timed for, in MHz (default: 30 on ice40-up5k, else 100)
    #[arg(long, value_name = "MHZ")]
    pub clock_mhz: Option<f64>,
    /// Add per-layer spike trace ports (co-simulation)
    #[arg(long)]
    pub trace: bool,
    /// Features per input beat: s_data is K·input_bits wide (DESIGN §4 revision 2; default 1)
    #[arg(long, value_name = "K")]
    pub input_lanes: Option<usize>,
    /// Test only: generate a deliberately broken design
    #[arg(long, value_enum, hide = true)]
    pub fault: Option<FaultArg>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightsArg {
    Embedded,
    Runtime,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultArg {
    WindowOffByOne,
}

impl HwArgs {
    pub fn options(&self) -> Result<HwOptions> {
        let mut o = HwOptions::new(self.target);
        o.lanes = self.lanes.clone();
        o.weights = match self.weights {
            WeightsArg::Embedded => WeightSource::Embedded,
            WeightsArg::Runtime => WeightSource::Runtime,
        };
        if let Some(mhz) = self.clock_mhz {
            anyhow::ensure!(
                mhz.is_finite() && (1.0..=1000.0).contains(&mhz),
                "--clock-mhz {mhz} is outside 1..=1000"
            );
            o.clock_hz = (mhz * 1e6).round() as u64;
        }
        o.trace = self.trace;
        o.input_lanes = self.input_lanes;
        o.fault = self.fault.map(|f| match f {
            FaultArg::WindowOffByOne => Fault::WindowOffByOne,
        });
        Ok(o)
    }
}

/// Activity for the cost model: the MNIST fixture for 784-input models, else 100 seeded
/// random samples.
pub fn activity_for(model: &Model) -> Activity {
    if model.input_len() == 784 && model.input_bits >= 8 {
        if let Ok((images, _, _)) = golden::data::parse_idx_images(MNIST_FIXTURE, "fixture") {
            let samples: Vec<Vec<u32>> = images
                .rows()
                .into_iter()
                .map(|r| r.iter().map(|&p| p as u32).collect())
                .collect();
            return Activity::measure(
                model,
                &samples,
                "first 100 MNIST test images (golden model)",
            );
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let max = 1u32 << model.input_bits;
    let samples: Vec<Vec<u32>> = (0..100)
        .map(|_| {
            (0..model.input_len())
                .map(|_| rng.gen_range(0..max))
                .collect()
        })
        .collect();
    Activity::measure(
        model,
        &samples,
        "100 uniform random samples, seed 1 (golden model)",
    )
}

#[derive(Args, Debug)]
pub struct GenArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub hw: HwArgs,
    /// Output folder (Verilog, memory images, model.json, report.json and report.md)
    #[arg(long, default_value = "out/ttfs_top", value_name = "DIR")]
    pub out: PathBuf,
    /// Print report.json on stdout instead of the summary
    #[arg(long)]
    pub json: bool,
}

/// Plans the design of `--model` for the hardware options.
pub fn design(model: &ModelArgs, hw: &HwArgs) -> Result<Design> {
    let loaded = model.load()?;
    let options = hw.options()?;
    let activity = activity_for(&loaded.model);
    Ok(Design::new(loaded.model, options, activity)?)
}

pub fn run(a: &GenArgs) -> Result<()> {
    let start = std::time::Instant::now();
    let d = design(&a.model, &a.hw)?;
    write_design(&d, &a.out)?;
    let mut doc = Doc::new(&format!("gen-verilog: ttfs_top for {}", d.options.target));
    doc.para(&format!(
        "Generated by lcttfs {} into `{}`. Cycle, LUT, FF and block RAM figures are \
         **estimates** of the DESIGN §5 cost model (the same as report.json), not measurements.",
        env!("CARGO_PKG_VERSION"),
        a.out.display()
    ));
    design_sections(&mut doc, &d);
    doc.write(&a.out.join("report.md"))?;
    if a.json {
        let text = std::fs::read_to_string(a.out.join("report.json"))
            .with_context(|| format!("cannot read {}", a.out.join("report.json").display()))?;
        println!("{}", text.trim_end());
    } else {
        print_summary(&d, &a.out, start.elapsed().as_secs_f64());
    }
    Ok(())
}

/// The design's figures as report.md sections: the plan, the per-layer table and the cost
/// model's estimates (shared by gen-verilog, cosim and synth reports).
pub fn design_sections(doc: &mut Doc, d: &Design) {
    doc.section("Design");
    doc.facts([
        ("target", d.options.target.to_string()),
        (
            "model",
            format!(
                "{}-{}",
                d.inputs,
                d.layers
                    .iter()
                    .map(|l| l.outputs.to_string())
                    .collect::<Vec<_>>()
                    .join("-")
            ),
        ),
        ("time steps T", d.time_steps.to_string()),
        ("input bits", d.input_bits.to_string()),
        (
            "input lanes",
            format!(
                "{} feature{} per beat (s_data {} bits)",
                d.input_lanes,
                if d.input_lanes == 1 { "" } else { "s" },
                d.input_lanes * d.input_bits as usize
            ),
        ),
        ("readout", d.readout.to_string()),
        ("clock", format!("{} MHz", d.options.clock_hz as f64 / 1e6)),
        ("weights", format!("{:?}", d.options.weights).to_lowercase()),
        ("activity", d.activity.source.clone()),
    ]);
    doc.section("Layers");
    let mut t = Table::new(&[
        "layer",
        "inputs",
        "neurons",
        "lanes",
        "groups",
        "weight bits",
        "frac bits",
        "z bits",
        "weight memory",
        "weights (kbit)",
        "est. cycles/sample",
    ]);
    for l in &d.layers {
        t.row([
            l.layer.to_string(),
            l.inputs.to_string(),
            l.outputs.to_string(),
            l.lanes.to_string(),
            l.groups.to_string(),
            l.weight_bits.to_string(),
            l.frac_bits.to_string(),
            l.z_bits.to_string(),
            format!("{:?}", l.weight_memory).to_lowercase(),
            format!("{:.1}", l.estimate.weight_bits as f64 / 1024.0),
            format!("{:.0}", l.estimate.cycles_per_sample),
        ]);
    }
    doc.table(&t);
    doc.section("Estimates (cost model)");
    doc.facts([
        (
            "cycles per sample",
            format!(
                "{:.0} (bottleneck: {})",
                d.est_cycles_per_sample, d.bottleneck
            ),
        ),
        (
            "throughput",
            format!(
                "{:.0} samples/s at {} MHz",
                d.est_samples_per_s(),
                d.options.clock_hz as f64 / 1e6
            ),
        ),
        ("LUTs", format!("~{}", d.est_luts)),
        ("FFs", format!("~{}", d.est_ffs)),
        ("block RAMs", d.est_brams.to_string()),
        ("SPRAMs", d.est_sprams.to_string()),
        (
            "weight memory",
            format!("{:.1} kbit", d.weight_memory_bits as f64 / 1024.0),
        ),
    ]);
}

/// Generates `d` into `out`: `ttfs_top.v`, its `$readmemh` memory images, `weights.bin` when
/// the top has the weight-load stream, the quantized `model.json` it came from and
/// `report.json`. Returns the path of the Verilog file.
pub fn write_design(d: &Design, out: &std::path::Path) -> Result<PathBuf> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    let generated = hdl::generate::generate(d)?;
    let top = out.join("ttfs_top.v");
    super::write_file(&top, &generated.verilog)?;
    for (name, text) in &generated.memories {
        super::write_file(&out.join(name), text)?;
    }
    let bin = out.join("weights.bin");
    match &generated.load {
        Some(image) => std::fs::write(&bin, image.to_bytes())
            .with_context(|| format!("cannot write {}", bin.display()))?,
        // A stale image from an earlier generation would mislead a host or flash tool.
        None if bin.exists() => std::fs::remove_file(&bin)
            .with_context(|| format!("cannot remove stale {}", bin.display()))?,
        None => {}
    }
    d.model.save(&out.join("model.json"))?;
    super::write_file(
        &out.join("report.json"),
        &serde_json::to_string_pretty(&report_json(d, generated.load.as_ref()))?,
    )?;
    Ok(top)
}

/// The weight-load image `weights.bin` that [`write_design`] wrote into `dir`, as 16-bit words
/// (empty when the design has no load stream).
pub fn read_load_image(dir: &std::path::Path) -> Result<Vec<u16>> {
    let bin = dir.join("weights.bin");
    if !bin.exists() {
        return Ok(vec![]);
    }
    let bytes = std::fs::read(&bin).with_context(|| format!("cannot read {}", bin.display()))?;
    anyhow::ensure!(
        bytes.len() % 2 == 0,
        "{} has an odd number of bytes ({}): regenerate it with gen-verilog",
        bin.display(),
        bytes.len()
    );
    Ok(bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect())
}

/// `report.json`: the plan and its estimates, and the layout of the weight-load image.
pub fn report_json(d: &Design, load: Option<&hdl::generate::LoadImage>) -> serde_json::Value {
    let weight_image = load.map(|image| {
        serde_json::json!({
            "file": "weights.bin",
            "words": image.words.len(),
            "bytes": 2 * image.words.len(),
            "format": "16-bit little-endian words streamed through w_data in file order after every reset; per loaded layer, rows g*(fan_in+1)+j (j = fan_in: bias) of neurons g*P..g*P+P, each row as `columns` words, column 0 first; lane p's weight is row bits [p*W, p*W+W), two's complement",
            "segments": image.segments,
        })
    });
    serde_json::json!({
        "generator": concat!("lcttfs ", env!("CARGO_PKG_VERSION")),
        "top": "ttfs_top",
        "input_lanes": d.input_lanes,
        "s_data_bits": d.input_lanes * d.input_bits as usize,
        "note": "cycles, LUT, FF and BRAM figures are estimates from the DESIGN §5 cost model, not measurements",
        "design": d,
        "estimated_samples_per_s": d.est_samples_per_s(),
        "weight_image": weight_image,
    })
}

fn print_summary(d: &Design, out: &std::path::Path, secs: f64) {
    println!(
        "ttfs_top for {} → {} ({secs:.1} s)",
        d.options.target,
        out.display()
    );
    println!(
        "  model {}-{}, T = {}, readout {}",
        d.inputs,
        d.layers
            .iter()
            .map(|l| l.outputs.to_string())
            .collect::<Vec<_>>()
            .join("-"),
        d.time_steps,
        d.readout
    );
    println!(
        "  input: {} feature{} of {} bits per beat (s_data[{}:0])",
        d.input_lanes,
        if d.input_lanes == 1 { "" } else { "s" },
        d.input_bits,
        d.input_lanes * d.input_bits as usize - 1
    );
    println!("  layer  neurons  lanes  groups  z bits  weights        est. cycles/sample");
    for l in &d.layers {
        println!(
            "  {:5}  {:7}  {:5}  {:6}  {:6}  {:>6} kbit {:<7}  {:8.0}",
            l.layer,
            l.outputs,
            l.lanes,
            l.groups,
            l.z_bits,
            l.estimate.weight_bits / 1024,
            format!("{:?}", l.weight_memory).to_lowercase(),
            l.estimate.cycles_per_sample
        );
    }
    println!(
        "  estimated: {:.0} cycles/sample (bottleneck: {}), {:.0} samples/s at {} MHz",
        d.est_cycles_per_sample,
        d.bottleneck,
        d.est_samples_per_s(),
        d.options.clock_hz as f64 / 1e6
    );
    println!(
        "  estimated: ~{} LUTs, ~{} FFs, {} block RAMs, {} SPRAMs; {} kbit of weights",
        d.est_luts,
        d.est_ffs,
        d.est_brams,
        d.est_sprams,
        d.weight_memory_bits / 1024
    );
    println!(
        "  reports: {} (tables), {}",
        out.join("report.md").display(),
        out.join("report.json").display()
    );
}
