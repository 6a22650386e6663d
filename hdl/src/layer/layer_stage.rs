//! `LayerStage<ZW>`: one event-driven, time-multiplexed layer stage (DESIGN §5): integrate the
//! input event stream into `z` on `P` lanes, then fire (spike events out) or stream `z` out;
//! the spike ticks are kept apart from the potentials so that the next sample integrates while
//! this one fires. The stage composes its sub-blocks, one file each:
//! [`WeightLoader`] and [`WeightMemory`] (weights), [`IntegrateIssue`] and
//! [`IntegratePipeline`] (integrate control), [`Lane`]s (datapath), [`FireSequencer`] (fire
//! control) and [`Serialiser`] (output).

use crate::layer::event_pairer::EventPairer;
use crate::layer::fire_sequencer::FireSequencer;
use crate::layer::integrate_issue::IntegrateIssue;
use crate::layer::integrate_pipeline::IntegratePipeline;
use crate::layer::lane::Lane;
use crate::layer::pair_merge::PairMerge;
use crate::layer::row_stream::RowOut;
use crate::layer::serialiser::Serialiser;
use crate::layer::weight_loader::WeightLoader;
use crate::layer::weight_memory::WeightMemory;
use crate::prelude::*;
use crate::prim::PackedRam;
use crate::stream::{EventIn, EventOut, EventTap, WordIn, ZOut};

pub use crate::layer::stage_params::{StageParams, STATE_ADDR_BITS};

/// One layer stage of the event-driven array (DESIGN §5), `ZW`-bit accumulators.
///
/// Micro-architecture: `P` [`Lane`]s, `G = ⌈N/P⌉` groups, neuron `i = g·P + p`. The stage's
/// [`WeightMemory`] holds row `g·(fan_in + 1) + j` = the lanes' weights from input `j` (so the
/// per-group address step is a constant add, no multiplier); two [`PackedRam`]s hold, per
/// group row, every lane's potential `V` (`z_bits` each) and spike-tick word (`K + 1` bits).
///
/// *Integrate*: passes of `G` cycles, one group per cycle on all lanes at once, pipelined
/// (issue the weight read, register the weight, two registered half products, their sum with
/// the `V` read, then add and write back) and back to back: the bias pass at sample start
/// (`V = b·T`, so `V` needs no clear) and one pass per event `V += w[j]·(T − m)` ([`Scale`]:
/// the ramp of DESIGN §5 summed in closed form), then `eow` ends the sample.
/// *Fire* (after integrate has consumed `eow` and the previous fire has finished): first a
/// conversion pass reads `z = V` row by row (`G` cycles) and writes each neuron's spike tick
/// (the [`Activation`] rule, bit-exact to DESIGN §2, saturating clamp at both ends) into the
/// tick memory; `V` is then free and the next sample integrates while this one fires. Then for
/// `m = 0..T-1`, `g = 0..G-1`: read the row's ticks, mark the lanes whose neuron fires at `m`
/// and serialise them lowest lane first onto `out_*`; one `eow` beat ends the sample. With
/// `fires = false` one sweep streams `z` in neuron order onto `z_*` instead (integrate waits
/// for it).
///
/// Cycles per sample: integrate `(events + 1)·G + 4` plus the conversion `G` (z output:
/// `N + 2G`), fire `G + 2·T·G + events_out + 2`; integrate and fire overlap.
///
/// With two input streams (`input_streams = 2`, the first stage of two encoder streams) a
/// [`PairMerge`] takes `ev_in` and `ev_in2` in tick order and hands the issue two events of one
/// tick per pass, where a [`EventPairer`] pairs one stream's events otherwise; `in_tap` and
/// `in_tap2` show the events it passes, for the trace ports.
///
/// Ports: `clock`, `rst` (in); `ev_in` ([`EventIn`]), `ev_in2` (two streams); `ev_out` ([`EventOut`], a firing stage)
/// and `z_out` ([`ZOut`], a stage that streams `z`); `wl` ([`WordIn`], the weight-load stream
/// of a loaded store: one 16-bit column word per beat, rows in order, columns in order within
/// a row, [`crate::layer::WeightLayout`]); `loaded` (out: the weights are in place, always for
/// a ROM).
#[derive(LogicBlock)]
pub struct LayerStage<const ZW: usize> {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// Input events (the previous layer's spikes, or the encoder's).
    pub ev_in: EventIn,
    /// The second input stream (two input streams only, else none).
    pub ev_in2: Vec<EventIn>,
    /// The input's first and second event as they enter (two input streams only, else none):
    /// one stream's trace cannot show two events per cycle.
    pub in_tap: Vec<EventTap>,
    pub in_tap2: Vec<EventTap>,
    /// Output spike events (firing stage).
    pub ev_out: EventOut,
    /// Output potentials (a stage that streams `z`).
    pub z_out: ZOut<ZW>,
    /// Weight-load stream (loaded stores only).
    pub wl: WordIn,
    /// The weights are in place.
    pub loaded: Output<Bit>,
    loader: WeightLoader,
    wmem: WeightMemory,
    vram: PackedRam<Signed<ZW>>,
    tkram: PackedRam<Bits16>,
    issue: IntegrateIssue,
    pipe: IntegratePipeline,
    lanes: Vec<Lane<ZW>>,
    fire: FireSequencer,
    ser: Serialiser<ZW>,
    /// Two events per pass: the pairer in front of the issue (empty otherwise).
    pairer: Vec<EventPairer>,
    /// Two input streams: their merge in front of the issue (empty otherwise).
    pair_merge: Vec<PairMerge>,
    _pairer: usize,
    _pm: usize,
    _p: usize,
    _single: usize,
    _dual_p: usize,
}

impl<const ZW: usize> LayerStage<ZW> {
    /// A stage for `params` (validated here: panics with a message on a bad parameter).
    pub fn new(params: &StageParams) -> Self {
        assert!(
            [16, 24, 32, 40].contains(&ZW),
            "layer stage: ZW = {ZW} not in {{16, 24, 32, 40}}"
        );
        params.validate(ZW);
        let (g, layout) = (params.groups(), params.layout());
        let tick_bits = params.time_steps.trailing_zeros() as usize + 1;
        let in_logic = params.state_in_logic;
        let dual = usize::from(params.events_per_cycle == 2);
        let pm = usize::from(params.input_streams == 2);
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            ev_in: EventIn::default(),
            ev_in2: (0..pm).map(|_| EventIn::default()).collect(),
            in_tap: (0..pm).map(|_| EventTap::default()).collect(),
            in_tap2: (0..pm).map(|_| EventTap::default()).collect(),
            ev_out: EventOut::default(),
            z_out: ZOut::default(),
            wl: WordIn::default(),
            loaded: Signal::default(),
            loader: WeightLoader::new(layout.rows, layout.columns(), params.store.loadable()),
            wmem: params.weight_memory(),
            vram: PackedRam::new(params.lanes, g, params.z_bits, true, in_logic),
            tkram: PackedRam::new(params.lanes, g, tick_bits, false, in_logic),
            issue: IntegrateIssue::new(params),
            pipe: IntegratePipeline::with_events(params.events_per_cycle),
            lanes: (0..params.lanes).map(|p| Lane::new(params, p)).collect(),
            fire: FireSequencer::new(params),
            ser: Serialiser::new(params.lanes, params.outputs, params.fires),
            pairer: (0..dual - pm).map(|_| EventPairer::default()).collect(),
            pair_merge: (0..pm).map(|_| PairMerge::new()).collect(),
            _pairer: dual - pm,
            _pm: pm,
            _p: params.lanes,
            _single: 1 - dual,
            _dual_p: dual * params.lanes,
        }
    }
}

impl<const ZW: usize> Logic for LayerStage<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, loader, wmem, vram, tkram, issue, pipe, fire, ser);
        self.loader.rst.next = self.rst.val();
        self.issue.rst.next = self.rst.val();
        self.pipe.rst.next = self.rst.val();
        self.fire.rst.next = self.rst.val();
        self.ser.rst.next = self.rst.val();
        for _i in 0..self._single {
            EventIn::link(&mut self.ev_in, &mut self.issue.ev_in);
        }
        for d in 0..self._pairer {
            self.pairer[d].clock.next = self.clock.val();
            self.pairer[d].rst.next = self.rst.val();
            EventIn::link(&mut self.ev_in, &mut self.pairer[d].ev_in);
            EventOut::join(&mut self.pairer[d].ev_out, &mut self.issue.ev_in);
            self.issue.two[d].next = self.pairer[d].two.val();
            self.issue.index2[d].next = self.pairer[d].index2.val();
            self.issue.m2[d].next = self.pairer[d].m2.val();
            self.pairer[d].take2.next = self.issue.take2[d].val();
            self.wmem.raddr2[d].next = self.issue.waddr2[d].val();
            self.pipe.k2[d].next = self.issue.pass_k2[d].val();
        }
        for d in 0..self._pm {
            self.pair_merge[d].clock.next = self.clock.val();
            self.pair_merge[d].rst.next = self.rst.val();
            EventIn::link(&mut self.ev_in, &mut self.pair_merge[d].a);
            EventIn::link(&mut self.ev_in2[d], &mut self.pair_merge[d].b);
            EventOut::join(&mut self.pair_merge[d].ev_out, &mut self.issue.ev_in);
            self.issue.two[d].next = self.pair_merge[d].two.val();
            self.issue.index2[d].next = self.pair_merge[d].index2.val();
            self.issue.m2[d].next = self.pair_merge[d].m2.val();
            self.pair_merge[d].take2.next = self.issue.take2[d].val();
            self.wmem.raddr2[d].next = self.issue.waddr2[d].val();
            self.pipe.k2[d].next = self.issue.pass_k2[d].val();
            self.in_tap[d].valid.next = self.pair_merge[d].tap.valid.val();
            self.in_tap[d].eow.next = self.pair_merge[d].tap.eow.val();
            self.in_tap[d].m.next = self.pair_merge[d].tap.m.val();
            self.in_tap[d].index.next = self.pair_merge[d].tap.index.val();
            self.in_tap2[d].valid.next = self.pair_merge[d].tap2.valid.val();
            self.in_tap2[d].eow.next = self.pair_merge[d].tap2.eow.val();
            self.in_tap2[d].m.next = self.pair_merge[d].tap2.m.val();
            self.in_tap2[d].index.next = self.pair_merge[d].tap2.index.val();
        }
        // (`_dual_p` is `P` with two events per pass, else 0: rust-hdl substitutes only the
        // innermost loop's variable into a nested index, so the second port's index is 0.)
        for p in 0..self._dual_p {
            self.lanes[p].w2_in[0].next = self.wmem.rdata2[p].val();
            self.lanes[p].ex_k2[0].next = self.pipe.ex_k2[0].val();
        }
        EventOut::link(&mut self.ev_out, &mut self.ser.ev_out);
        ZOut::<ZW>::link(&mut self.z_out, &mut self.ser.z_out);
        WordIn::link(&mut self.wl, &mut self.loader.wl);
        // Weights: the loader writes, the integrate pass reads.
        self.wmem.we.next = self.loader.we.val();
        self.wmem.waddr.next = self.loader.waddr.val();
        self.wmem.wcol.next = self.loader.wcol.val();
        self.wmem.wdata.next = self.loader.wdata.val();
        self.wmem.raddr.next = self.issue.waddr.val();
        self.loaded.next = self.loader.loaded.val();
        // Integrate control: issue → pipeline, each waiting on the fire phase.
        self.issue.loaded.next = self.loader.loaded.val();
        self.issue.v_busy.next = self.fire.v_busy.val();
        self.issue.fire_start.next = self.fire.fire_start.val();
        self.pipe.valid.next = self.issue.pass_valid.val();
        self.pipe.bias.next = self.issue.pass_bias.val();
        self.pipe.k.next = self.issue.pass_k.val();
        self.pipe.g.next = self.issue.pass_g.val();
        // Fire control, and the serialiser it feeds.
        self.fire.int_done.next = self.issue.int_done.val();
        self.fire.int_err.next = self.issue.int_err.val();
        self.fire.pipe_busy.next = self.pipe.busy.val();
        RowOut::join(&mut self.fire.row, &mut self.ser.row);
        // V's read port: the fire phase while it needs it (v_busy), else integrate.
        if self.fire.v_busy.val() {
            self.vram.raddr.next = self.fire.raddr.val();
        } else {
            self.vram.raddr.next = self.pipe.v_raddr.val();
        }
        self.vram.we.next = self.pipe.wb_valid.val();
        self.vram.waddr.next = self.pipe.wb_g.val();
        self.tkram.raddr.next = self.fire.raddr.val();
        self.tkram.we.next = self.fire.tk_we.val();
        self.tkram.waddr.next = self.fire.tk_waddr.val();
        for p in 0..self._p {
            self.lanes[p].clock.next = self.clock.val();
            self.lanes[p].rst.next = self.rst.val();
            self.lanes[p].w_in.next = self.wmem.rdata[p].val();
            self.lanes[p].v_in.next = self.vram.rdata[p].val();
            self.vram.wdata[p].next = self.lanes[p].v_out.val();
            self.lanes[p].tk_in.next = self.tkram.rdata[p].val();
            self.tkram.wdata[p].next = self.lanes[p].tk_out.val();
            self.lanes[p].ex_k.next = self.pipe.ex_k.val();
            self.lanes[p].wb_first.next = self.pipe.wb_bias.val();
            self.lanes[p].fwd_v.next = self.pipe.wb_fwd.val();
            self.lanes[p].m.next = self.fire.row.m.val();
            self.lanes[p].rd_base.next = self.fire.row.base.val();
            self.ser.pend_d[p].next = self.lanes[p].pend_d.val();
            self.ser.idx[p].next = self.lanes[p].idx.val();
            self.ser.z[p].next = self.lanes[p].z.val();
        }
    }
}
