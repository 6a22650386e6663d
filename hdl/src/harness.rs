//! `Harness`: fast, single-threaded cycle stepping of a rust-hdl block.
//!
//! rust-hdl's `Simulation` runs the clock and each testbench in its own thread and hands the
//! circuit between them over channels for every clock edge: ~7-8 k cycles/s whatever the
//! design. Long end-to-end runs (a whole top over many samples) step the same engine directly
//! — `update_all` until `has_changed` is false, exactly what `Simulation` does between
//! events — at ~20× the speed.

use crate::prelude::*;

/// A block under test, stepped one clock cycle at a time.
///
/// Usage: set inputs through `h.uut.<input>.next`, call [`Harness::cycle`] (the inputs settle,
/// then one rising and one falling clock edge), read outputs with `h.uut.<output>.val()`:
/// registered outputs show the state after the rising edge, combinational ones follow.
/// This is the timing of `wait_clock_cycle!` in a `Simulation` testbench.
pub struct Harness<B: Block> {
    /// The block under test.
    pub uut: B,
    clock: fn(&mut B) -> &mut Input<Clock>,
    cycles: u64,
}

impl<B: Block> Harness<B> {
    /// Wraps `uut` (`connect_all` and rust-hdl's checks are run here); `clock` selects its
    /// clock input, e.g. `|x| &mut x.clock`.
    pub fn new(mut uut: B, clock: fn(&mut B) -> &mut Input<Clock>) -> Self {
        uut.connect_all();
        if let Err(e) = check_all(&uut) {
            panic!("rust-hdl check failed: {e:?}");
        }
        let mut h = Self {
            uut,
            clock,
            cycles: 0,
        };
        h.settle();
        h
    }

    /// Propagates input changes through the combinational logic (no clock edge).
    ///
    /// Panics if the logic does not settle (a combinational loop).
    pub fn settle(&mut self) {
        settle(&mut self.uut);
    }

    /// One clock cycle: settle the inputs, rising edge, settle, falling edge, settle.
    pub fn cycle(&mut self) {
        self.settle();
        (self.clock)(&mut self.uut).next = Clock { clk: true };
        self.settle();
        (self.clock)(&mut self.uut).next = Clock { clk: false };
        self.settle();
        self.cycles += 1;
    }

    /// Clock cycles run so far.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }
}

/// Propagates input changes through `block`'s combinational logic: `update_all` until nothing
/// changes. Enough on its own for a purely combinational block (after `connect_all`).
///
/// Panics if the logic does not settle (a combinational loop).
pub fn settle<B: Block>(block: &mut B) {
    for _ in 0..256 {
        block.update_all();
        if !block.has_changed() {
            return;
        }
    }
    panic!("combinational logic did not settle after 256 passes (logic loop?)");
}
