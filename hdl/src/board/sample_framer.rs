//! `SampleFramer`: UART bytes → feature beats of the board wrapper, with the idle-timeout
//! resynchronisation.

use crate::board::check_param;
use crate::prelude::*;

control_states! {
    /// Control states of [`SampleFramer`].
    enum FramerState {
        /// Passing bytes on as features.
        Bytes,
        /// Closing a partial sample: one filler beat with `s_last` left.
        LastFiller,
        /// Closing a sample whose last feature is missing: a plain filler, then `LastFiller`.
        TwoFillers,
    }
}

/// Frames a byte stream into samples of `inputs` features: each byte is a beat `{last, x}`
/// (`beat[7:0]` the byte, `beat[8]` high on every `inputs`-th byte).
///
/// **Resynchronisation.** If no byte arrives for `idle_timeout_cycles` while a sample is
/// partial, the framer closes it: one filler beat `x = 0` with `last`, or, when only the last
/// feature is missing, a filler without `last` and one with it, which the core drops; the
/// core answers the closed sample with `m_error`. The next byte starts a new sample. A byte
/// that arrives while a filler is offered is dropped.
///
/// Ports:
/// - `clock`, `rst` (in): clock and synchronous active-high reset (no partial sample).
/// - `rx_valid` (in, a one-cycle pulse per byte, no back-pressure: [`crate::board::UartRx`]),
///   `rx_data` (in, `Bits<8>`): the bytes.
/// - `beat_valid` (out), `beat_ready` (in), `beat` (out, `Bits<9>`): the beats, for a FIFO.
///   A byte's beat is offered only in the cycle of its pulse.
/// - `dropped` (out): one-cycle pulse: a byte was lost (offered while a filler was, or not
///   taken because `beat_ready` was low).
///
/// Latency: a byte's beat is offered in the cycle of its pulse (combinational); the first
/// filler beat `idle_timeout_cycles + 2` cycles after the last byte's pulse.
/// Cost (yosys `synth_ice40`, checked by `tests/board_verilog.rs`): 43 flip-flops (16-bit
/// feature counter, 24-bit idle counter, state), 102 LUT4, 36 carries.
#[derive(LogicBlock)]
pub struct SampleFramer {
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
    /// Pulse: a byte was lost.
    pub dropped: Output<Bit>,
    x9: ZeroExtend<8, 9>,
    state: Wire<FramerState>,
    at_last: Wire<Bit>,
    state_r: RDff<Bits<{ FramerState::BITS }>>,
    cnt: RDff<Bits16>,
    idle: RDff<Bits24>,
    last_feature: Constant<Bits16>,
    timeout: Constant<Bits24>,
    zero16: Constant<Bits16>,
    one16: Constant<Bits16>,
    zero24: Constant<Bits24>,
    one24: Constant<Bits24>,
    last_bit: Constant<Bits<9>>,
    zero9: Constant<Bits<9>>,
}

impl SampleFramer {
    /// A framer of samples of `inputs` features (`1 ..= 65536`) that closes a partial sample
    /// after `idle_timeout_cycles` (`1 .. 2^24`) without a byte.
    pub fn new(inputs: usize, idle_timeout_cycles: u32) -> Self {
        check_param("sample framer", "inputs", inputs, 1..=1 << 16);
        check_param(
            "sample framer",
            "idle_timeout_cycles",
            idle_timeout_cycles,
            1..1 << 24,
        );
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            rx_valid: Signal::default(),
            rx_data: Signal::default(),
            beat_valid: Signal::default(),
            beat_ready: Signal::default(),
            beat: Signal::default(),
            dropped: Signal::default(),
            x9: ZeroExtend::new(),
            state: Signal::default(),
            at_last: Signal::default(),
            state_r: RDff::default(),
            cnt: RDff::default(),
            idle: RDff::default(),
            last_feature: Constant::new(bits(inputs as u64 - 1)),
            timeout: Constant::new(bits(idle_timeout_cycles as u64)),
            zero16: Constant::new(bits(0)),
            one16: Constant::new(bits(1)),
            zero24: Constant::new(bits(0)),
            one24: Constant::new(bits(1)),
            last_bit: Constant::new(bits(0x100)),
            zero9: Constant::new(bits(0)),
        }
    }
}

impl Logic for SampleFramer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state_r, cnt, idle);
        self.state_r.rst.next = self.rst.val();
        self.cnt.rst.next = self.rst.val();
        self.idle.rst.next = self.rst.val();
        self.state.next = self.state_r.q.val().into();
        self.x9.x.next = self.rx_data.val();
        self.at_last.next = self.cnt.q.val() == self.last_feature.val();
        if self.at_last.val() {
            self.beat.next = self.x9.y.val() | self.last_bit.val();
        } else {
            self.beat.next = self.x9.y.val();
        }
        self.beat_valid.next = false;
        self.dropped.next = false;
        if self.cnt.q.val() != self.zero16.val() {
            self.idle.d.next = self.idle.q.val() + self.one24.val();
        }
        match self.state.val() {
            FramerState::Bytes => {
                if self.rx_valid.val() {
                    self.beat_valid.next = true;
                    self.dropped.next = !self.beat_ready.val();
                    self.idle.d.next = self.zero24.val();
                    if self.at_last.val() {
                        self.cnt.d.next = self.zero16.val();
                    } else {
                        self.cnt.d.next = self.cnt.q.val() + self.one16.val();
                    }
                } else if self.idle.q.val() == self.timeout.val() {
                    self.idle.d.next = self.zero24.val();
                    self.cnt.d.next = self.zero16.val();
                    if self.at_last.val() {
                        self.state_r.d.next = FramerState::TwoFillers.into();
                    } else {
                        self.state_r.d.next = FramerState::LastFiller.into();
                    }
                }
            }
            FramerState::LastFiller => {
                self.beat.next = self.last_bit.val();
                self.beat_valid.next = true;
                self.dropped.next = self.rx_valid.val();
                if self.beat_ready.val() {
                    self.state_r.d.next = FramerState::Bytes.into();
                }
            }
            FramerState::TwoFillers => {
                self.beat.next = self.zero9.val();
                self.beat_valid.next = true;
                self.dropped.next = self.rx_valid.val();
                if self.beat_ready.val() {
                    self.state_r.d.next = FramerState::LastFiller.into();
                }
            }
        }
    }
}
