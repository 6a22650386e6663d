//! End-to-end tests of the `ttfs` command line: the commands of the golden-model issue on the
//! embedded default model, and a table of bad inputs that must each give one clear line and a
//! non-zero exit, never a panic.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ttfs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ttfs"))
        .args(args)
        .output()
        .expect("run ttfs")
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "ttfs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// MNIST is fetched by scripts/fetch-mnist.sh (the README test command runs it). A missing
/// dataset fails the test with that instruction: no test is skipped silently.
fn require_mnist() {
    let dir = golden::data::dataset_dir(golden::data::DatasetKind::Mnist);
    assert!(
        golden::data::split_files(&dir, golden::data::Split::Test).is_some(),
        "MNIST is missing at {}: run scripts/fetch-mnist.sh (or scripts/test.sh, which does it)",
        dir.display()
    );
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ttfs-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["train", "quantize", "eval", "sim", "bench"] {
        let out = ttfs(&[sub, "--help"]);
        assert!(out.status.success(), "{sub} --help");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{sub}"
        );
    }
}

#[test]
fn eval_of_default_model_has_no_snn_ann_mismatch_and_keeps_accuracy() {
    require_mnist();
    let r = stdout_json(&ttfs(&[
        "eval",
        "--dataset",
        "mnist",
        "--limit",
        "500",
        "--json",
    ]));
    for key in [
        "samples",
        "float_acc",
        "ann_acc",
        "snn_acc",
        "snn_ann_mismatches",
        "spikes_per_neuron",
        "sop_per_sample",
        "mac_per_sample",
    ] {
        assert!(r.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(r["samples"], 500);
    assert_eq!(r["snn_ann_mismatches"], 0);
    assert_eq!(
        r["ann_acc"], r["snn_acc"],
        "the SNN computes the integer ANN exactly"
    );
    assert!(r["ann_acc"].as_f64().unwrap() >= 0.97, "{r}");
    // 784·128 + 128·10 dense MACs.
    assert_eq!(r["mac_per_sample"].as_f64().unwrap(), 101_632.0);
    assert!(r["sop_per_sample"].as_f64().unwrap() < r["mac_per_sample"].as_f64().unwrap());
}

#[test]
fn sim_prints_every_layer_with_spike_ticks_encoding_l_plus_1_minus_a() {
    // Two samples for the default 784-input model: all zeros, all 255.
    let path = tmp("samples.json");
    let zeros = vec![0; 784];
    let full = vec![255; 784];
    std::fs::write(
        &path,
        serde_json::json!({ "samples": [zeros, full] }).to_string(),
    )
    .unwrap();
    let r = stdout_json(&ttfs(&["sim", "--input", path.to_str().unwrap()]));
    let samples = r["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 2);
    let t = 16;
    for s in samples {
        let layers = s["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 3, "input + 2 layers");
        for (l, layer) in layers.iter().enumerate() {
            let q = layer["q"].as_array().unwrap();
            let ticks = layer["spike_ticks"].as_array().unwrap();
            for (qi, ti) in q.iter().zip(ticks) {
                // t = (l+1)·T − q
                assert_eq!(
                    ti.as_u64().unwrap(),
                    (l as u64 + 1) * t - qi.as_u64().unwrap()
                );
            }
        }
        assert_eq!(s["potentials"].as_array().unwrap().len(), 10);
        assert!(s["class"].as_u64().unwrap() < 10);
    }
    // x = 0 encodes to q0 = (0·16 + 128) >> 8 = 0; x = 255 to (4080 + 128) >> 8 = 16.
    assert!(samples[0]["layers"][0]["q"]
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q == 0));
    assert!(samples[1]["layers"][0]["q"]
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q == 16));
}

#[test]
fn train_quantize_eval_round_trip_on_a_small_run() {
    require_mnist();
    let float = tmp("float.json");
    let quant = tmp("quant.json");
    let out = ttfs(&[
        "train",
        "--dataset",
        "mnist",
        "--hidden",
        "16",
        "--epochs",
        "1",
        "--limit",
        "2000",
        "--out",
        float.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ttfs(&[
        "quantize",
        "--model",
        float.to_str().unwrap(),
        "--weight-bits",
        "6",
        "--out",
        quant.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = golden::model::Model::load(&quant).expect("quantized model is valid");
    assert_eq!(
        m.layers.iter().map(|l| l.weight_bits).collect::<Vec<_>>(),
        vec![6, 6]
    );
    let r = stdout_json(&ttfs(&[
        "eval",
        "--model",
        quant.to_str().unwrap(),
        "--float-model",
        float.to_str().unwrap(),
        "--dataset",
        "mnist",
        "--limit",
        "300",
        "--json",
        "--sim",
        "event",
    ]));
    assert_eq!(r["snn_ann_mismatches"], 0);
    assert!(r["float_acc"].as_f64().is_some());
    assert!(
        r["ann_acc"].as_f64().unwrap() > 0.5,
        "a 16-neuron net learns something in one epoch: {r}"
    );
}

/// Runs a bad command and checks the contract: non-zero exit, one line on stderr that
/// contains `needle`, no panic or backtrace.
fn refused(args: &[&str], needle: &str) {
    let out = ttfs(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(
        err.contains(needle),
        "{args:?}: stderr {err:?} should contain {needle:?}"
    );
    assert!(
        !err.contains("panicked")
            && !err.contains("RUST_BACKTRACE")
            && !err.contains("internal error"),
        "{err}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: one line, got {err:?}"
    );
}

#[test]
fn bad_inputs_get_one_clear_line_and_a_nonzero_exit() {
    let missing = "/nonexistent/model.json";
    refused(
        &["eval", "--model", missing, "--dataset", "mnist"],
        "cannot read model file /nonexistent/model.json",
    );
    let trunc = tmp("trunc.json");
    std::fs::write(
        &trunc,
        "{\"format\": \"lcttfs-model\", \"version\": 1, \"layers\": [",
    )
    .unwrap();
    refused(
        &[
            "sim",
            "--model",
            trunc.to_str().unwrap(),
            "--input",
            "x.json",
        ],
        "not valid lcttfs-model JSON",
    );
    let text = golden::default_model::quantized()
        .to_json_string()
        .replacen("\"time_steps\": 16", "\"time_steps\": 12", 1);
    let bad_t = tmp("bad_t.json");
    std::fs::write(&bad_t, text).unwrap();
    refused(
        &[
            "sim",
            "--model",
            bad_t.to_str().unwrap(),
            "--input",
            "x.json",
        ],
        "time_steps = 12",
    );

    let samples = tmp("short.json");
    std::fs::write(&samples, r#"{"samples": [[1, 2, 3]]}"#).unwrap();
    refused(
        &["sim", "--input", samples.to_str().unwrap()],
        "samples[0]: sample has 3 values but the model takes 784",
    );
    let big = tmp("big.json");
    let mut x = vec![0; 784];
    x[5] = 300;
    std::fs::write(&big, serde_json::json!({ "samples": [x] }).to_string()).unwrap();
    refused(
        &["sim", "--input", big.to_str().unwrap()],
        "x[5] = 300 does not fit input_bits = 8",
    );
    let nonjson = tmp("nonjson.json");
    std::fs::write(&nonjson, "samples: 1").unwrap();
    refused(
        &["sim", "--input", nonjson.to_str().unwrap()],
        "is not valid JSON",
    );
    refused(
        &["sim", "--input", "/nonexistent/s.json"],
        "cannot read samples file",
    );

    let q = tmp("q.json");
    golden::default_model::quantized().save(&q).unwrap();
    refused(
        &[
            "quantize",
            "--model",
            q.to_str().unwrap(),
            "--out",
            "/tmp/never.json",
        ],
        "already quantized",
    );
    refused(&["eval", "--dataset", "mnist", "--limit", "0"], "--limit 0");

    // A dataset directory that does not exist.
    let out = Command::new(env!("CARGO_BIN_EXE_ttfs"))
        .args(["eval", "--dataset", "mnist"])
        .env("LCTTFS_DATA", "/nonexistent-data")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("scripts/fetch-mnist.sh"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn unknown_dataset_and_option_are_refused_by_the_parser() {
    let out = ttfs(&["eval", "--dataset", "cifar"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown dataset \"cifar\""));
    let _ = Path::new(".");
}

fn gen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gen-verilog"))
        .args(args)
        .output()
        .expect("run gen-verilog")
}

#[test]
fn gen_verilog_writes_the_default_accelerator_with_its_report() {
    let out = tmp("gen-default");
    let o = gen(&["--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = std::fs::read_to_string(out.join("ttfs_top.v")).unwrap();
    assert!(v.contains("module ttfs_top"));
    assert!(
        out.join("l1_c0.hex").is_file(),
        "weight memory images next to the Verilog"
    );
    let m = golden::model::Model::load(&out.join("model.json")).unwrap();
    assert_eq!(m, golden::default_model::quantized());
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert!(r["note"].as_str().unwrap().contains("estimates"));
    let layers = r["design"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    // z bits from the bound (785·2^7·16 = 1 607 680 → 22 signed bits), never guessed.
    assert_eq!(layers[0]["z_bits"], 22);
    assert!(r["design"]["est_cycles_per_sample"].as_f64().unwrap() > 784.0);
}

#[test]
fn gen_verilog_refuses_bad_options_in_one_line() {
    let refused_gen = |args: &[&str], needle: &str| {
        let o = gen(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(
            err.contains(needle),
            "{args:?}: {err:?} should contain {needle:?}"
        );
        assert!(!err.contains("panicked"), "{err}");
    };
    let out = tmp("gen-bad");
    let o = out.to_str().unwrap();
    refused_gen(&["--lanes", "200,2", "--out", o], "layer 1: 200 lanes");
    refused_gen(
        &["--lanes", "8", "--out", o],
        "--lanes has 1 values but the model has 2 layers",
    );
    refused_gen(&["--lanes", "0,1", "--out", o], "layer 1: 0 lanes");
    refused_gen(
        &["--target", "virtex", "--out", o],
        "unknown target \"virtex\"",
    );
    refused_gen(
        &["--target", "ecp5-25k", "--lanes", "128,10", "--out", o],
        "ecp5-25k has 56",
    );
    refused_gen(
        &["--model", "/nonexistent.json", "--out", o],
        "cannot read model file",
    );
    let bad = tmp("gen-bad-model.json");
    std::fs::write(
        &bad,
        golden::default_model::quantized()
            .to_json_string()
            .replacen("\"bias\": [", "\"bias\": [1000,", 1),
    )
    .unwrap();
    refused_gen(&["--model", bad.to_str().unwrap(), "--out", o], "layer 1");
}
