//! End-to-end tests of the co-simulation harness on the hand-written reference top
//! (`fixtures/ref_top_2l.v`: a harness self-test DUT, not product code). They need the pinned
//! Verilator on PATH (`scripts/tools.sh`); without it they FAIL with the install hint.
//!
//! Builds: two (the good top with `--trace`, and a buggy one), serialized by the cache lock and
//! reused across runs from `target/cosim-cache/`.

mod common;

use common::{
    all_inputs, build_options, fixture, harness, random_samples, ref_info, ref_model, Variant,
    MAGIC,
};
use golden::forward::forward;
use testbench::result::Status;
use testbench::{
    check, cosim, CosimError, CosimOptions, Framing, Harness, Sample, Stalls, Stimulus, TopInfo,
    VcdDump,
};

fn golden_classes(samples: &[Vec<u32>]) -> Vec<usize> {
    let model = ref_model();
    samples.iter().map(|x| forward(&model, x).class).collect()
}

fn show(report: &testbench::CosimReport) -> String {
    format!(
        "status {:?}, {} mismatches, {} spike mismatches, first: {:?}, details: {:#?}",
        report.status,
        report.mismatches,
        report.spike_mismatches,
        report.first_mismatch,
        report.details
    )
}

#[test]
fn zero_mismatches_under_seeded_random_stalls() {
    let h = harness(Variant::Good);
    let (model, info) = (ref_model(), ref_info());
    let samples = random_samples(11, 300);
    let want = golden_classes(&samples);
    for (seed, prob) in [(1, 0.0), (2, 0.2), (3, 0.5), (4, 0.8)] {
        let stim = Stimulus::new(samples.clone()).with_stalls(Stalls::random(seed, prob));
        let run = h.run(&stim, None).unwrap();
        let report = check(&model, &info, &stim, &run).unwrap();
        assert!(
            report.passed(),
            "seed {seed}, p = {prob}: {}",
            show(&report)
        );
        assert_eq!(report.outputs, 300);
        let got: Vec<usize> = report
            .per_sample
            .iter()
            .map(|s| s.class.unwrap() as usize)
            .collect();
        assert_eq!(got, want, "seed {seed}");
        assert!(report.trace_beats > 600, "trace ports were observed");
        eprintln!(
            "[cosim] p = {prob}: {} cycles, {:.1} cycles/sample, sim {:.3} s",
            report.cycles, report.cycles_per_sample, report.sim_seconds
        );
    }
    // Seeded: the same seed replays the same cycle-exact run.
    let stim = Stimulus::new(samples).with_stalls(Stalls::random(2, 0.2));
    let (a, b) = (h.run(&stim, None).unwrap(), h.run(&stim, None).unwrap());
    assert_eq!(a.outputs, b.outputs);
    assert_eq!(a.traces, b.traces);
}

#[test]
fn exhaustive_inputs_through_the_cosim_entry_point() {
    // All 65,536 inputs of the fixture (all-zero and all-max included), via `cosim()`.
    let verilog = [fixture("ref_top_2l.v")];
    harness(Variant::Good); // build under the shared lock first (same cache entry)
    let stim = Stimulus::new(all_inputs());
    let opts = CosimOptions {
        trace: true,
        build: build_options(Variant::Good),
        ..CosimOptions::default()
    };
    let report = cosim(&ref_model(), &verilog, &stim, &opts).unwrap();
    assert!(report.passed(), "{}", show(&report));
    assert_eq!((report.samples, report.outputs), (65536, 65536));
    assert!(report.build_cached);
    eprintln!(
        "[cosim] exhaustive: {} cycles, {:.2} cycles/sample, {} trace beats, sim {:.2} s",
        report.cycles, report.cycles_per_sample, report.trace_beats, report.sim_seconds
    );
}

#[test]
fn framing_faults_are_flagged_and_the_design_resynchronises() {
    let h = harness(Variant::Good);
    let (model, info) = (ref_model(), ref_info());
    let values = random_samples(21, 21);
    let framing = |k: usize| match k {
        1 => Framing::Early { len: 2 },
        3 => Framing::Missing { extra: 3 },
        5 => Framing::Missing { extra: 0 }, // swallows sample 6 into the same faulty frame
        8 => Framing::Early { len: 1 },
        9 => Framing::Early { len: 3 },
        11 => Framing::Missing { extra: 1 },
        _ => Framing::Normal,
    };
    let samples: Vec<Sample> = values
        .iter()
        .enumerate()
        .map(|(k, v)| Sample::with_framing(v.clone(), framing(k)))
        .collect();
    let want = golden_classes(&values);
    for seed in 0..4 {
        let stim = Stimulus::from_samples(samples.clone()).with_stalls(Stalls::random(seed, 0.3));
        let run = h.run(&stim, None).unwrap();
        let report = check(&model, &info, &stim, &run).unwrap();
        assert!(report.passed(), "seed {seed}: {}", show(&report));
        let frames: Vec<usize> = report.per_sample.iter().map(|s| s.sample).collect();
        let expected_frames: Vec<usize> = (0..21).filter(|&k| k != 6).collect();
        assert_eq!(frames, expected_frames);
        for s in &report.per_sample {
            let faulty = [1, 3, 5, 8, 9, 11].contains(&s.sample);
            assert_eq!(s.error, Some(faulty), "sample {}", s.sample);
            assert_eq!(s.expected_error, faulty);
            if !faulty {
                assert_eq!(s.class, Some(want[s.sample] as u64), "sample {}", s.sample);
            }
        }
    }
}

#[test]
fn reset_mid_sample_and_mid_output_recovers() {
    let h = harness(Variant::Good);
    let (model, info) = (ref_model(), ref_info());
    // Output back-pressure keeps results waiting in the design, so resets land while samples
    // are being sent, computed and held for output.
    let stalls = Stalls {
        seed: 5,
        input_prob: 0.3,
        input_max_run: 4,
        output_prob: 0.1,
        output_max_run: 60,
    };
    let resets: Vec<u64> = (0..10).map(|k| 100 + 97 * k).collect();
    let stim = Stimulus::new(random_samples(31, 120))
        .with_stalls(stalls)
        .with_resets(resets);
    let run = h.run(&stim, None).unwrap();
    let report = check(&model, &info, &stim, &run).unwrap();
    assert!(report.passed(), "{}", show(&report));
    assert_eq!(report.resets, 10);
    let cut_mid_sample = run.resets.iter().filter(|r| r.resume != r.accepted).count();
    let mid_output = run.resets.iter().filter(|r| r.output_pending).count();
    let (_, starts) = stim.beats();
    // Frames dropped although all their beats had been accepted before the reset that dropped
    // them: results in flight (in the pipeline or in the output register) that it destroyed.
    let in_flight = report
        .per_sample
        .iter()
        .filter(|s| s.dropped)
        .filter(|s| {
            let r = run.resets.iter().find(|r| r.accepted > starts[s.sample]);
            r.is_some_and(|r| r.accepted >= starts[s.sample + 1])
        })
        .count();
    assert!(
        cut_mid_sample >= 1,
        "some reset hit mid-sample: {:?}",
        run.resets
    );
    assert!(
        mid_output >= 1,
        "some reset hit a pending output: {:?}",
        run.resets
    );
    assert!(
        in_flight >= 3,
        "resets destroyed results in flight ({in_flight})"
    );
    let checked = report.per_sample.iter().filter(|s| !s.dropped).count();
    assert!(checked >= 60, "most samples still checked ({checked})");
    eprintln!(
        "[cosim] resets: {} cut mid-sample, {} with an output pending, {} dropped frames ({} fully sent), {} checked",
        cut_mid_sample, mid_output, report.dropped, in_flight, checked
    );
}

#[test]
fn backpressure_soak_loses_duplicates_and_reorders_nothing() {
    let h = harness(Variant::Good);
    let (model, info) = (ref_model(), ref_info());
    let samples = random_samples(41, 400);
    let want = golden_classes(&samples);
    // m_ready low for runs of up to 400 cycles while input is offered every cycle.
    let stalls = Stalls {
        seed: 9,
        input_prob: 0.0,
        input_max_run: 1,
        output_prob: 0.03,
        output_max_run: 400,
    };
    let stim = Stimulus::new(samples).with_stalls(stalls);
    let run = h.run(&stim, None).unwrap();
    let report = check(&model, &info, &stim, &run).unwrap();
    assert!(report.passed(), "{}", show(&report));
    let order: Vec<usize> = report.per_sample.iter().map(|s| s.sample).collect();
    assert_eq!(order, (0..400).collect::<Vec<_>>());
    let got: Vec<usize> = report
        .per_sample
        .iter()
        .map(|s| s.class.unwrap() as usize)
        .collect();
    assert_eq!(got, want);
    assert_eq!(report.outputs, 400);
    eprintln!(
        "[cosim] soak: {} cycles ({:.1} per sample)",
        report.cycles, report.cycles_per_sample
    );
}

#[test]
fn the_checker_catches_a_buggy_design() {
    // Variant with an off-by-one layer-1 window counter and a wrong readout tie-break.
    let h = harness(Variant::Buggy);
    let (model, info) = (ref_model(), ref_info());
    let ties: Vec<Vec<u32>> = all_inputs()
        .into_iter()
        .filter(|x| is_tie(&model, x))
        .take(5)
        .collect();
    assert!(
        !ties.is_empty(),
        "the fixture model has inputs with tied potentials"
    );
    let mut samples = random_samples(51, 40);
    samples.extend(ties);
    samples.retain(|x| x[..] != MAGIC); // that one would hang this variant
    let expected_class_errors = samples.iter().filter(|x| is_tie(&model, x)).count();
    let stim = Stimulus::new(samples).with_stalls(Stalls::random(3, 0.3));
    let run = h.run(&stim, None).unwrap();
    let report = check(&model, &info, &stim, &run).unwrap();
    assert!(!report.passed());
    // Sample 0 is all-zero: q1 = [0, 0, 1], neuron 2 fires at m = 3 (tick 4 + 3); one tick
    // late it would be m = 4, outside the window: it falls silent.
    assert_eq!(
        report.first_mismatch.as_deref(),
        Some("sample 0, layer 1, neuron 2: expected tick 7 (m = 3), observed no spike")
    );
    assert!(report.spike_mismatches >= 40, "{}", show(&report));
    assert_eq!(
        report.mismatches,
        expected_class_errors,
        "{}",
        show(&report)
    );
    assert!(
        report
            .details
            .iter()
            .any(|d| d.contains("class expected 0, observed 1")),
        "{}",
        show(&report)
    );
    // Layer 0 (the encoder) is correct: no mismatch names it.
    assert!(!report.details.iter().any(|d| d.contains("layer 0")));
    eprintln!(
        "[cosim] buggy design: {} class mismatches, {} spike mismatches; first: {}",
        report.mismatches,
        report.spike_mismatches,
        report.first_mismatch.as_deref().unwrap_or("")
    );
}

#[test]
fn a_hanging_design_is_reported_by_the_watchdog() {
    let h = harness(Variant::Buggy);
    let (model, info) = (ref_model(), ref_info());
    let mut samples = random_samples(61, 20);
    samples.retain(|x| x[..] != MAGIC);
    samples.insert(5, MAGIC.to_vec());
    let stim = Stimulus::new(samples)
        .with_stalls(Stalls::random(1, 0.2))
        .with_watchdog(500);
    let run = h.run(&stim, None).unwrap();
    assert_eq!(run.status, Status::Hang);
    assert!(
        run.cycles < 5_000,
        "stopped promptly: {} cycles",
        run.cycles
    );
    let report = check(&model, &info, &stim, &run).unwrap();
    assert!(!report.passed());
    assert_eq!(report.outputs, 5);
    let missing: Vec<usize> = report
        .per_sample
        .iter()
        .filter(|s| s.class.is_none())
        .map(|s| s.sample)
        .collect();
    assert_eq!(missing, (5..stim.samples.len()).collect::<Vec<_>>());
    assert!(report.per_sample.iter().all(|s| !s.dropped));
    assert_eq!(
        report
            .details
            .last()
            .map(|d| d.starts_with("hang: watchdog fired after 500 cycles")),
        Some(true),
        "{}",
        show(&report)
    );
    // This variant also has the tie-break bug: ties among the 5 delivered samples count too.
    let samples: Vec<Vec<u32>> = stim.samples.iter().map(|s| s.values.clone()).collect();
    let ties = samples[..5].iter().filter(|x| is_tie(&model, x)).count();
    assert_eq!(report.mismatches, ties + (samples.len() - 5) + 1);
}

fn is_tie(model: &golden::model::Model, x: &[u32]) -> bool {
    let z = forward(model, x).z;
    let z = z.last().unwrap();
    z[0] == z[1]
}

#[test]
fn vcd_of_a_sample_range() {
    let h = harness(Variant::Good);
    let (model, info) = (ref_model(), ref_info());
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ref_top_samples_2_3.vcd");
    let _ = std::fs::remove_file(&path);
    let stim = Stimulus::new(random_samples(71, 10));
    let dump = VcdDump {
        path: path.clone(),
        from_sample: 2,
        to_sample: 3,
    };
    let run = h.run(&stim, Some(&dump)).unwrap();
    let report = check(&model, &info, &stim, &run).unwrap();
    assert!(report.passed(), "{}", show(&report));
    let vcd = std::fs::read_to_string(&path).expect("VCD written");
    assert!(vcd.contains("$enddefinitions"));
    assert!(vcd.contains("t1_index") && vcd.contains("m_class"));
    let first_time: u64 = vcd
        .lines()
        .find_map(|l| l.strip_prefix('#').and_then(|t| t.parse().ok()))
        .expect("timestamps");
    let last_time: u64 = vcd
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix('#').and_then(|t| t.parse().ok()))
        .unwrap();
    // Two time steps per cycle; the dump starts at sample 2 and ends 4 cycles after output 3.
    let out3 = report.per_sample[3].cycle.unwrap();
    assert!(first_time > 0 && first_time / 2 < out3, "{first_time}");
    assert_eq!(last_time / 2, out3 + 4);
    // A harness built without --trace refuses to dump.
    let plain = harness(Variant::Buggy);
    assert!(matches!(
        plain.run(&stim, Some(&dump)),
        Err(CosimError::Stimulus(_))
    ));
}

#[test]
fn a_top_with_the_wrong_interface_is_refused_before_compiling() {
    // The fixture has 2 classes and potential readout; ask for 3 classes and first-spike
    // readout: m_class must be 2 bits and the last layer must have trace ports.
    let text = std::fs::read_to_string(fixture("ref_top_2l.model.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["readout"] = "first-spike".into();
    let l2 = &mut json["layers"][1];
    l2["outputs"] = 3.into();
    l2["weights"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!([2, 2, 2]));
    l2["bias"].as_array_mut().unwrap().push(2.into());
    let model = golden::model::Model::from_json_str(&json.to_string(), "3-class variant").unwrap();
    let info = TopInfo::from_model(&model, true).unwrap();
    let err = Harness::build(
        &common::verilator(),
        &info,
        &[fixture("ref_top_2l.v")],
        &Default::default(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CosimError::Ports(_)), "{msg}");
    assert!(
        msg.contains("port `m_class` is output 1 bits, expected output 2 bits"),
        "{msg}"
    );
    assert!(msg.contains("missing port `t2_valid`"), "{msg}");
}
