//! `PowerOnReset`: reset generator after FPGA configuration and on a button.

use crate::board::check_param;
use crate::prelude::*;

/// Active-high reset held for `hold_cycles` clock cycles after FPGA configuration, and again
/// while a (synchronised) button is pressed and for `hold_cycles` cycles after its release.
///
/// **Power-up values.** This is the one block of the crate that relies on the FPGA's
/// power-up state instead of a reset (there is nothing upstream to reset it): its registers
/// are rust-hdl `DFF`s, emitted with `initial q = 0;`, and all of them start at **zero**,
/// which both iCE40 (every flip-flop powers up at 0) and ECP5 (GSR initial value) honour
/// through yosys's `init` attributes. `rst` is the *inverse* of a "done" register, so it is
/// high from the first cycle after configuration without any register powering up at 1.
///
/// DESIGN §6: iCE40 EBR can read zeros for a few dozen cycles after configuration; hold the
/// reset at least that long (e.g. `hold_cycles = 64`, or a few µs worth).
///
/// Ports:
/// - `clock` (in): clock.
/// - `button` (in): reset button, asynchronous (2-FF synchroniser inside); its polarity is
///   the run-time `button_active_low` (iCEBreaker's user button and ULX3S's `PWR` button pull
///   low when pressed). Tie it to the inactive level when unused.
/// - `rst` (out): synchronous reset for the rest of the design, active high, registered.
///
/// Latency: after configuration `rst` is high in exactly the first `hold_cycles` cycles
/// (the first `hold_cycles` rising edges see it high). A press with the pin active in cycles
/// `p ..= r` makes `rst` high in cycles `p + 3 ..= r + 2 + hold_cycles` (2 synchroniser
/// cycles + the register; a one-cycle press is not lost).
/// Cost (yosys `synth_ice40`, checked by `tests/board_verilog.rs`): 19 flip-flops (16-bit
/// counter, 2 synchroniser, 1 done), 25 LUT4, 14 carries.
#[derive(LogicBlock)]
pub struct PowerOnReset {
    /// Clock.
    pub clock: Input<Clock>,
    /// Reset button (asynchronous), polarity set at construction.
    pub button: Input<Bit>,
    /// Reset for the design, active high.
    pub rst: Output<Bit>,
    pressed: Wire<Bit>,
    btn0: DFF<Bit>,
    btn1: DFF<Bit>,
    count: DFF<Bits16>,
    done: DFF<Bit>,
    invert: Constant<Bit>,
    last: Constant<Bits16>,
    zero16: Constant<Bits16>,
    one16: Constant<Bits16>,
}

impl PowerOnReset {
    /// A reset held `hold_cycles` cycles (`1 ..= 65536`) after configuration and after a
    /// button release; `button_active_low`: the button pulls the pin low when pressed.
    pub fn new(hold_cycles: u32, button_active_low: bool) -> Self {
        check_param("power-on reset", "hold_cycles", hold_cycles, 1..=1 << 16);
        Self {
            clock: Signal::default(),
            button: Signal::default(),
            rst: Signal::default(),
            pressed: Signal::default(),
            btn0: DFF::default(),
            btn1: DFF::default(),
            count: DFF::default(),
            done: DFF::default(),
            invert: Constant::new(button_active_low),
            last: Constant::new(bits(hold_cycles as u64 - 1)),
            zero16: Constant::new(bits(0)),
            one16: Constant::new(bits(1)),
        }
    }
}

impl Logic for PowerOnReset {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, btn0, btn1, count, done);
        // Synchronise the button, normalised to "pressed = 1" so that every register
        // powers up at 0.
        self.btn0.d.next = self.button.val() ^ self.invert.val();
        self.btn1.d.next = self.btn0.q.val();
        self.pressed.next = self.btn1.q.val();
        if self.pressed.val() {
            self.count.d.next = self.zero16.val();
        } else if self.count.q.val() != self.last.val() {
            self.count.d.next = self.count.q.val() + self.one16.val();
        }
        self.done.d.next = !self.pressed.val() & (self.count.q.val() == self.last.val());
        self.rst.next = !self.done.q.val();
    }
}
