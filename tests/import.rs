//! `ttfs import` end to end: a small LC-TTFS network written "by someone else" (numpy's
//! `np.savez`, the NIR reference package's `nir.write`, and the Rust `safetensors` crate) is
//! imported from each format into the same lcttfs-model, which then generates RTL and
//! co-simulates in Verilator without a mismatch; and every kind of bad file is refused with
//! one line naming what is wrong and where.
//!
//! The Python writers come from `scripts/tools.sh` (`.venv-tools/`, pinned in
//! `scripts/tools-requirements.txt`): a missing one fails these tests with that instruction.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");
/// The network: 16 inputs, 12 hidden neurons, 4 classes.
const SHAPE: [usize; 3] = [16, 12, 4];

/// The pinned Python with numpy and nir, or a failure saying how to install it.
fn python() -> PathBuf {
    let py = Path::new(MANIFEST).join(".venv-tools/bin/python");
    assert!(
        py.is_file(),
        "{} is missing: run scripts/tools.sh (it installs numpy, h5py and nir, which write the import fixtures)",
        py.display()
    );
    let out = Command::new(&py)
        .args(["-c", "import numpy, h5py, nir"])
        .output()
        .expect("run the tools Python");
    assert!(
        out.status.success(),
        "numpy / h5py / nir are not importable in {}: run scripts/tools.sh ({})",
        py.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    py
}

/// Seeded float LC-TTFS layers (row i = neuron i), every row + bias summing to 1 in float:
/// entries are drawn in ±0.3 and shifted equally so that the row sum is exactly 1 in f64,
/// then stored as f32 (what a PyTorch model holds).
fn network() -> Vec<(Vec<Vec<f32>>, Vec<f32>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    SHAPE
        .windows(2)
        .map(|io| {
            let (inputs, outputs) = (io[0], io[1]);
            let mut weights = Vec::new();
            let mut bias = Vec::new();
            for _ in 0..outputs {
                let mut row: Vec<f64> = (0..=inputs).map(|_| rng.gen_range(-0.3..0.3)).collect();
                let shift = (1.0 - row.iter().sum::<f64>()) / row.len() as f64;
                row.iter_mut().for_each(|w| *w += shift);
                bias.push(row[inputs] as f32);
                weights.push(row[..inputs].iter().map(|&w| w as f32).collect());
            }
            (weights, bias)
        })
        .collect()
}

/// The folder every fixture of this test run lives in.
fn dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("import");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The Python writer of the npz and NIR fixtures. The weights arrive as f32 bit patterns so
/// that numpy holds exactly the values the Rust side has.
const WRITER: &str = r#"
import json, sys, numpy as np, nir
out = sys.argv[1]
spec = json.load(open(out + "/weights.json"))
layers = [(np.array(l["w"], dtype=np.uint32).view(np.float32), np.array(l["b"], dtype=np.uint32).view(np.float32))
          for l in spec]
layers = [(w.reshape(len(b), -1), b) for w, b in layers]
(w1, b1), (w2, b2) = layers

def state(w1, b1, w2, b2):
    # nn.Sequential(Linear, ReLU1, Linear) saved as a state_dict: Linear indices 0 and 2.
    return {"layers.0.weight": w1, "layers.0.bias": b1, "layers.2.weight": w2, "layers.2.bias": b2}

np.savez(out + "/good.npz", **state(w1, b1, w2, b2))
np.savez_compressed(out + "/good64.npz", **{k: v.astype(np.float64) for k, v in state(w1, b1, w2, b2).items()})
w2x = w2.copy(); w2x[3, 0] += np.float32(0.25)
np.savez(out + "/rowsum.npz", **state(w1, b1, w2x, b2))
np.savez(out + "/shape.npz", **state(w1, b1, w2[:, :11], b2))
w1n = w1.copy(); w1n[2, 5] = np.nan
np.savez(out + "/nan.npz", **state(w1n, b1, w2, b2))
bn = state(w1, b1, w2, b2)
bn.update({"layers.1.weight": np.ones(12, np.float32), "layers.1.bias": np.zeros(12, np.float32),
           "layers.1.running_mean": np.zeros(12, np.float32), "layers.1.running_var": np.ones(12, np.float32),
           "layers.1.num_batches_tracked": np.array(10)})
np.savez(out + "/batchnorm.npz", **bn)

def graph(mid=None, threshold=None):
    thr = np.ones(12) if threshold is None else threshold
    nodes = {"input": nir.Input(input_type=np.array([16])),
             "fc1": nir.Affine(weight=w1, bias=b1),
             "if1": nir.IF(r=np.ones(12), v_threshold=thr, v_reset=np.zeros(12)),
             "fc2": nir.Affine(weight=w2, bias=b2),
             "output": nir.Output(output_type=np.array([4]))}
    edges = [("input", "fc1"), ("fc1", "if1"), ("if1", "fc2")]
    if mid is None:
        edges.append(("fc2", "output"))
    else:
        nodes["lif1"] = mid
        edges += [("fc2", "lif1"), ("lif1", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)

nir.write(out + "/good.nir", graph())
nir.write(out + "/lif.nir", graph(mid=nir.LIF(tau=np.full(4, 2.0), r=np.ones(4), v_leak=np.zeros(4), v_threshold=np.ones(4))))
thr = np.ones(12); thr[7] = 0.5
nir.write(out + "/threshold.nir", graph(threshold=thr))
"#;

/// Writes every fixture once per test run (tests run in parallel and share them).
fn fixtures() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = dir();
        let net = network();
        let spec: Vec<Value> = net
            .iter()
            .map(|(w, b)| {
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
                serde_json::json!({
                    "w": w.iter().flat_map(|r| bits(r)).collect::<Vec<u32>>(),
                    "b": bits(b),
                })
            })
            .collect();
        std::fs::write(d.join("weights.json"), Value::Array(spec).to_string()).unwrap();
        let out = Command::new(python())
            .args(["-c", WRITER, d.to_str().unwrap()])
            .output()
            .expect("run the fixture writer");
        assert!(
            out.status.success(),
            "the numpy/nir fixture writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        write_safetensors(&d.join("good.safetensors"), &net);
        d
    })
}

/// The same network as a safetensors state dict (`layers.0.*`, `layers.2.*`, F32).
fn write_safetensors(path: &Path, net: &[(Vec<Vec<f32>>, Vec<f32>)]) {
    use safetensors::tensor::{Dtype, TensorView};
    let mut blobs: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (k, (w, b)) in net.iter().enumerate() {
        let le = |v: &mut dyn Iterator<Item = f32>| v.flat_map(f32::to_le_bytes).collect();
        let idx = 2 * k;
        blobs.push((
            format!("layers.{idx}.weight"),
            vec![w.len(), w[0].len()],
            le(&mut w.iter().flatten().copied()),
        ));
        blobs.push((
            format!("layers.{idx}.bias"),
            vec![b.len()],
            le(&mut b.iter().copied()),
        ));
    }
    let views: HashMap<String, TensorView> = blobs
        .iter()
        .map(|(name, shape, data)| {
            (
                name.clone(),
                TensorView::new(Dtype::F32, shape.clone(), data).unwrap(),
            )
        })
        .collect();
    safetensors::serialize_to_file(views, None, path).unwrap();
}

fn ttfs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ttfs"))
        .args(args)
        .env("PATH", tools_path())
        .output()
        .expect("run ttfs")
}

/// `.tools/bin` (the pinned Verilator of scripts/tools.sh) first on PATH.
fn tools_path() -> String {
    let tools = Path::new(MANIFEST).join(".tools/bin");
    format!(
        "{}:{}",
        tools.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "ttfs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Imports `file` at T = 16 into `out`; returns the summary it printed.
fn import(file: &Path, out: &Path) -> String {
    ok(&ttfs(&[
        "import",
        file.to_str().unwrap(),
        "--time-steps",
        "16",
        "--out",
        out.to_str().unwrap(),
    ]))
}

#[test]
fn npz_safetensors_and_nir_import_to_the_same_model_which_cosimulates_without_mismatch() {
    let d = fixtures();
    let mut models = Vec::new();
    for name in ["good.npz", "good64.npz", "good.safetensors", "good.nir"] {
        let out = d.join(format!("{name}.json"));
        let summary = import(&d.join(name), &out);
        assert!(
            summary.contains("2 layers 16-12-4") && summary.contains(out.to_str().unwrap()),
            "{name}: {summary}"
        );
        models.push((name, std::fs::read_to_string(&out).unwrap()));
    }
    for (name, text) in &models[1..] {
        assert_eq!(
            text, &models[0].1,
            "{name} imports differently from good.npz"
        );
    }
    let model = golden::model::Model::from_json_str(&models[0].1, "good.npz.json").unwrap();
    assert_eq!(model.time_steps, 16);
    assert_eq!(
        model.layers.iter().map(|l| l.outputs).collect::<Vec<_>>(),
        vec![12, 4]
    );

    // RTL from the imported model.
    let model_path = d.join("good.npz.json");
    let rtl = d.join("rtl");
    let gen = Command::new(env!("CARGO_BIN_EXE_gen-verilog"))
        .args([
            "--model",
            model_path.to_str().unwrap(),
            "--out",
            rtl.to_str().unwrap(),
        ])
        .output()
        .expect("run gen-verilog");
    ok(&gen);
    assert!(rtl.join("ttfs_top.v").is_file());

    // Co-simulation: seeded raw inputs spread over the whole 8-bit range.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let samples: Vec<Vec<u32>> = (0..24)
        .map(|_| (0..SHAPE[0]).map(|_| rng.gen_range(0..256)).collect())
        .collect();
    let samples_path = d.join("samples.json");
    std::fs::write(
        &samples_path,
        serde_json::json!({ "samples": samples }).to_string(),
    )
    .unwrap();
    let out = ttfs(&[
        "cosim",
        "--model",
        model_path.to_str().unwrap(),
        "--input",
        samples_path.to_str().unwrap(),
        "--out",
        d.join("cosim").to_str().unwrap(),
        "--json",
    ]);
    let report: Value = serde_json::from_str(&ok(&out)).expect("cosim --json prints JSON");
    assert_eq!(report["samples"], 24, "{report}");
    assert_eq!(report["mismatches"], 0, "{report}");
    assert_eq!(report["spike_mismatches"], 0, "{report}");
    // The network is not degenerate: the samples do not all get the same class.
    let classes: std::collections::BTreeSet<u64> = report["per_sample"]
        .as_array()
        .expect("per_sample")
        .iter()
        .filter_map(|s| s["class"].as_u64())
        .collect();
    assert!(
        classes.len() > 1,
        "every sample got the same class: {report}"
    );
}

/// Runs `ttfs import` on a bad input and checks the contract: non-zero exit, exactly one line
/// on stderr that contains every needle, no panic.
fn refused(file: &Path, extra: &[&str], needles: &[&str]) {
    let out_file = dir().join("refused.json");
    let mut args = vec![
        "import",
        file.to_str().unwrap(),
        "--out",
        out_file.to_str().unwrap(),
    ];
    if !extra.contains(&"--time-steps") {
        args.extend(["--time-steps", "16"]);
    }
    args.extend_from_slice(extra);
    let out = ttfs(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    for needle in needles {
        assert!(
            err.contains(needle),
            "{args:?}: stderr {err:?} should contain {needle:?}"
        );
    }
    assert!(
        !err.contains("panicked") && !err.contains("internal error"),
        "{err}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: one line, got {err:?}"
    );
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn a_row_not_summing_to_one_is_refused_naming_layer_neuron_and_amount() {
    let d = fixtures();
    refused(
        &d.join("rowsum.npz"),
        &[],
        &[
            "rowsum.npz",
            "layer 2 (`layers.2`), neuron 3",
            "sum to 1.25",
            "off by +2.5",
            "--renormalize",
        ],
    );
}

#[test]
fn renormalize_accepts_the_same_broken_row() {
    let d = fixtures();
    let out = ttfs(&[
        "import",
        d.join("rowsum.npz").to_str().unwrap(),
        "--time-steps",
        "16",
        "--renormalize",
        "--out",
        d.join("rowsum.json").to_str().unwrap(),
    ]);
    assert!(ok(&out).contains("(renormalized)"));
    golden::model::Model::load(&d.join("rowsum.json")).expect("a valid model");
}

#[test]
fn layers_whose_shapes_do_not_chain_are_refused() {
    let d = fixtures();
    refused(
        &d.join("shape.npz"),
        &[],
        &[
            "layer 2 (`layers.2`)",
            "shape [4, 11], so 11 inputs",
            "layer 1 (`layers.0`) has 12 outputs",
        ],
    );
}

#[test]
fn a_nan_weight_is_refused_naming_where_it_is() {
    let d = fixtures();
    refused(
        &d.join("nan.npz"),
        &[],
        &[
            "layer 1 (`layers.0`), neuron 2: weight[5] = NaN",
            "not a finite number",
        ],
    );
}

#[test]
fn a_batch_norm_key_is_refused_by_name_and_reason() {
    let d = fixtures();
    refused(
        &d.join("batchnorm.npz"),
        &[],
        &[
            "`layers.1.num_batches_tracked`",
            "LC-TTFS has no batch norm",
        ],
    );
}

#[test]
fn a_nir_lif_node_is_refused_by_name_and_type() {
    let d = fixtures();
    refused(
        &d.join("lif.nir"),
        &[],
        &["lif.nir", "node `lif1` has type LIF"],
    );
}

#[test]
fn a_nir_if_with_threshold_other_than_one_is_refused() {
    let d = fixtures();
    refused(
        &d.join("threshold.nir"),
        &[],
        &["IF node `if1`", "v_threshold[7] = 0.5", "threshold = 1"],
    );
}

#[test]
fn unknown_extension_missing_file_and_bad_options_are_refused() {
    let d = fixtures();
    let onnx = d.join("model.onnx");
    std::fs::write(&onnx, b"not a model").unwrap();
    refused(&onnx, &[], &["model.onnx: unknown file type .onnx", ".npz"]);
    refused(
        Path::new("/nonexistent/model.npz"),
        &[],
        &["cannot read /nonexistent/model.npz"],
    );
    refused(
        &d.join("good.npz"),
        &["--time-steps", "12"],
        &["--time-steps 12 is not a power of two in 2..=256"],
    );
    refused(
        &d.join("good.npz"),
        &["--weight-bits", "1"],
        &["--weight-bits", "outside 2..=16"],
    );
}

#[test]
fn truncated_files_of_every_format_are_refused_naming_the_file() {
    let d = fixtures();
    for name in ["good.npz", "good.safetensors", "good.nir"] {
        let bytes = std::fs::read(d.join(name)).unwrap();
        for len in [0, 10, bytes.len() / 2, bytes.len() - 1] {
            let cut = d.join(format!("cut{len}-{name}"));
            std::fs::write(&cut, &bytes[..len]).unwrap();
            refused(&cut, &[], &[&format!("cut{len}-{name}")]);
        }
    }
}

#[test]
fn export_then_import_gives_back_the_quantized_default_model_bit_for_bit() {
    // Quantized values w / 2^F are exact in float32, so export → import → quantize at the same
    // weight_bits reproduces every integer weight and bias, through both formats.
    let want = golden::default_model::quantized();
    let src = dir().join("export-default.json");
    want.save(&src).unwrap();
    for ext in ["npz", "safetensors"] {
        let file = dir().join(format!("export-default.{ext}"));
        let said = ok(&ttfs(&[
            "export",
            "--model",
            src.to_str().unwrap(),
            "--out",
            file.to_str().unwrap(),
        ]));
        assert!(said.contains("784-128-10"), "{said}");
        let back = dir().join(format!("export-default-{ext}.json"));
        import(&file, &back);
        let got = golden::model::Model::load(&back).unwrap();
        assert_eq!(got, want, "{ext}: round trip");
    }
    // numpy reads the export as a plain state dict (what torch.load of np.load'ed arrays sees).
    let check = r#"
import sys, numpy as np
d = np.load(sys.argv[1])
assert sorted(d.files) == ["layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight"], d.files
assert d["layers.0.weight"].shape == (128, 784) and d["layers.0.weight"].dtype == np.float32
assert abs(float(d["layers.1.weight"].sum(axis=1)[3] + d["layers.1.bias"][3]) - 1.0) < 1e-6
print("ok")
"#;
    let out = Command::new(python())
        .args([
            "-c",
            check,
            dir().join("export-default.npz").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "numpy cannot read the export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn export_refuses_an_unknown_extension_in_one_line() {
    let out = ttfs(&[
        "export",
        "--model",
        "golden/models/default.json",
        "--out",
        "net.pt",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("net.pt") && err.contains(".npz or .safetensors"),
        "{err}"
    );
}

#[test]
fn import_records_the_dataset_it_is_given_and_refuses_one_the_model_cannot_take() {
    let export = |model: &golden::model::Model, name: &str| {
        let src = dir().join(format!("{name}.json"));
        model.save(&src).unwrap();
        let file = dir().join(format!("{name}.safetensors"));
        ok(&ttfs(&[
            "export",
            "--model",
            src.to_str().unwrap(),
            "--out",
            file.to_str().unwrap(),
        ]));
        file
    };
    let want = golden::default_model::quantized();
    let file = export(&want, "export-dataset");
    let back = dir().join("export-dataset-back.json");
    ok(&ttfs(&[
        "import",
        file.to_str().unwrap(),
        "--time-steps",
        "16",
        "--dataset",
        "fashion-mnist",
        "--out",
        back.to_str().unwrap(),
    ]));
    let got = golden::model::Model::load(&back).unwrap();
    assert_eq!(
        got.dataset,
        Some(golden::data::DatasetKind::FashionMnist),
        "recorded"
    );
    assert_eq!(got.layers, want.layers, "and nothing else changed");
    // Without --dataset nothing is recorded.
    import(&file, &back);
    assert_eq!(golden::model::Model::load(&back).unwrap().dataset, None);
    // A 16-input network cannot take 28×28 images.
    let small = export(
        &golden::testkit::seeded_model(3, &[16, 8, 4]),
        "export-small",
    );
    refused(
        &small,
        &["--dataset", "mnist"],
        &[
            "--dataset",
            "784 features per sample but the model takes 16 inputs",
        ],
    );
}
