//! `SpiFlashReader`: streams a weight image out of an SPI flash at boot.

use crate::board::check_param;
use crate::board::spi_shifter::SpiShifter;
use crate::prelude::*;

/// Run-time parameters of a [`SpiFlashReader`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpiFlashConfig {
    /// Cycles to wait after reset before the first command (and, with `wake_up`, between the
    /// wake-up command and READ: tRES1 is ~3 µs on common flashes). `0 ..= 2^20 - 1`.
    pub start_delay_cycles: u32,
    /// Clock cycles per half period of `sck` (`1` gives `sck = clk / 2`). `1 ..= 256`.
    pub sck_half_period: u32,
    /// Flash byte address of the first word (24 bits), e.g. `0x100000` on iCEBreaker.
    pub address: u32,
    /// Number of 16-bit words to read (`1 ..= 2^24`).
    pub words: u32,
    /// Send "release from deep power-down" (`0xAB`) first. Costs nothing on a flash that is
    /// awake, and wakes one that the configuration logic or a previous design put to sleep.
    pub wake_up: bool,
}

control_states! {
    /// Control states of [`SpiFlashReader`].
    enum FlashState {
        /// The start delay after reset.
        Wait0,
        /// Sending the wake-up command `0xAB`.
        Wake,
        /// `cs_n` high, the start delay again (tRES1).
        Wait1,
        /// Sending READ `0x03` and the address.
        Cmd,
        /// Reading words.
        Data,
        /// Every word read; `cs_n` high until reset.
        Done,
    }
}

/// Reads `words` 16-bit words from an SPI NOR flash (standard READ `0x03`, 24-bit address,
/// SPI mode 0) once after reset and presents them as the DESIGN §4 weight load stream.
///
/// Sequence after reset: wait `start_delay_cycles`; if `wake_up`, send `0xAB` (one byte,
/// `cs_n` low then high) and wait `start_delay_cycles` again; send `0x03` and the 24-bit
/// `address` MSB first; clock in `2·words` bytes. Each word is **little-endian**: the first
/// byte read is `w_data[7:0]`, the second `w_data[15:8]` (a `weights.bin` of u16 LE words
/// written at `address`). One cycle after the last falling edge of `sck`, `cs_n` goes high and the block stays idle until
/// the next reset.
///
/// SPI mode 0: `sck` idles low; `mosi` changes while `sck` is low (after the falling edge);
/// `miso` is sampled at the end of the high phase, in the clock cycle that makes `sck` fall,
/// i.e. before the flash changes it (it changes after the falling edge). Every half period
/// lasts `sck_half_period` cycles; `sck`, `cs_n` and `mosi` are registered. Choose it so
/// that `sck` stays within the flash's limit for READ `0x03` (often 33–50 MHz; `1` is fine at
/// 12 or 25 MHz) and the pad-to-pad round trip `sck` → `miso` stays below one clock period.
///
/// Back-pressure: one output word is buffered; the next word is clocked in while it waits.
/// If the buffer is still full when a new word would start, `sck` is paused (held low,
/// `cs_n` low) until the word is taken: the flash needs no minimum clock rate.
///
/// Ports:
/// - `clock`, `rst` (in): clock and synchronous active-high reset (restarts the whole
///   sequence, `cs_n` high).
/// - `cs_n`, `sck`, `mosi` (out), `miso` (in): the SPI flash bus.
/// - `w_valid` (out), `w_ready` (in), `w_data` (out, `Bits<16>`), `w_last` (out): the load
///   stream, AXI-Stream style (`w_valid` does not depend on `w_ready`; data is held while
///   stalled); `w_last` is high on the final word only.
/// - `done` (out): high once the last word has been taken, until reset.
///
/// Latency (`h = sck_half_period`, `d = start_delay_cycles`, checked by
/// `tests/board_spi_flash.rs`): `w_valid` first rises in cycle `d + 1 + 96·h`, counting the
/// first cycle with `rst` low as cycle 0 (`+ 16·h + d + 1` with `wake_up`: the `0xAB` byte
/// and the second wait); then one word every `32·h` cycles while `w_ready` is high (full SPI
/// rate, no gap between words).
/// Structure: a controller (`FlashState`; delay counter, command choice, word counter,
/// output buffer, `cs_n`) around the bit engine [`SpiShifter`] (`sck`, shift registers).
/// Cost (yosys `synth_ice40`, checked by `tests/board_verilog.rs`): 110 flip-flops (32-bit
/// command shift register, of which yosys keeps the non-constant bits, 16-bit input shift
/// register, 16-bit output buffer, 24-bit word counter, 20-bit delay counter, 8-bit phase
/// counter, state, `sck`, `cs_n`), 125 LUT4, 50 carries.
#[derive(LogicBlock)]
pub struct SpiFlashReader {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// Flash chip select, active low.
    pub cs_n: Output<Bit>,
    /// Flash serial clock (mode 0: idle low).
    pub sck: Output<Bit>,
    /// Controller → flash data.
    pub mosi: Output<Bit>,
    /// Flash → controller data.
    pub miso: Input<Bit>,
    /// A weight word is on `w_data`.
    pub w_valid: Output<Bit>,
    /// The consumer takes `w_data`.
    pub w_ready: Input<Bit>,
    /// Weight word (little-endian from flash).
    pub w_data: Output<Bits16>,
    /// `w_data` is the last word of the image.
    pub w_last: Output<Bit>,
    /// The whole image has been delivered.
    pub done: Output<Bit>,
    /// The SPI bit engine.
    pub shifter: SpiShifter,
    state: Wire<FlashState>,
    state_r: RDff<Bits<{ FlashState::BITS }>>,
    dly: RDff<Bits<20>>,
    wcnt: RDff<Bits24>,
    buf_valid: RDff<Bit>,
    buf_data: RDff<Bits16>,
    delay: Constant<Bits<20>>,
    one20: Constant<Bits<20>>,
    zero20: Constant<Bits<20>>,
    n8: Constant<Bits<6>>,
    n32: Constant<Bits<6>>,
    cmd_read: Constant<Bits32>,
    cmd_wake: Constant<Bits32>,
    wake: Constant<Bit>,
    eight16: Constant<Bits16>,
    wlast: Constant<Bits24>,
    one24: Constant<Bits24>,
}

impl SpiFlashReader {
    /// A reader with the run-time parameters `cfg` (ranges in [`SpiFlashConfig`]).
    pub fn new(cfg: SpiFlashConfig) -> Self {
        let block = "spi flash reader";
        check_param(
            block,
            "start_delay_cycles",
            cfg.start_delay_cycles,
            0..1 << 20,
        );
        check_param(block, "address", cfg.address, 0..1 << 24);
        check_param(block, "words", cfg.words, 1..=1 << 24);
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            cs_n: Signal::default(),
            sck: Signal::default(),
            mosi: Signal::default(),
            miso: Signal::default(),
            w_valid: Signal::default(),
            w_ready: Signal::default(),
            w_data: Signal::default(),
            w_last: Signal::default(),
            done: Signal::default(),
            shifter: SpiShifter::new(cfg.sck_half_period),
            state: Signal::default(),
            state_r: RDff::default(),
            dly: RDff::default(),
            wcnt: RDff::default(),
            buf_valid: RDff::default(),
            buf_data: RDff::default(),
            delay: Constant::new(bits(cfg.start_delay_cycles as u64)),
            one20: Constant::new(bits(1)),
            zero20: Constant::new(bits(0)),
            n8: Constant::new(bits(8)),
            n32: Constant::new(bits(32)),
            cmd_read: Constant::new(bits((0x03u64 << 24) | cfg.address as u64)),
            cmd_wake: Constant::new(bits(0xABu64 << 24)),
            wake: Constant::new(cfg.wake_up),
            eight16: Constant::new(bits(8)),
            wlast: Constant::new(bits(cfg.words as u64 - 1)),
            one24: Constant::new(bits(1)),
        }
    }
}

impl Logic for SpiFlashReader {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state_r, dly, wcnt, buf_valid, buf_data);
        self.state_r.rst.next = self.rst.val();
        self.dly.rst.next = self.rst.val();
        self.wcnt.rst.next = self.rst.val();
        self.buf_valid.rst.next = self.rst.val();
        self.buf_data.rst.next = self.rst.val();
        self.shifter.clock.next = self.clock.val();
        self.shifter.rst.next = self.rst.val();
        self.shifter.miso.next = self.miso.val();
        self.state.next = self.state_r.q.val().into();
        // The next command: READ and its address (WAKE only first, with `wake`).
        self.shifter.start.next = false;
        self.shifter.word.next = self.cmd_read.val();
        self.shifter.count.next = self.n32.val();
        self.shifter.enable.next = (self.state.val() == FlashState::Wake)
            | (self.state.val() == FlashState::Cmd)
            | (self.state.val() == FlashState::Data);
        // A new word may start only when the output buffer is free (or freed now).
        self.shifter.hold.next = self.buf_valid.q.val() & !self.w_ready.val();
        if self.buf_valid.q.val() & self.w_ready.val() {
            self.buf_valid.d.next = false;
        }
        // Only the wait states count: the delay counter stops at the delay.
        if self.dly.q.val() != self.delay.val() {
            self.dly.d.next = self.dly.q.val() + self.one20.val();
        }
        match self.state.val() {
            FlashState::Wait0 => {
                if self.dly.q.val() == self.delay.val() {
                    self.shifter.start.next = true;
                    if self.wake.val() {
                        self.state_r.d.next = FlashState::Wake.into();
                        self.shifter.word.next = self.cmd_wake.val();
                        self.shifter.count.next = self.n8.val();
                    } else {
                        self.state_r.d.next = FlashState::Cmd.into();
                    }
                }
            }
            FlashState::Wake => {
                if self.shifter.done.val() {
                    self.state_r.d.next = FlashState::Wait1.into();
                    self.dly.d.next = self.zero20.val();
                }
            }
            FlashState::Wait1 => {
                if self.dly.q.val() == self.delay.val() {
                    self.shifter.start.next = true;
                    self.state_r.d.next = FlashState::Cmd.into();
                }
            }
            FlashState::Cmd => {
                if self.shifter.done.val() {
                    self.state_r.d.next = FlashState::Data.into();
                }
            }
            FlashState::Data => {
                if self.shifter.done.val() {
                    // First byte read is the low byte.
                    self.buf_valid.d.next = true;
                    self.buf_data.d.next = (self.shifter.rx.val() << self.eight16.val())
                        | (self.shifter.rx.val() >> self.eight16.val());
                    self.wcnt.d.next = self.wcnt.q.val() + self.one24.val();
                    if self.wcnt.q.val() == self.wlast.val() {
                        self.state_r.d.next = FlashState::Done.into();
                    }
                }
            }
            FlashState::Done => {}
        }
        self.cs_n.next = self.shifter.cs_n.val();
        self.sck.next = self.shifter.sck.val();
        self.mosi.next = self.shifter.mosi.val();
        self.w_valid.next = self.buf_valid.q.val();
        self.w_data.next = self.buf_data.q.val();
        // The last word is buffered with the move to `Done`.
        self.w_last.next = self.state.val() == FlashState::Done;
        self.done.next = (self.state.val() == FlashState::Done) & !self.buf_valid.q.val();
    }
}
