//! Shared helpers of the co-simulation tests: the harness self-test fixture (`fixtures/`), one
//! cached build per variant, seeded sample generators.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use golden::model::Model;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbench::{BuildOptions, Harness, TopInfo, Verilator};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The tiny model the hand-written reference top implements.
pub fn ref_model() -> Model {
    Model::load(&fixture("ref_top_2l.model.json")).expect("fixture model loads")
}

pub fn ref_info() -> TopInfo {
    TopInfo::from_model(&ref_model(), true).expect("fixture model is valid")
}

/// Verilator from PATH. Never skips: a missing tool fails the test with the install hint.
pub fn verilator() -> Verilator {
    match Verilator::discover() {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

/// Variants of the reference top (each one cached build; two builds in all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The correct top, built with `--trace` (VCD dumps possible).
    Good,
    /// `REF_TOP_BUG_TICK` + `REF_TOP_BUG_CLASS` + `REF_TOP_BUG_HANG`: layer-1 spikes one tick
    /// late, the readout breaks ties towards the highest index, and the sample [`MAGIC`] hangs
    /// the design. Built without `--trace`.
    Buggy,
}

/// The input that hangs the buggy variant.
pub const MAGIC: [u32; 4] = [1, 2, 3, 4];

/// Build options of a variant (the same options reach the same cache entry).
pub fn build_options(variant: Variant) -> BuildOptions {
    let (vcd, extra_args) = match variant {
        Variant::Good => (true, vec![]),
        Variant::Buggy => (
            false,
            ["REF_TOP_BUG_TICK", "REF_TOP_BUG_CLASS", "REF_TOP_BUG_HANG"]
                .iter()
                .map(|d| format!("+define+{d}"))
                .collect(),
        ),
    };
    BuildOptions {
        vcd,
        extra_args,
        ..BuildOptions::default()
    }
}

fn build(variant: Variant) -> Harness {
    let h = Harness::build(
        &verilator(),
        &ref_info(),
        &[fixture("ref_top_2l.v")],
        &build_options(variant),
    )
    .unwrap_or_else(|e| panic!("building the {variant:?} reference top: {e}"));
    eprintln!(
        "[cosim] {variant:?}: {} in {:.1} s ({})",
        if h.cached { "cached build" } else { "built" },
        h.build_seconds,
        h.dir.display()
    );
    h
}

/// The built harness of `variant`, built once per test binary (and cached across runs).
pub fn harness(variant: Variant) -> &'static Harness {
    static GOOD: OnceLock<Harness> = OnceLock::new();
    static BUGGY: OnceLock<Harness> = OnceLock::new();
    let cell = match variant {
        Variant::Good => &GOOD,
        Variant::Buggy => &BUGGY,
    };
    cell.get_or_init(|| build(variant))
}

/// `count` random samples for the fixture (4 values of 4 bits), the all-zero and all-max
/// samples first.
pub fn random_samples(seed: u64, count: usize) -> Vec<Vec<u32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut v = vec![vec![0; 4], vec![15; 4]];
    while v.len() < count {
        v.push((0..4).map(|_| rng.gen_range(0..16)).collect());
    }
    v.truncate(count);
    v
}

/// Every input of the fixture (16^4 samples), in counting order.
pub fn all_inputs() -> Vec<Vec<u32>> {
    (0..1u32 << 16)
        .map(|v| (0..4).map(|j| (v >> (4 * j)) & 15).collect())
        .collect()
}

/// Golden class of a sample of the fixture model.
pub fn golden_class(x: &[u32]) -> usize {
    golden::forward::forward(&ref_model(), x).class
}
