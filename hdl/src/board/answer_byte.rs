//! `AnswerByte`: the core's answer as one UART byte, and the last one sent for the LEDs.

use crate::prelude::*;

/// Encodes the core's answer (`m_class`, `m_error`) as one byte: the class in bits 6..0
/// (classes beyond 127 do not fit: the wrapper refuses such designs), `m_error` in bit 7; and
/// holds the last byte sent.
///
/// Ports:
/// - `clock`, `rst` (in): clock and synchronous active-high reset (`last` = 0).
/// - `m_class` (in, `Bits<16>`), `m_error` (in): the core's answer.
/// - `sent` (in): the byte is taken this cycle (`m_valid && ready` of the transmitter).
/// - `data` (out, `Bits<8>`): the answer byte, combinational.
/// - `last` (out, `Bits<8>`): the last byte sent, registered.
/// - `error_sent` (out): pulse: an answer with `m_error` is taken this cycle.
///
/// Latency: `data` 0 cycles; `last` shows a byte the cycle after it is sent.
/// Cost (yosys `synth_ice40`, checked by `tests/board_verilog.rs`): 8 flip-flops, 2 LUT4.
#[derive(LogicBlock)]
pub struct AnswerByte {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// The core's class.
    pub m_class: Input<Bits16>,
    /// The core's framing verdict.
    pub m_error: Input<Bit>,
    /// The byte is taken.
    pub sent: Input<Bit>,
    /// Class in bits 6..0, error in bit 7.
    pub data: Output<Bits8>,
    /// The last byte sent.
    pub last: Output<Bits8>,
    /// Pulse: an error answer is taken.
    pub error_sent: Output<Bit>,
    class8: Wire<Bits8>,
    class_unused: Wire<Bit>,
    last_r: RDff<Bits8>,
    msb8: Constant<Bits8>,
    low7: Constant<Bits8>,
    zero8: Constant<Bits8>,
}

impl Default for AnswerByte {
    fn default() -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            m_class: Signal::default(),
            m_error: Signal::default(),
            sent: Signal::default(),
            data: Signal::default(),
            last: Signal::default(),
            error_sent: Signal::default(),
            class8: Signal::default(),
            class_unused: Signal::default(),
            last_r: RDff::default(),
            msb8: Constant::new(bits(0x80)),
            low7: Constant::new(bits(0x7f)),
            zero8: Constant::new(bits(0)),
        }
    }
}

impl Logic for AnswerByte {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, last_r);
        self.last_r.rst.next = self.rst.val();
        self.class8.next = self.m_class.val().get_bits::<8>(0);
        self.class_unused.next = self.m_class.val().get_bits::<8>(8) != self.zero8.val();
        if self.m_error.val() {
            self.data.next = (self.class8.val() & self.low7.val()) | self.msb8.val();
        } else {
            self.data.next = self.class8.val() & self.low7.val();
        }
        if self.sent.val() {
            self.last_r.d.next = self.data.val();
        }
        self.error_sent.next = self.sent.val() & self.m_error.val();
        self.last.next = self.last_r.q.val();
    }
}
