//! Shared by the co-simulation targets (tests/cosim.rs in Verilator, tests/icarus_cosim.rs in
//! Icarus Verilog): seeded random networks with lanes, their samples, MNIST images and the
//! generated tops.

use golden::model::{LayerKind, Model, Readout};
use golden::testkit::{random_layer, random_maxpool, random_weighted_layer};
use hdl::plan::{Activity, Design, Fault, HwOptions, Target};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;

/// A scratch folder of this test build (`CARGO_TARGET_TMPDIR/cosim/<name>`).
pub fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cosim")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Generates `model` with trace ports into its own folder; returns the design and the top file.
pub fn generate(
    name: &str,
    model: &Model,
    lanes: Option<Vec<usize>>,
    fault: Option<Fault>,
) -> (Design, PathBuf) {
    let mut o = HwOptions::new(Target::Generic);
    o.lanes = lanes;
    o.trace = true;
    o.fault = fault;
    let d = Design::new(model.clone(), o, Activity::worst_case(model)).expect("valid design");
    let top = lcttfs::commands::gen::write_design(&d, &out_dir(name)).expect("generation");
    (d, top)
}

/// Generates `model` for `options` (trace ports on) into its own folder.
pub fn generate_for(name: &str, model: &Model, mut options: HwOptions) -> (Design, PathBuf) {
    options.trace = true;
    let activity = lcttfs::commands::gen::activity_for(model);
    let d = Design::new(model.clone(), options, activity).expect("valid design");
    let top = lcttfs::commands::gen::write_design(&d, &out_dir(name)).expect("generation");
    (d, top)
}

/// One line on a co-simulation report: counts, first mismatch and details.
pub fn show(r: &testbench::CosimReport) -> String {
    format!(
        "{} samples, {} mismatches, {} spike mismatches, first: {:?}, details: {:?}",
        r.samples, r.mismatches, r.spike_mismatches, r.first_mismatch, r.details
    )
}

/// Every class, framing verdict and spike equal to the golden model; `what` names the case.
pub fn assert_exact(r: &testbench::CosimReport, what: &str) {
    assert!(
        r.passed() && r.mismatches == 0 && r.spike_mismatches == 0,
        "{what}: {}",
        show(r)
    );
}

/// MNIST test images (fetched by scripts/fetch-mnist.sh).
pub fn mnist(n: usize) -> Vec<Vec<u32>> {
    let d = golden::data::load(golden::data::DatasetKind::Mnist, golden::data::Split::Test)
        .unwrap_or_else(|e| panic!("{e}"));
    (0..n.min(d.len())).map(|i| d.sample(i)).collect()
}

/// A seeded random network of depth 1..=3 (widths ≤ 10, any T, input and weight bits, either
/// readout) and a lane count per layer; odd seeds pick lanes that do not divide the layer.
pub fn random_network(seed: u64) -> (Model, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let depth = rng.gen_range(1..=3);
    let mut width = rng.gen_range(1..=10);
    let time_steps = 1 << rng.gen_range(1..=5);
    let input_bits = rng.gen_range(1..=8);
    let mut layers = Vec::new();
    let mut lanes = Vec::new();
    for k in 0..depth {
        let outputs = if k + 1 == depth {
            rng.gen_range(2..=6)
        } else {
            rng.gen_range(1..=8)
        };
        let weight_bits = rng.gen_range(2..=10);
        layers.push(random_layer(&mut rng, width, outputs, weight_bits));
        // Any lane count; odd seeds take one that does not divide the layer where one exists.
        let non_dividing: Vec<usize> = (2..outputs).filter(|p| outputs % p != 0).collect();
        lanes.push(match (seed % 2, non_dividing.is_empty()) {
            (1, false) => non_dividing[rng.gen_range(0..non_dividing.len())],
            _ => rng.gen_range(1..=outputs),
        });
        width = outputs;
    }
    let readout = if rng.gen_bool(0.5) {
        Readout::Potential
    } else {
        Readout::FirstSpike
    };
    let m = Model {
        time_steps,
        input_bits,
        readout,
        dataset: None,
        input_shape: None,
        layers,
    };
    m.validate().expect("random model is valid");
    (m, lanes)
}

/// `inputs` as samples, the ones at the positions `faults` names framed as it says.
pub fn framed_samples(
    inputs: Vec<Vec<u32>>,
    faults: &[(usize, testbench::Framing)],
) -> Vec<testbench::Sample> {
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, x)| match faults.iter().find(|(at, _)| *at == i) {
            Some(&(_, framing)) => testbench::Sample::with_framing(x, framing),
            None => testbench::Sample::new(x),
        })
        .collect()
}

/// Random, all-zero and all-max samples.
pub fn samples_for(model: &Model, seed: u64, n: usize) -> Vec<Vec<u32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let max = (1u32 << model.input_bits) - 1;
    let mut s = vec![vec![0; model.input_len()], vec![max; model.input_len()]];
    s.extend((0..n).map(|_| {
        (0..model.input_len())
            .map(|_| rng.gen_range(0..=max))
            .collect()
    }));
    s
}

/// A seeded random convolutional network the hardware builds (conv stages first, each
/// `conv2d` optionally followed by one `maxpool2d`, a dense layer last): input `[1..=3,
/// 3..=8, 3..=8]`, 1..=2 convs of 1..=6 channels (kernels up to 3×3, strides 1 or 2, padding
/// 0..=2), pools of kernel 1..=3 with stride = kernel or 1..=3 (overlapping or leaving edge
/// rows out), any `T` up to 32, input and weight bits, either readout; and lanes per stage
/// (odd seeds: a count that does not divide the channels where one exists).
pub fn random_conv_network(seed: u64) -> (Model, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let input_shape = [
        rng.gen_range(1..=3),
        rng.gen_range(3..=8),
        rng.gen_range(3..=8),
    ];
    let len = |s: [usize; 3]| s[0] * s[1] * s[2];
    let mut shape = input_shape;
    let mut layers = Vec::new();
    let mut lanes = Vec::new();
    let pick_lanes = |rng: &mut ChaCha8Rng, n: usize| {
        let non_dividing: Vec<usize> = (2..n).filter(|p| !n.is_multiple_of(*p)).collect();
        if seed % 2 == 1 && !non_dividing.is_empty() {
            non_dividing[rng.gen_range(0..non_dividing.len())]
        } else {
            rng.gen_range(1..=n)
        }
    };
    for _ in 0..rng.gen_range(1..=2) {
        let padding = [rng.gen_range(0..=2), rng.gen_range(0..=2)];
        let kernel = [
            rng.gen_range(1..=3.min(shape[1] + 2 * padding[0])),
            rng.gen_range(1..=3.min(shape[2] + 2 * padding[1])),
        ];
        let stride = [rng.gen_range(1..=3), rng.gen_range(1..=3)];
        let channels = rng.gen_range(1..=6);
        let kind = LayerKind::conv2d(shape, channels, kernel, stride, padding)
            .expect("the kernel fits the padded input");
        let out = kind.out_shape(0);
        let weight_bits = rng.gen_range(2..=10);
        layers.push(random_weighted_layer(
            &mut rng,
            kind,
            len(shape),
            len(out),
            weight_bits,
        ));
        lanes.push(pick_lanes(&mut rng, channels));
        shape = out;
        if rng.gen_bool(0.6) {
            let pool = random_maxpool(&mut rng, shape);
            shape = pool.out_shape();
            layers.push(pool);
        }
    }
    let outputs = rng.gen_range(2..=5);
    let weight_bits = rng.gen_range(2..=10);
    layers.push(random_weighted_layer(
        &mut rng,
        LayerKind::Dense,
        len(shape),
        outputs,
        weight_bits,
    ));
    lanes.push(pick_lanes(&mut rng, outputs));
    let model = Model {
        time_steps: 1 << rng.gen_range(1..=5),
        input_bits: rng.gen_range(1..=8),
        readout: if rng.gen_bool(0.5) {
            Readout::Potential
        } else {
            Readout::FirstSpike
        },
        dataset: None,
        input_shape: Some(input_shape),
        layers,
    };
    model.validate().expect("a random conv network is valid");
    (model, lanes)
}
