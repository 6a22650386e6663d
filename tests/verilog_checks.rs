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

fn default_design_dir(target: hdl::plan::Target) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("verilog-checks-{target}"));
    let model = golden::default_model::quantized();
    let activity = lcttfs::commands::gen::activity_for(&model);
    let d = hdl::plan::Design::new(model, hdl::plan::HwOptions::new(target), activity).unwrap();
    lcttfs::commands::gen::write_design(&d, &dir).unwrap();
    dir
}

/// `verilator --lint-only -Wall` of `dir/ttfs_top.v`: no warning, no error.
fn lint_clean(dir: &Path) {
    let out = Command::new(tool("verilator"))
        .current_dir(dir)
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
}

/// `synth_ice40` (with DSP mapping) of `dir/ttfs_top.v` passes `check -assert` with no latch;
/// returns yosys' `stat`.
fn synth_ice40_clean(dir: &Path, extra: &str) -> String {
    let stat_file = dir.join("synth_stat.txt");
    let script = format!(
        "read_verilog {}; synth_ice40 -top ttfs_top {extra}; check -assert; \
         select -assert-none t:*latch* t:*LATCH*; tee -o {} stat",
        dir.join("ttfs_top.v").display(),
        stat_file.display()
    );
    let out = Command::new(tool("yosys"))
        .current_dir(dir)
        .args(["-q", "-p", &script])
        .output()
        .unwrap();
    let log =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "yosys: {log}");
    std::fs::read_to_string(&stat_file).unwrap()
}

/// UP5K: layer 1's weights in the four SPRAMs (the behavioural model inside `ifndef SYNTHESIS`
/// keeps Verilator happy and is invisible to yosys, which maps the real cell).
#[test]
fn up5k_default_model_is_lint_clean_and_maps_layer_1_to_the_four_sprams() {
    let dir = default_design_dir(hdl::plan::Target::Ice40Up5k);
    lint_clean(&dir);
    let stat = synth_ice40_clean(&dir, "");
    let count = |cell: &str| {
        stat.lines()
            .find(|l| l.split_whitespace().last() == Some(cell))
            .and_then(|l| l.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    assert_eq!(count("SB_SPRAM256KA"), 4, "{stat}");
    eprintln!("[verilog] default model, ice40-up5k, synth_ice40:\n{stat}");
}

#[test]
fn default_model_verilog_is_lint_clean_and_synthesizes_without_latches() {
    let dir = default_design_dir(hdl::plan::Target::Generic);
    lint_clean(&dir);
    // synth_ice40 maps the weight memories to block RAM (generic `synth` would flatten ~800 kbit
    // into flip-flops); `check -assert` fails on multiple drivers, undriven nets and loops.
    let stat = synth_ice40_clean(&dir, "");
    assert!(
        stat.contains("SB_RAM40_4K"),
        "weights are in block RAM:\n{stat}"
    );
    eprintln!("[verilog] default model, synth_ice40:\n{stat}");
}

#[test]
fn mnist_cnn_verilog_is_lint_clean_and_synthesizes_without_latches() {
    // The conv stages (coordinate ROM, kernel walk, pooled conversion) of the built-in CNN.
    let model = golden::builtin::find("mnist-cnn").unwrap().quantized();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verilog-checks-mnist-cnn");
    std::fs::create_dir_all(&dir).unwrap();
    let activity = hdl::plan::Activity::worst_case(&model);
    let d = hdl::plan::Design::new(
        model,
        hdl::plan::HwOptions::new(hdl::plan::Target::Generic),
        activity,
    )
    .unwrap();
    lcttfs::commands::gen::write_design(&d, &dir).unwrap();
    lint_clean(&dir);
    let stat = synth_ice40_clean(&dir, "");
    eprintln!("[verilog] mnist-cnn, synth_ice40:\n{stat}");
}
