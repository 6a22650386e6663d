//! `SpiShifter`: the SPI mode 0 bit engine of the flash reader.

use crate::board::check_param;
use crate::prelude::*;

/// Shifts `count` bits of `word` out on `mosi` (MSB first) and as many bits in from `miso`,
/// in SPI mode 0 with `sck_half_period` clock cycles per half period of `sck`; after the last
/// bit it goes on with 16-bit words (clocking `0`s out) while `enable` stays high.
///
/// `sck` idles low; `mosi` changes after the falling edge; `miso` is sampled in the cycle that
/// makes `sck` fall, i.e. at the end of the high phase, before the device changes it. `sck`
/// and `mosi` are registered. `hold` pauses the engine (`sck` held low) before a rising edge
/// with 16 bits left to go, i.e. before each 16-bit word after `count` (and halfway through a
/// `count` of 32), until it drops: the consumer of the previous word is not ready. A
/// transfer lasts from `start` while `enable` is high: the chip select `cs_n` falls with
/// `start` and rises one cycle after `enable` drops (one cycle after the last falling edge of
/// `sck`, when `enable` drops with `done`).
///
/// Ports:
/// - `clock`, `rst` (in): clock and synchronous active-high reset (`sck` low, nothing loaded).
/// - `start` (in): load `word` (`Bits<32>`, in) and `count` (`Bits<6>`, in, `1 ..= 32`
///   bits), `sck` low for a full half period before the first rising edge. Overrides
///   `enable` in that cycle.
/// - `enable` (in): shift; low, the engine stands still (`sck` stays low after a last bit).
/// - `hold` (in): do not start the next 16-bit word (16 bits left).
/// - `cs_n`, `sck`, `mosi` (out), `miso` (in): the SPI bus; `cs_n` is registered, high after
///   reset.
/// - `done` (out): high in the cycle that clocks in the last bit of `count` or of a 16-bit
///   word (the falling edge of `sck`); `rx` (out, `Bits<16>`): the last 16 bits clocked in,
///   this cycle's `miso` bit included (the first bit received is bit 15).
///
/// Latency (`h = sck_half_period`): after `start` in cycle `c`, `sck` rises in cycle
/// `c + h + 1`, and `done` is high in cycle `c + 2·h·count`; each further word takes `32·h`
/// cycles (no gap, unless `hold`).
/// Cost (yosys `synth_ice40`, checked by `tests/board_verilog.rs`; part of
/// [`crate::board::SpiFlashReader`]'s): 63 flip-flops (8-bit phase counter, `sck`, `cs_n`,
/// 6-bit bit counter, 32-bit output and 16-bit input shift registers, of which yosys keeps
/// the bits that are not constant), 67 LUT4, 10 carries.
#[derive(LogicBlock)]
pub struct SpiShifter {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// Load `word` and `count`.
    pub start: Input<Bit>,
    /// Bits to send, MSB first.
    pub word: Input<Bits32>,
    /// Number of bits of `word`.
    pub count: Input<Bits<6>>,
    /// Shift.
    pub enable: Input<Bit>,
    /// Pause before the next 16-bit word.
    pub hold: Input<Bit>,
    /// Device → engine data.
    pub miso: Input<Bit>,
    /// Chip select, active low.
    pub cs_n: Output<Bit>,
    /// Serial clock (mode 0: idle low).
    pub sck: Output<Bit>,
    /// Engine → device data.
    pub mosi: Output<Bit>,
    /// The last bit of `count` or of a 16-bit word is clocked in.
    pub done: Output<Bit>,
    /// The last 16 bits received.
    pub rx: Output<Bits16>,
    tick: Wire<Bit>,
    rx_next: Wire<Bits16>,
    cs_n_r: RDff<Bit>,
    ph: RDff<Bits8>,
    sck_r: RDff<Bit>,
    nbits: RDff<Bits<6>>,
    osr: RDff<Bits32>,
    isr: RDff<Bits16>,
    half_m1: Constant<Bits8>,
    zero8: Constant<Bits8>,
    one8: Constant<Bits8>,
    n1: Constant<Bits<6>>,
    n16: Constant<Bits<6>>,
    one32: Constant<Bits32>,
    one16: Constant<Bits16>,
}

impl SpiShifter {
    /// An engine with `sck_half_period` (`1 ..= 256`) clock cycles per half period of `sck`.
    pub fn new(sck_half_period: u32) -> Self {
        check_param("spi shifter", "sck_half_period", sck_half_period, 1..=256);
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            start: Signal::default(),
            word: Signal::default(),
            count: Signal::default(),
            enable: Signal::default(),
            hold: Signal::default(),
            miso: Signal::default(),
            cs_n: Signal::default(),
            sck: Signal::default(),
            mosi: Signal::default(),
            done: Signal::default(),
            rx: Signal::default(),
            tick: Signal::default(),
            rx_next: Signal::default(),
            cs_n_r: RDff::new(true),
            ph: RDff::default(),
            sck_r: RDff::default(),
            nbits: RDff::default(),
            osr: RDff::default(),
            isr: RDff::default(),
            half_m1: Constant::new(bits(sck_half_period as u64 - 1)),
            zero8: Constant::new(bits(0)),
            one8: Constant::new(bits(1)),
            n1: Constant::new(bits(1)),
            n16: Constant::new(bits(16)),
            one32: Constant::new(bits(1)),
            one16: Constant::new(bits(1)),
        }
    }
}

impl Logic for SpiShifter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, cs_n_r, ph, sck_r, nbits, osr, isr);
        self.cs_n_r.rst.next = self.rst.val();
        self.ph.rst.next = self.rst.val();
        self.sck_r.rst.next = self.rst.val();
        self.nbits.rst.next = self.rst.val();
        self.osr.rst.next = self.rst.val();
        self.isr.rst.next = self.rst.val();
        self.tick.next = self.ph.q.val() == self.zero8.val();
        if self.miso.val() {
            self.rx_next.next = (self.isr.q.val() << self.one16.val()) | self.one16.val();
        } else {
            self.rx_next.next = self.isr.q.val() << self.one16.val();
        }
        if self.start.val() {
            self.cs_n_r.d.next = false;
            self.sck_r.d.next = false;
            self.ph.d.next = self.half_m1.val();
            self.osr.d.next = self.word.val();
            self.nbits.d.next = self.count.val();
        } else if self.enable.val() {
            if !self.tick.val() {
                self.ph.d.next = self.ph.q.val() - self.one8.val();
            } else if !self.sck_r.q.val() {
                // End of the low phase: rising edge (the device samples `mosi`).
                if !(self.hold.val() & (self.nbits.q.val() == self.n16.val())) {
                    self.sck_r.d.next = true;
                    self.ph.d.next = self.half_m1.val();
                }
            } else {
                // End of the high phase: sample `miso`, falling edge, next `mosi` bit.
                self.sck_r.d.next = false;
                self.ph.d.next = self.half_m1.val();
                self.osr.d.next = self.osr.q.val() << self.one32.val();
                self.isr.d.next = self.rx_next.val();
                if self.nbits.q.val() == self.n1.val() {
                    self.nbits.d.next = self.n16.val();
                } else {
                    self.nbits.d.next = self.nbits.q.val() - self.n1.val();
                }
            }
        } else {
            self.cs_n_r.d.next = true;
        }
        self.done.next =
            self.tick.val() & self.sck_r.q.val() & (self.nbits.q.val() == self.n1.val());
        self.cs_n.next = self.cs_n_r.q.val();
        self.sck.next = self.sck_r.q.val();
        self.mosi.next = self.osr.q.val().get_bit(31);
        self.rx.next = self.rx_next.val();
    }
}
