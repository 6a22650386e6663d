//! Convolution and max pooling (DESIGN §2.1, model version 2) in the golden model.
//!
//! - The file format: reading, writing back, and every refusal (one line naming the layer,
//!   the channel and the numbers).
//! - The integer and float forward on hand-computed examples.
//! - The tick-level simulator (neuron dynamics, receptive-field wiring) and the event-driven
//!   path (conv scatter, pool unit) against the integer forward on random conv networks
//!   (seeded proptest), and a broken kernel sum that warps.

mod common;

use common::*;
use golden::forward::{float_forward, forward};
use golden::model::{AnyModel, FloatModel, Layer, LayerKind, Model, Readout};
use golden::quantize::{grid_model, grid_values, quantize, quantize_layer, QuantizeOptions};
use golden::snn::{tick, EventSim, Fanouts};
use golden::testkit::random_conv_model;
use ndarray::{array, Array2};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A version-2 integer model: input [1, 3, 3] → conv 2×2 (2 channels, stride 1, padding 0,
/// F = 2) → [2, 2, 2] → maxpool 2×2 → [2, 1, 1] → dense 2 → 2.
/// Kernel sums + bias: (1+1+1+0) + 1 = 4 and (2−1+1+1) + 1 = 4 = 2^2; dense rows 2+2+0, −2+7−1.
fn valid_conv() -> Value {
    json!({
        "format": "lcttfs-model", "version": 2,
        "time_steps": 4, "input_bits": 4, "readout": "potential",
        "input_shape": [1, 3, 3],
        "layers": [
            { "kind": "conv2d", "in_channels": 1, "out_channels": 2, "kernel": [2, 2],
              "stride": [1, 1], "padding": [0, 0], "weight_bits": 4, "frac_bits": 2,
              "weights": [[[[1, 1], [1, 0]]], [[[2, -1], [1, 1]]]], "bias": [1, 1] },
            { "kind": "maxpool2d", "kernel": [2, 2] },
            { "kind": "dense", "inputs": 2, "outputs": 2, "weight_bits": 4, "frac_bits": 2,
              "weights": [[2, 2], [-2, 7]], "bias": [0, -1] }
        ]
    })
}

fn load(v: &Value) -> Result<AnyModel, String> {
    AnyModel::from_json_str(&v.to_string(), "conv.json").map_err(|e| e.to_string())
}

/// `edit` applied to [`valid_conv`] is refused with a one-line message holding every needle.
fn refused_with(edit: impl FnOnce(&mut Value), needles: &[&str]) {
    let mut v = valid_conv();
    edit(&mut v);
    let err = load(&v).expect_err("the edited model must be refused");
    for needle in needles {
        assert!(err.contains(needle), "{err:?} should contain {needle:?}");
    }
    assert!(!err.contains('\n'), "one line: {err:?}");
}

fn quantized(v: &Value) -> Model {
    match load(v).expect("valid") {
        AnyModel::Quantized(m) => m,
        AnyModel::Float(_) => panic!("integer weights expected"),
    }
}

/// A single-layer conv model (no validation, so broken sums can be simulated too).
fn conv_net(
    time_steps: u32,
    input_shape: [usize; 3],
    [kernel, stride, padding]: [[usize; 2]; 3],
    frac_bits: u32,
    weights: Array2<i32>,
    bias: Vec<i32>,
) -> Model {
    let kind = LayerKind::conv2d(input_shape, weights.nrows(), kernel, stride, padding)
        .expect("the kernel fits");
    Model {
        time_steps,
        input_bits: 8,
        readout: Readout::Potential,
        dataset: None,
        input_shape: Some(input_shape),
        layers: vec![Layer::of_kind(kind, 8, frac_bits, weights, bias)],
    }
}

// ---------------------------------------------------------------------------------------------
// File format

#[test]
fn conv_and_pool_layers_read_with_their_shapes_and_flattened_kernels() {
    let m = quantized(&valid_conv());
    assert_eq!(m.input_shape, Some([1, 3, 3]));
    let conv = &m.layers[0];
    assert_eq!(conv.in_shape(), [1, 3, 3]);
    assert_eq!(conv.out_shape(), [2, 2, 2]); // (3 − 2)/1 + 1 = 2
    assert_eq!(
        (conv.inputs, conv.outputs, conv.fan_in(), conv.rows()),
        (9, 8, 4, 2)
    );
    // Row o = kernel o flattened [c][i][j] (PyTorch order).
    assert_eq!(conv.weights, array![[1, 1, 1, 0], [2, -1, 1, 1]]);
    let pool = &m.layers[1];
    assert!(!pool.is_weighted());
    assert_eq!(pool.out_shape(), [2, 1, 1]);
    assert_eq!(pool.weights.dim(), (0, 0));
    // The pool's stride defaults to its kernel.
    assert!(matches!(
        pool.kind,
        LayerKind::MaxPool2d { stride: [2, 2], .. }
    ));
    assert_eq!(m.windows(), vec![0, 1, 1, 2]);
}

#[test]
fn a_conv_model_writes_version_2_and_reads_back_equal() {
    let m = quantized(&valid_conv());
    let text = m.to_json_string();
    assert!(text.contains("\"version\": 2"), "{text}");
    assert!(text.contains("\"input_shape\": [1, 3, 3]"), "{text}");
    assert!(
        text.contains("[[[2,-1],[1,1]]]"),
        "one output channel per line: {text}"
    );
    assert_eq!(Model::from_json_str(&text, "again").unwrap(), m);
    // Random conv networks, integer and float (the grid values), round-trip too.
    let mut rng = ChaCha8Rng::seed_from_u64(0xC0DE);
    for _ in 0..32 {
        let m = random_conv_model(&mut rng);
        assert_eq!(Model::from_json_str(&m.to_json_string(), "r").unwrap(), m);
        let f = grid_model(&m);
        match AnyModel::from_json_str(&f.to_json_string(), "f").unwrap() {
            AnyModel::Float(back) => assert_eq!(back, f),
            AnyModel::Quantized(_) => panic!("float model read as integer"),
        }
    }
}

#[test]
fn quantizing_the_grid_values_of_a_conv_model_gives_it_back() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x9121D);
    for _ in 0..32 {
        let m = random_conv_model(&mut rng);
        let grid = grid_model(&m);
        // Each kernel row (bias included) comes back as the same values w / 2^F at its own
        // weight bits (the quantizer may pick a larger F: its canonical form).
        for (k, (l, g)) in m.layers.iter().zip(&grid.layers).enumerate() {
            if !l.is_weighted() {
                continue;
            }
            let opts = QuantizeOptions::new(l.weight_bits).unwrap();
            let (q, _) = quantize_layer(&g.weights, &g.bias, &opts, &format!("layer {k}")).unwrap();
            assert_eq!(grid_values(&q), grid_values(l));
        }
        // The whole model keeps its kinds, shapes and input shape.
        let (q, _) = quantize(&grid, &QuantizeOptions::new(16).unwrap()).unwrap();
        let kinds = |m: &Model| m.layers.iter().map(|l| l.kind).collect::<Vec<_>>();
        assert_eq!(kinds(&q), kinds(&m));
        assert_eq!(q.input_shape, m.input_shape);
    }
}

#[test]
fn a_dense_model_without_input_shape_still_writes_version_1() {
    let m = golden::testkit::seeded_model(5, &[4, 3, 2]);
    let text = m.to_json_string();
    assert!(text.contains("\"version\": 1"), "{text}");
    assert!(!text.contains("input_shape"), "{text}");
}

#[test]
fn refuses_an_input_shape_that_does_not_match_the_conv_channels() {
    refused_with(
        |v| v["layers"][0]["in_channels"] = json!(3),
        &[
            "layer 1 (layers[0])",
            "in_channels = 3",
            "[1, 3, 3]",
            "1 channels",
        ],
    );
}

#[test]
fn refuses_a_conv_whose_in_channels_are_not_the_previous_out_channels() {
    // layers[0] writes [2, 2, 2]; a 1×1 conv reading 3 channels after it is refused.
    refused_with(
        |v| {
            let layers = v["layers"].as_array_mut().unwrap();
            layers.insert(
                1,
                json!({ "kind": "conv2d", "in_channels": 3, "out_channels": 1, "kernel": [1, 1],
                        "weight_bits": 4, "frac_bits": 2,
                        "weights": [[[[1]], [[1]], [[1]]]], "bias": [1] }),
            );
        },
        &[
            "layer 2 (layers[1])",
            "in_channels = 3",
            "[2, 2, 2]",
            "2 channels",
        ],
    );
}

#[test]
fn refuses_a_dense_layer_whose_inputs_are_not_the_flattened_map() {
    // The pool writes [2, 1, 1] = 2 features; a dense layer reading 3 is refused.
    refused_with(
        |v| {
            v["layers"][2]["inputs"] = json!(3);
            v["layers"][2]["weights"] = json!([[2, 2, 0], [-2, 7, 0]]);
        },
        &[
            "layer 3 (layers[2])",
            "inputs = 3",
            "2 outputs",
            "[2, 1, 1]",
        ],
    );
}

#[test]
fn refuses_a_kernel_weight_outside_weight_bits_naming_channel_and_position() {
    // 4-bit weights: range −8..=7; kernel 1 [0][1][0] = 9.
    refused_with(
        |v| v["layers"][0]["weights"][1][0][1][0] = json!(9),
        &[
            "layer 1 (layers[0])",
            "channel 1",
            "weight[0][1][0] = 9",
            "-8..=7",
        ],
    );
}

#[test]
fn refuses_a_kernel_sum_plus_bias_that_is_not_two_to_the_f() {
    // Channel 0: 1 + 1 + 1 + 0 + bias 2 = 5 ≠ 4.
    refused_with(
        |v| v["layers"][0]["bias"][0] = json!(2),
        &[
            "layer 1 (layers[0])",
            "channel 0",
            "sum to 5",
            "2^frac_bits = 4",
        ],
    );
}

#[test]
fn refuses_a_kernel_larger_than_its_padded_input() {
    // A 4×4 kernel over a 3×3 map with no padding.
    refused_with(
        |v| {
            v["layers"][0]["kernel"] = json!([4, 4]);
        },
        &[
            "layer 1 (layers[0])",
            "kernel [4, 4]",
            "larger than its padded input 3×3",
        ],
    );
    // Padding 1 makes 5×5: a 4×4 kernel then fits (its weights must match the shape).
    let mut v = valid_conv();
    v["layers"][0]["kernel"] = json!([4, 4]);
    v["layers"][0]["padding"] = json!([1, 1]);
    let err = load(&v).expect_err("the 2×2 weights no longer match a 4×4 kernel");
    assert!(
        err.contains("channel 0") && err.contains("expected 4"),
        "{err}"
    );
}

#[test]
fn refuses_a_huge_kernel_without_allocating_it() {
    // 2^20 × 2^20 over a padded 3 + 2^20 map fits the map but not MAX_WIDTH inputs per neuron.
    refused_with(
        |v| {
            v["layers"][0]["kernel"] = json!([1 << 20, 1 << 20]);
            v["layers"][0]["padding"] = json!([1 << 19, 1 << 19]);
        },
        &[
            "layer 1 (layers[0])",
            "kernel [1048576, 1048576]",
            "more than 1048576 inputs",
        ],
    );
}

#[test]
fn refuses_a_zero_stride_in_a_conv_or_a_pool() {
    refused_with(
        |v| v["layers"][0]["stride"] = json!([0, 1]),
        &["layer 1 (layers[0])", "conv2d stride [0, 1]", "at least 1"],
    );
    refused_with(
        |v| v["layers"][1]["stride"] = json!([1, 0]),
        &["layer 2 (layers[1])", "maxpool2d stride [1, 0]"],
    );
}

#[test]
fn refuses_a_pool_as_the_last_layer() {
    refused_with(
        |v| {
            let layers = v["layers"].as_array_mut().unwrap();
            layers.truncate(2);
        },
        &[
            "layer 2 (layers[1])",
            "last layer is a maxpool2d",
            "must be weighted",
        ],
    );
}

#[test]
fn two_pools_in_a_row_are_fine() {
    let mut v = valid_conv();
    let layers = v["layers"].as_array_mut().unwrap();
    layers.insert(
        1,
        json!({ "kind": "maxpool2d", "kernel": [1, 1], "stride": [1, 1] }),
    );
    let m = quantized(&v);
    assert_eq!(m.windows(), vec![0, 1, 1, 1, 2]);
}

#[test]
fn refuses_an_unknown_kind_and_conv_layers_in_a_version_1_file() {
    refused_with(
        |v| v["layers"][1]["kind"] = json!("avgpool2d"),
        &[
            "layer 2 (layers[1])",
            "unknown kind \"avgpool2d\"",
            "\"maxpool2d\"",
        ],
    );
    refused_with(
        |v| {
            v["version"] = json!(1);
        },
        &[
            "layer 1 (layers[0])",
            "unknown kind \"conv2d\"",
            "version 1",
        ],
    );
}

#[test]
fn refuses_a_conv_missing_its_fields_or_with_misshapen_kernels() {
    refused_with(
        |v| {
            v["layers"][0]
                .as_object_mut()
                .unwrap()
                .remove("out_channels");
        },
        &["layer 1 (layers[0])", "conv2d needs \"out_channels\""],
    );
    refused_with(
        |v| v["layers"][0]["weights"] = json!([[[[1, 1], [1, 0]]]]),
        &["layer 1 (layers[0])", "weights", "1 entries, expected 2"],
    );
    refused_with(
        |v| v["layers"][0]["weights"][1][0][1] = json!([1]),
        &[
            "layer 1 (layers[0])",
            "channel 1",
            "kernel [0][1]",
            "expected 2",
        ],
    );
    refused_with(
        |v| v["layers"][1]["weights"] = json!([]),
        &["layer 2 (layers[1])", "maxpool2d has no weights"],
    );
}

#[test]
fn refuses_a_validated_model_whose_conv_shapes_disagree() {
    let mut m = quantized(&valid_conv());
    if let LayerKind::Conv2d { out_shape, .. } = &mut m.layers[0].kind {
        out_shape[1] = 3;
    }
    let err = m.validate().expect_err("refused").to_string();
    assert!(
        err.contains("layer 1 (layers[0])") && err.contains("[2, 2, 2]"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Forward on hand-computed examples

#[test]
fn conv_forward_reads_kernels_in_pytorch_order_with_stride_and_padding() {
    // Input [2, 2, 3] (2 channels), T = 8, F = 3 (one = 8); one output channel, kernel 2×2
    // over both input channels, stride [1, 2], padding [0, 1].
    // Ho = (2 − 2)/1 + 1 = 1, Wo = (3 + 2 − 2)/2 + 1 = 2.
    // w[0][c][i][j] = [[[1, 2], [3, 4]], [[−1, 0], [0, 5]]], bias −6: sum 1+2+3+4−1+0+0+5−6 = 8.
    let weights = array![[1, 2, 3, 4, -1, 0, 0, 5]];
    let m = conv_net(8, [2, 2, 3], [[2, 2], [1, 2], [0, 1]], 3, weights, vec![-6]);
    m.validate().unwrap();
    // q0 channel 0 = [[1, 2, 3], [4, 5, 6]], channel 1 = [[7, 8, 0], [1, 2, 3]].
    let q0 = [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3];
    // Output x = 0 reads columns −1, 0 (column −1 is padding, q = 0):
    //   c0: 2·1 + 4·4 = 18; c1: 0·7 + 5·1 = 5; bias −6·8 = −48 → z = −25.
    // Output x = 1 reads columns 1, 2:
    //   c0: 1·2 + 2·3 + 3·5 + 4·6 = 47; c1: −1·8 + 0·0 + 0·2 + 5·3 = 7; −48 → z = 6.
    let z = golden::forward::layer_z(&m.layers[0], &q0, 8);
    assert_eq!(z, vec![-25, 6]);
    // q = clamp(z >> 3, 0, 8): −25 >> 3 = −4 → 0; 6 >> 3 = 0.
    let x: Vec<u32> = q0.iter().map(|&q| raw_for_q0(q, 8, 8)).collect();
    let ann = forward(&m, &x);
    assert_eq!(ann.q[0], q0.to_vec());
    assert_eq!(ann.z[0], vec![-25, 6]);
}

#[test]
fn max_pool_passes_on_the_largest_q_and_has_no_window_of_its_own() {
    // [1, 1, 4] input, q0 = [1, 3, 2, 0]; pool 1×2 stride 2 → [3, 2]; dense 2 → 1 with
    // w = [4, 4], b = −4 (F = 2): z = 4·3 + 4·2 − 4·4 = 4 → q = 1.
    let pool = LayerKind::maxpool2d([1, 1, 4], [1, 2], [1, 2]).unwrap();
    let m = Model {
        time_steps: 4,
        input_bits: 8,
        readout: Readout::Potential,
        dataset: None,
        input_shape: Some([1, 1, 4]),
        layers: vec![
            Layer::maxpool(pool),
            Layer::dense(8, 2, array![[4, 4]], vec![-4]),
        ],
    };
    m.validate().unwrap();
    let x: Vec<u32> = [1, 3, 2, 0].iter().map(|&q| raw_for_q0(q, 4, 8)).collect();
    let ann = forward(&m, &x);
    assert_eq!(ann.q, vec![vec![1, 3, 2, 0], vec![3, 2], vec![1]]);
    assert_eq!(ann.z[1], vec![4]);
    // Windows: input 0, pool 0 (its input's), dense 1. Pooled spikes at T − q = 1 and 2,
    // the dense neuron at 2·T − 1 = 7.
    assert_eq!(ann.window, vec![0, 0, 1]);
    assert_eq!(
        ann.spike_ticks(4),
        vec![vec![3, 1, 2, 4], vec![1, 2], vec![7]]
    );
    // The tick-level simulator: the pooled neuron fires with its earliest input, same tick.
    let sim = tick::simulate(&m, &x);
    assert_eq!(sim.spike_ticks, ann.spike_ticks(4));
    assert_eq!(sim.z, ann.z);
    assert_eq!(sim.q(), ann.q);
}

#[test]
fn float_forward_convolves_with_zero_padding_and_pools() {
    // [1, 2, 2] input, 4-bit: x = [8, 0, 4, 12] → a = [0.5, 0, 0.25, 0.75].
    // conv 2×2, padding [1, 1], stride [2, 2] → Ho = Wo = (2 + 2 − 2)/2 + 1 = 2.
    // Kernel [[0.25, 0.25], [0.25, 0.25]], bias 0: each output sees one input corner:
    // out (0,0) reads (−1..0, −1..0) → only a[0][0] = 0.5 → 0.125; (0,1) → a[0][1] = 0;
    // (1,0) → a[1][0] = 0.25 → 0.0625; (1,1) → a[1][1] = 0.75 → 0.1875.
    let conv = LayerKind::conv2d([1, 2, 2], 1, [2, 2], [2, 2], [1, 1]).unwrap();
    let pool = LayerKind::maxpool2d([1, 2, 2], [2, 1], [2, 1]).unwrap();
    let f = FloatModel {
        time_steps: 16,
        input_bits: 4,
        readout: Readout::Potential,
        dataset: None,
        input_shape: Some([1, 2, 2]),
        layers: vec![
            golden::model::FloatLayer {
                kind: conv,
                inputs: 4,
                outputs: 4,
                weights: array![[0.25, 0.25, 0.25, 0.25]],
                bias: vec![0.0],
            },
            golden::model::FloatLayer {
                kind: pool,
                inputs: 4,
                outputs: 2,
                weights: Array2::zeros((0, 0)),
                bias: vec![],
            },
            golden::model::FloatLayer::dense(array![[1.0, 0.0], [0.0, 1.0]], vec![0.0, 0.0]),
        ],
    };
    f.validate().unwrap();
    let (pre, class) = float_forward(&f, &[8, 0, 4, 12]);
    // Pool 2×1 over columns: max(0.125, 0.0625) = 0.125, max(0, 0.1875) = 0.1875.
    assert_eq!(pre, vec![0.125, 0.1875]);
    assert_eq!(class, 1);
}

// ---------------------------------------------------------------------------------------------
// The tick-level simulator from the neuron dynamics

#[test]
fn pads_with_silent_inputs_that_fire_at_window_end() {
    // One input pixel [1, 1, 1], conv 3×3 with padding [1, 1]: the single output's kernel
    // centre reads the pixel, the other 8 positions are padding. T = 4, F = 2 (one = 4).
    // Centre weight 2, top-left (padding) weight 2, bias 0: 2 + 2 = 4 = 2^F.
    // q0 = 4 (fires at tick 0): z = 2·4 = 8 → q = 8 >> 2 = 2 → spike at 2·4 − 2 = 6.
    // Dynamics: V(t) = 2·(t − 0) + 2·max(0, t − 4) (padding fires at the window end, 4):
    // V(4) = 8, V(5) = 12, V(6) = 16 ≥ T·2^F = 16 → fires at 6. Without the padding ramp
    // the slope would be 2: V(6) = 12, V(7) = 14 → forced at 8.
    let mut weights = Array2::zeros((1, 9));
    weights[[0, 4]] = 2; // centre [0][1][1]
    weights[[0, 0]] = 2; // padding corner [0][0][0]
    let m = conv_net(4, [1, 1, 1], [[3, 3], [1, 1], [1, 1]], 2, weights, vec![0]);
    m.validate().unwrap();
    let x = [raw_for_q0(4, 4, 8)];
    let ann = forward(&m, &x);
    assert_eq!((ann.z[0].clone(), ann.q[1].clone()), (vec![8], vec![2]));
    let sim = tick::simulate(&m, &x);
    assert_eq!(sim.spike_ticks, vec![vec![0], vec![6]]);
    assert_eq!(sim.spike_ticks, ann.spike_ticks(4));
}

#[test]
fn max_pool_fires_with_the_earliest_spike_of_its_window_between_two_convs() {
    // [1, 2, 2] → conv 1×1 (w = 4 = 2^F, F = 2: q passes through) → pool 2×2 → conv 1×1.
    // T = 8, q0 = [3, 6, 1, 0] → pooled q = 6, spike at 2·8 − 6 = 10 (window 1, as the conv
    // below it); the last conv: z = 4·6 = 24 → q = 6 → spike at 3·8 − 6 = 18.
    let c1 = LayerKind::conv2d([1, 2, 2], 1, [1, 1], [1, 1], [0, 0]).unwrap();
    let pool = LayerKind::maxpool2d([1, 2, 2], [2, 2], [2, 2]).unwrap();
    let c2 = LayerKind::conv2d([1, 1, 1], 1, [1, 1], [1, 1], [0, 0]).unwrap();
    let m = Model {
        time_steps: 8,
        input_bits: 8,
        readout: Readout::FirstSpike,
        dataset: None,
        input_shape: Some([1, 2, 2]),
        layers: vec![
            Layer::of_kind(c1, 8, 2, array![[4]], vec![0]),
            Layer::maxpool(pool),
            Layer::of_kind(c2, 8, 2, array![[4]], vec![0]),
        ],
    };
    m.validate().unwrap();
    let x: Vec<u32> = [3, 6, 1, 0].iter().map(|&q| raw_for_q0(q, 8, 8)).collect();
    let sim = tick::simulate(&m, &x);
    assert_eq!(
        sim.spike_ticks,
        vec![vec![5, 2, 7, 8], vec![13, 10, 15, 16], vec![10], vec![18]]
    );
    assert_eq!(sim.spike_ticks, forward(&m, &x).spike_ticks(8));
}

/// Counts of the cases the property test must reach, so it cannot pass vacuously.
#[derive(Default, Debug)]
struct ConvCoverage {
    neurons: u64,
    inside: u64,        // weighted neurons with 0 < q < T
    deep_inside: u64,   // the same in window ≥ 2
    padded_models: u64, // models with a padded conv
    pools: u64,         // pooled neurons
    strided: u64,       // models with a stride > 1
}

/// Every spike of every map of random conv networks (shapes, strides, padding, pools, depth,
/// T, weight bits, readout) from the neuron dynamics equals `(l+1)·T − q` of the integer
/// forward; `V(l·T)` equals `z` and the classes agree. The event-driven path (hardware twins)
/// gives the same spikes, `z` and class.
#[test]
fn conv_spike_ticks_from_neuron_dynamics_equal_the_integer_forward() {
    let cov = std::cell::RefCell::new(ConvCoverage::default());
    let mut runner = TestRunner::new(proptest_config(1024, 0xC04E_5EED));
    runner
        .run(&any::<u64>(), |seed| {
            let mut cov = cov.borrow_mut();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let model = random_conv_model(&mut rng);
            let mut events = EventSim::new(&model);
            let t = model.time_steps;
            let windows = model.windows();
            for l in &model.layers {
                match l.kind {
                    LayerKind::Conv2d {
                        padding, stride, ..
                    } => {
                        cov.padded_models += (padding != [0, 0]) as u64;
                        cov.strided += (stride != [1, 1]) as u64;
                    }
                    LayerKind::MaxPool2d { .. } => cov.pools += l.outputs as u64,
                    LayerKind::Dense => {}
                }
            }
            for kind in INPUT_KINDS {
                let x = random_input(&mut rng, model.input_len(), model.input_bits, kind);
                let ann = forward(&model, &x);
                let sim = tick::simulate(&model, &x);
                prop_assert_eq!(&sim.spike_ticks, &ann.spike_ticks(t), "x = {:?}", x);
                prop_assert_eq!(&sim.z, &ann.z);
                prop_assert_eq!(&sim.q(), &ann.q);
                prop_assert_eq!(sim.class, ann.class);
                // The event-driven twins (conv scatter, pool unit, fire unit) agree too.
                let event = events.trace(&x);
                prop_assert_eq!(
                    &event.spike_ticks,
                    &ann.spike_ticks(t),
                    "event, x = {:?}",
                    x
                );
                prop_assert_eq!(&event.z, &ann.z, "event z");
                prop_assert_eq!(event.class, ann.class, "event class");
                prop_assert_eq!(events.run(&x), ann.class, "event fast-path class");
                // Synaptic operations by receptive field: the events the twins moved equal
                // the spikes of the trace, each costing the conv positions that read it.
                let fanouts = Fanouts::of(&model);
                prop_assert_eq!(events.synaptic_ops(&fanouts), sim.synaptic_ops(&fanouts));
                prop_assert!(sim.synaptic_ops(&fanouts) <= fanouts.macs());
                for (k, l) in model.layers.iter().enumerate() {
                    if !l.is_weighted() {
                        continue;
                    }
                    for &q in &ann.q[k + 1] {
                        cov.neurons += 1;
                        if 0 < q && q < t {
                            cov.inside += 1;
                            if windows[k + 1] >= 2 {
                                cov.deep_inside += 1;
                            }
                        }
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    let cov = cov.into_inner();
    eprintln!("coverage: {cov:?}");
    assert!(
        cov.inside * 10 >= cov.neurons,
        "too few spikes inside the window: {cov:?}"
    );
    assert!(cov.deep_inside > 0 && cov.padded_models > 0 && cov.pools > 0 && cov.strided > 0);
}

/// A kernel whose sum + bias is not `2^F` warps the spike times: the check can fail.
#[test]
fn a_broken_kernel_sum_changes_some_spike_time() {
    // The hand example above with the padding weight dropped: sum 2 ≠ 4. The slope inside
    // the window is 2 per tick: V(6) = 12, V(7) = 14, forced at 8, but the formula says 6.
    let mut weights = Array2::zeros((1, 9));
    weights[[0, 4]] = 2;
    let broken = conv_net(4, [1, 1, 1], [[3, 3], [1, 1], [1, 1]], 2, weights, vec![0]);
    assert!(broken.validate().is_err());
    let x = [raw_for_q0(4, 4, 8)];
    assert_eq!(forward(&broken, &x).spike_ticks(4), vec![vec![0], vec![6]]);
    assert_eq!(
        tick::simulate(&broken, &x).spike_ticks,
        vec![vec![0], vec![8]]
    );

    // Random conv networks: shifting every bias of the first conv by a step warps a good
    // share of samples (and the valid networks never do).
    let mut rng = ChaCha8Rng::seed_from_u64(0xBAD_C0DE);
    let (mut samples, mut warped) = (0u32, 0u32);
    for _ in 0..64 {
        let model = random_conv_model(&mut rng);
        let mut broken = model.clone();
        let layer = &mut broken.layers[0];
        let (lo, hi) = layer.weight_range();
        let d = (layer.one() as i32 / 2).max(1);
        for b in layer.bias.iter_mut() {
            *b = if *b + d <= hi {
                *b + d
            } else {
                (*b - d).max(lo)
            };
        }
        for kind in INPUT_KINDS {
            let x = random_input(&mut rng, model.input_len(), model.input_bits, kind);
            let t = model.time_steps;
            assert_eq!(
                tick::simulate(&model, &x).spike_ticks,
                forward(&model, &x).spike_ticks(t)
            );
            samples += 1;
            let _ = rng.gen::<u8>();
            if tick::simulate(&broken, &x).spike_ticks != forward(&broken, &x).spike_ticks(t) {
                warped += 1;
            }
        }
    }
    eprintln!("warped samples: {warped} of {samples}");
    assert!(
        warped * 5 >= samples,
        "only {warped} of {samples} samples warped"
    );
}
