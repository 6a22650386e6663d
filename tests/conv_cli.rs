//! The command line on version-2 convolution / pooling models (DESIGN §2.1): `sim`, `eval`,
//! `bench` and `plot raster` run them through the golden model; the hardware generator builds
//! them, and refuses in one line naming the file and the layer what it cannot build.

mod common;

use common::{assert_one_error_line, gen, require_mnist, stdout_json, tmp_in, ttfs};
use golden::forward::forward;
use golden::model::Model;
use serde_json::{json, Value};
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    tmp_in("conv-cli", name)
}

/// A hand-written 1×4×4 → conv2d 3×3 pad 1 (2 channels) → maxpool2d 2×2 → dense 8→3 model,
/// every kernel + bias and row + bias exactly 2^F.
fn small_conv_model() -> Value {
    json!({
        "format": "lcttfs-model", "version": 2,
        "time_steps": 16, "input_bits": 8, "readout": "potential",
        "input_shape": [1, 4, 4],
        "layers": [
            { "kind": "conv2d", "in_channels": 1, "out_channels": 2, "kernel": [3, 3],
              "stride": [1, 1], "padding": [1, 1], "weight_bits": 8, "frac_bits": 4,
              // 9·2 − 2 = 16; 4 + 8 + 4 = 16.
              "weights": [[[[2, 2, 2], [2, 2, 2], [2, 2, 2]]],
                          [[[1, 0, 1], [0, 8, 0], [1, 0, 1]]]],
              "bias": [-2, 4] },
            { "kind": "maxpool2d", "kernel": [2, 2], "stride": [2, 2] },
            { "kind": "dense", "inputs": 8, "outputs": 3, "weight_bits": 8, "frac_bits": 3,
              "weights": [[1, 1, 1, 1, 1, 1, 1, 1],
                          [2, 0, 2, 0, 2, 0, 2, 0],
                          [0, 0, 0, 0, 4, 4, 0, 0]],
              "bias": [0, 0, 0] }
        ]
    })
}

/// A 1×28×28 conv model for the MNIST-fed commands: conv2d 3×3 pad 1 (2 channels) →
/// maxpool2d 2×2 → dense 392→10.
fn mnist_conv_model() -> Value {
    let rows: Vec<Vec<i32>> = (0..10)
        .map(|i| (0..392).map(|j| if j / 39 == i { 2 } else { 1 }).collect())
        .collect();
    let bias: Vec<i32> = rows.iter().map(|r| 512 - r.iter().sum::<i32>()).collect();
    json!({
        "format": "lcttfs-model", "version": 2,
        "time_steps": 16, "input_bits": 8, "readout": "potential",
        "input_shape": [1, 28, 28],
        "layers": [
            { "kind": "conv2d", "in_channels": 1, "out_channels": 2, "kernel": [3, 3],
              "stride": [1, 1], "padding": [1, 1], "weight_bits": 8, "frac_bits": 4,
              "weights": [[[[2, 2, 2], [2, 2, 2], [2, 2, 2]]],
                          [[[1, 0, 1], [0, 8, 0], [1, 0, 1]]]],
              "bias": [-2, 4] },
            { "kind": "maxpool2d", "kernel": [2, 2], "stride": [2, 2] },
            { "kind": "dense", "inputs": 392, "outputs": 10, "weight_bits": 8, "frac_bits": 9,
              "weights": rows, "bias": bias }
        ]
    })
}

fn write(name: &str, v: &Value) -> PathBuf {
    let p = tmp(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

#[test]
fn sim_of_a_conv_pool_dense_model_prints_every_map_at_l_plus_1_minus_q_with_the_pool_in_its_convs_window(
) {
    let path = write("small-conv.json", &small_conv_model());
    let model = Model::load(&path).unwrap();
    let samples: Vec<Vec<u32>> = vec![
        (0..16).map(|i| (i * 17) % 256).collect(),
        (0..16).map(|i| 255 - i * 13).collect(),
        vec![0; 16],
    ];
    let input = tmp("small-conv-samples.json");
    std::fs::write(&input, json!({ "samples": samples }).to_string()).unwrap();
    let r = stdout_json(&ttfs(&[
        "sim",
        "--model",
        path.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
    ]));
    let t = model.time_steps;
    // Maps: input (window 0), conv (1), pool (1, no window of its own), dense (2).
    let windows = [0u32, 1, 1, 2];
    let out = r["samples"].as_array().unwrap();
    assert_eq!(out.len(), samples.len());
    for (x, s) in samples.iter().zip(out) {
        let ann = forward(&model, x);
        let layers = s["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 4, "input + conv + pool + dense");
        for (k, layer) in layers.iter().enumerate() {
            let ticks: Vec<u32> = serde_json::from_value(layer["spike_ticks"].clone()).unwrap();
            let q: Vec<u32> = serde_json::from_value(layer["q"].clone()).unwrap();
            assert_eq!(q, ann.q[k], "map {k}: q of the integer forward");
            let want: Vec<u32> = ann.q[k].iter().map(|&q| (windows[k] + 1) * t - q).collect();
            assert_eq!(ticks, want, "map {k}: spike ticks (l+1)·T − q");
        }
        assert_eq!(layers[1]["q"].as_array().unwrap().len(), 2 * 4 * 4);
        assert_eq!(layers[2]["q"].as_array().unwrap().len(), 2 * 2 * 2);
        // The pool fires inside the conv's window [T, 2T], at the earliest tick of each window.
        let pool: Vec<u32> = serde_json::from_value(layers[2]["spike_ticks"].clone()).unwrap();
        assert!(pool.iter().all(|&tk| (t..=2 * t).contains(&tk)), "{pool:?}");
        let potentials: Vec<i64> = serde_json::from_value(s["potentials"].clone()).unwrap();
        assert_eq!(&potentials, ann.z.last().unwrap());
        assert_eq!(s["class"].as_u64().unwrap() as usize, ann.class);
    }
}

#[test]
fn sim_refuses_a_conv_sample_of_the_wrong_length_in_one_line() {
    let path = write("small-conv-len.json", &small_conv_model());
    let input = tmp("small-conv-short.json");
    std::fs::write(&input, json!({ "samples": [vec![0; 15]] }).to_string()).unwrap();
    let out = ttfs(&[
        "sim",
        "--model",
        path.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
    ]);
    assert_one_error_line("15-value sample", &out, "samples[0]");
}

#[test]
fn gen_verilog_builds_a_conv_model_with_its_coordinate_rom_on_ecp5_and_logic_elsewhere() {
    let path = write("small-conv-gen.json", &small_conv_model());
    // The generic target computes the coordinates (CoordLogic): no ROM image.
    let g = tmp("gen-out-generic");
    let out = gen(&[
        "--model",
        path.to_str().unwrap(),
        "--out",
        g.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(g.join("ttfs_top.v").exists());
    assert!(!g.join("l1_coords.hex").exists());
    let o = tmp("gen-out");
    let out = gen(&[
        "--model",
        path.to_str().unwrap(),
        "--target",
        "ecp5-25k",
        "--out",
        o.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(o.join("ttfs_top.v").exists());
    // 16 input features → a 16-word coordinate ROM for the conv's kernel walk.
    let rom = std::fs::read_to_string(o.join("l1_coords.hex")).unwrap();
    assert_eq!(rom.lines().count(), 16);
}

#[test]
fn gen_verilog_refuses_a_conv_last_in_one_line_naming_the_file_and_layer() {
    let mut model = small_conv_model();
    model["layers"].as_array_mut().unwrap().truncate(1);
    let path = write("conv-last-gen.json", &model);
    let o = tmp("gen-out-conv-last");
    let out = gen(&[
        "--model",
        path.to_str().unwrap(),
        "--out",
        o.to_str().unwrap(),
    ]);
    let line = assert_one_error_line(
        "gen-verilog conv last",
        &out,
        "layer 1 (layers[0]), is conv2d: the hardware reads the class from a dense last layer",
    );
    assert!(line.contains(path.to_str().unwrap()), "{line}");
    assert!(!o.join("ttfs_top.v").exists());
}

#[test]
fn eval_and_bench_run_a_mnist_shaped_conv_model_with_the_simulators_agreeing() {
    require_mnist();
    let path = write("mnist-conv.json", &mnist_conv_model());
    let m = path.to_str().unwrap();
    for sim in ["tick", "event"] {
        let r = stdout_json(&ttfs(&[
            "eval",
            "--model",
            m,
            "--dataset",
            "mnist",
            "--limit",
            "20",
            "--sim",
            sim,
            "--json",
        ]));
        assert_eq!(r["samples"], 20);
        assert_eq!(r["snn_ann_mismatches"], 0, "{sim}: {r}");
        assert_eq!(r["ann_acc"], r["snn_acc"], "{sim}");
        // Conv: 2 channels × Σ over 28×28 positions of the 3×3 taps inside the map
        // (26² interior positions read 9, the border fewer) = 2·(28·28·9 − 4·28·3 + 4);
        // dense: 392·10. The pool adds none.
        let conv_mac = 2 * (28 * 28 * 9 - 4 * 28 * 3 + 4);
        assert_eq!(
            r["mac_per_sample"].as_f64().unwrap(),
            (conv_mac + 392 * 10) as f64
        );
        let sop = r["sop_per_sample"].as_f64().unwrap();
        assert!(
            sop > 0.0 && sop <= r["mac_per_sample"].as_f64().unwrap(),
            "{r}"
        );
    }
    let r = stdout_json(&ttfs(&["bench", "--model", m, "--limit", "10", "--json"]));
    assert_eq!(r["samples"], 10);
    for key in ["ann_s", "snn_event_s", "snn_tick_s"] {
        assert!(r[key].as_f64().unwrap() >= 0.0, "{key}: {r}");
    }
}

#[test]
fn plot_raster_of_a_conv_model_puts_the_pool_in_its_convs_window_and_draws_the_feature_maps() {
    require_mnist();
    let path = write("mnist-conv-plot.json", &mnist_conv_model());
    let dir = tmp("plots");
    let out = String::from_utf8(
        ttfs(&[
            "plot",
            "raster",
            "--model",
            path.to_str().unwrap(),
            "--sample",
            "0",
            "--out",
            dir.to_str().unwrap(),
        ])
        .stdout,
    )
    .unwrap();
    for stem in ["raster-sample0", "maps-sample0"] {
        for ext in ["svg", "png"] {
            let file = dir.join(format!("{stem}.{ext}"));
            assert!(out.contains(&file.display().to_string()), "{out}");
            assert!(file.metadata().unwrap().len() > 1000, "{}", file.display());
        }
    }
    // Bands: input, conv (2·28·28 = 1568), pool (2·14·14 = 392, in the conv's window 1 = [16, 32]),
    // output; three windows in all, so the tick axis ends at 3·16 = 48.
    let raster = std::fs::read_to_string(dir.join("raster-sample0.svg")).unwrap();
    for label in [
        "input encoder (784)",
        "conv2d 1 (1568)",
        "maxpool2d 1 (392)",
        "output (10)",
        "layer 2: window [32, 48]",
    ] {
        assert!(raster.contains(label), "raster lacks {label:?}");
    }
    assert_eq!(raster.matches("layer 1: window [16, 32]").count(), 2);
    // Maps: the input and both maps of window 1, one tile per channel; not the dense output.
    let maps = std::fs::read_to_string(dir.join("maps-sample0.svg")).unwrap();
    for label in [
        "input  1×28×28  (window 0)",
        "layers[0] conv2d  2×28×28  (window 1)",
        "layers[1] maxpool2d  2×14×14  (window 1)",
        "\nc1\n</text>",
    ] {
        assert!(maps.contains(label), "maps lack {label:?}");
    }
    assert!(!maps.contains("dense"), "the flat output is no map");
}

#[test]
fn plot_sweep_over_t_runs_a_float_conv_model_with_the_simulators_agreeing() {
    require_mnist();
    // The float twin of the MNIST-shaped conv model (its exact grid values), swept over T at 8
    // bits: every T re-quantizes conv kernels, pool and dense rows; SNN = integer ANN on every
    // sample and every spike, or the command fails.
    let quantized = Model::load(&write("sweep-conv-q.json", &mnist_conv_model())).unwrap();
    let float = golden::quantize::grid_model(&quantized);
    let path = tmp("sweep-conv-float.json");
    float.save(&path).unwrap();
    let dir = tmp("sweep-plots");
    let v = stdout_json(&ttfs(&[
        "plot",
        "sweep",
        "--dataset",
        "mnist",
        "--model-float",
        path.to_str().unwrap(),
        "--limit",
        "20",
        "--json",
        "--out",
        dir.to_str().unwrap(),
    ]));
    let points = v["points"].as_array().unwrap();
    assert!(points.len() >= 4, "{v}");
    for p in points {
        assert_eq!(p["mismatches"], 0, "{p}");
        assert_eq!(p["weight_bits"], 8, "{p}");
        // conv, pool (no weights: F = 0), dense.
        assert_eq!(p["frac_bits"].as_array().unwrap().len(), 3, "{p}");
    }
    assert!(dir.join("sweep.svg").metadata().unwrap().len() > 1000);
}
