//! `LinkFramer`: link frames (UART bytes, [`crate::board::link`]) → feature beats of the
//! board wrapper, with the frame check and the header resynchronisation.

use crate::board::check_param;
use crate::board::link::LinkFormat;
use crate::board::link_bit_buffer::LinkBitBuffer;
use crate::board::link_features::LinkFeatures;
use crate::prelude::*;

control_states! {
    /// Control states of [`LinkFramer`].
    enum FrameState {
        /// No frame open: waiting for a header (other bytes are ignored).
        Hunt,
        /// A frame is open: payload bytes.
        Payload,
        /// Every payload byte is in: the check byte.
        Check,
        /// Closing a partial sample whose last feature is missing: a plain filler, then `Fill1`.
        Fill2,
        /// Closing a partial sample: one filler beat with `last`.
        Fill1,
    }
}

/// Decodes the link frames of [`LinkFormat`] `format` into feature beats `{last, x}`
/// (`beat[7:0]` the raw input `x` of the wire value through [`LinkFormat::table`], `beat[8]`
/// high on every sample's `inputs`-th feature), and gives one **verdict** per header
/// received (bad: the check byte differs from the payload sum, a header came before the
/// check byte, or the bit buffer overflowed), in order, for the answer byte.
///
/// Payload bytes enter a 16-bit buffer ([`LinkBitBuffer`], 7 bits each); a value leaves it per
/// cycle, as a beat formed by [`LinkFeatures`], while the buffer holds `value_bits` bits and `beat_ready` is high (not in a cycle a byte arrives);
/// after a sample's last value the padding bits are dropped. Every header opens a sample, and
/// every sample gets closed: when a frame ends early (a header before its check byte, a
/// buffer overflow) the framer pushes one filler beat `x = 0` with `last` (or, when only the
/// last feature is missing, a filler without `last` and one with it, which the core drops),
/// so the core answers it with `m_error`. A byte that arrives while a filler is offered is
/// lost.
///
/// Ports:
/// - `clock`, `rst` (in): clock and synchronous active-high reset (no frame, no sample).
/// - `rx_valid` (in, a one-cycle pulse per byte, no back-pressure: [`crate::board::UartRx`]),
///   `rx_data` (in, `Bits<8>`): the bytes.
/// - `beat_valid` (out), `beat_ready` (in), `beat` (out, `Bits<9>`): the beats, for a FIFO;
///   a value's beat is held until taken.
/// - `verdict_valid` (out, one-cycle pulse), `verdict_bad` (out): a frame's verdict.
/// - `dropped` (out): one-cycle pulse: a byte was lost (outside a frame, during a filler,
///   or on a buffer overflow).
///
/// Latency: a value's beat is offered the cycle after its byte's pulse (registered buffer);
/// the verdict in the cycle of the check byte's (or the next header's) pulse.
/// Cost (yosys `synth_ice40`, checked by `tests/board_verilog.rs`, MNIST format): 86
/// flip-flops (the bit buffer's 34, the beat former's 17, byte counter, 8-bit sum, state),
/// ~300 LUT4 including the 32-entry level table.
#[derive(LogicBlock)]
pub struct LinkFramer {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// Pulse: a byte arrived.
    pub rx_valid: Input<Bit>,
    /// The byte.
    pub rx_data: Input<Bits8>,
    /// A beat is offered.
    pub beat_valid: Output<Bit>,
    /// The beat is taken.
    pub beat_ready: Input<Bit>,
    /// `{last, x}`.
    pub beat: Output<Bits<9>>,
    /// Pulse: a frame's verdict.
    pub verdict_valid: Output<Bit>,
    /// The verdict: the frame was bad.
    pub verdict_bad: Output<Bit>,
    /// Pulse: a byte was lost.
    pub dropped: Output<Bit>,
    bit_buffer: LinkBitBuffer,
    feat: LinkFeatures,
    state: Wire<FrameState>,
    /// The state a partial sample is closed in: `Fill2` when only its last feature is
    /// missing, else `Fill1`.
    fill_state: Wire<Bits<{ FrameState::BITS }>>,
    header: Wire<Bit>,
    listening: Wire<Bit>,
    in_frame: Wire<Bit>,
    emit: Wire<Bit>,
    state_r: RDff<Bits<{ FrameState::BITS }>>,
    after_r: RDff<Bit>,
    idle_r: RDff<Bit>,
    nbytes: RDff<Bits16>,
    sum: RDff<Bits8>,
    last_byte: Constant<Bits16>,
    zero16: Constant<Bits16>,
    one16: Constant<Bits16>,
    low7: Constant<Bits8>,
    zero8: Constant<Bits8>,
}

impl LinkFramer {
    /// The framer of `format` (`inputs` in `1 ..= 65536`, `value_bits` and `input_bits` at
    /// most 8, payload at most 65536 bytes).
    pub fn new(format: &LinkFormat) -> Self {
        let vb = format.value_bits();
        check_param("link framer", "inputs", format.inputs, 1..=1 << 16);
        check_param("link framer", "input_bits", format.input_bits, 1..=8);
        check_param("link framer", "value_bits", vb, 1..=8);
        check_param(
            "link framer",
            "payload bytes",
            format.payload_bytes(),
            1..=1 << 16,
        );
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            rx_valid: Signal::default(),
            rx_data: Signal::default(),
            beat_valid: Signal::default(),
            beat_ready: Signal::default(),
            beat: Signal::default(),
            verdict_valid: Signal::default(),
            verdict_bad: Signal::default(),
            dropped: Signal::default(),
            bit_buffer: LinkBitBuffer::new(vb as usize),
            feat: LinkFeatures::new(format.inputs, &format.table()),
            state: Signal::default(),
            fill_state: Signal::default(),
            header: Signal::default(),
            listening: Signal::default(),
            in_frame: Signal::default(),
            emit: Signal::default(),
            state_r: RDff::default(),
            after_r: RDff::default(),
            idle_r: RDff::new(true),
            nbytes: RDff::default(),
            sum: RDff::default(),
            last_byte: Constant::new(bits(format.payload_bytes() as u64 - 1)),
            zero16: Constant::new(bits(0)),
            one16: Constant::new(bits(1)),
            low7: Constant::new(bits(0x7f)),
            zero8: Constant::new(bits(0)),
        }
    }
}

impl Logic for LinkFramer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state_r, after_r, idle_r, nbytes, sum);
        clock!(self, clock, bit_buffer, feat);
        self.bit_buffer.rst.next = self.rst.val();
        self.feat.rst.next = self.rst.val();
        self.state_r.rst.next = self.rst.val();
        self.after_r.rst.next = self.rst.val();
        self.idle_r.rst.next = self.rst.val();
        self.nbytes.rst.next = self.rst.val();
        self.sum.rst.next = self.rst.val();
        self.state.next = self.state_r.q.val().into();
        self.header.next = self.rx_data.val().get_bit(7);
        if self.feat.at_last.val() {
            self.fill_state.next = FrameState::Fill2.into();
        } else {
            self.fill_state.next = FrameState::Fill1.into();
        }
        // Fillers do not listen; Payload and Check are inside a frame.
        self.listening.next =
            (self.state.val() != FrameState::Fill2) & (self.state.val() != FrameState::Fill1);
        self.in_frame.next =
            (self.state.val() == FrameState::Payload) | (self.state.val() == FrameState::Check);
        self.verdict_valid.next = false;
        self.verdict_bad.next = false;
        self.bit_buffer.data.next = self.rx_data.val();
        self.bit_buffer.push.next = false;
        self.bit_buffer.clear.next = false;
        self.feat.value.next = self.bit_buffer.value.val();
        self.feat.restart.next = false;
        self.feat.filler.next = !self.listening.val();
        self.feat.filler_last.next = self.state.val() == FrameState::Fill1;
        self.beat.next = self.feat.beat.val();
        // A value leaves the buffer in a cycle with no byte, so a byte's insert never meets
        // a pop. A filler beat is offered whatever arrives (and a byte then is lost).
        self.beat_valid.next = !self.listening.val()
            | (!self.idle_r.q.val() & self.bit_buffer.has_value.val() & !self.rx_valid.val());
        self.emit.next = self.listening.val() & self.beat_valid.val() & self.beat_ready.val();
        self.dropped.next = !self.listening.val() & self.rx_valid.val();
        self.bit_buffer.pop.next = self.emit.val();
        self.bit_buffer.pop_rest.next = self.feat.at_last.val();
        self.feat.advance.next = self.emit.val();
        if self.emit.val() & self.feat.at_last.val() {
            // The sample is complete (the buffer drops its padding bits).
            self.idle_r.d.next = true;
        }
        match self.state.val() {
            FrameState::Hunt => {
                self.dropped.next = self.rx_valid.val() & !self.header.val();
            }
            FrameState::Payload => {
                if self.rx_valid.val() & !self.header.val() {
                    if self.bit_buffer.full.val() {
                        // Buffer overflow: the frame is lost.
                        self.dropped.next = true;
                        self.verdict_valid.next = true;
                        self.verdict_bad.next = true;
                        self.after_r.d.next = false;
                        self.bit_buffer.clear.next = true;
                        self.state_r.d.next = self.fill_state.val();
                    } else {
                        self.bit_buffer.push.next = true;
                        self.sum.d.next = self.sum.q.val() + self.rx_data.val();
                        self.nbytes.d.next = self.nbytes.q.val() + self.one16.val();
                        if self.nbytes.q.val() == self.last_byte.val() {
                            self.state_r.d.next = FrameState::Check.into();
                        }
                    }
                }
            }
            FrameState::Check => {
                if self.rx_valid.val() & !self.header.val() {
                    self.verdict_valid.next = true;
                    self.verdict_bad.next =
                        (self.sum.q.val() & self.low7.val()) != self.rx_data.val();
                    self.state_r.d.next = FrameState::Hunt.into();
                }
            }
            FrameState::Fill2 => {
                if self.beat_ready.val() {
                    self.state_r.d.next = FrameState::Fill1.into();
                }
            }
            FrameState::Fill1 => {
                if self.beat_ready.val() {
                    // After a header (`after_r`) the new frame's payload follows.
                    self.feat.restart.next = true;
                    self.idle_r.d.next = !self.after_r.q.val();
                    if self.after_r.q.val() {
                        self.state_r.d.next = FrameState::Payload.into();
                    } else {
                        self.state_r.d.next = FrameState::Hunt.into();
                    }
                }
            }
        }
        // A header opens a new frame in any state but a filler's; an open frame is bad.
        if self.rx_valid.val() & self.header.val() & self.listening.val() {
            self.verdict_valid.next = self.in_frame.val();
            self.verdict_bad.next = self.in_frame.val();
            self.sum.d.next = self.zero8.val();
            self.nbytes.d.next = self.zero16.val();
            self.bit_buffer.clear.next = true;
            if self.idle_r.q.val() {
                self.idle_r.d.next = false;
                self.feat.restart.next = true;
                self.state_r.d.next = FrameState::Payload.into();
            } else {
                // Close the partial sample first.
                self.after_r.d.next = true;
                self.state_r.d.next = self.fill_state.val();
            }
        }
    }
}
