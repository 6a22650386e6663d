//! `LinkFramer` in rust-hdl's simulator: link frames (`hdl::board::link`) of random samples
//! become the beats `{last, x}` that `LinkFormat::decode_frame` gives, with one verdict per
//! header; bad frames (check mismatch, truncated, overflowing buffer) give bad verdicts and a
//! closed sample; the next header resynchronises.

mod common;

use golden::model::Model;
use golden::testkit::small_weight_model;
use hdl::board::link::{LinkFormat, HEADER};
use hdl::board::LinkFramer;
use hdl::harness::Harness;
use rand::Rng;
use rust_hdl::prelude::*;

struct Out {
    /// Beats taken: `(last, x)`.
    beats: Vec<(bool, u32)>,
    /// Verdicts: `true` = bad.
    verdicts: Vec<bool>,
    dropped: usize,
}

/// Feeds `bytes` one every `gap` cycles; `ready(cycle)` is `beat_ready`.
fn run(format: &LinkFormat, bytes: &[u8], gap: usize, ready: impl Fn(usize) -> bool) -> Out {
    let mut uut = LinkFramer::new(format);
    uut.clock.connect();
    uut.rst.connect();
    uut.rx_valid.connect();
    uut.rx_data.connect();
    uut.beat_ready.connect();
    uut.connect_all();
    let mut h = Harness::new(uut, |x| &mut x.clock);
    let mut out = Out {
        beats: vec![],
        verdicts: vec![],
        dropped: 0,
    };
    h.uut.rst.next = true;
    h.settle();
    h.cycle();
    h.uut.rst.next = false;
    let total = bytes.len() * gap + 40;
    for c in 0..total {
        let byte = (c % gap == 0).then(|| bytes.get(c / gap)).flatten();
        h.uut.rx_valid.next = byte.is_some();
        h.uut.rx_data.next = bits(*byte.unwrap_or(&0) as u64);
        h.uut.beat_ready.next = ready(c);
        h.settle();
        if h.uut.beat_valid.val() && h.uut.beat_ready.val() {
            let b = h.uut.beat.val().index() as u32;
            out.beats.push((b & 0x100 != 0, b & 0xff));
        }
        if h.uut.verdict_valid.val() {
            out.verdicts.push(h.uut.verdict_bad.val());
        }
        out.dropped += h.uut.dropped.val() as usize;
        h.cycle();
    }
    out
}

fn model(seed: u64, inputs: usize, time_steps: u32, input_bits: u32) -> Model {
    let mut rng = common::rng(seed);
    small_weight_model(&mut rng, &[inputs, 3], time_steps, input_bits, "potential")
}

fn samples(seed: u64, f: &LinkFormat, n: usize) -> Vec<Vec<u32>> {
    let mut rng = common::rng(seed);
    let max = (1u32 << f.input_bits) - 1;
    (0..n)
        .map(|_| (0..f.inputs).map(|_| rng.gen_range(0..=max)).collect())
        .collect()
}

/// The beats a well-formed frame must give.
fn want_beats(f: &LinkFormat, frame: &[u8]) -> Vec<(bool, u32)> {
    let x = f.decode_frame(frame).expect("well-formed");
    let n = x.len();
    x.into_iter()
        .enumerate()
        .map(|(k, v)| (k + 1 == n, v))
        .collect()
}

#[test]
fn good_frames_become_the_decoded_inputs_with_last_on_each_sample() {
    // (inputs, T, input_bits): levels of 3, 5 bits; raw 4-bit values (T ≥ 2^b); 1 input.
    for (seed, inputs, t, b) in [
        (1u64, 9usize, 4u32, 4u32),
        (2, 13, 16, 8),
        (3, 6, 32, 4),
        (4, 1, 8, 8),
    ] {
        let f = LinkFormat::of_model(&model(seed, inputs, t, b));
        let xs = samples(seed + 10, &f, 5);
        let frames: Vec<Vec<u8>> = xs.iter().map(|x| f.encode_frame(x)).collect();
        let want: Vec<(bool, u32)> = frames.iter().flat_map(|fr| want_beats(&f, fr)).collect();
        for (gap, stall) in [(10usize, false), (13, true)] {
            let out = run(&f, &frames.concat(), gap, |c| !stall || c % 3 != 0);
            assert_eq!(out.beats, want, "{f:?} gap {gap} stall {stall}");
            assert_eq!(out.verdicts, vec![false; 5], "{f:?}");
            assert_eq!(out.dropped, 0);
        }
    }
}

#[test]
fn bad_frames_get_bad_verdicts_and_a_closed_sample() {
    let f = LinkFormat::of_model(&model(5, 9, 4, 4));
    assert_eq!((f.value_bits(), f.payload_bytes()), (3, 4));
    let xs = samples(6, &f, 6);
    let fr = |i: usize| f.encode_frame(&xs[i]);
    let mut bytes = vec![0x21];
    bytes.extend(fr(0));
    let mut flipped = fr(1);
    flipped[3] ^= 0x10;
    bytes.extend(flipped);
    bytes.extend(&fr(2)[..3]); // header + 2 payload bytes: 4 values
    bytes.extend(&fr(3)[..5]); // no check byte: every value in
    bytes.push(HEADER); // a lone header
    bytes.extend(fr(5));
    let out = run(&f, &bytes, 10, |_| true);
    assert_eq!(out.verdicts, [false, true, true, true, true, false]);
    assert_eq!(out.dropped, 1, "the stray byte");
    // Samples, split at `last`.
    let mut samples: Vec<Vec<u32>> = vec![vec![]];
    for &(last, x) in &out.beats {
        samples.last_mut().unwrap().push(x);
        if last {
            samples.push(vec![]);
        }
    }
    samples.pop();
    assert_eq!(samples.len(), 6, "{samples:?}");
    let decoded = |i: usize| f.decode_frame(&fr(i)).unwrap();
    assert_eq!(samples[0], decoded(0));
    assert_eq!(
        samples[1].len(),
        9,
        "a check mismatch still delivers a whole sample"
    );
    assert_eq!(samples[2].len(), 5, "4 values and a filler with last");
    assert_eq!(samples[2][..4], decoded(2)[..4]);
    assert_eq!(samples[3], decoded(3), "the sample was complete");
    assert_eq!(samples[4], vec![0], "a lone header: one filler with last");
    assert_eq!(samples[5], decoded(5));
}

#[test]
fn a_stalled_consumer_overflows_the_buffer_and_loses_only_that_frame() {
    let f = LinkFormat::of_model(&model(7, 9, 4, 4));
    let xs = samples(8, &f, 2);
    let bytes = [f.encode_frame(&xs[0]), f.encode_frame(&xs[1])].concat();
    // No beat taken during the first frame's payload.
    let out = run(&f, &bytes, 10, |c| c >= 55);
    assert_eq!(out.verdicts, [true, false]);
    assert!(out.dropped >= 1);
    let last = out.beats.iter().rposition(|b| b.0).unwrap();
    let first_end = out.beats.iter().position(|b| b.0).unwrap();
    assert_eq!(
        out.beats[first_end + 1..=last],
        want_beats(&f, &f.encode_frame(&xs[1]))[..]
    );
}
