//! Fuzzing the loaders: arbitrary bytes and mutated valid files fed to the lcttfs-model JSON
//! reader and to the three importers (`.npz`, `.safetensors`, NIR) never panic: every input
//! is either read or refused with an error. Deterministic (fixed proptest seed, no failure
//! persistence files), a few thousand cases in all.
//!
//! The importers catch a panic of a third-party parser and turn it into an error (see
//! `lcttfs::import::guarded`); the tests look for that error text too, so a parser panic
//! is not hidden: it fails the npz and safetensors tests, and is counted and reported for
//! NIR (where the guard is the documented protection around `hdf5-reader`).

use golden::model::{AnyModel, FloatLayer, FloatModel, Readout};
use golden::quantize::{quantize, QuantizeOptions};
use lcttfs::import::{self, ImportOptions, ImportedNetwork, Shaping, GUARD_MARKER};
use ndarray::{Array1, Array2};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A deterministic runner: fixed seed, no regression files, bounded shrinking.
fn runner(cases: u32, seed: u8) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    };
    TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

/// Arbitrary bytes, up to 1 KiB.
fn arbitrary() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..1024)
}

/// `seed` with up to 8 bytes overwritten, or bits flipped, and maybe truncated.
fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((any::<Index>(), any::<u8>(), any::<bool>()), 1..8),
        proptest::option::weighted(0.3, any::<Index>()),
    )
        .prop_map(move |(edits, cut)| {
            let mut b = seed.clone();
            for (at, v, flip) in edits {
                if b.is_empty() {
                    break;
                }
                let k = at.index(b.len());
                if flip {
                    b[k] ^= 1 << (v % 8);
                } else {
                    b[k] = v;
                }
            }
            if let Some(c) = cut {
                b.truncate(c.index(b.len() + 1));
            }
            b
        })
}

/// A small valid float network (3-4-2) whose rows sum to 1.
fn small_float() -> FloatModel {
    let layer = |inputs: usize, outputs: usize| {
        let w = 0.5 / inputs as f32;
        FloatLayer {
            kind: golden::model::LayerKind::Dense,
            inputs,
            outputs,
            weights: Array2::from_elem((outputs, inputs), w),
            bias: vec![0.5; outputs],
        }
    };
    FloatModel {
        time_steps: 8,
        input_bits: 4,
        readout: Readout::Potential,
        dataset: None,
        input_shape: None,
        layers: vec![layer(3, 4), layer(4, 2)],
    }
}

/// Whatever a reader returns, the rest of the import path must not panic on it either.
fn finish(net: ImportedNetwork) {
    let opts = ImportOptions {
        time_steps: 8,
        input_bits: 8,
        readout: Readout::Potential,
        weight_bits: 8,
        renormalize: true,
        shaping: Shaping::default(),
    };
    if let Ok(done) = import::import_network(net, &opts) {
        done.model.validate().expect("an imported model is valid");
    }
}

#[test]
fn model_json_reader_never_panics_on_arbitrary_or_mutated_text() {
    let float = small_float();
    let (quantized, _) = quantize(&float, &QuantizeOptions::new(8).unwrap()).unwrap();
    let seeds = [
        quantized.to_json_string().into_bytes(),
        float.to_json_string().into_bytes(),
    ];
    runner(500, 1)
        .run(&arbitrary(), |bytes| {
            let text = String::from_utf8_lossy(&bytes);
            let _ = AnyModel::from_json_str(&text, "fuzz");
            Ok(())
        })
        .unwrap();
    for (k, seed) in seeds.into_iter().enumerate() {
        runner(750, 2 + k as u8)
            .run(&mutated(seed), |bytes| {
                let text = String::from_utf8_lossy(&bytes);
                if let Ok(m) = AnyModel::from_json_str(&text, "fuzz") {
                    // Whatever was accepted is a model every other command can use.
                    match m {
                        AnyModel::Quantized(q) => q.validate().unwrap(),
                        AnyModel::Float(f) => {
                            f.validate().unwrap();
                            let _ = quantize(&f, &QuantizeOptions::new(8).unwrap());
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}

/// Runs `read` on arbitrary and mutated inputs; returns how many parser panics the guard
/// caught (each is an error, never a panic out of `read`).
fn fuzz_reader(
    name: &str,
    seeds: Vec<Vec<u8>>,
    arbitrary_cases: u32,
    mutated_cases: u32,
    read: fn(&[u8], &str) -> anyhow::Result<ImportedNetwork>,
) -> usize {
    let seeds_len = seeds.len();
    for seed in &seeds {
        let net = read(seed, "seed").unwrap_or_else(|e| panic!("the seed file must import: {e:#}"));
        assert!(!net.layers.is_empty());
    }
    let caught = AtomicUsize::new(0);
    let read_ok = AtomicUsize::new(0);
    let check = |bytes: Vec<u8>| -> Result<(), TestCaseError> {
        match read(&bytes, "fuzz") {
            Ok(net) => {
                read_ok.fetch_add(1, Ordering::Relaxed);
                finish(net)
            }
            Err(e) => {
                let msg = format!("{e:#}");
                prop_assert!(!msg.contains('\n'), "error spans lines: {msg}");
                if msg.contains(GUARD_MARKER) {
                    caught.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        Ok(())
    };
    runner(arbitrary_cases, 11)
        .run(&arbitrary(), check)
        .unwrap();
    for (k, seed) in seeds.into_iter().enumerate() {
        runner(mutated_cases, 12 + k as u8)
            .run(&mutated(seed), check)
            .unwrap();
    }
    // How deep the mutations reach: files still read go on through check and quantize.
    eprintln!(
        "{name}: {} arbitrary + {} mutated inputs, {} read as a network",
        arbitrary_cases,
        mutated_cases * seeds_len as u32,
        read_ok.into_inner()
    );
    caught.into_inner()
}

/// A valid `.npz` state dict written by `ndarray-npy` (stored, or deflate-compressed).
fn npz_bytes(compressed: bool) -> Vec<u8> {
    let cursor = std::io::Cursor::new(Vec::new());
    let mut w = if compressed {
        ndarray_npy::NpzWriter::new_compressed(cursor)
    } else {
        ndarray_npy::NpzWriter::new(cursor)
    };
    w.add_array("layers.0.weight", &Array2::<f32>::from_elem((4, 3), 0.125))
        .unwrap();
    w.add_array("layers.0.bias", &Array1::<f32>::from_elem(4, 0.625))
        .unwrap();
    w.add_array("layers.2.weight", &Array2::<f64>::from_elem((2, 4), 0.25))
        .unwrap();
    w.add_array("layers.2.bias", &Array1::<f64>::zeros(2))
        .unwrap();
    w.finish().unwrap().into_inner()
}

/// A valid conv state dict for [`CONV_ARCH`] on a 1x4x4 input: conv 2@3x3 pad 1 (each weight
/// 1/18, bias 1/2), average pool 2x2 (folded), dense 3 over 2x2x2 (each 1/16, bias 1/2).
fn conv_npz_bytes() -> Vec<u8> {
    let mut w = ndarray_npy::NpzWriter::new(std::io::Cursor::new(Vec::new()));
    w.add_array(
        "features.0.weight",
        &ndarray::Array4::<f32>::from_elem((2, 1, 3, 3), 1.0 / 18.0),
    )
    .unwrap();
    w.add_array("features.0.bias", &Array1::<f32>::from_elem(2, 0.5))
        .unwrap();
    w.add_array("fc.weight", &Array2::<f32>::from_elem((3, 8), 0.0625))
        .unwrap();
    w.add_array("fc.bias", &Array1::<f32>::from_elem(3, 0.5))
        .unwrap();
    w.finish().unwrap().into_inner()
}

/// `--arch` / `--input-shape` of [`conv_npz_bytes`] (and of the named safetensors twin).
const CONV_ARCH: &str = "features.0=conv:2:3:pad=1,avgpool:2,fc=dense:3";

fn conv_shaping() -> Shaping {
    Shaping {
        arch: Some(CONV_ARCH.parse().unwrap()),
        input_shape: Some([1, 4, 4]),
    }
}

fn read_npz_plain(b: &[u8], origin: &str) -> anyhow::Result<ImportedNetwork> {
    import::npz::read_npz(b, origin, &Shaping::default())
}

fn read_npz_conv(b: &[u8], origin: &str) -> anyhow::Result<ImportedNetwork> {
    import::npz::read_npz(b, origin, &conv_shaping())
}

fn read_safetensors_plain(b: &[u8], origin: &str) -> anyhow::Result<ImportedNetwork> {
    import::safetensors::read_safetensors(b, origin, &Shaping::default())
}

fn read_safetensors_conv(b: &[u8], origin: &str) -> anyhow::Result<ImportedNetwork> {
    import::safetensors::read_safetensors(b, origin, &conv_shaping())
}

#[test]
fn npz_importer_never_panics_on_arbitrary_or_mutated_files() {
    let caught = fuzz_reader(
        "npz",
        vec![npz_bytes(false), npz_bytes(true)],
        300,
        600,
        read_npz_plain,
    );
    assert_eq!(caught, 0, "the npz parser panicked on {caught} inputs");
}

#[test]
fn npz_importer_with_arch_never_panics_on_arbitrary_or_mutated_conv_files() {
    let caught = fuzz_reader(
        "npz --arch",
        vec![conv_npz_bytes()],
        200,
        800,
        read_npz_conv,
    );
    assert_eq!(caught, 0, "the npz parser panicked on {caught} inputs");
}

/// The conv network of [`conv_npz_bytes`] as safetensors, modules named.
fn conv_safetensors_bytes() -> Vec<u8> {
    use safetensors::tensor::{Dtype, TensorView};
    let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let (w0, b0) = (f32s(&[1.0 / 18.0; 18]), f32s(&[0.5; 2]));
    let (w1, b1) = (f32s(&[0.0625; 24]), f32s(&[0.5; 3]));
    let tensors = vec![
        (
            "features.0.weight",
            TensorView::new(Dtype::F32, vec![2, 1, 3, 3], &w0).unwrap(),
        ),
        (
            "features.0.bias",
            TensorView::new(Dtype::F32, vec![2], &b0).unwrap(),
        ),
        (
            "fc.weight",
            TensorView::new(Dtype::F32, vec![3, 8], &w1).unwrap(),
        ),
        (
            "fc.bias",
            TensorView::new(Dtype::F32, vec![3], &b1).unwrap(),
        ),
    ];
    safetensors::serialize(tensors, None).unwrap()
}

#[test]
fn safetensors_importer_with_arch_never_panics_on_arbitrary_or_mutated_conv_files() {
    let caught = fuzz_reader(
        "safetensors --arch",
        vec![conv_safetensors_bytes()],
        200,
        800,
        read_safetensors_conv,
    );
    assert_eq!(
        caught, 0,
        "the safetensors parser panicked on {caught} inputs"
    );
}

fn safetensors_bytes() -> Vec<u8> {
    use safetensors::tensor::{Dtype, TensorView};
    let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let w0 = f32s(&[0.125; 12]);
    let b0 = f32s(&[0.625; 4]);
    let w2: Vec<u8> = [0.25f64; 8].iter().flat_map(|x| x.to_le_bytes()).collect();
    let b2 = vec![0u8; 16];
    let tensors = vec![
        (
            "layers.0.weight",
            TensorView::new(Dtype::F32, vec![4, 3], &w0).unwrap(),
        ),
        (
            "layers.0.bias",
            TensorView::new(Dtype::F32, vec![4], &b0).unwrap(),
        ),
        (
            "layers.2.weight",
            TensorView::new(Dtype::F64, vec![2, 4], &w2).unwrap(),
        ),
        (
            "layers.2.bias",
            TensorView::new(Dtype::F64, vec![2], &b2).unwrap(),
        ),
    ];
    safetensors::serialize(tensors, None).unwrap()
}

#[test]
fn safetensors_importer_never_panics_on_arbitrary_or_mutated_files() {
    let caught = fuzz_reader(
        "safetensors",
        vec![safetensors_bytes()],
        300,
        1000,
        read_safetensors_plain,
    );
    assert_eq!(
        caught, 0,
        "the safetensors parser panicked on {caught} inputs"
    );
}

/// A small valid NIR graph written by the reference `nir` package (scripts/tools.sh).
fn nir_bytes() -> Vec<u8> {
    nir_from_script("fuzz-seed.nir", NIR_DENSE)
}

const NIR_DENSE: &str = r#"
import sys, numpy as np, nir
g = nir.NIRGraph(nodes={
    "input": nir.Input(input_type=np.array([3])),
    "fc1": nir.Affine(weight=np.full((4, 3), 0.125, np.float32), bias=np.full(4, 0.625, np.float32)),
    "if1": nir.IF(r=np.ones(4), v_threshold=np.ones(4)),
    "fc2": nir.Linear(weight=np.full((2, 4), 0.25, np.float32)),
    "output": nir.Output(output_type=np.array([2]))},
    edges=[("input", "fc1"), ("fc1", "if1"), ("if1", "fc2"), ("fc2", "output")])
nir.write(sys.argv[1], g)
"#;

/// Conv2d → IF → SumPool2d → Flatten → Affine: the conv paths of the NIR reader.
const NIR_CONV: &str = r#"
import sys, numpy as np, nir
g = nir.NIRGraph(nodes={
    "input": nir.Input(input_type=np.array([1, 4, 4])),
    "c1": nir.Conv2d(input_shape=(4, 4), weight=np.full((2, 1, 3, 3), 1 / 18, np.float32), stride=1, padding="same",
                     dilation=1, groups=1, bias=np.full(2, 0.5, np.float32)),
    "if1": nir.IF(r=np.ones((2, 4, 4)), v_threshold=np.ones((2, 4, 4))),
    "p1": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
    "flat": nir.Flatten(input_type={"input": np.array([2, 2, 2])}, start_dim=0),
    "fc": nir.Affine(weight=np.full((3, 8), 1 / 64, np.float32), bias=np.full(3, 0.5, np.float32)),
    "output": nir.Output(output_type=np.array([3]))},
    edges=[("input", "c1"), ("c1", "if1"), ("if1", "p1"), ("p1", "flat"), ("flat", "fc"), ("fc", "output")],
    type_check=False)
nir.write(sys.argv[1], g)
"#;

/// Runs a writer script of the reference `nir` package; returns the file it wrote.
fn nir_from_script(name: &str, script: &str) -> Vec<u8> {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-tools/bin/python");
    assert!(
        py.is_file(),
        "{} is missing: run scripts/tools.sh (it installs nir, which writes the NIR seed file)",
        py.display()
    );
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let out = Command::new(&py)
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .expect("run the tools Python");
    assert!(
        out.status.success(),
        "writing the NIR seed failed (run scripts/tools.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&path).unwrap()
}

#[test]
fn nir_importer_never_panics_on_arbitrary_or_mutated_files() {
    let seeds = vec![nir_bytes(), nir_from_script("fuzz-conv.nir", NIR_CONV)];
    let caught = fuzz_reader("NIR", seeds, 300, 1000, import::nir::read_nir);
    // hdf5-reader runs behind the panic guard; report how often it was needed.
    eprintln!(
        "NIR fuzz: the hdf5-reader guard caught {caught} parser panics (each became an error)"
    );
}
