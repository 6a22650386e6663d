//! `Lane<ZW>`: one lane of a layer stage — the integrate datapath and the fire / z-output
//! slot of one neuron per group.

use crate::layer::stage_params::StageParams;
use crate::layer::{Activation, Scale};
use crate::prelude::*;

/// One lane: the integrate datapath (`V = w·T` for the bias, `V += w·(T − m)` per event, in
/// four register stages — weight, two half products, their sum, then add and write back, with
/// forwarding of the previous cycle's write when it hits the row being read) and the
/// fire/z-output slot (`pend_d`: this lane's neuron of the row read is pending). Its potential
/// and spike-tick words live in the stage's packed memories (`v_*`, `tk_*`).
///
/// Latency: 4 cycles from `w_in` to `v_out`. Cost: ~`2·z_bits + 17 + W·(K+1)` LUT4 on iCE40
/// (`z_bits + W + K + 1` fewer on ECP5, whose carry cells make their sum bits) and
/// ~`3·z_bits + 3·W + K + 16` flip-flops (the plan's cost model, calibrated by place-and-route).
#[derive(LogicBlock)]
pub struct Lane<const ZW: usize> {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// This lane's weight of the row read last cycle (from the stage's [`WeightMemory`]);
    /// registered here, so the product stage sees it one cycle later.
    pub w_in: Input<Signed<16>>,
    /// This lane's `V` of the row read last cycle.
    pub v_in: Input<Signed<ZW>>,
    /// `V` to write (execute stage).
    pub v_out: Output<Signed<ZW>>,
    /// This lane's spike-tick word of the row read last cycle.
    pub tk_in: Input<Bits16>,
    /// Spike-tick word of the `V` on `v_in` (`2^K + tick` when it fires, else 0).
    pub tk_out: Output<Bits16>,
    /// Ramp ticks of the pass in the product stage (`T` for the bias, `T − m` for an event).
    pub ex_k: Input<Bits<9>>,
    /// The pass in the write-back stage is the bias pass (`V = w·T`, so `V` needs no clear).
    pub wb_first: Input<Bit>,
    /// Write-back: take `V` from the previous write instead of the memory (same row).
    pub fwd_v: Input<Bit>,
    /// Tick of the group whose fire word is on the read ports.
    pub m: Input<Bits8>,
    /// `g·P` of that group.
    pub rd_base: Input<Bits16>,
    /// This lane's neuron of the row on the read ports is pending: it fires at the row's
    /// tick, or in z output it is a real neuron. The serialiser holds the pending bits (a
    /// row's worth in one place, so its select and their clears are short paths).
    pub pend_d: Output<Bit>,
    pub idx: Output<Bits16>,
    pub z: Output<Signed<ZW>>,
    /// Two events per pass (empty otherwise): the lane's weight of the second row read last
    /// cycle, and that event's ramp ticks in the product stage (0 when the pass has one).
    pub w2_in: Vec<Input<Signed<16>>>,
    pub ex_k2: Vec<Input<Bits<9>>>,
    scale2_lo: Vec<Scale<ZW>>,
    scale2_hi: Vec<Scale<ZW>>,
    w2_r: Vec<RDff<Signed<16>>>,
    lo2_r: Vec<RDff<Signed<ZW>>>,
    hi2_r: Vec<RDff<Signed<ZW>>>,
    _dual: usize,
    scale_lo: Scale<ZW>,
    scale_hi: Scale<ZW>,
    act: Activation<ZW, 8, 9>,
    tick_ext: ZeroExtend<8, 16>,
    m_ext: ZeroExtend<8, 16>,
    v_fwd: RDff<Signed<ZW>>,
    w_r: RDff<Signed<16>>,
    lo_r: RDff<Signed<ZW>>,
    hi_r: RDff<Signed<ZW>>,
    prod_r: RDff<Signed<ZW>>,
    v_old: Wire<Signed<ZW>>,
    v_new: Wire<Signed<ZW>>,
    fires_now: Wire<Bit>,
    hit: Wire<Bit>,
    neuron: Wire<Bits16>,
    idx_c: Constant<Bits16>,
    n_c: Constant<Bits16>,
    zmode_c: Constant<Bit>,
    tvalid_c: Constant<Bits16>,
    tk_mask_c: Constant<Bits16>,
    zero16: Constant<Bits16>,
}

impl<const ZW: usize> Lane<ZW> {
    /// Lane `p` of the stage of `params`.
    pub fn new(params: &StageParams, p: usize) -> Self {
        Self::with_index(params, p)
    }

    /// A lane whose neuron index within a row is `index` (`idx`): lane `p`'s is `p` in a dense
    /// stage, its channel's offset `p·Hp·Wp` in a conv stage's sent map.
    pub fn with_index(params: &StageParams, index: usize) -> Self {
        let k = params.time_steps.trailing_zeros() as usize;
        let dual = usize::from(params.events_per_cycle == 2);
        let wb = params.weight_bits;
        Self {
            w2_in: (0..dual).map(|_| Signal::default()).collect(),
            ex_k2: (0..dual).map(|_| Signal::default()).collect(),
            scale2_lo: (0..dual)
                .map(|_| Scale::part(wb, k + 1, 0, (k + 2) / 2))
                .collect(),
            scale2_hi: (0..dual)
                .map(|_| Scale::part(wb, k + 1, (k + 2) / 2, k + 1))
                .collect(),
            w2_r: (0..dual).map(|_| RDff::default()).collect(),
            lo2_r: (0..dual).map(|_| RDff::default()).collect(),
            hi2_r: (0..dual).map(|_| RDff::default()).collect(),
            _dual: dual,
            clock: Signal::default(),
            rst: Signal::default(),
            w_in: Signal::default(),
            v_in: Signal::default(),
            v_out: Signal::default(),
            tk_in: Signal::default(),
            tk_out: Signal::default(),
            ex_k: Signal::default(),
            wb_first: Signal::default(),
            fwd_v: Signal::default(),
            m: Signal::default(),
            rd_base: Signal::default(),
            pend_d: Signal::default(),
            idx: Signal::default(),
            z: Signal::default(),
            scale_lo: Scale::part(params.weight_bits, k + 1, 0, (k + 2) / 2),
            scale_hi: Scale::part(params.weight_bits, k + 1, (k + 2) / 2, k + 1),
            act: Activation::with_ticks(params.frac_bits, params.time_steps),
            tick_ext: ZeroExtend::new(),
            m_ext: ZeroExtend::new(),
            v_fwd: RDff::default(),
            w_r: RDff::default(),
            lo_r: RDff::default(),
            hi_r: RDff::default(),
            prod_r: RDff::default(),
            v_old: Signal::default(),
            v_new: Signal::default(),
            fires_now: Signal::default(),
            hit: Signal::default(),
            neuron: Signal::default(),
            idx_c: Constant::new(bits(index as u64)),
            n_c: Constant::new(bits(params.outputs as u64)),
            zmode_c: Constant::new(!params.fires),
            tvalid_c: Constant::new(bits(params.time_steps as u64)),
            tk_mask_c: Constant::new(bits(2 * params.time_steps as u64 - 1)),
            zero16: Constant::new(bits(0)),
        }
    }
}

impl<const ZW: usize> Logic for Lane<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, v_fwd, w_r, lo_r, hi_r, prod_r);
        self.v_fwd.rst.next = self.rst.val();
        self.w_r.rst.next = self.rst.val();
        self.lo_r.rst.next = self.rst.val();
        self.hi_r.rst.next = self.rst.val();
        self.prod_r.rst.next = self.rst.val();
        // Weight stage: the block RAM's output is registered next to it, so the long route
        // from the memory to the lane starts at a flip-flop (the DP16KD's clock-to-out is
        // 5.6 ns without its output register).
        self.w_r.d.next = self.w_in.val();
        // Product stages: the registered weight times the low and the high bits of the pass's
        // ramp ticks, registered, then their sum, registered (the shift-add, the sum and the
        // add → memory paths get a cycle each).
        self.scale_lo.w.next = self.w_r.q.val();
        self.scale_lo.k.next = self.ex_k.val();
        self.scale_hi.w.next = self.w_r.q.val();
        self.scale_hi.k.next = self.ex_k.val();
        self.lo_r.d.next = self.scale_lo.y.val();
        self.hi_r.d.next = self.scale_hi.y.val();
        self.prod_r.d.next = self.lo_r.q.val() + self.hi_r.q.val();
        for d in 0..self._dual {
            // The second event: the same stages; both products are summed into one.
            self.w2_r[d].clock.next = self.clock.val();
            self.lo2_r[d].clock.next = self.clock.val();
            self.hi2_r[d].clock.next = self.clock.val();
            self.w2_r[d].rst.next = self.rst.val();
            self.lo2_r[d].rst.next = self.rst.val();
            self.hi2_r[d].rst.next = self.rst.val();
            self.w2_r[d].d.next = self.w2_in[d].val();
            self.scale2_lo[d].w.next = self.w2_r[d].q.val();
            self.scale2_lo[d].k.next = self.ex_k2[d].val();
            self.scale2_hi[d].w.next = self.w2_r[d].q.val();
            self.scale2_hi[d].k.next = self.ex_k2[d].val();
            self.lo2_r[d].d.next = self.scale2_lo[d].y.val();
            self.hi2_r[d].d.next = self.scale2_hi[d].y.val();
            self.prod_r.d.next = (self.lo_r.q.val() + self.hi_r.q.val())
                + (self.lo2_r[d].q.val() + self.hi2_r[d].q.val());
        }
        // Write-back stage: `V` read last cycle is on `v_in`, or forwarded when that cycle's
        // write went to the same row (the memory's read of a row being written is not used).
        if self.fwd_v.val() {
            self.v_old.next = self.v_fwd.q.val();
        } else {
            self.v_old.next = self.v_in.val();
        }
        if self.wb_first.val() {
            self.v_new.next = self.prod_r.q.val();
        } else {
            self.v_new.next = self.v_old.val() + self.prod_r.q.val();
        }
        self.v_out.next = self.v_new.val();
        self.v_fwd.d.next = self.v_new.val();
        // Fire: the conversion pass decides each neuron's spike tick from `z = V` (the
        // Activation rule, bit-exact to DESIGN §2) into the tick memory; the sweeps read it.
        self.act.z.next = self.v_in.val();
        self.fires_now.next = self.act.fires.val() & self.act.q.val().any();
        self.tick_ext.x.next = self.act.tick.val();
        self.m_ext.x.next = self.m.val();
        if self.fires_now.val() {
            self.tk_out.next = self.tick_ext.y.val() + self.tvalid_c.val();
        } else {
            self.tk_out.next = self.zero16.val();
        }
        // A tick word is 0 or `T + tick` (`tick < T`): only its low `log2(T) + 1` bits can
        // differ, so the compare (one per lane) looks at those alone.
        self.hit.next =
            (self.tk_in.val() & self.tk_mask_c.val()) == (self.m_ext.y.val() + self.tvalid_c.val());
        self.neuron.next = self.rd_base.val() + self.idx_c.val();
        if self.zmode_c.val() {
            self.pend_d.next = self.neuron.val() < self.n_c.val();
        } else {
            self.pend_d.next = self.hit.val();
        }
        self.idx.next = self.idx_c.val();
        self.z.next = self.v_in.val();
    }
}
