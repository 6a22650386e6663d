//! Co-simulation of the generated **board** wrapper (`board_top`, `hdl::board::generate_board`)
//! in Verilator: a C++ testbench with a behavioural SPI NOR flash holding `weights.bin` at the
//! board's offset, a UART line driver and a UART decoder. It boots the wrapper (power-on reset
//! → flash reader → the core's load port; the host waits for the "loaded" LED), sends samples
//! as link frames (`hdl::board::link`) at the board's 3 Mbaud and compares the answer bytes
//! decoded from `uart_tx` with `golden::forward::classify`, bit for bit. A corrupted frame must
//! be answered as bad (and the next one classified), a corrupted flash image must give wrong
//! classes. `ttfs run` streams MNIST to the simulated board through a pseudo-terminal.
//!
//! Slow (Verilator builds of the default model); a missing Verilator fails with the command
//! that installs it.

use golden::model::Model;
use hdl::board::{generate_board, Board, GeneratedBoard, LinkFormat};
use hdl::plan::{Activity, Design, HwOptions, Target, WeightSource};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The testbench. Arguments: `stimulus answers max_cycles cycles_per_bit flash.bin offset`.
/// Stimulus lines: `w` (wait until `led_g_n` is low: weights loaded), `i N` (N idle cycles),
/// `b X` (send byte X). Prints `loaded <cycle>` and one `answer <byte>` line per decoded byte,
/// then `cycles <n>`. With `pty` for the stimulus it opens a pseudo-terminal, prints
/// `pty <slave path>`, and after boot turns the bytes a host writes there into `uart_rx` bits
/// at `cycles_per_bit` and writes every decoded `uart_tx` byte back, until `max_cycles`.
const HARNESS_CPP: &str = r#"
#include "Vboard_top.h"
#include "verilated.h"
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <deque>
#include <fstream>
#include <string>
#include <vector>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

struct Flash {
    std::vector<uint8_t> mem; uint32_t base = 0;
    bool prev_sck = false; std::vector<uint8_t> cmd; int bits_in = 0; uint32_t shift = 0;
    bool reading = false; uint32_t addr = 0; long out_bit = -1;
    bool step(bool cs_n, bool sck, bool mosi) {
        if (cs_n) { cmd.clear(); bits_in = 0; reading = false; out_bit = -1; }
        else {
            if (sck && !prev_sck && !reading) {
                shift = (shift << 1) | (mosi ? 1 : 0); bits_in++;
                if (bits_in % 8 == 0) {
                    cmd.push_back((uint8_t)shift);
                    if (cmd.size() == 4 && cmd[0] == 0x03) { reading = true; addr = shift & 0xffffff; }
                }
            }
            if (!sck && prev_sck && reading) out_bit++;
        }
        prev_sck = sck;
        if (reading && out_bit >= 0) {
            uint32_t a = addr + (uint32_t)(out_bit / 8);
            uint8_t byte = (a >= base && a - base < mem.size()) ? mem[a - base] : 0xff;
            return (byte >> (7 - out_bit % 8)) & 1;
        }
        return false;
    }
};

int main(int argc, char** argv) {
    if (argc < 7) { fprintf(stderr, "usage: stim|pty answers max cpb flash offset\n"); return 2; }
    // `pty` mode: the host line is a pseudo-terminal whose slave path is printed first.
    bool pty = std::string(argv[1]) == "pty"; int master = -1;
    if (pty) {
        master = posix_openpt(O_RDWR | O_NOCTTY);
        if (master < 0 || grantpt(master) || unlockpt(master)) { perror("pty"); return 2; }
        const char* slave = ptsname(master);
        // Keep a slave fd open (the master never sees a hang-up), in raw mode.
        int keep = open(slave, O_RDWR | O_NOCTTY);
        struct termios t; tcgetattr(keep, &t); cfmakeraw(&t); tcsetattr(keep, TCSANOW, &t);
        fcntl(master, F_SETFL, O_NONBLOCK);
        printf("pty %s\n", slave); fflush(stdout);
    }
    std::ifstream stim(pty ? "/dev/null" : argv[1]);
    long answers = atol(argv[2]); long max_cycles = atol(argv[3]); long cpb = atol(argv[4]);
    Flash flash;
    { std::ifstream f(argv[5], std::ios::binary);
      flash.mem.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()); }
    flash.base = (uint32_t)strtoul(argv[6], nullptr, 0);
    struct Cmd { char c; long v; };
    std::deque<Cmd> cmds; { char c; long v;
      while (stim >> c) { v = 0; if (c != 'w') stim >> v; cmds.push_back({c, v}); } }
    std::deque<int> line;
    const std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
    Vboard_top* top = new Vboard_top{ctx.get()};
    top->clk = 0; top->btn_n = 1; top->uart_rx = 1; top->flash_miso = 0; top->eval();
    long loaded_at = -1, got = 0, tail = -1; bool miso = false;
    long dec_start = -1; int dec_byte = 0;
    long cycle = 0;
    for (; cycle < max_cycles; cycle++) {
        // Host: refill the line from the pty (after boot: the host waits for the LED) or
        // from the script.
        if (pty && line.empty() && loaded_at >= 0 && cycle % 64 == 0) {
            uint8_t buf[256]; ssize_t n = read(master, buf, sizeof buf);
            for (ssize_t j = 0; j < n; j++) {
                int bits[10]; bits[0] = 0; for (int i = 0; i < 8; i++) bits[1 + i] = (buf[j] >> i) & 1; bits[9] = 1;
                for (int b = 0; b < 10; b++) for (long i = 0; i < cpb; i++) line.push_back(bits[b]);
            }
        }
        while (line.empty() && !cmds.empty()) {
            Cmd k = cmds.front();
            if (k.c == 'w') { if (loaded_at < 0) break; cmds.pop_front(); continue; }
            cmds.pop_front();
            if (k.c == 'i') { for (long i = 0; i < k.v; i++) line.push_back(1); }
            else { int bits[10]; bits[0] = 0; for (int i = 0; i < 8; i++) bits[1 + i] = (k.v >> i) & 1; bits[9] = 1;
                   for (int b = 0; b < 10; b++) for (long i = 0; i < cpb; i++) line.push_back(bits[b]); }
        }
        int level = 1; if (!line.empty()) { level = line.front(); line.pop_front(); }
        top->uart_rx = level; top->flash_miso = miso;
        top->clk = 1; top->eval(); top->clk = 0; top->eval();
        miso = flash.step(top->flash_cs_n, top->flash_sck, top->flash_mosi);
        if (loaded_at < 0 && !top->led_g_n) { loaded_at = cycle; printf("loaded %ld\n", cycle); }
        bool tx = top->uart_tx;
        if (dec_start < 0) { if (!tx) { dec_start = cycle; dec_byte = 0; } }
        else {
            long t = cycle - dec_start;
            if (t % cpb == cpb / 2) {
                long k = t / cpb;
                if (k == 0 && tx) { printf("error short-start %ld\n", cycle); dec_start = -1; }
                else if (k >= 1 && k <= 8) { if (tx) dec_byte |= 1 << (k - 1); }
                else if (k == 9) {
                    if (!tx) printf("error low-stop %ld\n", cycle);
                    printf("answer %d\n", dec_byte); got++; dec_start = -1;
                    if (pty) { uint8_t b = (uint8_t)dec_byte; if (write(master, &b, 1) != 1) perror("pty write"); fflush(stdout); }
                }
            }
        }
        if (!pty && got >= answers && dec_start < 0 && tail < 0) tail = cycle + 40 * cpb;
        if (tail >= 0 && cycle >= tail) break;
    }
    printf("cycles %ld\n", cycle);
    top->final(); delete top;
    return 0;
}
"#;

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("board-cosim")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn verilator() -> PathBuf {
    let path = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("verilator"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/verilator"));
    assert!(
        path.is_file(),
        "verilator not found on PATH or in .tools/bin: run scripts/tools.sh"
    );
    path
}

/// Writes the board Verilog and memories into `dir` and builds the testbench there.
fn build(dir: &Path, g: &GeneratedBoard) -> PathBuf {
    std::fs::write(dir.join("board_top.v"), &g.verilog).unwrap();
    for (f, text) in &g.memories {
        std::fs::write(dir.join(f), text).unwrap();
    }
    std::fs::write(dir.join("harness.cpp"), HARNESS_CPP).unwrap();
    let exe = dir.join("obj").join("Vboard_harness");
    let out = Command::new(verilator())
        .current_dir(dir)
        .args([
            "--cc",
            "--exe",
            "--build",
            "-j",
            "2",
            "-Wno-fatal",
            "-CFLAGS",
            "-O1",
            "--top-module",
            "board_top",
            "--Mdir",
            "obj",
            "-o",
            "Vboard_harness",
            "board_top.v",
            "harness.cpp",
        ])
        .output()
        .expect("run verilator (run scripts/tools.sh)");
    assert!(
        out.status.success() && exe.is_file(),
        "verilator build failed:\n{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    exe
}

struct Run {
    loaded_at: Option<u64>,
    answers: Vec<u8>,
    cycles: u64,
}

fn run(
    dir: &Path,
    exe: &Path,
    g: &GeneratedBoard,
    flash: &[u8],
    bytes: &[u8],
    answers: usize,
    max_cycles: u64,
) -> Run {
    let mut stim = String::from("i 100\nw\n");
    for b in bytes {
        stim.push_str(&format!("b {b}\n"));
    }
    std::fs::write(dir.join("stim.txt"), stim).unwrap();
    std::fs::write(dir.join("flash.bin"), flash).unwrap();
    let offset = g.flash.as_ref().map(|f| f.offset).unwrap_or(0);
    let out = Command::new(exe)
        .current_dir(dir)
        .args([
            "stim.txt".to_string(),
            answers.to_string(),
            max_cycles.to_string(),
            g.params.cycles_per_bit.to_string(),
            "flash.bin".to_string(),
            format!("{offset:#x}"),
        ])
        .output()
        .expect("run the testbench");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "testbench failed:\n{text}");
    assert!(!text.contains("error"), "uart_tx framing:\n{text}");
    let mut r = Run {
        loaded_at: None,
        answers: vec![],
        cycles: 0,
    };
    for line in text.lines() {
        let mut w = line.split_whitespace();
        match (w.next(), w.next().map(|v| v.parse::<u64>().unwrap())) {
            (Some("loaded"), Some(c)) => r.loaded_at = Some(c),
            (Some("answer"), Some(b)) => r.answers.push(b as u8),
            (Some("cycles"), Some(c)) => r.cycles = c,
            _ => {}
        }
    }
    r
}

fn samples(model: &Model, seed: u64, n: usize) -> Vec<Vec<u32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let inputs = model.layers[0].inputs;
    let max = (1u32 << model.input_bits) - 1;
    (0..n)
        .map(|i| match i {
            0 => vec![0; inputs],
            _ => (0..inputs).map(|_| rng.gen_range(0..=max)).collect(),
        })
        .collect()
}

/// The link frames of `samples`.
fn frames(model: &Model, samples: &[Vec<u32>]) -> Vec<u8> {
    let f = LinkFormat::of_model(model);
    samples.iter().flat_map(|x| f.encode_frame(x)).collect()
}

/// Cycles to boot and carry `n_frames` frames at the board's rate, with margin.
fn budget(g: &GeneratedBoard, model: &Model, n_frames: usize) -> u64 {
    let f = LinkFormat::of_model(model);
    4_000_000 + n_frames as u64 * (f.frame_bytes() as u64 + 4) * 10 * g.params.cycles_per_bit as u64
}

/// The iCEBreaker wrapper of the default model, built once per test binary run (tests run in
/// parallel and share it).
fn icebreaker_default() -> (Model, GeneratedBoard, PathBuf, PathBuf) {
    static BUILT: std::sync::OnceLock<(Model, GeneratedBoard, PathBuf, PathBuf)> =
        std::sync::OnceLock::new();
    BUILT.get_or_init(build_icebreaker_default).clone()
}

fn build_icebreaker_default() -> (Model, GeneratedBoard, PathBuf, PathBuf) {
    let model = golden::default_model::quantized();
    let d = Design::new(
        model.clone(),
        HwOptions::new(Target::Ice40Up5k),
        Activity::worst_case(&model),
    )
    .expect("design");
    let g = generate_board(&d, Board::Icebreaker).expect("board");
    let dir = out_dir("icebreaker_default");
    let exe = build(&dir, &g);
    (model, g, dir, exe)
}

/// The default MNIST model on the iCEBreaker exactly as generated for the board (real clock,
/// 3 Mbaud link of 10-cycle bits; SPRAM weights streamed from flash at boot): classes of a few
/// samples sent as link frames; a corrupted frame is answered as bad and the next frame is
/// classified; a corrupted flash image gives wrong classes.
#[test]
fn default_model_boots_from_flash_and_classifies_link_frames_at_3_mbaud() {
    let (model, g, dir, exe) = icebreaker_default();
    assert_eq!(g.params.cycles_per_bit, 10, "3 Mbaud at 30 MHz");
    let image = g.flash.clone().expect("UP5K: a flash image");
    let xs = samples(&model, 1, 4);
    let want: Vec<u8> = xs
        .iter()
        .map(|x| golden::forward::classify(&model, x) as u8)
        .collect();
    let t0 = std::time::Instant::now();
    let r = run(
        &dir,
        &exe,
        &g,
        &image.bytes,
        &frames(&model, &xs),
        xs.len(),
        budget(&g, &model, 4),
    );
    println!(
        "default model: {} flash bytes, loaded at cycle {:?} ({:.1} ms at 30 MHz), answers {:?}, {} cycles, {:.1} s",
        image.bytes.len(),
        r.loaded_at,
        r.loaded_at.unwrap_or(0) as f64 / 30e3,
        r.answers,
        r.cycles,
        t0.elapsed().as_secs_f64()
    );
    assert!(r.loaded_at.is_some(), "weights never loaded");
    assert_eq!(r.answers, want, "classes (bit 7 = bad frame or m_error)");
    // A corrupted frame (one payload bit flipped), then a truncated one, each followed by a
    // good frame: bad, good, bad, good.
    let xs = samples(&model, 2, 4);
    let f = LinkFormat::of_model(&model);
    let mut bytes = f.encode_frame(&xs[0]);
    bytes[300] ^= 0x08;
    bytes.extend(f.encode_frame(&xs[1]));
    bytes.extend(&f.encode_frame(&xs[2])[..200]);
    bytes.extend(f.encode_frame(&xs[3]));
    let r = run(
        &dir,
        &exe,
        &g,
        &image.bytes,
        &bytes,
        4,
        budget(&g, &model, 4),
    );
    println!("corrupted frames: answers {:?}", r.answers);
    assert!(r.answers[0] & 0x80 != 0, "a flipped bit went unnoticed");
    assert_eq!(
        r.answers[1],
        golden::forward::classify(&model, &xs[1]) as u8
    );
    assert!(r.answers[2] & 0x80 != 0, "a truncated frame went unnoticed");
    assert_eq!(
        r.answers[3],
        golden::forward::classify(&model, &xs[3]) as u8
    );
    // The checker can fail: the same run with every word's bytes swapped in flash.
    let mut bad = image.bytes.clone();
    for pair in bad.chunks_mut(2) {
        pair.swap(0, 1);
    }
    let xs = samples(&model, 3, 3);
    let want: Vec<u8> = xs
        .iter()
        .map(|x| golden::forward::classify(&model, x) as u8)
        .collect();
    let r = run(
        &dir,
        &exe,
        &g,
        &bad,
        &frames(&model, &xs),
        3,
        budget(&g, &model, 3),
    );
    println!("corrupted image: answers {:?}, golden {want:?}", r.answers);
    assert_ne!(r.answers, want, "a corrupted flash image went unnoticed");
}

/// A small model with run-time weights (generic target) on the iCEBreaker wrapper.
#[test]
fn small_runtime_model_boots_from_flash() {
    let model = hdl_small_model();
    let mut o = HwOptions::new(Target::Generic);
    o.weights = WeightSource::Runtime;
    let d = Design::new(model.clone(), o, Activity::worst_case(&model)).expect("design");
    let g = generate_board(&d, Board::Icebreaker).expect("board");
    let image = g.flash.clone().expect("flash image");
    let dir = out_dir("icebreaker_small");
    let exe = build(&dir, &g);
    let xs = samples(&model, 3, 8);
    let want: Vec<u8> = xs
        .iter()
        .map(|x| golden::forward::classify(&model, x) as u8)
        .collect();
    let r = run(
        &dir,
        &exe,
        &g,
        &image.bytes,
        &frames(&model, &xs),
        xs.len(),
        3_000_000,
    );
    println!(
        "small model: loaded at {:?}, answers {:?}",
        r.loaded_at, r.answers
    );
    assert_eq!(r.answers, want);
}

/// 6-5-3 model, T = 8, 6-bit inputs: rows summing to 2^4.
fn hdl_small_model() -> Model {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    golden::testkit::small_weight_model_with_frac(&mut rng, &[6, 5, 3], 4, 8, 6, "potential")
}

/// The `ttfs` binary.
fn ttfs() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ttfs"))
}

/// `ttfs run --port PORT --dataset mnist --limit N` and any `extra` options; its output.
fn ttfs_run(port: &str, limit: usize, extra: &[&str]) -> std::process::Output {
    let limit = limit.to_string();
    ttfs()
        .args([
            "run",
            "--port",
            port,
            "--dataset",
            "mnist",
            "--limit",
            &limit,
        ])
        .args(extra)
        .output()
        .unwrap()
}

/// Starts the iCEBreaker harness in `pty` mode with `flash` and returns it and the slave path.
fn start_pty_board(
    dir: &Path,
    exe: &Path,
    g: &GeneratedBoard,
    flash: &[u8],
    name: &str,
) -> (std::process::Child, String) {
    use std::io::BufRead;
    std::fs::write(dir.join(name), flash).unwrap();
    let offset = g.flash.as_ref().map(|f| f.offset).unwrap_or(0);
    let mut child = Command::new(exe)
        .current_dir(dir)
        .args([
            "pty".to_string(),
            "0".into(),
            "2000000000".into(),
            g.params.cycles_per_bit.to_string(),
            name.to_string(),
            format!("{offset:#x}"),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the board harness");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let slave = line
        .strip_prefix("pty ")
        .unwrap_or_else(|| panic!("harness said {line:?}"))
        .trim()
        .to_string();
    // Keep draining the harness's output so that it never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while out.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            sink.clear();
        }
    });
    (child, slave)
}

/// `ttfs run` against the simulated iCEBreaker (default model, 3 Mbaud line bits) through a
/// pseudo-terminal: 50 MNIST test images, every class equal to the golden model's, a measured
/// rate printed. The comparison can fail: with a corrupted flash image `ttfs run` reports
/// differing classes and exits non-zero.
#[test]
fn ttfs_run_streams_mnist_to_the_simulated_board_through_a_pty() {
    let (_model, g, dir, exe) = icebreaker_default();
    let image = g.flash.clone().unwrap();
    let (mut child, slave) = start_pty_board(&dir, &exe, &g, &image.bytes, "flash-pty.bin");
    let t0 = std::time::Instant::now();
    let out = ttfs_run(&slave, 50, &["--timeout", "120"]);
    child.kill().ok();
    child.wait().ok();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    println!(
        "ttfs run ({:.1} s):\n{text}{err}",
        t0.elapsed().as_secs_f64()
    );
    assert!(out.status.success(), "ttfs run failed: {err}");
    assert!(
        text.contains("50 of 50 classes equal the golden model"),
        "{text}"
    );
    assert!(text.contains("images/s measured"), "{text}");
    // A corrupted flash image: the board's classes differ and ttfs run says so.
    let mut bad = image.bytes.clone();
    for pair in bad.chunks_mut(2) {
        pair.swap(0, 1);
    }
    let (mut child, slave) = start_pty_board(&dir, &exe, &g, &bad, "flash-bad.bin");
    let out = ttfs_run(&slave, 10, &["--timeout", "120"]);
    child.kill().ok();
    child.wait().ok();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    println!("corrupted image:\n{text}{err}");
    assert!(!out.status.success(), "differing classes went unnoticed");
    assert!(err.contains("differ from the golden model"), "{err}");
    assert!(text.contains(", golden "), "{text}");
}

/// A missing port is refused in one line, non-zero exit, no panic.
#[test]
fn ttfs_run_refuses_a_missing_port_in_one_line() {
    let out = ttfs_run("/dev/ttyUSB-no-such-port", 1, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("/dev/ttyUSB-no-such-port does not exist") && err.contains("--port"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// A port another program holds (an exclusive `flock`) is refused as busy in one line.
#[test]
fn ttfs_run_refuses_a_busy_port_in_one_line() {
    // SAFETY: plain POSIX pty calls; the fds live until the end of the test.
    let (master, slave) = unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(m >= 0 && libc::grantpt(m) == 0 && libc::unlockpt(m) == 0);
        let name = std::ffi::CStr::from_ptr(libc::ptsname(m))
            .to_string_lossy()
            .to_string();
        (m, name)
    };
    let holder = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&slave)
        .unwrap();
    use std::os::fd::AsRawFd;
    assert_eq!(
        unsafe { libc::flock(holder.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    let out = ttfs_run(&slave, 1, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("is busy"), "{err}");
    drop(holder);
    unsafe { libc::close(master) };
}
