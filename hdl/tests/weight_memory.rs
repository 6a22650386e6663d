//! `WeightMemory`: the column layout packs and unpacks every lane exactly, and the block in
//! rust-hdl's simulator reads back what the load stream wrote (RAM, SPRAM) or its image (ROM).

mod common;

use hdl::layer::{WeightLayout, WeightMemory, WeightStore};
use proptest::prelude::*;
use rust_hdl::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// pack → unpack is the identity for every lane, any P and W (rows straddle 16-bit and
    /// 64-bit boundaries when P·W is not a multiple of them).
    #[test]
    fn columns_round_trip_every_lane(lanes in 1usize..40, w in 2usize..=16, rows in 1usize..6, seed: u64) {
        let layout = WeightLayout { lanes, weight_bits: w, rows };
        let mut rng = common::rng(seed);
        let lo = -(1i32 << (w - 1));
        let hi = 1i32 << (w - 1);
        let words: Vec<Vec<i32>> = (0..lanes)
            .map(|_| (0..rows).map(|_| rand::Rng::gen_range(&mut rng, lo..hi)).collect())
            .collect();
        let cols = layout.pack(&words);
        prop_assert_eq!(cols.len(), (lanes * w).div_ceil(16));
        for a in 0..rows {
            let row: Vec<u16> = cols.iter().map(|c| c[a]).collect();
            for (p, lane) in words.iter().enumerate() {
                prop_assert_eq!(layout.unpack(&row, p), lane[a], "row {} lane {}", a, p);
            }
        }
    }
}

/// `mem` with every input marked as driven from outside.
fn connected(mut mem: WeightMemory) -> WeightMemory {
    mem.clock.connect();
    mem.raddr.connect();
    mem.we.connect();
    mem.waddr.connect();
    mem.wcol.connect();
    mem.wdata.connect();
    mem.connect_all();
    mem
}

/// Drives the block: loads `load` (column words, rows in order) when given, then reads every
/// row and returns the per-lane values.
fn read_back(mem: WeightMemory, layout: &WeightLayout, load: Option<Vec<u16>>) -> Vec<Vec<i32>> {
    let mut mem = connected(mem);
    let mut out = vec![];
    let step = |mem: &mut WeightMemory| {
        mem.clock.next = false.into();
        simulate_settle(mem);
        mem.clock.next = true.into();
        simulate_settle(mem);
    };
    if let Some(words) = load {
        let c = layout.columns();
        for (i, w) in words.iter().enumerate() {
            mem.we.next = true;
            mem.waddr.next = ((i / c) as u64).into();
            mem.wcol.next = ((i % c) as u64).into();
            mem.wdata.next = (*w as u64).into();
            step(&mut mem);
        }
        mem.we.next = false;
    }
    for a in 0..layout.rows {
        mem.raddr.next = (a as u64).into();
        step(&mut mem);
        out.push(
            (0..layout.lanes)
                .map(|p| mem.rdata[p].val().bigint().try_into().unwrap())
                .collect(),
        );
    }
    out
}

fn simulate_settle(mem: &mut WeightMemory) {
    for _ in 0..8 {
        mem.update_all();
        if !mem.has_changed() {
            break;
        }
    }
}

#[test]
fn loaded_memories_read_back_what_the_stream_wrote() {
    let mut rng = common::rng(41);
    for (store, lanes, w) in [
        (WeightStore::Rom, 5, 7),
        (WeightStore::Ram, 5, 7),
        (WeightStore::Spram, 8, 8),
        (WeightStore::Ram, 3, 16),
    ] {
        let layout = WeightLayout {
            lanes,
            weight_bits: w,
            rows: 37,
        };
        let lo = -(1i32 << (w - 1));
        let hi = 1i32 << (w - 1);
        let words: Vec<Vec<i32>> = (0..lanes)
            .map(|_| {
                (0..37)
                    .map(|_| rand::Rng::gen_range(&mut rng, lo..hi))
                    .collect()
            })
            .collect();
        // A loaded store starts from zeros in simulation: build it empty and stream the image.
        let (mem, load) = if store.loadable() {
            let zeros = vec![vec![0; 37]; lanes];
            let cols = layout.pack(&words);
            let stream: Vec<u16> = (0..37)
                .flat_map(|a| cols.iter().map(move |c| c[a]))
                .collect();
            (
                WeightMemory::new(layout.clone(), store, &zeros, "wm"),
                Some(stream),
            )
        } else {
            (WeightMemory::new(layout.clone(), store, &words, "wm"), None)
        };
        let got = read_back(mem, &layout, load);
        for a in 0..37 {
            for p in 0..lanes {
                assert_eq!(got[a][p], words[p][a], "{store:?}: row {a} lane {p}");
            }
        }
    }
}

/// `Spram` builds every column from one `prim::Ice40Spram` (the only place that names the
/// vendor primitive): one `SB_SPRAM256KA` per column, lint-clean with the behavioural model,
/// mapped to the real cells by `synth_ice40`.
#[test]
fn spram_columns_are_ice40_sprams() {
    let layout = WeightLayout {
        lanes: 8,
        weight_bits: 8,
        rows: 37,
    };
    let zeros = vec![vec![0; 37]; 8];
    let mem = connected(WeightMemory::new(layout, WeightStore::Spram, &zeros, "wm"));
    let mut e = common::emit(&mem, "weight_memory_spram");
    assert_eq!(e.text.matches("SB_SPRAM256KA spram (").count(), 4);
    hdl::prim::ice40_spram::append_sim_model(&mut e.text);
    std::fs::write(&e.file, &e.text).unwrap();
    common::verilator_lint_clean(&e);
    if let Some(stat) = common::yosys_ice40_stat(&e) {
        let cells = stat
            .lines()
            .find(|l| l.contains("SB_SPRAM256KA"))
            .unwrap_or_else(|| panic!("no SB_SPRAM256KA in:\n{stat}"));
        assert!(cells.split_whitespace().any(|w| w == "4"), "{cells}");
    }
}
