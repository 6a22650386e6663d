//! `Ice40Spram`: simulation model, and the `Verilog::Wrapper` around `SB_SPRAM256KA` (with
//! the behavioural model for Verilator) through lint and iCE40 synthesis.

mod common;

use hdl::harness::Harness;
use hdl::prim::{ice40_spram, Ice40Spram};
use rand::Rng;
use rust_hdl::prelude::*;

#[test]
fn spram_model_reads_back_written_words_one_cycle_after_the_read() {
    let mut rng = common::rng(13);
    let mut h = Harness::new(Ice40Spram::new(), |x| &mut x.clock);
    let mut mem = vec![0u64; 1 << 14];
    for cycle in 0..3000 {
        let addr = rng.gen_range(0..64u64) * 257 % (1 << 14);
        let we = rng.gen_bool(0.4);
        let wdata = rng.gen_range(0..1u64 << 16);
        h.uut.addr.next = addr.to_bits();
        h.uut.we.next = we;
        h.uut.wdata.next = wdata.to_bits();
        h.cycle();
        if we {
            mem[addr as usize] = wdata; // rdata undefined after a write
        } else {
            let rdata = mem[addr as usize];
            assert_eq!(h.uut.rdata.val().to_u64(), rdata, "cycle {cycle}");
        }
    }
}

#[test]
fn spram_wrapper_lints_clean_and_maps_to_sb_spram256ka() {
    let mut x = Ice40Spram::new();
    x.connect_all();
    let mut e = common::emit(&x, "spram");
    assert!(e.text.contains("SB_SPRAM256KA spram ("));
    // The behavioural model, once, for Verilator (yosys defines SYNTHESIS and maps the cell).
    ice40_spram::append_sim_model(&mut e.text);
    ice40_spram::append_sim_model(&mut e.text);
    assert_eq!(e.text.matches("module SB_SPRAM256KA(").count(), 1);
    std::fs::write(&e.file, &e.text).unwrap();
    common::verilator_lint_clean(&e);
    if let Some(stat) = common::yosys_ice40_stat(&e) {
        assert!(stat.contains("SB_SPRAM256KA"), "{stat}");
    }
}
