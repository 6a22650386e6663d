//! End-to-end tests of the `ttfs` command line: the commands of the golden-model issue on the
//! embedded default model. Bad inputs are the table of tests/errors.rs.

mod common;

use common::{gen, require_mnist, stdout_json, ttfs};
use serde_json::Value;
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    common::tmp_in("cli", name)
}

/// `ttfs quantize --model MODEL --weight-bits BITS --out OUT`.
fn quantize_to(model: &str, bits: &str, out: &str) -> std::process::Output {
    ttfs(&[
        "quantize",
        "--model",
        model,
        "--weight-bits",
        bits,
        "--out",
        out,
    ])
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
fn train_quantize_eval_round_trip_on_a_small_run_and_the_model_keeps_its_dataset() {
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
    let out = quantize_to(float.to_str().unwrap(), "6", quant.to_str().unwrap());
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
    // train records the dataset, quantize carries it from the float model.
    let mnist = Some(golden::data::DatasetKind::Mnist);
    match golden::model::AnyModel::load(&float).unwrap() {
        golden::model::AnyModel::Float(f) => assert_eq!(f.dataset, mnist),
        other => panic!("train writes a float model: {other:?}"),
    }
    assert_eq!(m.dataset, mnist);
    assert!(std::fs::read_to_string(&quant)
        .unwrap()
        .contains("\"dataset\": \"mnist\""));
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

#[test]
fn train_arch_writes_a_version_2_conv_model_that_eval_runs_without_mismatch() {
    require_mnist();
    let float = tmp("arch-float.json");
    let quant = tmp("arch-quant.json");
    let out = ttfs(&[
        "train",
        "--dataset",
        "mnist",
        "--arch",
        "conv:4:5:pad=2,maxpool:2,conv:6:3,avgpool:2,dense:10",
        "--epochs",
        "2",
        "--limit",
        "3000",
        "--out",
        float.to_str().unwrap(),
        "--out-quantized",
        quant.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1x28x28 → conv:4:5:pad=2,maxpool:2,conv:6:3,avgpool:2,dense:10"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&quant).unwrap();
    assert!(
        text.contains("\"version\": 2"),
        "a conv model is a version-2 file"
    );
    let m = golden::model::Model::load(&quant).expect("the quantized model validates");
    // The average pool is folded into the dense layer: conv2d, maxpool2d, conv2d, dense.
    let kinds: Vec<&str> = m.layers.iter().map(|l| l.kind.name()).collect();
    assert_eq!(kinds, ["conv2d", "maxpool2d", "conv2d", "dense"]);
    assert_eq!(m.layers[3].inputs, 6 * 12 * 12);
    let r = stdout_json(&ttfs(&[
        "eval",
        "--model",
        quant.to_str().unwrap(),
        "--dataset",
        "mnist",
        "--limit",
        "200",
        "--json",
    ]));
    assert_eq!(r["snn_ann_mismatches"], 0);
    assert!(
        r["ann_acc"].as_f64().unwrap() > 0.5,
        "a small conv net learns: {r}"
    );
}

#[test]
fn unknown_dataset_and_option_are_refused_by_the_parser() {
    let out = ttfs(&["eval", "--dataset", "cifar"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown dataset \"cifar\""));
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
    // z bits from the weights' own bound (max(Σ w⁺, Σ |w⁻|)·T = 3 183·16 = 50 928 → 17 signed
    // bits; DESIGN §2's 785·2^7·16 would give 22), never guessed.
    assert_eq!(layers[0]["z_bound"], 50_928);
    assert_eq!(layers[0]["z_bits"], 17);
    assert!(r["design"]["est_cycles_per_sample"].as_f64().unwrap() > 784.0);
}

#[test]
fn a_closed_pipe_ends_gen_verilog_quietly_with_status_0() {
    // `gen-verilog --json | head -1`: the reader is gone before the report is printed. That
    // is not a bug of the tool: no "internal error", no panic text, status 0.
    use std::process::{Command, Stdio};
    let out = tmp("gen-pipe");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gen-verilog"))
        .args(["--json", "--out", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{:?}: {err}", o.status);
    assert!(
        !err.contains("internal error") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn a_version_2_dense_file_generates_the_same_verilog_as_version_1() {
    // DESIGN §3 version 2: the default model with its input_shape [1, 28, 28].
    let v1 = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/models/default.json"),
    )
    .unwrap();
    let mut v: Value = serde_json::from_str(&v1).unwrap();
    v["version"] = serde_json::json!(2);
    v["input_shape"] = serde_json::json!([1, 28, 28]);
    let v2 = tmp("default-v2.json");
    std::fs::write(&v2, v.to_string()).unwrap();
    let (out1, out2) = (tmp("gen-v1"), tmp("gen-v2"));
    for (model, out) in [(None, &out1), (Some(&v2), &out2)] {
        let mut args = vec!["--out", out.to_str().unwrap()];
        if let Some(m) = model {
            args.extend(["--model", m.to_str().unwrap()]);
        }
        let o = gen(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let read = |d: &PathBuf| std::fs::read_to_string(d.join("ttfs_top.v")).unwrap();
    assert_eq!(read(&out1), read(&out2));
}

/// `ttfs train --weight-bits N` trains the weights quantization-aware and writes their exact
/// grid values: `ttfs quantize --weight-bits N` of that file is, byte for byte, the integer
/// model the training produced (`--out-quantized`).
#[test]
fn train_with_weight_bits_writes_a_float_model_that_quantizes_to_the_trained_model_bit_for_bit() {
    require_mnist();
    let float = tmp("qat-float.json");
    let trained = tmp("qat-trained.json");
    let again = tmp("qat-again.json");
    let out = ttfs(&[
        "train",
        "--dataset",
        "mnist",
        "--hidden",
        "16",
        "--epochs",
        "1",
        "--limit",
        "1000",
        "--seed",
        "3",
        "--weight-bits",
        "4",
        "--out",
        float.to_str().unwrap(),
        "--out-quantized",
        trained.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("integer ANN at 4 bits"), "{stdout}");
    assert!(stdout.contains("worst rounding error 0.00e0"), "{stdout}");
    let out = quantize_to(float.to_str().unwrap(), "4", again.to_str().unwrap());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, b) = (
        std::fs::read(&trained).unwrap(),
        std::fs::read(&again).unwrap(),
    );
    assert!(
        a == b,
        "quantizing the QAT float file must reproduce the trained model"
    );
    let m = golden::model::Model::load(&again).unwrap();
    assert!(m.layers.iter().all(|l| l.weight_bits == 4));
}

/// `--model` takes a built-in name: `mnist-mlp` is the default, `mnist-mlp-w4` its 4-bit
/// twin, `mnist-cnn` a conv model; `ttfs quantize --model NAME` quantizes the built-in float
/// source back to it.
#[test]
fn builtin_model_names_load_and_quantize_back_to_themselves() {
    require_mnist();
    let eval = |model: Option<&str>| {
        let mut args = vec!["eval", "--dataset", "mnist", "--limit", "200", "--json"];
        if let Some(m) = model {
            args.extend(["--model", m]);
        }
        stdout_json(&ttfs(&args))
    };
    assert_eq!(eval(Some("mnist-mlp")), eval(None));
    let w4 = eval(Some("mnist-mlp-w4"));
    assert_eq!(w4["snn_ann_mismatches"], 0);
    assert_eq!(w4["ann_acc"], w4["snn_acc"]);
    assert!(w4["snn_acc"].as_f64().unwrap() >= 0.95, "{w4}");
    // The CNN built-in (a version-2 conv/maxpool model) runs under its name too.
    let cnn = eval(Some("mnist-cnn"));
    assert_eq!(cnn["snn_ann_mismatches"], 0);
    assert!(cnn["snn_acc"].as_f64().unwrap() >= 0.97, "{cnn}");
    for (name, bits) in [
        ("mnist-mlp", "8"),
        ("mnist-mlp-w4", "4"),
        ("mnist-cnn", "8"),
    ] {
        let out = tmp(&format!("{name}-requantized.json"));
        let o = quantize_to(name, bits, out.to_str().unwrap());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let want = golden::builtin::find(name).unwrap().quantized();
        assert_eq!(golden::model::Model::load(&out).unwrap(), want, "{name}");
    }
}

/// A file that exists wins over a built-in name of the same spelling.
#[test]
fn an_existing_file_wins_over_a_builtin_name() {
    let dir = tmp("file-named-like-a-builtin");
    std::fs::create_dir_all(&dir).unwrap();
    // A file called mnist-mlp-w4 that holds the 8-bit default model.
    golden::default_model::quantized()
        .save(&dir.join("mnist-mlp-w4"))
        .unwrap();
    let run = |cwd: &std::path::Path, out: &std::path::Path| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_gen-verilog"))
            .args(["--model", "mnist-mlp-w4", "--out", out.to_str().unwrap()])
            .current_dir(cwd)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        golden::model::Model::load(&out.join("model.json")).unwrap()
    };
    let from_file = run(&dir, &tmp("gen-file-wins"));
    assert_eq!(from_file, golden::default_model::quantized());
    let from_name = run(&std::env::temp_dir(), &tmp("gen-builtin-name"));
    assert_eq!(
        from_name,
        golden::builtin::find("mnist-mlp-w4").unwrap().quantized()
    );
}
