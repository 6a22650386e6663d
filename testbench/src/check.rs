//! Comparison of a harness run with the golden model, and the [`CosimReport`].
//!
//! # Framing model (what the DUT must do with the beat stream)
//!
//! The input beats are cut into *frames* at every beat with `s_last`. A frame of exactly
//! `inputs` beats is a good sample; any other frame (early `s_last`: fewer beats; missing
//! `s_last`: more beats, up to and including the next `s_last`, where the design resynchronises)
//! is a faulty sample. Every frame gets exactly one output beat, in order: a good one the golden
//! class with `m_error = 0`, a faulty one `m_error = 1` (class don't-care). Every traced layer
//! sends, per frame and in frame order, its events sorted by tick `m` and then one eow beat;
//! for a good frame the events must equal the golden [`golden::snn::EventSim::events`] of that
//! layer without the always-on event (compared per neuron, order within a tick free), for a
//! faulty frame only the eow counts.
//!
//! # Resets
//!
//! A reset splits the run into epochs. Frames of an epoch that produced their output (or eow)
//! before the reset are checked; the frames still in flight are dropped ("nothing in flight
//! survives") and must not reappear after the reset, where matching starts again with the first
//! frame sent after it. A trailing frame cut by the reset is dropped too, except that a cut frame
//! that already had more than `inputs` beats without `s_last` may (not must) have produced its
//! error beat. The last epoch must deliver every frame.

use std::ops::Range;

use golden::model::Model;
use golden::snn::EventSim;
use serde::{Deserialize, Serialize};

use crate::result::{OutBeat, RawRun, Status, TraceBeat};
use crate::stimulus::{Beat, Stimulus};
use crate::top::TopInfo;
use crate::CosimError;

/// How many mismatch messages a report keeps (all are counted; a hang or timeout message is
/// always kept, last).
pub const MAX_DETAILS: usize = 20;

/// What one frame (normally: one sample) produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleResult {
    /// Stimulus sample of the frame's first beat.
    pub sample: usize,
    /// Observed class (`None`: no output beat).
    pub class: Option<u64>,
    /// Observed `m_error` (`None`: no output beat).
    pub error: Option<bool>,
    /// Golden class (`None` for a faulty frame: don't-care).
    pub expected_class: Option<usize>,
    /// Expected `m_error` (the framing verdict).
    pub expected_error: bool,
    /// Cut by a reset before its output beat (not an error).
    pub dropped: bool,
    /// Cycle of the output beat.
    pub cycle: Option<u64>,
}

/// The outcome of one co-simulation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CosimReport {
    /// Samples in the stimulus.
    pub samples: usize,
    /// Output-level mismatches: wrong class, wrong `m_error`, missing or extra output beats, a
    /// hang or timeout.
    pub mismatches: usize,
    /// Spike-level mismatches: neurons whose observed tick differs from the golden one (per
    /// sample and layer), malformed trace beats, missing or extra eow beats.
    pub spike_mismatches: usize,
    /// Simulated cycles (initial reset and tail included).
    pub cycles: u64,
    /// Measured throughput: cycles between the first and the last output beat divided by the
    /// number of intervals (pipeline latency excluded); `cycles` when fewer than 2 outputs.
    pub cycles_per_sample: f64,
    /// One entry per frame (= per sample unless a missing `s_last` merged two samples).
    pub per_sample: Vec<SampleResult>,
    /// The first difference, e.g. `sample 3, layer 1, neuron 2: expected tick 6 (m = 2),
    /// observed tick 7 (m = 3) at cycle 812`.
    pub first_mismatch: Option<String>,
    /// The first [`MAX_DETAILS`] mismatch messages.
    pub details: Vec<String>,
    /// How the run ended: `done`, `hang` or `timeout`.
    pub status: Status,
    pub outputs: usize,
    pub trace_beats: usize,
    pub resets: usize,
    /// Frames dropped by resets.
    pub dropped: usize,
    /// Simulation wall time, seconds.
    pub sim_seconds: f64,
    /// Build wall time, seconds (0 when cached).
    pub build_seconds: f64,
    pub build_cached: bool,
}

impl CosimReport {
    /// No mismatch of any kind and the run completed.
    pub fn passed(&self) -> bool {
        self.mismatches == 0 && self.spike_mismatches == 0 && self.status == Status::Done
    }
}

struct Frame {
    sample: usize,
    beats: Range<usize>,
    closed: bool,
}

struct Epoch {
    beats: Range<usize>,
    cycles: Range<u64>,
    last: bool,
}

/// Golden expectation of a good frame.
struct Expected {
    class: usize,
    /// Per traced slot, per neuron: tick `m` inside the window, `None` = silent.
    ticks: Vec<Vec<Option<u64>>>,
}

struct Recorder {
    details: Vec<String>,
    mismatches: usize,
    spikes: usize,
}

impl Recorder {
    fn note(&mut self, msg: String) {
        if self.details.len() < MAX_DETAILS {
            self.details.push(msg);
        }
    }
    fn output(&mut self, msg: String) {
        self.mismatches += 1;
        self.note(msg);
    }
    /// A run-level failure (hang, timeout): always kept, even past [`MAX_DETAILS`].
    fn fatal(&mut self, msg: String) {
        self.mismatches += 1;
        self.details.push(msg);
    }
    fn spike(&mut self, msg: String) {
        self.spikes += 1;
        self.note(msg);
    }
}

fn split_frames(beats: &[Beat], range: Range<usize>, starts: &[usize]) -> Vec<Frame> {
    let sample_of = |b: usize| starts.partition_point(|&s| s <= b).saturating_sub(1);
    let mut frames = Vec::new();
    let mut begin = range.start;
    for b in range.clone() {
        if beats[b].last {
            frames.push(Frame {
                sample: sample_of(begin),
                beats: begin..b + 1,
                closed: true,
            });
            begin = b + 1;
        }
    }
    if begin < range.end {
        frames.push(Frame {
            sample: sample_of(begin),
            beats: begin..range.end,
            closed: false,
        });
    }
    frames
}

fn describe_framing(f: &Frame, n: usize) -> String {
    let len = f.beats.len();
    if !f.closed {
        format!("{len} beats without s_last, cut by a reset")
    } else if len < n {
        format!("{len} beats, early s_last (inputs = {n})")
    } else if len > n {
        format!("{len} beats, s_last missing after beat {n}")
    } else {
        format!("{n} beats, s_last on the last")
    }
}

/// Compares `run` with the golden model for `stim` on the top `info` (derived from `model`).
pub fn check(
    model: &Model,
    info: &TopInfo,
    stim: &Stimulus,
    run: &RawRun,
) -> Result<CosimReport, CosimError> {
    if model.input_len() != info.inputs || model.classes() != info.classes {
        return Err(CosimError::Model(format!(
            "model ({} inputs, {} classes) does not match the top ({} inputs, {} classes)",
            model.input_len(),
            model.classes(),
            info.inputs,
            info.classes
        )));
    }
    stim.validate(info)?;
    // Frames are counted in beats: a good one has `ceil(inputs / input_lanes)`.
    let n = info.beats_per_sample();
    let inputs = info.inputs;
    let t = info.time_steps as u64;
    let (beats, starts) = stim.beats();
    let mut rec = Recorder {
        details: Vec::new(),
        mismatches: 0,
        spikes: 0,
    };

    // Epochs between resets.
    let mut epochs = Vec::new();
    let (mut beat0, mut cycle0) = (0usize, 0u64);
    for r in &run.resets {
        epochs.push(Epoch {
            beats: beat0..r.accepted.clamp(beat0, beats.len()),
            cycles: cycle0..r.cycle,
            last: false,
        });
        beat0 = r.resume.min(beats.len());
        cycle0 = r.cycle;
    }
    epochs.push(Epoch {
        beats: beat0..beats.len(),
        cycles: cycle0..u64::MAX,
        last: true,
    });

    let mut sim = EventSim::new(model);
    // The window of each map (a pool's is its input's), for the absolute ticks in messages.
    let windows = golden::model::windows(model.layers.iter().map(|l| l.kind));
    let mut golden = |frame: &Frame| -> Expected {
        let x: Vec<u32> = beats[frame.beats.clone()]
            .iter()
            .flat_map(|b| stim.unpack(b))
            .take(inputs)
            .collect();
        let trace = sim.trace(&x);
        let ticks = info
            .trace
            .iter()
            .map(|tl| {
                let mut v = vec![None; tl.width];
                for e in sim.events(tl.layer) {
                    if (e.index as usize) < tl.width {
                        v[e.index as usize] = Some(e.m as u64);
                    }
                }
                v
            })
            .collect();
        Expected {
            class: trace.class,
            ticks,
        }
    };

    let mut per_sample = Vec::new();
    let mut dropped = 0usize;
    for epoch in &epochs {
        let frames = split_frames(&beats, epoch.beats.clone(), &starts);
        let in_epoch = |c: u64| epoch.cycles.contains(&c);
        let outs: Vec<&OutBeat> = run.outputs.iter().filter(|o| in_epoch(o.cycle)).collect();
        // Trace beats of this epoch, per traced slot, grouped by eow.
        let mut groups: Vec<Vec<Vec<&TraceBeat>>> = vec![Vec::new(); info.trace.len()];
        let mut pending: Vec<Vec<&TraceBeat>> = vec![Vec::new(); info.trace.len()];
        for tb in run.traces.iter().filter(|tb| in_epoch(tb.cycle)) {
            let Some(slot) = info.trace.iter().position(|tl| tl.layer == tb.layer) else {
                rec.spike(format!(
                    "trace beat of layer {} at cycle {}: the top has no such traced layer",
                    tb.layer, tb.cycle
                ));
                continue;
            };
            if tb.eow {
                let events = std::mem::take(&mut pending[slot]);
                groups[slot].push(events);
            } else {
                pending[slot].push(tb);
            }
        }
        let closed = frames.iter().filter(|f| f.closed).count();
        // A frame cut by the reset after more than `inputs` beats may have produced its beat.
        let maybe = usize::from(
            !epoch.last
                && frames
                    .last()
                    .is_some_and(|f| !f.closed && f.beats.len() >= n),
        );
        let allowed = closed + maybe;

        for (fi, frame) in frames.iter().enumerate() {
            let good = frame.closed && frame.beats.len() == n;
            let expected = good.then(|| golden(frame));
            let k = frame.sample;
            // Spikes, layer by layer.
            if let Some(exp) = &expected {
                for (slot, tl) in info.trace.iter().enumerate() {
                    let Some(group) = groups[slot].get(fi) else {
                        if epoch.last {
                            rec.spike(format!(
                                "sample {k}, layer {}: no eow beat (the layer never finished this sample)",
                                tl.layer
                            ));
                        }
                        continue;
                    };
                    check_group(
                        &mut rec,
                        k,
                        (tl.layer, windows[tl.layer]),
                        t,
                        &exp.ticks[slot],
                        group,
                    );
                }
            } else if epoch.last && frame.closed {
                for (slot, tl) in info.trace.iter().enumerate() {
                    if groups[slot].get(fi).is_none() {
                        rec.spike(format!(
                            "sample {k}, layer {}: no eow beat for this faulty frame (a faulty frame still ends with one eow)",
                            tl.layer
                        ));
                    }
                }
            }
            // The output beat.
            let mut res = SampleResult {
                sample: k,
                class: None,
                error: None,
                expected_class: expected.as_ref().map(|e| e.class),
                expected_error: !good,
                dropped: false,
                cycle: None,
            };
            match outs.get(fi) {
                Some(o) => {
                    res.class = Some(o.class);
                    res.error = Some(o.error);
                    res.cycle = Some(o.cycle);
                    match &expected {
                        Some(exp) => {
                            if o.error {
                                rec.output(format!(
                                    "sample {k}: m_error = 1 but the sample was framed correctly ({}) (output beat at cycle {})",
                                    describe_framing(frame, n),
                                    o.cycle
                                ));
                            } else if o.class != exp.class as u64 {
                                rec.output(format!(
                                    "sample {k}: class expected {}, observed {} (output beat at cycle {})",
                                    exp.class, o.class, o.cycle
                                ));
                            }
                        }
                        None => {
                            if !o.error {
                                rec.output(format!(
                                    "sample {k}: m_error = 0 but the framing was wrong ({}) (output beat at cycle {})",
                                    describe_framing(frame, n),
                                    o.cycle
                                ));
                            }
                        }
                    }
                }
                None if epoch.last => {
                    rec.output(format!(
                        "sample {k}: no output beat (expected {})",
                        match &expected {
                            Some(e) => format!("class {}", e.class),
                            None => "m_error = 1".to_string(),
                        }
                    ));
                }
                None => {
                    res.dropped = true;
                    dropped += 1;
                }
            }
            per_sample.push(res);
        }
        for o in outs.iter().skip(allowed) {
            rec.output(format!(
                "extra output beat at cycle {} (class {}, m_error = {}): only {closed} frame(s) were sent {}",
                o.cycle,
                o.class,
                u8::from(o.error),
                if run.resets.is_empty() { "in all" } else { "in this reset epoch" }
            ));
        }
        for (slot, tl) in info.trace.iter().enumerate() {
            for g in groups[slot].iter().skip(allowed) {
                let at = g.first().map_or(String::new(), |b| {
                    format!(" (events from cycle {})", b.cycle)
                });
                rec.spike(format!(
                    "layer {}: extra eow beat{at}: only {closed} frame(s) were sent {}",
                    tl.layer,
                    if run.resets.is_empty() {
                        "in all"
                    } else {
                        "in this reset epoch"
                    }
                ));
            }
            if epoch.last {
                if let Some(first) = pending[slot].first() {
                    rec.spike(format!(
                        "layer {}: {} event beat(s) after the last eow (first at cycle {}: m = {}, index = {})",
                        tl.layer,
                        pending[slot].len(),
                        first.cycle,
                        first.m,
                        first.index
                    ));
                }
            }
        }
    }
    match run.status {
        Status::Done => {}
        Status::Hang => rec.fatal(format!(
            "hang: watchdog fired after {} cycles without progress, at cycle {} ({} of {} input beats accepted, {} output beats)",
            run.idle,
            run.cycles,
            run.accepted,
            beats.len(),
            run.outputs.len()
        )),
        Status::Timeout => rec.fatal(format!(
            "timeout: max_cycles = {} reached ({} of {} input beats accepted, {} output beats)",
            stim.max_cycles,
            run.accepted,
            beats.len(),
            run.outputs.len()
        )),
    }

    let cycles_per_sample = match (run.outputs.first(), run.outputs.last()) {
        (Some(a), Some(b)) if run.outputs.len() >= 2 => {
            (b.cycle - a.cycle) as f64 / (run.outputs.len() - 1) as f64
        }
        _ => run.cycles as f64,
    };
    Ok(CosimReport {
        samples: stim.samples.len(),
        mismatches: rec.mismatches,
        spike_mismatches: rec.spikes,
        cycles: run.cycles,
        cycles_per_sample,
        per_sample,
        first_mismatch: rec.details.first().cloned(),
        details: rec.details,
        status: run.status,
        outputs: run.outputs.len(),
        trace_beats: run.traces.len(),
        resets: run.resets.len(),
        dropped,
        sim_seconds: run.sim_seconds,
        build_seconds: 0.0,
        build_cached: false,
    })
}

/// Compares one map's events of one good frame with the golden ticks; `(layer, window)`: the
/// map's number and its window.
fn check_group(
    rec: &mut Recorder,
    k: usize,
    (layer, window): (usize, usize),
    t: u64,
    expected: &[Option<u64>],
    group: &[&TraceBeat],
) {
    let width = expected.len();
    let base = window as u64 * t;
    let mut seen: Vec<Option<&TraceBeat>> = vec![None; width];
    let mut last_m = 0u64;
    for b in group {
        if b.m >= t {
            rec.spike(format!(
                "sample {k}, layer {layer}, neuron {}: tick m = {} outside the window 0..{t} (cycle {})",
                b.index, b.m, b.cycle
            ));
            continue;
        }
        if b.index as usize >= width {
            rec.spike(format!(
                "sample {k}, layer {layer}: event for neuron {} but the layer has {width} neurons (cycle {})",
                b.index, b.cycle
            ));
            continue;
        }
        if b.m < last_m {
            rec.spike(format!(
                "sample {k}, layer {layer}: events out of tick order: m = {last_m} then m = {} (neuron {}, cycle {})",
                b.m, b.index, b.cycle
            ));
        }
        last_m = last_m.max(b.m);
        let i = b.index as usize;
        if let Some(prev) = seen[i] {
            rec.spike(format!(
                "sample {k}, layer {layer}, neuron {i}: fired twice (m = {} at cycle {}, m = {} at cycle {})",
                prev.m, prev.cycle, b.m, b.cycle
            ));
            continue;
        }
        seen[i] = Some(b);
    }
    let tick = |m: u64| format!("tick {} (m = {m})", base + m);
    for (i, (exp, obs)) in expected.iter().zip(&seen).enumerate() {
        let obs_m = obs.map(|b| b.m);
        if *exp == obs_m {
            continue;
        }
        let expected_text = match exp {
            Some(m) => format!("expected {}", tick(*m)),
            None => "expected no spike (silent, q = 0)".to_string(),
        };
        let observed_text = match obs {
            Some(b) => format!("observed {} at cycle {}", tick(b.m), b.cycle),
            None => "observed no spike".to_string(),
        };
        rec.spike(format!(
            "sample {k}, layer {layer}, neuron {i}: {expected_text}, {observed_text}"
        ));
    }
}
