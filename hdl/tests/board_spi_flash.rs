//! `SpiFlashReader` in rust-hdl's simulator against a behavioural SPI NOR flash written here
//! (mode 0, `0xAB` release from deep power-down, READ `0x03` + 24-bit address, then bytes
//! MSB first from a byte array), under seeded random back-pressure on `w_ready`.

mod common;

use hdl::board::{SpiFlashConfig, SpiFlashReader};
use hdl::harness::Harness;
use rand::Rng;
use rust_hdl::prelude::*;

/// Deliberate faults of the flash model, to show that the checks can fail.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    /// Each pair of bytes comes out swapped (a big-endian image).
    SwapBytes,
    /// The flash reads from `address + 2` (an off-by-one-word address).
    SkipWord,
}

/// A behavioural SPI NOR flash, sampled once per clock cycle of the design.
struct Flash {
    base: u32,
    mem: Vec<u8>,
    fault: Fault,
    asleep: bool,
    /// tRES1 in cycles: a command earlier than this after `0xAB` is a protocol error.
    wake_cycles: u64,
    woke_at: Option<u64>,
    prev_cs_n: bool,
    prev_sck: bool,
    bits_in: u32,
    shift: u32,
    /// Command bytes of each transaction (cs_n low … high), with the cycle cs_n fell.
    transactions: Vec<(u64, Vec<u8>)>,
    /// Read pointer (byte address) once a READ command and address were received.
    reading: Option<u32>,
    /// Index of the data bit on `miso` (−1: none yet).
    out_bit: i64,
    /// Rising `sck` edges in the data phase of the current transaction.
    data_clocks: u64,
    errors: Vec<String>,
}

impl Flash {
    fn new(base: u32, mem: Vec<u8>, asleep: bool, wake_cycles: u64, fault: Fault) -> Self {
        Self {
            base,
            mem,
            fault,
            asleep,
            wake_cycles,
            woke_at: None,
            prev_cs_n: true,
            prev_sck: false,
            bits_in: 0,
            shift: 0,
            transactions: vec![],
            reading: None,
            out_bit: -1,
            data_clocks: 0,
            errors: vec![],
        }
    }

    fn byte(&self, addr: u32) -> u8 {
        let a = match self.fault {
            Fault::None => addr,
            Fault::SwapBytes => addr ^ 1,
            Fault::SkipWord => addr + 2,
        };
        a.checked_sub(self.base)
            .and_then(|i| self.mem.get(i as usize).copied())
            .unwrap_or(0xff)
    }

    /// Observes the bus after a clock edge (`cycle`) and returns the new `miso` level.
    fn step(&mut self, cycle: u64, cs_n: bool, sck: bool, mosi: bool) -> bool {
        if cs_n != self.prev_cs_n {
            if sck || self.prev_sck {
                self.errors.push(format!(
                    "cycle {cycle}: cs_n changed while sck high (mode 0)"
                ));
            }
            if !cs_n {
                self.transactions.push((cycle, vec![]));
                self.bits_in = 0;
                self.reading = None;
                self.out_bit = -1;
                self.data_clocks = 0;
            } else {
                if self.reading.is_none() && !self.bits_in.is_multiple_of(8) {
                    self.errors.push(format!(
                        "cycle {cycle}: cs_n rose after {} bits",
                        self.bits_in
                    ));
                }
                let cmd = self.transactions.last().map(|t| t.1.clone());
                if cmd.as_deref() == Some(&[0xab]) {
                    self.asleep = false;
                    self.woke_at = Some(cycle);
                }
                self.reading = None;
            }
        } else if cs_n && sck != self.prev_sck {
            self.errors
                .push(format!("cycle {cycle}: sck toggled while cs_n high"));
        }
        if !cs_n && sck && !self.prev_sck {
            // Rising edge: the flash samples `mosi`, or clocks data out.
            if self.reading.is_some() {
                self.data_clocks += 1;
            } else {
                self.shift = self.shift << 1 | mosi as u32;
                self.bits_in += 1;
                if self.bits_in.is_multiple_of(8) {
                    let byte = self.shift as u8;
                    let t = self.transactions.last_mut().unwrap();
                    t.1.push(byte);
                    if t.1.len() == 4 && t.1[0] == 0x03 {
                        let awake = !self.asleep
                            && self.woke_at.is_none_or(|w| t.0 >= w + self.wake_cycles);
                        if awake {
                            self.reading = Some(self.shift & 0xff_ffff);
                        } else {
                            self.errors
                                .push(format!("cycle {cycle}: READ while in deep power-down"));
                        }
                    }
                }
            }
        }
        if !cs_n && !sck && self.prev_sck && self.reading.is_some() {
            self.out_bit += 1; // falling edge: next data bit
        }
        self.prev_cs_n = cs_n;
        self.prev_sck = sck;
        match self.reading {
            Some(addr) if self.out_bit >= 0 => {
                let byte = self.byte(addr + (self.out_bit / 8) as u32);
                byte >> (7 - self.out_bit % 8) & 1 == 1
            }
            _ => false,
        }
    }
}

/// What one boot produced.
#[derive(Debug)]
struct Boot {
    words: Vec<u16>,
    cycles: u64,
}

fn reader(cfg: SpiFlashConfig) -> Harness<SpiFlashReader> {
    let mut uut = SpiFlashReader::new(cfg);
    uut.clock.connect();
    uut.rst.connect();
    uut.miso.connect();
    uut.w_ready.connect();
    Harness::new(uut, |x| &mut x.clock)
}

/// The words a u16 little-endian image at `cfg.address` holds.
fn expected_words(flash_base: u32, mem: &[u8], cfg: &SpiFlashConfig) -> Vec<u16> {
    let off = (cfg.address - flash_base) as usize;
    (0..cfg.words as usize)
        .map(|i| u16::from_le_bytes([mem[off + 2 * i], mem[off + 2 * i + 1]]))
        .collect()
}

/// Boots a `SpiFlashReader` against the flash model, `w_ready` high with probability
/// `p_ready`, and checks everything: protocol (mode 0, commands, delays, number of clocks),
/// stream rules (`w_valid` held with stable data while stalled), every word, `w_last` on the
/// last word only, `done`. Returns the first violation as an error.
fn boot(
    seed: u64,
    cfg: SpiFlashConfig,
    p_ready: f64,
    asleep: bool,
    fault: Fault,
) -> Result<Boot, String> {
    let mut rng = common::rng(seed);
    let base = cfg.address.saturating_sub(64);
    let mem: Vec<u8> = (0..(cfg.words as usize * 2 + 128))
        .map(|_| rng.gen())
        .collect();
    let want = expected_words(base, &mem, &cfg);
    let mut flash = Flash::new(base, mem, asleep, cfg.start_delay_cycles as u64, fault);
    let mut h = reader(cfg);
    h.uut.rst.next = true;
    h.uut.miso.next = false;
    h.uut.w_ready.next = false;
    h.cycle();
    h.uut.rst.next = false;
    let h_cycles = cfg.sck_half_period as u64;
    let limit = 2 * cfg.start_delay_cycles as u64
        + (cfg.words as u64 * 32 + 200) * h_cycles * ((1.0 / p_ready.max(0.01)) as u64 + 2)
        + 1000;
    let mut words = vec![];
    let mut held: Option<(u64, bool)> = None;
    let mut cycle = 0u64;
    let mut done_at = None;
    while cycle < limit {
        h.settle();
        let miso = flash.step(cycle, h.uut.cs_n.val(), h.uut.sck.val(), h.uut.mosi.val());
        if let Some(e) = flash.errors.first() {
            return Err(e.clone());
        }
        h.uut.miso.next = miso;
        let ready = rng.gen_bool(p_ready);
        h.uut.w_ready.next = ready;
        h.settle();
        let (valid, data, last) = (
            h.uut.w_valid.val(),
            h.uut.w_data.val().to_u64(),
            h.uut.w_last.val(),
        );
        if let Some(prev) = held {
            if !valid || (data, last) != prev {
                return Err(format!(
                    "cycle {cycle}: stalled word changed or withdrawn ({prev:?} → {valid} {data:#x} {last})"
                ));
            }
        }
        if h.uut.done.val() {
            if done_at.is_none() {
                if words.len() != want.len() {
                    return Err(format!("done after {} words", words.len()));
                }
                done_at = Some(cycle);
            }
            if valid {
                return Err(format!("cycle {cycle}: w_valid after done"));
            }
        } else if done_at.is_some() {
            return Err(format!("cycle {cycle}: done fell"));
        }
        held = None;
        if valid {
            let i = words.len();
            if i >= want.len() {
                return Err(format!("cycle {cycle}: word {i} beyond the image"));
            }
            if last != (i + 1 == want.len()) {
                return Err(format!("cycle {cycle}: w_last = {last} on word {i}"));
            }
            if data as u16 != want[i] {
                return Err(format!(
                    "cycle {cycle}: word {i} = {data:#06x}, image has {:#06x}",
                    want[i]
                ));
            }
            if ready {
                words.push(data as u16);
            } else {
                held = Some((data, last));
            }
        }
        h.cycle();
        cycle += 1;
        if let Some(d) = done_at {
            if cycle > d + 50 {
                break;
            }
        }
    }
    let Some(done_at) = done_at else {
        return Err(format!(
            "no done after {cycle} cycles, {} words",
            words.len()
        ));
    };
    if !h.uut.cs_n.val() || h.uut.sck.val() {
        return Err("bus not released after done".into());
    }
    // Commands: optional wake-up, then READ at the configured address, nothing else.
    let a = cfg.address;
    let read = vec![0x03, (a >> 16) as u8, (a >> 8) as u8, a as u8];
    let cmds: Vec<Vec<u8>> = flash.transactions.iter().map(|t| t.1.clone()).collect();
    let want_cmds = if cfg.wake_up {
        vec![vec![0xab], read]
    } else {
        vec![read]
    };
    if cmds != want_cmds {
        return Err(format!("commands {cmds:x?}, expected {want_cmds:x?}"));
    }
    if flash.transactions[0].0 < cfg.start_delay_cycles as u64 {
        return Err(format!(
            "first command at cycle {}, before the start delay",
            flash.transactions[0].0
        ));
    }
    if flash.data_clocks != 16 * cfg.words as u64 {
        return Err(format!(
            "{} data clocks for {} words",
            flash.data_clocks, cfg.words
        ));
    }
    Ok(Boot {
        words,
        cycles: done_at,
    })
}

fn cfg(words: u32, sck_half_period: u32, wake_up: bool) -> SpiFlashConfig {
    SpiFlashConfig {
        start_delay_cycles: 40,
        sck_half_period,
        address: 0x10_0000,
        words,
        wake_up,
    }
}

#[test]
fn reads_every_word_without_back_pressure() {
    let c = cfg(64, 1, true);
    let b = boot(1, c, 1.0, true, Fault::None).unwrap();
    assert_eq!(b.words.len(), 64);
    // Documented throughput: one word per 32·h cycles (+1 with an immediate take).
    let per_word = (b.cycles - 2 * 40) as f64 / 64.0;
    assert!(per_word <= 33.0 + 2.0, "{per_word} cycles per word");
}

#[test]
fn reads_every_word_under_random_back_pressure() {
    for (seed, p, half, wake) in [
        (2u64, 0.5, 1, true),
        (3, 0.1, 1, false),
        (4, 0.9, 2, true),
        (5, 0.3, 3, false),
        (6, 0.02, 1, true),
    ] {
        let c = cfg(48, half, wake);
        boot(seed, c, p, wake, Fault::None)
            .unwrap_or_else(|e| panic!("seed {seed} p_ready {p} half {half}: {e}"));
    }
}

#[test]
fn single_word_image_and_other_addresses() {
    for (seed, address, words) in [
        (7u64, 0x00_0000u32, 1u32),
        (8, 0xff_fff0 - 8, 3),
        (9, 0x12_3457, 5),
    ] {
        let c = SpiFlashConfig {
            start_delay_cycles: 0,
            sck_half_period: 1,
            address,
            words,
            wake_up: false,
        };
        boot(seed, c, 0.6, false, Fault::None)
            .unwrap_or_else(|e| panic!("address {address:#x} words {words}: {e}"));
    }
}

#[test]
fn reset_in_the_middle_restarts_the_boot() {
    // Reset during the data phase: the bus is released at once and the whole sequence
    // (delay, commands, all words) runs again.
    let c = cfg(16, 1, false);
    let mut h = reader(c);
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    h.uut.w_ready.next = true;
    h.uut.miso.next = true;
    for _ in 0..40 + 64 + 100 {
        h.cycle();
    }
    h.settle();
    assert!(!h.uut.cs_n.val(), "in the data phase");
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    h.settle();
    assert!(h.uut.cs_n.val() && !h.uut.sck.val() && !h.uut.w_valid.val() && !h.uut.done.val());
    boot(10, c, 0.7, false, Fault::None).unwrap();
}

#[test]
fn a_sleeping_flash_needs_the_wake_up_command() {
    // The model refuses READ while asleep: without `wake_up` the check fails.
    let err = boot(11, cfg(8, 1, false), 1.0, true, Fault::None).unwrap_err();
    assert!(err.contains("deep power-down"), "{err}");
    boot(11, cfg(8, 1, true), 1.0, true, Fault::None).unwrap();
}

#[test]
fn the_checks_fail_on_a_wrong_byte_order_or_address() {
    let err = boot(12, cfg(16, 1, true), 0.5, true, Fault::SwapBytes).unwrap_err();
    assert!(err.contains("word 0"), "{err}");
    let err = boot(13, cfg(16, 1, true), 0.5, true, Fault::SkipWord).unwrap_err();
    assert!(err.contains("word 0"), "{err}");
}

/// Cycles (after the reset cycle) at which each word is on `w_data` with `w_valid`, with
/// `w_ready` always high and the flash model answering.
fn valid_cycles(c: SpiFlashConfig) -> Vec<u64> {
    let mut rng = common::rng(40);
    let mem: Vec<u8> = (0..c.words as usize * 2 + 128).map(|_| rng.gen()).collect();
    let mut flash = Flash::new(c.address - 64, mem, false, 0, Fault::None);
    let mut h = reader(c);
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    h.uut.w_ready.next = true;
    let mut at = vec![];
    for cycle in 0..20_000u64 {
        h.settle();
        h.uut.miso.next = flash.step(cycle, h.uut.cs_n.val(), h.uut.sck.val(), h.uut.mosi.val());
        h.settle();
        if h.uut.w_valid.val() {
            at.push(cycle);
        }
        h.cycle();
    }
    assert!(flash.errors.is_empty(), "{:?}", flash.errors);
    at
}

#[test]
fn latency_and_throughput_are_as_documented() {
    for (delay, h, wake) in [
        (0u32, 1u32, false),
        (40, 1, false),
        (40, 3, false),
        (25, 2, true),
    ] {
        let c = SpiFlashConfig {
            start_delay_cycles: delay,
            sck_half_period: h,
            address: 0x10_0000,
            words: 6,
            wake_up: wake,
        };
        let at = valid_cycles(c);
        let (d, h) = (delay as u64, h as u64);
        let wake_cycles = if wake { 16 * h + d + 1 } else { 0 };
        let first = d + 1 + wake_cycles + 96 * h;
        let want: Vec<u64> = (0..6).map(|i| first + 32 * h * i).collect();
        assert_eq!(at, want, "delay {delay} h {h} wake {wake}");
    }
}
