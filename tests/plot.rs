//! End-to-end tests of `ttfs plot`: the raster and the sweep write a well-formed SVG and PNG,
//! the sweep shows the integer ANN and the SNN agreeing at every T, and bad inputs get one line
//! and a non-zero exit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ttfs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ttfs"))
        .args(args)
        .output()
        .expect("run ttfs")
}

/// MNIST is fetched by scripts/fetch-mnist.sh (scripts/test.sh runs it): a missing dataset fails
/// the test with that instruction rather than skipping it silently.
fn require_mnist() {
    let dir = golden::data::dataset_dir(golden::data::DatasetKind::Mnist);
    assert!(
        golden::data::split_files(&dir, golden::data::Split::Test).is_some(),
        "MNIST is missing at {}: run scripts/fetch-mnist.sh (or scripts/test.sh, which does it)",
        dir.display()
    );
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("ttfs-plot-{}", std::process::id()))
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "ttfs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Checks an SVG's header and that it names every label; returns its text.
fn check_svg(path: &Path, labels: &[&str]) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let head = text.trim_start();
    assert!(
        head.starts_with("<svg") || head.starts_with("<?xml"),
        "{} does not start like an SVG: {:?}",
        path.display(),
        &head[..head.len().min(60)]
    );
    assert!(
        text.trim_end().ends_with("</svg>"),
        "{} is truncated",
        path.display()
    );
    for label in labels {
        assert!(
            text.contains(label),
            "{} lacks the label {label:?}",
            path.display()
        );
    }
}

/// Checks the PNG signature and the IHDR size.
fn check_png(path: &Path, (width, height): (u32, u32)) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{}: PNG magic",
        path.display()
    );
    assert_eq!(&bytes[12..16], b"IHDR", "{}: first chunk", path.display());
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!(
        (be(16), be(20)),
        (width, height),
        "{}: size",
        path.display()
    );
}

#[test]
fn raster_of_default_model_writes_svg_and_png_with_every_layer_labelled() {
    require_mnist();
    let dir = tmp_dir("raster");
    let out = stdout_of(&ttfs(&[
        "plot",
        "raster",
        "--sample",
        "0",
        "--out",
        dir.to_str().unwrap(),
    ]));
    let (svg, png) = (
        dir.join("raster-sample0.svg"),
        dir.join("raster-sample0.png"),
    );
    assert!(out.contains(&svg.display().to_string()), "{out}");
    assert!(out.contains(&png.display().to_string()), "{out}");
    assert!(out.contains("predicted 7, true 7"), "{out}");
    check_svg(
        &svg,
        &[
            "input encoder (784)",
            "hidden 1 (128)",
            "output (10)",
            "predicted 7, true 7",
        ],
    );
    check_png(&png, (1200, 900));
}

#[test]
fn sweep_shows_integer_ann_and_snn_with_equal_accuracy_at_every_t() {
    require_mnist();
    let dir = tmp_dir("sweep");
    let out = stdout_of(&ttfs(&[
        "plot",
        "sweep",
        "--dataset",
        "mnist",
        "--limit",
        "200",
        "--out",
        dir.to_str().unwrap(),
    ]));
    // Table rows: T, float %, quantized %, SNN %, spikes/neuron, mismatches.
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.len() == 6 && w[0].parse::<u32>().is_ok())
        .collect();
    let ts: Vec<u32> = rows.iter().map(|w| w[0].parse().unwrap()).collect();
    assert_eq!(ts, vec![2, 4, 8, 16, 32, 64, 128, 256], "{out}");
    for w in &rows {
        assert_eq!(w[2], w[3], "T = {}: quantized vs SNN accuracy\n{out}", w[0]);
        assert_eq!(w[5], "0", "T = {}: SNN/ANN mismatches\n{out}", w[0]);
        let spikes: f64 = w[4].parse().unwrap();
        assert!(
            spikes > 0.0 && spikes <= 1.0,
            "T = {}: {spikes} spikes/neuron",
            w[0]
        );
    }
    assert!(out.contains("200 test samples"), "{out}");
    check_svg(
        &dir.join("sweep.svg"),
        &[
            "accuracy",
            "spikes per neuron",
            "integer ANN",
            "golden SNN",
            "float ReLU1",
        ],
    );
    check_png(&dir.join("sweep.png"), (1300, 560));
}

#[test]
fn sweep_over_weight_bits_shows_ann_and_snn_equal_at_every_width_and_prints_json() {
    require_mnist();
    let dir = tmp_dir("sweep-bits");
    let d = dir.to_str().unwrap();
    let args = [
        "plot",
        "sweep",
        "--dataset",
        "mnist",
        "--over",
        "weight-bits",
        "--limit",
        "200",
        "--out",
        d,
    ];
    let out = stdout_of(&ttfs(&args));
    // Table rows: bits, float %, quantized %, SNN %, spikes/neuron, mismatches.
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.len() == 6 && w[0].parse::<u32>().is_ok())
        .collect();
    let bits: Vec<u32> = rows.iter().map(|w| w[0].parse().unwrap()).collect();
    assert_eq!(bits, (2..=8).collect::<Vec<_>>(), "{out}");
    for w in &rows {
        assert_eq!(
            w[2], w[3],
            "{} bits: quantized vs SNN accuracy\n{out}",
            w[0]
        );
        assert_eq!(w[5], "0", "{} bits: SNN/ANN mismatches\n{out}", w[0]);
    }
    assert!(out.contains("T = 16"), "{out}");
    check_svg(
        &dir.join("sweep-weight-bits.svg"),
        &[
            "accuracy",
            "weight bits",
            "integer ANN",
            "golden SNN",
            "float ReLU1",
        ],
    );
    check_png(&dir.join("sweep-weight-bits.png"), (1300, 560));

    // --json: the same figures, one point per width; 8 bits is the embedded default model.
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let r: serde_json::Value = serde_json::from_str(&stdout_of(&ttfs(&json_args))).unwrap();
    assert_eq!(r["over"], "weight_bits");
    assert_eq!(
        (r["samples"].as_u64(), r["trained_t"].as_u64()),
        (Some(200), Some(16))
    );
    assert!(r["weight_bits"].is_null(), "{r}");
    let points = r["points"].as_array().unwrap();
    let widths: Vec<u64> = points
        .iter()
        .map(|p| p["weight_bits"].as_u64().unwrap())
        .collect();
    assert_eq!(widths, (2..=8).collect::<Vec<_>>());
    for (p, w) in points.iter().zip(&rows) {
        assert_eq!(p["time_steps"], 16);
        assert_eq!(p["mismatches"], 0);
        assert_eq!(p["quantized_acc"], p["snn_acc"]);
        assert_eq!(
            format!("{:.2}%", 100.0 * p["snn_acc"].as_f64().unwrap()),
            w[3]
        );
        assert_eq!(p["frac_bits"].as_array().unwrap().len(), 2);
    }
    assert_eq!(
        points[6]["frac_bits"],
        serde_json::json!([7, 7]),
        "the default's 8-bit F"
    );

    // Over T, the JSON carries the fixed weight bits and one point per T.
    let t_json = stdout_of(&ttfs(&[
        "plot",
        "sweep",
        "--dataset",
        "mnist",
        "--limit",
        "20",
        "--json",
        "--out",
        d,
    ]));
    let r: serde_json::Value = serde_json::from_str(&t_json).unwrap();
    assert_eq!(
        (r["over"].as_str(), r["weight_bits"].as_u64()),
        (Some("time_steps"), Some(8))
    );
    let ts: Vec<u64> = r["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["time_steps"].as_u64().unwrap())
        .collect();
    assert_eq!(ts, vec![2, 4, 8, 16, 32, 64, 128, 256]);
}

/// `args` fails with a non-zero exit and exactly one line on stderr containing `needle`.
fn refused(args: &[&str], needle: &str) {
    let out = ttfs(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in {err:?}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: one line, got {err:?}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("internal error"),
        "{err}"
    );
}

#[test]
fn bad_plot_inputs_get_one_line_and_a_nonzero_exit() {
    require_mnist();
    let dir = tmp_dir("bad");
    let out = dir.to_str().unwrap();
    refused(
        &["plot", "raster", "--sample", "10000", "--out", out],
        "--sample 10000 is out of range: the mnist test set has 10000 samples",
    );
    refused(
        &["plot", "raster", "--sample", "-1", "--out", out],
        "--sample -1 is out of range",
    );
    refused(
        &[
            "plot",
            "raster",
            "--sample",
            "0",
            "--dataset",
            "cifar",
            "--out",
            out,
        ],
        "unknown dataset \"cifar\"",
    );
    refused(
        &["plot", "sweep", "--dataset", "cifar", "--out", out],
        "unknown dataset \"cifar\"",
    );
    refused(
        &[
            "plot",
            "sweep",
            "--dataset",
            "mnist",
            "--limit",
            "0",
            "--out",
            out,
        ],
        "--limit 0",
    );

    // An output "directory" below a regular file cannot be created (even by root).
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let below = file.join("plots");
    refused(
        &[
            "plot",
            "raster",
            "--sample",
            "0",
            "--out",
            below.to_str().unwrap(),
        ],
        "cannot create output directory",
    );
    refused(
        &[
            "plot",
            "sweep",
            "--dataset",
            "mnist",
            "--limit",
            "10",
            "--out",
            below.to_str().unwrap(),
        ],
        "cannot create output directory",
    );

    let not_model = dir.join("not-a-model.json");
    std::fs::write(&not_model, r#"{"format": "something-else", "version": 1}"#).unwrap();
    let not_model = not_model.to_str().unwrap();
    refused(
        &[
            "plot", "raster", "--model", not_model, "--sample", "0", "--out", out,
        ],
        "not-a-model.json",
    );
    refused(
        &[
            "plot",
            "sweep",
            "--dataset",
            "mnist",
            "--model-float",
            not_model,
            "--out",
            out,
        ],
        "not-a-model.json",
    );
    let quantized = dir.join("quantized.json");
    golden::default_model::quantized().save(&quantized).unwrap();
    refused(
        &[
            "plot",
            "sweep",
            "--dataset",
            "mnist",
            "--model-float",
            quantized.to_str().unwrap(),
            "--out",
            out,
        ],
        "is a quantized model, not a float one",
    );
    refused(
        &[
            "plot",
            "raster",
            "--model",
            "/nonexistent/m.json",
            "--sample",
            "0",
            "--out",
            out,
        ],
        "cannot read model file /nonexistent/m.json",
    );
}

/// The README's figures (`docs/img/`) are what `ttfs plot` draws for the default model today,
/// byte for byte: documentation that cannot drift from the tool. Regenerate them with
/// `ttfs plot raster --sample 0 --out docs/img` and `ttfs plot sweep --dataset mnist --out docs/img`.
#[test]
fn readme_figures_are_what_ttfs_plot_draws_for_the_default_model() {
    require_mnist();
    let dir = tmp_dir("readme");
    let d = dir.to_str().unwrap();
    stdout_of(&ttfs(&["plot", "raster", "--sample", "0", "--out", d]));
    stdout_of(&ttfs(&["plot", "sweep", "--dataset", "mnist", "--out", d]));
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/img");
    for name in [
        "raster-sample0.svg",
        "raster-sample0.png",
        "sweep.svg",
        "sweep.png",
    ] {
        let want =
            std::fs::read(docs.join(name)).unwrap_or_else(|e| panic!("docs/img/{name}: {e}"));
        let got = std::fs::read(dir.join(name)).unwrap();
        assert!(
            got == want,
            "docs/img/{name} is stale: regenerate it with ttfs plot (see this test's comment)"
        );
    }
}
