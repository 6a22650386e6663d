//! The blocks of the wide input path (issue 15) in rust-hdl's simulator, seeded: `TickMerge`
//! keeps two tick-sorted streams sorted and loses nothing, `EventPairer` hands on every beat
//! once, in order, `BankIndex` maps a bank's index back to the sample's, and `BeatQueue`
//! behind a registered `s_ready` neither overflows nor slows a bank that keeps up.

mod common;

use hdl::encoder::{BankIndex, BeatQueue, TickMerge};
use hdl::harness::Harness;
use hdl::layer::EventPairer;
use rand::Rng;
use rust_hdl::prelude::*;
use std::collections::VecDeque;

/// A beat: `(index, m, eow, err)`.
type Beat = (u64, u64, bool, bool);

/// `samples` samples of one stream: events in non-decreasing tick order, then an eow.
fn sorted_stream(rng: &mut impl Rng, samples: usize, tag: u64) -> Vec<Beat> {
    let mut out = vec![];
    for s in 0..samples {
        let n = rng.gen_range(0..6);
        let mut ticks: Vec<u64> = (0..n).map(|_| rng.gen_range(0..16)).collect();
        ticks.sort();
        for (i, m) in ticks.into_iter().enumerate() {
            out.push((tag * 1000 + s as u64 * 10 + i as u64, m, false, false));
        }
        out.push((0, 0, true, rng.gen_bool(0.3)));
    }
    out
}

fn merge() -> Harness<TickMerge> {
    let mut uut = TickMerge::new();
    uut.clock.connect();
    uut.rst.connect();
    for s in [&mut uut.a, &mut uut.b] {
        s.valid.connect();
        s.index.connect();
        s.m.connect();
        s.eow.connect();
        s.err.connect();
    }
    uut.ev_out.ready.connect();
    Harness::new(uut, |x| &mut x.clock)
}

/// Runs two streams through a merge under random stalls; returns what came out.
fn run_merge(seed: u64, a: &[Beat], b: &[Beat], p_in: f64, p_out: f64) -> Vec<Beat> {
    let mut rng = common::rng(seed);
    let mut h = merge();
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    let (mut ia, mut ib, mut out) = (0, 0, vec![]);
    let samples = a.iter().filter(|x| x.2).count();
    while out.iter().filter(|x: &&Beat| x.2).count() < samples {
        assert!(h.cycles() < 100_000, "stuck");
        let (va, vb) = (
            ia < a.len() && rng.gen_bool(p_in),
            ib < b.len() && rng.gen_bool(p_in),
        );
        let (ba, bb) = (a[ia.min(a.len() - 1)], b[ib.min(b.len() - 1)]);
        for (s, v, x) in [(&mut h.uut.a, va, ba), (&mut h.uut.b, vb, bb)] {
            s.valid.next = v;
            s.index.next = bits(x.0);
            s.m.next = bits(x.1);
            s.eow.next = x.2;
            s.err.next = x.3;
        }
        let ready = rng.gen_bool(p_out);
        h.uut.ev_out.ready.next = ready;
        h.settle();
        if ready && h.uut.ev_out.valid.val() {
            let o = &h.uut.ev_out;
            out.push((
                o.index.val().to_u64(),
                o.m.val().to_u64(),
                o.eow.val(),
                o.err.val(),
            ));
        }
        ia += usize::from(va && h.uut.a.ready.val());
        ib += usize::from(vb && h.uut.b.ready.val());
        h.cycle();
    }
    out
}

#[test]
fn tick_merge_keeps_ticks_in_order_and_every_event_once_under_stalls() {
    for seed in 0..6 {
        let mut rng = common::rng(seed);
        let (a, b) = (
            sorted_stream(&mut rng, 30, 1),
            sorted_stream(&mut rng, 30, 2),
        );
        let out = run_merge(seed, &a, &b, 0.7, 0.6);
        // Per sample: the events of both inputs (as a multiset), ticks non-decreasing, then
        // one eow whose err is either input's.
        let split =
            |s: &[Beat]| -> Vec<Vec<Beat>> { s.split(|x| x.2).map(|v| v.to_vec()).collect() };
        let (sa, sb, so) = (split(&a), split(&b), split(&out));
        let errs = |s: &[Beat]| s.iter().filter(|x| x.2).map(|x| x.3).collect::<Vec<_>>();
        let (ea, eb, eo) = (errs(&a), errs(&b), errs(&out));
        for k in 0..30 {
            let mut want: Vec<Beat> = sa[k].iter().chain(&sb[k]).copied().collect();
            let mut got = so[k].clone();
            assert!(
                got.windows(2).all(|w| w[0].1 <= w[1].1),
                "seed {seed} sample {k}: ticks out of order {got:?}"
            );
            want.sort();
            got.sort();
            assert_eq!(got, want, "seed {seed} sample {k}");
            assert_eq!(eo[k], ea[k] || eb[k], "seed {seed} sample {k}: err");
        }
    }
}

#[test]
fn tick_merge_loses_nothing_when_both_streams_always_offer() {
    // Both inputs always offer and the output always takes: every event of both comes out,
    // and one eow per sample (the two inputs' eows become one).
    let mut rng = common::rng(9);
    let (a, b) = (
        sorted_stream(&mut rng, 30, 1),
        sorted_stream(&mut rng, 30, 2),
    );
    let beats = a.len() + b.len() - 30;
    let out = run_merge(9, &a, &b, 1.0, 1.0);
    assert_eq!(out.len(), beats);
}

fn pairer() -> Harness<EventPairer> {
    let mut uut = EventPairer::default();
    uut.clock.connect();
    uut.rst.connect();
    uut.ev_in.valid.connect();
    uut.ev_in.index.connect();
    uut.ev_in.m.connect();
    uut.ev_in.eow.connect();
    uut.ev_in.err.connect();
    uut.ev_out.ready.connect();
    uut.take2.connect();
    Harness::new(uut, |x| &mut x.clock)
}

#[test]
fn event_pairer_hands_on_every_beat_once_in_order_and_never_pairs_an_eow() {
    for seed in 0..4 {
        let mut rng = common::rng(seed + 40);
        let stream = sorted_stream(&mut rng, 40, 3);
        let mut h = pairer();
        h.uut.rst.next = true;
        h.cycle();
        h.uut.rst.next = false;
        let (mut sent, mut got) = (0usize, VecDeque::new());
        let mut pairs = 0;
        while got.len() < stream.len() {
            assert!(h.cycles() < 50_000, "stuck");
            let v = sent < stream.len() && rng.gen_bool(0.8);
            let b = stream[sent.min(stream.len() - 1)];
            h.uut.ev_in.valid.next = v;
            h.uut.ev_in.index.next = bits(b.0);
            h.uut.ev_in.m.next = bits(b.1);
            h.uut.ev_in.eow.next = b.2;
            h.uut.ev_in.err.next = b.3;
            let (ready, take2) = (rng.gen_bool(0.5), rng.gen_bool(0.7));
            h.uut.ev_out.ready.next = ready;
            h.uut.take2.next = take2;
            h.settle();
            let o = &h.uut.ev_out;
            if ready && o.valid.val() {
                got.push_back((
                    o.index.val().to_u64(),
                    o.m.val().to_u64(),
                    o.eow.val(),
                    o.err.val(),
                ));
                if h.uut.two.val() {
                    assert!(!o.eow.val(), "an eow is never paired");
                    if take2 {
                        pairs += 1;
                        got.push_back((
                            h.uut.index2.val().to_u64(),
                            h.uut.m2.val().to_u64(),
                            false,
                            false,
                        ));
                    }
                }
            }
            sent += usize::from(v && h.uut.ev_in.ready.val());
            h.cycle();
        }
        assert_eq!(Vec::from(got), stream, "seed {seed}");
        assert!(pairs > 0, "seed {seed}: some pairs formed");
    }
}

#[test]
fn bank_index_maps_a_banks_index_to_the_samples() {
    // Bank k of K holds features j = i·K + k.
    for (banks, bank) in [(2usize, 1usize), (3, 2), (7, 0), (8, 5), (64, 63)] {
        let mut uut = BankIndex::new(banks, bank);
        uut.ev_in.valid.connect();
        uut.ev_in.index.connect();
        uut.ev_in.m.connect();
        uut.ev_in.eow.connect();
        uut.ev_in.err.connect();
        uut.ev_out.ready.connect();
        uut.connect_all();
        for i in [0u64, 1, 5, 97, 1000 / banks as u64] {
            uut.ev_in.index.next = bits(i);
            hdl::harness::settle(&mut uut);
            assert_eq!(
                uut.ev_out.index.val().to_u64(),
                i * banks as u64 + bank as u64,
                "bank {bank} of {banks}, i = {i}"
            );
        }
    }
}

fn beat_queue() -> Harness<BeatQueue> {
    let mut uut = BeatQueue::default();
    uut.clock.connect();
    uut.rst.connect();
    uut.push.connect();
    uut.data.connect();
    uut.last.connect();
    uut.m_ready.connect();
    Harness::new(uut, |x| &mut x.clock)
}

/// Offers `beats` slots `(x, last)` through a queue the way the core does: a beat is pushed
/// when the port offers it (`p_in`) and the registered ready, `room` of the cycle before, is
/// high; the bank takes the head with `p_out`. Returns what the bank took and the cycles.
fn run_beat_queue(
    seed: u64,
    beats: &[(u64, bool)],
    p_in: f64,
    p_out: f64,
) -> (Vec<(u64, bool)>, u64) {
    let mut rng = common::rng(seed);
    let mut h = beat_queue();
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    let (mut sent, mut got, mut ready_r, mut queued) = (0, vec![], false, 0usize);
    while got.len() < beats.len() {
        assert!(h.cycles() < 100_000, "stuck");
        let push = sent < beats.len() && ready_r && rng.gen_bool(p_in);
        let (x, last) = beats[sent.min(beats.len() - 1)];
        h.uut.push.next = push;
        h.uut.data.next = bits(x);
        h.uut.last.next = last;
        let take = rng.gen_bool(p_out);
        h.uut.m_ready.next = take;
        h.settle();
        let pop = take && h.uut.m_valid.val();
        if pop {
            got.push((h.uut.m_data.val().to_u64(), h.uut.m_last.val()));
        }
        ready_r = h.uut.room.val();
        sent += usize::from(push);
        queued = queued + usize::from(push) - usize::from(pop);
        // Four entries: the registered ready may push twice after the last `room`.
        assert!(
            queued <= 4,
            "seed {seed}: {queued} slots queued in a queue of 4"
        );
        h.cycle();
    }
    (got, h.cycles())
}

#[test]
fn beat_queue_keeps_every_slot_in_order_and_never_overflows_behind_a_registered_ready() {
    for seed in 0..6 {
        let mut rng = common::rng(seed + 60);
        let beats: Vec<(u64, bool)> = (0..400)
            .map(|_| (rng.gen_range(0..65_536), rng.gen_bool(0.1)))
            .collect();
        let (got, _) = run_beat_queue(seed, &beats, 0.8, 0.4);
        assert_eq!(got, beats, "seed {seed}");
    }
}

#[test]
fn beat_queue_passes_a_beat_per_cycle_when_the_bank_keeps_up() {
    // Offered and taken every cycle: 300 beats in 300 cycles plus the reset, the first
    // cycle (the registered ready starts low) and the queue's one cycle of latency.
    let beats: Vec<(u64, bool)> = (0..300).map(|i| (i, i % 98 == 97)).collect();
    let (got, cycles) = run_beat_queue(7, &beats, 1.0, 1.0);
    assert_eq!(got, beats);
    assert!(cycles <= 300 + 4, "{cycles} cycles for 300 beats");
}

#[test]
fn verilog_of_the_merge_and_the_pairer_is_lint_and_synthesis_clean() {
    let m = merge();
    let e = common::emit(&m.uut, "tick_merge");
    common::verilator_lint_clean(&e);
    common::yosys_clean(&e);
    let p = pairer();
    let e = common::emit(&p.uut, "event_pairer");
    common::verilator_lint_clean(&e);
    common::yosys_clean(&e);
    let q = beat_queue();
    let e = common::emit(&q.uut, "beat_queue");
    common::verilator_lint_clean(&e);
    common::yosys_clean(&e);
}
