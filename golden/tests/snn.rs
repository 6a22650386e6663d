//! The spiking simulators against the discrete contract (DESIGN §2).
//!
//! - Property test (seeded proptest): on random networks, the tick-level simulator (neuron
//!   dynamics) and the event-driven one (hardware twins) give every neuron of every layer the
//!   spike tick `(l+1)·T − q` of the integer ANN, the same `z` and the same class.
//! - An exhaustive sweep of `z` around every step boundary.
//! - Focused examples with the arithmetic spelled out, and the time-warping counter-examples
//!   when a row does not sum to `2^F`.

mod common;

use common::*;
use golden::forward::{encode, forward, AnnTrace};
use golden::model::{Layer, Model, Readout};
use golden::snn::tick::{self, TickSim};
use golden::snn::{Event, EventSim, Fanouts, SnnTrace};
use ndarray::Array2;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cell::Cell;

// ---------------------------------------------------------------------------------------------
// Helpers

/// One layer of [`net`]: `(frac_bits, weight rows, bias)`.
type LayerSpec = (u32, Vec<Vec<i32>>, Vec<i32>);

/// A model built directly (no validation: the warp tests need broken rows), 16-bit weights and
/// inputs.
fn net(time_steps: u32, readout: Readout, layers: &[LayerSpec]) -> Model {
    let layers = layers
        .iter()
        .map(|(f, rows, bias)| {
            let (outputs, inputs) = (rows.len(), rows[0].len());
            let flat: Vec<i32> = rows.iter().flatten().copied().collect();
            Layer {
                kind: golden::model::LayerKind::Dense,
                inputs,
                outputs,
                weight_bits: 16,
                frac_bits: *f,
                weights: Array2::from_shape_vec((outputs, inputs), flat).unwrap(),
                bias: bias.clone(),
            }
        })
        .collect();
    Model {
        input_shape: None,
        time_steps,
        input_bits: 16,
        readout,
        dataset: None,
        layers,
    }
}

/// Raw sample that encodes to exactly `q0` (16-bit inputs).
fn raw(model: &Model, q0: &[u32]) -> Vec<u32> {
    let x: Vec<u32> = q0
        .iter()
        .map(|&q| raw_for_q0(q, model.time_steps, model.input_bits))
        .collect();
    assert_eq!(encode(model, &x), q0, "raw_for_q0 round trip");
    x
}

/// Tick-level trace, event-driven trace (with the event simulator for inspection), ANN trace.
fn run_all(model: &Model, q0: &[u32]) -> (SnnTrace, SnnTrace, EventSim, AnnTrace) {
    let x = raw(model, q0);
    let mut sim = EventSim::new(model);
    let event = sim.trace(&x);
    (tick::simulate(model, &x), event, sim, forward(model, &x))
}

/// Asserts that both simulators and the ANN agree on every spike tick, `z` and class, and
/// returns the spike ticks.
fn agreed_ticks(model: &Model, q0: &[u32]) -> Vec<Vec<u32>> {
    let (tick, event, _, ann) = run_all(model, q0);
    let want = ann.spike_ticks(model.time_steps);
    assert_eq!(tick.spike_ticks, want, "tick-level vs integer ANN");
    assert_eq!(event.spike_ticks, want, "event-driven vs integer ANN");
    assert_eq!(tick.z, ann.z, "tick-level V(l·T) vs ANN z");
    assert_eq!(event.z, ann.z, "event-driven z vs ANN z");
    assert_eq!(tick.class, ann.class, "tick-level class");
    assert_eq!(event.class, ann.class, "event-driven class");
    want
}

/// Steps a tick-level simulation until `now == tick`.
fn step_to(sim: &mut TickSim<'_>, tick: u32) {
    while sim.now() < tick {
        assert!(sim.step());
    }
}

// ---------------------------------------------------------------------------------------------
// Property test on random networks

/// How often each edge case of `z` occurred (interior mutability: proptest's closure is `Fn`).
#[derive(Default)]
struct Coverage {
    neurons: Cell<u64>,
    above_threshold: Cell<u64>,   // z > T·2^F
    at_threshold: Cell<u64>,      // z = T·2^F exactly
    on_step_inside: Cell<u64>,    // z = k·2^F, 1 ≤ k < T
    off_step_inside: Cell<u64>,   // 2^F ≤ z < T·2^F, not a multiple
    below_one_step: Cell<u64>,    // 0 ≤ z < 2^F
    negative: Cell<u64>,          // z < 0
    deep_layer_inside: Cell<u64>, // layer ≥ 2 with 0 < q < T
    all_zero_inputs: Cell<u64>,   // x = 0 everywhere
    all_max_inputs: Cell<u64>,    // x = 2^b − 1 everywhere
}

impl Coverage {
    fn bump(c: &Cell<u64>) {
        c.set(c.get() + 1);
    }

    fn record(&self, model: &Model, x: &[u32], ann: &AnnTrace) {
        let max = ((1u64 << model.input_bits) - 1) as u32;
        if x.iter().all(|&v| v == 0) {
            Self::bump(&self.all_zero_inputs);
        }
        if x.iter().all(|&v| v == max) {
            Self::bump(&self.all_max_inputs);
        }
        let t = model.time_steps as i64;
        for (k, (layer, zs)) in model.layers.iter().zip(&ann.z).enumerate() {
            let one = layer.one();
            for &z in zs {
                Self::bump(&self.neurons);
                let c = if z > t * one {
                    &self.above_threshold
                } else if z == t * one {
                    &self.at_threshold
                } else if z >= one && z % one == 0 {
                    &self.on_step_inside
                } else if z >= one {
                    &self.off_step_inside
                } else if z >= 0 {
                    &self.below_one_step
                } else {
                    &self.negative
                };
                Self::bump(c);
                if k >= 1 && z >= one && z < t * one {
                    Self::bump(&self.deep_layer_inside);
                }
            }
        }
    }

    fn report_and_check(&self) {
        let rows = [
            ("neurons", &self.neurons),
            ("z > T·2^F", &self.above_threshold),
            ("z = T·2^F", &self.at_threshold),
            ("z = k·2^F, 0<k<T", &self.on_step_inside),
            ("2^F ≤ z < T·2^F off-step", &self.off_step_inside),
            ("0 ≤ z < 2^F", &self.below_one_step),
            ("z < 0", &self.negative),
            ("layer ≥ 2, 0 < q < T", &self.deep_layer_inside),
            ("all-zero inputs", &self.all_zero_inputs),
            ("all-max inputs", &self.all_max_inputs),
        ];
        for (name, c) in rows {
            eprintln!("coverage: {name:>26}: {}", c.get());
            assert!(c.get() > 0, "edge case never exercised: {name}");
        }
    }
}

/// Every neuron, every layer, on random networks (depth 1..=4, widths 1..=12, T 2..=256,
/// weight_bits 2..=16) with edge-case inputs: tick-level sim = event sim = integer ANN.
#[test]
fn spike_ticks_of_both_simulators_equal_integer_ann_in_every_layer() {
    let coverage = Coverage::default();
    let mut runner = TestRunner::new(proptest_config(1024, 0x5EED_0002));
    runner
        .run(&model_and_inputs(6), |(model, inputs)| {
            let t = model.time_steps;
            let mut sim = EventSim::new(&model);
            for x in &inputs {
                let ann = forward(&model, x);
                let want = ann.spike_ticks(t);
                let tick = tick::simulate(&model, x);
                let event = sim.trace(x);
                prop_assert_eq!(
                    &tick.spike_ticks,
                    &want,
                    "tick-level spike ticks, x = {:?}",
                    x
                );
                prop_assert_eq!(&event.spike_ticks, &want, "event spike ticks, x = {:?}", x);
                prop_assert_eq!(&tick.z, &ann.z, "tick-level V(l·T) != z");
                prop_assert_eq!(&event.z, &ann.z, "event z");
                prop_assert_eq!(tick.class, ann.class, "tick-level class");
                prop_assert_eq!(event.class, ann.class, "event class");
                prop_assert_eq!(tick.q(), ann.q.clone());
                // The fast path (no fire phase for the last layer under potential readout).
                prop_assert_eq!(sim.run(x), ann.class, "EventSim::run class");
                prop_assert_eq!(sim.potentials(), ann.z.last().unwrap().as_slice());
                let fanouts = Fanouts::of(&model);
                prop_assert_eq!(sim.synaptic_ops(&fanouts), tick.synaptic_ops(&fanouts));
                coverage.record(&model, x, &ann);
            }
            Ok(())
        })
        .unwrap();
    coverage.report_and_check();
}

/// Sweeps `z` through every value from `−2·2^F − 1` to `(T+2)·2^F + 1` for several `T` and `F`,
/// in layer 2 of a two-layer network (layer 1 copies the input: `w = 2^0 = 1`, `F = 0`, so
/// `q1 = q0 = T − 1`; layer 2 has `w = D`, `b = 2^F − D`, hence `z = D·(T−1) + (2^F − D)·T =
/// T·2^F − D`). Expected tick by the comparator's definition: `m = 0` if `z ≥ T·2^F`, silent
/// (`m = T`) if `z < 2^F`, else `m = T − ⌊z / 2^F⌋`; absolute tick `2T + m`.
#[test]
fn every_z_around_every_step_boundary_fires_at_the_contract_tick() {
    for t in [2u32, 4, 8, 16, 256] {
        for f in 0..=3u32 {
            let one = 1i64 << f;
            let (t64, q0) = (t as i64, t - 1);
            for z in (-2 * one - 1)..=((t64 + 2) * one + 1) {
                let d = t64 * one - z;
                let model = net(
                    t,
                    Readout::Potential,
                    &[
                        (0, vec![vec![1]], vec![0]),
                        (f, vec![vec![d as i32]], vec![(one - d) as i32]),
                    ],
                );
                model.validate().expect("valid LC-TTFS model");
                let m = if z >= t64 * one {
                    0
                } else if z < one {
                    t
                } else {
                    t - z.div_euclid(one) as u32
                };
                let ticks = agreed_ticks(&model, &[q0]);
                assert_eq!(
                    ticks,
                    vec![vec![1], vec![t + 1], vec![2 * t + m]],
                    "T={t} F={f} z={z}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Focused examples. T = 4 and F = 2 throughout: one step 2^F = 4, threshold T·2^F = 16, layer 1's
// window is ticks [4, 8], layer 0 fires at 4 − q0, the bias input at tick 0.

#[test]
fn fires_at_window_start_when_input_saturates() {
    // w = [8, −4], b = 0 (sum 4). q0 = [4, 0]: z = 8·4 − 4·0 + 0 = 32 ≥ 16 ⇒ q = clamp(8, 0, 4) = 4,
    // spike at 2·4 − 4 = 4, the window start (m = 0).
    let model = net(4, Readout::Potential, &[(2, vec![vec![8, -4]], vec![0])]);
    assert_eq!(agreed_ticks(&model, &[4, 0]), vec![vec![0, 4], vec![4]]);
}

#[test]
fn no_spike_before_window_even_when_potential_crosses_threshold() {
    // Same neuron: input 0 fires at 0, so V(t) = 8t; V(2) = 16 already reaches the threshold,
    // but the threshold is +∞ before l·T = 4. The spike comes at 4, not 2.
    let model = net(4, Readout::Potential, &[(2, vec![vec![8, -4]], vec![0])]);
    let x = raw(&model, &[4, 0]);
    let mut sim = TickSim::new(&model, &x);
    step_to(&mut sim, 2);
    assert_eq!(sim.potential(1), &[16]);
    step_to(&mut sim, 4);
    assert_eq!(sim.spike_tick(1, 0), None, "no premature spike");
    assert_eq!(sim.potential(1), &[32]); // V(4) = z = 32
    sim.step();
    assert_eq!(sim.spike_tick(1, 0), Some(4));
}

#[test]
fn silent_when_potential_below_one_step() {
    // w = [13], b = −9 (sum 4). q0 = [3]: z = 13·3 − 9·4 = 3 < 2^F = 4 ⇒ q = 3 >> 2 = 0: the
    // neuron only reaches 16 at the window end (V(8) = 3 + 4·4 = 19), spike at 8 = (l+1)·T.
    // The event pipeline sends no event for it: only layer 1's always-on event (index 1).
    let model = net(4, Readout::Potential, &[(2, vec![vec![13]], vec![-9])]);
    assert_eq!(agreed_ticks(&model, &[3]), vec![vec![1], vec![8]]);
    let (_, _, sim, _) = run_all(&model, &[3]);
    assert_eq!(sim.events(1), &[Event::always_on(1)]);
    // Physically: V(7) = 3 + 3·4 = 15 < 16, so no threshold crossing inside the window.
    let x = raw(&model, &[3]);
    let mut ts = TickSim::new(&model, &x);
    step_to(&mut ts, 7);
    assert_eq!(ts.potential(1), &[15]);
    assert_eq!(ts.spike_tick(1, 0), None);
}

#[test]
fn forced_spike_at_window_end() {
    // w = [12], b = −8 (sum 4). q0 = [1]: z = 12·1 − 8·4 = −20. In the window V(4 + m) =
    // −20 + 4m, so V(8) = −4 < 16: the threshold is never reached, the spike is forced at 8.
    let model = net(4, Readout::Potential, &[(2, vec![vec![12]], vec![-8])]);
    assert_eq!(agreed_ticks(&model, &[1]), vec![vec![3], vec![8]]);
    let x = raw(&model, &[1]);
    let mut sim = TickSim::new(&model, &x);
    step_to(&mut sim, 8);
    assert_eq!(sim.potential(1), &[-4]);
    assert_eq!(sim.spike_tick(1, 0), None);
    sim.step();
    assert_eq!(sim.spike_tick(1, 0), Some(8), "forced at (l+1)·T");
}

#[test]
fn negative_z_never_fires_early() {
    // One input with q0 = 1, w = [12 + k], b = −8 − k (sum 4): z = (12 + k) − (8 + k)·4 =
    // −20 − 3k < 0 for every k ≥ 0. z + m·4 < 16 for every m ≤ 4: always the window end.
    for k in 0..20 {
        let model = net(
            4,
            Readout::Potential,
            &[(2, vec![vec![12 + k]], vec![-8 - k])],
        );
        assert_eq!(
            agreed_ticks(&model, &[1]),
            vec![vec![3], vec![8]],
            "k = {k}"
        );
    }
    // And with a strongly negative weight on a saturated input: w = [−20, 24], b = 0,
    // q0 = [4, 1]: z = −80 + 24 = −56.
    let model = net(4, Readout::Potential, &[(2, vec![vec![-20, 24]], vec![0])]);
    assert_eq!(agreed_ticks(&model, &[4, 1]), vec![vec![0, 3], vec![8]]);
}

#[test]
fn fires_when_potential_equals_threshold_exactly() {
    // w = [8], b = −4, q0 = [3]: z = 24 − 16 = 8 = 2·2^F (exactly on a step). m = 4 − 2 = 2:
    // V(6) = 8 + 2·4 = 16 = threshold, and ≥ counts: spike at 6.
    let model = net(4, Readout::Potential, &[(2, vec![vec![8]], vec![-4])]);
    assert_eq!(agreed_ticks(&model, &[3]), vec![vec![1], vec![6]]);
}

#[test]
fn potential_just_below_a_step_fires_one_tick_later() {
    // w = [9], b = −5, q0 = [3]: z = 27 − 20 = 7 = 2·4 − 1 ⇒ q = 7 >> 2 = 1, spike at 8 − 1 = 7:
    // V(6) = 15 < 16, V(7) = 19.
    let model = net(4, Readout::Potential, &[(2, vec![vec![9]], vec![-5])]);
    assert_eq!(agreed_ticks(&model, &[3]), vec![vec![1], vec![7]]);
}

#[test]
fn silent_input_spikes_at_window_end_and_keeps_the_slope_at_one_step() {
    // w = [2, 2], b = 0, q0 = [0, 2]: z = 2·0 + 2·2 = 4 = 2^F ⇒ q = 1, spike at 7.
    // Input 1 fires at 2, input 0 is silent and fires at 4 (its window end). Before 4 the slope
    // is 2; from 4 on it is 2 + 2 = 4 = 2^F: V(4 + m) = 4 + 4m reaches 16 at m = 3.
    // (A ramp that ignored the silent input would climb by 2 per tick and miss the window.)
    let model = net(4, Readout::Potential, &[(2, vec![vec![2, 2]], vec![0])]);
    assert_eq!(agreed_ticks(&model, &[0, 2]), vec![vec![4, 2], vec![7]]);
    let x = raw(&model, &[0, 2]);
    let mut sim = TickSim::new(&model, &x);
    step_to(&mut sim, 3);
    assert_eq!(sim.slope(1), &[2]);
    step_to(&mut sim, 5);
    assert_eq!(sim.slope(1), &[4]);
}

#[test]
fn bias_input_fires_at_start_of_previous_window() {
    // w = [1], b = 3, q0 = [0] (all-zero input): only the bias drives the neuron until 4.
    // z = 0 + 3·4 = 12 ⇒ q = 3, spike at 5. The bias input fires at tick 0 (q = T): after tick 0
    // the slope is 3.
    let model = net(4, Readout::Potential, &[(2, vec![vec![1]], vec![3])]);
    assert_eq!(agreed_ticks(&model, &[0]), vec![vec![4], vec![5]]);
    let x = raw(&model, &[0]);
    let mut sim = TickSim::new(&model, &x);
    sim.step();
    assert_eq!(sim.slope(1), &[3]);
    assert_eq!(sim.potential(1), &[3]); // V(1) = 3·(1 − 0)
}

#[test]
fn second_layer_fires_in_its_own_window_from_first_layer_spikes() {
    // Layer 1 (window [4, 8]): n0 w = [4], b = 0 copies q; n1 w = [−4], b = 8: z = −4q + 32.
    // q0 = [3] (spike at 1): n0 z = 12 ⇒ q = 3, spike 5; n1 z = 20 ≥ 16 ⇒ q = 4, spike 4.
    // Layer 2 (window [8, 12]): w = [2, 2], b = 0: z = 2·3 + 2·4 = 14 ⇒ q = 3, spike 9.
    let model = net(
        4,
        Readout::Potential,
        &[
            (2, vec![vec![4], vec![-4]], vec![0, 8]),
            (2, vec![vec![2, 2]], vec![0]),
        ],
    );
    assert_eq!(
        agreed_ticks(&model, &[3]),
        vec![vec![1], vec![5, 4], vec![9]]
    );
}

#[test]
fn potential_readout_uses_unclamped_z_first_spike_breaks_ties_low() {
    // Two outputs, both saturated (q = 4, both spike at the window start 4). q0 = [4, 0]:
    // n0: w = [4, 0], b = 0 ⇒ z = 16;  n1: w = [8, −4], b = 0 ⇒ z = 32 − 0 = 32.
    // Potential readout: argmax z = 1. First-spike readout: a tie at tick 4 ⇒ lowest index 0.
    let rows = vec![vec![4, 0], vec![8, -4]];
    for (readout, want) in [(Readout::Potential, 1), (Readout::FirstSpike, 0)] {
        let model = net(4, readout, &[(2, rows.clone(), vec![0, 0])]);
        assert_eq!(agreed_ticks(&model, &[4, 0]), vec![vec![0, 4], vec![4, 4]]);
        let (tick, event, _, ann) = run_all(&model, &[4, 0]);
        assert_eq!(ann.z[0], vec![16, 32]);
        assert_eq!(
            (tick.class, event.class, ann.class),
            (want, want, want),
            "{readout}"
        );
    }
}

#[test]
fn first_spike_readout_of_all_silent_outputs_is_class_zero() {
    // q0 = [1]. n0: w = [16], b = −12 ⇒ z = 16 − 48 = −32; n1: w = [12], b = −8 ⇒
    // z = 12 − 32 = −20. No output spikes before the window end: every q = 0, a tie, class 0.
    // Potential readout compares the unclamped z instead: −20 > −32, class 1.
    let first = net(
        4,
        Readout::FirstSpike,
        &[(2, vec![vec![16], vec![12]], vec![-12, -8])],
    );
    assert_eq!(agreed_ticks(&first, &[1]), vec![vec![3], vec![8, 8]]);
    assert_eq!(run_all(&first, &[1]).0.class, 0);
    let potential = net(
        4,
        Readout::Potential,
        &[(2, vec![vec![16], vec![12]], vec![-12, -8])],
    );
    assert_eq!(run_all(&potential, &[1]).0.class, 1); // z = [−32, −20]
}

#[test]
fn all_max_input_saturates_an_averaging_network() {
    // Every input at q0 = T, weights of a row averaging (w = 2^F / 4 each, b = 0):
    // z = Σ w·T = T·2^F exactly ⇒ q = T, spike at the window start, in every layer.
    let t = 8;
    let model = net(
        t,
        Readout::Potential,
        &[
            (4, vec![vec![4; 4]; 3], vec![0; 3]),
            (4, vec![vec![4, 4, 8]], vec![0]),
        ],
    );
    model.validate().unwrap();
    assert_eq!(
        agreed_ticks(&model, &[t; 4]),
        vec![vec![0; 4], vec![t; 3], vec![2 * t]]
    );
}

// ---------------------------------------------------------------------------------------------
// Time warping: rows that do not sum to 2^F.

#[test]
fn broken_row_sum_too_large_fires_early() {
    // T = 4, F = 2, but w = [8], b = 0: the row sums to 8 ≠ 4. q0 = [1], so z = 8 and the formula
    // says spike at 8 − clamp(8 >> 2, 0, 4) = 6. Physically the input fires at 3 and
    // V(t) = 8·(t − 3): V(4) = 8, V(5) = 16 ≥ 16 ⇒ spike at 5. The slope inside the window is 8,
    // not 2^F: time is warped.
    let model = net(4, Readout::Potential, &[(2, vec![vec![8]], vec![0])]);
    assert!(model.validate().is_err());
    let x = raw(&model, &[1]);
    let ann = forward(&model, &x);
    assert_eq!(ann.spike_ticks(4), vec![vec![3], vec![6]]);
    assert_eq!(
        tick::simulate(&model, &x).spike_ticks,
        vec![vec![3], vec![5]]
    );
    // The event pipeline (like the hardware) latches z and compares z + m·2^F against T·2^F:
    // it computes the ANN formula, not the physics.
    assert_eq!(
        EventSim::new(&model).trace(&x).spike_ticks,
        vec![vec![3], vec![6]]
    );
}

#[test]
fn broken_row_sum_too_small_fires_late() {
    // T = 4, F = 2, w = [2], b = 0 (sum 2 ≠ 4). q0 = [4]: z = 8, formula: spike at 8 − 2 = 6.
    // Physically V(t) = 2t from tick 0: V(6) = 12, V(7) = 14 < 16 ⇒ forced spike at 8.
    let model = net(4, Readout::Potential, &[(2, vec![vec![2]], vec![0])]);
    let x = raw(&model, &[4]);
    assert_eq!(forward(&model, &x).spike_ticks(4), vec![vec![0], vec![6]]);
    assert_eq!(
        tick::simulate(&model, &x).spike_ticks,
        vec![vec![0], vec![8]]
    );
}

/// Seeded random networks: valid ones never warp; the same networks with every row sum of
/// layer 1 shifted off `2^F` warp on a large share of samples.
#[test]
fn broken_row_sums_warp_random_networks() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xBAD_5E11);
    let (mut samples, mut warped) = (0u32, 0u32);
    for _ in 0..64 {
        let model = random_model(&mut rng);
        let mut broken = model.clone();
        let layer = &mut broken.layers[0];
        let one = layer.one() as i32;
        let (lo, hi) = layer.weight_range();
        for b in layer.bias.iter_mut() {
            // Shift the row sum by half a step to a whole step (at least 1), staying in range.
            let d = (one / 2).max(1);
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
            if tick::simulate(&broken, &x).spike_ticks != forward(&broken, &x).spike_ticks(t) {
                warped += 1;
            }
        }
    }
    eprintln!("warped samples: {warped} of {samples}");
    assert!(
        warped * 4 >= samples,
        "only {warped} of {samples} samples warped"
    );
}

// ---------------------------------------------------------------------------------------------
// Speed (run in release: `cargo test -p golden --release --test snn -- --ignored --nocapture`)

#[test]
#[ignore]
fn speed_event_vs_tick_vs_ann_784_128_10() {
    use std::time::Instant;
    let mut rng = ChaCha8Rng::seed_from_u64(784);
    let model = model_with_shape(
        &mut rng,
        &[784, 128, 10],
        16,
        &[8, 8],
        8,
        Readout::Potential,
    );
    let inputs: Vec<Vec<u32>> = (0..2000)
        .map(|_| random_input(&mut rng, 784, 8, InputKind::Sparse))
        .collect();
    let time = |name: &str, f: &mut dyn FnMut(&[u32]) -> usize| {
        let start = Instant::now();
        let mut sum = 0usize;
        for x in &inputs {
            sum += f(x);
        }
        let s = start.elapsed().as_secs_f64();
        eprintln!(
            "{name:>12}: {:8.2} µs/sample ({} samples, checksum {sum})",
            s * 1e6 / inputs.len() as f64,
            inputs.len()
        );
        s
    };
    let ann = time("integer ANN", &mut |x| forward(&model, x).class);
    let mut sim = EventSim::new(&model);
    let event = time("event run", &mut |x| sim.run(x));
    let trace = time("event trace", &mut |x| sim.trace(x).class);
    let tick = time("tick-level", &mut |x| tick::simulate(&model, x).class);
    eprintln!(
        "event/ANN = {:.2}, tick/event = {:.1}, trace/event = {:.2}",
        event / ann,
        tick / event,
        trace / event
    );
}
