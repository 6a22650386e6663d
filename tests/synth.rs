//! `ttfs synth`: open-tool synthesis (yosys → nextpnr → icepack/ecppack) of small seeded random
//! models for iCE40 UP5K and ECP5-25F, the one-line refusal of a design that does not fit, the
//! generated board wrappers (`board_top` of `hdl::board::generate_board`) placed with the
//! boards' constraint files at the boards' core clocks, with the flash image of the
//! iCEBreaker, the constraint files (frequency line vs `hdl::board::Board::osc_hz`, every pin
//! of `Board::pin_names` placed), and the one-line refusals that need no tool. Slow
//! (place-and-route, ~5 min): a separate test target, run by `scripts/test.sh`.
//!
//! A missing tool fails the tests that need it with the command that installs it.

use hdl::board::Board;
use lcttfs::synth::board::{self, BoardConstraints, ConstraintKind, ECP5_85F_TEMPLATE};
use lcttfs::synth::report;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("synth")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fails (never skips) when a pinned tool is missing, naming the fix.
fn require_tools(names: &[&str]) {
    for n in names {
        if let Err(e) = lcttfs::synth::find_tool(n) {
            panic!("{e} (scripts/test.sh does it)");
        }
    }
}

fn ttfs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ttfs"))
        .args(args)
        .output()
        .expect("run ttfs")
}

/// stderr without the `[synth …]` progress lines.
fn error_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("[synth"))
        .map(str::to_string)
        .collect()
}

/// Asserts a failure reported on exactly one `error:` line; returns it.
fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "expected a failure");
    let lines = error_lines(out);
    assert_eq!(
        lines.len(),
        1,
        "expected one error line, got: {lines:#?}\nstdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    lines[0].clone()
}

/// A seeded model of the given widths (8-bit inputs and weights, T = 16, potential readout)
/// saved in `dir`.
fn model_with(seed: u64, widths: &[usize], dir: &Path) -> PathBuf {
    let model = golden::testkit::seeded_model(seed, widths);
    let name = widths
        .iter()
        .map(|w| w.to_string())
        .collect::<Vec<_>>()
        .join("-");
    let path = dir.join(format!("model-{name}.json"));
    model.save(&path).unwrap();
    path
}

/// A seeded 16-8-4 model saved in `dir`.
fn model_16_8_4(seed: u64, dir: &Path) -> PathBuf {
    model_with(seed, &[16, 8, 4], dir)
}

const KEYS: &[&str] = &[
    "target",
    "board",
    "top",
    "fits",
    "timing_met",
    "fmax_mhz",
    "clock_mhz",
    "cycles_per_sample",
    "cycles_source",
    "throughput_samples_per_s",
    "input_bound_samples_per_s",
    "input_bound_fraction",
    "input_lanes",
    "resources",
    "estimates",
    "bitstream",
    "runtimes_s",
];

/// Runs `ttfs synth --json` and checks what every successful run must have.
fn synth_ok(name: &str, extra: &[&str], logic: &str, bram: &str) -> Value {
    let dir = out_dir(name);
    let model = model_16_8_4(7, &dir);
    let gen = dir.join("build");
    let mut args = vec![
        "synth",
        "--model",
        model.to_str().unwrap(),
        "--out",
        gen.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = ttfs(&args);
    assert!(
        out.status.success(),
        "ttfs synth {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(gen.join("synth.json")).unwrap()).unwrap();
    assert_eq!(v, file, "--json output and synth.json differ");
    for k in KEYS {
        assert!(v.get(k).is_some(), "synth.json lacks {k}: {v:#}");
    }
    assert_eq!(v["fits"], true, "{v:#}");
    assert_eq!(v["cycles_source"], "estimate");
    let fmax = v["fmax_mhz"].as_f64().expect("fmax");
    let clock = v["clock_mhz"].as_f64().unwrap();
    let cycles = v["cycles_per_sample"].as_f64().unwrap();
    let thr = v["throughput_samples_per_s"].as_f64().unwrap();
    assert!(fmax > 1.0 && cycles > 1.0);
    assert!(
        (thr - fmax.min(clock) * 1e6 / cycles).abs() <= 1e-6 * thr,
        "{v:#}"
    );
    // The 16-input model's stream moves a beat of K features per cycle at most:
    // ≤ clock / ⌈16 / K⌉ samples/s.
    let bound = v["input_bound_samples_per_s"].as_f64().unwrap();
    let beats = 16usize.div_ceil(v["input_lanes"].as_u64().unwrap() as usize) as f64;
    assert!(
        (bound - fmax.min(clock) * 1e6 / beats).abs() <= 1e-6 * bound,
        "{v:#}"
    );
    let frac = v["input_bound_fraction"].as_f64().unwrap();
    assert!((frac - thr / bound).abs() <= 1e-9 && frac <= 1.0, "{v:#}");
    assert_eq!(v["timing_met"], fmax >= clock, "{v:#}");
    for r in [logic, "LUT4", "FF", "CARRY", bram, "DSP"] {
        let res = &v["resources"][r];
        let (u, a) = (res["used"].as_u64(), res["available"].as_u64());
        assert!(
            u.is_some() && a.is_some() && u <= a && a > Some(0),
            "resource {r}: {res} in {v:#}"
        );
    }
    assert!(v["resources"][logic]["used"].as_u64() > Some(0));
    for k in ["LUT", "FF", "BRAM"] {
        assert!(
            v["estimates"][k]["estimated"].is_u64() && v["estimates"][k]["actual"].is_u64(),
            "estimates.{k}: {v:#}"
        );
    }
    let bit = PathBuf::from(v["bitstream"]["path"].as_str().expect("bitstream path"));
    let bytes = std::fs::metadata(&bit).expect("bitstream exists").len();
    assert!(bytes > 1000);
    assert_eq!(v["bitstream"]["bytes"].as_u64(), Some(bytes));
    // report.md next to synth.json: the same figures as tables, and nothing but JSON on stdout.
    let md = std::fs::read_to_string(gen.join("report.md")).expect("report.md next to synth.json");
    let used = v["resources"][logic]["used"].as_u64().unwrap();
    let avail = v["resources"][logic]["available"].as_u64().unwrap();
    assert!(
        md.lines().any(|l| l.starts_with(&format!("| {logic} "))
            && l.contains(&format!(" {used} |"))
            && l.contains(&format!(" {avail} |"))),
        "report.md lacks the {logic} row {used}/{avail}:\n{md}"
    );
    assert!(
        md.contains(&format!("{fmax:.1} MHz")),
        "report.md lacks fmax {fmax:.1}:\n{md}"
    );
    assert!(
        md.contains("## Estimate vs measured") && md.contains("| LUT "),
        "{md}"
    );
    assert!(md.contains("## Layers"), "{md}");
    v
}

#[test]
fn up5k_small_model_places_routes_and_packs() {
    require_tools(&["yosys", "nextpnr-ice40", "icepack"]);
    let v = synth_ok(
        "up5k",
        &[
            "--target",
            "ice40-up5k",
            "--lanes",
            "2,1",
            "--board",
            "none",
        ],
        "LC",
        "EBR",
    );
    assert_eq!(v["target"], "ice40-up5k");
    assert_eq!(v["board"], "none");
    assert_eq!(v["top"], "ttfs_top");
    assert_eq!(
        v["clock_mhz"].as_f64(),
        Some(hdl::plan::Target::Ice40Up5k.default_clock_hz() as f64 / 1e6)
    );
    assert_eq!(v["resources"]["LC"]["available"], 5280);
    assert_eq!(v["resources"]["SPRAM"]["available"], 4);
}

#[test]
fn ecp5_25k_small_model_places_routes_and_packs() {
    require_tools(&["yosys", "nextpnr-ecp5", "ecppack"]);
    let v = synth_ok(
        "ecp5-25k",
        &["--target", "ecp5-25k", "--board", "none"],
        "TRELLIS_COMB",
        "DP16KD",
    );
    assert_eq!(v["target"], "ecp5-25k");
    assert_eq!(v["resources"]["TRELLIS_COMB"]["available"], 24288);
    assert_eq!(v["resources"]["DP16KD"]["available"], 56);
}

/// 32 lanes of a 16-32-4 model overflow the UP5K's 5 280 logic cells (the cost model
/// underestimates LUTs, so the planner lets it through): refused in one line that names the
/// resource (used/available) and what would fit, never nextpnr's raw error. Should the
/// estimate refuse it first, the planner's line must say the same things.
#[test]
fn too_big_for_the_target_is_refused_with_the_resource() {
    require_tools(&["yosys", "nextpnr-ice40", "icepack"]);
    let dir = out_dir("too-big");
    let model = model_with(7, &[16, 32, 4], &dir);
    let out = ttfs(&[
        "synth",
        "--model",
        model.to_str().unwrap(),
        "--target",
        "ice40-up5k",
        "--lanes",
        "32,4",
        "--out",
        dir.join("build").to_str().unwrap(),
    ]);
    let line = one_line_error(&out);
    assert!(
        !line.contains("Unable to place") && !line.contains("ERROR"),
        "raw tool error: {line}"
    );
    assert!(
        line.contains("--lanes") && line.contains("ecp5-25k"),
        "{line}"
    );
    if line.contains("after place-and-route") {
        assert!(line.contains("/5280") || line.contains("/30"), "{line}");
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("build/synth.json")).unwrap())
                .unwrap();
        assert_eq!(v["fits"], false);
        assert!(v["overflow"]["resource"].is_string(), "{v:#}");
        assert!(v["bitstream"].is_null());
    } else {
        assert!(line.contains("LUT") || line.contains("block RAM"), "{line}");
    }
}

/// At one lane per layer fewer lanes cannot help: the refusal says so and names the bigger
/// target. `mnist-cnn` in the iCEBreaker wrapper (UART link, SPRAM-weight flash loader, PLL:
/// ~820 logic cells) takes 5 365 of the UP5K's 5 280 cells even at lanes 1,1,1.
#[test]
fn a_one_lane_design_that_overflows_is_told_to_change_target_not_lanes() {
    require_tools(&["yosys", "nextpnr-ice40", "icepack"]);
    let dir = out_dir("one-lane-too-big");
    let out = ttfs(&[
        "synth",
        "--model",
        "mnist-cnn",
        "--target",
        "ice40-up5k",
        "--board",
        "icebreaker",
        "--lanes",
        "1,1,1",
        "--out",
        dir.join("build").to_str().unwrap(),
    ]);
    let line = one_line_error(&out);
    assert!(line.contains("after place-and-route"), "{line}");
    assert!(line.contains("/5280"), "{line}");
    assert!(
        line.contains("one lane per layer already (--lanes 1,1,1)") && line.contains("ecp5-25k"),
        "{line}"
    );
    assert!(!line.contains("give fewer --lanes"), "{line}");
}

/// A design with more ports than the SG48 has pins (three layers of spike trace ports on
/// `--board none`) fails in nextpnr, never in the planner: the P&R failure is translated into
/// the one-line resource message (`IO used/available`).
#[test]
fn too_many_ports_for_the_package_is_translated_from_nextpnr() {
    require_tools(&["yosys", "nextpnr-ice40", "icepack"]);
    let dir = out_dir("too-many-ports");
    let model = model_with(5, &[16, 8, 8, 4], &dir);
    let out = ttfs(&[
        "synth",
        "--model",
        model.to_str().unwrap(),
        "--target",
        "ice40-up5k",
        "--lanes",
        "1,1,1",
        "--trace",
        "--out",
        dir.join("build").to_str().unwrap(),
    ]);
    let line = one_line_error(&out);
    assert!(
        line.contains("after place-and-route")
            && line.contains("IO (SB_IO)")
            && line.contains("/39"),
        "{line}"
    );
    assert!(!line.contains("ERROR"), "{line}");
}

/// The generated board wrapper `board_top` of a small model, placed and routed with the
/// board's constraint file, timed at the board's core clock (the PLL output on the
/// iCEBreaker), with the bitstream and, for `--weights runtime` on the iCEBreaker, the flash
/// image at the board's flash offset.
fn board_places(b: Board, extra: &[&str], tools: &[&str]) -> Value {
    require_tools(tools);
    let dir = out_dir(&format!("board-{}", b.name()));
    let model = model_16_8_4(7, &dir);
    let build = dir.join("build");
    let mut args = vec![
        "synth",
        "--model",
        model.to_str().unwrap(),
        "--board",
        b.name(),
        "--lanes",
        "2,1",
        "--out",
        build.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = ttfs(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["board"], b.name());
    assert_eq!(v["target"], b.target().to_string());
    assert_eq!(v["top"], board::WRAPPER_TOP);
    assert_eq!(v["fits"], true);
    let core_mhz = b.core_clock_hz() as f64 / 1e6;
    assert_eq!(v["clock_mhz"].as_f64(), Some(core_mhz), "{v:#}");
    assert_eq!(
        v["board_clock"]["oscillator_mhz"].as_f64(),
        Some(b.osc_hz() as f64 / 1e6)
    );
    let verilog = std::fs::read_to_string(dir.join("build/board_top.v")).unwrap();
    assert!(
        verilog.contains("module board_top ("),
        "not the board wrapper"
    );
    for (port, _, _) in b.ports() {
        assert!(
            verilog.contains(&format!(" {port}")),
            "board_top lacks {port}"
        );
    }
    let log = std::fs::read_to_string(dir.join("build/nextpnr.log")).unwrap();
    assert!(!log.contains("unmatched constraint"), "{log}");
    let bit = PathBuf::from(v["bitstream"]["path"].as_str().unwrap());
    assert!(bit.is_file());
    // The design clock was timed at the core clock (nextpnr --freq, or the constraint it
    // derives through the PLL from the constraint file's oscillator line, which can be off by
    // a few hundredths of a MHz: 30.019 MHz for 12 MHz · 80 / 32).
    assert!(
        v["clocks"]
            .as_object()
            .unwrap()
            .values()
            .any(|c| (c["constraint_mhz"].as_f64().unwrap() / core_mhz - 1.0).abs() < 1e-3),
        "no clock constrained at {core_mhz} MHz: {}",
        v["clocks"]
    );
    assert!(v["fmax_mhz"].as_f64().is_some());
    let program: Vec<&str> = v["program"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let bit_name = bit.file_name().unwrap().to_str().unwrap();
    match b {
        Board::Icebreaker => assert_eq!(program[0], format!("iceprog {bit_name}")),
        Board::Ulx3s25f => assert_eq!(program, [format!("openFPGALoader -b ulx3s {bit_name}")]),
    }
    v
}

#[test]
fn icebreaker_wrapper_places_with_the_flash_image() {
    // Runtime weights: the wrapper's SPI flash reader streams weights.bin at boot.
    let v = board_places(
        Board::Icebreaker,
        &["--weights", "runtime"],
        &["yosys", "nextpnr-ice40", "icepack"],
    );
    assert_eq!(
        v["board_clock"]["core_clock_mhz"].as_f64(),
        Some(Board::Icebreaker.core_clock_hz() as f64 / 1e6)
    );
    assert!(Board::Icebreaker.core_clock_hz() != Board::Icebreaker.osc_hz());
    assert!(v["board_clock"]["pll"].is_object(), "{v:#}");
    assert_eq!(v["resources"]["PLL"]["used"], 1, "{v:#}");
    let offset = Board::Icebreaker.flash_weights_offset().unwrap();
    let f = &v["flash_image"];
    assert_eq!(f["offset"].as_u64(), Some(offset as u64), "{v:#}");
    assert_eq!(f["offset_hex"], "0x100000");
    let path = PathBuf::from(f["path"].as_str().unwrap());
    assert_eq!(path.file_name().unwrap(), "weights.bin");
    let bit = PathBuf::from(v["bitstream"]["path"].as_str().unwrap());
    assert_eq!(
        path.parent(),
        bit.parent(),
        "flash image not next to the bitstream"
    );
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(f["bytes"].as_u64(), Some(bytes.len() as u64));
    // 16-bit words holding at least the 16·8 + 8·4 8-bit weights of the small model.
    assert!(
        bytes.len().is_multiple_of(2) && bytes.len() >= 16 * 8 + 8 * 4,
        "{} bytes",
        bytes.len()
    );
    assert_eq!(v["program"][1], "iceprog -o 1M weights.bin");
}

#[test]
fn ulx3s_wrapper_places_on_the_ecp5_25k_cabga381() {
    let v = board_places(Board::Ulx3s25f, &[], &["yosys", "nextpnr-ecp5", "ecppack"]);
    // 25 MHz oscillator × 4 through the EHXPLLL: the core is timed at 100 MHz.
    assert_eq!(v["board_clock"]["pll"]["primitive"], "EHXPLLL", "{v:#}");
    assert_eq!(v["clock_mhz"].as_f64(), Some(100.0), "{v:#}");
    assert!(v["flash_image"].is_null());
}

// ---- no tools needed ----

fn constraints_on_disk(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("constraints")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every constraint file's frequency line is the oscillator of its board in
/// `hdl::board::Board` (the one place for board facts), and the embedded copies are current.
/// The ECP5-85F pin template follows the ULX3S (same sites, same 25 MHz oscillator).
#[test]
fn constraint_file_frequency_matches_the_board_table() {
    for b in Board::ALL {
        let text = constraints_on_disk(b.constraints_file());
        assert_eq!(text, b.constraints(), "{b}: embedded copy is stale");
        let hz = board::parse_frequency_hz(b.constraint_kind(), &text, "clk")
            .unwrap_or_else(|| panic!("{b}: no frequency line for clk"));
        assert_eq!(
            hz,
            b.osc_hz(),
            "{b}: frequency line vs hdl::board::Board::osc_hz"
        );
    }
    let (file, text) = ECP5_85F_TEMPLATE;
    assert_eq!(
        constraints_on_disk(file),
        text,
        "{file}: embedded copy is stale"
    );
    assert_eq!(
        board::parse_frequency_hz(ConstraintKind::Lpf, text, "clk"),
        Some(Board::Ulx3s25f.osc_hz()),
        "{file} vs the ULX3S oscillator"
    );
    // The parser reads the formats it claims to.
    assert_eq!(
        board::parse_frequency_hz(ConstraintKind::Pcf, "set_frequency clk 12\n", "clk"),
        Some(12_000_000)
    );
    assert_eq!(
        board::parse_frequency_hz(
            ConstraintKind::Lpf,
            "FREQUENCY PORT \"clk\" 25.000000 MHz ;\n",
            "clk"
        ),
        Some(25_000_000)
    );
    assert_eq!(
        board::parse_frequency_hz(ConstraintKind::Pcf, "# set_frequency clk 12\n", "clk"),
        None
    );
}

#[test]
fn constraint_files_name_the_board_cite_the_source_and_place_every_pin() {
    let files = Board::ALL
        .iter()
        .map(|b| (b.constraints_file(), b.constraint_kind(), b.target(), *b))
        .chain(std::iter::once((
            ECP5_85F_TEMPLATE.0,
            ConstraintKind::Lpf,
            hdl::plan::Target::Ecp5_85k,
            Board::Ulx3s25f,
        )));
    for (file, kind, target, pins_of) in files {
        let text = constraints_on_disk(file);
        let header: String = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(header.contains("https://github.com/"), "{file}: no source");
        let part = match target {
            hdl::plan::Target::Ice40Up5k => "iCE40UP5K",
            hdl::plan::Target::Ecp5_25k => "LFE5U-25F",
            _ => "LFE5U-85F",
        };
        assert!(header.contains(part), "{file}: header names no {part}");
        for p in pins_of.pin_names() {
            assert!(
                board::constrains_port(kind, &text, &p),
                "{file}: pin {p} of board_top is not placed"
            );
        }
    }
    let pins = Board::Icebreaker.pin_names();
    for p in [
        "flash_cs_n",
        "flash_sck",
        "flash_mosi",
        "flash_miso",
        "uart_rx",
        "uart_tx",
    ] {
        assert!(pins.iter().any(|q| q == p), "{p}");
    }
}

#[test]
fn board_of_another_device_and_generic_target_are_refused_in_one_line() {
    let line = one_line_error(&ttfs(&[
        "synth",
        "--target",
        "ecp5-25k",
        "--board",
        "icebreaker",
    ]));
    assert!(
        line.contains("icebreaker") && line.contains("ice40-up5k"),
        "{line}"
    );
    let line = one_line_error(&ttfs(&[
        "synth",
        "--target",
        "ice40-up5k",
        "--board",
        "ulx3s-25f",
    ]));
    assert!(
        line.contains("ulx3s-25f") && line.contains("ecp5-25k"),
        "{line}"
    );
    let line = one_line_error(&ttfs(&["synth", "--target", "generic"]));
    assert!(line.contains("ice40-up5k"), "{line}");
    // A board fixes the core clock (its PLL): another --clock-mhz is refused, naming it.
    let dir = out_dir("board-refusals");
    let model = model_16_8_4(3, &dir);
    let core_mhz = Board::Icebreaker.core_clock_hz() as f64 / 1e6;
    let other = (core_mhz + 6.0).to_string();
    let line = one_line_error(&ttfs(&[
        "synth",
        "--board",
        "icebreaker",
        "--model",
        model.to_str().unwrap(),
        "--clock-mhz",
        &other,
        "--out",
        dir.join("build").to_str().unwrap(),
    ]));
    assert!(
        line.contains(&format!("{core_mhz} MHz")) && line.contains("PLL"),
        "{line}"
    );
    // Runtime weights on a board without a flash reader: refused by the generator.
    let line = one_line_error(&ttfs(&[
        "synth",
        "--board",
        "ulx3s-25f",
        "--model",
        model.to_str().unwrap(),
        "--weights",
        "runtime",
        "--out",
        dir.join("build").to_str().unwrap(),
    ]));
    assert!(line.contains("flash reader"), "{line}");
    // A --top that no Verilog defines: one line, no tool run.
    let line = one_line_error(&ttfs(&[
        "synth",
        "--target",
        "ice40-up5k",
        "--model",
        model.to_str().unwrap(),
        "--lanes",
        "2,1",
        "--top",
        "nope_top",
        "--out",
        dir.join("build").to_str().unwrap(),
    ]));
    assert!(
        line.contains("nope_top") && line.contains("--verilog"),
        "{line}"
    );
    // An unknown board is refused by the argument parser, naming the choices.
    let out = ttfs(&["synth", "--board", "nope"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("none") && err.contains("icebreaker") && err.contains("ulx3s-25f"),
        "{err}"
    );
}

#[test]
fn missing_tool_is_one_line_naming_the_installer() {
    let dir = out_dir("no-tools");
    let out = Command::new(env!("CARGO_BIN_EXE_ttfs"))
        .args([
            "synth",
            "--target",
            "ice40-up5k",
            "--model",
            model_16_8_4(3, &dir).to_str().unwrap(),
            "--lanes",
            "2,1",
            "--out",
            dir.join("build").to_str().unwrap(),
        ])
        .env("LCTTFS_TOOLS_DIR", dir.join("empty"))
        .output()
        .unwrap();
    let line = one_line_error(&out);
    assert_eq!(line, "error: yosys not found: run scripts/tools.sh");
}

/// The parsers on captured tool output (nextpnr-ice40 0.11 on an 8-lane 16-8-4 model).
#[test]
fn nextpnr_failure_log_is_translated_to_the_overflowing_resource() {
    let log = "Info: Device utilisation:\n\
        Info: \t         ICESTORM_LC:    6610/   5280   125%\n\
        Info: \t        ICESTORM_RAM:       6/     30    20%\n\
        Info: \t               SB_IO:      18/     39    46%\n\
        Info: \t               SB_GB:       7/      8    87%\n\
        Info: \t      ICESTORM_SPRAM:       0/      4     0%\n\
        \n\
        Info: Placed 0 cells based on constraints.\n\
        ERROR: Unable to place cell 'x_LC', no BELs remaining to implement cell type 'ICESTORM_LC'\n";
    let util = report::nextpnr_log_utilization(log);
    assert_eq!(util.len(), 5, "{util:?}");
    assert_eq!(
        util["ICESTORM_LC"],
        report::Resource {
            used: 6610,
            available: 5280
        }
    );
    let res = report::resources(
        lcttfs::synth::Family::Ice40,
        hdl::plan::Target::Ice40Up5k,
        &util,
        &Default::default(),
    );
    let ov = report::overflow(&res, &util).expect("overflow found");
    assert_eq!(ov.resource, "LC");
    assert_eq!(ov.describe(), "LC (ICESTORM_LC) 6610/5280 (125 %)");
    assert_eq!(
        report::first_error_line(log).unwrap(),
        "ERROR: Unable to place cell 'x_LC', no BELs remaining to implement cell type 'ICESTORM_LC'"
    );
    let (u, c) = report::nextpnr_report(
        r#"{"fmax": {"clk$glb": {"achieved": 28.1, "constraint": 24}},
            "utilization": {"ICESTORM_LC": {"available": 5280, "used": 3414}}}"#,
    )
    .unwrap();
    assert_eq!(u["ICESTORM_LC"].used, 3414);
    assert_eq!(report::design_clock(&c, 24.0), (Some(28.1), true));
    assert_eq!(report::design_clock(&c, 30.0), (Some(28.1), true));
}
