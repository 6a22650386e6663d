//! `Argmax` in rust-hdl's simulator against an integer reference (lowest index on ties).

mod common;

use hdl::readout::Argmax;
use rand::Rng;
use rust_hdl::prelude::*;

/// Reference: index of the maximum, the lowest one on ties, and the maximum.
fn argmax_ref(values: &[i64]) -> (u64, i64) {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    (best as u64, values[best])
}

fn argmax<const W: usize, const IW: usize>() -> Argmax<W, IW> {
    let mut uut = Argmax::<W, IW>::new();
    uut.clock.connect();
    uut.rst.connect();
    uut.valid.connect();
    uut.value.connect();
    uut.last.connect();
    uut.connect_all();
    uut
}

/// Streams `sequences` (each element preceded by `gaps[k]` idle cycles, cycling through
/// `gaps`) and checks `done`, `index` and `max` after each `last` beat, and that `done` is
/// low everywhere else.
fn check_sequences<const W: usize, const IW: usize>(sequences: Vec<Vec<i64>>, gaps: Vec<usize>) {
    let beats: usize = sequences.iter().map(|s| s.len()).sum();
    let cycles = (beats * (1 + gaps.iter().max().copied().unwrap_or(0)) + 10) as u64;
    common::run(
        argmax::<W, IW>(),
        |x| x.clock.next = !x.clock.val(),
        cycles,
        move |mut sim: Sim<Argmax<W, IW>>| {
            let mut x = sim.init()?;
            x.rst.next = true;
            wait_clock_cycle!(sim, clock, x);
            x.rst.next = false;
            let mut gap = gaps.iter().cycle();
            for seq in &sequences {
                for (i, &v) in seq.iter().enumerate() {
                    for _ in 0..*gap.next().unwrap() {
                        x.valid.next = false;
                        x.value.next = signed::<W>(-1); // garbage while idle
                        x.last.next = true;
                        wait_clock_cycle!(sim, clock, x);
                        assert!(!x.done.val(), "done while idle");
                    }
                    x.valid.next = true;
                    x.value.next = signed::<W>(v);
                    x.last.next = i + 1 == seq.len();
                    wait_clock_cycle!(sim, clock, x);
                    if i + 1 == seq.len() {
                        let (index, max) = argmax_ref(seq);
                        assert!(x.done.val(), "{seq:?}: no done");
                        assert_eq!(x.index.val().to_u64(), index, "{seq:?}: index");
                        assert_eq!(x.max.val().bigint(), max.into(), "{seq:?}: max");
                    } else {
                        assert!(!x.done.val(), "{seq:?}: early done");
                    }
                }
            }
            x.valid.next = false;
            wait_clock_cycle!(sim, clock, x);
            assert!(!x.done.val(), "done must be a single-cycle pulse");
            sim.done(x)
        },
    );
}

#[test]
fn picks_lowest_index_on_ties() {
    check_sequences::<8, 4>(
        vec![
            vec![3, 3, 3],
            vec![1, 5, 5, 2],
            vec![-4, -4],
            vec![0, 7, 1, 7, 7],
        ],
        vec![0],
    );
}

#[test]
fn single_element_sequence_is_its_own_argmax() {
    check_sequences::<8, 4>(vec![vec![-128], vec![127], vec![0]], vec![0, 2]);
}

#[test]
fn handles_extreme_values_of_the_signed_range() {
    check_sequences::<8, 3>(
        vec![
            vec![-128, -127, -128],
            vec![127, -128, 127],
            vec![-128, -128, -128, -128, -128, -128, -128, -127],
        ],
        vec![0],
    );
}

#[test]
fn matches_reference_for_every_sequence_of_three_3bit_values() {
    let vals: Vec<i64> = (-4..4).collect();
    let mut seqs = vec![];
    for &a in &vals {
        for &b in &vals {
            for &c in &vals {
                seqs.push(vec![a, b, c]);
            }
        }
    }
    check_sequences::<3, 2>(seqs, vec![0]);
}

#[test]
fn matches_reference_for_random_sequences_with_idle_gaps() {
    let mut rng = common::rng(3);
    // Narrow value range: many ties. Sequence lengths up to the full 2^IW.
    let seqs: Vec<Vec<i64>> = (0..150)
        .map(|_| {
            let n = rng.gen_range(1..=16);
            (0..n).map(|_| rng.gen_range(-3..=3)).collect()
        })
        .collect();
    check_sequences::<6, 4>(seqs, vec![0, 0, 1, 0, 3, 0, 0, 2]);
    let seqs: Vec<Vec<i64>> = (0..60)
        .map(|_| {
            let n = rng.gen_range(1..=10);
            (0..n)
                .map(|_| rng.gen_range(-(1i64 << 19)..(1i64 << 19)))
                .collect()
        })
        .collect();
    check_sequences::<20, 4>(seqs, vec![0]);
}

#[test]
fn reset_drops_a_partial_sequence() {
    common::run(
        argmax::<8, 4>(),
        |x| x.clock.next = !x.clock.val(),
        20,
        move |mut sim: Sim<Argmax<8, 4>>| {
            let mut x = sim.init()?;
            x.rst.next = true;
            wait_clock_cycle!(sim, clock, x);
            x.rst.next = false;
            x.valid.next = true;
            x.value.next = signed::<8>(100); // partial sequence: [100, 50]
            wait_clock_cycle!(sim, clock, x);
            x.value.next = signed::<8>(50);
            wait_clock_cycle!(sim, clock, x);
            x.valid.next = false;
            x.rst.next = true;
            wait_clock_cycle!(sim, clock, x);
            x.rst.next = false;
            assert_eq!(x.index.val().to_u64(), 0);
            assert!(!x.done.val());
            // A new sequence [1, 9, 2] starts at index 0 and does not see the 100.
            for (i, v) in [1i64, 9, 2].into_iter().enumerate() {
                x.valid.next = true;
                x.value.next = signed::<8>(v);
                x.last.next = i == 2;
                wait_clock_cycle!(sim, clock, x);
            }
            assert!(x.done.val());
            assert_eq!(x.index.val().to_u64(), 1);
            assert_eq!(x.max.val().bigint(), 9.into());
            sim.done(x)
        },
    );
}
