//! `PowerOnReset` in rust-hdl's simulator: reset length after configuration (power-up values
//! of its registers), button press and release at both polarities.

mod common;

use hdl::board::PowerOnReset;
use hdl::harness::Harness;
use rust_hdl::prelude::*;

/// A freshly configured FPGA: every register at its power-up value, `button` at `pin`.
fn por(hold: u32, active_low: bool, pin: bool) -> Harness<PowerOnReset> {
    let mut uut = PowerOnReset::new(hold, active_low);
    uut.clock.connect();
    uut.button.connect();
    uut.button.next = pin;
    Harness::new(uut, |x| &mut x.clock)
}

/// `rst` as seen by the rising edge of each of the next `cycles` cycles, with the button pin
/// at `pin(cycle)`.
fn trace(h: &mut Harness<PowerOnReset>, cycles: usize, pin: impl Fn(usize) -> bool) -> Vec<bool> {
    (0..cycles)
        .map(|c| {
            h.uut.button.next = pin(c);
            h.settle();
            let r = h.uut.rst.val();
            h.cycle();
            r
        })
        .collect()
}

#[test]
fn holds_reset_exactly_hold_cycles_after_configuration() {
    for (hold, active_low) in [
        (1u32, false),
        (2, true),
        (48, false),
        (64, true),
        (300, false),
    ] {
        let mut h = por(hold, active_low, active_low);
        let t = trace(&mut h, hold as usize + 20, |_| active_low);
        let want: Vec<bool> = (0..hold as usize + 20).map(|c| c < hold as usize).collect();
        assert_eq!(t, want, "hold {hold} active_low {active_low}");
    }
}

#[test]
fn a_button_press_resets_and_the_release_restarts_the_hold() {
    for active_low in [false, true] {
        let hold = 10;
        let mut h = por(hold, active_low, active_low);
        trace(&mut h, 30, |_| active_low);
        // Press for 5 cycles starting at cycle 4 of the next trace.
        let pressed = |c: usize| (4..9).contains(&c);
        let t = trace(&mut h, 60, |c| pressed(c) != active_low);
        let high: Vec<usize> = (0..60).filter(|&c| t[c]).collect();
        // 2 synchroniser cycles + the register: high from cycle 4 + 3; held while the
        // synchronised button is pressed (to cycle 8 + 2) and `hold` cycles after.
        let first = 4 + 3;
        let last = 8 + 2 + hold as usize;
        assert_eq!(
            high,
            (first..=last).collect::<Vec<_>>(),
            "active_low {active_low}"
        );
    }
}

#[test]
fn a_one_cycle_press_is_not_lost() {
    let mut h = por(5, false, false);
    trace(&mut h, 20, |_| false);
    let t = trace(&mut h, 30, |c| c == 3);
    let high: Vec<usize> = (0..30).filter(|&c| t[c]).collect();
    assert_eq!(
        high,
        (6..=10).collect::<Vec<_>>(),
        "press in cycle 3: rst in 3+3 ..= 3+2+5"
    );
}
