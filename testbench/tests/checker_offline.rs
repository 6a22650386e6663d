//! The checker, the stimulus validation and the interface description without Verilator: a
//! perfect synthetic run built from the golden model passes, and each kind of corruption of it
//! (lost, duplicated, reordered output; shifted, duplicated, missing spike; missing eow) is
//! reported with a clear message.

mod common;

use common::{random_samples, ref_info, ref_model};
use golden::snn::EventSim;
use testbench::result::{OutBeat, RawRun, Status, TraceBeat};
use testbench::{check, CosimError, Framing, Sample, Stimulus, TopInfo};

/// The run a perfect sequential DUT would produce for correctly framed `samples`.
fn perfect_run(samples: &[Vec<u32>]) -> RawRun {
    let model = ref_model();
    let info = ref_info();
    let mut sim = EventSim::new(&model);
    let mut cycle = 10;
    let mut run = RawRun {
        outputs: vec![],
        traces: vec![],
        resets: vec![],
        status: Status::Done,
        cycles: 0,
        accepted: samples.len() * 4,
        idle: 0,
        sim_seconds: 0.0,
    };
    for x in samples {
        let trace = sim.trace(x);
        for tl in &info.trace {
            for e in sim.events(tl.layer) {
                if (e.index as usize) < tl.width {
                    run.traces.push(TraceBeat {
                        cycle,
                        layer: tl.layer,
                        eow: false,
                        m: e.m as u64,
                        index: e.index as u64,
                    });
                    cycle += 1;
                }
            }
            run.traces.push(TraceBeat {
                cycle,
                layer: tl.layer,
                eow: true,
                m: 0,
                index: 0,
            });
            cycle += 1;
        }
        run.outputs.push(OutBeat {
            cycle,
            class: trace.class as u64,
            error: false,
        });
        cycle += 1;
    }
    run.cycles = cycle + 64;
    run
}

fn setup() -> (Stimulus, RawRun) {
    let samples = random_samples(3, 12);
    let run = perfect_run(&samples);
    (Stimulus::new(samples), run)
}

fn report_of(stim: &Stimulus, run: &RawRun) -> testbench::CosimReport {
    check(&ref_model(), &ref_info(), stim, run).unwrap()
}

#[test]
fn a_perfect_run_passes() {
    let (stim, run) = setup();
    let r = report_of(&stim, &run);
    assert!(r.passed(), "{:?}", r.details);
    assert_eq!((r.samples, r.outputs, r.per_sample.len()), (12, 12, 12));
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "samples",
        "mismatches",
        "spike_mismatches",
        "cycles",
        "cycles_per_sample",
        "per_sample",
        "first_mismatch",
    ] {
        assert!(json.get(key).is_some(), "JSON key {key}");
    }
    assert!(json["per_sample"][0].get("class").is_some());
    assert!(json["per_sample"][0].get("error").is_some());
}

#[test]
fn lost_duplicated_and_reordered_outputs_are_mismatches() {
    let (stim, run) = setup();
    let mut lost = run.clone();
    lost.outputs.remove(4);
    let r = report_of(&stim, &lost);
    assert!(r.mismatches >= 1 && !r.passed());
    assert!(
        r.details
            .iter()
            .any(|d| d.starts_with("sample 11: no output beat")),
        "{:?}",
        r.details
    );

    let mut dup = run.clone();
    let mut extra = dup.outputs[11];
    extra.cycle += 1;
    dup.outputs.push(extra);
    let r = report_of(&stim, &dup);
    assert_eq!(r.mismatches, 1);
    assert!(r
        .first_mismatch
        .unwrap()
        .starts_with("extra output beat at cycle"));

    // Swap two outputs of different classes.
    let mut swapped = run.clone();
    let (a, b) = (0..12)
        .flat_map(|a| (a + 1..12).map(move |b| (a, b)))
        .find(|&(a, b)| run.outputs[a].class != run.outputs[b].class)
        .expect("two classes among the samples");
    let (ca, cb) = (swapped.outputs[a].class, swapped.outputs[b].class);
    swapped.outputs[a].class = cb;
    swapped.outputs[b].class = ca;
    let r = report_of(&stim, &swapped);
    assert_eq!(r.mismatches, 2);
    assert_eq!(
        r.first_mismatch.unwrap(),
        format!(
            "sample {a}: class expected {ca}, observed {cb} (output beat at cycle {})",
            run.outputs[a].cycle
        )
    );
}

#[test]
fn spike_corruptions_name_sample_layer_neuron_and_ticks() {
    let (stim, run) = setup();
    // The third non-eow event of layer 1, one tick late.
    let pos = run
        .traces
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            let next = run.traces[i + 1];
            t.layer == 1 && !t.eow && t.m + 1 < 4 && (next.eow || next.m > t.m)
        })
        .map(|(i, _)| i)
        .nth(2)
        .unwrap();
    let eows_before = run.traces[..pos]
        .iter()
        .filter(|t| t.layer == 1 && t.eow)
        .count();
    let mut late = run.clone();
    late.traces[pos].m += 1;
    let t = late.traces[pos];
    let r = report_of(&stim, &late);
    assert_eq!(
        (r.mismatches, r.spike_mismatches),
        (0, 1),
        "{:?}",
        r.details
    );
    assert_eq!(
        r.first_mismatch.unwrap(),
        format!(
            "sample {eows_before}, layer 1, neuron {}: expected tick {} (m = {}), observed tick {} (m = {}) at cycle {}",
            t.index,
            4 + t.m - 1,
            t.m - 1,
            4 + t.m,
            t.m,
            t.cycle
        )
    );

    let mut twice = run.clone();
    let mut again = twice.traces[pos];
    again.cycle = twice.traces[pos].cycle; // same cycle is fine: order within a tick is free
    twice.traces.insert(pos + 1, again);
    let r = report_of(&stim, &twice);
    assert!(r.first_mismatch.unwrap().contains("fired twice"));

    let mut missing = run.clone();
    missing.traces.remove(pos);
    let r = report_of(&stim, &missing);
    assert!(r.first_mismatch.unwrap().ends_with("observed no spike"));

    let mut no_eow = run.clone();
    let last_eow = no_eow
        .traces
        .iter()
        .rposition(|t| t.layer == 0 && t.eow)
        .unwrap();
    no_eow.traces.remove(last_eow);
    let r = report_of(&stim, &no_eow);
    assert!(
        r.details
            .iter()
            .any(|d| d == "sample 11, layer 0: no eow beat (the layer never finished this sample)"),
        "{:?}",
        r.details
    );
}

#[test]
fn events_out_of_tick_order_are_reported() {
    // Find a sample/layer with two events of different ticks and swap them.
    let (stim, run) = setup();
    let i = (0..run.traces.len() - 1)
        .find(|&i| {
            let (a, b) = (run.traces[i], run.traces[i + 1]);
            !a.eow && !b.eow && a.layer == b.layer && a.m < b.m
        })
        .unwrap();
    let mut bad = run.clone();
    let (ma, mb) = (bad.traces[i].m, bad.traces[i + 1].m);
    let (ia, ib) = (bad.traces[i].index, bad.traces[i + 1].index);
    bad.traces[i].m = mb;
    bad.traces[i].index = ib;
    bad.traces[i + 1].m = ma;
    bad.traces[i + 1].index = ia;
    let r = report_of(&stim, &bad);
    assert_eq!(r.spike_mismatches, 1, "{:?}", r.details);
    assert!(r
        .first_mismatch
        .unwrap()
        .contains("events out of tick order"));
}

#[test]
fn bad_stimuli_are_refused_not_panicked_on() {
    let info = ref_info();
    let err = Stimulus::new(vec![vec![1, 2, 3]])
        .validate(&info)
        .unwrap_err();
    assert!(matches!(err, CosimError::Input { sample: 0, .. }), "{err}");
    assert!(
        err.to_string().contains("3 values but the model takes 4"),
        "{err}"
    );
    let err = Stimulus::new(vec![vec![0; 4], vec![1, 2, 16, 0]])
        .validate(&info)
        .unwrap_err();
    assert!(
        err.to_string().contains("sample 1: input value x[2] = 16"),
        "{err}"
    );
    let early = |len| {
        Stimulus::from_samples(vec![Sample::with_framing(
            vec![1; 4],
            Framing::Early { len },
        )])
    };
    assert!(early(4).validate(&info).is_err());
    assert!(early(0).validate(&info).is_err());
    assert!(early(3).validate(&info).is_ok());
    let open_end = Stimulus::from_samples(vec![Sample::with_framing(
        vec![1; 4],
        Framing::Missing { extra: 0 },
    )]);
    assert!(open_end
        .validate(&info)
        .unwrap_err()
        .to_string()
        .contains("nothing would close its frame"));
    let mut st = Stimulus::new(vec![vec![0; 4]]);
    st.stalls.input_prob = 1.0;
    assert!(st.validate(&info).is_err());
}

#[test]
fn stimulus_file_format() {
    let mut stim = Stimulus::from_samples(vec![
        Sample::new(vec![0, 15, 7, 3]),
        Sample::with_framing(vec![5, 5, 1, 1], Framing::Early { len: 2 }),
        Sample::with_framing(vec![1, 2, 3, 4], Framing::Missing { extra: 2 }),
    ])
    .with_resets(vec![400, 150]);
    stim.stalls = testbench::Stalls::random(42, 0.25);
    let text = stim.to_file_text(Some((1, 2)));
    assert_eq!(
        text,
        "lcttfs-stim 1\nseed 42\nstall 0.25 8 0.25 8\nwatchdog 1000000\nmax_cycles 18446744073709551615\n\
         reset_len 2\ntail 64\nresets 2 150 400\nvcd 1 2\nweights 0\nsamples 3\n4 1 0 15 7 3\n2 1 5 5\n6 1 1 2 3 4 0 0\n"
    );
}

#[test]
fn top_info_of_the_default_mnist_model() {
    let model = golden::default_model::quantized();
    let info = TopInfo::from_model(&model, true).unwrap();
    assert_eq!(
        (info.inputs, info.input_bits, info.classes, info.time_steps),
        (784, 8, 10, 16)
    );
    assert_eq!((info.class_width(), info.tick_width()), (4, 4));
    let widths: Vec<(usize, usize, u32)> = info
        .trace
        .iter()
        .map(|t| (t.layer, t.width, t.index_width()))
        .collect();
    // Potential readout: the last layer is not fired, so it has no trace ports.
    assert_eq!(widths, vec![(0, 784, 10), (1, 128, 7)]);
    let ports: Vec<String> = info
        .ports()
        .iter()
        .map(|p| format!("{}:{}", p.name, p.width))
        .collect();
    assert_eq!(
        ports.join(" "),
        "clk:1 rst:1 s_valid:1 s_ready:1 s_data:8 s_last:1 m_valid:1 m_ready:1 m_class:4 m_error:1 \
         t0_valid:1 t0_eow:1 t0_m:4 t0_index:10 t1_valid:1 t1_eow:1 t1_m:4 t1_index:7"
    );
    let cpp = testbench::harness::cpp_source(&info, false);
    assert!(cpp.contains("#include \"Vttfs_top.h\""));
    assert!(cpp.contains("top->t1_index") && !cpp.contains("top->t2_"));
    assert!(!cpp.contains("LCTTFS_VCD 1"));
    assert!(TopInfo::from_model(&model, false).unwrap().trace.is_empty());
}
