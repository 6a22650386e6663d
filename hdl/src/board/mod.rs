//! The board wrappers (issue 5): what a board adds around the DESIGN §4 core.
//!
//! - [`Board`]: the one place for board facts (oscillator, core clock and PLL, UART
//!   divisor, flash offset of the weight image, reset timing, pin names).
//! - [`BoardTop`]: the wrapper block; [`generate_board`] emits it as the ANSI module
//!   `board_top` with the board's pins, plus the memory and flash images.
//! - [`ClockGen`]: the core clock (iCE40 `SB_PLL40_PAD`, ECP5 `EHXPLLL`, or the oscillator).
//! - [`UartRx`], [`UartTx`]: 8N1 UART receiver and transmitter with a run-time
//!   `cycles_per_bit` divisor (FTDI UART of the iCEBreaker and the ULX3S).
//! - [`SpiFlashReader`]: streams the weight image out of the board's SPI flash at boot
//!   (READ `0x03`, SPI mode 0) as the DESIGN §4 weight load stream `w_*`.
//! - [`PowerOnReset`]: active-high reset held for a run-time number of cycles after
//!   configuration and while a (synchronised) button is pressed. It is the **only** block of
//!   this crate whose state relies on FPGA power-up values (`initial`); everything downstream
//!   is reset by it.

#[allow(clippy::module_inception)]
pub mod board;
pub mod board_top;
pub mod clock_gen;
pub mod generate_board;
pub mod power_on_reset;
pub mod spi_flash_reader;
pub mod uart_rx;
pub mod uart_tx;

pub use board::{Board, Ecp5PllConfig, Ice40PllConfig, Pll, UART_BAUD};
pub use board_top::{BoardParams, BoardTop};
pub use clock_gen::ClockGen;
pub use generate_board::{generate_board, generate_board_with, FlashImage, GeneratedBoard};
pub use power_on_reset::PowerOnReset;
pub use spi_flash_reader::{SpiFlashConfig, SpiFlashReader};
pub use uart_rx::UartRx;
pub use uart_tx::UartTx;
