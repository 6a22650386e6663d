//! Verilator co-simulation harness: the generated `ttfs_top` (DESIGN §4) against the golden model.
//!
//! The flow, and the module that owns each step:
//!
//! 1. [`top::TopInfo`]: what the harness must know about the top (port widths, trace layers),
//!    derived from a quantized [`golden::model::Model`] and the generator's trace option.
//! 2. [`harness`]: writes the C++ harness (a generated prelude naming the ports, plus the generic
//!    driver `cpp/harness_main.cpp`).
//! 3. [`verilator`]: finds the pinned Verilator, builds `verilator --cc --exe --build` into a
//!    cache keyed by the Verilog, the harness source, the flags and the Verilator version, checks
//!    the elaborated ports, and runs the simulation.
//! 4. [`stimulus`]: samples, framing faults, seeded random back-pressure, resets, watchdog;
//!    written to the stimulus file the harness replays.
//! 5. [`result`]: parses what the harness observed (output beats, trace beats, resets).
//! 6. [`check`]: compares with the golden model (class, `m_error`, every spike of every traced
//!    layer) and produces the [`check::CosimReport`].
//!
//! [`cosim`] runs all of it.

pub mod check;
pub mod harness;
mod hash;
pub mod icarus;
pub mod result;
pub mod stimulus;
pub mod top;
pub mod verilator;

use std::path::{Path, PathBuf};

pub use check::{check, CosimReport, SampleResult};
pub use result::RawRun;
pub use stimulus::{Framing, Sample, Stalls, Stimulus};
pub use top::{TopInfo, TraceLayer};
pub use verilator::{default_cache_dir, BuildOptions, Harness, VcdDump, Verilator};

/// Everything that can go wrong in a co-simulation (never a panic on bad input).
#[derive(Debug, thiserror::Error)]
pub enum CosimError {
    #[error("verilator not found on PATH: run scripts/tools.sh (or scripts/test.sh) to install the pinned Verilator 5.048")]
    VerilatorNotFound,
    #[error("{path}: `verilator --version` printed {found:?}, but Verilator 5.x is needed (the project pins 5.048: run scripts/tools.sh)")]
    VerilatorVersion { path: String, found: String },
    #[error("model not usable for co-simulation: {0}")]
    Model(String),
    #[error("bad stimulus: {0}")]
    Stimulus(String),
    #[error("bad stimulus: sample {sample}: {source}")]
    Input {
        sample: usize,
        source: golden::forward::InputError,
    },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error(
        "iverilog / vvp not found on PATH: run scripts/tools.sh (it installs Debian's iverilog)"
    )]
    IcarusNotFound,
    #[error("{simulator} did not finish within {seconds} s of wall time and was stopped (is simulated time stuck in a zero-delay loop between always blocks?); partial result: {result}")]
    Stuck {
        simulator: String,
        seconds: f64,
        result: String,
    },
    #[error("Verilator build failed (log: {log}):\n{tail}")]
    Build { log: String, tail: String },
    #[error("the verilated top does not match the expected interface (DESIGN §4): {0}")]
    Ports(String),
    #[error("harness {exe} failed ({status}): {stderr}")]
    Run {
        exe: String,
        status: String,
        stderr: String,
    },
    #[error("result file {path}, line {line}: {msg}")]
    Result {
        path: String,
        line: usize,
        msg: String,
    },
}

impl CosimError {
    pub(crate) fn io(what: &'static str, path: &Path, source: std::io::Error) -> Self {
        CosimError::Io {
            what,
            path: path.display().to_string(),
            source,
        }
    }
}

/// Options of a whole co-simulation run ([`cosim`]).
#[derive(Clone, Debug, Default)]
pub struct CosimOptions {
    /// The top was generated with the trace option: check every spike of the traced layers.
    pub trace: bool,
    /// Build options (cache directory, extra Verilator arguments, VCD support).
    pub build: BuildOptions,
    /// Dump a VCD of a range of samples (forces a `--trace` build).
    pub vcd: Option<VcdDump>,
}

/// Builds (or reuses) the harness for `verilog`, runs `stim` and checks it against `model`.
///
/// `verilog` lists the Verilog sources of the top (module [`TopInfo::module`], default
/// `ttfs_top`). Verilator is looked up on `PATH`.
pub fn cosim(
    model: &golden::model::Model,
    verilog: &[PathBuf],
    stim: &Stimulus,
    opts: &CosimOptions,
) -> Result<CosimReport, CosimError> {
    let info = TopInfo::from_model(model, opts.trace)?
        .with_load(!stim.weights.is_empty())
        .with_input_lanes(stim.input_lanes())
        .with_pairs_from(verilog);
    stim.validate(&info)?;
    let tool = Verilator::discover()?;
    let mut build = opts.build.clone();
    build.vcd |= opts.vcd.is_some();
    let harness = Harness::build(&tool, &info, verilog, &build)?;
    let run = harness.run(stim, opts.vcd.as_ref())?;
    let mut report = check(model, &info, stim, &run)?;
    report.build_cached = harness.cached;
    report.build_seconds = harness.build_seconds;
    Ok(report)
}

/// [`cosim`] in Icarus Verilog instead of Verilator: compiles the bench of [`icarus`] with
/// `verilog` in `work`, runs `stim` (killed after `limit` of wall time) and checks it against
/// `model` with the same golden checker.
pub fn cosim_icarus(
    model: &golden::model::Model,
    verilog: &[PathBuf],
    stim: &Stimulus,
    trace: bool,
    work: &Path,
    limit: std::time::Duration,
) -> Result<CosimReport, CosimError> {
    let info = TopInfo::from_model(model, trace)?
        .with_load(!stim.weights.is_empty())
        .with_input_lanes(stim.input_lanes())
        .with_pairs_from(verilog);
    stim.validate(&info)?;
    let run = icarus::IcarusRun {
        tool: icarus::Icarus::discover()?,
        info: info.clone(),
        sources: verilog.to_vec(),
        work: work.to_path_buf(),
        limit,
    }
    .run(stim)?;
    check(model, &info, stim, &run)
}
