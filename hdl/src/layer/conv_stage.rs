//! `ConvStage<ZW>`: one event-driven conv stage with its max-pool fused (DESIGN §2.1, §5).
//! It is [`crate::layer::LayerStage`] with a conv's integrate control ([`ConvIssue`]: the
//! kernel walk) and fire control ([`ConvFire`] and [`PoolMax`]: the pooled conversion); the
//! weight memory, the lanes, the integrate pipeline and the serialiser are the dense stage's.

use crate::layer::conv_fire::ConvFire;
use crate::layer::conv_issue::ConvIssue;
use crate::layer::event_queue::EventQueue;
use crate::layer::integrate_pipeline::IntegratePipeline;
use crate::layer::lane::Lane;
use crate::layer::pool_max::PoolMax;
use crate::layer::row_stream::RowOut;
use crate::layer::serialiser::Serialiser;
use crate::layer::stage_params::StageParams;
use crate::layer::weight_loader::WeightLoader;
use crate::layer::weight_memory::WeightMemory;
use crate::prelude::*;
use crate::prim::PackedRam;
use crate::stream::{EventIn, EventOut, WordIn, ZOut};

/// One conv stage (a `conv2d`, and the `maxpool2d` after it if any), `ZW`-bit accumulators.
///
/// Micro-architecture: `P` [`Lane`]s across output channels, `G = ⌈Co/P⌉` groups, channel
/// `o = g·P + p`. The [`WeightMemory`] holds row `g·(C·Kh·Kw + 1) + (c·Kh + i)·Kw + j` = the
/// lanes' kernel weights at `[c][i][j]` (the bias at `C·Kh·Kw`): the dense layout with the
/// kernel as the fan-in. The potential memory has a row per group and output position
/// (`g·Ho·Wo + oy·Wo + ox`, `P·z_bits` wide), the tick memory one per group and pooled
/// position (`g·Hp·Wp + py·Wp + px`).
///
/// *Integrate* ([`ConvIssue`]): the bias pass writes `V = b·T` into every row, then each input
/// event `(c, y, x)` at tick `m` adds `w[·][c][i][j]·(T − m)` into the rows of the output
/// positions its kernel positions reach, a group per cycle, through the dense stage's
/// pipeline and lanes. *Fire* ([`ConvFire`]): the conversion reads each pool window's `V` rows,
/// [`PoolMax`] keeps the earliest spike tick of each lane's window, and the window's word goes
/// to the tick memory (`V` is then free for the next sample); the tick sweeps send the pooled
/// map in tick order, channel-major indices `(g·P + p)·Hp·Wp + py·Wp + px`.
///
/// On ECP5 the potential memory's read is registered in the stage (two cycles from address to
/// the lanes), with the forwarding that needs (see the `fwd2` field). Elsewhere
/// (`v_read_registered` false) the lanes take the read data as a dense stage's do, and the
/// conversion's read address is registered instead (`fraddr`), so its rows reach the lanes in
/// the same cycle: the two wirings differ in no cycle count.
///
/// Cycles per sample: integrate `G·Ho·Wo + Σ_events Σ_aligned positions (G inside, else 1) + 4`
/// (+3 for an event the walk waited for; see [`ConvIssue`]) plus the conversion
/// `G·Hp·Wp·kh·kw`; fire the conversion `+ 2·T·G·Hp·Wp + events_out + 2`; integrate and fire
/// overlap. A conv stage feeding a conv stage sends through an [`EventQueue`], so the two run
/// at their own paces.
///
/// Ports: as [`crate::layer::LayerStage`]: `clock`, `rst`, `ev_in`, `ev_out`, `z_out` (unused:
/// a conv stage always fires), `wl`, `loaded`.

#[derive(LogicBlock)]
pub struct ConvStage<const ZW: usize> {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// Input events (the previous layer's spikes, or the encoder's).
    pub ev_in: EventIn,
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
    issue: ConvIssue,
    pipe: IntegratePipeline,
    lanes: Vec<Lane<ZW>>,
    fire: ConvFire,
    pool: PoolMax,
    /// The potential memory's read data is registered (a DP16KD's clock-to-out is 5.8 ns):
    /// integrate reads its row a cycle earlier, when the pass is two cycles past its issue
    /// (`row_d1`), and a write two cycles before the write-back of the same row is forwarded
    /// (`fwd2`: the row written last cycle, `h1_*`, equals the row read now; `w2`: the value
    /// written two cycles ago). The lanes forward the write of the cycle before themselves.
    row_d0: RDff<Bits16>,
    row_d1: RDff<Bits16>,
    h1_row: RDff<Bits16>,
    h1_valid: RDff<Bit>,
    fwd2: RDff<Bit>,
    v_reg: Vec<RDff<Signed<ZW>>>,
    w1: Vec<RDff<Signed<ZW>>>,
    w2: Vec<RDff<Signed<ZW>>>,
    /// Unregistered read (one or none): the conversion's `V` row of last cycle.
    fraddr: Vec<RDff<Bits16>>,
    ser: Serialiser<ZW>,
    /// The event queue on the output (one, when a conv stage follows; else none and the
    /// serialiser drives `ev_out`), and the 0/1 switches of the two wirings.
    queue: Vec<EventQueue>,
    _queued: usize,
    _direct: usize,
    _p: usize,
    /// The 0/1 switches of the registered and the direct `V` read.
    _vreg: usize,
    _vdirect: usize,
}

impl<const ZW: usize> ConvStage<ZW> {
    /// A stage for `params` (validated here: panics with a message on a bad parameter).
    pub fn new(params: &StageParams) -> Self {
        assert!(
            [16, 24, 32, 40].contains(&ZW),
            "conv stage: ZW = {ZW} not in {{16, 24, 32, 40}}"
        );
        assert!(params.conv.is_some(), "conv stage: no conv geometry");
        params.validate(ZW);
        let pooled = params.conv.as_ref().map_or(1, |g| g.pooled_positions());
        let layout = params.layout();
        let tick_bits = params.time_steps.trailing_zeros() as usize + 1;
        let in_logic = params.state_in_logic;
        let preg = if params.v_read_registered {
            params.lanes
        } else {
            0
        };
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            ev_in: EventIn::default(),
            ev_out: EventOut::default(),
            z_out: ZOut::default(),
            wl: WordIn::default(),
            loaded: Signal::default(),
            loader: WeightLoader::new(layout.rows, layout.columns(), params.store.loadable()),
            wmem: params.weight_memory(),
            vram: PackedRam::new(params.lanes, params.v_rows(), params.z_bits, true, in_logic),
            tkram: PackedRam::new(params.lanes, params.tick_rows(), tick_bits, false, in_logic),
            issue: ConvIssue::new(params),
            pipe: IntegratePipeline::default(),
            // Lane `p`'s index in a row is its channel's offset in the sent map, `p·Hp·Wp`.
            lanes: (0..params.lanes)
                .map(|p| Lane::with_index(params, p * pooled))
                .collect(),
            fire: ConvFire::new(params),
            // A 1×1 pool needs no compare (`lean_control`).
            pool: if params
                .conv
                .as_ref()
                .is_some_and(|g| g.pool_kernel == [1, 1])
                && params.lean_control
            {
                PoolMax::pass_through(params.lanes)
            } else {
                PoolMax::new(params.lanes)
            },
            row_d0: RDff::default(),
            row_d1: RDff::default(),
            h1_row: RDff::default(),
            h1_valid: RDff::default(),
            fwd2: RDff::default(),
            v_reg: (0..preg).map(|_| RDff::default()).collect(),
            w1: (0..preg).map(|_| RDff::default()).collect(),
            w2: (0..preg).map(|_| RDff::default()).collect(),
            fraddr: (0..usize::from(!params.v_read_registered))
                .map(|_| RDff::default())
                .collect(),
            ser: Serialiser::new(params.lanes, params.sent_neurons(), params.fires),
            queue: (params.event_queue > 0)
                .then(|| EventQueue::new(params.event_queue))
                .into_iter()
                .collect(),
            _queued: usize::from(params.event_queue > 0),
            _direct: usize::from(params.event_queue == 0),
            _p: params.lanes,
            _vreg: usize::from(params.v_read_registered),
            _vdirect: usize::from(!params.v_read_registered),
        }
    }
}

impl<const ZW: usize> Logic for ConvStage<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, loader, wmem, vram, tkram, issue, pipe, fire, pool, ser);
        dff_setup!(self, clock, row_d0, row_d1, h1_row, h1_valid, fwd2);
        self.row_d0.rst.next = self.rst.val();
        self.row_d1.rst.next = self.rst.val();
        self.h1_row.rst.next = self.rst.val();
        self.h1_valid.rst.next = self.rst.val();
        self.fwd2.rst.next = self.rst.val();
        self.row_d0.d.next = self.issue.pass_g.val();
        self.row_d1.d.next = self.row_d0.q.val();
        self.h1_row.d.next = self.pipe.wb_g.val();
        self.h1_valid.d.next = self.pipe.wb_valid.val();
        self.fwd2.d.next = self.h1_valid.q.val() & (self.pipe.v_raddr.val() == self.h1_row.q.val());
        self.loader.rst.next = self.rst.val();
        self.issue.rst.next = self.rst.val();
        self.pipe.rst.next = self.rst.val();
        self.fire.rst.next = self.rst.val();
        self.ser.rst.next = self.rst.val();
        self.pool.rst.next = self.rst.val();
        EventIn::link(&mut self.ev_in, &mut self.issue.ev_in);
        for q in 0..self._queued {
            self.queue[q].clock.next = self.clock.val();
            self.queue[q].rst.next = self.rst.val();
            EventOut::join(&mut self.ser.ev_out, &mut self.queue[q].ev_in);
            EventOut::link(&mut self.ev_out, &mut self.queue[q].ev_out);
        }
        for _d in 0..self._direct {
            EventOut::link(&mut self.ev_out, &mut self.ser.ev_out);
        }
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
        // V's read port: the conversion while it needs it (v_busy), else integrate.
        if self.fire.v_busy.val() {
            self.vram.raddr.next = self.fire.v_raddr.val();
        } else {
            self.vram.raddr.next = self.row_d1.q.val();
        }
        for _d in 0..self._vdirect {
            self.fraddr[0].clock.next = self.clock.val();
            self.fraddr[0].rst.next = self.rst.val();
            self.fraddr[0].d.next = self.fire.v_raddr.val();
            if self.fire.v_busy.val() {
                self.vram.raddr.next = self.fraddr[0].q.val();
            } else {
                self.vram.raddr.next = self.pipe.v_raddr.val();
            }
        }
        self.vram.we.next = self.pipe.wb_valid.val();
        self.vram.waddr.next = self.pipe.wb_g.val();
        self.tkram.raddr.next = self.fire.tk_raddr.val();
        self.pool.step.next = self.fire.pool_step.val();
        self.pool.first.next = self.fire.pool_first.val();
        self.tkram.we.next = self.fire.tk_we.val();
        self.tkram.waddr.next = self.fire.tk_waddr.val();
        for p in 0..self._p {
            self.lanes[p].clock.next = self.clock.val();
            self.lanes[p].rst.next = self.rst.val();
            self.lanes[p].w_in.next = self.wmem.rdata[p].val();
            for _r in 0..self._vreg {
                self.v_reg[p].clock.next = self.clock.val();
                self.v_reg[p].rst.next = self.rst.val();
                self.v_reg[p].d.next = self.vram.rdata[p].val();
                self.w1[p].clock.next = self.clock.val();
                self.w1[p].rst.next = self.rst.val();
                self.w1[p].d.next = self.lanes[p].v_out.val();
                self.w2[p].clock.next = self.clock.val();
                self.w2[p].rst.next = self.rst.val();
                self.w2[p].d.next = self.w1[p].q.val();
                if self.fwd2.q.val() {
                    self.lanes[p].v_in.next = self.w2[p].q.val();
                } else {
                    self.lanes[p].v_in.next = self.v_reg[p].q.val();
                }
            }
            for _d in 0..self._vdirect {
                self.lanes[p].v_in.next = self.vram.rdata[p].val();
            }
            self.vram.wdata[p].next = self.lanes[p].v_out.val();
            self.lanes[p].tk_in.next = self.tkram.rdata[p].val();
            self.pool.tk_in[p].next = self.lanes[p].tk_out.val();
            self.tkram.wdata[p].next = self.pool.tk_out[p].val();
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
