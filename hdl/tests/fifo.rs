//! `Fifo` against a software queue under random push/pop stalls (seeded).

mod common;

use hdl::harness::Harness;
use hdl::prim::Fifo;
use rand::Rng;
use rust_hdl::prelude::*;
use std::collections::VecDeque;

fn fifo<const N: usize>() -> Harness<Fifo<Bits<8>, N>> {
    let mut uut = Fifo::<Bits<8>, N>::new();
    uut.clock.connect();
    uut.rst.connect();
    uut.s_valid.connect();
    uut.s_data.connect();
    uut.m_ready.connect();
    Harness::new(uut, |x| &mut x.clock)
}

/// Pushes `words` with push probability `p_push` and pop probability `p_pop`; checks order,
/// occupancy (`s_ready`/`m_valid` match the model) and returns the cycles taken.
fn stream<const N: usize>(seed: u64, words: usize, p_push: f64, p_pop: f64) -> u64 {
    let mut rng = common::rng(seed);
    let mut h = fifo::<N>();
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    let mut model: VecDeque<u64> = VecDeque::new();
    let (mut sent, mut got) = (0usize, 0usize);
    let start = h.cycles();
    while got < words {
        assert!(h.cycles() - start < 100_000, "stuck");
        let push = sent < words && rng.gen_bool(p_push);
        let pop = rng.gen_bool(p_pop);
        let word = (sent as u64 * 37 + 11) & 0xff;
        h.uut.s_valid.next = push;
        h.uut.s_data.next = if push { bits(word) } else { bits(0xa5) };
        h.uut.m_ready.next = pop;
        h.settle();
        assert_eq!(h.uut.s_ready.val(), model.len() < 1 << N, "s_ready");
        assert_eq!(h.uut.m_valid.val(), !model.is_empty(), "m_valid");
        if pop && h.uut.m_valid.val() {
            let want = model.pop_front().unwrap();
            assert_eq!(h.uut.m_data.val().to_u64(), want, "word {got}");
            got += 1;
        }
        if push && h.uut.s_ready.val() {
            model.push_back(word);
            sent += 1;
        }
        h.cycle();
    }
    h.cycles() - start
}

#[test]
fn keeps_order_under_random_stalls() {
    for seed in 0..4 {
        stream::<2>(seed, 400, 0.6, 0.5);
        stream::<3>(seed + 10, 400, 0.9, 0.3);
        stream::<1>(seed + 20, 300, 0.3, 0.9);
    }
}

#[test]
fn full_throughput_without_stalls() {
    let cycles = stream::<2>(1, 500, 1.0, 1.0);
    assert!(cycles <= 502, "{cycles} cycles for 500 words");
}

#[test]
fn reset_empties_the_queue() {
    let mut h = fifo::<2>();
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    h.uut.s_valid.next = true;
    h.uut.s_data.next = bits(7);
    h.uut.m_ready.next = false;
    for _ in 0..6 {
        h.cycle();
    }
    assert!(!h.uut.s_ready.val(), "4 words: full");
    h.uut.s_valid.next = false;
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    h.settle();
    assert!(!h.uut.m_valid.val() && h.uut.s_ready.val());
}

#[test]
fn verilog_is_lint_and_synthesis_clean() {
    let f = fifo::<3>();
    let e = common::emit(&f.uut, "fifo");
    common::verilator_lint_clean(&e);
    common::yosys_clean(&e);
}
