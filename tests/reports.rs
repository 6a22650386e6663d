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
        assert_eq!(row[7], layer["z_bits"].to_string(), "z bits");
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
