//! `UartRx`: 8N1 UART receiver with mid-bit sampling and a run-time bit period.

use crate::board::check_param;
use crate::prelude::*;

control_states! {
    /// Control states of [`UartRx`].
    enum RxState {
        /// Line idle: waiting for a low level.
        Idle,
        /// Half a bit into a low level: a start bit or a glitch.
        Start,
        /// Sampling the 8 data bits, one bit period apart.
        Data,
        /// Sampling the stop bit.
        Stop,
        /// After a low stop bit (framing error, break): waiting for the idle level.
        Break,
    }
}

/// 8N1 UART receiver: mid-bit sampling with a run-time `cycles_per_bit` divisor, a 2-FF
/// input synchroniser, start-bit glitch rejection and a framing error flag.
///
/// The synchronised line is watched for a low level; the start bit is re-checked half a bit
/// later (a shorter low pulse is a glitch and ignored), then each data bit (LSB first) and
/// the stop bit are sampled one full bit period apart, i.e. in the middle of each bit. The
/// receiver tolerates a baud mismatch of about ±4 %. After a stop bit that is low (framing
/// error, or a break) it waits for the line to return high before looking for a new start.
///
/// Ports:
/// - `clock`, `rst` (in): clock and synchronous active-high reset (idle, nothing pending).
/// - `rx` (in): serial line, asynchronous (synchronised inside), idle high.
/// - `valid` (out): **one-cycle pulse** per correctly framed byte. There is no back-pressure:
///   the consumer takes the byte in that cycle (put a `Fifo` behind it if it may stall).
/// - `data` (out, `Bits<8>`): the received byte; stable from the `valid` pulse until the
///   first data bit of the next frame is sampled (≥ 1.5 bit periods later).
/// - `frame_error` (out): one-cycle pulse instead of `valid` when the stop bit is low; `data`
///   then shows the (suspect) bits received.
///
/// Latency: `valid` (or `frame_error`) is high `9·cycles_per_bit + ⌊cycles_per_bit/2⌋ + 2`
/// cycles after the start bit's falling edge reaches `rx` (2 synchroniser cycles, then the
/// middle of the stop bit).
/// Cost (yosys `synth_ice40`, checked by `tests/board_verilog.rs`): 36 flip-flops
/// (synchroniser 2, state 3, 16-bit bit timer, 3-bit bit counter, 8-bit shift register,
/// 2 flags, ...), 49 LUT4, 15 carries.
#[derive(LogicBlock)]
pub struct UartRx {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// Serial input (asynchronous), idle high.
    pub rx: Input<Bit>,
    /// Pulse: a byte was received without error.
    pub valid: Output<Bit>,
    /// The last received byte.
    pub data: Output<Bits8>,
    /// Pulse: a frame ended with a low stop bit.
    pub frame_error: Output<Bit>,
    bit_end: Wire<Bit>,
    rx_s: Wire<Bit>,
    state: Wire<RxState>,
    sync0: RDff<Bit>,
    sync1: RDff<Bit>,
    state_r: RDff<Bits<{ RxState::BITS }>>,
    timer: RDff<Bits16>,
    nbit: RDff<Bits<3>>,
    shift: RDff<Bits8>,
    valid_r: RDff<Bit>,
    error_r: RDff<Bit>,
    half: Constant<Bits16>,
    full: Constant<Bits16>,
    zero16: Constant<Bits16>,
    one16: Constant<Bits16>,
    zero3: Constant<Bits<3>>,
    one3: Constant<Bits<3>>,
    seven3: Constant<Bits<3>>,
    one8: Constant<Bits8>,
    msb8: Constant<Bits8>,
}

impl UartRx {
    /// A receiver for bits of `cycles_per_bit` cycles (`4 ..= 65536`).
    pub fn new(cycles_per_bit: u32) -> Self {
        check_param("uart rx", "cycles_per_bit", cycles_per_bit, 4..=1 << 16);
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            rx: Signal::default(),
            valid: Signal::default(),
            data: Signal::default(),
            frame_error: Signal::default(),
            bit_end: Signal::default(),
            rx_s: Signal::default(),
            state: Signal::default(),
            sync0: RDff::new(true),
            sync1: RDff::new(true),
            state_r: RDff::default(),
            timer: RDff::default(),
            nbit: RDff::default(),
            shift: RDff::default(),
            valid_r: RDff::default(),
            error_r: RDff::default(),
            half: Constant::new(bits(cycles_per_bit as u64 / 2 - 1)),
            full: Constant::new(bits(cycles_per_bit as u64 - 1)),
            zero16: Constant::new(bits(0)),
            one16: Constant::new(bits(1)),
            zero3: Constant::new(bits(0)),
            one3: Constant::new(bits(1)),
            seven3: Constant::new(bits(7)),
            one8: Constant::new(bits(1)),
            msb8: Constant::new(bits(0x80)),
        }
    }
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sync0, sync1, state_r, timer, nbit, shift, valid_r, error_r);
        self.sync0.rst.next = self.rst.val();
        self.sync1.rst.next = self.rst.val();
        self.state_r.rst.next = self.rst.val();
        self.timer.rst.next = self.rst.val();
        self.nbit.rst.next = self.rst.val();
        self.shift.rst.next = self.rst.val();
        self.valid_r.rst.next = self.rst.val();
        self.error_r.rst.next = self.rst.val();
        self.sync0.d.next = self.rx.val();
        self.sync1.d.next = self.sync0.q.val();
        self.rx_s.next = self.sync1.q.val();
        self.state.next = self.state_r.q.val().into();
        self.bit_end.next = self.timer.q.val() == self.zero16.val();
        self.valid_r.d.next = false;
        self.error_r.d.next = false;
        if !self.bit_end.val() {
            self.timer.d.next = self.timer.q.val() - self.one16.val();
        }
        match self.state.val() {
            RxState::Idle => {
                if !self.rx_s.val() {
                    self.state_r.d.next = RxState::Start.into();
                    self.timer.d.next = self.half.val();
                }
            }
            RxState::Start => {
                if self.bit_end.val() {
                    if self.rx_s.val() {
                        // Shorter than half a bit: a glitch, not a start bit.
                        self.state_r.d.next = RxState::Idle.into();
                    } else {
                        self.state_r.d.next = RxState::Data.into();
                        self.timer.d.next = self.full.val();
                        self.nbit.d.next = self.zero3.val();
                    }
                }
            }
            RxState::Data => {
                if self.bit_end.val() {
                    self.timer.d.next = self.full.val();
                    self.nbit.d.next = self.nbit.q.val() + self.one3.val();
                    if self.rx_s.val() {
                        self.shift.d.next =
                            (self.shift.q.val() >> self.one8.val()) | self.msb8.val();
                    } else {
                        self.shift.d.next = self.shift.q.val() >> self.one8.val();
                    }
                    if self.nbit.q.val() == self.seven3.val() {
                        self.state_r.d.next = RxState::Stop.into();
                    }
                }
            }
            RxState::Stop => {
                if self.bit_end.val() {
                    if self.rx_s.val() {
                        self.valid_r.d.next = true;
                        self.state_r.d.next = RxState::Idle.into();
                    } else {
                        self.error_r.d.next = true;
                        self.state_r.d.next = RxState::Break.into();
                    }
                }
            }
            RxState::Break => {
                // Break / framing error: wait for the idle level.
                if self.rx_s.val() {
                    self.state_r.d.next = RxState::Idle.into();
                }
            }
        }
        self.valid.next = self.valid_r.q.val();
        self.data.next = self.shift.q.val();
        self.frame_error.next = self.error_r.q.val();
    }
}
