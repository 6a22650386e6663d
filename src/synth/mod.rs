//! Open-tool synthesis of a generated design: yosys → nextpnr → icepack / ecppack, with the
//! pinned tools of `scripts/tools.sh`, and the tools' own reports parsed into resources,
//! clocks and a fit verdict ([`SynthOutcome`]).
//!
//! Independent of how the Verilog was made: a [`SynthJob`] names the folder (the `$readmemh`
//! images must sit there: the tools run in it), the Verilog files, the top module, the target
//! and the board, so a board wrapper or another top is only a parameter.
//! `ttfs synth` (`crate::commands::synth`) builds a job from a model.

pub mod board;
pub mod json;
pub mod report;

use anyhow::{bail, Context, Result};
use board::{Board, BoardConstraints, ConstraintKind};
use hdl::target::Target;
use report::{Clock, Overflow, Resource};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// FPGA family of a target (the device facts live in [`hdl::target`]).
pub use hdl::target::Family;

/// How to build for one device target.
#[derive(Clone, Debug)]
pub struct Device {
    pub target: Target,
    pub family: Family,
    /// Part and package, for reports.
    pub part: &'static str,
    /// nextpnr's device and package options.
    pub nextpnr_device: &'static [&'static str],
}

impl Device {
    /// The device of a target ([`Target::family`], [`Target::part`],
    /// [`Target::nextpnr_device`]); the generic target has none.
    pub fn of(target: Target) -> Result<Device> {
        match (target.family(), target.part()) {
            (Some(family), Some(part)) => Ok(Device {
                target,
                family,
                part,
                nextpnr_device: target.nextpnr_device(),
            }),
            _ => bail!(
                "synthesis needs a device: --target ice40-up5k, ecp5-25k or ecp5-85k (generic is vendor-neutral Verilog only)"
            ),
        }
    }

    fn yosys_pass(&self) -> &'static str {
        self.family.yosys_pass()
    }

    fn nextpnr(&self) -> &'static str {
        self.family.nextpnr()
    }

    fn packer(&self) -> &'static str {
        self.family.packer()
    }
}

/// One synthesis run.
#[derive(Clone, Debug)]
pub struct SynthJob {
    /// Folder with the design's files; every tool runs here and writes its outputs here.
    pub dir: PathBuf,
    /// Verilog sources (relative to `dir` or absolute).
    pub verilog: Vec<PathBuf>,
    /// Top module.
    pub top: String,
    pub target: Target,
    /// Board: its constraint file is written into `dir` and given to nextpnr (the top is then
    /// normally the board wrapper `board_top`). `None`: the top's ports are placed on free
    /// pins by nextpnr.
    pub board: Option<Board>,
    /// Clock the design is timed for (nextpnr `--freq`), MHz: on a board its core clock
    /// (the PLL output), not the oscillator, which the constraint file constrains.
    pub clock_mhz: f64,
    /// nextpnr placer seed.
    pub seed: u64,
}

/// Bitstream (or flash image) file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileInfo {
    pub path: PathBuf,
    pub bytes: u64,
}

/// What the tools said.
#[derive(Clone, Debug, Serialize)]
pub struct SynthOutcome {
    pub part: &'static str,
    pub family: Family,
    /// Placed and routed, and no resource over its capacity.
    pub fits: bool,
    /// The first resource over capacity, when the design does not fit.
    pub overflow: Option<Overflow>,
    /// Every clock nextpnr timed: achieved vs constraint (MHz).
    pub clocks: BTreeMap<String, Clock>,
    /// Achieved fmax of the design clock (the clock constrained at `clock_mhz`, else the
    /// slowest clock), MHz.
    pub fmax_mhz: Option<f64>,
    /// Every timed clock meets its constraint.
    pub timing_met: bool,
    /// `{name: {used, available}}`.
    pub resources: BTreeMap<String, Resource>,
    /// nextpnr's own utilization table, unrenamed.
    pub nextpnr_utilization: BTreeMap<String, Resource>,
    /// yosys cell counts after synthesis.
    pub yosys_cells: BTreeMap<String, u64>,
    pub bitstream: Option<FileInfo>,
    /// Seconds per step: yosys, nextpnr, pack.
    pub runtimes_s: BTreeMap<String, f64>,
    /// Log files of the tools.
    pub logs: BTreeMap<String, PathBuf>,
}

/// Where a pinned tool is: `$LCTTFS_TOOLS_DIR` when set (and only there), else `PATH`, else
/// this checkout's `.tools/bin`. A missing tool is one line naming the fix.
pub fn find_tool(name: &str) -> Result<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("LCTTFS_TOOLS_DIR") {
        Some(dir) => vec![PathBuf::from(dir).join(name)],
        None => std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|d| d.join(name))
            .chain(std::iter::once(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(".tools/bin")
                    .join(name),
            ))
            .collect(),
    };
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow::anyhow!("{name} not found: run scripts/tools.sh"))
}

/// Checks that yosys, the target's nextpnr and its packer are installed (one line naming the
/// fix otherwise): call it before minutes of generation or synthesis.
pub fn check_tools(target: Target) -> Result<()> {
    let device = Device::of(target)?;
    for t in ["yosys", device.nextpnr(), device.packer()] {
        find_tool(t)?;
    }
    Ok(())
}

/// Runs `tool args…` in `dir`; on failure returns the tool's first `ERROR` line (or the tail
/// of its output) and the log path, on one line. `expected_s` (the same step's time in the
/// previous run of this folder) turns the spinner into a bar with an ETA.
fn run_tool(
    tool: &str,
    args: &[String],
    dir: &Path,
    log: &Path,
    expected_s: Option<f64>,
) -> Result<ToolRun> {
    let exe = find_tool(tool)?;
    let start = Instant::now();
    // Progress on stderr, hidden when it is not a terminal: a bar with ETA when a previous run
    // says how long this step takes, else a spinner with elapsed time.
    let (bar, timed) = match expected_s.filter(|s| *s >= 1.0) {
        Some(s) => (crate::source::timed_bar(tool, s), true),
        None => (crate::source::spinner(tool), false),
    };
    let out = std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            Command::new(&exe)
                .args(args)
                .current_dir(dir)
                .output()
                .with_context(|| format!("cannot run {}", exe.display()))
        });
        while !run.is_finished() {
            if timed {
                let ds = (start.elapsed().as_secs_f64() * 10.0) as u64;
                bar.set_position(ds.min(bar.length().unwrap_or(1).saturating_sub(1)));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        run.join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the thread running {tool} panicked")))
    });
    bar.finish_and_clear();
    let out = out?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok(ToolRun {
        ok: out.status.success(),
        output: text,
        seconds: start.elapsed().as_secs_f64(),
        log: log.to_path_buf(),
    })
}

/// Seconds each step took in the previous run of `dir` (its `synth.json` → `runtimes_s`), for
/// the progress bars' ETA; empty when there was none.
fn previous_runtimes(dir: &Path) -> BTreeMap<String, f64> {
    std::fs::read_to_string(dir.join("synth.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| {
            v.get("runtimes_s").and_then(|r| r.as_object()).map(|r| {
                r.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
                    .collect()
            })
        })
        .unwrap_or_default()
}

struct ToolRun {
    ok: bool,
    /// stdout + stderr (with `-q`: warnings and errors).
    output: String,
    seconds: f64,
    log: PathBuf,
}

impl ToolRun {
    /// The tool's log (file, else captured output).
    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_else(|_| self.output.clone())
    }

    fn failure(&self, tool: &str) -> anyhow::Error {
        let log = self.log_text();
        let line = report::first_error_line(&self.output)
            .or_else(|| report::first_error_line(&log))
            .unwrap_or_else(|| {
                self.output
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("no output")
                    .trim()
                    .to_string()
            });
        anyhow::anyhow!("{tool} failed: {line} (log: {})", self.log.display())
    }
}

/// Runs the job: yosys, nextpnr, packer. A design that does not fit is *not* an error here:
/// the outcome has `fits == false` and the overflowing resource; the caller words the refusal.
/// `progress` receives one line per finished step.
pub fn run(job: &SynthJob, progress: &mut dyn FnMut(&str)) -> Result<SynthOutcome> {
    let device = Device::of(job.target)?;
    if let Some(b) = &job.board {
        b.check_target(job.target)?;
    }
    check_tools(job.target)?;
    // The tools run inside `dir` but are also given paths under it: an absolute `dir` keeps
    // both right for a relative `--out` (the default `out/synth/<target>`).
    let dir = std::path::absolute(&job.dir)
        .with_context(|| format!("cannot resolve the output folder {}", job.dir.display()))?;
    let mut flow = Flow {
        job,
        device,
        last: previous_runtimes(&dir),
        dir,
        runtimes: BTreeMap::new(),
        logs: BTreeMap::new(),
        progress,
    };
    let yosys_cells = flow.yosys()?;
    let pnr = flow.nextpnr(&yosys_cells)?;
    let bitstream = if pnr.fits() { Some(flow.pack()?) } else { None };
    Ok(SynthOutcome {
        part: flow.device.part,
        family: flow.device.family,
        fits: pnr.fits(),
        overflow: pnr.overflow,
        clocks: pnr.clocks,
        fmax_mhz: pnr.fmax_mhz,
        timing_met: pnr.timing_met,
        resources: pnr.resources,
        nextpnr_utilization: pnr.utilization,
        yosys_cells,
        bitstream,
        runtimes_s: flow.runtimes,
        logs: flow.logs,
    })
}

/// One run of the tools on a job: where they run and what each step took and logged.
struct Flow<'a> {
    job: &'a SynthJob,
    device: Device,
    /// The job's folder, absolute.
    dir: PathBuf,
    /// Seconds per step of the previous run in `dir`, for the progress bars.
    last: BTreeMap<String, f64>,
    runtimes: BTreeMap<String, f64>,
    logs: BTreeMap<String, PathBuf>,
    progress: &'a mut dyn FnMut(&str),
}

/// What nextpnr made of the netlist.
struct PlaceAndRoute {
    /// nextpnr placed and routed the design.
    routed: bool,
    overflow: Option<Overflow>,
    utilization: BTreeMap<String, Resource>,
    clocks: BTreeMap<String, Clock>,
    resources: BTreeMap<String, Resource>,
    fmax_mhz: Option<f64>,
    timing_met: bool,
}

impl PlaceAndRoute {
    fn fits(&self) -> bool {
        self.routed && self.overflow.is_none()
    }
}

impl Flow<'_> {
    /// yosys's netlist, which nextpnr reads.
    fn netlist(&self) -> String {
        format!("{}.json", self.job.top)
    }

    /// nextpnr's placed and routed design, which the packer reads.
    fn placed(&self) -> String {
        format!("{}.{}", self.job.top, self.device.family.placed_output().1)
    }

    /// yosys: the netlist and its cell counts (`yosys-stat.json`).
    fn yosys(&mut self) -> Result<BTreeMap<String, u64>> {
        let sources: Vec<String> = self
            .job
            .verilog
            .iter()
            .map(|p| {
                let p = if p.is_absolute() {
                    p.clone()
                } else {
                    self.dir.join(p)
                };
                // yosys script words are space-separated: quote paths.
                format!("\"{}\"", p.display())
            })
            .collect();
        anyhow::ensure!(!sources.is_empty(), "no Verilog sources to synthesize");
        let script = format!(
            "read_verilog {}; {} -top {} -json {}; tee -q -o yosys-stat.json stat -json",
            sources.join(" "),
            self.device.yosys_pass(),
            self.job.top,
            self.netlist()
        );
        let ylog = self.dir.join("yosys.log");
        let y = run_tool(
            "yosys",
            &["-q", "-l", "yosys.log", "-p", &script].map(String::from),
            &self.dir,
            &ylog,
            self.last.get("yosys").copied(),
        )?;
        self.logs.insert("yosys".into(), ylog);
        if !y.ok {
            return Err(y.failure("yosys"));
        }
        self.runtimes.insert("yosys".into(), y.seconds);
        (self.progress)(&format!(
            "yosys {} -top {} ({:.1} s)",
            self.device.yosys_pass(),
            self.job.top,
            y.seconds
        ));
        let stat_text = std::fs::read_to_string(self.dir.join("yosys-stat.json"))
            .context("yosys wrote no yosys-stat.json")?;
        report::yosys_cells(&stat_text)
    }

    /// nextpnr's arguments: device, netlist in, placed design and report out, the clock, and
    /// the board's constraint file.
    fn nextpnr_args(&self) -> Vec<String> {
        let mut args: Vec<String> = self
            .device
            .nextpnr_device
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend([
            "--json".into(),
            self.netlist(),
            self.device.family.placed_output().0.into(),
            self.placed(),
            "--freq".into(),
            format!("{}", self.job.clock_mhz),
            "--report".into(),
            "report-pnr.json".into(),
            "--seed".into(),
            self.job.seed.to_string(),
            // Timing is a verdict in synth.json, not a reason to withhold the bitstream.
            "--timing-allow-fail".into(),
            "-q".into(),
            "-l".into(),
            "nextpnr.log".into(),
        ]);
        if let Some(b) = &self.job.board {
            args.push(
                match b.constraint_kind() {
                    ConstraintKind::Pcf => "--pcf",
                    ConstraintKind::Lpf => "--lpf",
                }
                .into(),
            );
            args.push(b.constraints_file().into());
        }
        args
    }

    /// nextpnr: placement and routing, utilization and clocks. A design that does not fit
    /// comes back with the resource that overflowed; any other failure is an error.
    fn nextpnr(&mut self, yosys_cells: &BTreeMap<String, u64>) -> Result<PlaceAndRoute> {
        if let Some(b) = &self.job.board {
            crate::commands::write_file(&self.dir.join(b.constraints_file()), b.constraints())?;
        }
        let report_path = self.dir.join("report-pnr.json");
        let _ = std::fs::remove_file(&report_path);
        let plog = self.dir.join("nextpnr.log");
        let tool = self.device.nextpnr();
        let p = run_tool(
            tool,
            &self.nextpnr_args(),
            &self.dir,
            &plog,
            self.last.get("nextpnr").copied(),
        )?;
        self.logs.insert("nextpnr".into(), plog);
        self.runtimes.insert("nextpnr".into(), p.seconds);
        let (utilization, clocks) = match std::fs::read_to_string(&report_path) {
            Ok(text) if p.ok => report::nextpnr_report(&text)?,
            _ => (
                report::nextpnr_log_utilization(&p.log_text()),
                BTreeMap::new(),
            ),
        };
        let resources = report::resources(
            self.device.family,
            self.job.target,
            &utilization,
            yosys_cells,
        );
        // nextpnr placing and routing the design is what "fits" means; only its failure is
        // searched for the resource that overflowed.
        let overflow = if p.ok {
            None
        } else {
            report::overflow(&resources, &utilization)
        };
        match (p.ok, &overflow) {
            (false, None) => return Err(p.failure(tool)),
            (false, Some(_)) => {
                (self.progress)(&format!("{tool}: does not fit ({:.1} s)", p.seconds))
            }
            (true, _) => {
                (self.progress)(&format!("{tool} {} ({:.1} s)", self.device.part, p.seconds))
            }
        }
        let (fmax_mhz, timing_met) = report::design_clock(&clocks, self.job.clock_mhz);
        Ok(PlaceAndRoute {
            routed: p.ok,
            overflow,
            utilization,
            clocks,
            resources,
            fmax_mhz,
            timing_met,
        })
    }

    /// The packer: the bitstream of the placed design.
    fn pack(&mut self) -> Result<FileInfo> {
        let placed = self.placed();
        let bit = format!("{}.{}", self.job.top, self.device.family.bitstream_ext());
        let args = self.device.family.pack_args(&placed, &bit);
        let packer = self.device.packer();
        let k = run_tool(
            packer,
            &args,
            &self.dir,
            &self.dir.join("pack.log"),
            self.last.get("pack").copied(),
        )?;
        if !k.ok {
            return Err(k.failure(packer));
        }
        self.runtimes.insert("pack".into(), k.seconds);
        let path = self.dir.join(&bit);
        let bytes = std::fs::metadata(&path)
            .with_context(|| format!("{packer} wrote no {}", path.display()))?
            .len();
        (self.progress)(&format!(
            "{packer} → {} ({bytes} bytes, {:.1} s)",
            path.display(),
            k.seconds
        ));
        Ok(FileInfo { path, bytes })
    }
}
