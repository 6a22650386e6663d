//! Co-simulation of the generated Verilog in **Icarus Verilog** (`iverilog -g2005`, event-driven)
//! against the golden model: random networks under stalls, framing faults and resets, runtime
//! weights, and the default model on MNIST. Verilator (tests/cosim.rs) schedules statically; an
//! event-driven simulator is where Verilog that depends on evaluation order shows (DESIGN §6),
//! so the design is held to both. A separate test target, run by `scripts/test.sh` in CI.
//!
//! A missing Icarus fails these tests with the command that installs it.

mod common;

use common::cosim_kit::{
    assert_exact, framed_samples, generate, generate_for, mnist, out_dir, random_conv_network,
    random_network, samples_for, show,
};
use golden::model::Model;
use hdl::plan::{HwOptions, Target, WeightSource};
use std::path::{Path, PathBuf};
use std::time::Duration;
use testbench::icarus::{Icarus, IcarusRun};
use testbench::{CosimError, CosimReport, Framing, Sample, Stalls, Stimulus, TopInfo};

fn icarus(model: &Model, top: &Path, stim: &Stimulus, name: &str) -> CosimReport {
    let dir = top.parent().expect("output folder");
    let words = lcttfs::commands::gen::read_load_image(dir).expect("weights.bin");
    let stim = stim.clone().with_weights(words);
    testbench::cosim_icarus(
        model,
        &[top.to_path_buf()],
        &stim,
        true,
        &out_dir(&format!("icarus-run-{name}")),
        Duration::from_secs(300),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Samples of `model` with an early `s_last` on sample 3 (where the model has ≥ 2 inputs) and
/// a missing one on sample 7; returns them and the faulty sample numbers.
fn with_faults(model: &Model, seed: u64, n: usize) -> (Vec<Sample>, Vec<usize>) {
    let mut faulty = Vec::new();
    let samples = samples_for(model, seed, n)
        .into_iter()
        .enumerate()
        .map(|(k, v)| {
            let framing = match k {
                3 if model.input_len() > 1 => Framing::Early { len: 1 },
                7 => Framing::Missing { extra: 2 },
                _ => Framing::Normal,
            };
            if framing != Framing::Normal {
                faulty.push(k);
            }
            Sample::with_framing(v, framing)
        })
        .collect();
    (samples, faulty)
}

/// Generates `model` with `lanes`, streams `n` seeded samples (some framing faults) with 30 %
/// stalls and resets at `resets` through Icarus, and checks every spike, class and framing
/// verdict; returns the report.
fn faulted_run(
    name: &str,
    (model, lanes): (Model, Vec<usize>),
    seed: u64,
    n: usize,
    resets: Vec<u64>,
) -> CosimReport {
    let (_, top) = generate(&format!("icarus-{name}"), &model, Some(lanes.clone()), None);
    let (samples, faulty) = with_faults(&model, seed, n);
    let stim = Stimulus::from_samples(samples)
        .with_stalls(Stalls::random(seed, 0.3))
        .with_resets(resets);
    let r = icarus(&model, &top, &stim, name);
    assert_exact(
        &r,
        &format!(
            "{name} (T={}, lanes {lanes:?}, readout {})",
            model.time_steps, model.readout
        ),
    );
    for s in r.per_sample.iter().filter(|s| !s.dropped) {
        if let Some(e) = s.error {
            assert_eq!(e, faulty.contains(&s.sample), "{name} sample {}", s.sample);
        }
    }
    r
}

#[test]
fn random_conv_networks_in_icarus_match_the_golden_model_under_stalls_faults_and_resets() {
    for seed in [31u64, 32, 33] {
        faulted_run(
            &format!("conv-{seed}"),
            random_conv_network(seed),
            seed,
            12,
            vec![150, 4_000],
        );
    }
}

#[test]
fn random_models_in_icarus_match_the_golden_model_under_stalls_faults_and_resets() {
    for seed in [21u64, 22, 23, 24, 25] {
        // Resets early (mid-sample for every model here) and later, if the run lasts.
        let r = faulted_run(
            &format!("random-{seed}"),
            random_network(seed),
            seed,
            16,
            vec![150, 1_900],
        );
        assert!(r.resets >= 1, "seed {seed}: the reset at cycle 150 hit");
        assert!(
            r.per_sample.iter().any(|s| s.error == Some(true)),
            "seed {seed}: a framing fault reached the output: {}",
            show(&r)
        );
    }
}

#[test]
fn runtime_weights_load_and_classify_exactly_in_icarus() {
    for seed in [31u64, 32] {
        let (model, lanes) = random_network(seed);
        let mut o = HwOptions::new(Target::Generic);
        o.lanes = Some(lanes.clone());
        o.weights = WeightSource::Runtime;
        let (_, top) = generate_for(&format!("icarus-runtime-{seed}"), &model, o);
        let stim = Stimulus::new(samples_for(&model, seed, 10))
            .with_stalls(Stalls::random(seed, 0.2))
            .with_resets(vec![400]);
        let r = icarus(&model, &top, &stim, &format!("runtime-{seed}"));
        assert!(
            r.passed() && r.mismatches == 0 && r.spike_mismatches == 0,
            "seed {seed} lanes {lanes:?}: {}",
            show(&r)
        );
    }
}

#[test]
fn icarus_and_verilator_see_the_same_cycles_for_the_same_seeded_stimulus() {
    // The bench is a port of the C++ harness: same splitmix64 stalls, same reset and
    // completion rules, so both simulators record the same beats in the same cycles.
    let (model, lanes) = random_network(26);
    let (_, top) = generate("icarus-vs-verilator", &model, Some(lanes), None);
    let (samples, _) = with_faults(&model, 26, 12);
    let stim = Stimulus::from_samples(samples)
        .with_stalls(Stalls::random(26, 0.3))
        .with_resets(vec![300]);
    let info = TopInfo::from_model(&model, true).unwrap();
    let ica = IcarusRun {
        tool: Icarus::discover().unwrap_or_else(|e| panic!("{e}")),
        info: info.clone(),
        sources: vec![top.clone()],
        work: out_dir("icarus-run-vs-verilator"),
        limit: Duration::from_secs(600),
    }
    .run(&stim)
    .unwrap_or_else(|e| panic!("{e}"));
    let tool = testbench::Verilator::discover().unwrap_or_else(|e| panic!("{e}"));
    let ver = testbench::Harness::build(&tool, &info, &[top], &Default::default())
        .and_then(|h| h.run(&stim, None))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ica.status, ver.status);
    assert_eq!(ica.cycles, ver.cycles, "simulated cycles");
    assert_eq!(
        ica.outputs, ver.outputs,
        "every output beat, in the same cycle"
    );
    assert_eq!(ica.traces, ver.traces, "every spike, in the same cycle");
    assert_eq!(ica.resets, ver.resets);
}

#[test]
fn default_model_in_icarus_classifies_mnist_exactly_through_a_framing_fault() {
    let model = golden::default_model::quantized();
    let (_, top) = generate("icarus-default", &model, None, None);
    let samples = framed_samples(mnist(6), &[(2, Framing::Early { len: 300 })]);
    let stim = Stimulus::from_samples(samples).with_stalls(Stalls::random(4, 0.1));
    let r = icarus(&model, &top, &stim, "default");
    assert!(
        r.passed() && r.mismatches == 0 && r.spike_mismatches == 0,
        "{}",
        show(&r)
    );
    assert_eq!(r.outputs, 6);
    assert_eq!(r.per_sample[2].error, Some(true));
}

/// A top with the DESIGN §4 ports of a 2-input, 2-class model whose two `always @(*)` blocks
/// write a default and then an override to a signal the other one reads: the shape that
/// rust-hdl emits and that stopped Icarus (DESIGN §6). `s_last` starts the glitching.
fn glitch_loop_top() -> String {
    r#"module ttfs_top(clk, rst, s_valid, s_ready, s_data, s_last, m_valid, m_ready, m_class, m_error);
    input wire clk;
    input wire rst;
    input wire s_valid;
    output wire s_ready;
    input wire [7:0] s_data;
    input wire s_last;
    output wire m_valid;
    input wire m_ready;
    output wire m_class;
    output wire m_error;
    reg x;
    reg y;
    reg seen;
    always @(*) begin
        x = 1'b0;
        if (s_last | y) begin
            x = 1'b1;
        end
    end
    always @(*) begin
        y = 1'b0;
        if (x) begin
            y = 1'b1;
        end
    end
    always @(posedge clk) begin
        if (rst) seen <= 1'b0;
        else if (s_valid & s_last) seen <= 1'b1;
        else if (m_ready) seen <= 1'b0;
    end
    assign s_ready = 1'b1;
    assign m_valid = seen;
    assign m_class = 1'b0;
    assign m_error = 1'b0;
endmodule
"#
    .to_string()
}

fn run_glitch_top(name: &str, verilog: &str) -> Result<testbench::RawRun, CosimError> {
    let dir = out_dir(name);
    let top: PathBuf = dir.join("ttfs_top.v");
    std::fs::write(&top, verilog).unwrap();
    let mut info = TopInfo::from_model(&golden::testkit::seeded_model(1, &[2, 2]), false).unwrap();
    info.input_bits = 8;
    IcarusRun {
        tool: Icarus::discover().unwrap_or_else(|e| panic!("{e}")),
        info,
        sources: vec![top],
        work: dir.join("run"),
        limit: Duration::from_secs(10),
    }
    .run(&Stimulus::new(vec![vec![1, 2], vec![3, 4]]).with_watchdog(200))
}

#[test]
fn a_zero_delay_glitch_loop_is_reported_stuck_and_single_assignment_blocks_end_it() {
    // The checker can fail: Icarus never returns from the first `s_last`, and the run says so.
    let stuck = run_glitch_top("icarus-glitch-raw", &glitch_loop_top());
    match stuck {
        Err(CosimError::Stuck { seconds, .. }) => assert_eq!(seconds, 10.0),
        other => panic!("the glitch loop must stop simulated time, got {other:?}"),
    }
    // The generator's fix-up: one assignment per signal and evaluation.
    let fixed = hdl::verilog::single_assignment_comb(&glitch_loop_top());
    assert!(
        hdl::verilog::comb_multiple_assignments(&fixed).is_empty(),
        "{fixed}"
    );
    let run = run_glitch_top("icarus-glitch-fixed", &fixed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.outputs.len(), 2, "both samples answered: {run:?}");
}

#[test]
fn ttfs_cosim_runs_icarus_on_request_and_reports_which_simulator_ran() {
    let dir = out_dir("icarus-cli");
    let model = common::save_random_model(41, &[6, 5, 3], &dir.join("model.json"));
    let samples = serde_json::json!({ "samples": [[0, 1, 2, 3, 4, 5], [255, 0, 255, 0, 255, 0], [9, 9, 9, 9, 9, 9]] });
    let input = dir.join("samples.json");
    std::fs::write(&input, samples.to_string()).unwrap();
    let out = common::ttfs(&[
        "cosim",
        "--model",
        model.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--simulator",
        "icarus",
        "--json",
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    let v = common::stdout_json(&out);
    assert_eq!(v["simulator"], "icarus", "{v}");
    assert_eq!(v["samples"], 3, "{v}");
    assert_eq!(v["mismatches"], 0, "{v}");
    assert_eq!(v["spike_mismatches"], 0, "{v}");
}

/// A wide-beat stimulus of `samples` with 30 % stalls (seeded) and a reset at `reset`, run
/// through Verilator and Icarus with trace checks; returns both reports.
fn in_both_simulators(
    model: &Model,
    top: &Path,
    samples: Vec<Sample>,
    (seed, k, reset): (u64, usize, u64),
    name: &str,
) -> (CosimReport, CosimReport, Stimulus) {
    let stim = Stimulus::from_samples(samples)
        .with_stalls(Stalls::random(seed, 0.3))
        .with_resets(vec![reset])
        .with_input_lanes(k, model.input_bits);
    let opts = testbench::CosimOptions {
        trace: true,
        ..Default::default()
    };
    let ver = testbench::cosim(model, &[top.to_path_buf()], &stim, &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    let ica = testbench::cosim_icarus(
        model,
        &[top.to_path_buf()],
        &stim,
        true,
        &out_dir(&format!("icarus-run-{name}")),
        Duration::from_secs(300),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (ver, ica, stim)
}

#[test]
fn several_features_per_beat_match_the_golden_model_in_verilator_and_icarus() {
    // DESIGN §4 revision 2: K features per beat, K not dividing the inputs where possible, the
    // last beat partial; framing faults that change the number of beats; stalls and a reset.
    let mut tried = 0;
    for seed in 51u64..70 {
        let (model, lanes) = random_network(seed);
        let (n, b) = (model.input_len(), model.input_bits as usize);
        if n < 3 {
            continue;
        }
        tried += 1;
        let k = (2..n)
            .find(|k| n % k != 0 && k * b <= 64)
            .unwrap_or(2.min(64 / b));
        let mut o = HwOptions::new(Target::Generic);
        o.lanes = Some(lanes.clone());
        o.input_lanes = Some(k);
        let (d, top) = generate_for(&format!("lanes-{seed}"), &model, o);
        assert_eq!(d.input_lanes, k);
        let v = std::fs::read_to_string(&top).unwrap();
        assert!(
            v.contains(&format!("input  wire [{}:0] s_data,", k * b - 1)),
            "s_data is K·input_bits wide"
        );
        // One beat instead of ⌈n/k⌉ ≥ 2; one extra beat.
        let samples = framed_samples(
            samples_for(&model, seed, 10),
            &[
                (3, Framing::Early { len: 1 }),
                (7, Framing::Missing { extra: k }),
            ],
        );
        let (ver, ica, _) = in_both_simulators(
            &model,
            &top,
            samples,
            (seed, k, 150),
            &format!("lanes-{seed}"),
        );
        for (sim, r) in [("verilator", &ver), ("icarus", &ica)] {
            assert!(
                r.passed() && r.mismatches == 0 && r.spike_mismatches == 0,
                "{sim}, seed {seed}, {n} inputs, {k} per beat: {}",
                show(r)
            );
            for s in r.per_sample.iter().filter(|s| !s.dropped) {
                if let Some(e) = s.error {
                    assert_eq!(
                        e,
                        s.sample == 3 || s.sample == 7,
                        "{sim} sample {}",
                        s.sample
                    );
                }
            }
        }
        assert_eq!(
            ver.cycles, ica.cycles,
            "seed {seed}: same cycles in both simulators"
        );
        if tried == 3 {
            break;
        }
    }
    assert_eq!(tried, 3, "three random networks with ≥ 3 inputs");
}

#[test]
fn a_stimulus_whose_fault_hides_in_the_padding_is_refused() {
    // 10 inputs, 4 per beat: an early s_last after 9 values is still 3 beats, a correct frame
    // at the port; the stimulus says so instead of expecting an error the design cannot see.
    let model = golden::testkit::seeded_model(3, &[10, 3]);
    let info = TopInfo::from_model(&model, false)
        .unwrap()
        .with_input_lanes(4);
    let x: Vec<u32> = (0..10).collect();
    let stim = Stimulus::from_samples(vec![Sample::with_framing(x, Framing::Early { len: 9 })])
        .with_input_lanes(4, 8);
    let err = stim.validate(&info).unwrap_err().to_string();
    assert!(err.contains("early s_last after 9 values"), "{err}");
}

#[test]
fn two_encoder_streams_pair_events_of_one_tick_in_verilator_and_icarus() {
    // Issue 15: the wide encoder's banks merge into two streams (banks 0..⌊K/2⌋ and the
    // rest) and layer 1 takes two events of one tick per cycle (`PairMerge`), a lone head
    // otherwise; the layer-0 trace shows the second event of a cycle on `t0_valid2`, after
    // the first, so the checker sees the stream in tick order. K = 4, 5 (chains of 2 and 3
    // banks) and 8; layer 1 with G = 1 and G = 3; 30 % stalls, two framing faults, a reset.
    use golden::model::Readout;
    use golden::testkit::random_layer;
    use rand::{Rng, SeedableRng};
    for (seed, k, groups) in [(101u64, 4usize, 1usize), (102, 5, 3), (103, 8, 1)] {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let (inputs, hidden) = (rng.gen_range(12..=40), rng.gen_range(3..=12));
        let model = Model {
            time_steps: 8,
            input_bits: 6,
            readout: if seed % 2 == 0 {
                Readout::Potential
            } else {
                Readout::FirstSpike
            },
            dataset: None,
            input_shape: None,
            layers: vec![
                random_layer(&mut rng, inputs, hidden, 6),
                random_layer(&mut rng, hidden, 4, 6),
            ],
        };
        model.validate().expect("valid model");
        let mut o = HwOptions::new(Target::Generic);
        o.lanes = Some(vec![hidden.div_ceil(groups), 2]);
        o.input_lanes = Some(k);
        o.encoder_streams = Some(2);
        let (d, top) = generate_for(&format!("streams-{seed}"), &model, o);
        assert_eq!((d.encoder_streams, d.layers[0].events_per_cycle), (2, 2));
        let samples = framed_samples(
            samples_for(&model, seed, 24),
            &[
                (3, Framing::Early { len: 1 }),
                (7, Framing::Missing { extra: k }),
            ],
        );
        let (ver, ica, stim) = in_both_simulators(
            &model,
            &top,
            samples,
            (seed, k, 200),
            &format!("streams-{seed}"),
        );
        for (sim, r) in [("verilator", &ver), ("icarus", &ica)] {
            assert_exact(r, &format!("{sim}, seed {seed}, K = {k}, two streams"));
        }
        assert_eq!(ver.cycles, ica.cycles, "seed {seed}: same cycles");

        // The checker sees the pairs' second events only through `t0_valid2`: a harness that
        // does not record them reports the layer-0 spikes as missing.
        let blind = TopInfo::from_model(&model, true)
            .unwrap()
            .with_input_lanes(k);
        assert!(!blind.trace[0].pair);
        let tool = testbench::Verilator::discover().unwrap();
        let harness = testbench::Harness::build(
            &tool,
            &blind,
            std::slice::from_ref(&top),
            &testbench::BuildOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let run = harness.run(&stim, None).unwrap_or_else(|e| panic!("{e}"));
        let r = testbench::check(&model, &blind, &stim, &run).unwrap();
        assert!(
            r.spike_mismatches > 0,
            "seed {seed}: without t0_valid2 the second events go unseen: {}",
            show(&r)
        );
    }
}
