//! `BeatSplitter` (DESIGN §4 revision 2: `input_lanes` features per beat) in rust-hdl's
//! simulator: every feature of every beat, in order, with `last` where the frame ends; the
//! padding of a whole sample's last beat dropped; faulty frames passed whole; random stalls on
//! both sides; and the emitted Verilog lint-clean.

mod common;

use hdl::encoder::BeatSplitter;
use hdl::harness::Harness;
use hdl::stream::ConnectInputs;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_hdl::prelude::*;
use std::collections::VecDeque;

fn splitter(lanes: usize, b: usize, n: usize) -> Harness<BeatSplitter> {
    let mut uut = BeatSplitter::new(lanes, b, n);
    uut.clock.connect();
    uut.rst.connect();
    uut.s.connect_inputs();
    uut.m.ready.connect();
    Harness::new(uut, |x| &mut x.clock)
}

/// Streams `beats` (`(packed slots, s_last)`) under random stalls; returns the features
/// handed on (`(x, last)`) and the cycles taken.
fn run(
    h: &mut Harness<BeatSplitter>,
    beats: &[(u64, bool)],
    want: usize,
    rng: &mut StdRng,
    p: f64,
) -> (Vec<(u64, bool)>, usize) {
    let mut input: VecDeque<(u64, bool)> = beats.iter().copied().collect();
    let mut out = vec![];
    let mut cycles = 0;
    while out.len() < want {
        cycles += 1;
        assert!(cycles < 100_000, "stuck after {} features", out.len());
        let offer = !input.is_empty() && rng.gen_bool(p);
        let (x, last) = input.front().copied().unwrap_or((0, false));
        h.uut.s.valid.next = offer;
        h.uut.s.data.next = bits(if offer { x } else { 0x5a5a_5a5a });
        h.uut.s.last.next = offer && last;
        let ready = rng.gen_bool(p);
        h.uut.m.ready.next = ready;
        h.settle();
        if offer && h.uut.s.ready.val() {
            input.pop_front();
        }
        if ready && h.uut.m.valid.val() {
            out.push((h.uut.m.data.val().to_u64(), h.uut.m.last.val()));
        }
        h.cycle();
    }
    // Nothing more comes out.
    for _ in 0..20 {
        h.uut.s.valid.next = false;
        h.uut.m.ready.next = true;
        h.settle();
        assert!(!h.uut.m.valid.val(), "an extra feature");
        h.cycle();
    }
    (out, cycles)
}

/// Packs `values` `lanes` per beat (`b` bits each), `s_last` on the last beat when `close`.
fn pack(values: &[u64], lanes: usize, b: usize, close: bool) -> Vec<(u64, bool)> {
    let chunks: Vec<&[u64]> = values.chunks(lanes).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let word = c
                .iter()
                .enumerate()
                .fold(0u64, |acc, (k, &v)| acc | (v << (k * b)));
            (word, close && i + 1 == chunks.len())
        })
        .collect()
}

#[test]
fn passes_every_feature_in_order_and_drops_the_last_beats_padding() {
    let mut rng = StdRng::seed_from_u64(7);
    // (lanes, bits, inputs): dividing and not, 64-bit beats, the smallest case.
    for (lanes, b, n) in [
        (4, 8, 12),
        (3, 8, 10),
        (8, 8, 17),
        (16, 4, 33),
        (2, 1, 2),
        (5, 12, 7),
    ] {
        let mut h = splitter(lanes, b, n);
        h.uut.rst.next = true;
        h.cycle();
        h.uut.rst.next = false;
        let max = (1u64 << b) - 1;
        let samples: Vec<Vec<u64>> = (0..5)
            .map(|_| (0..n).map(|_| rng.gen_range(0..=max)).collect())
            .collect();
        let mut beats = vec![];
        for s in &samples {
            let mut padded = s.clone();
            // Garbage in the padding slots: they must not come out.
            while padded.len() % lanes != 0 {
                padded.push(max);
            }
            beats.extend(pack(&padded, lanes, b, true));
        }
        let (out, _) = run(&mut h, &beats, 5 * n, &mut rng, 0.7);
        let want: Vec<(u64, bool)> = samples
            .iter()
            .flat_map(|s| s.iter().enumerate().map(|(i, &x)| (x, i + 1 == n)))
            .collect();
        assert_eq!(out, want, "lanes {lanes}, bits {b}, inputs {n}");
    }
}

#[test]
fn faulty_frames_pass_whole_beats_and_the_next_sample_is_clean() {
    // 10 inputs, 4 per beat: 3 beats a sample. An early s_last (beat 2 of 3) and a missing
    // one (a 4th beat) pass all 4 slots of every beat, so the encoder sees 8 and 16 features
    // and flags both frames; the sample after each is exact.
    let (lanes, b, n) = (4, 8, 10);
    let mut rng = StdRng::seed_from_u64(3);
    let mut h = splitter(lanes, b, n);
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    let good: Vec<u64> = (1..=10).collect();
    let mut padded = good.clone();
    padded.extend([0xee, 0xee]);
    let mut beats = pack(&padded[..8], lanes, b, true); // early: 2 beats
    beats.extend(pack(&padded, lanes, b, true));
    let mut long = padded.clone();
    long.extend([21, 22, 23, 24]);
    beats.extend(pack(&long, lanes, b, true)); // missing: 4 beats
    beats.extend(pack(&padded, lanes, b, true));
    let (out, _) = run(&mut h, &beats, 8 + 10 + 16 + 10, &mut rng, 0.8);
    let mut want: Vec<(u64, bool)> = (1..=8).map(|x| (x, x == 8)).collect();
    want.extend(good.iter().map(|&x| (x, x == 10)));
    want.extend(long.iter().enumerate().map(|(i, &x)| (x, i == 15)));
    want.extend(good.iter().map(|&x| (x, x == 10)));
    assert_eq!(out, want);
}

#[test]
fn an_unstalled_stream_moves_one_feature_per_cycle() {
    // 3 samples of 12 features, 4 per beat: 36 features; the first leaves one cycle after its
    // beat was taken, then one per cycle without a bubble between beats.
    let mut rng = StdRng::seed_from_u64(1);
    let mut h = splitter(4, 8, 12);
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    let values: Vec<u64> = (0..36).map(|i| i % 200).collect();
    let beats: Vec<(u64, bool)> = values
        .chunks(12)
        .flat_map(|s| pack(s, 4, 8, true))
        .collect();
    let (out, cycles) = run(&mut h, &beats, 36, &mut rng, 1.0);
    assert_eq!(out.len(), 36);
    assert_eq!(
        cycles, 37,
        "one cycle of latency, then 36 features back to back"
    );
}

#[test]
fn splitter_verilog_is_lint_clean() {
    let mut uut = BeatSplitter::new(3, 8, 10);
    uut.connect_inputs();
    let e = common::emit(&uut, "beat_splitter");
    common::verilator_lint_clean(&e);
}
