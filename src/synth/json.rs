//! `synth.json` ([`SynthJson`]): what place-and-route found ([`SynthOutcome`]) next to the
//! design's estimates, the throughput it makes of them, the files for the board and how to
//! program it; and `report.md`, the same figures as Markdown tables ([`SynthJson::markdown`]).

use super::report::{Clock, Overflow, Resource, RESOURCE_ORDER};
use super::{FileInfo, SynthJob, SynthOutcome};
use crate::report::{num, percent, Doc, Table};
use hdl::board::{Board, FlashImage, Pll};
use hdl::plan::Design;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `synth.json`. Written with its keys sorted ([`crate::report::sorted_json`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SynthJson {
    pub target: String,
    /// `none` or the board's name.
    pub board: String,
    pub board_clock: Option<BoardClock>,
    pub part: String,
    pub top: String,
    pub fits: bool,
    pub overflow: Option<Overflow>,
    pub timing_met: bool,
    pub fmax_mhz: Option<f64>,
    pub clock_mhz: f64,
    pub clocks: BTreeMap<String, Clock>,
    pub cycles_per_sample: f64,
    pub cycles_source: CyclesSource,
    pub estimated_cycles_per_sample: f64,
    pub throughput_samples_per_s: Option<f64>,
    pub throughput_note: String,
    pub input_bound_samples_per_s: Option<f64>,
    /// Features per input beat (DESIGN §4 revision 2): a sample is `⌈inputs / input_lanes⌉`
    /// beats.
    #[serde(default)]
    pub input_lanes: usize,
    pub input_bound_fraction: Option<f64>,
    pub input_bound_note: String,
    /// With a board: the UART link's throughput beside the core's, and which bounds.
    #[serde(default)]
    pub link: Option<super::board::LinkFigures>,
    pub lanes: Vec<usize>,
    /// Events each stage integrates per pass (the plan's `events_per_cycle`).
    #[serde(default)]
    pub events_per_cycle: Vec<usize>,
    pub resources: BTreeMap<String, Resource>,
    pub estimates: Estimates,
    pub bitstream: Option<FileInfo>,
    pub flash_image: Option<FlashImageFile>,
    /// `weights.bin` for a host to stream through `w_*` (no board).
    pub load_image: Option<FileInfo>,
    pub program: Vec<String>,
    pub runtimes_s: BTreeMap<String, f64>,
    pub logs: BTreeMap<String, PathBuf>,
    pub nextpnr_utilization: BTreeMap<String, Resource>,
    pub yosys_cells: BTreeMap<String, u64>,
}

/// Where the cycles per sample come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CyclesSource {
    /// The cost model of report.json.
    Estimate,
    /// A co-simulation (`--cycles-per-sample`, `--cosim-json`).
    Cosim,
}

impl CyclesSource {
    pub fn name(self) -> &'static str {
        match self {
            CyclesSource::Estimate => "estimate",
            CyclesSource::Cosim => "cosim",
        }
    }
}

/// Cycles per sample and where they come from.
#[derive(Clone, Copy, Debug)]
pub struct Cycles {
    pub cycles: f64,
    pub source: CyclesSource,
}

/// The board's clocking: its oscillator, the core clock and the PLL between them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BoardClock {
    pub oscillator_mhz: f64,
    pub core_clock_mhz: f64,
    pub pll: Option<PllSettings>,
    pub constraints: String,
}

/// The PLL primitive and its dividers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PllSettings {
    Ice40 {
        primitive: String,
        divr: u32,
        divf: u32,
        divq: u32,
    },
    Ecp5 {
        primitive: String,
        clki_div: u32,
        clkfb_div: u32,
        clkop_div: u32,
    },
}

/// `weights.bin` and where it goes in the board's SPI flash.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FlashImageFile {
    pub path: PathBuf,
    pub bytes: u64,
    pub offset: u32,
    pub offset_hex: String,
}

/// The cost model's resource estimates against what place-and-route used.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Estimates {
    pub source: String,
    #[serde(rename = "LUT")]
    pub lut: Estimate,
    #[serde(rename = "FF")]
    pub ff: Estimate,
    #[serde(rename = "BRAM")]
    pub bram: Estimate,
    #[serde(rename = "SPRAM")]
    pub spram: Estimate,
    /// iCE40 only: logic cells (`plan::logic_cells`: LUT4s and half the flip-flops) against
    /// nextpnr's `ICESTORM_LC`, what fits or does not.
    #[serde(rename = "LC", default, skip_serializing_if = "Option::is_none")]
    pub lc: Option<Estimate>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Estimate {
    pub estimated: u64,
    pub actual: u64,
    /// `(estimated − actual) / actual`; none when nothing was used.
    pub relative_error: Option<f64>,
}

impl Estimate {
    fn new(estimated: u64, actual: u64) -> Estimate {
        Estimate {
            estimated,
            actual,
            relative_error: (actual != 0)
                .then(|| (estimated as f64 - actual as f64) / actual as f64),
        }
    }
}

impl Estimates {
    fn new(d: &Design, o: &SynthOutcome) -> Estimates {
        let used = |k: &str| o.resources.get(k).map(|r| r.used).unwrap_or(0);
        let bram = o.family.bram_resource();
        Estimates {
            source: "report.json (DESIGN §5 cost model)".into(),
            lut: Estimate::new(d.est_luts, used("LUT4")),
            ff: Estimate::new(d.est_ffs, used("FF")),
            bram: Estimate::new(d.est_brams, used(bram)),
            spram: Estimate::new(d.est_sprams, used("SPRAM")),
            lc: (o.family == hdl::target::Family::Ice40).then(|| {
                let cells = hdl::plan::logic_cells(d.options.target, d.est_luts, d.est_ffs);
                Estimate::new(cells, used("LC"))
            }),
        }
    }

    /// The estimates under their names in synth.json, in display order.
    pub fn named(&self) -> Vec<(&'static str, &Estimate)> {
        let mut named = vec![
            ("LUT", &self.lut),
            ("FF", &self.ff),
            ("BRAM", &self.bram),
            ("SPRAM", &self.spram),
        ];
        named.extend(self.lc.as_ref().map(|e| ("LC", e)));
        named
    }
}

/// Throughput of the design at `min(fmax, clock)`.
struct Rates {
    throughput: Option<f64>,
    input_bound: Option<f64>,
    input_bound_fraction: Option<f64>,
}

impl Rates {
    fn new(fmax_mhz: Option<f64>, clock_mhz: f64, beats: usize, cycles: f64) -> Rates {
        // Cycles per second the design runs at (none without an fmax).
        let rate_hz = fmax_mhz.map(|f| f.min(clock_mhz) * 1e6);
        // DESIGN §4 takes a beat per cycle, `⌈inputs / input_lanes⌉` beats a sample, so no
        // design behind that port beats `rate · input_lanes / inputs` samples/s: report it,
        // and how close this design comes.
        let beats = beats.max(1) as f64;
        Rates {
            throughput: rate_hz.map(|r| r / cycles),
            input_bound: rate_hz.map(|r| r / beats),
            input_bound_fraction: rate_hz.map(|_| beats / cycles),
        }
    }
}

impl BoardClock {
    fn of(b: Board) -> BoardClock {
        BoardClock {
            oscillator_mhz: b.osc_hz() as f64 / 1e6,
            core_clock_mhz: b.core_clock_hz() as f64 / 1e6,
            pll: b.pll().map(|p| match p {
                Pll::Ice40(p) => PllSettings::Ice40 {
                    primitive: "SB_PLL40_PAD".into(),
                    divr: p.divr,
                    divf: p.divf,
                    divq: p.divq,
                },
                Pll::Ecp5(p) => PllSettings::Ecp5 {
                    primitive: "EHXPLLL".into(),
                    clki_div: p.clki_div,
                    clkfb_div: p.clkfb_div,
                    clkop_div: p.clkop_div,
                },
            }),
            constraints: b.constraints_file().into(),
        }
    }
}

/// Seconds per step: generation, the tools' steps and the whole run.
pub struct Runtimes {
    pub generate: f64,
    pub total: f64,
}

impl SynthJson {
    pub fn new(
        d: &Design,
        job: &SynthJob,
        o: &SynthOutcome,
        cycles: Cycles,
        flash: Option<&FlashImage>,
        times: Runtimes,
    ) -> SynthJson {
        let beats = d.inputs.div_ceil(d.input_lanes.max(1));
        let rates = Rates::new(o.fmax_mhz, job.clock_mhz, beats, cycles.cycles);
        let (flash_image, load_image) = weight_image(job, flash);
        SynthJson {
            target: job.target.to_string(),
            board: job.board.map(|b| b.name()).unwrap_or("none").into(),
            board_clock: job.board.map(BoardClock::of),
            part: o.part.to_string(),
            top: job.top.clone(),
            fits: o.fits,
            overflow: o.overflow.clone(),
            timing_met: o.timing_met,
            fmax_mhz: o.fmax_mhz,
            clock_mhz: job.clock_mhz,
            clocks: o.clocks.clone(),
            cycles_per_sample: cycles.cycles,
            cycles_source: cycles.source,
            estimated_cycles_per_sample: d.est_cycles_per_sample,
            throughput_samples_per_s: rates.throughput,
            throughput_note: "min(fmax, clock) / cycles_per_sample".into(),
            input_bound_samples_per_s: rates.input_bound,
            input_lanes: d.input_lanes,
            input_bound_fraction: rates.input_bound_fraction,
            input_bound_note: "min(fmax, clock) / ⌈inputs / input_lanes⌉: the DESIGN §4 input stream moves one beat of input_lanes features per cycle at most".into(),
            link: job.board.map(|b| {
                super::board::LinkFigures::new(
                    b,
                    &hdl::board::LinkFormat::of_model(&d.model),
                    rates.throughput,
                )
            }),
            lanes: d.layers.iter().map(|l| l.lanes).collect(),
            events_per_cycle: d.layers.iter().map(|l| l.events_per_cycle).collect(),
            resources: o.resources.clone(),
            estimates: Estimates::new(d, o),
            bitstream: o.bitstream.clone(),
            flash_image,
            load_image,
            program: program_commands(job.board, o.bitstream.as_ref(), flash),
            runtimes_s: runtimes(o, times),
            logs: o.logs.clone(),
            nextpnr_utilization: o.nextpnr_utilization.clone(),
            yosys_cells: o.yosys_cells.clone(),
        }
    }

    /// The text of synth.json (what `ttfs synth --json` prints).
    pub fn to_json(&self) -> anyhow::Result<String> {
        crate::report::sorted_json(self)
    }

    /// The lanes per layer as synth.json writes them: `[26,1]`.
    pub fn lanes_text(&self) -> String {
        let lanes: Vec<String> = self.lanes.iter().map(|l| l.to_string()).collect();
        format!("[{}]", lanes.join(","))
    }

    /// The resources in display order (logic, registers, memories, the rest).
    pub fn resources_in_order(&self) -> Vec<(&String, &Resource)> {
        let rank = |k: &str| {
            RESOURCE_ORDER
                .iter()
                .position(|o| *o == k)
                .unwrap_or(RESOURCE_ORDER.len())
        };
        let mut named: Vec<(&String, &Resource)> = self.resources.iter().collect();
        named.sort_by_key(|(k, _)| rank(k));
        named
    }
}

fn runtimes(o: &SynthOutcome, times: Runtimes) -> BTreeMap<String, f64> {
    let mut runtimes = BTreeMap::new();
    runtimes.insert("generate".into(), times.generate);
    for (k, v) in &o.runtimes_s {
        runtimes.insert(k.clone(), *v);
    }
    runtimes.insert("total".into(), times.total);
    runtimes
}

/// `weights.bin` as (flash image, load image): on a board it goes into the SPI flash at the
/// board's offset; without one a host streams it through the `w_*` port.
fn weight_image(
    job: &SynthJob,
    flash: Option<&FlashImage>,
) -> (Option<FlashImageFile>, Option<FileInfo>) {
    let image = file_info(&job.dir.join("weights.bin"));
    match (flash, image) {
        (Some(f), Some(i)) => (
            Some(FlashImageFile {
                path: i.path,
                bytes: i.bytes,
                offset: f.offset,
                offset_hex: format!("{:#x}", f.offset),
            }),
            None,
        ),
        (None, Some(i)) if job.board.is_none() => (None, Some(i)),
        _ => (None, None),
    }
}

fn file_info(path: &Path) -> Option<FileInfo> {
    std::fs::metadata(path).ok().map(|m| FileInfo {
        path: path.to_path_buf(),
        bytes: m.len(),
    })
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
    flash: Option<&FlashImage>,
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

/// One decimal, `–` when absent.
fn f1(v: Option<f64>) -> String {
    num(v, 1)
}

impl SynthJson {
    /// `report.md` next to synth.json: the same figures as Markdown tables, then the design's.
    pub fn markdown(&self, d: &Design) -> Doc {
        let mut doc = Doc::new(&format!(
            "ttfs synth: {} on {} ({})",
            self.top, self.target, self.part
        ));
        doc.para(
            "Place-and-route results of the pinned open tools (yosys → nextpnr → pack), the same \
             figures as synth.json next to this file; estimates are those of report.json (DESIGN §5 \
             cost model).",
        );
        doc.section("Result");
        doc.facts(self.result_facts());
        doc.section("Timing and throughput");
        doc.facts(self.timing_facts());
        if let Some(l) = &self.link {
            doc.facts([("board link (UART)", l.summary())]);
        }
        if !self.clocks.is_empty() {
            doc.table(&self.clock_table());
        }
        doc.section("Resources");
        doc.table(&self.resource_table());
        doc.section("Estimate vs measured");
        doc.table(&self.estimate_table());
        doc.section("Files and run times");
        doc.facts(self.file_facts());
        crate::accelerator::design_sections(&mut doc, d);
        doc
    }

    fn result_facts(&self) -> [(&'static str, String); 7] {
        [
            ("target", self.target.clone()),
            ("part", self.part.clone()),
            ("board", self.board.clone()),
            ("top", self.top.clone()),
            ("lanes", self.lanes_text()),
            ("fits", if self.fits { "yes" } else { "NO" }.to_string()),
            (
                "overflow",
                self.overflow
                    .as_ref()
                    .map(|ov| ov.describe())
                    .unwrap_or_else(|| "none".into()),
            ),
        ]
    }

    fn timing_facts(&self) -> [(&'static str, String); 7] {
        [
            (
                "timing",
                if self.timing_met { "met" } else { "NOT met" }.to_string(),
            ),
            ("fmax", format!("{} MHz", f1(self.fmax_mhz))),
            ("clock", format!("{} MHz", f1(Some(self.clock_mhz)))),
            (
                "cycles per sample",
                format!(
                    "{} ({})",
                    f1(Some(self.cycles_per_sample)),
                    self.cycles_source.name()
                ),
            ),
            (
                "estimated cycles per sample",
                f1(Some(self.estimated_cycles_per_sample)),
            ),
            (
                "throughput",
                format!(
                    "{} samples/s (min(fmax, clock) / cycles per sample)",
                    num(self.throughput_samples_per_s, 0)
                ),
            ),
            (
                "input stream bound",
                format!(
                    "{} samples/s (min(fmax, clock) / beats per sample: ⌈inputs / input_lanes⌉); this design reaches {} %",
                    num(self.input_bound_samples_per_s, 0),
                    num(self.input_bound_fraction.map(|x| 100.0 * x), 1)
                ),
            ),
        ]
    }

    fn clock_table(&self) -> Table {
        let mut t = Table::new(&["clock", "achieved MHz", "constraint MHz"]);
        for (name, c) in &self.clocks {
            t.row([
                name.clone(),
                format!("{:.1}", c.achieved_mhz),
                format!("{:.1}", c.constraint_mhz),
            ]);
        }
        t
    }

    fn resource_table(&self) -> Table {
        let mut t = Table::new(&["resource", "used", "available", "%"]);
        for (k, res) in self.resources_in_order() {
            t.row([
                k.clone(),
                res.used.to_string(),
                res.available.to_string(),
                percent(res.used, res.available),
            ]);
        }
        t
    }

    fn estimate_table(&self) -> Table {
        let mut t = Table::new(&["resource", "estimated", "actual", "relative error"]);
        for (k, e) in self.estimates.named() {
            t.row([
                k.to_string(),
                e.estimated.to_string(),
                e.actual.to_string(),
                e.relative_error
                    .filter(|x| x.is_finite())
                    .map(|x| format!("{:+.0} %", 100.0 * x))
                    .unwrap_or("–".into()),
            ]);
        }
        t
    }

    fn file_facts(&self) -> Vec<(String, String)> {
        let mut facts: Vec<(String, String)> = self
            .files()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        if let Some(p) = self.program_line() {
            facts.push(("program".into(), format!("`{p}`")));
        }
        for (k, v) in &self.runtimes_s {
            facts.push((format!("{k} time"), format!("{} s", f1(Some(*v)))));
        }
        facts
    }

    /// The bitstream and the flash image: what they are, where, how big.
    pub fn files(&self) -> Vec<(&'static str, String)> {
        let mut files = Vec::new();
        if let Some(b) = &self.bitstream {
            files.push((
                "bitstream",
                format!("{} ({} bytes)", b.path.display(), b.bytes),
            ));
        }
        if let Some(f) = &self.flash_image {
            files.push((
                "flash image",
                format!(
                    "{} ({} bytes) at flash offset {}",
                    f.path.display(),
                    f.bytes,
                    f.offset_hex
                ),
            ));
        }
        files
    }

    /// The commands that program the board, as one shell line (none without a board).
    pub fn program_line(&self) -> Option<String> {
        (!self.program.is_empty()).then(|| self.program.join(" && "))
    }
}
