//! Seeded random models for the test suites of every crate (golden, hdl, testbench, the CLI).
//!
//! They live here, next to the model type, so that each suite draws the same models from the
//! same seed instead of carrying its own copy of the generator.

use crate::model::{weight_range, Layer, Model, Readout};
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
    fn same_seed_gives_the_same_small_weight_model() {
        let draw = || {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            small_weight_model(&mut rng, &[6, 4, 3], 8, 8, "first-spike")
        };
        assert_eq!(draw(), draw());
    }
}
