//! `BoardTop` end to end in rust-hdl's simulator: power-on reset → SPI flash model holding
//! `weights.bin` at the board's offset → `SpiFlashReader` → the core's load port → UART bytes
//! of random samples → answer bytes decoded from `uart_tx`, compared bit-exactly with
//! `golden::forward::classify`. Also: a corrupted flash image gives wrong classes (the check
//! can fail), bad link frames and the header resynchronisation, the board table's UART
//! rates, and `generate_board` for both boards
//! through `verilator --lint-only -Wall` and yosys (`synth_ice40` / `synth_ecp5`,
//! `check -assert`).

mod common;

use golden::forward::classify;
use golden::model::Model;
use golden::testkit::small_weight_model;
use hdl::board::link::{LinkFormat, HEADER};
use hdl::board::{generate_board, generate_board_with, Board, BoardParams, BoardTop};
use hdl::generate::load_image;
use hdl::harness::Harness;
use hdl::plan::{Activity, Design, HwOptions, Target, WeightSource};
use hdl::top::pick_zw;
use rand::rngs::StdRng;
use rand::Rng;
use rust_hdl::prelude::*;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;

fn design(model: &Model, target: Target, weights: WeightSource) -> Design {
    let mut o = HwOptions::new(target);
    o.weights = weights;
    Design::new(model.clone(), o, Activity::worst_case(model)).expect("design")
}

/// Simulation-sized parameters of the iCEBreaker wrapper (same structure: PLL model, flash
/// reader at 0x100000 with wake-up): 8-cycle UART bits, short reset and delays.
fn sim_params(d: &Design) -> BoardParams {
    let words = load_image(d).map(|l| l.words.len() as u32);
    let board = Board::Icebreaker;
    BoardParams {
        pll: board.pll(),
        cycles_per_bit: 8,
        reset_hold_cycles: 6,
        flash: words.map(|w| {
            let mut c = board.flash_config(w).unwrap();
            c.start_delay_cycles = 12;
            c
        }),
    }
}

/// A behavioural SPI NOR flash (mode 0, `0xAB`, READ `0x03` + 24-bit address), as in
/// `tests/board_spi_flash.rs` without the protocol checks.
struct Flash {
    base: u32,
    mem: Vec<u8>,
    prev_sck: bool,
    prev_cs_n: bool,
    cmd: Vec<u8>,
    bits_in: u32,
    shift: u32,
    reading: Option<u32>,
    out_bit: i64,
}

impl Flash {
    fn new(base: u32, mem: Vec<u8>) -> Self {
        Self {
            base,
            mem,
            prev_sck: false,
            prev_cs_n: true,
            cmd: vec![],
            bits_in: 0,
            shift: 0,
            reading: None,
            out_bit: -1,
        }
    }

    fn step(&mut self, cs_n: bool, sck: bool, mosi: bool) -> bool {
        if cs_n {
            self.cmd.clear();
            self.bits_in = 0;
            self.reading = None;
            self.out_bit = -1;
        } else {
            if sck && !self.prev_sck && self.reading.is_none() {
                self.shift = self.shift << 1 | mosi as u32;
                self.bits_in += 1;
                if self.bits_in.is_multiple_of(8) {
                    self.cmd.push(self.shift as u8);
                    if self.cmd.len() == 4 && self.cmd[0] == 0x03 {
                        self.reading = Some(self.shift & 0xff_ffff);
                    }
                }
            }
            if !sck && self.prev_sck && self.reading.is_some() {
                self.out_bit += 1;
            }
        }
        self.prev_sck = sck;
        self.prev_cs_n = cs_n;
        match self.reading {
            Some(a) if self.out_bit >= 0 => {
                let addr = a + (self.out_bit / 8) as u32;
                let byte = addr
                    .checked_sub(self.base)
                    .and_then(|i| self.mem.get(i as usize).copied())
                    .unwrap_or(0xff);
                byte >> (7 - self.out_bit % 8) & 1 == 1
            }
            _ => false,
        }
    }
}

/// A UART line driver: per-cycle levels.
struct UartLine {
    cpb: u32,
    levels: VecDeque<bool>,
}

impl UartLine {
    fn send(&mut self, byte: u8) {
        let mut bits = vec![false];
        bits.extend((0..8).map(|i| byte >> i & 1 == 1));
        bits.push(true);
        for b in bits {
            for _ in 0..self.cpb {
                self.levels.push_back(b);
            }
        }
    }
    fn idle(&mut self, cycles: u32) {
        for _ in 0..cycles {
            self.levels.push_back(true);
        }
    }
    fn next(&mut self) -> bool {
        self.levels.pop_front().unwrap_or(true)
    }
}

/// A UART decoder sampling mid-bit.
struct UartDecoder {
    cpb: u64,
    start: Option<u64>,
    bytes: Vec<u8>,
    errors: Vec<String>,
}

impl UartDecoder {
    fn step(&mut self, cycle: u64, line: bool) {
        match self.start {
            None => {
                if !line {
                    self.start = Some(cycle);
                }
            }
            Some(s) => {
                let t = cycle - s;
                // Sample bit k (0 = start … 9 = stop) at its middle.
                if t % self.cpb == self.cpb / 2 {
                    let k = t / self.cpb;
                    match k {
                        0 if line => {
                            self.errors.push(format!("cycle {cycle}: short start bit"));
                            self.start = None;
                        }
                        1..=8 => {
                            if k == 1 {
                                self.bytes.push(0);
                            }
                            if line {
                                *self.bytes.last_mut().unwrap() |= 1 << (k - 1);
                            }
                        }
                        9 => {
                            if !line {
                                self.errors.push(format!("cycle {cycle}: low stop bit"));
                            }
                            self.start = None;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// What the host did: bytes to send.
enum Host {
    Byte(u8),
}

struct Run {
    answers: Vec<u8>,
    boot_cycles: Option<u64>,
    led_error: bool,
}

/// Boots the wrapper of `d` (flash image `flash_bytes` at the board offset) and plays
/// `script` on `uart_rx` from just after the reset (bytes wait in the FIFO while weights load);
/// runs until `answers` answer bytes came back (plus a tail that checks no extra byte).
fn run_board<const ZW: usize>(
    d: &Design,
    params: BoardParams,
    flash_bytes: &[u8],
    script: &[Host],
    answers: usize,
) -> Run {
    let mut top = BoardTop::<ZW>::new(d, params);
    top.clock.connect();
    top.btn_n.connect();
    top.uart_rx.connect();
    top.flash_miso.connect();
    let mut h = Harness::new(top, |x| &mut x.clock);
    let offset = Board::Icebreaker.flash_weights_offset().unwrap();
    let mut mem = vec![0x5au8; 64];
    mem.extend_from_slice(flash_bytes);
    mem.extend(std::iter::repeat_n(0xa5, 64));
    let mut flash = Flash::new(offset - 64, mem);
    let cpb = params.cycles_per_bit;
    let mut line = UartLine {
        cpb,
        levels: VecDeque::new(),
    };
    line.idle(20);
    for s in script {
        match s {
            Host::Byte(b) => line.send(*b),
        }
    }
    let mut dec = UartDecoder {
        cpb: cpb as u64,
        start: None,
        bytes: vec![],
        errors: vec![],
    };
    h.uut.btn_n.next = true;
    h.uut.uart_rx.next = true;
    h.uut.flash_miso.next = false;
    let mut boot = None;
    let mut tail = None;
    let limit = 20 * line.levels.len() as u64 + 200_000;
    for cycle in 0..limit {
        h.settle();
        let miso = flash.step(
            h.uut.flash_cs_n.val(),
            h.uut.flash_sck.val(),
            h.uut.flash_mosi.val(),
        );
        h.uut.flash_miso.next = miso;
        // The host waits for the loaded LED (the wrapper has no flow control at boot).
        h.uut.uart_rx.next = if boot.is_some() { line.next() } else { true };
        h.cycle();
        dec.step(cycle, h.uut.uart_tx.val());
        if boot.is_none() && h.uut.led_loaded.val() {
            boot = Some(cycle);
        }
        if dec.bytes.len() >= answers && dec.start.is_none() && tail.is_none() {
            tail = Some(cycle + 40 * cpb as u64);
        }
        if tail.is_some_and(|t| cycle >= t) {
            break;
        }
    }
    assert!(dec.errors.is_empty(), "uart_tx framing: {:?}", dec.errors);
    assert_eq!(
        dec.bytes.len(),
        answers,
        "answer bytes {:x?} (boot at {boot:?})",
        dec.bytes
    );
    Run {
        answers: dec.bytes,
        boot_cycles: boot,
        led_error: h.uut.led_error.val(),
    }
}

fn run_any(
    d: &Design,
    params: BoardParams,
    flash_bytes: &[u8],
    script: &[Host],
    answers: usize,
) -> Run {
    match pick_zw(d).expect("zw") {
        16 => run_board::<16>(d, params, flash_bytes, script, answers),
        24 => run_board::<24>(d, params, flash_bytes, script, answers),
        32 => run_board::<32>(d, params, flash_bytes, script, answers),
        _ => run_board::<40>(d, params, flash_bytes, script, answers),
    }
}

fn random_samples(rng: &mut StdRng, model: &Model, n: usize) -> Vec<Vec<u32>> {
    let inputs = model.layers[0].inputs;
    let max = (1u32 << model.input_bits) - 1;
    (0..n)
        .map(|_| (0..inputs).map(|_| rng.gen_range(0..=max)).collect())
        .collect()
}

/// The link frames of `samples` (`hdl::board::link`).
fn script_of(model: &Model, samples: &[Vec<u32>]) -> Vec<Host> {
    let f = LinkFormat::of_model(model);
    samples
        .iter()
        .flat_map(|x| f.encode_frame(x))
        .map(Host::Byte)
        .collect()
}

fn small_design(seed: u64, widths: &[usize], readout: &str) -> (Model, Design) {
    let mut rng = common::rng(seed);
    let model = small_weight_model(&mut rng, widths, 4, 4, readout);
    let d = design(&model, Target::Generic, WeightSource::Runtime);
    (model, d)
}

#[test]
fn boot_from_flash_then_uart_classes_match_golden() {
    // UART bits of 8 cycles, and of the boards' 3 Mbaud divisors (iCEBreaker 10, ULX3S 33).
    for (seed, widths, readout, cpb) in [
        (1u64, &[5usize, 4, 3][..], "potential", 8u32),
        (2, &[3, 4], "first-spike", 10),
        (3, &[7, 4, 3], "potential", 33),
    ] {
        let (model, d) = small_design(seed, widths, readout);
        let mut params = sim_params(&d);
        params.cycles_per_bit = cpb;
        let image = load_image(&d).expect("runtime weights: a load image");
        let g = generate_board_with(&d, Board::Icebreaker, sim_params(&d)).expect("gen");
        let flash = g.flash.expect("flash image");
        assert_eq!(flash.offset, 0x10_0000);
        assert_eq!(flash.bytes, image.to_bytes());
        let mut rng = common::rng(seed + 100);
        let samples = random_samples(&mut rng, &model, 6);
        let want: Vec<u8> = samples.iter().map(|x| classify(&model, x) as u8).collect();
        let run = run_any(
            &d,
            params,
            &flash.bytes,
            &script_of(&model, &samples),
            samples.len(),
        );
        println!(
            "seed {seed}: {} load words, loaded at cycle {:?}, answers {:x?}",
            image.words.len(),
            run.boot_cycles,
            run.answers
        );
        assert!(run.boot_cycles.is_some(), "weights never loaded");
        assert_eq!(run.answers, want, "seed {seed}: classes (bit 7: m_error)");
        assert!(!run.led_error);
    }
}

#[test]
fn a_corrupted_flash_image_gives_wrong_classes() {
    let (model, d) = small_design(1, &[5, 4, 3], "potential");
    let image = load_image(&d).unwrap();
    let mut rng = common::rng(7);
    let samples = random_samples(&mut rng, &model, 12);
    let want: Vec<u8> = samples.iter().map(|x| classify(&model, x) as u8).collect();
    // A big-endian image (each word's bytes swapped): the flash reader delivers garbage.
    let mut bytes = image.to_bytes();
    for pair in bytes.chunks_mut(2) {
        pair.swap(0, 1);
    }
    let run = run_any(
        &d,
        sim_params(&d),
        &bytes,
        &script_of(&model, &samples),
        samples.len(),
    );
    let wrong = run
        .answers
        .iter()
        .zip(&want)
        .filter(|(a, b)| a != b)
        .count();
    println!("corrupted image: {wrong} of {} classes differ", want.len());
    assert!(wrong > 0, "the checker cannot tell a corrupted image");
}

#[test]
fn bad_frames_are_answered_as_bad_and_the_next_header_resynchronises() {
    let (model, d) = small_design(3, &[9, 3, 3], "potential");
    let f = LinkFormat::of_model(&model);
    assert!(f.sends_levels() && f.payload_bytes() >= 3, "{f:?}");
    let image = load_image(&d).unwrap();
    let mut rng = common::rng(9);
    let samples = random_samples(&mut rng, &model, 9);
    let frame = |i: usize| f.encode_frame(&samples[i]);
    let mut bytes = vec![0x13u8]; // a stray byte before any frame: ignored
                                  // 0 good; 1 a payload bit flipped (check mismatch); 2 good; 3 header + 1 payload byte;
                                  // 4 good; 5 every payload byte but no check byte; 6 good; 7 a lone header; 8 good.
    bytes.extend(frame(0));
    let mut bad = frame(1);
    bad[2] ^= 0x04;
    bytes.extend(bad);
    bytes.extend(frame(2));
    bytes.extend(&frame(3)[..2]);
    bytes.extend(frame(4));
    let whole = frame(5);
    bytes.extend(&whole[..whole.len() - 1]);
    bytes.extend(frame(6));
    bytes.push(HEADER);
    bytes.extend(frame(8));
    let script: Vec<Host> = bytes.into_iter().map(Host::Byte).collect();
    let run = run_any(&d, sim_params(&d), &image.to_bytes(), &script, 9);
    println!("answers {:x?}", run.answers);
    for (i, &a) in run.answers.iter().enumerate() {
        if i % 2 == 0 {
            assert_eq!(a, classify(&model, &samples[i]) as u8, "frame {i}");
        } else {
            assert!(
                a & 0x80 != 0,
                "frame {i}: bad frame without the error bit: {a:#x}"
            );
        }
    }
    assert!(run.led_error, "the error LED remembers the bad frames");
}

/// The software decoder of the link agrees with the encoder, and the core sees the same
/// levels: the decoded raw inputs classify like the originals (all 256 byte values).
#[test]
fn link_frames_round_trip_to_inputs_of_the_same_levels() {
    let model = golden::default_model::quantized();
    let f = LinkFormat::of_model(&model);
    assert_eq!(
        (f.value_bits(), f.payload_bytes(), f.frame_bytes()),
        (5, 560, 562)
    );
    let mut rng = common::rng(21);
    let mut x: Vec<u32> = (0..784).map(|_| rng.gen_range(0..=255)).collect();
    x[..256].copy_from_slice(&(0..256).collect::<Vec<u32>>());
    let frame = f.encode_frame(&x);
    assert!(
        frame[1..].iter().all(|b| b & 0x80 == 0),
        "only the header has bit 7"
    );
    let back = f.decode_frame(&frame).expect("well-formed");
    assert_eq!(
        golden::forward::encode(&model, &back),
        golden::forward::encode(&model, &x)
    );
    assert_eq!(classify(&model, &back), classify(&model, &x));
    // The check can fail: a flipped payload bit is refused.
    let mut bad = frame.clone();
    bad[100] ^= 1;
    assert!(f.decode_frame(&bad).is_none());
}

#[test]
fn board_facts() {
    let ib = Board::Icebreaker;
    assert_eq!(ib.osc_hz(), 12_000_000);
    assert_eq!(ib.core_clock_hz(), 30_000_000);
    let pll = ib.pll().unwrap();
    assert!((533_000_000..=1_066_000_000).contains(&pll.vco_hz(ib.osc_hz())));
    assert_eq!(ib.uart_cycles_per_bit(), 10);
    assert_eq!(ib.flash_weights_offset(), Some(0x10_0000));
    let ul = Board::Ulx3s25f;
    assert_eq!(ul.osc_hz(), 25_000_000);
    assert_eq!(ul.core_clock_hz(), 100_000_000);
    let pll = ul.pll().unwrap();
    assert!((400_000_000..=800_000_000).contains(&pll.vco_hz(ul.osc_hz())));
    assert_eq!(ul.uart_cycles_per_bit(), 33);
    assert!(ul.flash_weights_offset().is_none());
    // The bridges: FT2232H up to 12 Mbaud, FT231X up to 3 Mbaud.
    assert!(ib.uart_baud() <= 12_000_000 && ul.uart_baud() <= 3_000_000);
    // Divisor error under 2 % and at least 8 cycles per bit on both boards; the MNIST link
    // carries at least 300 images/s.
    let mnist = LinkFormat::of_model(&golden::default_model::quantized());
    for b in Board::ALL {
        let err = divisor_error(b.core_clock_hz(), b.uart_baud());
        assert_eq!(err, b.uart_baud_error());
        println!(
            "{b}: {} baud, {} cycles/bit, error {:+.3} %, link {:.0} images/s",
            b.uart_baud(),
            b.uart_cycles_per_bit(),
            100.0 * err,
            mnist.images_per_s(b.uart_baud())
        );
        assert!(err.abs() < 0.02, "{b}: divisor error {err}");
        assert!(b.uart_cycles_per_bit() >= 8, "{b}");
        assert!(mnist.images_per_s(b.uart_baud()) >= 300.0, "{b}");
        assert_eq!(b.name().parse::<Board>().unwrap(), b);
    }
    assert_eq!(ib.uart_baud_error(), 0.0);
    assert!((ul.uart_baud_error() - 0.0101).abs() < 1e-4);
    // The error check can fail: 3 Mbaud from the ULX3S's 25 MHz oscillator is 8 cycles, +4.2 %.
    assert!(divisor_error(25_000_000, 3_000_000) > 0.04);
}

/// Relative error of the nearest whole-cycle bit period for `baud` at `clock_hz`.
fn divisor_error(clock_hz: u64, baud: u64) -> f64 {
    let cycles = ((clock_hz + baud / 2) / baud) as f64;
    clock_hz as f64 / cycles / baud as f64 - 1.0
}

/// Every pin of the board table is placed by the board's constraint file, and the file's
/// oscillator frequency is the board's.
#[test]
fn pin_names_and_frequency_match_the_constraint_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../constraints");
    for b in Board::ALL {
        let text = std::fs::read_to_string(root.join(b.constraints_file())).unwrap();
        let lines: Vec<&str> = text
            .lines()
            .map(|l| l.split('#').next().unwrap().trim())
            .collect();
        for pin in b.pin_names() {
            let placed = lines.iter().any(|l| {
                let w: Vec<&str> = l
                    .trim_end_matches(';')
                    .split_whitespace()
                    .map(|w| w.trim_matches('"'))
                    .collect();
                matches!(w.as_slice(), ["set_io", "-nowarn", p, _] | ["set_io", p, _] if *p == pin)
                    || matches!(w.as_slice(), ["LOCATE", "COMP", p, "SITE", _] if *p == pin)
            });
            assert!(placed, "{b}: pin {pin} not in {}", b.constraints_file());
        }
        let mhz = b.osc_hz() / 1_000_000;
        let freq = match b {
            Board::Icebreaker => format!("set_frequency clk {mhz}"),
            Board::Ulx3s25f => format!("FREQUENCY PORT \"clk\" {mhz} MHZ;"),
        };
        assert!(lines.contains(&freq.as_str()), "{b}: no `{freq}`");
    }
}

#[test]
fn refuses_what_a_byte_uart_cannot_carry() {
    let mut rng = common::rng(4);
    let model = small_weight_model(&mut rng, &[3, 2], 4, 9, "potential");
    let d = design(&model, Target::Generic, WeightSource::Embedded);
    let e = generate_board(&d, Board::Icebreaker)
        .unwrap_err()
        .to_string();
    assert!(e.contains("input_bits 9 > 8"), "{e}");
    // Runtime weights on a board without a flash reader.
    let model = small_weight_model(&mut rng, &[3, 2], 4, 4, "potential");
    let d = design(&model, Target::Generic, WeightSource::Runtime);
    let e = generate_board(&d, Board::Ulx3s25f).unwrap_err().to_string();
    assert!(e.contains("no flash reader"), "{e}");
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("board-top")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes the board Verilog and its memories; lints it (`-Wall`, no warning) and runs the
/// target's yosys flow with `check -assert`.
fn lint_and_synth(name: &str, g: &hdl::board::GeneratedBoard, synth: &str) {
    let dir = out_dir(name);
    std::fs::write(dir.join("board_top.v"), &g.verilog).unwrap();
    for (f, text) in &g.memories {
        std::fs::write(dir.join(f), text).unwrap();
    }
    let yosys = common::tool(
        "yosys",
        &["-q", "-p", "read_verilog probe.v; synth -top probe"],
    )
    .unwrap();
    let script = format!(
        "read_verilog board_top.v; {synth} -top board_top; check -assert; \
         tee -q -o board_top.stat stat"
    );
    let out = Command::new(&yosys)
        .current_dir(&dir)
        .args(["-q", "-p", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "yosys on {name}:\n{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let stat = std::fs::read_to_string(dir.join("board_top.stat")).unwrap();
    println!(
        "{name}: {}",
        stat.lines()
            .filter(|l| l.contains("cells")
                || l.contains("SB_PLL")
                || l.contains("SB_LUT4")
                || l.contains("TRELLIS_FF")
                || l.contains("LUT4"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    assert!(
        synth != "synth_ice40" || stat.contains("SB_PLL40_PAD"),
        "{name}: the PLL is a real cell after synth_ice40"
    );
    let verilator = common::tool("verilator", &["--lint-only", "-Wall", "probe.v"]).unwrap();
    let out = Command::new(&verilator)
        .current_dir(&dir)
        .args([
            "--lint-only",
            "-Wall",
            "--top-module",
            "board_top",
            "board_top.v",
        ])
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.status.success() && !log.contains("%Warning") && !log.contains("%Error"),
        "verilator lint of {name}:\n{log}"
    );
}

#[test]
fn icebreaker_verilog_is_lint_and_synthesis_clean() {
    // iCEBreaker, small model with runtime weights: PLL + flash reader + load port.
    let (_, d) = small_design(1, &[5, 4, 3], "potential");
    let g = generate_board(&d, Board::Icebreaker).expect("icebreaker");
    assert!(g.verilog.contains("module board_top ("));
    // Event-driven simulators need one assignment per signal and comb evaluation (DESIGN §6).
    assert_eq!(hdl::verilog::comb_multiple_assignments(&g.verilog), vec![]);
    for (name, out, w) in Board::Icebreaker.ports() {
        let dir = if out { "output" } else { "input " };
        let range = if w > 1 {
            format!(" [{}:0]", w - 1)
        } else {
            String::new()
        };
        assert!(
            g.verilog.contains(&format!("    {dir} wire{range} {name}")),
            "port {name}"
        );
    }
    assert!(g.verilog.contains("SB_PLL40_PAD"));
    assert_eq!(g.params.cycles_per_bit, 10);
    lint_and_synth("icebreaker_small", &g, "synth_ice40");
}

#[test]
fn ulx3s_verilog_is_lint_and_synthesis_clean() {
    // ULX3S, embedded weights: no PLL, no flash reader.
    let mut rng = common::rng(5);
    let model = small_weight_model(&mut rng, &[6, 4, 3], 8, 8, "first-spike");
    let d = design(&model, Target::Ecp5_25k, WeightSource::Embedded);
    let g = generate_board(&d, Board::Ulx3s25f).expect("ulx3s");
    assert!(g.flash.is_none() && g.load.is_none());
    assert!(!g.verilog.contains("SB_PLL40_PAD"));
    lint_and_synth("ulx3s_small", &g, "synth_ecp5");
}

#[test]
fn default_model_on_the_icebreaker_is_lint_clean() {
    let model = golden::default_model::quantized();
    let d = design(&model, Target::Ice40Up5k, WeightSource::Embedded);
    let g = generate_board(&d, Board::Icebreaker).expect("default model on iCEBreaker");
    let load = g
        .load
        .as_ref()
        .expect("UP5K: weights in SPRAM, loaded from flash");
    let flash = g.flash.as_ref().unwrap();
    assert_eq!(flash.bytes.len(), 2 * load.words.len());
    assert_eq!(g.params.flash.unwrap().words as usize, load.words.len());
    println!(
        "default model: {} load words ({} bytes at {:#x})",
        load.words.len(),
        flash.bytes.len(),
        flash.offset
    );
    let dir = out_dir("icebreaker_default");
    std::fs::write(dir.join("board_top.v"), &g.verilog).unwrap();
    for (f, text) in &g.memories {
        std::fs::write(dir.join(f), text).unwrap();
    }
    let verilator = common::tool("verilator", &["--lint-only", "-Wall", "probe.v"]).unwrap();
    let out = Command::new(&verilator)
        .current_dir(&dir)
        .args([
            "--lint-only",
            "-Wall",
            "--top-module",
            "board_top",
            "board_top.v",
        ])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        out.status.success() && !log.contains("%Warning"),
        "verilator lint:\n{log}"
    );
}
