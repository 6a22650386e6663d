//! `Board`: the one place for the facts of the boards the wrapper targets.

use crate::board::SpiFlashConfig;
use crate::target::Target;

/// Parameters of an iCE40 `SB_PLL40_PAD` in `FEEDBACK_PATH = "SIMPLE"` mode:
/// `f_out = f_in · (DIVF + 1) / ((DIVR + 1) · 2^DIVQ)` (iCE40 sysCLOCK PLL design and usage
/// guide, TN1251; `icepll -i 12 -o 30` gives the iCEBreaker values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ice40PllConfig {
    /// Reference divider (`0 ..= 15`).
    pub divr: u32,
    /// Feedback divider (`0 ..= 127`).
    pub divf: u32,
    /// VCO output divider, a power of two (`1 ..= 6`).
    pub divq: u32,
    /// Loop filter range, chosen by `icepll` from the phase detector frequency
    /// `f_in / (DIVR + 1)` (`1` at 12 MHz).
    pub filter_range: u32,
}

impl Ice40PllConfig {
    /// The VCO frequency for an input of `f_in` Hz (must be 533–1066 MHz).
    pub fn vco_hz(&self, f_in: u64) -> u64 {
        f_in * (self.divf as u64 + 1) / (self.divr as u64 + 1)
    }

    /// The output frequency for an input of `f_in` Hz.
    pub fn out_hz(&self, f_in: u64) -> u64 {
        self.vco_hz(f_in) >> self.divq
    }
}

/// Parameters of an ECP5 `EHXPLLL` with `FEEDBK_PATH = "CLKOP"`:
/// `f_out = f_in · CLKFB_DIV / CLKI_DIV`, `f_vco = f_out · CLKOP_DIV` (400–800 MHz)
/// (ECP5 sysCLOCK PLL/DLL design and usage guide, TN1263; `ecppll -i 25 -o 100` gives the
/// ULX3S values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ecp5PllConfig {
    /// Reference divider (`1 ..= 128`).
    pub clki_div: u32,
    /// Feedback divider (`1 ..= 128`).
    pub clkfb_div: u32,
    /// VCO → `CLKOP` divider (`1 ..= 128`).
    pub clkop_div: u32,
    /// Coarse phase setting of `CLKOP` as `ecppll` computes it for 0°: `(CLKOP_DIV − 1) / 2`.
    pub clkop_cphase: u32,
}

impl Ecp5PllConfig {
    /// The output frequency for an input of `f_in` Hz.
    pub fn out_hz(&self, f_in: u64) -> u64 {
        f_in * self.clkfb_div as u64 / self.clki_div as u64
    }

    /// The VCO frequency for an input of `f_in` Hz (must be 400–800 MHz).
    pub fn vco_hz(&self, f_in: u64) -> u64 {
        self.out_hz(f_in) * self.clkop_div as u64
    }
}

/// The PLL between a board's oscillator and its core clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pll {
    /// iCE40 `SB_PLL40_PAD`.
    Ice40(Ice40PllConfig),
    /// ECP5 `EHXPLLL`.
    Ecp5(Ecp5PllConfig),
}

impl Pll {
    /// The output frequency for an input of `f_in` Hz.
    pub fn out_hz(&self, f_in: u64) -> u64 {
        match self {
            Pll::Ice40(p) => p.out_hz(f_in),
            Pll::Ecp5(p) => p.out_hz(f_in),
        }
    }

    /// The VCO frequency for an input of `f_in` Hz.
    pub fn vco_hz(&self, f_in: u64) -> u64 {
        match self {
            Pll::Ice40(p) => p.vco_hz(f_in),
            Pll::Ecp5(p) => p.vco_hz(f_in),
        }
    }
}

/// A board the generated wrapper (`board_top`, see [`crate::board::BoardTop`]) runs on.
///
/// Every board fact lives here: oscillator, core clock (and the PLL producing it), UART
/// rate and divisor, where the weight image sits in the SPI flash, reset timing and the top-level pin
/// names (the same names as `constraints/icebreaker.pcf` and `constraints/ulx3s-25f.lpf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Board {
    /// iCEBreaker v1.0: iCE40UP5K-SG48, 12 MHz oscillator, FTDI UART, 16 MiB SPI flash.
    Icebreaker,
    /// ULX3S with the LFE5U-25F: 25 MHz oscillator, FTDI UART, eight LEDs.
    Ulx3s25f,
}

/// `(name, is_output, width)` of a top-level port of `board_top`.
pub type BoardPort = (&'static str, bool, usize);

impl Board {
    /// Every board.
    pub const ALL: [Board; 2] = [Board::Icebreaker, Board::Ulx3s25f];

    /// Short name (`--board`): `icebreaker`, `ulx3s-25f`.
    pub fn name(self) -> &'static str {
        match self {
            Board::Icebreaker => "icebreaker",
            Board::Ulx3s25f => "ulx3s-25f",
        }
    }

    /// The device target of the board.
    pub fn target(self) -> Target {
        match self {
            Board::Icebreaker => Target::Ice40Up5k,
            Board::Ulx3s25f => Target::Ecp5_25k,
        }
    }

    /// The constraint file under `constraints/`.
    pub fn constraints_file(self) -> &'static str {
        match self {
            Board::Icebreaker => "icebreaker.pcf",
            Board::Ulx3s25f => "ulx3s-25f.lpf",
        }
    }

    /// Board oscillator on `clk`, in Hz.
    pub fn osc_hz(self) -> u64 {
        match self {
            Board::Icebreaker => 12_000_000,
            Board::Ulx3s25f => 25_000_000,
        }
    }

    /// The PLL between `clk` and the core clock (`None`: the oscillator clocks the core).
    pub fn pll(self) -> Option<Pll> {
        match self {
            // 12 MHz · 80 / 32 = 30 MHz, VCO 960 MHz, PFD 12 MHz (filter range 1,
            // `icepll -i 12 -o 30`): the core of the default model places at ~35 MHz on the
            // UP5K (nextpnr), so 30 MHz keeps a 15 % margin.
            Board::Icebreaker => Some(Pll::Ice40(Ice40PllConfig {
                divr: 0,
                divf: 79,
                divq: 5,
                filter_range: 1,
            })),
            // 25 MHz · 4 / 1 = 100 MHz, VCO 600 MHz (`ecppll -i 25 -o 100`): the ECP5-25F
            // target's clock; `tests/pnr_default.rs` checks that nextpnr meets it.
            Board::Ulx3s25f => Some(Pll::Ecp5(Ecp5PllConfig {
                clki_div: 1,
                clkfb_div: 4,
                clkop_div: 6,
                clkop_cphase: 2,
            })),
        }
    }

    /// The clock of the core and of every wrapper block, in Hz (computed from the PLL).
    pub fn core_clock_hz(self) -> u64 {
        match self.pll() {
            Some(p) => p.out_hz(self.osc_hz()),
            None => self.osc_hz(),
        }
    }

    /// The UART rate of the board's link, in baud: the fastest rate the board's USB bridge
    /// carries that the wrapper's UART (clocked by the core clock, one bit =
    /// [`Board::uart_cycles_per_bit`] cycles, ≥ 8 for the receiver's mid-bit sampling) hits
    /// within 2 %.
    ///
    /// - iCEBreaker: FTDI FT2232H, "RS232/RS422/RS485 UART transfer data rate up to 12 Mbaud"
    ///   (FTDI datasheet DS_FT2232H, features list); its rates are 12 MHz / `n` (plus eighths).
    ///   12 and 6 Mbaud would be 2.5 and 5 cycles per bit at 30 MHz, 4 Mbaud 7.5 cycles;
    ///   **3 Mbaud** is 10 cycles per bit, exact (0 %).
    /// - ULX3S: FTDI FT231X, "data transfer rates from 300 baud to 3 Mbaud" (FTDI datasheet
    ///   DS_FT231X, features list); its rates are 3 MHz / `n` (`n` = 1, 1.5, then eighths
    ///   from 2; FTDI application note AN232B-05). **3 Mbaud** is 33.33 cycles at 100 MHz:
    ///   33 cycles give 3.0303 Mbaud, +1.01 % (the receiver tolerates a few %, the FTDI's
    ///   16× receiver ~±3 %; 2 Mbaud would be exact but a third slower).
    pub fn uart_baud(self) -> u64 {
        match self {
            Board::Icebreaker => 3_000_000,
            Board::Ulx3s25f => 3_000_000,
        }
    }

    /// UART bit period in core clock cycles for [`Board::uart_baud`], rounded to nearest
    /// (iCEBreaker 10 at 30 MHz, 0 %; ULX3S 33 at 100 MHz, +1.01 %).
    pub fn uart_cycles_per_bit(self) -> u32 {
        let baud = self.uart_baud();
        ((self.core_clock_hz() + baud / 2) / baud) as u32
    }

    /// The UART rate the wrapper really runs, core clock / [`Board::uart_cycles_per_bit`].
    pub fn uart_actual_baud(self) -> f64 {
        self.core_clock_hz() as f64 / self.uart_cycles_per_bit() as f64
    }

    /// Relative error of the wrapper's UART rate against [`Board::uart_baud`] (the host
    /// bridge runs the nominal rate): `actual / nominal − 1`.
    pub fn uart_baud_error(self) -> f64 {
        self.uart_actual_baud() / self.uart_baud() as f64 - 1.0
    }

    /// Byte offset of the weight image (`weights.bin`) in the board's SPI flash, for boards
    /// whose wrapper loads weights from flash: iCEBreaker 0x100000 (1 MiB, past the 104 kB
    /// UP5K bitstream at 0). `None`: the wrapper has no flash reader.
    pub fn flash_weights_offset(self) -> Option<u32> {
        match self {
            Board::Icebreaker => Some(0x10_0000),
            Board::Ulx3s25f => None,
        }
    }

    /// The flash reader's parameters for an image of `words` 16-bit words: `sck` = core
    /// clock / 2 (15 MHz), 10 µs start delay (> tRES1 of the W25Q128 after the `0xAB`
    /// wake-up: the iCE40 may leave the flash in deep power-down after configuration).
    pub fn flash_config(self, words: u32) -> Option<SpiFlashConfig> {
        self.flash_weights_offset().map(|address| SpiFlashConfig {
            start_delay_cycles: (self.core_clock_hz() / 100_000) as u32,
            sck_half_period: 1,
            address,
            words,
            wake_up: true,
        })
    }

    /// Cycles the power-on reset is held after configuration / button release: 1 ms
    /// (DESIGN §6: iCE40 EBR reads zeros for a while after configuration).
    pub fn reset_hold_cycles(self) -> u32 {
        (self.core_clock_hz() / 1000).min(1 << 16) as u32
    }

    /// Number of `led[i]` pins (active high).
    pub fn leds(self) -> usize {
        match self {
            Board::Icebreaker => 5,
            Board::Ulx3s25f => 8,
        }
    }

    /// The top-level ports of `board_top`, in the order of the constraint file:
    /// `(name, output, width)`; `led` is a vector `led[leds-1:0]`.
    pub fn ports(self) -> Vec<BoardPort> {
        let mut p = vec![
            ("clk", false, 1),
            ("btn_n", false, 1),
            ("uart_rx", false, 1),
            ("uart_tx", true, 1),
        ];
        if self == Board::Icebreaker {
            p.push(("led_r_n", true, 1));
            p.push(("led_g_n", true, 1));
        }
        p.push(("led", true, self.leds()));
        if self == Board::Icebreaker {
            p.push(("flash_cs_n", true, 1));
            p.push(("flash_sck", true, 1));
            p.push(("flash_mosi", true, 1));
            p.push(("flash_miso", false, 1));
        }
        p
    }

    /// The pin names a constraint file must place (`led[i]` bit by bit).
    pub fn pin_names(self) -> Vec<String> {
        self.ports()
            .into_iter()
            .flat_map(|(name, _, w)| {
                if name == "led" {
                    (0..w).map(|i| format!("led[{i}]")).collect::<Vec<_>>()
                } else {
                    vec![name.to_string()]
                }
            })
            .collect()
    }

    /// What the LEDs show (for the README and the generated Verilog's header).
    pub fn led_doc(self) -> &'static str {
        match self {
            Board::Icebreaker => {
                "led_g_n: weights loaded (on = ready for samples); led_r_n: a UART framing \
                 error, a lost byte or an answer with bit 7 (bad frame, m_error) since \
                 reset; led[0]: heartbeat \
                 (~1.8 Hz); led[4:1]: bits 3..0 of the last class sent"
            }
            Board::Ulx3s25f => {
                "led[0]: weights loaded; led[1]: heartbeat (~1.5 Hz); led[2]: a UART framing \
                 error, a lost byte or an answer with bit 7 (bad frame, m_error) since \
                 reset; led[7:3]: bits 4..0 of the \
                 last class sent"
            }
        }
    }
}

impl std::fmt::Display for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Board {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Board::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| format!("unknown board \"{s}\": use icebreaker or ulx3s-25f"))
    }
}
