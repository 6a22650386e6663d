//! `ZeroExtend`: exhaustive at small widths, and width-clean Verilog where rust-hdl's own
//! casts are not.

mod common;

use hdl::harness::settle;
use hdl::prim::ZeroExtend;
use rust_hdl::prelude::*;

fn check_zero<const N: usize, const M: usize>() {
    let mut x = ZeroExtend::<N, M>::new();
    x.connect_all();
    for v in 0..(1u64 << N) {
        x.x.next = v.to_bits();
        settle(&mut x);
        assert_eq!(x.y.val().to_u64(), v, "N={N} M={M} v={v}");
    }
}

#[test]
fn zero_extension_keeps_every_value_at_small_widths() {
    check_zero::<1, 3>();
    check_zero::<4, 4>();
    check_zero::<5, 12>();
}

#[test]
fn extension_verilog_is_width_clean() {
    let mut z = ZeroExtend::<5, 9>::new();
    z.connect_all();
    let e = common::emit(&z, "zero_extend");
    assert!(e.text.contains("y = {{4{1'b0}}, x};"));
    common::verilator_lint_clean(&e);
}
