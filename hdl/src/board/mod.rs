//! The board wrappers (issue 5): what a board adds around the DESIGN §4 core.
//!
//! - [`Board`]: the one place for board facts (oscillator, core clock and PLL, UART
//!   divisor, flash offset of the weight image, reset timing, pin names).
//! - [`BoardTop`]: the wrapper block; [`generate_board`] emits it as the ANSI module
//!   `board_top` with the board's pins, plus the memory and flash images.
//! - [`link`]: the host ↔ board frame format (header, 7-bit payload of packed input levels,
//!   check byte; one answer byte per frame); [`LinkFramer`]: link frames → feature beats,
//!   `s_last` from a feature counter, the frame verdicts and the header resynchronisation;
//!   [`AnswerByte`]: the core's answer as one byte.
//! - [`ClockGen`]: the core clock (iCE40 `SB_PLL40_PAD`, ECP5 `EHXPLLL`, or the oscillator).
//! - [`UartRx`], [`UartTx`]: 8N1 UART receiver and transmitter with a run-time
//!   `cycles_per_bit` divisor (FTDI UART of the iCEBreaker and the ULX3S, 3 Mbaud).
//! - [`SpiFlashReader`]: streams the weight image out of the board's SPI flash at boot
//!   (READ `0x03`, SPI mode 0) as the DESIGN §4 weight load stream `w_*`; its bit engine is
//!   [`SpiShifter`].
//! - [`PowerOnReset`]: active-high reset held for a run-time number of cycles after
//!   configuration and while a (synchronised) button is pressed. It is the **only** block of
//!   this crate whose state relies on FPGA power-up values (`initial`); everything downstream
//!   is reset by it.

/// Declares the control states of a board block: a rust-hdl `#[derive(LogicState)]` enum,
/// which the block's `update` `match`es, and `From<Bits<N>>`, the inverse of the derive's
/// `Into<Bits<N>>` (an encoding no state has decodes to the first state: unreachable).
///
/// The state register is an [`RDff`](crate::prim::RDff) of the enum's encoding
/// (`Bits<{ State::BITS }>`), not of the enum: rust-hdl declares an enum's `localparam`s in
/// every module with a port of that type and writes an enum reset value as a 64-bit literal,
/// so a register of the enum type does not pass `verilator -Wall`. A block decodes the
/// register into a local signal of the enum type, `self.state.next =
/// self.state_r.q.val().into()`, matches on it, and sets the next state with
/// `self.state_r.d.next = State::Next.into()`; both conversions are plain assignments in the
/// Verilog (`case (state) State$Next: …`).
macro_rules! control_states {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, LogicState)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl From<Bits<{ $name::BITS }>> for $name {
            fn from(b: Bits<{ $name::BITS }>) -> Self {
                [$($name::$variant),+]
                    .get(b.index())
                    .copied()
                    .unwrap_or_default()
            }
        }
    };
}

pub mod answer_byte;
pub mod beat_packer;
/// Panics with `"<block>: <what> = <value> not in <range>"` unless `range` holds `value`: the
/// range check of a board block's run-time parameter (widths of its counters).
fn check_param<T, R>(block: &str, what: &str, value: T, range: R)
where
    T: PartialOrd + std::fmt::Display,
    R: std::ops::RangeBounds<T> + std::fmt::Debug,
{
    assert!(
        range.contains(&value),
        "{block}: {what} = {value} not in {range:?}"
    );
}

#[allow(clippy::module_inception)]
pub mod board;
pub mod board_top;
pub mod clock_gen;
pub mod generate_board;
pub mod link;
pub mod link_bit_buffer;
pub mod link_features;
pub mod link_framer;
pub mod power_on_reset;
pub mod spi_flash_reader;
pub mod spi_shifter;
pub mod uart_rx;
pub mod uart_tx;

pub use answer_byte::AnswerByte;
pub use beat_packer::BeatPacker;
pub use board::{Board, Ecp5PllConfig, Ice40PllConfig, Pll};
pub use board_top::{BoardParams, BoardTop};
pub use clock_gen::ClockGen;
pub use generate_board::{generate_board, generate_board_with, FlashImage, GeneratedBoard};
pub use link::LinkFormat;
pub use link_bit_buffer::LinkBitBuffer;
pub use link_features::LinkFeatures;
pub use link_framer::LinkFramer;
pub use power_on_reset::PowerOnReset;
pub use spi_flash_reader::{SpiFlashConfig, SpiFlashReader};
pub use spi_shifter::SpiShifter;
pub use uart_rx::UartRx;
pub use uart_tx::UartTx;
