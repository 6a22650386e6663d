//! The error table: for every command, bad inputs that must each be refused with a non-zero
//! exit and exactly one line on stderr, `error: …`, naming the culprit: never a panic, a
//! backtrace or an "internal error". Rows are data; [`Row`] says what is run and which word
//! the line must contain. Every row stops before any simulation or place-and-route, so the
//! whole table runs in seconds.

mod common;

use common::{assert_one_error_line, random_model, save_random_model, tmp_in, CRASH_WORDS};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every command with rows in the table.
const COMMANDS: &[&str] = &[
    "gen-verilog",
    "train",
    "quantize",
    "eval",
    "sim",
    "bench",
    "cosim",
    "synth",
    "import",
    "export",
    "plot",
];

/// One bad invocation.
struct Row {
    /// `gen-verilog` or a `ttfs` subcommand.
    command: &'static str,
    /// What is wrong, for failure messages.
    what: &'static str,
    /// Arguments after the command.
    args: Vec<String>,
    /// Extra environment.
    env: Vec<(&'static str, String)>,
    /// Must appear in the error line: the culprit (file, option, target, tool).
    needle: String,
    /// Refused by clap's own parser (value parsers): its first line is `error: …` and its
    /// usage hint follows, so only the first line is checked.
    clap: bool,
}

fn row(command: &'static str, what: &'static str, args: &[&str], needle: &str) -> Row {
    Row {
        command,
        what,
        args: args.iter().map(|s| s.to_string()).collect(),
        env: vec![],
        needle: needle.to_string(),
        clap: false,
    }
}

impl Row {
    fn env(mut self, k: &'static str, v: impl Into<String>) -> Row {
        self.env.push((k, v.into()));
        self
    }

    /// Runs with the datasets' files absent: `LCTTFS_DATA` points at `dir` and the system-wide
    /// installs (Debian's `/usr/share/datasets`) are not searched.
    fn without_data(self, dir: &str) -> Row {
        self.env("LCTTFS_DATA", dir)
            .env("LCTTFS_NO_SYSTEM_DATA", "1")
    }

    fn clap(mut self) -> Row {
        self.clap = true;
        self
    }

    fn run(&self) {
        let exe = if self.command == "gen-verilog" {
            env!("CARGO_BIN_EXE_gen-verilog")
        } else {
            env!("CARGO_BIN_EXE_ttfs")
        };
        let mut cmd = Command::new(exe);
        if self.command != "gen-verilog" {
            cmd.arg(self.command);
        }
        let out = cmd
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("run the command");
        let what = format!(
            "{} ({}): {} {}",
            self.command,
            self.what,
            self.command,
            self.args.join(" ")
        );
        if self.clap {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{what}: should fail");
            for w in CRASH_WORDS {
                assert!(!err.contains(w), "{what}: {err}");
            }
            let first = err.lines().next().unwrap_or("");
            assert!(
                first.starts_with("error: ") && first.contains(&self.needle),
                "{what}: {first:?} should start with `error: ` and name {:?}",
                self.needle
            );
        } else {
            let line = assert_one_error_line(&what, &out, &self.needle);
            eprintln!("{:<12} {:<28} {line}", self.command, self.what);
        }
    }
}

/// The bad input files, made once per run.
struct Fixtures {
    dir: PathBuf,
    empty_dir: PathBuf,
    png: String,
    trunc: String,
    /// A valid 16-8-4 quantized model.
    small: String,
    /// Layer 2 takes 9 inputs but layer 1 has 8 outputs.
    shape: String,
    /// A version-2 file whose first layer is a `conv2d` (not supported yet).
    conv_v2: String,
    /// Quantized, row 0 of layer 1 sums to 2^F + 1.
    rowsum: String,
    /// Float models: valid, with a NaN weight, rows not summing to 1, layer shapes mismatched.
    float: String,
    float_nan: String,
    float_rowsum: String,
    float_shape: String,
    /// A 64-4096-4 model: 2 Mbit of weights, more than an iCE40 UP5K holds.
    big: String,
    /// The default model with time_steps = 12 / a bias out of the weight range.
    bad_t: String,
    bias_range: String,
    samples_trunc: String,
    samples_short: String,
    /// Two valid samples for the 16-input models.
    samples16: String,
    samples_nonjson: String,
    /// x[5] = 300 for 8-bit inputs.
    samples_big: String,
    /// The 16-8-4 model recording `"dataset": "cifar10"` / `"dataset": "fashion-mnist"`.
    bad_dataset: String,
    fashion16: String,
    /// An IDX file of 28×28 images (the committed MNIST fixture).
    images784: String,
    /// Import inputs: a cut-off zip, a header-less safetensors, a file without HDF5 magic.
    trunc_npz: String,
    trunc_safetensors: String,
    garbage_nir: String,
    /// A conv state dict (`conv1.weight` [2, 1, 3, 3], `fc.weight` [3, 8]), and a dense one
    /// with a tensor that is neither a weight nor a bias (`fc1.scale`).
    conv_npz: String,
    extra_npz: String,
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// A quantized model as JSON, to be broken.
fn model_value(seed: u64, widths: &[usize]) -> Value {
    serde_json::from_str(&random_model(seed, widths).to_json_string()).unwrap()
}

/// The float twin of a quantized model: weights / 2^F, no `frac_bits` (rows sum to 1).
fn to_float(mut v: Value) -> Value {
    for l in v["layers"].as_array_mut().unwrap() {
        let one = (1u64 << l["frac_bits"].as_u64().unwrap()) as f64;
        let scale = |x: &Value| Value::from(x.as_f64().unwrap() / one);
        l["weights"] = Value::Array(
            l["weights"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| Value::Array(r.as_array().unwrap().iter().map(scale).collect()))
                .collect(),
        );
        l["bias"] = Value::Array(l["bias"].as_array().unwrap().iter().map(scale).collect());
        l.as_object_mut().unwrap().remove("frac_bits");
    }
    v
}

/// Layer 2 of a 16-9-4 model after layer 1 of a 16-8-4 one.
fn mismatched(float: bool) -> Value {
    let mut a = model_value(1, &[16, 8, 4]);
    let b = model_value(2, &[16, 9, 4]);
    a["layers"][1] = b["layers"][1].clone();
    if float {
        to_float(a)
    } else {
        a
    }
}

impl Fixtures {
    fn new() -> Fixtures {
        let dir = tmp_in("errors", "fixtures");
        std::fs::create_dir_all(&dir).unwrap();
        let empty_dir = dir.join("empty");
        std::fs::create_dir_all(&empty_dir).unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            s(&p)
        };
        let png = dir.join("model.png");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\xff\xfe").unwrap();
        let trunc = write(
            "trunc.json",
            "{\"format\": \"lcttfs-model\", \"version\": 1, \"layers\": [",
        );
        let small = s(&save_random_model(3, &[16, 8, 4], &dir.join("small.json")));
        let shape = write("shape.json", &mismatched(false).to_string());
        let mut conv = model_value(3, &[16, 8, 4]);
        conv["version"] = Value::from(2);
        conv["input_shape"] = serde_json::json!([1, 4, 4]);
        conv["layers"][0]["kind"] = Value::from("conv2d");
        let conv_v2 = write("conv-v2.json", &conv.to_string());
        let mut broken = model_value(3, &[16, 8, 4]);
        let b0 = broken["layers"][0]["bias"][0].as_i64().unwrap();
        // Stay inside the 8-bit range so the row sum, not the range, is what is wrong.
        broken["layers"][0]["bias"][0] = Value::from(if b0 < 127 { b0 + 1 } else { b0 - 1 });
        let rowsum = write("rowsum.json", &broken.to_string());
        let mut with_dataset = model_value(3, &[16, 8, 4]);
        with_dataset["dataset"] = Value::from("cifar10");
        let bad_dataset = write("bad-dataset.json", &with_dataset.to_string());
        with_dataset["dataset"] = Value::from("fashion-mnist");
        let fashion16 = write("fashion16.json", &with_dataset.to_string());
        let images784 = s(&Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("golden/tests/fixtures/mnist-t10k-100-images-idx3-ubyte"));
        let float_v = to_float(model_value(3, &[16, 8, 4]));
        let float = write("float.json", &float_v.to_string());
        let mut nan = float_v.clone();
        nan["layers"][0]["weights"][0][0] = Value::from(12345.5);
        let float_nan = write(
            "float-nan.json",
            &nan.to_string().replacen("12345.5", "NaN", 1),
        );
        let mut doubled = float_v.clone();
        for w in doubled["layers"][0]["weights"][0].as_array_mut().unwrap() {
            *w = Value::from(w.as_f64().unwrap() * 2.0 + 0.01);
        }
        let float_rowsum = write("float-rowsum.json", &doubled.to_string());
        let float_shape = write("float-shape.json", &mismatched(true).to_string());
        let big = s(&save_random_model(4, &[64, 4096, 4], &dir.join("big.json")));
        let default = golden::default_model::quantized().to_json_string();
        let bad_t = write(
            "bad-t.json",
            &default.replacen("\"time_steps\": 16", "\"time_steps\": 12", 1),
        );
        let bias_range = write(
            "bias-range.json",
            &default.replacen("\"bias\": [", "\"bias\": [1000,", 1),
        );
        let mut x = vec![0; 784];
        x[5] = 300;
        let samples_big = write(
            "samples-big.json",
            &serde_json::json!({ "samples": [x] }).to_string(),
        );
        let samples16 = write(
            "samples16.json",
            &serde_json::json!({ "samples": [vec![0; 16], vec![255; 16]] }).to_string(),
        );
        let samples_nonjson = write("samples-nonjson.json", "samples: 1");
        let samples_trunc = write("samples-trunc.json", "{\"samples\": [[1, 2,");
        let samples_short = write("samples-short.json", "{\"samples\": [[1, 2, 3]]}");
        let bytes = |name: &str, b: &[u8]| {
            let p = dir.join(name);
            std::fs::write(&p, b).unwrap();
            s(&p)
        };
        // A zip local-file header cut off after its signature, as a broken download leaves it.
        let trunc_npz = bytes("trunc.npz", b"PK\x03\x04\x14\x00\x00\x00\x08\x00");
        // The 8-byte little-endian header length promises 1000 bytes of JSON; one follows.
        let trunc_safetensors = bytes("trunc.safetensors", b"\xe8\x03\0\0\0\0\0\0{");
        let garbage_nir = bytes("garbage.nir", b"not an HDF5 file");
        let npz = |name: &str, arrays: Vec<(&str, ndarray::ArrayD<f32>)>| {
            let p = dir.join(name);
            let mut w = ndarray_npy::NpzWriter::new(std::fs::File::create(&p).unwrap());
            for (key, a) in arrays {
                w.add_array(key, &a).unwrap();
            }
            w.finish().unwrap();
            s(&p)
        };
        let filled = |shape: &[usize], v: f32| ndarray::ArrayD::from_elem(shape, v);
        let conv_npz = npz(
            "conv.npz",
            vec![
                ("conv1.weight", filled(&[2, 1, 3, 3], 1.0 / 18.0)),
                ("conv1.bias", filled(&[2], 0.5)),
                ("fc.weight", filled(&[3, 8], 1.0 / 16.0)),
                ("fc.bias", filled(&[3], 0.5)),
            ],
        );
        let extra_npz = npz(
            "extra.npz",
            vec![
                ("fc1.weight", filled(&[4, 3], 0.25)),
                ("fc1.scale", filled(&[4], 1.0)),
            ],
        );
        Fixtures {
            conv_npz,
            extra_npz,
            bad_dataset,
            fashion16,
            images784,
            trunc_npz,
            trunc_safetensors,
            garbage_nir,
            png: s(&png),
            empty_dir,
            dir,
            trunc,
            small,
            shape,
            conv_v2,
            rowsum,
            float,
            float_nan,
            float_rowsum,
            float_shape,
            big,
            bad_t,
            bias_range,
            samples_trunc,
            samples_short,
            samples16,
            samples_nonjson,
            samples_big,
        }
    }

    fn out(&self, name: &str) -> String {
        s(&self.dir.join("out").join(name))
    }
}

fn rows(f: &Fixtures) -> Vec<Row> {
    let missing = "/nonexistent/model.json";
    let empty = s(&f.empty_dir);
    let o = f.out("gen");
    let mut rows = vec![
        // gen-verilog
        row(
            "gen-verilog",
            "missing file",
            &["--model", missing, "--out", &o],
            missing,
        ),
        row(
            "gen-verilog",
            "PNG as model",
            &["--model", &f.png, "--out", &o],
            &f.png,
        ),
        row(
            "gen-verilog",
            "version-2 conv2d layer",
            &["--model", &f.conv_v2, "--out", &o],
            "conv2d",
        ),
        row(
            "gen-verilog",
            "zero input lanes",
            &["--input-lanes", "0", "--out", &o],
            "--input-lanes 0",
        ),
        row(
            "gen-verilog",
            "input beat over 64 bits",
            &["--input-lanes", "9", "--out", &o],
            "--input-lanes 9",
        ),
        row(
            "gen-verilog",
            "three events per pass",
            &["--events-per-cycle", "3,1", "--out", &o],
            "--events-per-cycle 3 for layer 1",
        ),
        row(
            "gen-verilog",
            "events per pass miscounted",
            &["--events-per-cycle", "2", "--out", &o],
            "--events-per-cycle has 1 values",
        ),
        row(
            "gen-verilog",
            "two events per pass with runtime weights",
            &[
                "--events-per-cycle",
                "2,1",
                "--weights",
                "runtime",
                "--out",
                &o,
            ],
            "--events-per-cycle 2 for layer 1",
        ),
        row(
            "gen-verilog",
            "two events per pass from single-port SPRAM",
            &[
                "--target",
                "ice40-up5k",
                "--events-per-cycle",
                "2,1",
                "--out",
                &o,
            ],
            "single-port SPRAM",
        ),
        row(
            "gen-verilog",
            "truncated JSON",
            &["--model", &f.trunc, "--out", &o],
            &f.trunc,
        ),
        row(
            "gen-verilog",
            "layer inputs mismatch",
            &["--model", &f.shape, "--out", &o],
            &f.shape,
        ),
        row(
            "gen-verilog",
            "row sum ≠ 2^F",
            &["--model", &f.rowsum, "--out", &o],
            &f.rowsum,
        ),
        row(
            "gen-verilog",
            "NaN weight",
            &["--model", &f.float_nan, "--out", &o],
            &f.float_nan,
        ),
        row(
            "gen-verilog",
            "unknown target",
            &["--target", "virtex", "--out", &o],
            "virtex",
        )
        .clap(),
        row(
            "gen-verilog",
            "too big for the target",
            &["--model", &f.big, "--target", "ice40-up5k", "--out", &o],
            "ice40-up5k",
        ),
        row(
            "gen-verilog",
            "bad --clock-mhz",
            &["--clock-mhz", "0", "--out", &o],
            "--clock-mhz",
        ),
        row(
            "gen-verilog",
            "lanes > neurons",
            &["--lanes", "200,2", "--out", &o],
            "layer 1: 200 lanes",
        ),
        row(
            "gen-verilog",
            "too few lanes for one SPRAM deep (was a panic in the weight memory)",
            &["--target", "ice40-up5k", "--lanes", "4,1", "--out", &o],
            "layer 1 with 4 lanes needs 25120 weight rows (784 inputs + bias, times 32 groups) but an SPRAM of ice40-up5k holds 16384: give it at least 7 lanes",
        ),
        row(
            "gen-verilog",
            "lanes per layer",
            &["--lanes", "8", "--out", &o],
            "--lanes has 1 values but the model has 2 layers",
        ),
        row(
            "gen-verilog",
            "zero lanes",
            &["--lanes", "0,1", "--out", &o],
            "layer 1: 0 lanes",
        ),
        row(
            "gen-verilog",
            "weights over block RAMs",
            &["--target", "ecp5-25k", "--lanes", "128,10", "--out", &o],
            "ecp5-25k has 56",
        ),
        row(
            "gen-verilog",
            "bias length ≠ outputs",
            &["--model", &f.bias_range, "--out", &o],
            &f.bias_range,
        ),
        row(
            "gen-verilog",
            "unknown dataset in the model",
            &["--model", &f.bad_dataset, "--out", &o],
            "\"cifar10\"",
        ),
        row(
            "gen-verilog",
            "model's dataset is missing",
            &["--model", &f.fashion16, "--out", &o],
            &format!("{empty}/fashion-mnist/t10k-images-idx3-ubyte"),
        )
        .without_data(&empty),
        row(
            "gen-verilog",
            "--activity data is missing",
            &["--activity", "fashion-mnist", "--out", &o],
            "bash scripts/fetch-mnist.sh --fashion --no-mnist",
        )
        .without_data(&empty),
        row(
            "gen-verilog",
            "--activity FILE wrong size",
            &["--model", &f.small, "--activity", &f.images784, "--out", &o],
            "28×28 = 784 pixels but the model takes 16 inputs",
        ),
        row(
            "gen-verilog",
            "unknown --activity value",
            &["--activity", "fashon", "--out", &o],
            "--activity fashon",
        ),
        // train
        row(
            "train",
            "missing dataset",
            &["--dataset", "mnist", "--out", &f.out("t.json")],
            &empty,
        )
        .env("LCTTFS_DATA", empty.clone()),
        row(
            "train",
            "bad --time-steps",
            &[
                "--dataset",
                "mnist",
                "--time-steps",
                "12",
                "--out",
                &f.out("t.json"),
            ],
            "12",
        ),
        row(
            "train",
            "zero hidden width",
            &[
                "--dataset",
                "mnist",
                "--hidden",
                "0",
                "--out",
                &f.out("t.json"),
            ],
            "hidden",
        ),
        row(
            "train",
            "unknown dataset",
            &["--dataset", "cifar", "--out", &f.out("t.json")],
            "cifar",
        )
        .clap(),
        row(
            "train",
            "weight bits out of range",
            &[
                "--dataset",
                "mnist",
                "--weight-bits",
                "1",
                "--out",
                &f.out("t.json"),
            ],
            "weight_bits = 1",
        ),
        row(
            "train",
            "QAT start after the last epoch",
            &[
                "--dataset",
                "mnist",
                "--epochs",
                "2",
                "--weight-bits",
                "4",
                "--qat-start-epoch",
                "3",
                "--out",
                &f.out("t.json"),
            ],
            "--qat-start-epoch 3",
        ),
        row(
            "train",
            "unknown --arch layer",
            &[
                "--dataset",
                "mnist",
                "--arch",
                "conv:8:5,lstm:3,dense:10",
                "--out",
                &f.out("t.json"),
            ],
            "--arch item 1 `lstm:3`: unknown layer `lstm`",
        ),
        row(
            "train",
            "--arch kernel larger than the input",
            &[
                "--dataset",
                "mnist",
                "--arch",
                "conv:8:30,dense:10",
                "--out",
                &f.out("t.json"),
            ],
            "does not fit its input 1x28x28",
        ),
        row(
            "train",
            "--arch ending in a pool",
            &[
                "--dataset",
                "mnist",
                "--arch",
                "conv:8:5,maxpool:2",
                "--out",
                &f.out("t.json"),
            ],
            "the last layer must be weighted",
        ),
        row(
            "train",
            "--input-shape of two numbers",
            &[
                "--dataset",
                "mnist",
                "--arch",
                "conv:8:5,dense:10",
                "--input-shape",
                "28,28",
                "--out",
                &f.out("t.json"),
            ],
            "--input-shape takes three numbers C,H,W",
        ),
        row(
            "eval",
            "unknown built-in model name",
            &["--model", "cifar-cnn", "--dataset", "mnist"],
            "the built-in models are mnist-mlp, mnist-mlp-w4, mnist-cnn, fashion-cnn",
        ),
        row(
            "gen-verilog",
            "unknown built-in model name",
            &["--model", "mnist-mlp-w3", "--out", &o],
            "mnist-mlp-w3",
        ),
        row(
            "quantize",
            "unknown built-in model name",
            &["--model", "mnist", "--out", &f.out("q.json")],
            "not a built-in model name",
        ),
        // quantize
        row(
            "quantize",
            "missing file",
            &["--model", missing, "--out", &f.out("q.json")],
            missing,
        ),
        row(
            "quantize",
            "PNG as model",
            &["--model", &f.png, "--out", &f.out("q.json")],
            &f.png,
        ),
        row(
            "quantize",
            "truncated JSON",
            &["--model", &f.trunc, "--out", &f.out("q.json")],
            &f.trunc,
        ),
        row(
            "quantize",
            "layer inputs mismatch",
            &["--model", &f.float_shape, "--out", &f.out("q.json")],
            &f.float_shape,
        ),
        row(
            "quantize",
            "NaN weight",
            &["--model", &f.float_nan, "--out", &f.out("q.json")],
            &f.float_nan,
        ),
        row(
            "quantize",
            "row sum ≠ 1",
            &["--model", &f.float_rowsum, "--out", &f.out("q.json")],
            &f.float_rowsum,
        ),
        row(
            "quantize",
            "bad --weight-bits",
            &[
                "--model",
                &f.float,
                "--weight-bits",
                "1",
                "--out",
                &f.out("q.json"),
            ],
            "weight_bits = 1",
        ),
        row(
            "quantize",
            "already quantized",
            &["--model", &f.small, "--out", &f.out("q.json")],
            "already quantized",
        ),
        // eval
        row(
            "eval",
            "missing file",
            &["--model", missing, "--dataset", "mnist"],
            missing,
        ),
        row(
            "eval",
            "PNG as model",
            &["--model", &f.png, "--dataset", "mnist"],
            &f.png,
        ),
        row(
            "eval",
            "row sum ≠ 2^F",
            &["--model", &f.rowsum, "--dataset", "mnist"],
            &f.rowsum,
        ),
        row(
            "eval",
            "PNG as float model",
            &["--float-model", &f.png, "--dataset", "mnist"],
            &f.png,
        ),
        row("eval", "missing dataset", &["--dataset", "mnist"], &empty)
            .env("LCTTFS_DATA", empty.clone()),
        row(
            "eval",
            "model does not take MNIST",
            &["--model", &f.small, "--dataset", "mnist", "--limit", "5"],
            "784",
        ),
        row(
            "eval",
            "--limit 0",
            &["--dataset", "mnist", "--limit", "0"],
            "--limit 0",
        ),
        // sim
        row(
            "sim",
            "missing samples file",
            &["--input", "/nonexistent/s.json"],
            "/nonexistent/s.json",
        ),
        row("sim", "PNG as samples", &["--input", &f.png], &f.png),
        row(
            "sim",
            "truncated samples",
            &["--input", &f.samples_trunc],
            &f.samples_trunc,
        ),
        row(
            "sim",
            "wrong sample length",
            &["--input", &f.samples_short],
            "samples[0]: sample has 3 values but the model takes 784",
        ),
        row(
            "sim",
            "truncated model",
            &["--model", &f.trunc, "--input", &f.samples_short],
            &f.trunc,
        ),
        row(
            "sim",
            "layer inputs mismatch",
            &["--model", &f.shape, "--input", &f.samples_short],
            &f.shape,
        ),
        row(
            "sim",
            "input out of range",
            &["--input", &f.samples_big],
            "x[5] = 300 does not fit input_bits = 8",
        ),
        row(
            "sim",
            "samples not JSON",
            &["--input", &f.samples_nonjson],
            &f.samples_nonjson,
        ),
        row(
            "sim",
            "T not a power of two",
            &["--model", &f.bad_t, "--input", &f.samples_short],
            "time_steps = 12",
        ),
        // bench
        row("bench", "missing dataset", &[], &empty).env("LCTTFS_DATA", empty.clone()),
        row("bench", "PNG as model", &["--model", &f.png], &f.png),
        row("bench", "--limit 0", &["--limit", "0"], "--limit 0"),
        // cosim
        row(
            "cosim",
            "bad --stall-prob",
            &[
                "--input",
                &f.samples16,
                "--stall-prob",
                "2",
                "--out",
                &f.out("cosim"),
            ],
            "--stall-prob 2",
        ),
        row(
            "cosim",
            "no samples",
            &["--out", &f.out("cosim")],
            "--input",
        ),
        row(
            "cosim",
            "missing samples file",
            &["--input", "/nonexistent/s.json", "--out", &f.out("cosim")],
            "/nonexistent/s.json",
        ),
        row(
            "cosim",
            "missing dataset",
            &["--dataset", "mnist", "--out", &f.out("cosim")],
            &empty,
        )
        .env("LCTTFS_DATA", empty.clone()),
        row(
            "cosim",
            "model's dataset is missing",
            &[
                "--model",
                &f.fashion16,
                "--input",
                &f.samples16,
                "--out",
                &f.out("cosim"),
            ],
            "--activity random",
        )
        .without_data(&empty),
        row(
            "cosim",
            "NaN weight",
            &[
                "--model",
                &f.float_nan,
                "--input",
                &f.samples16,
                "--out",
                &f.out("cosim"),
            ],
            &f.float_nan,
        ),
        row(
            "cosim",
            "too big for the target",
            &[
                "--model",
                &f.big,
                "--target",
                "ice40-up5k",
                "--input",
                &f.samples16,
                "--out",
                &f.out("cosim"),
            ],
            "ice40-up5k",
        ),
        row(
            "cosim",
            "missing Verilator",
            &[
                "--model",
                &f.small,
                "--input",
                &f.samples16,
                "--out",
                &f.out("cosim"),
            ],
            "erilator",
        )
        .env("PATH", empty.clone()),
        // synth
        row(
            "synth",
            "generic target",
            &["--model", &f.small, "--out", &f.out("synth")],
            "--target",
        ),
        row(
            "synth",
            "missing tool",
            &[
                "--model",
                &f.small,
                "--target",
                "ice40-up5k",
                "--out",
                &f.out("synth"),
            ],
            "yosys",
        )
        .env("PATH", empty.clone())
        .env("LCTTFS_TOOLS_DIR", empty.clone()),
        row(
            "synth",
            "bad --cycles-per-sample",
            &[
                "--model",
                &f.small,
                "--target",
                "ice40-up5k",
                "--cycles-per-sample",
                "0",
                "--out",
                &f.out("synth"),
            ],
            "--cycles-per-sample",
        ),
        row(
            "synth",
            "truncated --cosim-json",
            &[
                "--model",
                &f.small,
                "--target",
                "ice40-up5k",
                "--cosim-json",
                &f.trunc,
                "--out",
                &f.out("synth"),
            ],
            &f.trunc,
        ),
        row(
            "synth",
            "too big for the target",
            &[
                "--model",
                &f.big,
                "--target",
                "ice40-up5k",
                "--out",
                &f.out("synth"),
            ],
            "ice40-up5k",
        ),
        row(
            "synth",
            "PNG as model",
            &[
                "--model",
                &f.png,
                "--target",
                "ice40-up5k",
                "--out",
                &f.out("synth"),
            ],
            &f.png,
        ),
        // ---- import: the file is read only after the options are checked ----
        row(
            "import",
            "missing file",
            &[
                "/nonexistent/net.npz",
                "--time-steps",
                "16",
                "--out",
                &f.out("imp.json"),
            ],
            "/nonexistent/net.npz",
        ),
        row(
            "import",
            "unknown file type",
            &[&f.png, "--time-steps", "16", "--out", &f.out("imp.json")],
            ".png",
        ),
        row(
            "import",
            "truncated .npz",
            &[
                &f.trunc_npz,
                "--time-steps",
                "16",
                "--out",
                &f.out("imp.json"),
            ],
            &f.trunc_npz,
        ),
        row(
            "import",
            "truncated .safetensors",
            &[
                &f.trunc_safetensors,
                "--time-steps",
                "16",
                "--out",
                &f.out("imp.json"),
            ],
            &f.trunc_safetensors,
        ),
        row(
            "import",
            "not an HDF5 .nir",
            &[
                &f.garbage_nir,
                "--time-steps",
                "16",
                "--out",
                &f.out("imp.json"),
            ],
            &f.garbage_nir,
        ),
        row(
            "import",
            "T not a power of two",
            &[
                &f.trunc_npz,
                "--time-steps",
                "12",
                "--out",
                &f.out("imp.json"),
            ],
            "--time-steps 12",
        ),
        row(
            "import",
            "bad --weight-bits",
            &[
                &f.trunc_npz,
                "--time-steps",
                "16",
                "--weight-bits",
                "1",
                "--out",
                &f.out("imp.json"),
            ],
            "--weight-bits",
        ),
        row(
            "import",
            "--arch that does not parse",
            &[
                &f.trunc_npz,
                "--time-steps",
                "16",
                "--arch",
                "conv:8",
                "--out",
                &f.out("imp.json"),
            ],
            "--arch item 0 `conv:8`",
        ),
        row(
            "import",
            "bad --input-shape",
            &[
                &f.trunc_npz,
                "--time-steps",
                "16",
                "--input-shape",
                "1,x,3",
                "--out",
                &f.out("imp.json"),
            ],
            "--input-shape `1,x,3`",
        ),
        row(
            "import",
            "--arch for a NIR graph",
            &[
                &f.garbage_nir,
                "--time-steps",
                "16",
                "--arch",
                "dense:4",
                "--out",
                &f.out("imp.json"),
            ],
            "--arch and --input-shape are for state dicts",
        ),
        row(
            "import",
            "conv weights without --arch",
            &[
                &f.conv_npz,
                "--time-steps",
                "16",
                "--out",
                &f.out("imp.json"),
            ],
            "`conv1.weight` has shape [2, 1, 3, 3]",
        ),
        row(
            "import",
            "conv weight not what --arch reads",
            &[
                &f.conv_npz,
                "--time-steps",
                "16",
                "--arch",
                "conv:2:5:pad=2,avgpool:2,dense:3",
                "--input-shape",
                "1,4,4",
                "--out",
                &f.out("imp.json"),
            ],
            "needs [2, 1, 5, 5]",
        ),
        row(
            "import",
            "--arch without --input-shape",
            &[
                &f.conv_npz,
                "--time-steps",
                "16",
                "--arch",
                "conv:2:3:pad=1,avgpool:2,dense:3",
                "--out",
                &f.out("imp.json"),
            ],
            "--input-shape C,H,W",
        ),
        row(
            "import",
            "tensor neither weight nor bias",
            &[
                &f.extra_npz,
                "--time-steps",
                "16",
                "--out",
                &f.out("imp.json"),
            ],
            "unknown key `fc1.scale`",
        ),
        // ---- export ----
        row(
            "export",
            "missing model",
            &["--model", "/nonexistent/m.json", "--out", &f.out("x.npz")],
            "/nonexistent/m.json",
        ),
        row(
            "export",
            "unknown output type",
            &["--model", &f.small, "--out", &f.out("x.pt")],
            "x.pt",
        ),
        row(
            "export",
            "model with a bad row sum",
            &["--model", &f.rowsum, "--out", &f.out("x.npz")],
            &f.rowsum,
        ),
        // ---- plot ----
        row(
            "plot",
            "raster: sample out of range",
            &["raster", "--sample", "10000", "--out", &f.out("plots")],
            "--sample 10000",
        ),
        row(
            "plot",
            "raster: PNG as model",
            &[
                "raster",
                "--model",
                &f.png,
                "--sample",
                "0",
                "--out",
                &f.out("plots"),
            ],
            &f.png,
        ),
        row(
            "plot",
            "raster: truncated model",
            &[
                "raster",
                "--model",
                &f.trunc,
                "--sample",
                "0",
                "--out",
                &f.out("plots"),
            ],
            &f.trunc,
        ),
        row(
            "plot",
            "sweep: missing dataset",
            &["sweep", "--dataset", "mnist", "--out", &f.out("plots")],
            "run scripts/fetch-mnist.sh",
        )
        .env("LCTTFS_DATA", s(&f.empty_dir)),
        row(
            "plot",
            "sweep: missing float model",
            &[
                "sweep",
                "--dataset",
                "mnist",
                "--model-float",
                "/nonexistent/float.json",
                "--out",
                &f.out("plots"),
            ],
            "/nonexistent/float.json",
        ),
        row(
            "plot",
            "sweep: --weight-bits with --over weight-bits",
            &[
                "sweep",
                "--dataset",
                "mnist",
                "--over",
                "weight-bits",
                "--weight-bits",
                "4",
                "--out",
                &f.out("plots"),
            ],
            "--over weight-bits",
        ),
        row(
            "plot",
            "sweep: unknown built-in float model",
            &[
                "sweep",
                "--dataset",
                "mnist",
                "--model-float",
                "cifar-cnn",
                "--out",
                &f.out("plots"),
            ],
            "the built-in models are",
        ),
    ];
    rows.retain(|r| COMMANDS.contains(&r.command));
    rows
}

#[test]
fn every_bad_input_is_one_clear_error_line() {
    common::require_mnist();
    let f = Fixtures::new();
    let rows = rows(&f);
    for c in COMMANDS {
        assert!(
            rows.iter().filter(|r| r.command == *c).count() >= 2,
            "{c} needs rows in the error table"
        );
    }
    for r in &rows {
        r.run();
    }
}

/// The checker itself can fail: a panic message, a second line, a zero exit or a line that
/// does not name the culprit are each rejected.
#[test]
fn the_one_line_checker_rejects_what_the_contract_forbids() {
    use std::os::unix::process::ExitStatusExt;
    let out = |code: i32, stderr: &str| std::process::Output {
        status: std::process::ExitStatus::from_raw(code << 8),
        stdout: vec![],
        stderr: stderr.as_bytes().to_vec(),
    };
    let rejects = |o: std::process::Output, needle: &str| {
        std::panic::catch_unwind(|| assert_one_error_line("probe", &o, needle)).is_err()
    };
    assert!(!rejects(out(1, "error: bad x.json\n"), "x.json"));
    assert!(rejects(out(0, "error: bad x.json\n"), "x.json"));
    assert!(rejects(out(1, "error: bad x.json\nhint: more\n"), "x.json"));
    assert!(rejects(
        out(1, "thread 'main' panicked at x.json\n"),
        "x.json"
    ));
    assert!(rejects(out(1, "error: bad input\n"), "x.json"));
    assert!(rejects(out(1, "bad x.json\n"), "x.json"));
}
