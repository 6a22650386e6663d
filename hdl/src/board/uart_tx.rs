//! `UartTx`: 8N1 UART transmitter with a run-time bit period.

use crate::board::check_param;
use crate::prelude::*;

/// 8N1 UART transmitter: one start bit (low), 8 data bits LSB first, one stop bit (high);
/// every bit lasts exactly `cycles_per_bit` clock cycles (run-time constructor argument,
/// e.g. 104 for 115 200 baud at 12 MHz, 217 at 25 MHz). The line idles high.
///
/// Ports:
/// - `clock`, `rst` (in): clock and synchronous active-high reset (idle, `tx` high; a frame
///   in flight is cut short, the receiver then sees a framing error or a short byte).
/// - `valid` (in), `ready` (out), `data` (in, `Bits<8>`): AXI-Stream style input; a byte is
///   taken when `valid && ready`. `ready` is high while idle and in the last cycle of a
///   stop bit, from state only (it never depends on `valid`).
/// - `tx` (out): serial line, registered (no glitches).
///
/// Latency: the start bit is on `tx` the cycle after the byte is taken; a frame lasts
/// `10 · cycles_per_bit` cycles and `ready` is high again in its last cycle, so a `valid`
/// held high sends frames back to back with exactly one stop bit.
/// Cost (yosys `synth_ice40`, checked by `tests/board_verilog.rs`): 30 flip-flops (16-bit
/// bit timer, 4-bit bit counter, 8-bit shift register, `busy`, `tx`), 49 LUT4, 16 carries.
#[derive(LogicBlock)]
pub struct UartTx {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// A byte is offered on `data`.
    pub valid: Input<Bit>,
    /// The transmitter takes a byte in this cycle if `valid`.
    pub ready: Output<Bit>,
    /// Byte to send.
    pub data: Input<Bits8>,
    /// Serial output, idle high.
    pub tx: Output<Bit>,
    bit_end: Wire<Bit>,
    stop_end: Wire<Bit>,
    take: Wire<Bit>,
    busy: RDff<Bit>,
    tx_r: RDff<Bit>,
    timer: RDff<Bits16>,
    nbit: RDff<Bits<4>>,
    shift: RDff<Bits8>,
    full: Constant<Bits16>,
    zero16: Constant<Bits16>,
    one16: Constant<Bits16>,
    zero4: Constant<Bits<4>>,
    one4: Constant<Bits<4>>,
    eight: Constant<Bits<4>>,
    nine: Constant<Bits<4>>,
    one8: Constant<Bits8>,
}

impl UartTx {
    /// A transmitter whose bits last `cycles_per_bit` cycles (`2 ..= 65536`).
    pub fn new(cycles_per_bit: u32) -> Self {
        check_param("uart tx", "cycles_per_bit", cycles_per_bit, 2..=1 << 16);
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            valid: Signal::default(),
            ready: Signal::default(),
            data: Signal::default(),
            tx: Signal::default(),
            bit_end: Signal::default(),
            stop_end: Signal::default(),
            take: Signal::default(),
            busy: RDff::default(),
            tx_r: RDff::new(true),
            timer: RDff::default(),
            nbit: RDff::default(),
            shift: RDff::default(),
            full: Constant::new(bits(cycles_per_bit as u64 - 1)),
            zero16: Constant::new(bits(0)),
            one16: Constant::new(bits(1)),
            zero4: Constant::new(bits(0)),
            one4: Constant::new(bits(1)),
            eight: Constant::new(bits(8)),
            nine: Constant::new(bits(9)),
            one8: Constant::new(bits(1)),
        }
    }
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, busy, tx_r, timer, nbit, shift);
        self.busy.rst.next = self.rst.val();
        self.tx_r.rst.next = self.rst.val();
        self.timer.rst.next = self.rst.val();
        self.nbit.rst.next = self.rst.val();
        self.shift.rst.next = self.rst.val();
        self.bit_end.next = self.timer.q.val() == self.zero16.val();
        self.stop_end.next =
            self.busy.q.val() & self.bit_end.val() & (self.nbit.q.val() == self.nine.val());
        self.take.next = self.valid.val() & (!self.busy.q.val() | self.stop_end.val());
        if self.busy.q.val() {
            if self.bit_end.val() {
                self.timer.d.next = self.full.val();
                self.nbit.d.next = self.nbit.q.val() + self.one4.val();
                if self.stop_end.val() {
                    // The stop bit has lasted a full period.
                    self.busy.d.next = false;
                } else if self.nbit.q.val() == self.eight.val() {
                    self.tx_r.d.next = true;
                } else {
                    self.tx_r.d.next = self.shift.q.val().get_bit(0);
                    self.shift.d.next = self.shift.q.val() >> self.one8.val();
                }
            } else {
                self.timer.d.next = self.timer.q.val() - self.one16.val();
            }
        }
        if self.take.val() {
            self.busy.d.next = true;
            self.tx_r.d.next = false;
            self.shift.d.next = self.data.val();
            self.timer.d.next = self.full.val();
            self.nbit.d.next = self.zero4.val();
        }
        self.ready.next = !self.busy.q.val() | self.stop_end.val();
        self.tx.next = self.tx_r.q.val();
    }
}
