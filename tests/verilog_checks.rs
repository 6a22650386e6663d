//! The generated Verilog of the default model is lint-clean (`verilator --lint-only -Wall`,
//! no warning) and synthesizes in yosys with no latch, no multiple driver and no undriven net
//! (`check -assert`). Slow (yosys): a separate test target, run by `scripts/test.sh` in CI.
//! Tiny random models get the same checks in `hdl/tests/top.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned tool on PATH (scripts/test.sh puts `.tools/bin` there), or a failure saying how
/// to install it: no test is skipped silently.
fn tool(name: &str) -> PathBuf {
    let dirs = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .map(|d| d.join(name))
        .chain(std::iter::once(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(".tools/bin")
                .join(name),
        ))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} not found: run scripts/tools.sh (scripts/test.sh does it)")
        })
}

fn default_design_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verilog-checks");
    let model = golden::default_model::quantized();
    let activity = lcttfs::commands::gen::activity_for(&model);
    let d = hdl::plan::Design::new(
        model,
        hdl::plan::HwOptions::new(hdl::plan::Target::Generic),
        activity,
    )
    .unwrap();
    lcttfs::commands::gen::write_design(&d, &dir).unwrap();
    dir
}

#[test]
fn default_model_verilog_is_lint_clean_and_synthesizes_without_latches() {
    let dir = default_design_dir();
    let out = Command::new(tool("verilator"))
        .current_dir(&dir)
        .args([
            "--lint-only",
            "-Wall",
            "--top-module",
            "ttfs_top",
            "ttfs_top.v",
        ])
        .output()
        .unwrap();
    let log =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !log.contains("%Warning") && !log.contains("%Error"),
        "{log}"
    );

    // synth_ice40 maps the weight memories to block RAM (generic `synth` would flatten ~800 kbit
    // into flip-flops); `check -assert` fails on multiple drivers, undriven nets and loops.
    let stat_file = dir.join("synth_stat.txt");
    let script = format!(
        "read_verilog {}; synth_ice40 -top ttfs_top; check -assert; \
         select -assert-none t:*latch* t:*LATCH*; tee -o {} stat",
        dir.join("ttfs_top.v").display(),
        stat_file.display()
    );
    let out = Command::new(tool("yosys"))
        .current_dir(&dir)
        .args(["-q", "-p", &script])
        .output()
        .unwrap();
    let log =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "yosys: {log}");
    let stat = std::fs::read_to_string(&stat_file).unwrap();
    assert!(
        stat.contains("SB_RAM40_4K"),
        "weights are in block RAM:\n{stat}"
    );
    eprintln!("[verilog] default model, synth_ice40:\n{stat}");
}
