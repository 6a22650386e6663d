//! `IntegratePipeline`: the control that travels beside an integrate pass through the lanes.

use crate::prelude::*;

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
#[derive(LogicBlock)]
pub struct IntegratePipeline {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// The pass in its issue cycle.
    pub valid: Input<Bit>,
    pub bias: Input<Bit>,
    pub k: Input<Bits<9>>,
    pub g: Input<Bits16>,
    /// Ramp ticks of the pass in the product stage.
    pub ex_k: Output<Bits<9>>,
    /// Two events per pass (empty otherwise): the second ramp length at issue, and in the
    /// product stage.
    pub k2: Vec<Input<Bits<9>>>,
    pub ex_k2: Vec<Output<Bits<9>>>,
    /// `k2` in the weight-register and half-product stages (`2·dual` registers).
    k2_r: Vec<RDff<Bits<9>>>,
    _dual: usize,
    /// Row whose `V` is read (for the write-back a cycle later).
    pub v_raddr: Output<Bits16>,
    /// The write-back stage: write row `wb_g`; `wb_bias`: `V = product`; `wb_fwd`: take `V`
    /// from the previous write, not the memory.
    pub wb_valid: Output<Bit>,
    pub wb_bias: Output<Bit>,
    pub wb_g: Output<Bits16>,
    pub wb_fwd: Output<Bit>,
    /// Some pass is between its weight register and its write-back.
    pub busy: Output<Bit>,
    /// The pass in each register stage — 0: weight register, 1: half products, 2: product
    /// (its row's `V` read), 3: write-back — one field per vector; `k` is needed up to the
    /// half products only.
    valid_r: Vec<RDff<Bit>>,
    bias_r: Vec<RDff<Bit>>,
    k_r: Vec<RDff<Bits<9>>>,
    g_r: Vec<RDff<Bits16>>,
    wb_fwd_r: RDff<Bit>,
    _stages: usize,
    _k_stages: usize,
}

/// Register stages between issue and write-back.
const STAGES: usize = 4;
/// Stages that carry `k` (the half products take it from stage 1).
const K_STAGES: usize = 2;

impl Default for IntegratePipeline {
    fn default() -> Self {
        Self::with_events(1)
    }
}

impl IntegratePipeline {
    /// The pipeline of a stage that integrates `events_per_cycle` (1 or 2) events per pass.
    pub fn with_events(events_per_cycle: usize) -> Self {
        let dual = usize::from(events_per_cycle == 2);
        Self {
            k2: (0..dual).map(|_| Signal::default()).collect(),
            ex_k2: (0..dual).map(|_| Signal::default()).collect(),
            k2_r: (0..K_STAGES * dual).map(|_| RDff::default()).collect(),
            _dual: dual,
            clock: Signal::default(),
            rst: Signal::default(),
            valid: Signal::default(),
            bias: Signal::default(),
            k: Signal::default(),
            g: Signal::default(),
            ex_k: Signal::default(),
            v_raddr: Signal::default(),
            wb_valid: Signal::default(),
            wb_bias: Signal::default(),
            wb_g: Signal::default(),
            wb_fwd: Signal::default(),
            busy: Signal::default(),
            valid_r: (0..STAGES).map(|_| RDff::default()).collect(),
            bias_r: (0..STAGES).map(|_| RDff::default()).collect(),
            k_r: (0..K_STAGES).map(|_| RDff::default()).collect(),
            g_r: (0..STAGES).map(|_| RDff::default()).collect(),
            wb_fwd_r: RDff::default(),
            _stages: STAGES,
            _k_stages: K_STAGES,
        }
    }
}

impl Logic for IntegratePipeline {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wb_fwd_r);
        self.wb_fwd_r.rst.next = self.rst.val();
        self.busy.next = false;
        for i in 0..self._stages {
            self.valid_r[i].clock.next = self.clock.val();
            self.bias_r[i].clock.next = self.clock.val();
            self.g_r[i].clock.next = self.clock.val();
            self.valid_r[i].rst.next = self.rst.val();
            self.bias_r[i].rst.next = self.rst.val();
            self.g_r[i].rst.next = self.rst.val();
            self.busy.next = self.busy.val() | self.valid_r[i].q.val();
        }
        self.valid_r[0].d.next = self.valid.val();
        self.bias_r[0].d.next = self.bias.val();
        self.k_r[0].d.next = self.k.val();
        self.g_r[0].d.next = self.g.val();
        for i in 1..self._stages {
            self.valid_r[i].d.next = self.valid_r[i - 1].q.val();
            self.bias_r[i].d.next = self.bias_r[i - 1].q.val();
            self.g_r[i].d.next = self.g_r[i - 1].q.val();
        }
        for i in 0..self._k_stages {
            self.k_r[i].clock.next = self.clock.val();
            self.k_r[i].rst.next = self.rst.val();
        }
        self.k_r[1].d.next = self.k_r[0].q.val();
        for d in 0..self._dual {
            for i in 0..self._k_stages {
                self.k2_r[i].clock.next = self.clock.val();
                self.k2_r[i].rst.next = self.rst.val();
            }
            self.k2_r[0].d.next = self.k2[d].val();
            self.k2_r[1].d.next = self.k2_r[0].q.val();
            self.ex_k2[d].next = self.k2_r[1].q.val();
        }
        // This cycle's write-back is invisible to this cycle's read of the same row: forward.
        self.wb_fwd_r.d.next = self.valid_r[3].q.val()
            & self.valid_r[2].q.val()
            & (self.g_r[3].q.val() == self.g_r[2].q.val());
        self.ex_k.next = self.k_r[1].q.val();
        self.v_raddr.next = self.g_r[2].q.val();
        self.wb_valid.next = self.valid_r[3].q.val();
        self.wb_bias.next = self.bias_r[3].q.val();
        self.wb_g.next = self.g_r[3].q.val();
        self.wb_fwd.next = self.wb_fwd_r.q.val();
    }
}
