//! Seeded random LC-TTFS models and inputs for tests (reusable: `mod common;` in a test file).
//!
//! - [`random_model`] / [`random_model_seeded`]: valid models (every row + bias sums to exactly
//!   `2^F`, every weight in range) of random depth 1..=4, widths 1..=12, `T ∈ {2, 4, …, 256}`,
//!   `weight_bits ∈ 2..=16`, a valid `frac_bits`, random readout. [`model_with_shape`] for a
//!   given shape (e.g. 784-128-10 benchmarks).
//! - Weight styles per layer: uniform at a random scale, extremes (`lo`, `hi`, 0), and *on-grid*
//!   (every weight a multiple of `2^F`, so every `z` of that layer is exactly on a multiple of
//!   `2^F` — the boundary case of the fire comparator).
//! - [`random_input`]: all-zero, all-max, uniform, extremes-only, sparse.
//! - proptest [`Strategy`]s: [`model_strategy`], [`input_strategy`], [`model_and_inputs`], and
//!   [`proptest_config`] (fixed ChaCha seed: every run draws the same cases).
#![allow(dead_code)]

use golden::model::{weight_range, Layer, Model, Readout, MAX_FRAC_BITS};
use ndarray::Array2;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A deterministic proptest configuration: `cases` cases from a fixed ChaCha seed, no
/// regression files (the seed reproduces any failure).
pub fn proptest_config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
}

/// How a layer's weights are drawn (before the row sum is fixed to `2^F`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightStyle {
    /// Uniform in `[−s, s]` for a log-uniform random scale `s ∈ [1, hi]`.
    Uniform,
    /// Only `lo`, `hi` and 0.
    Extremes,
    /// Multiples of `2^F` (needs `F ≤ weight_bits − 2`): every `z` lands on a multiple of `2^F`.
    OnGrid,
}

/// Largest `F` for which a row of `fan_in + 1` weights of `weight_bits` bits can sum to `2^F`:
/// `2^F ≤ (fan_in + 1)·hi`.
pub fn max_frac_bits(fan_in: usize, weight_bits: u32) -> u32 {
    let (_, hi) = weight_range(weight_bits);
    let cap = (fan_in as u64 + 1) * hi as u64;
    (63 - cap.leading_zeros()).min(MAX_FRAC_BITS)
}

/// Moves `row` (entries in `[lo, hi]`) to sum exactly `target`, spreading the excess evenly
/// over entries that have room, in random order. Panics only if `target` is unreachable, i.e.
/// outside `[len·lo, len·hi]`.
pub fn fix_row_sum(row: &mut [i64], target: i64, lo: i64, hi: i64, rng: &mut impl Rng) {
    let len = row.len() as i64;
    assert!(
        (len * lo..=len * hi).contains(&target),
        "row sum {target} unreachable with {len} entries in [{lo}, {hi}]"
    );
    let mut excess: i64 = row.iter().sum::<i64>() - target;
    let mut order: Vec<usize> = (0..row.len()).collect();
    while excess != 0 {
        order.shuffle(rng);
        let down = excess > 0; // fixed for the round: no step overshoots the excess
        let room = move |v: i64| if down { v - lo } else { hi - v };
        let open = order.iter().filter(|&&k| room(row[k]) > 0).count() as i64;
        let share = (excess.abs() + open - 1) / open; // ceil: every round shrinks the excess
        for &k in &order {
            let d = room(row[k]).min(share).min(excess.abs());
            if d == 0 {
                continue;
            }
            row[k] -= excess.signum() * d;
            excess -= excess.signum() * d;
            if excess == 0 {
                break;
            }
        }
    }
}

/// A random valid layer: `frac_bits` in range for the fan-in, rows + bias summing to `2^F`.
pub fn random_layer(rng: &mut impl Rng, inputs: usize, outputs: usize, weight_bits: u32) -> Layer {
    let (lo, hi) = weight_range(weight_bits);
    let (lo, hi) = (lo as i64, hi as i64);
    let style = match rng.gen_range(0..8) {
        0 => WeightStyle::Extremes,
        1 | 2 => WeightStyle::OnGrid,
        _ => WeightStyle::Uniform,
    };
    let frac_bits = match style {
        // On-grid needs hi/2^F ≥ 1: F ≤ weight_bits − 2.
        WeightStyle::OnGrid => rng.gen_range(0..=weight_bits - 2),
        _ => rng.gen_range(0..=max_frac_bits(inputs, weight_bits)),
    };
    let one = 1i64 << frac_bits;
    let mut weights = Array2::<i32>::zeros((outputs, inputs));
    let mut bias = Vec::with_capacity(outputs);
    for i in 0..outputs {
        let mut row: Vec<i64> = match style {
            WeightStyle::Uniform => {
                // Log-uniform scale, so that both small (mid-range z) and large (saturating,
                // negative z) weights are common.
                let s = (2f64.powf(rng.gen_range(0.0..=(hi as f64).log2()))) as i64;
                let s = s.clamp(1, hi);
                (0..=inputs).map(|_| rng.gen_range(-s..=s)).collect()
            }
            WeightStyle::Extremes => (0..=inputs)
                .map(|_| *[lo, hi, 0].choose(rng).expect("non-empty"))
                .collect(),
            WeightStyle::OnGrid => {
                let (glo, ghi) = (lo / one, hi / one); // exact: one divides hi + 1
                let s = rng.gen_range(1..=ghi);
                let mut units: Vec<i64> = (0..=inputs).map(|_| rng.gen_range(-s..=s)).collect();
                fix_row_sum(&mut units, 1, glo, ghi, rng);
                units.iter().map(|u| u * one).collect()
            }
        };
        fix_row_sum(&mut row, one, lo, hi, rng);
        for j in 0..inputs {
            weights[[i, j]] = row[j] as i32;
        }
        bias.push(row[inputs] as i32);
    }
    Layer {
        kind: golden::model::LayerKind::Dense,
        inputs,
        outputs,
        weight_bits,
        frac_bits,
        weights,
        bias,
    }
}

/// A valid random model of the given shape `widths = [inputs, hidden…, outputs]`.
pub fn model_with_shape(
    rng: &mut impl Rng,
    widths: &[usize],
    time_steps: u32,
    weight_bits: &[u32],
    input_bits: u32,
    readout: Readout,
) -> Model {
    assert_eq!(weight_bits.len() + 1, widths.len());
    let layers = widths
        .windows(2)
        .zip(weight_bits)
        .map(|(w, &bits)| random_layer(rng, w[0], w[1], bits))
        .collect();
    let model = Model {
        input_shape: None,
        time_steps,
        input_bits,
        readout,
        dataset: None,
        layers,
    };
    model.validate().expect("generator builds valid models");
    model
}

/// A valid random model: depth 1..=4, widths 1..=12, `T = 2^(1..=8)`, `weight_bits` 2..=16
/// (one for all layers, or per layer), `input_bits` 1..=16, random readout.
pub fn random_model(rng: &mut impl Rng) -> Model {
    let depth = rng.gen_range(1..=4);
    let widths: Vec<usize> = (0..=depth).map(|_| rng.gen_range(1..=12)).collect();
    let time_steps = 1u32 << rng.gen_range(1..=8);
    let shared = rng.gen_range(2..=16);
    let weight_bits: Vec<u32> = (0..depth)
        .map(|_| {
            if rng.gen_bool(0.75) {
                shared
            } else {
                rng.gen_range(2..=16)
            }
        })
        .collect();
    let input_bits = rng.gen_range(1..=16);
    let readout = if rng.gen_bool(0.5) {
        Readout::Potential
    } else {
        Readout::FirstSpike
    };
    model_with_shape(rng, &widths, time_steps, &weight_bits, input_bits, readout)
}

/// [`random_model`] from a seed (ChaCha8).
pub fn random_model_seeded(seed: u64) -> Model {
    random_model(&mut ChaCha8Rng::seed_from_u64(seed))
}

/// Kinds of raw input samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// Every `x = 0` (`q0 = 0`: every input silent).
    Zeros,
    /// Every `x = 2^b − 1`.
    Max,
    /// Uniform in `0..2^b`.
    Uniform,
    /// Each `x` is 0 or `2^b − 1`.
    Extremes,
    /// Mostly 0, a few uniform (MNIST-like).
    Sparse,
}

pub const INPUT_KINDS: [InputKind; 5] = [
    InputKind::Zeros,
    InputKind::Max,
    InputKind::Uniform,
    InputKind::Extremes,
    InputKind::Sparse,
];

/// A raw sample of `n` values of `input_bits` bits.
pub fn random_input(rng: &mut impl Rng, n: usize, input_bits: u32, kind: InputKind) -> Vec<u32> {
    let max = ((1u64 << input_bits) - 1) as u32;
    (0..n)
        .map(|_| match kind {
            InputKind::Zeros => 0,
            InputKind::Max => max,
            InputKind::Uniform => rng.gen_range(0..=max),
            InputKind::Extremes => *[0, max].choose(rng).expect("non-empty"),
            InputKind::Sparse => {
                if rng.gen_bool(0.2) {
                    rng.gen_range(0..=max)
                } else {
                    0
                }
            }
        })
        .collect()
}

/// Raw `x` of `input_bits` bits that encodes to exactly `q0` (needs `2^(b−1) ≥ T`).
pub fn raw_for_q0(q0: u32, time_steps: u32, input_bits: u32) -> u32 {
    assert!(1u64 << (input_bits - 1) >= time_steps as u64);
    let x = ((q0 as u64) << input_bits) / time_steps as u64;
    x.min((1u64 << input_bits) - 1) as u32
}

/// Strategy: valid random models (shrinks towards fewer, narrower layers and smaller `T`).
pub fn model_strategy() -> impl Strategy<Value = Model> {
    (1usize..=4)
        .prop_flat_map(|depth| {
            (
                prop::collection::vec(1usize..=12, depth + 1),
                1u32..=8,
                prop::collection::vec(2u32..=16, depth),
                1u32..=16,
                any::<bool>(),
                any::<u64>(),
            )
        })
        .prop_map(|(widths, k, bits, input_bits, first_spike, seed)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            // Mostly one weight_bits for the whole model, as real models have.
            let bits: Vec<u32> = if seed % 4 == 0 {
                bits
            } else {
                vec![bits[0]; bits.len()]
            };
            let readout = if first_spike {
                Readout::FirstSpike
            } else {
                Readout::Potential
            };
            model_with_shape(&mut rng, &widths, 1 << k, &bits, input_bits, readout)
        })
}

/// Strategy: one raw sample of `n` values of `input_bits` bits, edge cases weighted in.
pub fn input_strategy(n: usize, input_bits: u32) -> BoxedStrategy<Vec<u32>> {
    let max = ((1u64 << input_bits) - 1) as u32;
    prop_oneof![
        1 => Just(vec![0; n]),
        1 => Just(vec![max; n]),
        3 => prop::collection::vec(0..=max, n),
        2 => prop::collection::vec(prop_oneof![Just(0), Just(max)], n),
        1 => prop::collection::vec(prop_oneof![4 => Just(0), 1 => 0..=max], n),
    ]
    .boxed()
}

/// Strategy: a random model and `samples` raw inputs for it.
pub fn model_and_inputs(samples: usize) -> impl Strategy<Value = (Model, Vec<Vec<u32>>)> {
    model_strategy().prop_flat_map(move |model| {
        let inputs =
            prop::collection::vec(input_strategy(model.input_len(), model.input_bits), samples);
        (Just(model), inputs)
    })
}
