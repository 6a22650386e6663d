//! Helpers shared by the simulation and Verilog tests.
#![allow(dead_code)]

use hdl::verilog::{ansi_wrapper, generate, ports, single_file};
use rust_hdl::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `tb` against `uut` in rust-hdl's simulator with a clock toggled by `toggle` every
/// 5 ps (10 ps per cycle); fails the test if the testbench panics, halts, or runs past
/// `max_cycles`. The caller marks `uut`'s inputs as driven (`x.input.connect()`) first.
pub fn run<T, F>(uut: T, toggle: fn(&mut Box<T>), max_cycles: u64, tb: F)
where
    T: Block + Send + 'static,
    F: Fn(Sim<T>) -> Result<(), SimError> + Send + 'static + std::panic::RefUnwindSafe,
{
    let mut sim = Simulation::new();
    sim.add_clock(5, toggle);
    sim.add_testbench(tb);
    sim.run(Box::new(uut), max_cycles * 10 + 100)
        .expect("simulation failed (see the testbench's panic message above)");
}

/// Deterministic RNG for seeded random tests.
pub fn rng(seed: u64) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(seed)
}

/// A generated block: rust-hdl's Verilog of module `name` plus the ANSI wrapper
/// `<name>_ansi` (rust-hdl's `clock` renamed `clk`, `$` in port names `_`), written to `file`.
pub struct Emitted {
    pub name: String,
    pub file: PathBuf,
    pub text: String,
}

impl Emitted {
    pub fn top(&self) -> String {
        format!("{}_ansi", self.name)
    }
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hdl-verilog");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Generates `block` as module `name` with its ANSI wrapper and writes it to a file.
pub fn emit<B: Block>(block: &B, name: &str) -> Emitted {
    let core = generate(block, name).expect("rust-hdl check");
    let wrapper = ansi_wrapper(&format!("{name}_ansi"), name, &ports(block), |p| {
        if p == "clock" {
            "clk".to_string()
        } else {
            p.replace('$', "_")
        }
    })
    .expect("wrapper");
    let text = single_file(&core, &wrapper);
    let file = out_dir().join(format!("{name}.v"));
    std::fs::write(&file, &text).unwrap();
    Emitted {
        name: name.to_string(),
        file,
        text,
    }
}

/// The pinned tool `name` (`<workspace>/.tools/bin`, or `$HDL_TOOLS_BIN`), checked by running
/// `probe` (arguments) on a trivial design. A missing or broken tool fails the test with the
/// command that installs it: no test is skipped silently.
pub fn tool(name: &str, probe: &[&str]) -> Option<PathBuf> {
    let dir = std::env::var_os("HDL_TOOLS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/bin"));
    let path = dir.join(name);
    assert!(
        path.exists(),
        "pinned {name} is not installed at {}: run scripts/tools.sh (scripts/test.sh does it)",
        path.display()
    );
    // One probe folder per thread: tests run in parallel and must not share a file.
    let tmp = out_dir().join(
        format!(
            "probe-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        )
        .replace(['(', ')'], ""),
    );
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(
        tmp.join("probe.v"),
        "module probe(input wire a, output wire b);\n    assign b = a;\nendmodule\n",
    )
    .unwrap();
    let out = Command::new(&path).current_dir(&tmp).args(probe).output();
    let _ = std::fs::remove_dir_all(&tmp);
    match out {
        Ok(o) if o.status.success() => Some(path),
        Ok(o) => panic!(
            "pinned {name} does not run ({}; exit {:?}): {}{} — run scripts/tools.sh --verify",
            path.display(),
            o.status.code(),
            String::from_utf8_lossy(&o.stderr),
            String::from_utf8_lossy(&o.stdout)
        ),
        Err(e) => panic!(
            "cannot start {}: {e} — run scripts/tools.sh",
            path.display()
        ),
    }
}

fn run_tool(tool: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(tool)
        .current_dir(out_dir())
        .args(args)
        .output()
        .expect("run tool");
    let log = format!(
        "[exit status {:?}]\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    (out.status.success(), log)
}

/// Every clocked process of `e` starts with the synchronous reset (DESIGN §4: reset clears all
/// state; power-up values are not a reset on every FPGA).
pub fn assert_every_register_resets(e: &Emitted) {
    let always_ff = e.text.matches("always @(posedge").count();
    let resets = e.text.matches("if (rst) q <= ").count();
    assert!(always_ff > 0, "{}: no register at all", e.name);
    assert_eq!(
        always_ff, resets,
        "{}: a clocked process without reset",
        e.name
    );
}

/// `verilator --lint-only -Wall` on the wrapper must report no warning and no error (a missing
/// Verilator fails the test, see [`tool`]).
pub fn verilator_lint_clean(e: &Emitted) {
    let Some(verilator) = tool("verilator", &["--lint-only", "-Wall", "probe.v"]) else {
        return;
    };
    let file = e.file.display().to_string();
    let top = e.top();
    let (ok, log) = run_tool(
        &verilator,
        &["--lint-only", "-Wall", "--top-module", &top, &file],
    );
    let clean = !log.contains("%Warning") && !log.contains("%Error");
    assert!(ok && clean, "verilator lint of {file}:\n{log}");
}

/// `yosys synth; check -assert` on the wrapper must pass and infer no latch (skipped when
/// the pinned Yosys is not installed).
pub fn yosys_clean(e: &Emitted) {
    let Some(yosys) = tool(
        "yosys",
        &["-q", "-p", "read_verilog probe.v; synth -top probe"],
    ) else {
        return;
    };
    let file = e.file.display().to_string();
    // `check -assert` fails on multiple drivers, undriven nets and logic loops; the select
    // fails if any latch survived synthesis.
    let script = format!(
        "read_verilog {file}; synth -top {}; check -assert; \
         select -assert-none t:*latch* t:*LATCH*",
        e.top()
    );
    let (ok, log) = run_tool(&yosys, &["-q", "-p", &script]);
    assert!(ok, "yosys on {file}:\n{log}");
}

/// `synth_ice40` (then `check -assert`) statistics of the wrapper (cell counts: `SB_LUT4`,
/// `SB_DFF*`, `SB_CARRY`, `SB_RAM40_4K`), or `None` when the pinned Yosys is not installed.
pub fn yosys_ice40_stat(e: &Emitted) -> Option<String> {
    let yosys = tool(
        "yosys",
        &["-q", "-p", "read_verilog probe.v; synth -top probe"],
    )?;
    let stat = out_dir().join(format!("{}.ice40.stat", e.name));
    let script = format!(
        "read_verilog {}; synth_ice40 -top {}; check -assert; tee -q -o {} stat",
        e.file.display(),
        e.top(),
        stat.display()
    );
    let (ok, log) = run_tool(&yosys, &["-q", "-p", &script]);
    assert!(ok, "yosys synth_ice40 on {}:\n{log}", e.file.display());
    Some(std::fs::read_to_string(stat).unwrap())
}
