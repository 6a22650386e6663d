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
# A plain `self.fc1 = nn.Linear(…)` model: modules named by attribute, in state_dict() order.
np.savez(out + "/named.npz", **{"fc1.weight": w1, "fc1.bias": b1, "fc2.weight": w2, "fc2.bias": b2})
# A bias whose weight is missing, and a tensor that is neither a weight nor a bias.
np.savez(out + "/orphan.npz", **{"fc1.bias": b1, "fc2.weight": w2, "fc2.bias": b2})
np.savez(out + "/extra.npz", **{"fc1.weight": w1, "fc1.bias": b1, "fc1.scale": b1, "fc2.weight": w2})
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
        write_safetensors(&d.join("good.safetensors"), &net, |k| {
            format!("layers.{}", 2 * k)
        });
        // Named modules; fc10 sorts after fc2 only numeric-aware (the header is a JSON map).
        write_safetensors(&d.join("named.safetensors"), &net, |k| {
            ["fc2", "fc10"][k].to_string()
        });
        d
    })
}

/// The same network as a safetensors state dict (F32), module `k` named `module(k)`.
fn write_safetensors(
    path: &Path,
    net: &[(Vec<Vec<f32>>, Vec<f32>)],
    module: impl Fn(usize) -> String,
) {
    use safetensors::tensor::{Dtype, TensorView};
    let mut blobs: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (k, (w, b)) in net.iter().enumerate() {
        let le = |v: &mut dyn Iterator<Item = f32>| v.flat_map(f32::to_le_bytes).collect();
        let m = module(k);
        blobs.push((
            format!("{m}.weight"),
            vec![w.len(), w[0].len()],
            le(&mut w.iter().flatten().copied()),
        ));
        blobs.push((
            format!("{m}.bias"),
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
    // Named modules (`fc1.*`, `fc2.*`; `fc2.*`, `fc10.*`) import as the `layers.<i>` form: the
    // model co-simulated below is each of them, byte for byte.
    for name in [
        "good.npz",
        "good64.npz",
        "good.safetensors",
        "good.nir",
        "named.npz",
        "named.safetensors",
    ] {
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

// ---------------------------------------------------------------------------------------------
// Convolutional networks: NIR Conv2d / SumPool2d / Flatten, and state dicts with --arch.

/// `--arch` of the conv network below (modules in file order).
const CONV_ARCH: &str = "conv:4:3:pad=1,sumpool:2,conv:6:3:stride=2:pad=1,dense:5";
/// The same with every weighted item naming its module (a torchvision-style naming whose
/// order no sort recovers: `classifier` sorts before `features`).
const CONV_ARCH_NAMED: &str = "features.0=conv:4:3:pad=1, sumpool:2, \
                               features.3=conv:6:3:stride=2:pad=1, classifier.1=dense:5";

/// Writes the conv network `Input [1, 8, 8] → Conv2d 4@3x3 "same" → IF → SumPool2d 2x2 →
/// Conv2d 6@3x3 stride 2 pad 1 → IF → Flatten → Affine 5 → IF → Output` with the reference
/// `nir` package, the same weights as `.npz` state dicts, refused variants, seeded samples,
/// and the integer forward of DESIGN §2.1 computed by numpy on the *unfolded* network.
///
/// The weights are multiples of 2^-6 and every row (for conv2 with each weight counted 4
/// times: it reads a 2x2 sum pool) sums to exactly 1, so quantizing at 8 bits is exact and
/// the imported model must reproduce that forward bit for bit: `z >> F` = `floor(z / 2^F)`
/// is computed as `floor` of the exact float64 value.
const CONV_WRITER: &str = r#"
import json, sys, numpy as np, nir
out = sys.argv[1]
rng = np.random.default_rng(1414)
T, BITS = 16, 8

def rows(n, fan_in, lo, hi, count=1):
    # Integer rows (units of 1/64) whose `count`-weighted sum plus bias is 64, bias in ±100.
    ws, bs = [], []
    while len(ws) < n:
        k = rng.integers(lo, hi + 1, fan_in)
        b = 64 - count * int(k.sum())
        if abs(b) <= 100:
            ws.append(k); bs.append(b)
    return np.array(ws, np.float32) / 64, np.array(bs, np.float32) / 64

w1, b1 = rows(4, 9, -8, 20); w1 = w1.reshape(4, 1, 3, 3)
w2, b2 = rows(6, 36, -3, 4, count=4); w2 = w2.reshape(6, 4, 3, 3)
w3, b3 = rows(5, 24, -40, 40)

def graph(c1=None, c2=None, pool=None, tail=None, hw1=8):
    nodes = {
        "input": nir.Input(input_type=np.array([1, 8, 8])),
        "conv1": c1 or nir.Conv2d(input_shape=(8, 8), weight=w1, stride=1, padding="same", dilation=1, groups=1, bias=b1),
        "if1": nir.IF(r=np.ones((4, hw1, hw1)), v_threshold=np.ones((4, hw1, hw1))),
        "pool1": pool or nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        "conv2": c2 or nir.Conv2d(input_shape=(4, 4), weight=w2, stride=np.int64(2), padding=(1, 1), dilation=1, groups=1, bias=b2),
        "if2": nir.IF(r=np.ones((6, 2, 2)), v_threshold=np.ones((6, 2, 2))),
        "flat": nir.Flatten(input_type={"input": np.array([6, 2, 2])}, start_dim=0),
        "fc": nir.Affine(weight=w3, bias=b3),
        "if3": nir.IF(r=np.ones(5), v_threshold=np.ones(5)),
        "output": nir.Output(output_type=np.array([5])),
    }
    order = ["input", "conv1", "if1", "pool1", "conv2", "if2", "flat", "fc", "if3", "output"]
    if tail == "pool":
        # The graph ends in a pool: there is no weight layer after it to fold it into.
        order = ["input", "conv1", "if1", "pool1", "output"]
        nodes = {k: nodes[k] for k in order}
        nodes["output"] = nir.Output(output_type=np.array([4, 4, 4]))
    return nir.NIRGraph(nodes=nodes, edges=list(zip(order, order[1:])), type_check=False)

nir.write(out + "/conv.nir", graph())
# An average pool before 4·w2 folds to the very weights of a sum pool before w2.
nir.write(out + "/conv-avg.nir", graph(pool=nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
                                       c2=nir.Conv2d(input_shape=(4, 4), weight=w2 * 4, stride=2, padding=1, dilation=1, groups=1, bias=b2)))
# "valid" padding: conv1 maps 8x8 to 6x6, the pool to 3x3, conv2 (stride 2, pad 1) to 2x2.
nir.write(out + "/conv-valid.nir", graph(c1=nir.Conv2d(input_shape=(8, 8), weight=w1, stride=1, padding="valid", dilation=1, groups=1, bias=b1),
                                         c2=nir.Conv2d(input_shape=(3, 3), weight=w2, stride=2, padding=1, dilation=1, groups=1, bias=b2), hw1=6))
nir.write(out + "/conv-dilation.nir", graph(c2=nir.Conv2d(input_shape=(4, 4), weight=w2, stride=2, padding=1, dilation=2, groups=1, bias=b2)))
nir.write(out + "/conv-groups.nir", graph(c2=nir.Conv2d(input_shape=(4, 4), weight=w2[:, :2], stride=2, padding=1, dilation=1, groups=2, bias=b2)))
nir.write(out + "/conv-poolpad.nir", graph(pool=nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([1, 1]))))
nir.write(out + "/conv-lastpool.nir", graph(tail="pool"))

sd = {"conv1.weight": w1, "conv1.bias": b1, "conv2.weight": w2, "conv2.bias": b2, "fc.weight": w3, "fc.bias": b3}
np.savez(out + "/conv.npz", **sd)
np.savez(out + "/conv-named.npz", **{"classifier.1.weight": w3, "classifier.1.bias": b3,
                                     "features.0.weight": w1, "features.0.bias": b1,
                                     "features.3.weight": w2, "features.3.bias": b2})

# The integer forward of DESIGN §2.1 on the network as written (pool not folded).
def conv(q, w, b, stride, pad):
    c, h, wd = q.shape
    qp = np.zeros((c, h + 2 * pad, wd + 2 * pad)); qp[:, pad:pad + h, pad:pad + wd] = q
    co, _, kh, kw = w.shape
    ho, wo = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    z = np.zeros((co, ho, wo))
    for o in range(co):
        for y in range(ho):
            for x in range(wo):
                z[o, y, x] = (w[o].astype(np.float64) * qp[:, y * stride:y * stride + kh, x * stride:x * stride + kw]).sum() + float(b[o]) * T
    return z

def act(z):
    return np.clip(np.floor(z), 0, T)

samples, ref = [], []
for _ in range(12):
    # Images with some quadrants dark, so that the samples differ in more than noise.
    x = rng.integers(0, 256, (8, 8))
    for qy, qx in [(0, 0), (0, 4), (4, 0), (4, 4)]:
        if rng.random() < 0.5:
            x[qy:qy + 4, qx:qx + 4] //= 8
    x = x.reshape(-1)
    q0 = ((x * T + (1 << (BITS - 1))) >> BITS).reshape(1, 8, 8).astype(np.float64)
    q1 = act(conv(q0, w1, b1, 1, 1))
    p1 = q1.reshape(4, 4, 2, 4, 2).sum(axis=(2, 4))
    q2 = act(conv(p1, w2, b2, 2, 1))
    z3 = w3.astype(np.float64) @ q2.reshape(-1) + b3.astype(np.float64) * T
    samples.append([int(v) for v in x])
    ref.append({"q": [[int(v) for v in a.reshape(-1)] for a in (q0, q1, q2, act(z3))],
                "z": [float(v) for v in z3], "class": int(np.argmax(z3))})
json.dump({"samples": samples}, open(out + "/conv-samples.json", "w"))
json.dump(ref, open(out + "/conv-reference.json", "w"))
"#;

/// The conv fixtures, written once per test run.
fn conv_fixtures() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = dir().join("conv");
        std::fs::create_dir_all(&d).unwrap();
        let out = Command::new(python())
            .args(["-c", CONV_WRITER, d.to_str().unwrap()])
            .output()
            .expect("run the conv fixture writer");
        assert!(
            out.status.success(),
            "the numpy/nir conv fixture writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        d
    })
}

/// Imports `file` at T = 16 with extra options; returns the summary and the model text.
fn import_with(file: &Path, out: &Path, extra: &[&str]) -> (String, String) {
    let mut args = vec![
        "import",
        file.to_str().unwrap(),
        "--time-steps",
        "16",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let summary = ok(&ttfs(&args));
    (summary, std::fs::read_to_string(out).unwrap())
}

#[test]
fn a_nir_conv_sumpool_network_imports_and_its_forward_matches_numpy() {
    let d = conv_fixtures();
    let model_path = d.join("conv.nir.json");
    let (summary, text) = import_with(&d.join("conv.nir"), &model_path, &[]);
    // conv1 8x8 "same"; the sum pool folds into conv2 (kernel (3−1)·2 + 2 = 6, stride 4,
    // padding 2 on the 8x8 map): three weighted layers, no pool layer in the model.
    assert!(
        summary.contains("3 layers 1x8x8-4x8x8-6x2x2-5"),
        "{summary}"
    );
    assert!(
        summary.contains("the sum pool `pool1` before it is folded in"),
        "{summary}"
    );
    let model = golden::model::Model::from_json_str(&text, "conv.nir.json").unwrap();
    assert_eq!(model.file_version(), 2);
    assert_eq!(model.input_shape, Some([1, 8, 8]));
    match model.layers[1].kind {
        golden::model::LayerKind::Conv2d {
            kernel,
            stride,
            padding,
            ..
        } => assert_eq!((kernel, stride, padding), ([6, 6], [4, 4], [2, 2])),
        other => panic!("layer 2 is {other:?}"),
    }

    // `ttfs sim` (the tick-level golden SNN, checked against the integer ANN) on the imported
    // model equals numpy's forward of the unfolded network, map by map.
    let sim: Value = serde_json::from_str(&ok(&ttfs(&[
        "sim",
        "--model",
        model_path.to_str().unwrap(),
        "--input",
        d.join("conv-samples.json").to_str().unwrap(),
    ])))
    .expect("sim prints JSON");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("conv-reference.json")).unwrap())
            .unwrap();
    let reference = reference.as_array().unwrap();
    let got = sim["samples"].as_array().unwrap();
    assert_eq!(got.len(), reference.len());
    let one = (1u64 << model.layers[2].frac_bits) as f64;
    let mut classes = std::collections::BTreeSet::new();
    for (k, (g, want)) in got.iter().zip(reference).enumerate() {
        let q: Vec<&Value> = g["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| &l["q"])
            .collect();
        let want_q: Vec<&Value> = want["q"].as_array().unwrap().iter().collect();
        assert_eq!(q, want_q, "sample {k}: activations differ from numpy");
        let z: Vec<f64> = g["potentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap() as f64 / one)
            .collect();
        let want_z: Vec<f64> = want["z"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(z, want_z, "sample {k}: potentials differ from numpy");
        assert_eq!(g["class"], want["class"], "sample {k}");
        classes.insert(g["class"].as_u64());
    }
    // Not a degenerate network: the samples reach more than one class.
    assert!(classes.len() > 1, "every sample got the same class");
}

#[test]
fn a_conv_state_dict_with_arch_imports_byte_identical_to_the_nir_graph() {
    let d = conv_fixtures();
    let (_, from_nir) = import_with(&d.join("conv.nir"), &d.join("conv-nir.json"), &[]);
    // Modules in file order…
    let (summary, from_npz) = import_with(
        &d.join("conv.npz"),
        &d.join("conv-npz.json"),
        &["--arch", CONV_ARCH, "--input-shape", "1,8,8"],
    );
    assert!(summary.contains("layer 2 `conv2`"), "{summary}");
    assert_eq!(from_npz, from_nir, "conv.npz --arch imports differently");
    // …or named by --arch, whatever order the file holds them in.
    let (summary, named) = import_with(
        &d.join("conv-named.npz"),
        &d.join("conv-named.json"),
        &["--arch", CONV_ARCH_NAMED, "--input-shape", "1,8,8"],
    );
    assert!(summary.contains("layer 3 `classifier.1`"), "{summary}");
    assert_eq!(named, from_nir, "conv-named.npz --arch imports differently");
    // An AvgPool2d before 4·w2 folds to the weights a SumPool2d before w2 folds to.
    let (summary, avg) = import_with(&d.join("conv-avg.nir"), &d.join("conv-avg.json"), &[]);
    assert!(summary.contains("the average pool `pool1`"), "{summary}");
    assert_eq!(avg, from_nir, "conv-avg.nir imports differently");
    // NIR's "valid" padding is --arch's pad=0.
    let (_, valid) = import_with(&d.join("conv-valid.nir"), &d.join("conv-valid.json"), &[]);
    let (_, valid_npz) = import_with(
        &d.join("conv.npz"),
        &d.join("conv-valid-npz.json"),
        &[
            "--arch",
            "conv:4:3,sumpool:2,conv:6:3:stride=2:pad=1,dense:5",
            "--input-shape",
            "1,8,8",
        ],
    );
    assert!(valid.contains("\"padding\": [0, 0]"), "{valid}");
    assert_eq!(
        valid, valid_npz,
        "conv-valid.nir and its --arch twin differ"
    );
    // A max pool is a layer of its own (its rows are then renormalized: conv2 was trained
    // for a sum pool, where each weight counts 4 times).
    let (summary, text) = import_with(
        &d.join("conv.npz"),
        &d.join("conv-maxpool.json"),
        &[
            "--arch",
            "conv:4:3:pad=1,maxpool:2,conv:6:3:stride=2:pad=1,dense:5",
            "--input-shape",
            "1,8,8",
            "--renormalize",
        ],
    );
    assert!(
        summary.contains("layer 2 `maxpool:2`: maxpool2d 2x2"),
        "{summary}"
    );
    let model = golden::model::Model::from_json_str(&text, "conv-maxpool.json").unwrap();
    let kinds: Vec<&str> = model.layers.iter().map(|l| l.kind.name()).collect();
    assert_eq!(kinds, ["conv2d", "maxpool2d", "conv2d", "dense"]);
}

#[test]
fn the_nir_conv_graph_and_its_npz_arch_twin_cosimulate_without_a_mismatch() {
    // Conv2d → IF → SumPool2d → Conv2d → IF → Flatten → Affine → IF, written by `nir`: the
    // pool folds into conv2 (6x6 kernel, stride 4), so the hardware has two conv stages and a
    // dense one; the .npz + --arch import is the same file. Its 12 seeded samples, and the
    // maxpool variant, run in Verilator with every spike checked.
    let d = conv_fixtures();
    let cases = [
        ("conv.nir", "cosim-nir", vec![]),
        (
            "conv.npz",
            "cosim-npz",
            vec!["--arch", CONV_ARCH, "--input-shape", "1,8,8"],
        ),
        (
            "conv.npz",
            "cosim-maxpool",
            vec![
                "--arch",
                "conv:4:3:pad=1,maxpool:2,conv:6:3:stride=2:pad=1,dense:5",
                "--input-shape",
                "1,8,8",
                "--renormalize",
            ],
        ),
    ];
    for (file, name, extra) in cases {
        let model_path = d.join(format!("{name}.json"));
        import_with(&d.join(file), &model_path, &extra);
        let out = ttfs(&[
            "cosim",
            "--model",
            model_path.to_str().unwrap(),
            "--input",
            d.join("conv-samples.json").to_str().unwrap(),
            "--out",
            d.join(name).to_str().unwrap(),
            "--json",
        ]);
        let report: Value = serde_json::from_str(&ok(&out)).expect("cosim --json prints JSON");
        assert_eq!(report["samples"], 12, "{name}: {report}");
        assert_eq!(report["mismatches"], 0, "{name}: {report}");
        assert_eq!(report["spike_mismatches"], 0, "{name}: {report}");
    }
}

#[test]
fn a_kernel_not_summing_to_one_after_its_pool_is_folded_is_refused_naming_the_channel() {
    // conv2 sums to 1 only with each weight counted 4 times (after a 2x2 sum pool); after an
    // average pool it does not.
    let d = conv_fixtures();
    refused(
        &d.join("conv.npz"),
        &[
            "--arch",
            &CONV_ARCH.replace("sumpool", "avgpool"),
            "--input-shape",
            "1,8,8",
        ],
        &[
            "layer 2 (`conv2`), channel 0: kernel weights + bias sum to",
            "the average pool `avgpool:2` before it is folded in",
            "--renormalize",
        ],
    );
}

#[test]
fn conv_nodes_and_pools_that_cannot_be_mapped_are_refused_naming_the_node() {
    let d = conv_fixtures();
    refused(
        &d.join("conv-dilation.nir"),
        &[],
        &["node `conv2` (Conv2d)", "dilation [2, 2]", "must be 1"],
    );
    refused(
        &d.join("conv-groups.nir"),
        &[],
        &["node `conv2` (Conv2d)", "groups", "must be 1"],
    );
    refused(
        &d.join("conv-poolpad.nir"),
        &[],
        &["node `pool1` (SumPool2d)", "padding [1.0, 1.0]"],
    );
    refused(
        &d.join("conv-lastpool.nir"),
        &[],
        &["node `pool1` (SumPool2d)", "weighted layer after it"],
    );
    // NIR graphs carry their own shapes.
    refused(
        &d.join("conv.nir"),
        &["--arch", CONV_ARCH],
        &["--arch and --input-shape are for state dicts"],
    );
}

#[test]
fn a_conv_state_dict_without_or_with_a_wrong_arch_is_refused_saying_what_to_pass() {
    let d = conv_fixtures();
    let npz = d.join("conv.npz");
    refused(
        &npz,
        &[],
        &[
            "`conv1.weight` has shape [4, 1, 3, 3]",
            "--arch",
            "--input-shape",
        ],
    );
    refused(
        &npz,
        &["--arch", CONV_ARCH],
        &["--arch starts with `conv:4:3:pad=1`", "--input-shape C,H,W"],
    );
    refused(
        &npz,
        &[
            "--arch",
            "conv:4:5:pad=2,sumpool:2,conv:6:3:stride=2:pad=1,dense:5",
            "--input-shape",
            "1,8,8",
        ],
        &[
            "`conv1.weight` has shape [4, 1, 3, 3]",
            "--arch item 0 `conv:4:5:pad=2`",
            "[4, 1, 5, 5]",
        ],
    );
    refused(
        &npz,
        &["--arch", "conv:4:3:pad=1,dense:5", "--input-shape", "1,8,8"],
        &["2 conv/dense layers but the file holds 3 weights"],
    );
    refused(
        &npz,
        &["--arch", "conv:4,dense:5", "--input-shape", "1,8,8"],
        &["--arch item 0 `conv:4`", "conv takes 2 numbers"],
    );
    refused(
        &npz,
        &["--arch", CONV_ARCH, "--input-shape", "2,8,8"],
        &[
            "`conv1.weight` has shape [4, 1, 3, 3]",
            "needs [4, 2, 3, 3]",
        ],
    );
    refused(
        &npz,
        &["--arch", CONV_ARCH, "--input-shape", "1,0,8"],
        &["--input-shape `1,0,8`"],
    );
    refused(
        &d.join("conv-named.npz"),
        &[
            "--arch",
            &CONV_ARCH_NAMED.replace("classifier.1", "head"),
            "--input-shape",
            "1,8,8",
        ],
        &["names module `head`", "no `head.weight`"],
    );
}

#[test]
fn named_state_dicts_refuse_a_bias_without_weight_and_extra_tensors() {
    let d = fixtures();
    refused(
        &d.join("orphan.npz"),
        &[],
        &["`fc1.bias` has no `fc1.weight`"],
    );
    refused(
        &d.join("extra.npz"),
        &[],
        &["unknown key `fc1.scale`", "`<module>.weight`"],
    );
}

#[test]
fn export_of_a_conv_model_prints_the_arch_that_imports_it_back_bit_for_bit() {
    // A quantized model's values w / 2^F are exact in float32 and the quantizer is a fixed point
    // on its own grid, so export → import with the printed --input-shape/--arch gives back every
    // conv kernel, pool and dense row, through both formats: conv weights leave as
    // [out, in, Kh, Kw] and come back in the model's [o][c·Kh·Kw] order.
    let opts = golden::quantize::QuantizeOptions::new(8).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    for case in 0..8 {
        let mut m = golden::testkit::random_conv_model(&mut rng);
        // What `import --time-steps 16` writes by default.
        m.time_steps = 16;
        m.input_bits = 8;
        m.readout = golden::model::Readout::Potential;
        let grid = golden::quantize::grid_model(&m);
        let (want, _) = golden::quantize::quantize(&grid, &opts).unwrap();
        let src = dir().join(format!("export-conv-{case}.json"));
        want.save(&src).unwrap();
        for ext in ["npz", "safetensors"] {
            let file = dir().join(format!("export-conv-{case}.{ext}"));
            let said = ok(&ttfs(&[
                "export",
                "--model",
                src.to_str().unwrap(),
                "--out",
                file.to_str().unwrap(),
            ]));
            // "… import it back with: ttfs import F --time-steps 16 --input-shape C,H,W
            // --arch SPEC --out model.json"
            let words: Vec<&str> = said.split_whitespace().collect();
            let after = |flag: &str| {
                let k = words.iter().position(|w| *w == flag);
                k.map(|k| words[k + 1])
                    .unwrap_or_else(|| panic!("case {case}: no {flag} in: {said}"))
            };
            let (shape, arch) = (after("--input-shape"), after("--arch"));
            let back = dir().join(format!("export-conv-{case}-{ext}.json"));
            import_with(&file, &back, &["--input-shape", shape, "--arch", arch]);
            let got = golden::model::Model::load(&back).unwrap();
            assert_eq!(got, want, "case {case} ({ext}, --arch {arch}): round trip");
        }
    }
}
