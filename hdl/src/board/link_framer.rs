//! `LinkFramer`: link frames (UART bytes, [`crate::board::link`]) → feature beats of the
//! board wrapper, with the frame check and the header resynchronisation.

use crate::board::check_param;
use crate::board::link::LinkFormat;
use crate::prelude::*;
use std::collections::BTreeMap;

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
/// Payload bytes enter a 16-bit buffer (7 bits each); a value leaves it per cycle while the
/// buffer holds `value_bits` bits and `beat_ready` is high (not in a cycle a byte arrives);
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
/// flip-flops (16-bit buffer, bit count, feature and byte counters, 8-bit sum, state, the three
/// registered compares), ~300 LUT4 including the 32-entry level table.
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
    /// Wire value → raw input.
    pub lut: ROM<Bits8, 8>,
    x9: ZeroExtend<8, 9>,
    b16: ZeroExtend<8, 16>,
    state: Wire<FrameState>,
    header: Wire<Bit>,
    listening: Wire<Bit>,
    in_frame: Wire<Bit>,
    at_last: Wire<Bit>,
    partial: Wire<Bit>,
    emit: Wire<Bit>,
    rest: Wire<Bits16>,
    rest_n: Wire<Bits16>,
    state_r: RDff<Bits<{ FrameState::BITS }>>,
    after_r: RDff<Bit>,
    idle_r: RDff<Bit>,
    bitbuf: RDff<Bits16>,
    nbits: RDff<Bits16>,
    cnt: RDff<Bits16>,
    nbytes: RDff<Bits16>,
    sum: RDff<Bits8>,
    /// `cnt == inputs − 1` and `nbits ≥ value_bits`, computed from the counters' next values
    /// and registered: the emit decision then starts at flip-flops, not at two compares
    /// (ULX3S: the framer's compare → emit → buffer path was the design's longest, 100.2 MHz).
    at_last_r: RDff<Bit>,
    has_value_r: RDff<Bit>,
    /// `nbits > 16 − 7` (no room for a byte), registered the same way: the overflow →
    /// verdict → verdict-FIFO path started at this compare (iCEBreaker: the board's longest).
    full_r: RDff<Bit>,
    vb: Constant<Bits16>,
    vmask: Constant<Bits8>,
    last_feature: Constant<Bits16>,
    last_byte: Constant<Bits16>,
    room: Constant<Bits16>,
    seven16: Constant<Bits16>,
    zero16: Constant<Bits16>,
    one16: Constant<Bits16>,
    low7: Constant<Bits8>,
    zero8: Constant<Bits8>,
    last_bit: Constant<Bits<9>>,
    zero9: Constant<Bits<9>>,
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
        let table: BTreeMap<Bits8, Bits8> = format
            .table()
            .into_iter()
            .enumerate()
            .map(|(w, x)| (bits(w as u64), bits(x as u64)))
            .collect();
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
            lut: ROM::new(table),
            x9: ZeroExtend::new(),
            b16: ZeroExtend::new(),
            state: Signal::default(),
            header: Signal::default(),
            listening: Signal::default(),
            in_frame: Signal::default(),
            at_last: Signal::default(),
            partial: Signal::default(),
            emit: Signal::default(),
            rest: Signal::default(),
            rest_n: Signal::default(),
            state_r: RDff::default(),
            after_r: RDff::default(),
            idle_r: RDff::new(true),
            bitbuf: RDff::default(),
            nbits: RDff::default(),
            cnt: RDff::default(),
            nbytes: RDff::default(),
            sum: RDff::default(),
            at_last_r: RDff::new(format.inputs == 1),
            has_value_r: RDff::default(),
            full_r: RDff::default(),
            vb: Constant::new(bits(vb as u64)),
            vmask: Constant::new(bits((1u64 << vb) - 1)),
            last_feature: Constant::new(bits(format.inputs as u64 - 1)),
            last_byte: Constant::new(bits(format.payload_bytes() as u64 - 1)),
            room: Constant::new(bits(16 - 7)),
            seven16: Constant::new(bits(7)),
            zero16: Constant::new(bits(0)),
            one16: Constant::new(bits(1)),
            low7: Constant::new(bits(0x7f)),
            zero8: Constant::new(bits(0)),
            last_bit: Constant::new(bits(0x100)),
            zero9: Constant::new(bits(0)),
        }
    }
}

impl Logic for LinkFramer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state_r,
            after_r,
            idle_r,
            bitbuf,
            nbits,
            cnt,
            nbytes,
            sum,
            at_last_r,
            has_value_r,
            full_r
        );
        self.full_r.rst.next = self.rst.val();
        self.at_last_r.rst.next = self.rst.val();
        self.has_value_r.rst.next = self.rst.val();
        self.state_r.rst.next = self.rst.val();
        self.after_r.rst.next = self.rst.val();
        self.idle_r.rst.next = self.rst.val();
        self.bitbuf.rst.next = self.rst.val();
        self.nbits.rst.next = self.rst.val();
        self.cnt.rst.next = self.rst.val();
        self.nbytes.rst.next = self.rst.val();
        self.sum.rst.next = self.rst.val();
        self.state.next = self.state_r.q.val().into();
        self.header.next = self.rx_data.val().get_bit(7);
        self.b16.x.next = self.rx_data.val() & self.low7.val();
        self.at_last.next = self.at_last_r.q.val();
        self.partial.next = !self.idle_r.q.val();
        // The value at the bottom of the buffer, through the table.
        self.lut.address.next = self.bitbuf.q.val().get_bits::<8>(0) & self.vmask.val();
        self.x9.x.next = self.lut.data.val();
        if self.at_last.val() {
            self.beat.next = self.x9.y.val() | self.last_bit.val();
        } else {
            self.beat.next = self.x9.y.val();
        }
        self.beat_valid.next = false;
        self.verdict_valid.next = false;
        self.verdict_bad.next = false;
        self.dropped.next = false;
        self.emit.next = false;
        self.rest.next = self.bitbuf.q.val();
        self.rest_n.next = self.nbits.q.val();
        self.listening.next = true;
        self.in_frame.next = false;
        match self.state.val() {
            FrameState::Hunt => {}
            FrameState::Payload => {
                self.in_frame.next = true;
            }
            FrameState::Check => {
                self.in_frame.next = true;
            }
            FrameState::Fill2 => {
                self.listening.next = false;
            }
            FrameState::Fill1 => {
                self.listening.next = false;
            }
        }
        if self.listening.val()
            & self.partial.val()
            & self.has_value_r.q.val()
            & !self.rx_valid.val()
        {
            self.beat_valid.next = true;
            self.emit.next = self.beat_ready.val();
        }
        if self.emit.val() {
            self.rest.next = self.bitbuf.q.val() >> self.vb.val();
            self.rest_n.next = self.nbits.q.val() - self.vb.val();
            if self.at_last.val() {
                // The sample is complete: drop the padding bits.
                self.cnt.d.next = self.zero16.val();
                self.idle_r.d.next = true;
                self.rest.next = self.zero16.val();
                self.rest_n.next = self.zero16.val();
            } else {
                self.cnt.d.next = self.cnt.q.val() + self.one16.val();
            }
        }
        self.bitbuf.d.next = self.rest.val();
        self.nbits.d.next = self.rest_n.val();
        match self.state.val() {
            FrameState::Hunt => {
                if self.rx_valid.val() & !self.header.val() {
                    self.dropped.next = true;
                }
            }
            FrameState::Payload => {
                // No value leaves the buffer in a byte's cycle (`emit` needs `!rx_valid`), so
                // the byte goes in next to the registered buffer: the insert's shift then
                // starts at a flip-flop, not behind the emit decision and its subtraction.
                if self.rx_valid.val() & !self.header.val() {
                    if self.full_r.q.val() {
                        // Buffer overflow: the frame is lost.
                        self.dropped.next = true;
                        self.verdict_valid.next = true;
                        self.verdict_bad.next = true;
                        self.after_r.d.next = false;
                        self.bitbuf.d.next = self.zero16.val();
                        self.nbits.d.next = self.zero16.val();
                        if self.at_last.val() {
                            self.state_r.d.next = FrameState::Fill2.into();
                        } else {
                            self.state_r.d.next = FrameState::Fill1.into();
                        }
                    } else {
                        self.bitbuf.d.next =
                            self.bitbuf.q.val() | (self.b16.y.val() << self.nbits.q.val());
                        self.nbits.d.next = self.nbits.q.val() + self.seven16.val();
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
                self.beat.next = self.zero9.val();
                self.beat_valid.next = true;
                self.dropped.next = self.rx_valid.val();
                if self.beat_ready.val() {
                    self.state_r.d.next = FrameState::Fill1.into();
                }
            }
            FrameState::Fill1 => {
                self.beat.next = self.last_bit.val();
                self.beat_valid.next = true;
                self.dropped.next = self.rx_valid.val();
                if self.beat_ready.val() {
                    self.cnt.d.next = self.zero16.val();
                    if self.after_r.q.val() {
                        // A header opened a new frame while this sample was partial.
                        self.idle_r.d.next = false;
                        self.state_r.d.next = FrameState::Payload.into();
                    } else {
                        self.idle_r.d.next = true;
                        self.state_r.d.next = FrameState::Hunt.into();
                    }
                }
            }
        }
        // A header opens a new frame in any state but a filler's; an open frame is bad.
        if self.rx_valid.val() & self.header.val() & self.listening.val() {
            if self.in_frame.val() {
                self.verdict_valid.next = true;
                self.verdict_bad.next = true;
            }
            self.sum.d.next = self.zero8.val();
            self.nbytes.d.next = self.zero16.val();
            self.bitbuf.d.next = self.zero16.val();
            self.nbits.d.next = self.zero16.val();
            if self.partial.val() {
                self.after_r.d.next = true;
                if self.at_last.val() {
                    self.state_r.d.next = FrameState::Fill2.into();
                } else {
                    self.state_r.d.next = FrameState::Fill1.into();
                }
            } else {
                self.idle_r.d.next = false;
                self.cnt.d.next = self.zero16.val();
                self.state_r.d.next = FrameState::Payload.into();
            }
        }
        self.at_last_r.d.next = self.cnt.d.val() == self.last_feature.val();
        self.has_value_r.d.next = self.nbits.d.val() >= self.vb.val();
        self.full_r.d.next = self.nbits.d.val() > self.room.val();
    }
}
