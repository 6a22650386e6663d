//! `Harness` (direct stepping) gives the same cycle behaviour as rust-hdl's threaded
//! `Simulation`, at a fraction of the cost.

mod common;

use hdl::harness::Harness;
use hdl::layer::WindowCounter;
use rand::Rng;
use rust_hdl::prelude::*;
use std::sync::{Arc, Mutex};

type Trace = Vec<(u64, bool, bool, bool)>;

fn stimulus() -> Vec<(bool, bool, bool)> {
    let mut rng = common::rng(9);
    let mut s = vec![(true, false, false)];
    s.extend((0..800).map(|_| {
        (
            rng.gen_ratio(1, 50),
            rng.gen_ratio(1, 10),
            rng.gen_bool(0.7),
        )
    }));
    s
}

fn observe(x: &WindowCounter<3>) -> (u64, bool, bool, bool) {
    (
        x.m.val().to_u64(),
        x.active.val(),
        x.last.val(),
        x.done.val(),
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
            WindowCounter::<3>::new(),
            |x| x.clock.next = !x.clock.val(),
            stim.len() as u64 + 2,
            move |mut sim: Sim<WindowCounter<3>>| {
                let mut x = sim.init()?;
                for &(rst, start, advance) in &stim {
                    x.rst.next = rst;
                    x.start.next = start;
                    x.advance.next = advance;
                    wait_clock_cycle!(sim, clock, x);
                    trace.lock().unwrap().push(observe(&x));
                }
                sim.done(x)
            },
        );
    }
    // Direct stepping.
    let mut h = Harness::new(WindowCounter::<3>::new(), |x| &mut x.clock);
    let mut direct = vec![];
    for &(rst, start, advance) in &stim {
        h.uut.rst.next = rst;
        h.uut.start.next = start;
        h.uut.advance.next = advance;
        h.cycle();
        direct.push(observe(&h.uut));
    }
    assert_eq!(h.cycles(), stim.len() as u64);
    assert_eq!(*trace.lock().unwrap(), direct);
}
