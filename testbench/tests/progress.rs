//! `Harness::run_with_progress`: the harness reports accepted output beats while it runs (a
//! progress bar's feed), throttled, and the run itself is unchanged. Needs the pinned Verilator
//! on PATH, like `cosim_ref_top.rs` (same cached build of the reference top).

mod common;

use common::{harness, random_samples, ref_info, ref_model, Variant};
use testbench::harness::PROGRESS_CYCLES;
use testbench::{check, Stalls, Stimulus};

#[test]
fn progress_counts_output_beats_up_to_the_number_of_samples() {
    let h = harness(Variant::Good);
    let samples = random_samples(5, 400);
    let stim = Stimulus::new(samples).with_stalls(Stalls::random(7, 0.3));
    let mut seen = Vec::new();
    let run = h
        .run_with_progress(&stim, None, &mut |k| seen.push(k))
        .unwrap();
    let report = check(&ref_model(), &ref_info(), &stim, &run).unwrap();
    assert!(report.passed(), "{:?}", report.first_mismatch);
    eprintln!(
        "[cosim] {} progress reports in {} cycles: {:?} … {:?}",
        seen.len(),
        run.cycles,
        &seen[..seen.len().min(5)],
        seen.last()
    );
    assert!(!seen.is_empty(), "no progress reported");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "progress not increasing: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&400), "{seen:?}");
    // Throttled: at most one report per PROGRESS_CYCLES cycles, plus the final count.
    assert!(
        seen.len() as u64 <= run.cycles / PROGRESS_CYCLES + 2,
        "{} reports in {} cycles",
        seen.len(),
        run.cycles
    );
    // More than the final count alone: the harness reported while it ran.
    if run.cycles > 4 * PROGRESS_CYCLES {
        assert!(seen.len() >= 2, "{seen:?} in {} cycles", run.cycles);
    }
    // The same stimulus through `run` gives the same result.
    let plain = h.run(&stim, None).unwrap();
    assert_eq!(plain.outputs, run.outputs);
    assert_eq!(plain.traces, run.traces);
    assert_eq!(plain.cycles, run.cycles);
}
