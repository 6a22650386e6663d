//! The `lcttfs-model` reader refuses every violation of DESIGN §3 with a message naming the
//! layer, the neuron and the numbers, and never panics.

use golden::model::{AnyModel, Model};
use serde_json::{json, Value};

/// A valid 3-2-2 quantized model: 4-bit weights, F = 2, so every row + bias sums to 4.
fn valid() -> Value {
    json!({
        "format": "lcttfs-model", "version": 1,
        "time_steps": 4, "input_bits": 8, "readout": "potential",
        "layers": [
            { "kind": "dense", "inputs": 3, "outputs": 2, "weight_bits": 4, "frac_bits": 2,
              "weights": [[1, 2, 0], [3, -1, 1]], "bias": [1, 1] },
            { "kind": "dense", "inputs": 2, "outputs": 2, "weight_bits": 4, "frac_bits": 2,
              "weights": [[2, 2], [-2, 7]], "bias": [0, -1] }
        ]
    })
}

fn load(v: &Value) -> Result<AnyModel, String> {
    AnyModel::from_json_str(&v.to_string(), "test.json").map_err(|e| e.to_string())
}

fn refused_with(mutate: impl FnOnce(&mut Value), needles: &[&str]) {
    let mut v = valid();
    mutate(&mut v);
    let err = load(&v).expect_err("must be refused");
    for n in needles {
        assert!(err.contains(n), "error {err:?} should mention {n:?}");
    }
    assert!(!err.contains('\n'), "one line: {err:?}");
}

#[test]
fn valid_model_loads_and_round_trips_through_json() {
    let AnyModel::Quantized(m) = load(&valid()).unwrap() else {
        panic!("quantized")
    };
    assert_eq!(m.layers[1].weights[[1, 1]], 7);
    let again = Model::from_json_str(&m.to_json_string(), "again").unwrap();
    assert_eq!(again, m);
}

#[test]
fn refuses_row_sum_off_by_one_naming_layer_neuron_and_sum() {
    // layer 2 neuron 1: -2 + 7 + (-2) = 3 ≠ 2^2 = 4.
    refused_with(
        |v| v["layers"][1]["bias"][1] = json!(-2),
        &["layer 2", "neuron 1", "sum to 3", "4"],
    );
}

#[test]
fn refuses_weight_outside_weight_bits() {
    // 4-bit signed range is -8..=7; 8 does not fit (row kept summing to 4 so only range fails).
    refused_with(
        |v| {
            v["layers"][0]["weights"][0] = json!([8, -5, 0]);
        },
        &[
            "layer 1",
            "neuron 0",
            "weight[0] = 8",
            "weight_bits = 4",
            "-8..=7",
        ],
    );
}

#[test]
fn refuses_wrong_shapes() {
    refused_with(
        |v| v["layers"][0]["weights"][1] = json!([1, 1]),
        &["layer 1", "neuron 1", "2 entries", "inputs = 3"],
    );
    refused_with(
        |v| v["layers"][0]["bias"] = json!([1]),
        &["layer 1", "bias has 1 entries", "outputs = 2"],
    );
    refused_with(
        |v| v["layers"][1]["inputs"] = json!(3),
        &["layer 2", "inputs = 3", "2 outputs"],
    );
    refused_with(
        |v| v["layers"][0]["outputs"] = json!(3),
        &["layer 1", "2 rows", "outputs = 3"],
    );
    refused_with(|v| v["layers"] = json!([]), &["no layers"]);
}

#[test]
fn refuses_time_steps_that_are_not_a_power_of_two_in_range() {
    for t in [0, 1, 3, 12, 512] {
        refused_with(
            |v| v["time_steps"] = json!(t),
            &[&format!("time_steps = {t}"), "power of two"],
        );
    }
}

#[test]
fn refuses_unknown_kind_readout_format_and_version() {
    refused_with(
        |v| v["layers"][0]["kind"] = json!("conv2d"),
        &["layer 1", "unknown kind \"conv2d\""],
    );
    refused_with(
        |v| v["readout"] = json!("rate"),
        &["unknown readout \"rate\""],
    );
    refused_with(
        |v| v["version"] = json!(3),
        &["unknown version 3", "versions 1 and 2"],
    );
    refused_with(|v| v["format"] = json!("onnx"), &["format is \"onnx\""]);
}

#[test]
fn refuses_non_integer_weight_in_an_integer_model() {
    refused_with(
        |v| v["layers"][0]["weights"][0][1] = json!(1.5),
        &["layer 1", "neuron 0", "weight[1] = 1.5", "not an integer"],
    );
}

#[test]
fn refuses_mixed_float_and_integer_layers() {
    refused_with(
        |v| {
            v["layers"][1].as_object_mut().unwrap().remove("frac_bits");
        },
        &["layer 2", "frac_bits"],
    );
}

#[test]
fn refuses_nan_and_infinity_in_a_float_model() {
    // JSON has no NaN literal: serde refuses it as invalid JSON; a huge exponent is out of range.
    let text = valid()
        .to_string()
        .replace("\"frac_bits\":2,", "")
        .replace("[1,2,0]", "[NaN,2,0]");
    assert!(AnyModel::from_json_str(&text, "nan.json")
        .unwrap_err()
        .to_string()
        .contains("nan.json"));
    let text = valid()
        .to_string()
        .replace("\"frac_bits\":2,", "")
        .replace("[1,2,0]", "[1e999,2,0]");
    assert!(AnyModel::from_json_str(&text, "inf.json").is_err());
    // A float model built in memory (e.g. by an importer) is checked for finiteness too.
    let mut v = valid();
    for l in v["layers"].as_array_mut().unwrap() {
        l.as_object_mut().unwrap().remove("frac_bits");
    }
    let AnyModel::Float(mut f) = load(&v).unwrap() else {
        panic!("float")
    };
    f.layers[1].bias[0] = f32::NAN;
    let err = f.validate().unwrap_err().to_string();
    assert!(
        err.contains("layer 2") && err.contains("neuron 0") && err.contains("NaN"),
        "{err}"
    );
}

#[test]
fn refuses_truncated_and_garbage_text_without_panicking() {
    let text = valid().to_string();
    for cut in [0, 1, text.len() / 3, text.len() - 1] {
        assert!(AnyModel::from_json_str(&text[..cut], "cut.json").is_err());
    }
    assert!(AnyModel::from_json_str("\u{0}\u{1}garbage", "bin").is_err());
    assert!(AnyModel::from_json_str("[]", "arr").is_err());
}

#[test]
fn a_float_model_is_refused_where_a_quantized_one_is_needed() {
    let mut v = valid();
    for l in v["layers"].as_array_mut().unwrap() {
        l.as_object_mut().unwrap().remove("frac_bits");
    }
    let err = Model::from_json_str(&v.to_string(), "f.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("float model") && err.contains("ttfs quantize"),
        "{err}"
    );
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]
        /// Arbitrary bytes never panic the loader.
        #[test]
        fn loader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = AnyModel::from_json_str(&text, "fuzz");
        }

        /// Single-field corruptions of a valid model are either refused or still valid.
        #[test]
        fn corrupting_one_number_is_refused_or_valid(layer in 0usize..2, row in 0usize..2, col in 0usize..2, val in -20i64..20) {
            let mut v = valid();
            v["layers"][layer]["weights"][row][col] = json!(val);
            if let Ok(AnyModel::Quantized(m)) = load(&v) {
                prop_assert!(m.validate().is_ok());
            }
        }
    }
}

/// `valid()` as a version-2 file (DESIGN §3): the same dense network with its `input_shape`.
fn valid_v2(shape: Value) -> Value {
    let mut v = valid();
    v["version"] = json!(2);
    v["input_shape"] = shape;
    v
}

#[test]
fn version_2_dense_files_read_as_the_same_model() {
    let v1 = load(&valid()).unwrap();
    for shape in [json!([3]), json!([3, 1, 1]), json!([1, 3])] {
        assert_eq!(
            load(&valid_v2(shape.clone())).unwrap(),
            v1,
            "input_shape {shape}"
        );
    }
}

#[test]
fn version_2_refuses_a_missing_or_wrong_input_shape() {
    for (shape, needle) in [
        (Value::Null, "needs \"input_shape\""),
        (json!([0, 3]), "needs \"input_shape\""),
        (
            json!([1, 28, 28]),
            "holds 784 features but layer 1 has inputs = 3",
        ),
    ] {
        let mut v = valid_v2(shape);
        if v["input_shape"].is_null() {
            v.as_object_mut().unwrap().remove("input_shape");
        }
        let err = load(&v).expect_err("refused");
        assert!(err.contains(needle), "{err:?} should say {needle:?}");
        assert!(!err.contains('\n'), "one line: {err:?}");
    }
}

#[test]
fn version_2_convolution_and_pooling_read_and_write_back_as_version_2() {
    // DESIGN §2.1: [1, 2, 2] → conv 2×2 (2 channels) → [2, 1, 1] → pool 1×1 → dense 2 → 2.
    // Kernel sums + bias: 1+1+1+1+0 = 4 and 1+1+1+0+1 = 4 = 2^2; dense rows 2+2+0 and −2+7−1.
    let mut v = valid_v2(json!([1, 2, 2]));
    v["layers"] = json!([
        { "kind": "conv2d", "in_channels": 1, "out_channels": 2, "kernel": [2, 2],
          "stride": [1, 1], "padding": [0, 0], "weight_bits": 4, "frac_bits": 2,
          "weights": [[[[1, 1], [1, 1]]], [[[1, 1], [1, 0]]]], "bias": [0, 1] },
        { "kind": "maxpool2d", "kernel": [1, 1], "stride": [1, 1] },
        { "kind": "dense", "inputs": 2, "outputs": 2, "weight_bits": 4, "frac_bits": 2,
          "weights": [[2, 2], [-2, 7]], "bias": [0, -1] }
    ]);
    let AnyModel::Quantized(m) = load(&v).expect("a valid version-2 model") else {
        panic!("integer weights")
    };
    let kinds: Vec<&str> = m.layers.iter().map(|l| l.kind.name()).collect();
    assert_eq!(kinds, ["conv2d", "maxpool2d", "dense"]);
    assert_eq!(m.input_shape, Some([1, 2, 2]));
    assert_eq!(m.layers[0].outputs, 2);
    let text = m.to_json_string();
    assert!(text.contains("\"version\": 2"), "{text}");
    assert!(text.contains("\"input_shape\": [1, 2, 2]"), "{text}");
    assert_eq!(Model::from_json_str(&text, "again").unwrap(), m);
}

/// The optional `dataset` field (an extension of DESIGN §3): what a model was trained on.
mod dataset_field {
    use super::*;
    use golden::data::DatasetKind;
    use golden::model::FloatModel;

    fn quantized(v: &Value) -> Model {
        Model::from_json_str(&v.to_string(), "test.json").unwrap()
    }

    #[test]
    fn a_file_without_dataset_loads_as_none_and_is_written_without_the_field() {
        let m = quantized(&valid());
        assert_eq!(m.dataset, None);
        let text = m.to_json_string();
        assert!(!text.contains("dataset"), "{text}");
        // null reads as absent too.
        let mut v = valid();
        v["dataset"] = Value::Null;
        assert_eq!(quantized(&v).dataset, None);
    }

    #[test]
    fn a_recorded_dataset_round_trips_through_a_quantized_file() {
        for (name, kind) in [
            ("mnist", DatasetKind::Mnist),
            ("fashion-mnist", DatasetKind::FashionMnist),
        ] {
            let mut v = valid();
            v["dataset"] = json!(name);
            let m = quantized(&v);
            assert_eq!(m.dataset, Some(kind));
            let text = m.to_json_string();
            assert!(text.contains(&format!("\"dataset\": \"{name}\"")), "{text}");
            assert_eq!(Model::from_json_str(&text, "again").unwrap(), m);
        }
    }

    #[test]
    fn a_recorded_dataset_round_trips_through_a_float_file() {
        let mut v = valid();
        v["dataset"] = json!("fashion-mnist");
        for l in v["layers"].as_array_mut().unwrap() {
            l.as_object_mut().unwrap().remove("frac_bits");
        }
        let AnyModel::Float(f) = load(&v).unwrap() else {
            panic!("float")
        };
        assert_eq!(f.dataset, Some(DatasetKind::FashionMnist));
        let again: FloatModel = match load(&serde_json::from_str(&f.to_json_string()).unwrap()) {
            Ok(AnyModel::Float(g)) => g,
            other => panic!("float model expected: {other:?}"),
        };
        assert_eq!(again, f);
    }

    #[test]
    fn the_command_line_spellings_of_a_dataset_are_accepted_and_written_canonically() {
        let mut v = valid();
        v["dataset"] = json!("Fashion");
        let m = quantized(&v);
        assert_eq!(m.dataset, Some(DatasetKind::FashionMnist));
        assert!(m
            .to_json_string()
            .contains("\"dataset\": \"fashion-mnist\""));
    }

    #[test]
    fn an_unknown_dataset_is_refused_naming_the_field_the_value_and_the_accepted_values() {
        refused_with(
            |v| v["dataset"] = json!("cifar10"),
            &["dataset", "\"cifar10\"", "\"mnist\"", "\"fashion-mnist\""],
        );
        refused_with(
            |v| v["dataset"] = json!(7),
            &["dataset = 7", "\"mnist\"", "\"fashion-mnist\""],
        );
    }
}
