//! `report.json` ([`ReportJson`]: the plan and its estimates, and the layout of the weight
//! image) and the design's sections of every `report.md` ([`design_sections`]).

use crate::report::{Doc, Table};
use hdl::generate::{LoadImage, LoadSegment};
use hdl::plan::Design;
use serde::Serialize;

/// `report.json`. Serialize-only: it borrows the [`Design`], which hdl does not read back.
#[derive(Serialize)]
pub struct ReportJson<'a> {
    pub generator: &'static str,
    pub top: &'static str,
    pub input_lanes: usize,
    pub s_data_bits: usize,
    pub note: &'static str,
    pub design: &'a Design,
    pub estimated_samples_per_s: f64,
    pub weight_image: Option<WeightImage<'a>>,
}

/// The layout of `weights.bin`, for a host that streams it.
#[derive(Serialize)]
pub struct WeightImage<'a> {
    pub file: &'static str,
    pub words: usize,
    pub bytes: usize,
    pub format: &'static str,
    pub segments: &'a [LoadSegment],
}

impl<'a> ReportJson<'a> {
    pub fn new(d: &'a Design, load: Option<&'a LoadImage>) -> ReportJson<'a> {
        ReportJson {
            generator: concat!("lcttfs ", env!("CARGO_PKG_VERSION")),
            top: "ttfs_top",
            input_lanes: d.input_lanes,
            s_data_bits: s_data_bits(d),
            note: "cycles, LUT, FF and BRAM figures are estimates from the DESIGN §5 cost model, not measurements",
            design: d,
            estimated_samples_per_s: d.est_samples_per_s(),
            weight_image: load.map(|image| WeightImage {
                file: "weights.bin",
                words: image.words.len(),
                bytes: 2 * image.words.len(),
                format: "16-bit little-endian words streamed through w_data in file order after every reset; per loaded layer, rows g*(fan_in+1)+j (j = fan_in: bias) of neurons g*P..g*P+P, each row as `columns` words, column 0 first; lane p's weight is row bits [p*W, p*W+W), two's complement",
                segments: &image.segments,
            }),
        }
    }

    /// The text of `report.json` (what `gen-verilog --json` prints).
    pub fn to_json(&self) -> anyhow::Result<String> {
        crate::report::sorted_json(self)
    }
}

/// `inputs-hidden-…-outputs`, e.g. `784-128-10`.
pub fn model_shape(d: &Design) -> String {
    let outputs: Vec<String> = d.layers.iter().map(|l| l.sent.to_string()).collect();
    format!("{}-{}", d.inputs, outputs.join("-"))
}

/// Width of `s_data`: `input_lanes` features of `input_bits` each.
pub fn s_data_bits(d: &Design) -> usize {
    d.input_lanes * d.input_bits as usize
}

/// `1 feature`, `3 features`: the input lanes of a beat.
pub fn features(d: &Design) -> String {
    let n = d.input_lanes;
    format!("{n} feature{}", if n == 1 { "" } else { "s" })
}

/// The clock the design is timed for, in MHz.
pub fn clock_mhz(d: &Design) -> f64 {
    d.options.clock_hz as f64 / 1e6
}

/// The design's figures as report.md sections: the plan, the per-layer table and the cost
/// model's estimates (shared by gen-verilog, cosim and synth reports).
pub fn design_sections(doc: &mut Doc, d: &Design) {
    doc.section("Design");
    doc.facts(plan_facts(d));
    doc.section("Layers");
    doc.table(&layer_table(d));
    doc.section("Estimates (cost model)");
    doc.facts(estimate_facts(d));
}

fn plan_facts(d: &Design) -> [(&'static str, String); 9] {
    [
        ("target", d.options.target.to_string()),
        ("model", model_shape(d)),
        ("time steps T", d.time_steps.to_string()),
        ("input bits", d.input_bits.to_string()),
        (
            "input lanes",
            format!(
                "{} per beat (s_data {} bits){}",
                features(d),
                s_data_bits(d),
                if d.encoder_streams == 2 {
                    "; two encoder streams"
                } else {
                    ""
                }
            ),
        ),
        ("readout", d.readout.to_string()),
        ("clock", format!("{} MHz", clock_mhz(d))),
        ("weights", format!("{:?}", d.options.weights).to_lowercase()),
        ("activity", d.activity.source.clone()),
    ]
}

fn layer_table(d: &Design) -> Table {
    let mut t = Table::new(&[
        "layer",
        "inputs",
        "neurons",
        "lanes",
        "groups",
        "events/pass",
        "weight bits",
        "frac bits",
        "z bits",
        "weight memory",
        "weights (kbit)",
        "est. cycles/sample",
        "bandwidth bound (cycles)",
        "stage",
    ]);
    for l in &d.layers {
        t.row([
            l.layer.to_string(),
            l.inputs.to_string(),
            l.outputs.to_string(),
            l.lanes.to_string(),
            l.groups.to_string(),
            l.events_per_cycle.to_string(),
            l.weight_bits.to_string(),
            l.frac_bits.to_string(),
            l.z_bits.to_string(),
            format!("{:?}", l.weight_memory).to_lowercase(),
            format!("{:.1}", l.estimate.weight_bits as f64 / 1024.0),
            format!("{:.0}", l.estimate.cycles_per_sample),
            cycles_or_dash(l.estimate.bandwidth_bound_cycles),
            stage_kind(l),
        ]);
    }
    t
}

/// What a stage computes: `dense`, or a conv's kernel, stride and padding, its fused max-pool
/// and the map it sends (`C×H×W`).
fn stage_kind(l: &hdl::plan::LayerPlan) -> String {
    let Some(g) = &l.conv else {
        return "dense".into();
    };
    let pool = if g.pool_kernel == [1, 1] && g.pool_stride == [1, 1] {
        String::new()
    } else {
        format!(
            " + maxpool {}x{} stride {}x{}",
            g.pool_kernel[0], g.pool_kernel[1], g.pool_stride[0], g.pool_stride[1]
        )
    };
    format!(
        "conv {}x{} stride {}x{} pad {}x{}{pool} → {}×{}×{}",
        g.kernel[0],
        g.kernel[1],
        g.stride[0],
        g.stride[1],
        g.padding[0],
        g.padding[1],
        l.outputs,
        g.pooled_hw[0],
        g.pooled_hw[1]
    )
}

/// `123.4`, or `–` where no memory bounds the figure.
fn cycles_or_dash(c: Option<f64>) -> String {
    c.map_or("–".into(), |c| format!("{c:.1}"))
}

/// The memory-bandwidth bounds in words: the planned memories', then the whole device's.
pub fn bandwidth_bounds(d: &Design) -> String {
    match (
        d.bandwidth_bound_cycles_per_sample,
        d.device_bandwidth_bound_cycles_per_sample,
    ) {
        (None, None) => "none (no weights in block RAM or SPRAM)".into(),
        (stage, device) => format!(
            "{} cycles/sample with the planned memories, {} with all of the device's",
            cycles_or_dash(stage),
            cycles_or_dash(device)
        ),
    }
}

fn estimate_facts(d: &Design) -> [(&'static str, String); 9] {
    [
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
                clock_mhz(d)
            ),
        ),
        ("memory-bandwidth bound", bandwidth_bounds(d)),
        ("LUTs", format!("~{}", d.est_luts)),
        ("FFs", format!("~{}", d.est_ffs)),
        (
            "logic cells",
            format!(
                "~{}",
                hdl::plan::logic_cells(d.options.target, d.est_luts, d.est_ffs)
            ),
        ),
        ("block RAMs", d.est_brams.to_string()),
        ("SPRAMs", d.est_sprams.to_string()),
        (
            "weight memory",
            format!("{:.1} kbit", d.weight_memory_bits as f64 / 1024.0),
        ),
    ]
}
