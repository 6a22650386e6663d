//! The README is a test: its main set-up command and every command of its walkthrough run as
//! written, in one shell, from the checkout root, with the default relative paths (`out/…`).
//! Only lines that need a board (`iceprog`, `openFPGALoader`) are left out. The second set-up
//! command (`scripts/test.sh`) is what runs this test, so it is not run again.
//!
//! Slow (a release build on first use, MNIST training, a UP5K place-and-route): a separate test
//! target, run by `scripts/test.sh` in CI. It needs the tools and data that `scripts/test.sh`
//! installs and fails with that instruction when they are missing.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Lines that talk to a board.
const NEEDS_A_BOARD: [&str; 2] = ["iceprog", "openFPGALoader"];

/// The command lines of the first ```sh block after `heading`, comments and blank lines
/// dropped.
fn commands_after(readme: &str, heading: &str) -> Vec<String> {
    let at = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?} section"));
    let rest = &readme[at..];
    let open = rest.find("```sh\n").expect("a ```sh block") + "```sh\n".len();
    let close = rest[open..].find("```").expect("a closed block") + open;
    rest[open..close]
        .lines()
        .map(|l| l.split(" #").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Runs `lines` in one `bash -e` from the checkout root (so `source` carries over), echoing
/// each; panics with the output when one fails.
fn run_in_one_shell(lines: &[String]) -> String {
    let mut script = String::from("set -euo pipefail\n");
    for l in lines {
        script.push_str(&format!("echo '+ {}' >&2\n{l}\n", l.replace('\'', "'\\''")));
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(ROOT)
        .output()
        .expect("run bash");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "a README command failed ({}):\n{text}",
        out.status
    );
    text
}

fn require_setup() {
    let tools = Path::new(ROOT).join(".tools/bin/yosys");
    assert!(
        tools.is_file(),
        "{} is missing: run scripts/tools.sh (or scripts/test.sh, which does it)",
        tools.display()
    );
    let data = golden::data::dataset_dir(golden::data::DatasetKind::Mnist);
    assert!(
        golden::data::split_files(&data, golden::data::Split::Test).is_some(),
        "MNIST is missing at {}: run scripts/fetch-mnist.sh (or scripts/test.sh, which does it)",
        data.display()
    );
}

#[test]
fn readme_commands_are_parsed_from_its_sh_blocks() {
    // The parser this test relies on: comments and blank lines go, commands stay whole.
    let md = "## Walkthrough\n\n```sh\nsource x.sh   # why\n# a comment\n\nttfs a --b c\n```\n";
    assert_eq!(
        commands_after(md, "## Walkthrough"),
        vec!["source x.sh".to_string(), "ttfs a --b c".to_string()]
    );
}

#[test]
fn setup_and_walkthrough_run_as_written_from_the_checkout_root() {
    require_setup();
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let setup = commands_after(&readme, "## Set-up: two commands");
    assert_eq!(setup.len(), 2, "two set-up commands: {setup:?}");
    assert_eq!(setup[0], "cargo run --release --bin gen-verilog");
    assert_eq!(
        setup[1], "scripts/test.sh",
        "the second one is what runs this test"
    );
    let walk = commands_after(&readme, "## Walkthrough: from training to bitstream");
    assert!(walk.len() >= 8, "{walk:?}");
    let (board, runnable): (Vec<String>, Vec<String>) = walk
        .into_iter()
        .partition(|l| NEEDS_A_BOARD.iter().any(|b| l.starts_with(b)));
    assert_eq!(
        board.len(),
        2,
        "only the two iceprog lines are left out: {board:?}"
    );

    let mut lines = vec![setup[0].clone()];
    lines.extend(runnable);
    let log = run_in_one_shell(&lines);

    // What the commands promise, at their default relative paths.
    let root = Path::new(ROOT);
    for f in [
        "out/ttfs_top/ttfs_top.v",
        "out/model.json",
        "out/plots/raster-sample0.svg",
        "out/mine/ttfs_top.v",
        "out/mine/report.md",
        "out/synth/ice40-up5k-icebreaker/board_top.bin",
        "out/synth/ice40-up5k-icebreaker/weights.bin",
        "out/synth/ice40-up5k-icebreaker/synth.json",
    ] {
        assert!(root.join(f).is_file(), "{f} was not written:\n{log}");
    }
    let synth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("out/synth/ice40-up5k-icebreaker/synth.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(synth["fits"], true, "{synth}");
    assert_eq!(synth["timing_met"], true, "{synth}");
}
