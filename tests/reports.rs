//! The human-readable reports: `report.md` of gen-verilog and `ttfs cosim` carries the same
//! figures as their JSON, `--json` prints nothing but JSON on stdout, and the summaries fit on
//! one screen. (Synth's report.md is checked by tests/synth.rs, on its place-and-route runs.)

mod common;

use common::{gen, save_random_model, tmp_in, ttfs};
use serde_json::Value;

/// The data rows of the Markdown table whose header row starts with `| {first}`.
fn table_rows<'a>(md: &'a str, first: &str) -> Vec<Vec<&'a str>> {
    let lines: Vec<&str> = md.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with(&format!("| {first} ")))
        .unwrap_or_else(|| panic!("no table starting with {first:?} in:\n{md}"));
    lines[start + 2..]
        .iter()
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect()
}

/// The value of the two-column facts row `| key | value |`.
fn fact<'a>(md: &'a str, key: &str) -> &'a str {
    md.lines()
        .find_map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            (cells.len() == 2 && cells[0] == key).then(|| cells[1])
        })
        .unwrap_or_else(|| panic!("no row {key:?} in:\n{md}"))
}

#[test]
fn gen_verilog_writes_report_md_with_the_layers_and_the_json_estimate() {
    let model = save_random_model(5, &[16, 12, 4], &tmp_in("reports", "m-16-12-4.json"));
    let out = tmp_in("reports", "gen");
    let args = [
        "--model",
        model.to_str().unwrap(),
        "--lanes",
        "4,2",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = gen(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(
        summary.lines().count() <= 25,
        "summary longer than a screen:\n{summary}"
    );
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    let rows = table_rows(&md, "layer");
    assert_eq!(rows.len(), 2, "{md}");
    for (row, layer) in rows.iter().zip(r["design"]["layers"].as_array().unwrap()) {
        assert_eq!(row[0], layer["layer"].to_string());
        assert_eq!(row[2], layer["outputs"].to_string(), "neurons");
        assert_eq!(row[3], layer["lanes"].to_string(), "lanes");
        assert_eq!(
            row[5],
            layer["events_per_cycle"].to_string(),
            "events per pass"
        );
        assert_eq!(row[8], layer["z_bits"].to_string(), "z bits");
    }
    assert_eq!(rows[0][3], "4");
    let est = r["design"]["est_cycles_per_sample"].as_f64().unwrap();
    assert!(
        fact(&md, "cycles per sample").starts_with(&format!("{est:.0} ")),
        "report.md and report.json disagree on {est}:\n{md}"
    );
    assert!(md.contains("estimates"), "report.md says what is estimated");

    // --json: stdout is report.json and nothing else.
    let o = gen(&[&args[..], &["--json"]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).expect("--json prints only JSON");
    assert_eq!(v["design"], r["design"]);
}

/// One small co-simulation (Verilator): report.md and cosim.json in --out, the mismatch count
/// in both, and `--json` stdout that is exactly cosim.json.
#[test]
fn cosim_writes_report_md_with_its_mismatch_count() {
    let model = save_random_model(6, &[16, 8, 4], &tmp_in("reports", "m-16-8-4.json"));
    let samples = tmp_in("reports", "samples.json");
    let xs: Vec<Vec<u32>> = (0..4)
        .map(|k| (0..16).map(|i| (i * 37 + k * 91) % 256).collect())
        .collect();
    std::fs::write(&samples, serde_json::json!({ "samples": xs }).to_string()).unwrap();
    let out = tmp_in("reports", "cosim");
    let o = ttfs(&[
        "cosim",
        "--model",
        model.to_str().unwrap(),
        "--input",
        samples.to_str().unwrap(),
        "--lanes",
        "2,1",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).expect("--json prints only JSON");
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("cosim.json")).unwrap()).unwrap();
    assert_eq!(v, file, "--json output and cosim.json differ");
    assert_eq!(v["samples"], 4);
    assert_eq!(v["mismatches"], 0);
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert_eq!(fact(&md, "samples"), "4", "{md}");
    assert_eq!(fact(&md, "class/framing mismatches"), "0", "{md}");
    assert_eq!(fact(&md, "spike mismatches"), "0", "{md}");
    let cycles = table_rows(&md, "figure");
    let measured = format!("{:.1}", v["cycles_per_sample"].as_f64().unwrap());
    assert!(
        cycles
            .iter()
            .any(|r| r[0] == "cycles per sample" && r[2] == measured),
        "report.md lacks measured cycles {measured}:\n{md}"
    );
    assert_eq!(table_rows(&md, "layer").len(), 2, "{md}");
}

/// `design` of the report.json that `gen-verilog ARGS --json` prints, run with `env`.
fn design_of(args: &[&str], env: &[(&str, &str)]) -> Value {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gen-verilog"))
        .args(args)
        .arg("--json")
        .envs(env.iter().copied())
        .output()
        .expect("run gen-verilog");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).expect("--json prints only JSON");
    r["design"].clone()
}

#[test]
fn the_default_gen_verilog_report_is_planned_on_the_mnist_fixture_as_before() {
    let out = tmp_in("reports", "gen-default");
    let out = out.to_str().unwrap();
    let d = design_of(&["--out", out], &[]);
    // The figures of the no-argument run before `--activity` existed.
    assert_eq!(
        d["activity"]["source"],
        "first 100 MNIST test images (golden model)"
    );
    assert_eq!(d["activity"]["samples"], 100);
    assert_eq!(
        d["activity"]["events_in"],
        serde_json::json!([136.35, 58.75])
    );
    let lanes: Vec<u64> = d["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lanes"].as_u64().unwrap())
        .collect();
    assert_eq!(lanes, vec![26, 1]);
    assert_eq!(d["est_cycles_per_sample"].as_f64().unwrap(), 825.75);
    assert_eq!(design_of(&["--out", out, "--activity", "auto"], &[]), d);
}

#[test]
fn activity_option_names_its_source_in_report_json() {
    let out = tmp_in("reports", "gen-activity");
    let out = out.to_str().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden/tests/fixtures/mnist-t10k-100-images-idx3-ubyte");
    let fixture = fixture.to_str().unwrap();
    let default = design_of(&["--out", out], &[]);
    let activity = |a: &str| design_of(&["--out", out, "--activity", a], &[])["activity"].clone();
    let mnist = activity("mnist");
    assert_eq!(
        mnist["source"],
        "first 100 MNIST test images (--activity mnist)"
    );
    let file = activity(fixture);
    assert_eq!(
        file["source"],
        format!("first 100 images of {fixture} (--activity FILE)")
    );
    // The same images as the default's: the same events.
    for a in [&mnist, &file] {
        assert_eq!(a["events_in"], default["activity"]["events_in"]);
    }
    let random = activity("random");
    assert_eq!(
        random["source"],
        "100 uniform random samples, seed 1 (--activity random)"
    );
    let worst = activity("worst-case");
    assert_eq!(
        worst["source"],
        "worst case: every input of every layer spikes (--activity worst-case)"
    );
    assert_eq!(worst["events_in"], serde_json::json!([784.0, 128.0]));
    // Uniform noise lights up most pixels: more input events than digits do.
    assert!(
        random["events_in"][0].as_f64().unwrap() > mnist["events_in"][0].as_f64().unwrap() + 300.0,
        "{random} vs {mnist}"
    );
}

/// A data root holding a Fashion-MNIST test split of 120 seeded random images (digits would do
/// as well: what matters is where the activity is read from).
fn synthetic_fashion_root() -> std::path::PathBuf {
    use rand::{Rng, SeedableRng};
    let root = tmp_in("reports", "data");
    let dir = root.join("fashion-mnist");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let n = 120;
    let pixels: Vec<u8> = (0..n * 784)
        .map(|_| if rng.gen_bool(0.4) { rng.gen() } else { 0 })
        .collect();
    let images = ndarray::Array2::from_shape_vec((n, 784), pixels).unwrap();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    golden::data::Dataset::new(images, labels, 28, 28)
        .unwrap()
        .save(
            &dir.join("t10k-images-idx3-ubyte"),
            &dir.join("t10k-labels-idx1-ubyte"),
        )
        .unwrap();
    root
}

#[test]
fn auto_activity_takes_the_dataset_the_model_records() {
    let out = tmp_in("reports", "gen-auto");
    let out = out.to_str().unwrap();
    let default = design_of(&["--out", out], &[]);
    let recording = |name: &str| {
        let mut m = golden::default_model::quantized();
        m.dataset = Some(name.parse().unwrap());
        let path = tmp_in("reports", &format!("default-{name}.json"));
        m.save(&path).unwrap();
        path
    };
    // MNIST: the committed fixture, the same events as the default model's.
    let mnist = recording("mnist");
    let d = design_of(&["--model", mnist.to_str().unwrap(), "--out", out], &[]);
    assert_eq!(
        d["activity"]["source"],
        "first 100 MNIST test images (model's dataset)"
    );
    assert_eq!(d["activity"]["events_in"], default["activity"]["events_in"]);
    assert_eq!(d["layers"], default["layers"]);
    // Fashion-MNIST: the first 100 test images under $LCTTFS_DATA, not the MNIST fixture.
    let root = synthetic_fashion_root();
    let env = [
        ("LCTTFS_DATA", root.to_str().unwrap()),
        ("LCTTFS_NO_SYSTEM_DATA", "1"),
    ];
    let fashion = recording("fashion-mnist");
    let fashion = fashion.to_str().unwrap();
    let d = design_of(&["--model", fashion, "--out", out], &env);
    assert_eq!(
        d["activity"]["source"],
        "first 100 Fashion-MNIST test images (model's dataset)"
    );
    assert_eq!(d["activity"]["samples"], 100);
    assert_ne!(d["activity"]["events_in"], default["activity"]["events_in"]);
    // --activity overrides the model's dataset.
    let d = design_of(
        &["--model", fashion, "--activity", "mnist", "--out", out],
        &env,
    );
    assert_eq!(d["activity"]["events_in"], default["activity"]["events_in"]);
}
