//! Seeded random models for the test suites of every crate (golden, hdl, testbench, the CLI).
//!
//! They live here, next to the model type, so that each suite draws the same models from the
//! same seed instead of carrying its own copy of the generator.

use crate::model::{weight_range, Layer, LayerKind, Model, Readout, Shape};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random valid layer: weights anywhere in `weight_bits`, `frac_bits` drawn so that `2^F` is
/// reachable, every row + bias summing to exactly `2^F`.
pub fn random_layer<R: Rng + ?Sized>(
    rng: &mut R,
    inputs: usize,
    outputs: usize,
    weight_bits: u32,
) -> Layer {
    let (lo, hi) = weight_range(weight_bits);
    // 2^F must be reachable by inputs + 1 entries of at most `hi`.
    let max_f = ((inputs as i64 + 1) * hi as i64)
        .ilog2()
        .min(weight_bits + 2);
    let frac_bits = rng.gen_range(0..=max_f);
    let one = 1i64 << frac_bits;
    let mut weights = Array2::<i32>::zeros((outputs, inputs));
    let mut bias = Vec::new();
    for i in 0..outputs {
        let mut row: Vec<i32> = (0..=inputs).map(|_| rng.gen_range(lo..=hi)).collect();
        // Walk the sum to 2^F one random entry at a time, staying in range.
        let mut diff = one - row.iter().map(|&v| v as i64).sum::<i64>();
        while diff != 0 {
            let k = rng.gen_range(0..row.len());
            let step = diff.clamp(lo as i64 - row[k] as i64, hi as i64 - row[k] as i64);
            row[k] += step as i32;
            diff -= step;
        }
        for j in 0..inputs {
            weights[[i, j]] = row[j];
        }
        bias.push(row[inputs]);
    }
    Layer {
        kind: crate::model::LayerKind::Dense,
        inputs,
        outputs,
        weight_bits,
        frac_bits,
        weights,
        bias,
    }
}

/// A seeded valid model of the given widths (`widths[0]` inputs, then the layer widths) made of
/// [`random_layer`]s: 8-bit inputs and weights, `T = 16`, potential readout.
pub fn seeded_model(seed: u64, widths: &[usize]) -> Model {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let model = Model {
        input_shape: None,
        time_steps: 16,
        input_bits: 8,
        readout: Readout::Potential,
        dataset: None,
        layers: widths
            .windows(2)
            .map(|w| random_layer(&mut rng, w[0], w[1], 8))
            .collect(),
    };
    model.validate().expect("a seeded random model is valid");
    model
}

/// A random model with small weights (|w| ≤ 2^F, 8-bit, F drawn in 2..=5) whose neurons spread
/// their spikes over the whole window: `widths[0]` inputs, then the layer widths.
pub fn small_weight_model<R: Rng + ?Sized>(
    rng: &mut R,
    widths: &[usize],
    time_steps: u32,
    input_bits: u32,
    readout: &str,
) -> Model {
    let frac_bits = rng.gen_range(2..=5u32);
    small_weight_model_with_frac(rng, widths, frac_bits, time_steps, input_bits, readout)
}

/// [`small_weight_model`] with a fixed `frac_bits`.
pub fn small_weight_model_with_frac<R: Rng + ?Sized>(
    rng: &mut R,
    widths: &[usize],
    frac_bits: u32,
    time_steps: u32,
    input_bits: u32,
    readout: &str,
) -> Model {
    let readout = match readout {
        "potential" => Readout::Potential,
        "first-spike" => Readout::FirstSpike,
        other => panic!("unknown readout {other:?}: potential or first-spike"),
    };
    let one = 1i32 << frac_bits;
    let mut layers = vec![];
    for w in widths.windows(2) {
        let (inputs, outputs) = (w[0], w[1]);
        let mut weights = Array2::<i32>::zeros((outputs, inputs));
        let mut bias = vec![];
        for i in 0..outputs {
            // Redraw until the bias that closes the row sum fits in 8 bits.
            loop {
                let row: Vec<i32> = (0..inputs).map(|_| rng.gen_range(-one..=one)).collect();
                let b = one - row.iter().sum::<i32>();
                if (-128..128).contains(&b) {
                    for (j, &v) in row.iter().enumerate() {
                        weights[[i, j]] = v;
                    }
                    bias.push(b);
                    break;
                }
            }
        }
        layers.push(Layer {
            kind: crate::model::LayerKind::Dense,
            inputs,
            outputs,
            weight_bits: 8,
            frac_bits,
            weights,
            bias,
        });
    }
    let model = Model {
        input_shape: None,
        time_steps,
        input_bits,
        readout,
        dataset: None,
        layers,
    };
    model
        .validate()
        .expect("a small-weight random model is valid");
    model
}

/// `len` weights (the bias last) of `weight_bits` bits summing to exactly `2^frac_bits`: drawn
/// uniform in `±scale` (clipped to the range), then walked to the sum one random entry at a
/// time. `2^F` must be reachable: `2^F ≤ len·hi`.
pub fn random_row<R: Rng + ?Sized>(
    rng: &mut R,
    len: usize,
    weight_bits: u32,
    frac_bits: u32,
    scale: i32,
) -> Vec<i32> {
    let (lo, hi) = weight_range(weight_bits);
    let (a, b) = ((-scale).max(lo), scale.min(hi));
    let mut row: Vec<i32> = (0..len).map(|_| rng.gen_range(a..=b)).collect();
    let mut diff = (1i64 << frac_bits) - row.iter().map(|&v| v as i64).sum::<i64>();
    while diff != 0 {
        let k = rng.gen_range(0..row.len());
        let step = diff.clamp(lo as i64 - row[k] as i64, hi as i64 - row[k] as i64);
        row[k] += step as i32;
        diff -= step;
    }
    row
}

/// A random weighted layer of `kind` (dense or conv2d) reading `inputs` features: one
/// [`random_row`] per neuron / output channel, `frac_bits` drawn so that `2^F` is reachable by
/// the fan-in + 1 entries, the weight scale drawn log-uniform so that some layers spread their
/// spikes over the window and others saturate.
pub fn random_weighted_layer<R: Rng + ?Sized>(
    rng: &mut R,
    kind: LayerKind,
    inputs: usize,
    outputs: usize,
    weight_bits: u32,
) -> Layer {
    let fan_in = kind.fan_in(inputs);
    let rows = match kind {
        LayerKind::Conv2d { out_channels, .. } => out_channels,
        _ => outputs,
    };
    let (_, hi) = weight_range(weight_bits);
    let max_f = ((fan_in as i64 + 1) * hi as i64)
        .ilog2()
        .min(weight_bits + 2);
    let frac_bits = rng.gen_range(0..=max_f);
    let scale = 1i32 << rng.gen_range(0..weight_bits);
    let mut weights = Array2::<i32>::zeros((rows, fan_in));
    let mut bias = Vec::with_capacity(rows);
    for i in 0..rows {
        let row = random_row(rng, fan_in + 1, weight_bits, frac_bits, scale);
        for j in 0..fan_in {
            weights[[i, j]] = row[j];
        }
        bias.push(row[fan_in]);
    }
    let mut layer = Layer::of_kind(kind, weight_bits, frac_bits, weights, bias);
    layer.inputs = inputs;
    layer.outputs = outputs;
    layer
}

/// A random `maxpool2d` reading `shape`: kernel 1..=3 per side (at most the map), stride the
/// kernel or 1..=3 (overlapping windows, or edge rows left out).
pub fn random_maxpool<R: Rng + ?Sized>(rng: &mut R, shape: Shape) -> Layer {
    let kernel = [
        rng.gen_range(1..=3.min(shape[1])),
        rng.gen_range(1..=3.min(shape[2])),
    ];
    let stride = if rng.gen_bool(0.5) {
        kernel
    } else {
        [rng.gen_range(1..=3), rng.gen_range(1..=3)]
    };
    Layer::maxpool(LayerKind::maxpool2d(shape, kernel, stride).expect("the window fits"))
}

/// A random valid convolutional network (DESIGN §2.1): input `[C, H, W]` with C in 1..=3 and
/// H, W in 1..=7; 1..=3 conv2d layers (1..=4 channels, kernels up to 3×3 but never larger than
/// the padded input, strides 1..=2, padding 0..=2), each optionally followed by one or two
/// max pools (kernel up to 3, stride 1..=3 or the kernel); sometimes a pool on the input
/// itself, sometimes a dense layer last.
/// `T` in 2..=64, `input_bits` in 1..=8, `weight_bits` in 2..=10 per layer, random readout.
pub fn random_conv_model<R: Rng + ?Sized>(rng: &mut R) -> Model {
    let time_steps = 1u32 << rng.gen_range(1..=6);
    let input_bits = rng.gen_range(1..=8);
    let input_shape: Shape = [
        rng.gen_range(1..=3),
        rng.gen_range(1..=7),
        rng.gen_range(1..=7),
    ];
    let mut shape = input_shape;
    let mut layers = Vec::new();
    if rng.gen_bool(0.2) {
        // A pool straight on the encoded input (it fires in window 0).
        let kernel = [
            rng.gen_range(1..=2.min(shape[1])),
            rng.gen_range(1..=2.min(shape[2])),
        ];
        let kind = LayerKind::maxpool2d(shape, kernel, kernel).expect("the window fits");
        layers.push(Layer::maxpool(kind));
        shape = kind.out_shape(0);
    }
    let convs = rng.gen_range(1..=3);
    for _ in 0..convs {
        let padding = [rng.gen_range(0..=2), rng.gen_range(0..=2)];
        let kernel = [
            rng.gen_range(1..=3.min(shape[1] + 2 * padding[0])),
            rng.gen_range(1..=3.min(shape[2] + 2 * padding[1])),
        ];
        let stride = [rng.gen_range(1..=2), rng.gen_range(1..=2)];
        let kind = LayerKind::conv2d(shape, rng.gen_range(1..=4), kernel, stride, padding)
            .expect("the kernel fits the padded input");
        let out = kind.out_shape(0);
        let len = |s: Shape| s[0] * s[1] * s[2];
        let weight_bits = rng.gen_range(2..=10);
        layers.push(random_weighted_layer(
            rng,
            kind,
            len(shape),
            len(out),
            weight_bits,
        ));
        shape = out;
        for _ in 0..rng.gen_range(0..=2) {
            let pool = random_maxpool(rng, shape);
            shape = pool.out_shape();
            layers.push(pool);
        }
    }
    // The last layer is weighted: a dense readout, or one more 1×1-or-larger conv.
    let features = shape[0] * shape[1] * shape[2];
    if rng.gen_bool(0.5) || !layers.last().is_some_and(|l| l.is_weighted()) {
        let outputs = rng.gen_range(1..=5);
        let weight_bits = rng.gen_range(2..=10);
        layers.push(random_weighted_layer(
            rng,
            LayerKind::Dense,
            features,
            outputs,
            weight_bits,
        ));
    }
    let model = Model {
        time_steps,
        input_bits,
        readout: if rng.gen_bool(0.5) {
            Readout::Potential
        } else {
            Readout::FirstSpike
        },
        dataset: None,
        input_shape: Some(input_shape),
        layers,
    };
    model.validate().expect("a random conv model is valid");
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_layers_sum_to_one_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for bits in 2..=10 {
            let l = random_layer(&mut rng, 7, 5, bits);
            let (lo, hi) = l.weight_range();
            for i in 0..5 {
                let sum: i64 =
                    l.weights.row(i).iter().map(|&w| w as i64).sum::<i64>() + l.bias[i] as i64;
                assert_eq!(sum, l.one());
                assert!(l.weights.row(i).iter().all(|w| (lo..=hi).contains(w)));
            }
        }
    }

    #[test]
    fn random_conv_models_are_valid_and_reproducible() {
        // validate() runs inside random_conv_model; the same seed draws the same network.
        for seed in 0..64 {
            let draw = || random_conv_model(&mut ChaCha8Rng::seed_from_u64(seed));
            assert_eq!(draw(), draw());
        }
    }

    #[test]
    fn same_seed_gives_the_same_small_weight_model() {
        let draw = || {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            small_weight_model(&mut rng, &[6, 4, 3], 8, 8, "first-spike")
        };
        assert_eq!(draw(), draw());
    }
}
