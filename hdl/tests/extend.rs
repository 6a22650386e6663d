//! `SignExtend` / `ZeroExtend`: exhaustive at small widths, and width-clean Verilog where
//! rust-hdl's own casts are not.

mod common;

use hdl::harness::settle;
use hdl::prim::{RDff, SignExtend, ZeroExtend};
use rust_hdl::prelude::*;

fn check_sign<const N: usize, const M: usize>() {
    let mut x = SignExtend::<N, M>::new();
    x.connect_all();
    for v in -(1i64 << (N - 1))..(1i64 << (N - 1)) {
        x.x.next = signed::<N>(v);
        settle(&mut x);
        assert_eq!(x.y.val().bigint(), v.into(), "N={N} M={M} v={v}");
    }
}

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
fn sign_extension_keeps_every_value_at_small_widths() {
    check_sign::<1, 1>();
    check_sign::<1, 4>();
    check_sign::<4, 9>();
    check_sign::<8, 8>();
    check_sign::<8, 24>();
}

#[test]
fn zero_extension_keeps_every_value_at_small_widths() {
    check_zero::<1, 3>();
    check_zero::<4, 4>();
    check_zero::<5, 12>();
}

/// The integrate pattern: `acc += sign_extend(w)`, with a signed constant compare.
#[derive(LogicBlock)]
struct Accumulate<const WB: usize, const ZW: usize> {
    pub clock: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub en: Signal<In, Bit>,
    pub w: Signal<In, Signed<WB>>,
    pub acc: Signal<Out, Signed<ZW>>,
    pub below: Signal<Out, Bit>,
    acc_r: RDff<Signed<ZW>>,
    ext: SignExtend<WB, ZW>,
    minus3: Constant<Signed<ZW>>,
}

impl<const WB: usize, const ZW: usize> Accumulate<WB, ZW> {
    fn new() -> Self {
        Self {
            clock: Default::default(),
            rst: Default::default(),
            en: Default::default(),
            w: Default::default(),
            acc: Default::default(),
            below: Default::default(),
            acc_r: Default::default(),
            ext: SignExtend::new(),
            minus3: Constant::new(signed(-3)),
        }
    }
}

impl<const WB: usize, const ZW: usize> Logic for Accumulate<WB, ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, acc_r);
        self.acc_r.rst.next = self.rst.val();
        self.ext.x.next = self.w.val();
        if self.en.val() {
            self.acc_r.d.next = self.acc_r.q.val() + self.ext.y.val();
        }
        self.acc.next = self.acc_r.q.val();
        self.below.next = self.acc_r.q.val() < self.minus3.val();
    }
}

#[test]
fn accumulating_sign_extended_weights_matches_integer_sum() {
    let mut h = hdl::harness::Harness::new(Accumulate::<8, 20>::new(), |x| &mut x.clock);
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    let mut sum = 0i64;
    for (i, w) in (-128i64..128).chain((-128..128).rev()).enumerate() {
        let en = i % 3 != 1;
        h.uut.w.next = signed::<8>(w);
        h.uut.en.next = en;
        h.cycle();
        if en {
            sum += w;
        }
        assert_eq!(h.uut.acc.val().bigint(), sum.into());
        assert_eq!(h.uut.below.val(), sum < -3);
    }
}

#[test]
fn extension_verilog_is_width_clean() {
    let mut x = Accumulate::<8, 20>::new();
    x.connect_all();
    let e = common::emit(&x, "accumulate");
    assert!(e.text.contains("y = {{12{x[7]}}, x};"));
    // Ranged, so that yosys reads it as signed too (hdl::verilog::range_signed_localparams).
    assert!(e
        .text
        .contains("localparam signed [19:0] minus3 = 20'hffffd;"));
    common::verilator_lint_clean(&e);
    common::yosys_clean(&e);
    let mut z = ZeroExtend::<5, 9>::new();
    z.connect_all();
    let e = common::emit(&z, "zero_extend");
    assert!(e.text.contains("y = {{4{1'b0}}, x};"));
    common::verilator_lint_clean(&e);
}
