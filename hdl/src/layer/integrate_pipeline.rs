//! `IntegratePipeline`: the control that travels beside an integrate pass through the lanes.

use crate::prim::RDff;
use rust_hdl::prelude::*;

/// Carries each issued group of a pass down the lanes' four register stages — issue (weight
/// read) → weight register → half products → product (`V` read) → write-back (`V` write) —
/// and flags a write-back whose row the previous cycle wrote (the memory's read of a row
/// being written is not used: the lanes forward it).
///
/// Ports: `clock`, `rst` (in); the pass in its issue cycle: `valid`, `bias`, `k` (`Bits<9>`),
/// `g` (in); `ex_k` (out: ramp ticks at the product stage); `v_raddr` (out: the row whose
/// `V` is read); `wb_valid`, `wb_bias`, `wb_g`, `wb_fwd` (out: the write-back stage);
/// `busy` (out: a pass is still in flight after its issue).
///
/// Latency: 4 cycles from issue to write-back. Cost: ~`3·16 + 2·9 + 12` flip-flops and one
/// 16-bit compare.
#[derive(LogicBlock, Default)]
pub struct IntegratePipeline {
    pub clock: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    /// The pass in its issue cycle.
    pub valid: Signal<In, Bit>,
    pub bias: Signal<In, Bit>,
    pub k: Signal<In, Bits<9>>,
    pub g: Signal<In, Bits<16>>,
    /// Ramp ticks of the pass in the product stage.
    pub ex_k: Signal<Out, Bits<9>>,
    /// Row whose `V` is read (for the write-back a cycle later).
    pub v_raddr: Signal<Out, Bits<16>>,
    /// The write-back stage: write row `wb_g`; `wb_bias`: `V = product`; `wb_fwd`: take `V`
    /// from the previous write, not the memory.
    pub wb_valid: Signal<Out, Bit>,
    pub wb_bias: Signal<Out, Bit>,
    pub wb_g: Signal<Out, Bits<16>>,
    pub wb_fwd: Signal<Out, Bit>,
    /// Some pass is between its weight register and its write-back.
    pub busy: Signal<Out, Bit>,
    wr_valid: RDff<Bit>,
    wr_bias: RDff<Bit>,
    wr_k: RDff<Bits<9>>,
    wr_g: RDff<Bits<16>>,
    ex_valid: RDff<Bit>,
    ex_bias: RDff<Bit>,
    ex_k_r: RDff<Bits<9>>,
    ex_g: RDff<Bits<16>>,
    x2_valid: RDff<Bit>,
    x2_bias: RDff<Bit>,
    x2_g: RDff<Bits<16>>,
    wb_valid_r: RDff<Bit>,
    wb_bias_r: RDff<Bit>,
    wb_g_r: RDff<Bits<16>>,
    wb_fwd_r: RDff<Bit>,
}

impl Logic for IntegratePipeline {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, wr_valid, wr_bias, wr_k, wr_g, ex_valid, ex_bias, ex_k_r, ex_g, x2_valid,
            x2_bias, x2_g, wb_valid_r, wb_bias_r, wb_g_r, wb_fwd_r
        );
        self.wr_valid.rst.next = self.rst.val();
        self.wr_bias.rst.next = self.rst.val();
        self.wr_k.rst.next = self.rst.val();
        self.wr_g.rst.next = self.rst.val();
        self.ex_valid.rst.next = self.rst.val();
        self.ex_bias.rst.next = self.rst.val();
        self.ex_k_r.rst.next = self.rst.val();
        self.ex_g.rst.next = self.rst.val();
        self.x2_valid.rst.next = self.rst.val();
        self.x2_bias.rst.next = self.rst.val();
        self.x2_g.rst.next = self.rst.val();
        self.wb_valid_r.rst.next = self.rst.val();
        self.wb_bias_r.rst.next = self.rst.val();
        self.wb_g_r.rst.next = self.rst.val();
        self.wb_fwd_r.rst.next = self.rst.val();
        self.wr_valid.d.next = self.valid.val();
        self.wr_bias.d.next = self.bias.val();
        self.wr_k.d.next = self.k.val();
        self.wr_g.d.next = self.g.val();
        self.ex_valid.d.next = self.wr_valid.q.val();
        self.ex_bias.d.next = self.wr_bias.q.val();
        self.ex_k_r.d.next = self.wr_k.q.val();
        self.ex_g.d.next = self.wr_g.q.val();
        self.x2_valid.d.next = self.ex_valid.q.val();
        self.x2_bias.d.next = self.ex_bias.q.val();
        self.x2_g.d.next = self.ex_g.q.val();
        self.wb_valid_r.d.next = self.x2_valid.q.val();
        self.wb_bias_r.d.next = self.x2_bias.q.val();
        self.wb_g_r.d.next = self.x2_g.q.val();
        // This cycle's write-back is invisible to this cycle's read of the same row: forward.
        self.wb_fwd_r.d.next = self.wb_valid_r.q.val()
            & self.x2_valid.q.val()
            & (self.wb_g_r.q.val() == self.x2_g.q.val());
        self.ex_k.next = self.ex_k_r.q.val();
        self.v_raddr.next = self.x2_g.q.val();
        self.wb_valid.next = self.wb_valid_r.q.val();
        self.wb_bias.next = self.wb_bias_r.q.val();
        self.wb_g.next = self.wb_g_r.q.val();
        self.wb_fwd.next = self.wb_fwd_r.q.val();
        self.busy.next = self.wr_valid.q.val()
            | self.ex_valid.q.val()
            | self.x2_valid.q.val()
            | self.wb_valid_r.q.val();
    }
}
