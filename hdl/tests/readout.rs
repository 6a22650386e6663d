//! `Readout` against golden's readout twin: potential (argmax of `z`) and first-spike (first
//! event), random stalls on both sides, error flags, Verilog lint/synthesis.

mod common;

use golden::model::Readout as Kind;
use golden::snn::readout::ReadoutUnit;
use golden::snn::Event;
use hdl::harness::Harness;
use hdl::readout::Readout;
use hdl::stream::ConnectInputs;
use rand::Rng;
use rust_hdl::prelude::*;
use std::collections::VecDeque;

fn readout(first_spike: bool) -> Harness<Readout<16>> {
    let mut uut = Readout::<16>::new(first_spike);
    uut.clock.connect();
    uut.rst.connect();
    uut.z_in.connect_inputs();
    uut.ev_in.connect_inputs();
    uut.m.connect_inputs();
    let mut h = Harness::new(uut, |x| &mut x.clock);
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    h
}

/// A beat of either stream: `(value or index, last/eow, err)`.
type Beat = (i64, bool, bool);

fn drive(
    h: &mut Harness<Readout<16>>,
    fs: bool,
    beats: Vec<Beat>,
    n_out: usize,
    seed: u64,
) -> Vec<(u64, bool)> {
    let mut rng = common::rng(seed);
    let mut input: VecDeque<Beat> = beats.into();
    let mut out = vec![];
    let mut guard = 0;
    while out.len() < n_out {
        guard += 1;
        assert!(guard < 100_000, "stuck");
        let offer = !input.is_empty() && rng.gen_bool(0.7);
        let (v, last, err) = input.front().copied().unwrap_or((0, false, false));
        h.uut.z_in.valid.next = offer && !fs;
        h.uut.z_in.value.next = signed::<16>(v);
        h.uut.z_in.last.next = last;
        h.uut.z_in.err.next = err;
        h.uut.ev_in.valid.next = offer && fs;
        h.uut.ev_in.index.next = bits(v as u64 & 0xffff);
        h.uut.ev_in.m.next = bits(0);
        h.uut.ev_in.eow.next = last;
        h.uut.ev_in.err.next = err;
        let ready = rng.gen_bool(0.4);
        h.uut.m.ready.next = ready;
        h.settle();
        let taken = if fs {
            h.uut.ev_in.ready.val()
        } else {
            h.uut.z_in.ready.val()
        };
        if offer && taken {
            input.pop_front();
        }
        if ready && h.uut.m.valid.val() {
            out.push((h.uut.m.class.val().to_u64(), h.uut.m.error.val()));
        }
        h.cycle();
    }
    for _ in 0..20 {
        h.uut.z_in.valid.next = false;
        h.uut.ev_in.valid.next = false;
        h.uut.m.ready.next = true;
        h.cycle();
        assert!(
            !h.uut.m.valid.val() || out.len() < n_out,
            "extra output beat"
        );
    }
    out
}

#[test]
fn potential_readout_matches_golden_argmax() {
    let mut rng = common::rng(5);
    let samples: Vec<(Vec<i64>, bool)> = (0..80)
        .map(|_| {
            let n = rng.gen_range(1..=6);
            (
                (0..n).map(|_| rng.gen_range(-4..=4)).collect(),
                rng.gen_bool(0.2),
            )
        })
        .collect();
    let mut beats = vec![];
    for (z, err) in &samples {
        for (i, &v) in z.iter().enumerate() {
            beats.push((v, i + 1 == z.len(), *err && i == 0));
        }
    }
    let mut h = readout(false);
    let got = drive(&mut h, false, beats, samples.len(), 1);
    for ((z, err), (class, e)) in samples.iter().zip(got) {
        assert_eq!(class as usize, ReadoutUnit::potential(z), "{z:?}");
        assert_eq!(e, *err, "{z:?}");
    }
}

#[test]
fn first_spike_readout_matches_golden() {
    let mut rng = common::rng(6);
    let classes = 5;
    let unit = ReadoutUnit::new(Kind::FirstSpike, classes);
    let samples: Vec<(Vec<Event>, bool)> = (0..80)
        .map(|_| {
            let k = rng.gen_range(0..=4);
            let mut ev: Vec<Event> = (0..k)
                .map(|_| Event {
                    m: rng.gen_range(0..8),
                    index: rng.gen_range(0..classes as u32),
                })
                .collect();
            ev.sort_by_key(|e| (e.m, e.index));
            (ev, rng.gen_bool(0.2))
        })
        .collect();
    let mut beats = vec![];
    for (ev, err) in &samples {
        for e in ev {
            beats.push((e.index as i64, false, false));
        }
        beats.push((0, true, *err));
    }
    let mut h = readout(true);
    let got = drive(&mut h, true, beats, samples.len(), 2);
    for ((ev, err), (class, e)) in samples.iter().zip(got) {
        assert_eq!(class as usize, unit.first_spike(ev), "{ev:?}");
        assert_eq!(e, *err);
    }
}

#[test]
fn verilog_is_lint_and_synthesis_clean() {
    for fs in [false, true] {
        let h = readout(fs);
        let e = common::emit(&h.uut, &format!("readout_{}", fs as u8));
        common::verilator_lint_clean(&e);
        common::yosys_clean(&e);
    }
}
