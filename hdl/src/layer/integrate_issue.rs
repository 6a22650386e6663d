//! `IntegrateIssue`: a layer stage's integrate passes, issued one group per cycle.

use crate::layer::stage_params::StageParams;
use crate::layer::weight_memory::{WeightAddr, WEIGHT_ADDR_BITS};
use crate::prelude::*;
use crate::stream::EventIn;

/// Where a layer stage's sample is in its integration.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum SampleState {
    /// The sample's bias pass is next (`V = b·T` opens every sample).
    Bias,
    /// Taking the sample's events, one pass each, until its eow beat.
    Events,
    /// The eow is in: the fire phase takes the sample (`fire_start`), then `Bias` again.
    Done,
}

/// Turns the input event stream into integrate passes of `G` cycles, one group per cycle on
/// all lanes: at a sample's start the bias pass (`k = T`, row `fan_in` of each group), then
/// one pass per event `(j, m)` (`k = T − m`, row `j`), back to back; the eow beat ends the
/// sample (`int_done`, with its framing error in `int_err`) until the fire phase takes it
/// (`fire_start`). A pass waits while the weights are loading or the fire phase holds `V`'s
/// read port (`v_busy`).
///
/// Ports: `clock`, `rst` (in); `ev_in` ([`EventIn`]); `loaded`, `v_busy`, `fire_start` (in);
/// `int_done`, `int_err` (out); the pass in its issue cycle: `pass_valid`, `pass_bias`,
/// `pass_k` (`Bits<9>`), `pass_g` (group), and `waddr` (the weight row it reads).
///
/// Latency: an event is taken in the cycle its pass starts; a pass issues a group per cycle.
/// Cost: a 2-bit state ([`SampleState`]), ~`2·16 + WEIGHT_ADDR_BITS + 13` flip-flops, a
/// 16-bit incrementer and a row adder.
#[derive(LogicBlock)]
pub struct IntegrateIssue {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// Input events of the sample (the previous layer's spikes).
    pub ev_in: EventIn,
    /// The weights are in place.
    pub loaded: Input<Bit>,
    /// The fire phase holds `V`'s read port: no pass starts.
    pub v_busy: Input<Bit>,
    /// The fire phase takes the integrated sample: the next one may start.
    pub fire_start: Input<Bit>,
    /// The sample's eow has been taken; its integration is ending.
    pub int_done: Output<Bit>,
    /// The sample's framing error (from its eow beat).
    pub int_err: Output<Bit>,
    /// The pass in its issue cycle: group `pass_g`, bias pass or not, ramp ticks `pass_k`.
    pub pass_valid: Output<Bit>,
    pub pass_bias: Output<Bit>,
    pub pass_k: Output<Bits<9>>,
    pub pass_g: Output<Bits16>,
    /// The weight row the pass reads this cycle.
    pub waddr: Output<WeightAddr>,
    /// Two events per pass (`events_per_cycle = 2`; these are empty otherwise): the second
    /// event offered with the first ([`crate::layer::EventPairer`]: `two`, `index2`, `m2`),
    /// taken with it (`take2`); the pass's second ramp length (`T − m2`, or 0 when the pass
    /// has one event, or is the bias's) and the second weight row it reads.
    pub two: Vec<Input<Bit>>,
    pub index2: Vec<Input<Bits16>>,
    pub m2: Vec<Input<Bits8>>,
    pub take2: Vec<Output<Bit>>,
    pub pass_k2: Vec<Output<Bits<9>>>,
    pub waddr2: Vec<Output<WeightAddr>>,
    m2_ext: Vec<ZeroExtend<8, 9>>,
    j2_ext: Vec<ZeroExtend<16, WEIGHT_ADDR_BITS>>,
    k2: Vec<RDff<Bits<9>>>,
    wa2: Vec<RDff<WeightAddr>>,
    zero9: Vec<Constant<Bits<9>>>,
    _dual: usize,
    m_ext: ZeroExtend<8, 9>,
    j_ext: ZeroExtend<16, WEIGHT_ADDR_BITS>,
    state: RDff<SampleState>,
    err: RDff<Bit>,
    /// A pass is issuing (its groups `g = 0..G`).
    act: RDff<Bit>,
    bias: RDff<Bit>,
    k: RDff<Bits<9>>,
    g: RDff<Bits16>,
    /// `g == G − 1`, in a register so that `ev_in.ready` starts at flip-flops.
    last_g: RDff<Bit>,
    wa: RDff<WeightAddr>,
    accept_event: Wire<Bit>,
    accept_eow: Wire<Bit>,
    gmax_m1_c: Constant<Bits16>,
    g1_c: Constant<Bit>,
    stride_c: Constant<WeightAddr>,
    fanin_c: Constant<WeightAddr>,
    t_c: Constant<Bits<9>>,
    one16: Constant<Bits16>,
    zero16: Constant<Bits16>,
}

impl IntegrateIssue {
    /// The pass issue of the stage of `params`.
    pub fn new(params: &StageParams) -> Self {
        let g = params.groups();
        let dual = usize::from(params.events_per_cycle == 2);
        Self {
            two: (0..dual).map(|_| Signal::default()).collect(),
            index2: (0..dual).map(|_| Signal::default()).collect(),
            m2: (0..dual).map(|_| Signal::default()).collect(),
            take2: (0..dual).map(|_| Signal::default()).collect(),
            pass_k2: (0..dual).map(|_| Signal::default()).collect(),
            waddr2: (0..dual).map(|_| Signal::default()).collect(),
            m2_ext: (0..dual).map(|_| ZeroExtend::new()).collect(),
            j2_ext: (0..dual).map(|_| ZeroExtend::new()).collect(),
            k2: (0..dual).map(|_| RDff::default()).collect(),
            wa2: (0..dual).map(|_| RDff::default()).collect(),
            zero9: (0..dual).map(|_| Constant::new(bits(0))).collect(),
            _dual: dual,
            clock: Signal::default(),
            rst: Signal::default(),
            ev_in: EventIn::default(),
            loaded: Signal::default(),
            v_busy: Signal::default(),
            fire_start: Signal::default(),
            int_done: Signal::default(),
            int_err: Signal::default(),
            pass_valid: Signal::default(),
            pass_bias: Signal::default(),
            pass_k: Signal::default(),
            pass_g: Signal::default(),
            waddr: Signal::default(),
            m_ext: ZeroExtend::new(),
            j_ext: ZeroExtend::new(),
            state: RDff::new(SampleState::Bias),
            err: RDff::default(),
            act: RDff::default(),
            bias: RDff::default(),
            k: RDff::default(),
            g: RDff::default(),
            last_g: RDff::new(g == 1),
            wa: RDff::default(),
            accept_event: Signal::default(),
            accept_eow: Signal::default(),
            // `G − 2` (wraps for G = 1, where `g` never increments).
            gmax_m1_c: Constant::new(bits((g as u64).wrapping_sub(2) & 0xffff)),
            g1_c: Constant::new(g == 1),
            stride_c: Constant::new(bits(params.inputs as u64 + 1)),
            fanin_c: Constant::new(bits(params.inputs as u64)),
            t_c: Constant::new(bits(params.time_steps as u64)),
            one16: Constant::new(bits(1)),
            zero16: Constant::new(bits(0)),
        }
    }
}

impl Logic for IntegrateIssue {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, err, act, bias, k, g, last_g, wa);
        self.state.rst.next = self.rst.val();
        self.err.rst.next = self.rst.val();
        self.act.rst.next = self.rst.val();
        self.bias.rst.next = self.rst.val();
        self.k.rst.next = self.rst.val();
        self.g.rst.next = self.rst.val();
        self.last_g.rst.next = self.rst.val();
        self.wa.rst.next = self.rst.val();
        self.m_ext.x.next = self.ev_in.m.val();
        self.j_ext.x.next = self.ev_in.index.val();
        self.accept_event.next = false;
        self.accept_eow.next = false;
        for d in 0..self._dual {
            self.k2[d].clock.next = self.clock.val();
            self.k2[d].rst.next = self.rst.val();
            self.k2[d].d.next = self.k2[d].q.val();
            self.wa2[d].clock.next = self.clock.val();
            self.wa2[d].rst.next = self.rst.val();
            self.wa2[d].d.next = self.wa2[d].q.val();
            self.m2_ext[d].x.next = self.m2[d].val();
            self.j2_ext[d].x.next = self.index2[d].val();
            self.take2[d].next = false;
        }
        if self.act.q.val() & !self.last_g.q.val() {
            self.g.d.next = self.g.q.val() + self.one16.val();
            self.last_g.d.next = self.g.q.val() == self.gmax_m1_c.val();
            self.wa.d.next = self.wa.q.val() + self.stride_c.val();
            for d in 0..self._dual {
                self.wa2[d].d.next = self.wa2[d].q.val() + self.stride_c.val();
            }
        } else {
            self.act.d.next = false;
            self.g.d.next = self.zero16.val();
            self.last_g.d.next = self.g1_c.val();
            if (self.state.q.val() != SampleState::Done) & self.loaded.val() & !self.v_busy.val() {
                if self.state.q.val() == SampleState::Bias {
                    self.state.d.next = SampleState::Events;
                    self.act.d.next = true;
                    self.bias.d.next = true;
                    self.k.d.next = self.t_c.val();
                    self.wa.d.next = self.fanin_c.val();
                    for d in 0..self._dual {
                        self.k2[d].d.next = self.zero9[d].val();
                        self.wa2[d].d.next = self.fanin_c.val();
                    }
                } else if self.ev_in.valid.val() & !self.ev_in.eow.val() {
                    self.accept_event.next = true;
                    self.act.d.next = true;
                    self.bias.d.next = false;
                    self.k.d.next = self.t_c.val() - self.m_ext.y.val();
                    self.wa.d.next = self.j_ext.y.val();
                    for d in 0..self._dual {
                        // The second event's row and ramp, or a ramp of 0 (a row read for
                        // nothing) when the pass has one event.
                        self.take2[d].next = self.two[d].val();
                        self.k2[d].d.next = self.zero9[d].val();
                        self.wa2[d].d.next = self.j_ext.y.val();
                        if self.two[d].val() {
                            self.k2[d].d.next = self.t_c.val() - self.m2_ext[d].y.val();
                            self.wa2[d].d.next = self.j2_ext[d].y.val();
                        }
                    }
                } else if self.ev_in.valid.val() & self.ev_in.eow.val() {
                    self.accept_eow.next = true;
                    self.state.d.next = SampleState::Done;
                    self.err.d.next = self.ev_in.err.val();
                }
            }
        }
        // The fire phase only takes a sample whose eow is in (`Done`), so this never meets
        // the branches above in the same cycle.
        if self.fire_start.val() {
            self.state.d.next = SampleState::Bias;
        }
        self.ev_in.ready.next = self.accept_event.val() | self.accept_eow.val();
        self.int_done.next = self.state.q.val() == SampleState::Done;
        self.int_err.next = self.err.q.val();
        self.pass_valid.next = self.act.q.val();
        self.pass_bias.next = self.bias.q.val();
        self.pass_k.next = self.k.q.val();
        self.pass_g.next = self.g.q.val();
        self.waddr.next = self.wa.q.val();
        for d in 0..self._dual {
            self.pass_k2[d].next = self.k2[d].q.val();
            self.waddr2[d].next = self.wa2[d].q.val();
        }
    }
}
