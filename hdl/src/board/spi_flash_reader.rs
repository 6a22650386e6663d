//! `SpiFlashReader`: streams a weight image out of an SPI flash at boot.

use crate::prim::RDff;
use rust_hdl::prelude::*;

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
/// Cost (yosys `synth_ice40`, checked by `tests/board_verilog.rs`): 111 flip-flops (32-bit
/// command shift register, of which yosys keeps the non-constant bits, 16-bit input shift
/// register, 16-bit output buffer, 24-bit word counter, 20-bit delay counter, 8-bit phase
/// counter, state), 133 LUT4, 50 carries.
#[derive(LogicBlock)]
pub struct SpiFlashReader {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset, active high.
    pub rst: Signal<In, Bit>,
    /// Flash chip select, active low.
    pub cs_n: Signal<Out, Bit>,
    /// Flash serial clock (mode 0: idle low).
    pub sck: Signal<Out, Bit>,
    /// Controller → flash data.
    pub mosi: Signal<Out, Bit>,
    /// Flash → controller data.
    pub miso: Signal<In, Bit>,
    /// A weight word is on `w_data`.
    pub w_valid: Signal<Out, Bit>,
    /// The consumer takes `w_data`.
    pub w_ready: Signal<In, Bit>,
    /// Weight word (little-endian from flash).
    pub w_data: Signal<Out, Bits<16>>,
    /// `w_data` is the last word of the image.
    pub w_last: Signal<Out, Bit>,
    /// The whole image has been delivered.
    pub done: Signal<Out, Bit>,
    tick: Signal<Local, Bit>,
    shifting: Signal<Local, Bit>,
    stall: Signal<Local, Bit>,
    isr_full: Signal<Local, Bits<16>>,
    state: RDff<Bits<3>>,
    dly: RDff<Bits<20>>,
    ph: RDff<Bits<8>>,
    sck_r: RDff<Bit>,
    cs_n_r: RDff<Bit>,
    nbits: RDff<Bits<6>>,
    osr: RDff<Bits<32>>,
    isr: RDff<Bits<16>>,
    wcnt: RDff<Bits<24>>,
    buf_valid: RDff<Bit>,
    buf_last: RDff<Bit>,
    buf_data: RDff<Bits<16>>,
    s_wait0: Constant<Bits<3>>,
    s_wake: Constant<Bits<3>>,
    s_wait1: Constant<Bits<3>>,
    s_cmd: Constant<Bits<3>>,
    s_data: Constant<Bits<3>>,
    s_done: Constant<Bits<3>>,
    delay: Constant<Bits<20>>,
    one20: Constant<Bits<20>>,
    zero20: Constant<Bits<20>>,
    half_m1: Constant<Bits<8>>,
    zero8: Constant<Bits<8>>,
    one8: Constant<Bits<8>>,
    n1: Constant<Bits<6>>,
    n8: Constant<Bits<6>>,
    n16: Constant<Bits<6>>,
    n32: Constant<Bits<6>>,
    cmd_read: Constant<Bits<32>>,
    cmd_wake: Constant<Bits<32>>,
    one32: Constant<Bits<32>>,
    wake: Constant<Bit>,
    one16: Constant<Bits<16>>,
    eight16: Constant<Bits<16>>,
    wlast: Constant<Bits<24>>,
    one24: Constant<Bits<24>>,
}

impl SpiFlashReader {
    /// A reader with the run-time parameters `cfg` (ranges in [`SpiFlashConfig`]).
    pub fn new(cfg: SpiFlashConfig) -> Self {
        assert!(
            cfg.start_delay_cycles < 1 << 20,
            "spi flash reader: start_delay_cycles = {} not below 2^20",
            cfg.start_delay_cycles
        );
        assert!(
            (1..=256).contains(&cfg.sck_half_period),
            "spi flash reader: sck_half_period = {} not in 1..=256",
            cfg.sck_half_period
        );
        assert!(
            cfg.address < 1 << 24,
            "spi flash reader: address {:#x} does not fit 24 bits",
            cfg.address
        );
        assert!(
            (1..=1 << 24).contains(&cfg.words),
            "spi flash reader: words = {} not in 1..=2^24",
            cfg.words
        );
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
            tick: Signal::default(),
            shifting: Signal::default(),
            stall: Signal::default(),
            isr_full: Signal::default(),
            state: RDff::default(),
            dly: RDff::default(),
            ph: RDff::default(),
            sck_r: RDff::default(),
            cs_n_r: RDff::new(true),
            nbits: RDff::default(),
            osr: RDff::default(),
            isr: RDff::default(),
            wcnt: RDff::default(),
            buf_valid: RDff::default(),
            buf_last: RDff::default(),
            buf_data: RDff::default(),
            s_wait0: Constant::new(bits(0)),
            s_wake: Constant::new(bits(1)),
            s_wait1: Constant::new(bits(2)),
            s_cmd: Constant::new(bits(3)),
            s_data: Constant::new(bits(4)),
            s_done: Constant::new(bits(5)),
            delay: Constant::new(bits(cfg.start_delay_cycles as u64)),
            one20: Constant::new(bits(1)),
            zero20: Constant::new(bits(0)),
            half_m1: Constant::new(bits(cfg.sck_half_period as u64 - 1)),
            zero8: Constant::new(bits(0)),
            one8: Constant::new(bits(1)),
            n1: Constant::new(bits(1)),
            n8: Constant::new(bits(8)),
            n16: Constant::new(bits(16)),
            n32: Constant::new(bits(32)),
            cmd_read: Constant::new(bits((0x03u64 << 24) | cfg.address as u64)),
            cmd_wake: Constant::new(bits(0xABu64 << 24)),
            one32: Constant::new(bits(1)),
            wake: Constant::new(cfg.wake_up),
            one16: Constant::new(bits(1)),
            eight16: Constant::new(bits(8)),
            wlast: Constant::new(bits(cfg.words as u64 - 1)),
            one24: Constant::new(bits(1)),
        }
    }
}

impl Logic for SpiFlashReader {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, dly, ph, sck_r, cs_n_r, nbits, osr, isr, wcnt, buf_valid, buf_last,
            buf_data
        );
        self.state.rst.next = self.rst.val();
        self.dly.rst.next = self.rst.val();
        self.ph.rst.next = self.rst.val();
        self.sck_r.rst.next = self.rst.val();
        self.cs_n_r.rst.next = self.rst.val();
        self.nbits.rst.next = self.rst.val();
        self.osr.rst.next = self.rst.val();
        self.isr.rst.next = self.rst.val();
        self.wcnt.rst.next = self.rst.val();
        self.buf_valid.rst.next = self.rst.val();
        self.buf_last.rst.next = self.rst.val();
        self.buf_data.rst.next = self.rst.val();
        self.tick.next = self.ph.q.val() == self.zero8.val();
        self.shifting.next = (self.state.q.val() == self.s_wake.val())
            | (self.state.q.val() == self.s_cmd.val())
            | (self.state.q.val() == self.s_data.val());
        // A new word may start only when the output buffer is free (or freed now).
        self.stall.next = (self.state.q.val() == self.s_data.val())
            & (self.nbits.q.val() == self.n16.val())
            & self.buf_valid.q.val()
            & !self.w_ready.val();
        if self.miso.val() {
            self.isr_full.next = (self.isr.q.val() << self.one16.val()) | self.one16.val();
        } else {
            self.isr_full.next = self.isr.q.val() << self.one16.val();
        }
        if self.buf_valid.q.val() & self.w_ready.val() {
            self.buf_valid.d.next = false;
        }
        if self.state.q.val() == self.s_wait0.val() {
            if self.dly.q.val() == self.delay.val() {
                self.cs_n_r.d.next = false;
                self.sck_r.d.next = false;
                self.ph.d.next = self.half_m1.val();
                if self.wake.val() {
                    self.state.d.next = self.s_wake.val();
                    self.osr.d.next = self.cmd_wake.val();
                    self.nbits.d.next = self.n8.val();
                } else {
                    self.state.d.next = self.s_cmd.val();
                    self.osr.d.next = self.cmd_read.val();
                    self.nbits.d.next = self.n32.val();
                }
            } else {
                self.dly.d.next = self.dly.q.val() + self.one20.val();
            }
        } else if self.state.q.val() == self.s_wait1.val() {
            // `cs_n` rises one cycle after the last falling edge of `sck`.
            self.cs_n_r.d.next = true;
            if self.dly.q.val() == self.delay.val() {
                self.cs_n_r.d.next = false;
                self.sck_r.d.next = false;
                self.ph.d.next = self.half_m1.val();
                self.state.d.next = self.s_cmd.val();
                self.osr.d.next = self.cmd_read.val();
                self.nbits.d.next = self.n32.val();
            } else {
                self.dly.d.next = self.dly.q.val() + self.one20.val();
            }
        } else if self.state.q.val() == self.s_done.val() {
            self.cs_n_r.d.next = true;
        } else if self.shifting.val() {
            if !self.tick.val() {
                self.ph.d.next = self.ph.q.val() - self.one8.val();
            } else if !self.sck_r.q.val() {
                // End of the low phase: rising edge (the flash samples `mosi`).
                if !self.stall.val() {
                    self.sck_r.d.next = true;
                    self.ph.d.next = self.half_m1.val();
                }
            } else {
                // End of the high phase: sample `miso`, falling edge, next `mosi` bit.
                self.sck_r.d.next = false;
                self.ph.d.next = self.half_m1.val();
                self.osr.d.next = self.osr.q.val() << self.one32.val();
                self.isr.d.next = self.isr_full.val();
                self.nbits.d.next = self.nbits.q.val() - self.n1.val();
                if self.nbits.q.val() == self.n1.val() {
                    if self.state.q.val() == self.s_wake.val() {
                        self.state.d.next = self.s_wait1.val();
                        self.dly.d.next = self.zero20.val();
                    } else if self.state.q.val() == self.s_cmd.val() {
                        self.state.d.next = self.s_data.val();
                        self.nbits.d.next = self.n16.val();
                    } else {
                        // First byte read is the low byte.
                        self.buf_valid.d.next = true;
                        self.buf_data.d.next = (self.isr_full.val() << self.eight16.val())
                            | (self.isr_full.val() >> self.eight16.val());
                        self.buf_last.d.next = self.wcnt.q.val() == self.wlast.val();
                        self.wcnt.d.next = self.wcnt.q.val() + self.one24.val();
                        self.nbits.d.next = self.n16.val();
                        if self.wcnt.q.val() == self.wlast.val() {
                            self.state.d.next = self.s_done.val();
                        }
                    }
                }
            }
        }
        self.cs_n.next = self.cs_n_r.q.val();
        self.sck.next = self.sck_r.q.val();
        self.mosi.next = self.osr.q.val().get_bit(31);
        self.w_valid.next = self.buf_valid.q.val();
        self.w_data.next = self.buf_data.q.val();
        self.w_last.next = self.buf_last.q.val();
        self.done.next = (self.state.q.val() == self.s_done.val()) & !self.buf_valid.q.val();
    }
}
