//! Helpers shared by the command-line tests (tests/cli.rs, tests/errors.rs,
//! tests/reports.rs): running the binaries, scratch files, the one-line error contract and
//! small valid models.
#![allow(dead_code)]

pub mod cosim_kit;

use golden::model::Model;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `ttfs args…`.
pub fn ttfs(args: &[&str]) -> Output {
    ttfs_env(args, &[])
}

/// Runs `ttfs args…` with extra environment variables.
pub fn ttfs_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ttfs"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run ttfs")
}

/// Runs `gen-verilog args…`.
pub fn gen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gen-verilog"))
        .args(args)
        .output()
        .expect("run gen-verilog")
}

/// stdout as JSON of a successful run.
pub fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "command failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// MNIST is fetched by scripts/fetch-mnist.sh (the README test command runs it). A missing
/// dataset fails the test with that instruction: no test is skipped silently.
pub fn require_mnist() {
    let dir = golden::data::dataset_dir(golden::data::DatasetKind::Mnist);
    assert!(
        golden::data::split_files(&dir, golden::data::Split::Test).is_some(),
        "MNIST is missing at {}: run scripts/fetch-mnist.sh (or scripts/test.sh, which does it)",
        dir.display()
    );
}

/// A scratch file path in a per-process folder (`tag` names the test binary).
pub fn tmp_in(tag: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ttfs-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Words that must never reach a user's terminal.
pub const CRASH_WORDS: [&str; 4] = [
    "panicked",
    "RUST_BACKTRACE",
    "internal error",
    "stack backtrace",
];

/// The error contract of a refused command: non-zero exit, stderr exactly one non-empty line
/// starting with `error: ` that contains `needle`, no panic or backtrace. Returns the line.
pub fn assert_one_error_line(what: &str, out: &Output, needle: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "{what}: should fail; stdout {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    for w in CRASH_WORDS {
        assert!(!err.contains(w), "{what}: stderr contains {w:?}: {err}");
    }
    let lines: Vec<&str> = err.trim_end_matches('\n').lines().collect();
    assert_eq!(lines.len(), 1, "{what}: one line on stderr, got {err:?}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].len() > "error: ".len(),
        "{what}: {:?} should start with `error: `",
        lines[0]
    );
    assert!(
        lines[0].contains(needle),
        "{what}: {:?} should name {needle:?}",
        lines[0]
    );
    lines[0].to_string()
}

/// A seeded valid model of the given widths (8-bit inputs and weights, T = 16, potential
/// readout).
pub fn random_model(seed: u64, widths: &[usize]) -> Model {
    golden::testkit::seeded_model(seed, widths)
}

/// [`random_model`] saved as `path`.
pub fn save_random_model(seed: u64, widths: &[usize], path: &Path) -> PathBuf {
    random_model(seed, widths).save(path).unwrap();
    path.to_path_buf()
}
