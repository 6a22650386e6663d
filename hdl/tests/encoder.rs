//! `Encoder` against golden's encoder twin (seeded random samples, random stalls on both
//! sides), framing faults, and Verilog lint/synthesis.

mod common;

use golden::snn::encoder::Encoder as GoldenEncoder;
use hdl::encoder::Encoder;
use hdl::harness::Harness;
use hdl::stream::ConnectInputs;
use rand::rngs::StdRng;
use rand::Rng;
use rust_hdl::prelude::*;
use std::collections::VecDeque;

fn encoder(n: usize, b: u32, t: u32) -> Harness<Encoder> {
    let mut uut = Encoder::new(n, b, t);
    uut.clock.connect();
    uut.rst.connect();
    uut.s.connect_inputs();
    uut.ev_out.connect_inputs();
    Harness::new(uut, |x| &mut x.clock)
}

/// One output "sample": events `(m, index)` and the eow's err flag.
type Window = (Vec<(u32, u32)>, bool);

/// Streams `beats` (`(x, last)`) and collects windows until `windows` eow beats arrived.
fn run(
    h: &mut Harness<Encoder>,
    beats: &[(u32, bool)],
    windows: usize,
    rng: &mut StdRng,
    p_in: f64,
    p_out: f64,
) -> Vec<Window> {
    let mut input: VecDeque<(u32, bool)> = beats.iter().copied().collect();
    let mut out = vec![];
    let mut cur = vec![];
    let mut guard = 0;
    while out.len() < windows {
        guard += 1;
        assert!(guard < 200_000, "stuck: {} windows", out.len());
        let offer = !input.is_empty() && rng.gen_bool(p_in);
        let (x, last) = input.front().copied().unwrap_or((0, false));
        h.uut.s.valid.next = offer;
        h.uut.s.data.next = bits(if offer { x as u64 } else { 0xdead });
        h.uut.s.last.next = offer && last;
        let ready = rng.gen_bool(p_out);
        h.uut.ev_out.ready.next = ready;
        h.settle();
        if offer && h.uut.s.ready.val() {
            input.pop_front();
        }
        if ready && h.uut.ev_out.valid.val() {
            if h.uut.ev_out.eow.val() {
                out.push((std::mem::take(&mut cur), h.uut.ev_out.err.val()));
            } else {
                assert!(!h.uut.ev_out.err.val(), "err outside eow");
                cur.push((
                    h.uut.ev_out.m.val().to_u64() as u32,
                    h.uut.ev_out.index.val().to_u64() as u32,
                ));
            }
        }
        h.cycle();
    }
    out
}

fn reset(h: &mut Harness<Encoder>) {
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
}

fn golden_events(n: usize, b: u32, t: u32, x: &[u32]) -> Vec<(u32, u32)> {
    let mut g = GoldenEncoder::new(n, b, t);
    let mut ev = vec![];
    g.encode(x, &mut ev);
    ev.iter()
        .filter(|e| (e.index as usize) < n)
        .map(|e| (e.m, e.index))
        .collect()
}

fn framed(x: &[u32]) -> Vec<(u32, bool)> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| (v, i + 1 == x.len()))
        .collect()
}

#[test]
fn matches_golden_on_random_samples_with_stalls() {
    let mut rng = common::rng(7);
    for &(n, b, t) in &[
        (1usize, 1u32, 2u32),
        (5, 2, 4),
        (9, 8, 8),
        (17, 4, 16),
        (6, 16, 256),
        (12, 3, 2),
    ] {
        for &(p_in, p_out) in &[(1.0, 1.0), (0.5, 0.7), (0.9, 0.3)] {
            let mut h = encoder(n, b, t);
            reset(&mut h);
            let samples: Vec<Vec<u32>> = (0..6)
                .map(|_| (0..n).map(|_| rng.gen_range(0..1u32 << b)).collect())
                .collect();
            let beats: Vec<(u32, bool)> = samples.iter().flat_map(|x| framed(x)).collect();
            let got = run(&mut h, &beats, samples.len(), &mut rng, p_in, p_out);
            for (x, (ev, err)) in samples.iter().zip(&got) {
                assert!(!err, "n={n} b={b} T={t}: spurious err for {x:?}");
                assert_eq!(ev, &golden_events(n, b, t, x), "n={n} b={b} T={t} x={x:?}");
            }
        }
    }
}

#[test]
fn framing_faults_are_flagged_and_the_next_sample_is_clean() {
    let (n, b, t) = (5usize, 3u32, 8u32);
    let mut rng = common::rng(11);
    let mut h = encoder(n, b, t);
    reset(&mut h);
    let good = [7u32, 3, 0, 5, 1];
    let mut beats = framed(&good);
    // Early s_last (after 3 features).
    beats.extend([(1, false), (2, false), (3, true)]);
    beats.extend(framed(&good));
    // Missing s_last: 5 features without it, 2 more beats, then s_last: all dropped.
    beats.extend([(1, false), (2, false), (3, false), (4, false), (5, false)]);
    beats.extend([(6, false), (7, true)]);
    beats.extend(framed(&[1, 2, 3, 4, 5]));
    let got = run(&mut h, &beats, 5, &mut rng, 0.8, 0.8);
    let errs: Vec<bool> = got.iter().map(|w| w.1).collect();
    assert_eq!(errs, vec![false, true, false, true, false]);
    assert_eq!(got[0].0, golden_events(n, b, t, &good));
    assert_eq!(got[2].0, golden_events(n, b, t, &good));
    assert_eq!(got[4].0, golden_events(n, b, t, &[1, 2, 3, 4, 5]));
}

#[test]
fn verilog_is_lint_and_synthesis_clean() {
    let h = encoder(10, 8, 16);
    let e = common::emit(&h.uut, "encoder");
    common::verilator_lint_clean(&e);
    common::yosys_clean(&e);
}
