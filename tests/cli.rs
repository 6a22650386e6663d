//! End-to-end tests of the `ttfs` command line: the commands of the golden-model issue on the
//! embedded default model. Bad inputs are the table of tests/errors.rs.

mod common;

use common::{gen, require_mnist, stdout_json, ttfs};
use serde_json::Value;
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    common::tmp_in("cli", name)
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
    // z bits from the bound (785·2^7·16 = 1 607 680 → 22 signed bits), never guessed.
    assert_eq!(layers[0]["z_bits"], 22);
    assert!(r["design"]["est_cycles_per_sample"].as_f64().unwrap() > 784.0);
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
