//! `FireUnit` (and the `Activation` inside it) in rust-hdl's simulator against the integer
//! contract of DESIGN §2, exhaustively at small widths and seeded-random at wide ones.

mod common;

use hdl::layer::{FireUnit, WindowCounter};
use rand::Rng;
use rust_hdl::prelude::*;

/// DESIGN §2: `q = clamp(z >> F, 0, T)`, `>>` arithmetic (floor).
fn q_ref(z: i64, f: usize, t: i64) -> i64 {
    (z >> f).clamp(0, t)
}

/// The tick-level rule: the first `m` in `0..T` with `z + m·2^F ≥ T·2^F` (none: silent).
fn tick_ref(z: i64, f: usize, t: i64) -> Option<i64> {
    (0..t).find(|&m| z + (m << f) >= t << f)
}

fn fire_unit<const ZW: usize, const K: usize, const QW: usize>(
    f: usize,
    ticks: usize,
) -> FireUnit<ZW, K, QW> {
    let mut uut = FireUnit::<ZW, K, QW>::with_ticks(f, ticks);
    uut.clock.connect();
    uut.rst.connect();
    uut.load.connect();
    uut.z.connect();
    uut.m.connect();
    uut.strobe.connect();
    uut.connect_all();
    uut
}

/// For every `z` in `zs`: load it, then present `m = 0..T-1` with `strobe` and check that the
/// unit fires exactly at [`tick_ref`] and shows `q = `[`q_ref`]; `T = 2^K` (the port width).
fn check_inputs<const ZW: usize, const K: usize, const QW: usize>(f: usize, zs: Vec<i64>) {
    check_inputs_t::<ZW, K, QW>(f, 1 << K, zs)
}

/// [`check_inputs`] with a run-time window `T = ticks ≤ 2^K`.
fn check_inputs_t<const ZW: usize, const K: usize, const QW: usize>(
    f: usize,
    ticks: usize,
    zs: Vec<i64>,
) {
    let t = ticks as i64;
    let cycles = zs.len() as u64 * (t as u64 + 2) + 4;
    common::run(
        fire_unit::<ZW, K, QW>(f, ticks),
        |x| x.clock.next = !x.clock.val(),
        cycles,
        move |mut sim: Sim<FireUnit<ZW, K, QW>>| {
            let mut x = sim.init()?;
            x.rst.next = true;
            wait_clock_cycle!(sim, clock, x);
            x.rst.next = false;
            for &z in &zs {
                // The formula and the tick-level rule agree (the contract's equivalence).
                let q = q_ref(z, f, t);
                let want = tick_ref(z, f, t);
                assert_eq!(want, (q >= 1).then(|| t - q), "reference z={z}");
                x.z.next = signed::<ZW>(z);
                x.load.next = true;
                x.strobe.next = false;
                wait_clock_cycle!(sim, clock, x);
                x.load.next = false;
                x.z.next = signed::<ZW>(0); // the latched value must not follow `z`
                assert_eq!(
                    x.q.val().to_u64() as i64,
                    q,
                    "ZW={ZW} K={K} T={t} F={f} z={z}: q"
                );
                let mut fired = vec![];
                for m in 0..t {
                    x.m.next = (m as u64).to_bits();
                    x.strobe.next = true;
                    wait_clock_cycle!(sim, clock, x);
                    if x.fire.val() {
                        fired.push(m);
                    }
                }
                let want: Vec<i64> = want.into_iter().collect();
                assert_eq!(fired, want, "ZW={ZW} K={K} T={t} F={f} z={z}: fire ticks");
            }
            sim.done(x)
        },
    );
}

fn all_values(zw: usize) -> Vec<i64> {
    (-(1i64 << (zw - 1))..(1i64 << (zw - 1))).collect()
}

#[test]
fn fires_at_window_start_when_input_saturates() {
    // T = 16, F = 9: T·2^F = 8192. At and above it, the spike is at m = 0 with q = T.
    check_inputs::<24, 4, 5>(
        9,
        vec![8192, 8193, 8192 + 511, 8192 + 512, 100_000, (1 << 23) - 1],
    );
}

#[test]
fn never_fires_when_input_is_below_one_lsb() {
    // z < 2^F (negative included) is q = 0: silent, the forced spike at the window end.
    check_inputs::<24, 4, 5>(9, vec![511, 1, 0, -1, -512, -8192, -(1 << 23)]);
}

#[test]
fn fires_at_last_tick_at_one_lsb_and_at_tick_one_just_below_saturation() {
    // 2^F and 2^(F+1)-1: q = 1, spike at m = T-1. T·2^F - 1: q = T-1, spike at m = 1.
    check_inputs::<24, 4, 5>(9, vec![512, 1023, 1024, 8191, 8192 - 512, 8192 - 513]);
}

#[test]
fn fires_once_at_t_minus_q_for_every_input_at_small_widths() {
    check_inputs::<8, 2, 3>(2, all_values(8));
    check_inputs::<8, 3, 4>(1, all_values(8));
    check_inputs::<6, 1, 2>(0, all_values(6));
    check_inputs::<9, 3, 4>(4, all_values(9));
}

#[test]
fn run_time_window_shorter_than_the_port_width_fires_at_t_minus_q() {
    // One hardware type (K = 3 or 8 bits of tick) for several window lengths T.
    check_inputs_t::<8, 3, 4>(2, 2, all_values(8));
    check_inputs_t::<8, 3, 4>(2, 4, all_values(8));
    let mut rng = common::rng(17);
    let zs: Vec<i64> = (0..200)
        .map(|_| rng.gen_range(-(1i64 << 10)..(20i64 << 9)))
        .collect();
    check_inputs_t::<24, 8, 9>(9, 16, zs.clone());
    check_inputs_t::<24, 8, 9>(9, 2, zs);
    let zs: Vec<i64> = (0..100)
        .map(|_| rng.gen_range(-(1i64 << 16)..(300i64 << 9)))
        .collect();
    check_inputs_t::<24, 8, 9>(9, 256, zs);
}

#[test]
fn matches_tick_level_reference_for_random_wide_inputs() {
    let mut rng = common::rng(7);
    // Mostly inside the window, some far outside, both signs.
    let zs: Vec<i64> = (0..300)
        .map(|i| match i % 3 {
            0 => rng.gen_range(-(1 << 10)..(20 << 9)),
            1 => rng.gen_range(0..(16 << 9)),
            _ => rng.gen_range(-(1i64 << 23)..(1i64 << 23)),
        })
        .collect();
    check_inputs::<24, 4, 5>(9, zs);
    let zs: Vec<i64> = (0..100)
        .map(|_| rng.gen_range(-(1i64 << 20)..(1i64 << 20)))
        .collect();
    check_inputs::<32, 8, 9>(12, zs);
}

#[test]
fn reset_clears_latched_activation() {
    common::run(
        fire_unit::<16, 3, 4>(4, 8),
        |x| x.clock.next = !x.clock.val(),
        30,
        move |mut sim: Sim<FireUnit<16, 3, 4>>| {
            let mut x = sim.init()?;
            x.z.next = signed::<16>(5 << 4); // q = 5, fires at m = 3
            x.load.next = true;
            wait_clock_cycle!(sim, clock, x);
            x.load.next = false;
            assert_eq!(x.q.val().to_u64(), 5);
            x.rst.next = true;
            wait_clock_cycle!(sim, clock, x);
            x.rst.next = false;
            assert_eq!(x.q.val().to_u64(), 0);
            for m in 0..8u64 {
                x.m.next = m.to_bits();
                x.strobe.next = true;
                wait_clock_cycle!(sim, clock, x);
                assert!(!x.fire.val(), "fired at m={m} after reset");
            }
            sim.done(x)
        },
    );
}

#[test]
fn does_not_fire_without_strobe() {
    common::run(
        fire_unit::<16, 3, 4>(4, 8),
        |x| x.clock.next = !x.clock.val(),
        30,
        move |mut sim: Sim<FireUnit<16, 3, 4>>| {
            let mut x = sim.init()?;
            x.z.next = signed::<16>(8 << 4); // q = T: fires at m = 0
            x.load.next = true;
            wait_clock_cycle!(sim, clock, x);
            x.load.next = false;
            x.m.next = 0u64.to_bits();
            wait_clock_cycle!(sim, clock, x);
            assert!(!x.fire.val());
            x.strobe.next = true;
            wait_clock_cycle!(sim, clock, x);
            assert!(x.fire.val());
            sim.done(x)
        },
    );
}

/// `P` fire units driven by one window counter — the shape of a layer's fire phase — to show
/// block arrays, `for` loops in `#[hdl_gen]` and the counter's `m`/`active` working together.
/// Every sub-block output is used (here: passed out), else `verilator -Wall` reports
/// UNUSEDSIGNAL on the parent's stub wire.
#[derive(LogicBlock)]
struct FireArray<const ZW: usize, const K: usize, const QW: usize, const P: usize> {
    pub clock: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub load: Signal<In, Bit>,
    pub z: [Signal<In, Signed<ZW>>; P],
    pub start: Signal<In, Bit>,
    pub fire: [Signal<Out, Bit>; P],
    pub q: [Signal<Out, Bits<QW>>; P],
    pub m: Signal<Out, Bits<K>>,
    pub last: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    counter: WindowCounter<K>,
    units: [FireUnit<ZW, K, QW>; P],
}

impl<const ZW: usize, const K: usize, const QW: usize, const P: usize> FireArray<ZW, K, QW, P> {
    fn new(f: usize) -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            load: Signal::default(),
            z: std::array::from_fn(|_| Signal::default()),
            start: Signal::default(),
            fire: std::array::from_fn(|_| Signal::default()),
            q: std::array::from_fn(|_| Signal::default()),
            m: Signal::default(),
            last: Signal::default(),
            done: Signal::default(),
            counter: WindowCounter::new(),
            units: std::array::from_fn(|_| FireUnit::new(f)),
        }
    }
}

impl<const ZW: usize, const K: usize, const QW: usize, const P: usize> Logic
    for FireArray<ZW, K, QW, P>
{
    #[hdl_gen]
    fn update(&mut self) {
        self.counter.clock.next = self.clock.val();
        self.counter.rst.next = self.rst.val();
        self.counter.start.next = self.start.val();
        self.counter.advance.next = true;
        for i in 0..P {
            self.units[i].clock.next = self.clock.val();
            self.units[i].rst.next = self.rst.val();
            self.units[i].load.next = self.load.val();
            self.units[i].z.next = self.z[i].val();
            self.units[i].m.next = self.counter.m.val();
            self.units[i].strobe.next = self.counter.active.val();
            self.fire[i].next = self.units[i].fire.val();
            self.q[i].next = self.units[i].q.val();
        }
        self.m.next = self.counter.m.val();
        self.last.next = self.counter.last.val();
        self.done.next = self.counter.done.val();
    }
}

fn fire_array<const P: usize>() -> FireArray<16, 3, 4, P> {
    let mut uut = FireArray::<16, 3, 4, P>::new(4);
    uut.clock.connect();
    uut.rst.connect();
    uut.load.connect();
    uut.start.connect();
    for z in uut.z.iter_mut() {
        z.connect();
    }
    uut.connect_all();
    uut
}

#[test]
fn fire_array_with_window_counter_spikes_at_golden_ticks() {
    const P: usize = 4;
    let (f, t) = (4usize, 8i64);
    let mut rng = common::rng(11);
    let samples: Vec<[i64; P]> = (0..40)
        .map(|_| std::array::from_fn(|_| rng.gen_range(-(2i64 << 4)..(10i64 << 4))))
        .collect();
    common::run(
        fire_array::<P>(),
        |x| x.clock.next = !x.clock.val(),
        samples.len() as u64 * 12 + 10,
        move |mut sim: Sim<FireArray<16, 3, 4, P>>| {
            let mut x = sim.init()?;
            x.rst.next = true;
            wait_clock_cycle!(sim, clock, x);
            x.rst.next = false;
            for zs in &samples {
                for (i, &z) in zs.iter().enumerate() {
                    x.z[i].next = signed::<16>(z);
                }
                x.load.next = true;
                x.start.next = true;
                wait_clock_cycle!(sim, clock, x);
                x.load.next = false;
                x.start.next = false;
                let mut spikes = vec![];
                while !x.done.val() {
                    for i in 0..P {
                        if x.fire[i].val() {
                            spikes.push((x.m.val().to_u64() as i64, i));
                        }
                    }
                    wait_clock_cycle!(sim, clock, x);
                }
                let mut want: Vec<(i64, usize)> = zs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, &z)| tick_ref(z, f, t).map(|m| (m, i)))
                    .collect();
                want.sort();
                assert_eq!(spikes, want, "z = {zs:?}");
            }
            sim.done(x)
        },
    );
}

#[test]
fn fire_array_verilog_is_lint_and_synthesis_clean() {
    let e = common::emit(&fire_array::<4>(), "fire_array");
    assert!(
        e.text.contains("fire_array$units$3"),
        "one module per array element"
    );
    assert!(!e.text.contains("initial"));
    common::verilator_lint_clean(&e);
    common::yosys_clean(&e);
}
