//! Verilog of the board blocks: `verilator --lint-only -Wall` and yosys `synth; check` clean,
//! every register of the UART and flash blocks has a synchronous reset, and the power-on
//! reset is the only block with power-up (`initial`) values; iCE40 LUT4/flip-flop counts stay
//! within the costs documented in the blocks' doc comments (printed with `--nocapture`).

mod common;

use common::{
    assert_every_register_resets, emit, verilator_lint_clean, yosys_clean, yosys_ice40_stat,
    Emitted,
};
use hdl::board::{
    AnswerByte, LinkFormat, LinkFramer, PowerOnReset, SpiFlashConfig, SpiFlashReader, SpiShifter,
    UartRx, UartTx,
};
use rust_hdl::prelude::*;

fn uart_tx() -> Emitted {
    let mut uut = UartTx::new(104);
    uut.clock.connect();
    uut.rst.connect();
    uut.valid.connect();
    uut.data.connect();
    uut.connect_all();
    emit(&uut, "uart_tx")
}

fn uart_rx() -> Emitted {
    let mut uut = UartRx::new(217);
    uut.clock.connect();
    uut.rst.connect();
    uut.rx.connect();
    uut.connect_all();
    emit(&uut, "uart_rx")
}

fn spi_flash_reader() -> Emitted {
    let mut uut = SpiFlashReader::new(SpiFlashConfig {
        start_delay_cycles: 120,
        sck_half_period: 1,
        address: 0x10_0000,
        words: 50_000,
        wake_up: true,
    });
    uut.clock.connect();
    uut.rst.connect();
    uut.miso.connect();
    uut.w_ready.connect();
    uut.connect_all();
    emit(&uut, "spi_flash_reader")
}

fn spi_shifter() -> Emitted {
    let mut uut = SpiShifter::new(1);
    uut.clock.connect();
    uut.rst.connect();
    uut.start.connect();
    uut.word.connect();
    uut.count.connect();
    uut.enable.connect();
    uut.hold.connect();
    uut.miso.connect();
    uut.connect_all();
    emit(&uut, "spi_shifter")
}

fn link_framer() -> Emitted {
    let mut uut = LinkFramer::new(&LinkFormat::of_model(&golden::default_model::quantized()));
    uut.clock.connect();
    uut.rst.connect();
    uut.rx_valid.connect();
    uut.rx_data.connect();
    uut.beat_ready.connect();
    uut.connect_all();
    emit(&uut, "link_framer")
}

fn answer_byte() -> Emitted {
    let mut uut = AnswerByte::default();
    uut.clock.connect();
    uut.rst.connect();
    uut.m_class.connect();
    uut.m_error.connect();
    uut.sent.connect();
    uut.connect_all();
    emit(&uut, "answer_byte")
}

fn power_on_reset() -> Emitted {
    let mut uut = PowerOnReset::new(64, true);
    uut.clock.connect();
    uut.button.connect();
    uut.connect_all();
    emit(&uut, "power_on_reset")
}

fn reset_blocks() -> Vec<Emitted> {
    vec![
        uart_tx(),
        uart_rx(),
        spi_flash_reader(),
        spi_shifter(),
        link_framer(),
        answer_byte(),
    ]
}

#[test]
fn registers_have_a_synchronous_reset_and_no_power_up_value() {
    for e in reset_blocks() {
        assert!(!e.text.contains("initial"), "{}: `initial` block", e.name);
        assert_every_register_resets(&e);
    }
}

#[test]
fn power_on_reset_relies_on_power_up_zeros_only() {
    let e = power_on_reset();
    let inits = e.text.matches("initial begin").count();
    assert_eq!(inits, 4, "btn0, btn1, count, done:\n{}", e.text);
    assert_eq!(inits, e.text.matches("always @(posedge").count());
    for line in e
        .text
        .lines()
        .filter(|l| l.trim_start().starts_with("q = "))
    {
        assert!(
            line.trim().ends_with("h0;"),
            "power-up value not zero: {line}"
        );
    }
}

#[test]
fn verilator_lint_is_clean() {
    for e in reset_blocks().into_iter().chain([power_on_reset()]) {
        verilator_lint_clean(&e);
    }
}

/// `(LUT4, flip-flops)` of an iCE40 `stat` report.
fn luts_and_ffs(stat: &str) -> (u64, u64) {
    let (mut luts, mut ffs) = (0, 0);
    for line in stat.lines() {
        let mut it = line.split_whitespace();
        let (Some(n), Some(cell)) = (it.next(), it.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        if cell == "SB_LUT4" {
            luts += n;
        } else if cell.starts_with("SB_DFF") {
            ffs += n;
        }
    }
    (luts, ffs)
}

#[test]
fn yosys_synthesis_is_clean_and_within_the_documented_ice40_cost() {
    // (block, LUT4 budget, flip-flop budget): the doc comments' figures plus ~20 % LUTs.
    let budgets = [
        (uart_tx(), 60, 30),
        (uart_rx(), 60, 36),
        (spi_flash_reader(), 150, 110),
        (spi_shifter(), 80, 63),
        (link_framer(), 360, 86),
        (answer_byte(), 4, 8),
        (power_on_reset(), 30, 19),
    ];
    for (e, max_luts, max_ffs) in budgets {
        yosys_clean(&e);
        let Some(stat) = yosys_ice40_stat(&e) else {
            continue;
        };
        let (luts, ffs) = luts_and_ffs(&stat);
        println!("{}: {luts} LUT4, {ffs} flip-flops", e.name);
        assert!(
            luts > 0 && luts <= max_luts,
            "{}: {luts} LUT4 > {max_luts}\n{stat}",
            e.name
        );
        assert!(
            ffs > 0 && ffs <= max_ffs,
            "{}: {ffs} flip-flops > {max_ffs}\n{stat}",
            e.name
        );
    }
}
