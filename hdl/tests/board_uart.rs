//! `UartTx` and `UartRx` in rust-hdl's simulator: exact line waveform of the transmitter,
//! Tx → Rx loopback of seeded random bytes at several divisors (and with a baud mismatch),
//! framing error, break and glitch handling of the receiver.

mod common;

use hdl::board::{UartRx, UartTx};
use hdl::harness::Harness;
use rand::Rng;
use rust_hdl::prelude::*;

fn tx(cycles_per_bit: u32) -> Harness<UartTx> {
    let mut uut = UartTx::new(cycles_per_bit);
    uut.clock.connect();
    uut.rst.connect();
    uut.valid.connect();
    uut.data.connect();
    let mut h = Harness::new(uut, |x| &mut x.clock);
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    h
}

fn rx(cycles_per_bit: u32) -> Harness<UartRx> {
    let mut uut = UartRx::new(cycles_per_bit);
    uut.clock.connect();
    uut.rst.connect();
    uut.rx.connect();
    let mut h = Harness::new(uut, |x| &mut x.clock);
    h.uut.rx.next = true;
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    h
}

/// The ideal 8N1 line levels of one frame, one entry per clock cycle.
fn frame(byte: u8, cycles_per_bit: u32) -> Vec<bool> {
    let mut levels = vec![false];
    levels.extend((0..8).map(|i| byte >> i & 1 == 1));
    levels.push(true);
    levels
        .into_iter()
        .flat_map(|b| std::iter::repeat_n(b, cycles_per_bit as usize))
        .collect()
}

#[test]
fn tx_line_is_the_exact_8n1_waveform_back_to_back() {
    for (seed, cpb) in [(1u64, 2u32), (2, 5), (3, 16), (4, 104)] {
        let mut rng = common::rng(seed);
        let bytes: Vec<u8> = (0..12).map(|_| rng.gen()).collect();
        let mut h = tx(cpb);
        h.settle();
        assert!(h.uut.tx.val(), "idle high after reset");
        assert!(h.uut.ready.val(), "ready after reset");
        let mut line = vec![];
        let mut sent = 0;
        let total = bytes.len() * 10 * cpb as usize;
        // `valid` held high: the first byte is taken in cycle 0, its start bit is on the
        // line from cycle 1, frames follow back to back.
        while line.len() < total + 3 {
            h.uut.valid.next = sent < bytes.len();
            h.uut.data.next = bits(*bytes.get(sent).unwrap_or(&0x5a) as u64);
            h.settle();
            if h.uut.valid.val() && h.uut.ready.val() {
                sent += 1;
            }
            h.cycle();
            line.push(h.uut.tx.val());
        }
        let want: Vec<bool> = bytes
            .iter()
            .flat_map(|&b| frame(b, cpb))
            .chain(std::iter::repeat_n(true, 3))
            .collect();
        assert_eq!(sent, bytes.len());
        assert_eq!(line, want, "cycles_per_bit {cpb}");
    }
}

#[test]
fn tx_ready_is_low_during_a_frame_and_data_is_captured() {
    let cpb = 8;
    let mut h = tx(cpb);
    h.uut.valid.next = true;
    h.uut.data.next = bits(0xa5);
    h.cycle();
    // Change the data while the frame is in flight: the line must not follow.
    h.uut.data.next = bits(0x00);
    let mut line = vec![];
    for _ in 0..10 * cpb {
        h.settle();
        line.push(h.uut.tx.val());
        if line.len() < (10 * cpb) as usize {
            assert!(!h.uut.ready.val(), "ready during the frame");
        }
        h.uut.valid.next = false;
        h.cycle();
    }
    assert_eq!(line, frame(0xa5, cpb));
    h.settle();
    assert!(h.uut.ready.val() && h.uut.tx.val());
}

#[test]
fn tx_reset_cuts_a_frame_and_idles_high() {
    let mut h = tx(10);
    h.uut.valid.next = true;
    h.uut.data.next = bits(0x00);
    h.cycle();
    h.uut.valid.next = false;
    for _ in 0..25 {
        h.cycle();
    }
    h.settle();
    assert!(
        !h.uut.tx.val() && !h.uut.ready.val(),
        "mid-frame, data bit 0"
    );
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    for _ in 0..30 {
        h.settle();
        assert!(h.uut.tx.val() && h.uut.ready.val());
        h.cycle();
    }
}

/// Sends `n` random bytes from a `UartTx` with divisor `cpb_tx` into a `UartRx` with divisor
/// `cpb_rx` (the `tx` line wired to `rx`), with random idle gaps between frames (`p_valid`);
/// returns the bytes sent and received.
fn loopback(seed: u64, cpb_tx: u32, cpb_rx: u32, n: usize, p_valid: f64) -> (Vec<u8>, Vec<u8>) {
    let mut rng = common::rng(seed);
    let bytes: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
    let mut t = tx(cpb_tx);
    let mut r = rx(cpb_rx);
    let mut sent = 0;
    let mut got = vec![];
    let limit = (n as u64 + 2) * 10 * cpb_tx as u64 * 4 + 1000;
    while got.len() < n {
        assert!(
            t.cycles() < limit,
            "stuck: {} of {n} bytes received",
            got.len()
        );
        let valid = sent < n && rng.gen_bool(p_valid);
        t.uut.valid.next = valid;
        t.uut.data.next = bits(if valid { bytes[sent] as u64 } else { 0xff });
        t.settle();
        if valid && t.uut.ready.val() {
            sent += 1;
        }
        r.uut.rx.next = t.uut.tx.val();
        t.cycle();
        r.cycle();
        assert!(
            !r.uut.frame_error.val(),
            "framing error at byte {}",
            got.len()
        );
        if r.uut.valid.val() {
            got.push(r.uut.data.val().to_u64() as u8);
        }
    }
    // Nothing more arrives.
    for _ in 0..20 * cpb_tx {
        r.uut.rx.next = t.uut.tx.val();
        t.uut.valid.next = false;
        t.cycle();
        r.cycle();
        assert!(!r.uut.valid.val() && !r.uut.frame_error.val());
    }
    (bytes, got)
}

#[test]
fn loopback_random_bytes_at_several_divisors() {
    for (seed, cpb, p) in [
        (10u64, 4u32, 1.0),
        (11, 5, 0.3),
        (12, 7, 1.0),
        (13, 16, 0.05),
        (14, 104, 1.0),
        (15, 217, 0.5),
    ] {
        let n = if cpb > 100 { 24 } else { 200 };
        let (sent, got) = loopback(seed, cpb, cpb, n, p);
        assert_eq!(got, sent, "cycles_per_bit {cpb}");
    }
}

#[test]
fn loopback_tolerates_a_three_percent_baud_mismatch() {
    // Receiver set for 104 cycles/bit (115200 Bd at 12 MHz), sender 3 % fast and 3 % slow.
    for (seed, cpb_tx) in [(20u64, 101u32), (21, 107)] {
        let (sent, got) = loopback(seed, cpb_tx, 104, 40, 1.0);
        assert_eq!(got, sent, "sender at {cpb_tx} cycles/bit");
    }
}

/// Drives `UartRx`'s line with `levels` (one per cycle) and returns the `(cycle, byte)` of
/// every `valid` pulse and the cycles of every `frame_error` pulse.
fn drive_rx(cpb: u32, levels: &[bool]) -> (Vec<(usize, u8)>, Vec<usize>) {
    let mut r = rx(cpb);
    let mut bytes = vec![];
    let mut errors = vec![];
    for (c, &level) in levels.iter().enumerate() {
        r.uut.rx.next = level;
        r.cycle();
        if r.uut.valid.val() {
            bytes.push((c, r.uut.data.val().to_u64() as u8));
        }
        if r.uut.frame_error.val() {
            errors.push(c);
        }
        assert!(!(r.uut.valid.val() && r.uut.frame_error.val()));
    }
    (bytes, errors)
}

fn idle(cycles: u32) -> Vec<bool> {
    vec![true; cycles as usize]
}

#[test]
fn rx_flags_a_low_stop_bit_and_waits_out_a_break() {
    let cpb = 16;
    let mut levels = idle(40);
    // 0x3c with a low stop bit, then the line stays low for 5 more bit times (a break).
    let mut bad = frame(0x3c, cpb);
    let n = bad.len();
    bad[n - cpb as usize..].fill(false);
    levels.extend(bad);
    levels.extend(vec![false; 5 * cpb as usize]);
    levels.extend(idle(3 * cpb));
    levels.extend(frame(0xc3, cpb));
    levels.extend(idle(3 * cpb));
    let (bytes, errors) = drive_rx(cpb, &levels);
    assert_eq!(errors.len(), 1, "one framing error: {errors:?}");
    assert_eq!(bytes.len(), 1, "only the good frame: {bytes:?}");
    assert_eq!(bytes[0].1, 0xc3);
    assert!(errors[0] < bytes[0].0);
}

#[test]
fn rx_framing_error_alone_and_resync() {
    // A single frame with a low stop bit followed immediately by idle, then good bytes.
    let cpb = 8;
    let mut rng = common::rng(30);
    let mut levels = idle(20);
    let mut bad = frame(0x81, cpb);
    let n = bad.len();
    bad[n - cpb as usize..].fill(false);
    levels.extend(bad);
    levels.extend(idle(2 * cpb));
    let good: Vec<u8> = (0..10).map(|_| rng.gen()).collect();
    for &b in &good {
        levels.extend(frame(b, cpb));
    }
    levels.extend(idle(2 * cpb));
    let (bytes, errors) = drive_rx(cpb, &levels);
    assert_eq!(errors.len(), 1);
    assert_eq!(bytes.iter().map(|&(_, b)| b).collect::<Vec<_>>(), good);
}

#[test]
fn rx_ignores_a_glitch_shorter_than_half_a_bit() {
    let cpb = 16;
    let mut levels = idle(30);
    levels.extend(vec![false; (cpb / 2 - 2) as usize]);
    levels.extend(idle(20 * cpb));
    levels.extend(frame(0x42, cpb));
    levels.extend(idle(2 * cpb));
    let (bytes, errors) = drive_rx(cpb, &levels);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        bytes.iter().map(|&(_, b)| b).collect::<Vec<_>>(),
        vec![0x42]
    );
}

#[test]
fn rx_valid_comes_half_a_bit_after_the_stop_bit_middle() {
    // Documented latency: 9·cpb + ⌊cpb/2⌋ + 2 cycles after the start edge.
    for cpb in [4u32, 5, 20, 21] {
        let mut levels = idle(10);
        levels.extend(frame(0x5a, cpb));
        levels.extend(idle(40));
        let (bytes, _) = drive_rx(cpb, &levels);
        assert_eq!(bytes.len(), 1);
        let latency = bytes[0].0 - 10;
        let want = (9 * cpb + cpb / 2) as usize + 2;
        assert_eq!(latency, want, "cycles_per_bit {cpb}");
    }
}

#[test]
fn a_checker_that_compares_lines_does_fail_on_a_wrong_byte() {
    // The waveform comparison used above is not vacuous: one flipped data bit is caught.
    let cpb = 4;
    let (mut bytes, _) = drive_rx(cpb, &[idle(8), frame(0x11, cpb), idle(8)].concat());
    assert_eq!(bytes.pop().map(|(_, b)| b), Some(0x11));
    let (bytes, _) = drive_rx(cpb, &[idle(8), frame(0x13, cpb), idle(8)].concat());
    assert_ne!(bytes.last().map(|&(_, b)| b), Some(0x11));
}

/// Each board's receiver at its 3 Mbaud divisor (iCEBreaker 10 cycles/bit at 30 MHz, ULX3S 33
/// at 100 MHz) takes back-to-back bytes from a host bridge running the exact nominal rate
/// (bit edges at fractional cycles: 33.33 cycles per bit on the ULX3S, 1.01 % slower).
#[test]
fn board_receivers_take_back_to_back_bytes_at_the_bridges_nominal_rate() {
    use hdl::board::Board;
    use rand::{Rng, SeedableRng};
    for (seed, b) in [(30u64, Board::Icebreaker), (31, Board::Ulx3s25f)] {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let sent: Vec<u8> = (0..200).map(|_| rng.gen()).collect();
        let bits: Vec<bool> = sent
            .iter()
            .flat_map(|&byte| {
                std::iter::once(false)
                    .chain((0..8).map(move |i| byte >> i & 1 == 1))
                    .chain(std::iter::once(true))
            })
            .collect();
        let t = b.core_clock_hz() as f64 / b.uart_baud() as f64;
        let mut levels = idle(50);
        let cycles = (bits.len() as f64 * t).ceil() as usize;
        levels.extend(
            (0..cycles).map(|c| bits.get((c as f64 / t) as usize).copied().unwrap_or(true)),
        );
        levels.extend(idle(100));
        let (got, errors) = drive_rx(b.uart_cycles_per_bit(), &levels);
        let got: Vec<u8> = got.into_iter().map(|(_, v)| v).collect();
        assert!(errors.is_empty(), "{b}: framing errors at {errors:?}");
        assert_eq!(got, sent, "{b}: {t} cycles per host bit");
    }
}
