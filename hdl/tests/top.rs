//! `TtfsCore` end to end against golden `forward` on tiny random models (random stalls on
//! `s_valid` and `m_ready`), framing faults, and the generated `ttfs_top` through Verilator
//! lint and Yosys.

mod common;

use golden::forward::forward;
use golden::model::Model;
use golden::testkit::small_weight_model;
use hdl::generate::generate;
use hdl::harness::Harness;
use hdl::plan::{Activity, Design, HwOptions, Target};
use hdl::stream::ConnectInputs;
use hdl::top::{pick_zw, TtfsCore};
use rand::rngs::StdRng;
use rand::Rng;
use rust_hdl::prelude::*;
use std::collections::VecDeque;

fn design(model: &Model, lanes: Option<Vec<usize>>) -> Design {
    let mut opts = HwOptions::new(Target::Generic);
    opts.lanes = lanes;
    Design::new(model.clone(), opts, Activity::worst_case(model)).expect("design")
}

/// Streams `beats` `(x, last)` through the core with random stalls and returns the output
/// beats `(class, error)` (exactly `n_out` of them; checks no extra beat follows) and the
/// cycles taken.
fn run_core<const ZW: usize>(
    d: &Design,
    beats: &[(u32, bool)],
    n_out: usize,
    rng: &mut StdRng,
    p_in: f64,
    p_out: f64,
) -> (Vec<(usize, bool)>, u64) {
    let mut core = TtfsCore::<ZW>::new(d, "");
    core.clock.connect();
    core.rst.connect();
    core.s.connect_inputs();
    core.m.connect_inputs();
    let mut h = Harness::new(core, |x| &mut x.clock);
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    let mut input: VecDeque<(u32, bool)> = beats.iter().copied().collect();
    let mut out = vec![];
    let start = h.cycles();
    while out.len() < n_out {
        assert!(
            h.cycles() - start < 200_000,
            "stuck after {} outputs",
            out.len()
        );
        let offer = !input.is_empty() && rng.gen_bool(p_in);
        let (x, last) = input.front().copied().unwrap_or((0, false));
        h.uut.s.valid.next = offer;
        h.uut.s.data.next = bits(if offer { x as u64 } else { 0x5a5a });
        h.uut.s.last.next = offer && last;
        let ready = rng.gen_bool(p_out);
        h.uut.m.ready.next = ready;
        h.settle();
        if offer && h.uut.s.ready.val() {
            input.pop_front();
        }
        if ready && h.uut.m.valid.val() {
            out.push((h.uut.m.class.val().to_u64() as usize, h.uut.m.error.val()));
        }
        h.cycle();
    }
    let cycles = h.cycles() - start;
    h.uut.m.ready.next = true;
    h.uut.s.valid.next = false;
    for _ in 0..300 {
        h.cycle();
        assert!(!h.uut.m.valid.val(), "extra output beat");
    }
    (out, cycles)
}

fn run_any(
    d: &Design,
    beats: &[(u32, bool)],
    n_out: usize,
    rng: &mut StdRng,
    p_in: f64,
    p_out: f64,
) -> (Vec<(usize, bool)>, u64) {
    match pick_zw(d).expect("zw") {
        16 => run_core::<16>(d, beats, n_out, rng, p_in, p_out),
        24 => run_core::<24>(d, beats, n_out, rng, p_in, p_out),
        32 => run_core::<32>(d, beats, n_out, rng, p_in, p_out),
        _ => run_core::<40>(d, beats, n_out, rng, p_in, p_out),
    }
}

fn framed(x: &[u32]) -> Vec<(u32, bool)> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| (v, i + 1 == x.len()))
        .collect()
}

#[test]
fn classes_match_golden_on_tiny_random_models_under_stalls() {
    let mut rng = common::rng(2026);
    let cases: &[(&[usize], u32, &str)] = &[
        (&[4, 3, 2], 4, "potential"),
        (&[5, 6, 3], 2, "potential"),
        (&[3, 4, 5, 3], 8, "potential"),
        (&[6, 5, 4], 8, "first-spike"),
        (&[2, 3, 2, 4], 4, "first-spike"),
    ];
    for (case, &(widths, t, readout)) in cases.iter().enumerate() {
        let b = rng.gen_range(2..=8u32);
        let model = small_weight_model(&mut rng, widths, t, b, readout);
        let lanes: Vec<usize> = widths[1..].iter().map(|&n| rng.gen_range(1..=n)).collect();
        let d = design(&model, Some(lanes.clone()));
        let samples: Vec<Vec<u32>> = (0..5)
            .map(|_| {
                (0..widths[0])
                    .map(|_| rng.gen_range(0..1u32 << b))
                    .collect()
            })
            .collect();
        let beats: Vec<(u32, bool)> = samples.iter().flat_map(|x| framed(x)).collect();
        let (p_in, p_out) = [(1.0, 1.0), (0.6, 0.5), (0.9, 0.2)][case % 3];
        let (got, cycles) = run_any(&d, &beats, samples.len(), &mut rng, p_in, p_out);
        for (k, (x, (class, err))) in samples.iter().zip(&got).enumerate() {
            let want = forward(&model, x).class;
            assert_eq!(
                (*class, *err),
                (want, false),
                "case {case} {widths:?} T={t} {readout} lanes {lanes:?} sample {k} x={x:?}"
            );
        }
        eprintln!(
            "case {case}: {widths:?} T={t} {readout} lanes {lanes:?} stalls ({p_in},{p_out}): \
             {} samples in {cycles} cycles",
            samples.len()
        );
    }
}

#[test]
fn framing_faults_are_flagged_and_the_next_sample_is_correct() {
    let mut rng = common::rng(77);
    for readout in ["potential", "first-spike"] {
        let model = small_weight_model(&mut rng, &[4, 3, 3], 4, 4, readout);
        let d = design(&model, None);
        let good: Vec<Vec<u32>> = (0..3)
            .map(|_| (0..4).map(|_| rng.gen_range(0..16)).collect())
            .collect();
        let mut beats = framed(&good[0]);
        beats.extend([(3, false), (9, true)]); // early s_last
        beats.extend(framed(&good[1]));
        beats.extend([
            (1, false),
            (2, false),
            (3, false),
            (4, false),
            (5, false),
            (6, true),
        ]); // missing
        beats.extend(framed(&good[2]));
        let (got, _) = run_any(&d, &beats, 5, &mut rng, 0.8, 0.7);
        let errs: Vec<bool> = got.iter().map(|g| g.1).collect();
        assert_eq!(errs, vec![false, true, false, true, false], "{readout}");
        for (k, idx) in [(0usize, 0usize), (1, 2), (2, 4)] {
            assert_eq!(
                got[idx].0,
                forward(&model, &good[k]).class,
                "{readout} sample {k}"
            );
        }
    }
}

#[test]
fn cycles_per_sample_of_a_tiny_model() {
    let mut rng = common::rng(9);
    let model = small_weight_model(&mut rng, &[6, 4, 3], 8, 8, "potential");
    let d = design(&model, None);
    let n = 20;
    let samples: Vec<Vec<u32>> = (0..n)
        .map(|_| (0..6).map(|_| rng.gen_range(0..256)).collect())
        .collect();
    let beats: Vec<(u32, bool)> = samples.iter().flat_map(|x| framed(x)).collect();
    let (got, cycles) = run_any(&d, &beats, n, &mut rng, 1.0, 1.0);
    for (x, (class, _)) in samples.iter().zip(&got) {
        assert_eq!(*class, forward(&model, x).class);
    }
    eprintln!(
        "6-4-3, T=8, lanes {:?}: {n} samples in {cycles} cycles = {:.1} cycles/sample \
         (estimate {:.1})",
        d.layers.iter().map(|l| l.lanes).collect::<Vec<_>>(),
        cycles as f64 / n as f64,
        d.est_cycles_per_sample
    );
}

#[test]
fn generated_top_has_the_design_ports_and_is_lint_and_synthesis_clean() {
    let mut rng = common::rng(4);
    for readout in ["potential", "first-spike"] {
        let model = small_weight_model(&mut rng, &[5, 4, 3], 4, 6, readout);
        let d = design(&model, None);
        let g = generate(&d).expect("generate");
        assert!(g.verilog.contains("module ttfs_top ("));
        // Event-driven simulators need one assignment per signal and comb evaluation (DESIGN §6).
        assert_eq!(hdl::verilog::comb_multiple_assignments(&g.verilog), vec![]);
        for port in [
            "input  wire clk,",
            "input  wire rst,",
            "input  wire s_valid,",
            "output wire s_ready,",
            "input  wire [5:0] s_data,",
            "input  wire s_last,",
            "output wire m_valid,",
            "input  wire m_ready,",
            "output wire [1:0] m_class,",
            "output wire m_error",
        ] {
            assert!(g.verilog.contains(port), "missing `{port}`");
        }
        let name = format!("ttfs_{}", readout.replace('-', "_"));
        // A directory of its own: the memory images have generic names (`l1_w0.hex`).
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in &g.memories {
            std::fs::write(dir.join(file), text).unwrap();
        }
        let file = dir.join(format!("{name}.v"));
        std::fs::write(&file, &g.verilog).unwrap();
        // Yosys on the potential variant (the trace test synthesises first-spike): ~25 s each.
        lint_and_synth(&dir, &file, readout == "potential");
    }
}

/// `verilator --lint-only -Wall` (no warning) and yosys `synth -top ttfs_top; check -assert`
/// (no latch) on `file`, run in `dir` (where the memory images are); skipped loudly when the
/// pinned tools are absent.
fn lint_and_synth(dir: &std::path::Path, file: &std::path::Path, synth: bool) {
    use std::process::Command;
    // One tool run at a time in this binary: YoWASP's ABC (scratch files in the host's /tmp)
    // dies silently when another tool runs alongside.
    static TOOLS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = TOOLS.lock().unwrap_or_else(|e| e.into_inner());
    let file = file.display().to_string();
    if let Some(verilator) = common::tool("verilator", &["--lint-only", "-Wall", "probe.v"]) {
        let out = Command::new(verilator)
            .current_dir(dir)
            .args(["--lint-only", "-Wall", "--top-module", "ttfs_top", &file])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && !log.contains("%Warning") && !log.contains("%Error"),
            "verilator lint of {file}:\n{log}"
        );
    }
    if !synth {
        return;
    }
    if let Some(yosys) = common::tool(
        "yosys",
        &["-q", "-p", "read_verilog probe.v; synth -top probe"],
    ) {
        let script = format!(
            "read_verilog {file}; synth -top ttfs_top; check -assert; \
             select -assert-none t:*latch* t:*LATCH*"
        );
        // The yosys wrapper (scripts/tools.sh) serialises runs machine-wide with a flock, so
        // parallel tests no longer kill each other's ABC: one run, any failure is real.
        let out = Command::new(&yosys)
            .current_dir(dir)
            .args(["-p", &script])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        let tail: Vec<&str> = log.lines().rev().take(12).collect();
        let tail = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
        assert!(out.status.success(), "yosys on {file}:\n{tail}");
    }
}

#[test]
fn trace_ports_are_added_and_lint_and_synthesis_clean() {
    let mut rng = common::rng(8);
    for (readout, streams) in [("potential", 2usize), ("first-spike", 3)] {
        let model = small_weight_model(&mut rng, &[5, 4, 3], 8, 6, readout);
        let mut opts = HwOptions::new(Target::Generic);
        opts.trace = true;
        let d = Design::new(model.clone(), opts, Activity::worst_case(&model)).expect("design");
        let g = generate(&d).expect("generate");
        let iw = [3usize, 2, 2];
        for (l, iw) in iw.iter().enumerate().take(streams) {
            for port in [
                format!("output wire t{l}_valid"),
                format!("output wire t{l}_eow"),
                format!("output wire [2:0] t{l}_m"),
                format!("output wire [{}:0] t{l}_index", iw - 1),
            ] {
                assert!(g.verilog.contains(&port), "{readout}: missing `{port}`");
            }
        }
        assert!(!g.verilog.contains(&format!("t{streams}_valid")));
        let name = format!("ttfs_trace_{}", readout.replace('-', "_"));
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in &g.memories {
            std::fs::write(dir.join(file), text).unwrap();
        }
        let file = dir.join(format!("{name}.v"));
        std::fs::write(&file, &g.verilog).unwrap();
        // Yosys once (the variant with the most taps): each run takes ~25 s.
        lint_and_synth(&dir, &file, readout == "first-spike");
    }
}

#[test]
fn runtime_weights_give_the_top_a_load_stream_and_an_image_of_every_layer() {
    let mut rng = common::rng(12);
    let model = small_weight_model(&mut rng, &[3, 2], 4, 4, "potential");
    let mut opts = HwOptions::new(Target::Generic);
    opts.weights = hdl::plan::WeightSource::Runtime;
    let d = Design::new(model.clone(), opts, Activity::worst_case(&model)).expect("design");
    let g = generate(&d).expect("runtime weights");
    assert!(g.verilog.contains("input  wire [15:0] w_data"));
    assert!(
        g.memories.is_empty(),
        "no $readmemh image: the weights are streamed"
    );
    let image = g.load.expect("a load image");
    // Every layer is loaded: rows (fan_in + 1)·G, one word per 16-bit column.
    assert_eq!(image.segments.len(), d.layers.len());
    let words: usize = image.segments.iter().map(|s| s.rows * s.columns).sum();
    assert_eq!(image.words.len(), words);
    assert_eq!(image.to_bytes().len(), 2 * words);
    // Embedded weights: no load stream.
    let d = Design::new(
        model.clone(),
        HwOptions::new(Target::Generic),
        Activity::worst_case(&model),
    )
    .expect("design");
    let g = generate(&d).expect("embedded weights");
    assert!(g.load.is_none() && !g.verilog.contains("input  wire [15:0] w_data"));
}

#[test]
fn several_features_per_beat_widen_s_data_and_stay_lint_and_synthesis_clean() {
    // DESIGN §4 revision 2: 5 inputs of 6 bits, 2 per beat → s_data[11:0], 3 beats a sample;
    // the core's wide encoder takes both slots of a beat at once (slot 1 on `s_slot$0`).
    let mut rng = common::rng(9);
    let model = small_weight_model(&mut rng, &[5, 4, 3], 4, 6, "potential");
    let mut opts = HwOptions::new(Target::Generic);
    opts.input_lanes = Some(2);
    let d = Design::new(model.clone(), opts, Activity::worst_case(&model)).expect("design");
    assert_eq!(d.input_lanes, 2);
    let g = generate(&d).expect("generate");
    assert!(g.verilog.contains("input  wire [11:0] s_data,"));
    assert!(g.verilog.contains(".s_slot$0(core_s_slot1)"));
    assert_eq!(hdl::verilog::comb_multiple_assignments(&g.verilog), vec![]);
    let name = "ttfs_lanes2";
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in &g.memories {
        std::fs::write(dir.join(file), text).unwrap();
    }
    let file = dir.join(format!("{name}.v"));
    std::fs::write(&file, &g.verilog).unwrap();
    lint_and_synth(&dir, &file, true);
    // Out of range: 0 lanes, more lanes than inputs, a beat wider than 64 bits.
    for k in [0usize, 6, 11] {
        let mut opts = HwOptions::new(Target::Generic);
        opts.input_lanes = Some(k);
        let e = Design::new(model.clone(), opts, Activity::worst_case(&model)).unwrap_err();
        assert!(e.to_string().contains(&format!("--input-lanes {k}")), "{e}");
    }
}
