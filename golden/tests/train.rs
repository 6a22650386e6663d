//! The trainer: determinism, the exact row constraint, and that its forward pass is the
//! integer contract of DESIGN §2.

use golden::data::Dataset;
use golden::forward::classify;
use golden::model::{FloatLayer, FloatModel, Model};
use golden::quantize::{quantize, QuantizeOptions};
use golden::train::{self, Optimizer, TrainConfig, TrainError};
use proptest::prelude::*;
use std::path::Path;

fn fixture() -> Dataset {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    Dataset::load(
        &Path::new(dir).join("mnist-t10k-100-images-idx3-ubyte"),
        &Path::new(dir).join("mnist-t10k-100-labels-idx1-ubyte"),
    )
    .expect("fixture loads")
}

fn tiny_config(seed: u64) -> TrainConfig {
    TrainConfig {
        hidden: vec![16],
        epochs: 4,
        batch_size: 10,
        learning_rate: 3e-3,
        seed,
        progress: false,
        ..TrainConfig::default()
    }
}

fn assert_rows_sum_to_one(model: &FloatModel, tol: f64) {
    for (l, layer) in model.layers.iter().enumerate() {
        for (i, row) in layer.weights.rows().into_iter().enumerate() {
            let sum = train::row_sum(row.as_slice().unwrap(), layer.bias[i]);
            assert!(
                (sum - 1.0).abs() <= tol,
                "layer {} neuron {i}: Σw + b = {sum}",
                l + 1
            );
        }
    }
}

#[test]
fn same_seed_gives_identical_weights_and_other_seed_differs() {
    let d = fixture();
    let a = train::train(&tiny_config(7), &d).unwrap();
    let b = train::train(&tiny_config(7), &d).unwrap();
    assert_eq!(a, b, "same seed, same data: bit-identical model");
    let c = train::train(&tiny_config(8), &d).unwrap();
    assert_ne!(a, c, "another seed gives another model");
}

#[test]
fn every_row_sums_to_one_after_training() {
    for optimizer in [Optimizer::default(), Optimizer::Momentum { momentum: 0.9 }] {
        let cfg = TrainConfig {
            hidden: vec![24, 12],
            optimizer,
            learning_rate: 0.01,
            ..tiny_config(3)
        };
        let (model, stats) = train::train_with(&cfg, &fixture(), |_, _| {}).unwrap();
        assert_rows_sum_to_one(&model, 1e-5);
        assert!(stats.iter().all(|s| s.worst_row_sum_error <= 1e-5));
        assert!(train::worst_row_sum_error(&model) <= 1e-5);
        model.validate().unwrap();
        let widths: Vec<(usize, usize)> =
            model.layers.iter().map(|l| (l.inputs, l.outputs)).collect();
        assert_eq!(widths, vec![(784, 24), (24, 12), (12, 10)]);
        assert_eq!((model.time_steps, model.input_bits), (16, 8));
    }
}

#[test]
fn training_reports_each_epoch_and_learns_the_fixture() {
    let cfg = TrainConfig {
        hidden: vec![32],
        epochs: 25,
        max_shift: 0,
        ..tiny_config(1)
    };
    let d = fixture();
    let mut seen = Vec::new();
    let (model, stats) = train::train_with(&cfg, &d, |s, m| {
        seen.push(s.epoch);
        assert_eq!(m.layers.len(), 2);
    })
    .unwrap();
    assert_eq!(seen, (1..=25).collect::<Vec<_>>());
    assert_eq!(stats.len(), 25);
    assert!(
        stats[24].loss < stats[0].loss,
        "loss falls: {} → {}",
        stats[0].loss,
        stats[24].loss
    );
    // 100 samples, 25 epochs: the network fits them.
    let acc = train::accuracy(&model, &d);
    assert!(acc >= 0.9, "training accuracy {acc}");
}

/// The trainer's forward pass (`q0/T` input, floored activations, potential readout) *is* the
/// integer contract: on a model whose weights are exact multiples of 2^-F it predicts exactly
/// what the integer ANN of DESIGN §2 does, for every sample.
#[test]
fn forward_as_trained_equals_integer_ann_on_representable_weights() {
    let d = fixture();
    let cfg = TrainConfig {
        hidden: vec![32],
        epochs: 6,
        ..tiny_config(5)
    };
    let model = train::train(&cfg, &d).unwrap();
    let (q, _) = quantize(&model, &QuantizeOptions::new(8).unwrap()).unwrap();
    let deq = dequantize(&q);
    let pred = train::predict(&deq, &d);
    for (i, &p) in pred.iter().enumerate() {
        assert_eq!(p, classify(&q, &d.sample(i)), "sample {i}");
    }
    // And 8-bit quantization changes few predictions of the model as trained.
    let changed = train::predict(&model, &d)
        .iter()
        .zip(&pred)
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        changed <= 5,
        "{changed} of 100 predictions changed by quantization"
    );
}

fn dequantize(m: &Model) -> FloatModel {
    FloatModel {
        input_shape: None,
        time_steps: m.time_steps,
        input_bits: m.input_bits,
        readout: m.readout,
        dataset: m.dataset,
        layers: m
            .layers
            .iter()
            .map(|l| {
                let s = 1.0 / l.one() as f32;
                FloatLayer {
                    kind: golden::model::LayerKind::Dense,
                    inputs: l.inputs,
                    outputs: l.outputs,
                    weights: l.weights.mapv(|w| w as f32 * s),
                    bias: l.bias.iter().map(|&b| b as f32 * s).collect(),
                }
            })
            .collect(),
    }
}

#[test]
fn invalid_configurations_are_refused_with_the_field_named() {
    let d = fixture();
    let cases: Vec<(TrainConfig, &str)> = vec![
        (
            TrainConfig {
                time_steps: 12,
                ..tiny_config(1)
            },
            "time_steps = 12",
        ),
        (
            TrainConfig {
                time_steps: 512,
                ..tiny_config(1)
            },
            "time_steps = 512",
        ),
        (
            TrainConfig {
                batch_size: 0,
                ..tiny_config(1)
            },
            "batch_size",
        ),
        (
            TrainConfig {
                learning_rate: f32::NAN,
                ..tiny_config(1)
            },
            "learning_rate",
        ),
        (
            TrainConfig {
                hidden: vec![8, 0],
                ..tiny_config(1)
            },
            "hidden[1] = 0",
        ),
        (
            TrainConfig {
                input_bits: 0,
                ..tiny_config(1)
            },
            "input_bits",
        ),
        (
            TrainConfig {
                classes: 1,
                ..tiny_config(1)
            },
            "classes",
        ),
        (
            TrainConfig {
                logit_scale: 0.0,
                ..tiny_config(1)
            },
            "logit_scale",
        ),
        (
            TrainConfig {
                weight_decay: -1.0,
                ..tiny_config(1)
            },
            "weight_decay",
        ),
        (
            TrainConfig {
                optimizer: Optimizer::Momentum { momentum: 1.0 },
                ..tiny_config(1)
            },
            "momentum",
        ),
    ];
    for (cfg, what) in cases {
        let err = cfg.validate().unwrap_err();
        assert!(matches!(err, TrainError::Config(_)));
        assert!(err.to_string().contains(what), "{what}: {err}");
        assert!(train::train(&cfg, &d).is_err());
    }
    TrainConfig::default().validate().unwrap();
}

#[test]
fn data_that_does_not_fit_the_network_is_refused() {
    let d = fixture();
    let err = train::train(
        &TrainConfig {
            classes: 5,
            ..tiny_config(1)
        },
        &d,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("label") && err.to_string().contains("classes"),
        "{err}"
    );
    let err = train::train(
        &TrainConfig {
            input_bits: 4,
            ..tiny_config(1)
        },
        &d,
    )
    .unwrap_err();
    assert!(err.to_string().contains("input_bits = 4"), "{err}");
    let err = train::train(
        &TrainConfig {
            max_shift: 28,
            ..tiny_config(1)
        },
        &d,
    )
    .unwrap_err();
    assert!(err.to_string().contains("max_shift"), "{err}");
    let err = train::train(&tiny_config(1), &d.take(0)).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn projection_keeps_the_mean_shift_minimal() {
    // Rows already on the constraint are not moved; others move by the same amount each.
    let mut w = vec![0.25f32, 0.5, 0.125];
    let mut b = 0.125f32;
    train::project_row(&mut w, &mut b);
    assert_eq!((w.as_slice(), b), (&[0.25f32, 0.5, 0.125][..], 0.125));
    let mut w = vec![1.0f32, 1.0, 1.0];
    let mut b = 1.0f32;
    train::project_row(&mut w, &mut b);
    assert_eq!((w.as_slice(), b), (&[0.25f32; 3][..], 0.25));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_7a1e),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// After the projection every row sums to 1 within one f32 rounding of the bias (f32 eps
    /// for |b| ≤ 1), whatever the row length and values; no weight moves by more than the
    /// mean excess plus rounding.
    #[test]
    fn projection_makes_row_sums_one_within_f32_eps(
        w0 in proptest::collection::vec(-4.0f32..4.0, 1..1200),
        b0 in -4.0f32..4.0,
    ) {
        let (mut w, mut b) = (w0.clone(), b0);
        train::project_row(&mut w, &mut b);
        let sum = train::row_sum(&w, b);
        let tol = f32::EPSILON as f64 * (b.abs() as f64).max(1.0);
        prop_assert!((sum - 1.0).abs() <= tol, "Σ = {} (n = {}, b = {})", sum, w.len(), b);
        let shift = (train::row_sum(&w0, b0) - 1.0) / (w0.len() + 1) as f64;
        for (a, z) in w0.iter().zip(&w) {
            prop_assert!(((*a - *z) as f64 - shift).abs() <= 1e-5, "{} → {} (shift {})", a, z, shift);
        }
        // Projecting again is a no-op up to that rounding.
        let (mut w2, mut b2) = (w.clone(), b);
        train::project_row(&mut w2, &mut b2);
        prop_assert!((train::row_sum(&w2, b2) - 1.0).abs() <= tol);
    }
}

fn qat_config(seed: u64, bits: u32) -> TrainConfig {
    TrainConfig {
        hidden: vec![16],
        epochs: 3,
        weight_bits: Some(bits),
        ..tiny_config(seed)
    }
}

/// Weight QAT writes the grid values of the integer model it trained: quantizing that float
/// model at the same bits gives exactly the trained integer model (weights, biases,
/// `frac_bits`), and every row of both sums exactly (`2^F` in integers, 1 in the float file).
#[test]
fn weight_qat_float_model_quantizes_back_to_the_trained_integer_model_bit_for_bit() {
    let d = fixture();
    for bits in [3, 4, 6, 8] {
        let trained = train::train_full(&qat_config(11, bits), &d, |_, _| {}).unwrap();
        let q = trained
            .quantized
            .expect("weight QAT returns its integer model");
        q.validate().unwrap();
        assert!(q.layers.iter().all(|l| l.weight_bits == bits));
        let (again, rep) = quantize(&trained.float, &QuantizeOptions::new(bits).unwrap()).unwrap();
        assert_eq!(again, q, "{bits} bits");
        assert_eq!(
            rep.worst_error(),
            0.0,
            "{bits} bits: the float file is on the grid"
        );
        assert_eq!(trained.float, dequantize(&q), "{bits} bits");
        assert_rows_sum_to_one(&trained.float, 0.0);
        // The file format round trip keeps every grid value exactly.
        let text = trained.float.to_json_string();
        match golden::model::AnyModel::from_json_str(&text, "(test)").unwrap() {
            golden::model::AnyModel::Float(f) => assert_eq!(f, trained.float),
            other => panic!("{other:?}"),
        }
    }
}

/// The quantization-aware forward is the integer contract: the trained float (grid) model,
/// run as trained, predicts exactly what the integer ANN of the trained model does.
#[test]
fn weight_qat_forward_equals_the_integer_model_forward() {
    let d = fixture();
    let trained = train::train_full(&qat_config(12, 4), &d, |_, _| {}).unwrap();
    let q = trained.quantized.unwrap();
    let pred = train::predict(&trained.float, &d);
    for (i, &p) in pred.iter().enumerate() {
        assert_eq!(p, classify(&q, &d.sample(i)), "sample {i}");
    }
}

#[test]
fn weight_qat_is_deterministic_and_a_late_start_still_writes_the_grid() {
    let d = fixture();
    let a = train::train_full(&qat_config(13, 4), &d, |_, _| {}).unwrap();
    let b = train::train_full(&qat_config(13, 4), &d, |_, _| {}).unwrap();
    assert_eq!(a.float, b.float);
    assert_eq!(a.quantized, b.quantized);
    // QAT from the last epoch only: the epochs before train float weights, so the result
    // differs, but the file is still the grid of the integer model returned.
    let cfg = TrainConfig {
        qat_start_epoch: 3,
        ..qat_config(13, 4)
    };
    let late = train::train_full(&cfg, &d, |_, _| {}).unwrap();
    assert_ne!(late.float, a.float);
    let (again, _) = quantize(&late.float, &QuantizeOptions::new(4).unwrap()).unwrap();
    assert_eq!(Some(again), late.quantized);
    // Without weight QAT there is no integer model and the weights are not on a grid.
    let float = train::train_full(&tiny_config(13), &d, |_, _| {}).unwrap();
    assert!(float.quantized.is_none());
}

#[test]
fn invalid_weight_qat_settings_are_refused_with_the_field_named() {
    for (cfg, what) in [
        (
            TrainConfig {
                weight_bits: Some(1),
                ..tiny_config(1)
            },
            "weight_bits = 1",
        ),
        (
            TrainConfig {
                weight_bits: Some(17),
                ..tiny_config(1)
            },
            "weight_bits = 17",
        ),
        (
            TrainConfig {
                weight_bits: Some(4),
                qat_start_epoch: 0,
                ..tiny_config(1)
            },
            "qat_start_epoch = 0",
        ),
    ] {
        let err = cfg.validate().unwrap_err();
        assert!(matches!(err, TrainError::Config(_)));
        assert!(err.to_string().contains(what), "{what}: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// `--arch` networks: convolutions and pools (golden::train_arch).

mod arch {
    use super::fixture;
    use golden::arch::Arch;
    use golden::forward::classify;
    use golden::model::{FloatModel, LayerKind};
    use golden::quantize::{quantize, QuantizeOptions};
    use golden::train::{self, TrainConfig};
    use golden::train_arch::{train_arch, Activation, Network};
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn conv_config(seed: u64) -> TrainConfig {
        TrainConfig {
            epochs: 4,
            batch_size: 10,
            learning_rate: 3e-3,
            seed,
            progress: false,
            ..TrainConfig::default()
        }
    }

    /// Central finite differences of the float loss (continuous ReLU1, no floor) against the
    /// analytic gradient of every weight and bias of a tiny network.
    fn gradient_check(spec: &str, shape: [usize; 3], classes: usize) {
        let arch: Arch = spec.parse().unwrap();
        let mut net = Network::init(&arch, shape, 5).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let features = shape.iter().product::<usize>();
        let x = Array2::from_shape_simple_fn((3, features), || rng.gen_range(0.0f32..1.0));
        let labels: Vec<u8> = (0..3).map(|i| (i % classes) as u8).collect();
        // Spread the weights so activations sit inside (0, 1) and pools have clear winners.
        for (w, b) in net.weights_mut() {
            w.mapv_inplace(|v| v * 2.0);
            b.mapv_inplace(|v| v * 0.5);
        }
        let loss = |net: &Network| {
            net.loss_and_gradients(&x, &labels, Activation::Relu1, 1.0)
                .0
        };
        let (_, grads) = net.loss_and_gradients(&x, &labels, Activation::Relu1, 1.0);
        assert_eq!(grads.len(), net.weighted_layers());
        let eps = 1e-3f32;
        let (mut checked, mut bad) = (0usize, Vec::new());
        for (l, (gw, gb)) in grads.iter().enumerate() {
            let entries = gw.len() + gb.len();
            for e in 0..entries {
                let poke = |net: &mut Network, delta: f32| {
                    let mut ws = net.weights_mut();
                    let (w, b) = &mut ws[l];
                    if e < w.len() {
                        let cols = w.ncols();
                        w[[e / cols, e % cols]] += delta;
                    } else {
                        b[e - w.len()] += delta;
                    }
                };
                poke(&mut net, eps);
                let up = loss(&net);
                poke(&mut net, -2.0 * eps);
                let down = loss(&net);
                poke(&mut net, eps);
                let numeric = (up - down) / (2.0 * eps as f64);
                let analytic = if e < gw.len() {
                    gw.as_slice().unwrap()[e]
                } else {
                    gb[e - gw.len()]
                } as f64;
                checked += 1;
                if (numeric - analytic).abs() > 2e-3 + 0.02 * analytic.abs().max(numeric.abs()) {
                    bad.push((l, e, numeric, analytic));
                }
            }
        }
        // A perturbation may cross a clamp or switch a pool's winner: allow a stray entry.
        assert!(
            bad.len() * 50 <= checked,
            "{spec}: {} of {checked} gradients disagree, e.g. {:?}",
            bad.len(),
            &bad[..bad.len().min(5)]
        );
        let nonzero = grads
            .iter()
            .flat_map(|(w, b)| w.iter().chain(b.iter()))
            .filter(|g| g.abs() > 1e-6)
            .count();
        assert!(nonzero * 4 > checked, "{spec}: gradients are mostly zero");
    }

    #[test]
    fn conv_and_maxpool_gradients_match_finite_differences() {
        gradient_check("conv:3:3:pad=1,maxpool:2,conv:4:2,dense:3", [2, 6, 6], 3);
        gradient_check(
            "conv:2:3:stride=2:pad=1,maxpool:2:stride=1,dense:4",
            [1, 7, 7],
            4,
        );
    }

    #[test]
    fn average_and_sum_pool_gradients_match_finite_differences() {
        gradient_check("conv:2:3,sumpool:2,dense:3", [1, 6, 6], 3);
        gradient_check(
            "conv:3:3:pad=1,avgpool:2,conv:2:3:pad=1,dense:3",
            [1, 6, 6],
            3,
        );
        gradient_check("avgpool:2:stride=1,dense:3", [1, 5, 5], 3);
    }

    fn assert_kernel_sums_are_one(model: &FloatModel, tol: f64) {
        for (k, layer) in model.layers.iter().enumerate() {
            for (i, row) in layer.weights.rows().into_iter().enumerate() {
                let sum = train::row_sum(&row.to_vec(), layer.bias[i]);
                assert!(
                    (sum - 1.0).abs() <= tol,
                    "layers[{k}] {}: Σw + b = {sum}",
                    layer.kind.row_label(i)
                );
            }
        }
    }

    #[test]
    fn kernel_sums_stay_exact_through_export_and_quantization() {
        let d = fixture();
        for spec in [
            "conv:4:5:pad=2,maxpool:2,conv:6:3,dense:10",
            "conv:4:3,sumpool:2,conv:5:3,avgpool:2,dense:10",
            "avgpool:2,conv:3:3:pad=1,maxpool:2,dense:10",
        ] {
            let arch: Arch = spec.parse().unwrap();
            let cfg = TrainConfig {
                epochs: 2,
                ..conv_config(3)
            };
            let t = train_arch(&cfg, &arch, [1, 28, 28], &d, |st, _| {
                assert!(st.worst_row_sum_error <= 1e-5, "{spec}: {st:?}");
            })
            .unwrap();
            let model = &t.float;
            model.validate().unwrap();
            // Linear pools are folded: only conv2d, maxpool2d and dense reach the file.
            assert!(model
                .layers
                .iter()
                .all(|l| !matches!(l.kind, LayerKind::MaxPool2d { .. }) || l.weights.is_empty()));
            assert_kernel_sums_are_one(model, 1e-5);
            assert_eq!(model.input_shape, Some([1, 28, 28]), "{spec}");
            // The integer model: every kernel + bias sums to exactly 2^F (Model::validate
            // checks it) and the file round-trips.
            let (q, _) = quantize(model, &QuantizeOptions::new(8).unwrap()).unwrap();
            q.validate().unwrap();
            for l in q.layers.iter().filter(|l| l.is_weighted()) {
                for (row, &b) in l.weights.rows().into_iter().zip(&l.bias) {
                    assert_eq!(
                        row.iter().map(|&w| w as i64).sum::<i64>() + b as i64,
                        l.one()
                    );
                }
            }
            let again = golden::model::Model::from_json_str(&q.to_json_string(), "test").unwrap();
            assert_eq!(again, q, "{spec}");
        }
    }

    #[test]
    fn a_tiny_conv_net_learns_and_is_deterministic_for_a_seed() {
        let d = fixture();
        let arch: Arch = "conv:4:5:pad=2,maxpool:2,conv:8:3:pad=1,maxpool:2,dense:10"
            .parse()
            .unwrap();
        let cfg = TrainConfig {
            epochs: 6,
            ..conv_config(7)
        };
        let a = train_arch(&cfg, &arch, [1, 28, 28], &d, |_, _| {}).unwrap();
        let first = a.stats.first().unwrap().loss;
        let last = a.stats.last().unwrap().loss;
        assert!(last < 0.8 * first, "loss {first} → {last}");
        let b = train_arch(&cfg, &arch, [1, 28, 28], &d, |_, _| {}).unwrap();
        assert_eq!(a.float, b.float, "same seed: bit-identical weights");
        let c = train_arch(&conv_config(8), &arch, [1, 28, 28], &d, |_, _| {}).unwrap();
        assert_ne!(a.float, c.float, "another seed, another model");
        // As-trained accuracy on the training fixture is well above chance.
        assert!(train::accuracy(&a.float, &d) > 0.5);
    }

    #[test]
    fn weight_qat_of_a_conv_net_writes_its_integer_model_and_predicts_like_it() {
        let d = fixture();
        let arch: Arch = "conv:4:5:pad=2,maxpool:2,dense:10".parse().unwrap();
        let cfg = TrainConfig {
            epochs: 2,
            weight_bits: Some(6),
            ..conv_config(2)
        };
        let t = train_arch(&cfg, &arch, [1, 28, 28], &d, |_, _| {}).unwrap();
        let q = t.quantized.expect("QAT gives the integer model");
        let (again, _) = quantize(&t.float, &QuantizeOptions::new(6).unwrap()).unwrap();
        assert_eq!(again, q, "the grid quantizes back to the trained model");
        // The as-trained float forward is the integer contract on grid weights.
        let pred = train::predict(&t.float, &d);
        for (i, &p) in pred.iter().enumerate() {
            assert_eq!(p, classify(&q, &d.sample(i)), "sample {i}");
        }
    }

    #[test]
    fn a_dense_arch_trains_a_version_1_mlp() {
        let d = fixture();
        let arch: Arch = "dense:16,dense:10".parse().unwrap();
        let t = train_arch(&conv_config(1), &arch, [1, 28, 28], &d, |_, _| {}).unwrap();
        assert_eq!(t.float.input_shape, None);
        let widths: Vec<(usize, usize)> = t
            .float
            .layers
            .iter()
            .map(|l| (l.inputs, l.outputs))
            .collect();
        assert_eq!(widths, vec![(784, 16), (16, 10)]);
        assert!(t.float.is_dense_only());
    }

    #[test]
    fn bad_arch_runs_are_refused_in_one_line_naming_the_problem() {
        let d = fixture();
        let cfg = conv_config(1);
        for (spec, shape, classes, needle) in [
            (
                "conv:8:30,dense:10",
                [1, 28, 28],
                10,
                "does not fit its input 1x28x28",
            ),
            (
                "conv:4:3,dense:10",
                [1, 28, 27],
                10,
                "has 756 features but the images have 784",
            ),
            (
                "conv:4:3,dense:7",
                [1, 28, 28],
                10,
                "7 outputs but the network needs 10",
            ),
            ("conv:4:3,dense:7", [1, 28, 28], 7, "has label"),
            ("conv:4:3,dense:10", [4, 14, 14], 10, "--max-shift 0"),
            (
                "conv:4:3,maxpool:2,dense:10,conv:2:1",
                [1, 28, 28],
                10,
                "cannot follow a dense",
            ),
        ] {
            let arch: Arch = spec.parse().unwrap();
            let cfg = TrainConfig {
                classes,
                ..cfg.clone()
            };
            let err = train_arch(&cfg, &arch, shape, &d, |_, _| {})
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{spec}: {err}");
            assert_eq!(err.lines().count(), 1, "{spec}: {err}");
        }
        let arch: Arch = "conv:4:3,sumpool:2,dense:10".parse().unwrap();
        let cfg = TrainConfig {
            weight_bits: Some(8),
            ..conv_config(1)
        };
        let err = train_arch(&cfg, &arch, [1, 28, 28], &d, |_, _| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains("--weight-bits with avgpool/sumpool"), "{err}");
    }
}
