//! `WindowCounter` in rust-hdl's simulator against a cycle-accurate integer reference.

mod common;

use hdl::layer::WindowCounter;
use rand::Rng;
use rust_hdl::prelude::*;

/// Integer reference of the counter's state after each rising edge.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Reference {
    m: u64,
    active: bool,
    done: bool,
}

impl Reference {
    fn step(&mut self, ticks: u64, rst: bool, start: bool, advance: bool) {
        if rst {
            *self = Self::default();
            return;
        }
        self.done = false;
        if start {
            self.m = 0;
            self.active = true;
        } else if self.active && advance {
            if self.m == ticks - 1 {
                self.m = 0;
                self.active = false;
                self.done = true;
            } else {
                self.m += 1;
            }
        }
    }
    fn last(&self, ticks: u64) -> bool {
        self.active && self.m == ticks - 1
    }
}

fn counter<const K: usize>(ticks: u64) -> WindowCounter<K> {
    let mut uut = WindowCounter::<K>::with_ticks(ticks as usize);
    uut.clock.connect();
    uut.rst.connect();
    uut.start.connect();
    uut.advance.connect();
    uut.connect_all();
    uut
}

/// Drives `(rst, start, advance)` one cycle at a time and checks every output after every
/// edge against [`Reference`], for `T = 2^K`.
fn check_against_reference<const K: usize>(stimulus: Vec<(bool, bool, bool)>) {
    check_against_reference_t::<K>(1 << K, stimulus)
}

/// [`check_against_reference`] with a run-time window `T = ticks ≤ 2^K`.
fn check_against_reference_t<const K: usize>(ticks: u64, stimulus: Vec<(bool, bool, bool)>) {
    let cycles = stimulus.len() as u64 + 2;
    common::run(
        counter::<K>(ticks),
        |x| x.clock.next = !x.clock.val(),
        cycles,
        move |mut sim: Sim<WindowCounter<K>>| {
            let mut x = sim.init()?;
            let mut r = Reference::default();
            for (cycle, &(rst, start, advance)) in stimulus.iter().enumerate() {
                x.rst.next = rst;
                x.start.next = start;
                x.advance.next = advance;
                wait_clock_cycle!(sim, clock, x);
                r.step(ticks, rst, start, advance);
                let got = Reference {
                    m: x.m.val().to_u64(),
                    active: x.active.val(),
                    done: x.done.val(),
                };
                assert_eq!(
                    got, r,
                    "K={K} cycle {cycle}: rst={rst} start={start} adv={advance}"
                );
                assert_eq!(x.last.val(), r.last(ticks), "K={K} cycle {cycle}: last");
            }
            sim.done(x)
        },
    );
}

#[test]
fn counts_t_ticks_then_pulses_done_once() {
    // reset, start, then advance every cycle for T ticks and a few idle cycles.
    const K: usize = 3;
    let mut stim = vec![(true, false, false), (false, true, false)];
    stim.extend(std::iter::repeat_n((false, false, true), (1 << K) + 4));
    check_against_reference::<K>(stim.clone());
    // The same, explicitly: m walks 0..T-1, `last` on T-1, `done` exactly once.
    common::run(
        counter::<K>(1 << K),
        |x| x.clock.next = !x.clock.val(),
        40,
        move |mut sim: Sim<WindowCounter<K>>| {
            let mut x = sim.init()?;
            x.rst.next = true;
            wait_clock_cycle!(sim, clock, x);
            x.rst.next = false;
            x.start.next = true;
            wait_clock_cycle!(sim, clock, x);
            x.start.next = false;
            x.advance.next = true;
            let mut seen = vec![];
            let mut dones = 0;
            for _ in 0..(1 << K) + 3 {
                if x.active.val() {
                    seen.push((x.m.val().to_u64(), x.last.val()));
                }
                wait_clock_cycle!(sim, clock, x);
                dones += x.done.val() as u32;
            }
            let want: Vec<(u64, bool)> = (0..8).map(|m| (m, m == 7)).collect();
            assert_eq!(seen, want);
            assert_eq!(dones, 1);
            sim.done(x)
        },
    );
}

#[test]
fn advance_is_ignored_while_idle() {
    let mut stim = vec![(true, false, false)];
    stim.extend(std::iter::repeat_n((false, false, true), 10));
    check_against_reference::<2>(stim);
}

#[test]
fn start_restarts_an_open_window() {
    let stim = vec![
        (true, false, false),
        (false, true, false),
        (false, false, true),
        (false, false, true),
        (false, true, true), // start wins over advance
        (false, false, true),
        (false, false, false),
        (false, false, true),
        (false, false, true),
        (false, false, true),
        (false, false, true),
    ];
    check_against_reference::<2>(stim);
}

#[test]
fn reset_clears_an_open_window() {
    let stim = vec![
        (true, false, false),
        (false, true, false),
        (false, false, true),
        (true, false, true),
        (false, false, true),
        (false, true, false),
        (true, true, true), // reset wins over start
        (false, false, true),
    ];
    check_against_reference::<3>(stim);
}

fn random_stimulus(seed: u64, cycles: usize) -> Vec<(bool, bool, bool)> {
    let mut rng = common::rng(seed);
    let mut stim = vec![(true, false, false)];
    stim.extend((0..cycles).map(|_| {
        (
            rng.gen_ratio(1, 60),
            rng.gen_ratio(1, 12),
            rng.gen_ratio(2, 3),
        )
    }));
    stim
}

#[test]
fn matches_reference_under_random_start_advance_reset() {
    check_against_reference::<1>(random_stimulus(1, 1500));
    check_against_reference::<2>(random_stimulus(2, 1500));
    check_against_reference::<4>(random_stimulus(4, 1500));
}

#[test]
fn run_time_window_shorter_than_the_port_width_matches_reference() {
    check_against_reference_t::<4>(4, random_stimulus(5, 1000));
    check_against_reference_t::<4>(2, random_stimulus(6, 500));
    check_against_reference_t::<8>(16, random_stimulus(7, 1000));
}
