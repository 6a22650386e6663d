//! `EventQueue` against a software queue under random push/pop stalls (seeded): every beat's
//! index, tick, eow and err come out in order.

mod common;

use hdl::harness::Harness;
use hdl::layer::EventQueue;
use rand::Rng;
use rust_hdl::prelude::*;
use std::collections::VecDeque;

fn queue(depth: usize) -> Harness<EventQueue> {
    let mut uut = EventQueue::new(depth);
    uut.clock.connect();
    uut.rst.connect();
    uut.ev_in.valid.connect();
    uut.ev_in.index.connect();
    uut.ev_in.m.connect();
    uut.ev_in.eow.connect();
    uut.ev_in.err.connect();
    uut.ev_out.ready.connect();
    Harness::new(uut, |x| &mut x.clock)
}

/// Beat `n` of a test stream: `(index, m, eow, err)`, every field varied.
fn beat(n: usize) -> (u64, u64, bool, bool) {
    (
        (n as u64 * 40_503 + 7) & 0xffff,
        (n as u64 * 37) & 0xff,
        n % 5 == 4,
        n % 10 == 9,
    )
}

/// Streams `beats` beats through a queue of `depth` with push / pop probabilities; checks the
/// order and occupancy against a model and returns the cycles taken.
fn stream(depth: usize, seed: u64, beats: usize, p_push: f64, p_pop: f64) -> u64 {
    let mut rng = common::rng(seed);
    let mut h = queue(depth);
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    let mut model: VecDeque<(u64, u64, bool, bool)> = VecDeque::new();
    let (mut sent, mut got, mut idle) = (0usize, 0usize, 0u32);
    let start = h.cycles();
    while got < beats {
        assert!(h.cycles() - start < 200_000, "stuck");
        let push = sent < beats && rng.gen_bool(p_push);
        let pop = rng.gen_bool(p_pop);
        let b = beat(sent);
        h.uut.ev_in.valid.next = push;
        h.uut.ev_in.index.next = bits(b.0);
        h.uut.ev_in.m.next = bits(b.1);
        h.uut.ev_in.eow.next = b.2;
        h.uut.ev_in.err.next = b.3;
        h.uut.ev_out.ready.next = pop;
        h.settle();
        // Room for `depth` beats in the RAM and one in the output register.
        assert!(h.uut.ev_in.ready.val() || model.len() >= depth, "ready");
        assert!(model.len() <= depth + 1, "holds at most depth + 1");
        assert!(!h.uut.ev_out.valid.val() || !model.is_empty(), "valid");
        // A beat in the queue is offered within two cycles.
        idle = if !model.is_empty() && !h.uut.ev_out.valid.val() {
            idle + 1
        } else {
            0
        };
        assert!(idle <= 2, "a queued beat waits {idle} cycles");
        if pop && h.uut.ev_out.valid.val() {
            let want = model.pop_front().unwrap();
            let o = &h.uut.ev_out;
            let seen = (
                o.index.val().to_u64(),
                o.m.val().to_u64(),
                o.eow.val(),
                o.err.val(),
            );
            assert_eq!(seen, want, "beat {got}");
            got += 1;
        }
        if push && h.uut.ev_in.ready.val() {
            model.push_back(b);
            sent += 1;
        }
        h.cycle();
    }
    h.cycles() - start
}

#[test]
fn keeps_every_field_in_order_under_random_stalls() {
    for seed in 0..3 {
        stream(4, seed, 400, 0.6, 0.5);
        stream(8, seed + 10, 400, 0.9, 0.3);
        stream(2, seed + 20, 300, 0.3, 0.9);
        // Deep enough to fill only when the consumer stalls long.
        stream(512, seed + 30, 1500, 0.9, 0.2);
    }
}

#[test]
fn passes_a_beat_per_cycle_without_stalls() {
    let cycles = stream(16, 1, 500, 1.0, 1.0);
    // Two cycles from push to offer, then one beat per cycle.
    assert!(cycles <= 503, "{cycles} cycles for 500 beats");
}

#[test]
fn verilog_is_lint_and_synthesis_clean() {
    let q = queue(32);
    let e = common::emit(&q.uut, "event_queue");
    common::verilator_lint_clean(&e);
    common::yosys_clean(&e);
}
