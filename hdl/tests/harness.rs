//! `Harness` (direct stepping) gives the same cycle behaviour as rust-hdl's threaded
//! `Simulation`, at a fraction of the cost.

mod common;

use hdl::harness::Harness;
use hdl::readout::Argmax;
use rand::Rng;
use rust_hdl::prelude::*;
use std::sync::{Arc, Mutex};

/// The block under test: a streaming argmax over 8-bit values, sequences of up to 8.
type Uut = Argmax<8, 3>;
type Trace = Vec<(bool, u64, i64)>;
/// One cycle's inputs: `rst`, `valid`, `value`, `last`.
type Stimulus = (bool, bool, i64, bool);

fn stimulus() -> Vec<Stimulus> {
    let mut rng = common::rng(9);
    let mut s = vec![(true, false, 0, false)];
    s.extend((0..800).map(|_| {
        (
            rng.gen_ratio(1, 50),
            rng.gen_bool(0.7),
            rng.gen_range(-128..128),
            rng.gen_ratio(1, 6),
        )
    }));
    s
}

fn apply(x: &mut Uut, &(rst, valid, value, last): &Stimulus) {
    x.rst.next = rst;
    x.valid.next = valid;
    x.value.next = signed::<8>(value);
    x.last.next = last;
}

fn observe(x: &Uut) -> (bool, u64, i64) {
    (
        x.done.val(),
        x.index.val().to_u64(),
        x.max.val().bigint().try_into().unwrap(),
    )
}

#[test]
fn harness_matches_threaded_simulation_cycle_for_cycle() {
    let stim = stimulus();
    // Threaded rust-hdl Simulation.
    let trace: Arc<Mutex<Trace>> = Arc::default();
    {
        let stim = stim.clone();
        let trace = trace.clone();
        common::run(
            Uut::new(),
            |x| x.clock.next = !x.clock.val(),
            stim.len() as u64 + 2,
            move |mut sim: Sim<Uut>| {
                let mut x = sim.init()?;
                for s in &stim {
                    apply(&mut x, s);
                    wait_clock_cycle!(sim, clock, x);
                    trace.lock().unwrap().push(observe(&x));
                }
                sim.done(x)
            },
        );
    }
    // Direct stepping.
    let mut h = Harness::new(Uut::new(), |x| &mut x.clock);
    let mut direct = vec![];
    for s in &stim {
        apply(&mut h.uut, s);
        h.cycle();
        direct.push(observe(&h.uut));
    }
    assert_eq!(h.cycles(), stim.len() as u64);
    assert_eq!(*trace.lock().unwrap(), direct);
}
