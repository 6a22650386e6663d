//! `ConvFire`: a conv stage's fire phase — the pooled conversion, then the tick sweeps.

use crate::layer::fire_sequencer::FireState;
use crate::layer::row_stream::RowOut;
use crate::layer::stage_params::StageParams;
use crate::prelude::*;
use crate::prim::ZeroExtend;

/// Sequences a conv stage's fire phase (DESIGN §5, max-pool fused). It starts when the
/// integrated sample's last write-back is done (`int_done`, pipeline idle) and it is idle.
/// *Conversion*: for each group `g`, pooled row `py`, column `px`, it reads the `V` rows of the
/// pool window `(py·sh + dy, px·sw + dx)` back to back, one per cycle; the lanes turn each into
/// a spike-tick word, [`crate::layer::PoolMax`] keeps the window's earliest (`first` opens a
/// window), and the window's last row writes it to tick row `g·Hp·Wp + py·Wp + px`. Rows of
/// `V` no window covers (a floor-sized pool) are never read. `V` is then free for the next
/// sample. *Sweeps*: for `m = 0..T-1` and every tick row, it reads the row into the
/// serialiser's read register (`row`, base `g·P·Hp·Wp + py·Wp + px`: lane `p` adds `p·Hp·Wp`,
/// so the sent index is channel-major), two cycles per row.
///
/// Ports: `clock`, `rst` (in); `int_done`, `int_err`, `pipe_busy` (in); `fire_start`,
/// `v_busy` (out); `v_raddr` (out: the `V` row converted this cycle); `pool_step`,
/// `pool_first` (out, to the pool: a converted row's words, registered by the pool, are in it
/// this cycle, three cycles after its read, and whether it opens a window);
/// `tk_raddr`, `tk_we`, `tk_waddr` (out: the tick memory); `row` ([`RowOut`]).
///
/// Latency: conversion `G·Hp·Wp·kh·kw` cycles (+3 before the last word is written), each sweep
/// row two. Cost: a 2-bit state,
/// ~`11·16 + 3·8` flip-flops, six 16-bit adders.
#[derive(LogicBlock)]
pub struct ConvFire {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// The integrated sample's eow is in and its framing error.
    pub int_done: Input<Bit>,
    pub int_err: Input<Bit>,
    /// An integrate pass is still writing back.
    pub pipe_busy: Input<Bit>,
    /// The integrated sample moves to the fire phase this cycle.
    pub fire_start: Output<Bit>,
    /// `V`'s read port belongs to the fire phase.
    pub v_busy: Output<Bit>,
    /// The `V` row the conversion reads this cycle.
    pub v_raddr: Output<Bits16>,
    /// The pool: a converted row is on the lanes' tick words, and it opens a window.
    pub pool_step: Output<Bit>,
    pub pool_first: Output<Bit>,
    /// The tick memory: read row, and the write of a window's pooled word.
    pub tk_raddr: Output<Bits16>,
    pub tk_we: Output<Bit>,
    pub tk_waddr: Output<Bits16>,
    /// The read register and the sample's end, to and from the serialiser.
    pub row: RowOut,
    state: RDff<FireState>,
    /// Conversion: a row was read last cycle, it opened / closed its window, its tick row.
    conv_valid: RDff<Bit>,
    first_d: RDff<Bit>,
    last_d: RDff<Bit>,
    r_d: RDff<Bits16>,
    /// The same a cycle later (the stage registers `V`'s read data), and another later, when
    /// the row's words are in the pool (it registers them).
    conv_valid2: RDff<Bit>,
    first_d2: RDff<Bit>,
    last_d2: RDff<Bit>,
    r_d2: RDff<Bits16>,
    conv_valid3: RDff<Bit>,
    first_d3: RDff<Bit>,
    last_d3: RDff<Bit>,
    r_d3: RDff<Bits16>,
    /// Conversion counters and the window's `V` row bases.
    g: RDff<Bits16>,
    py: RDff<Bits16>,
    px: RDff<Bits16>,
    dy: RDff<Bits8>,
    dx: RDff<Bits8>,
    gbase: RDff<Bits16>,
    ybase: RDff<Bits16>,
    wbase: RDff<Bits16>,
    rowoff: RDff<Bits16>,
    /// Tick row (conversion: written next; sweep: read next), and the sweep's position in
    /// the group's map, the group's sent base `g·P·Hp·Wp` and the tick `m`.
    r: RDff<Bits16>,
    pos: RDff<Bits16>,
    obase: RDff<Bits16>,
    m: RDff<Bits8>,
    raddr_r: RDff<Bits16>,
    err_r: RDff<Bit>,
    rd_valid_r: RDff<Bit>,
    rd_base_r: RDff<Bits16>,
    rd_m_r: RDff<Bits8>,
    v_busy_r: RDff<Bit>,
    dx_ext: ZeroExtend<8, 16>,
    issue: Wire<Bit>,
    dx_last: Wire<Bit>,
    dy_last: Wire<Bit>,
    /// Each conversion counter is at its last value (registered, so the counters' enables are
    /// not a chain of compares: each is set from the compare with the value before the last,
    /// when its counter steps).
    dxl: RDff<Bit>,
    dyl: RDff<Bit>,
    pxl: RDff<Bit>,
    pyl: RDff<Bit>,
    gl: RDff<Bit>,
    /// The counters' values before the last, and whether the last is 0 (a counter of one).
    kw2_c: Constant<Bits8>,
    kh2_c: Constant<Bits8>,
    wp2_c: Constant<Bits16>,
    hp2_c: Constant<Bits16>,
    gmax2_c: Constant<Bits16>,
    dxl0_c: Constant<Bit>,
    dyl0_c: Constant<Bit>,
    pxl0_c: Constant<Bit>,
    pyl0_c: Constant<Bit>,
    gl0_c: Constant<Bit>,
    wo_c: Constant<Bits16>,
    howo_c: Constant<Bits16>,
    ystep_c: Constant<Bits16>,
    xstep_c: Constant<Bits16>,
    rows1_c: Constant<Bits16>,
    pos1_c: Constant<Bits16>,
    ostep_c: Constant<Bits16>,
    tm1_c: Constant<Bits8>,
    one16: Constant<Bits16>,
    one8: Constant<Bits8>,
    zero16: Constant<Bits16>,
    zero8: Constant<Bits8>,
    m_start: Constant<Bits8>,
    fires_c: Constant<Bit>,
}

impl ConvFire {
    /// The fire sequencer of the conv stage of `params` (`params.conv` set).
    pub fn new(params: &StageParams) -> Self {
        let geo = params.conv.as_ref().expect("a conv stage");
        let c16 = |v: usize| Constant::new(bits(v as u64));
        let c8 = |v: usize| Constant::new(bits(v as u64));
        // Narrowed registers hold: `V` rows, tick rows, sent indices (a lane adds its
        // channel's offset to the base), the counters' values.
        let nr = params.lean_control;
        let v_rows = params.v_rows();
        let tk_rows = params.tick_rows();
        let sent = params.groups() * params.lanes * geo.pooled_positions();
        let row = |n: usize| RDff::<Bits16>::holding(n, nr);
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            int_done: Signal::default(),
            int_err: Signal::default(),
            pipe_busy: Signal::default(),
            fire_start: Signal::default(),
            v_busy: Signal::default(),
            v_raddr: Signal::default(),
            pool_step: Signal::default(),
            pool_first: Signal::default(),
            tk_raddr: Signal::default(),
            tk_we: Signal::default(),
            tk_waddr: Signal::default(),
            row: RowOut::default(),
            state: RDff::new(FireState::Idle),
            conv_valid: RDff::default(),
            first_d: RDff::default(),
            last_d: RDff::default(),
            r_d: row(tk_rows),
            conv_valid2: RDff::default(),
            first_d2: RDff::default(),
            last_d2: RDff::default(),
            r_d2: row(tk_rows),
            conv_valid3: RDff::default(),
            first_d3: RDff::default(),
            last_d3: RDff::default(),
            r_d3: row(tk_rows),
            g: row(params.groups()),
            py: row(geo.pooled_hw[0]),
            px: row(geo.pooled_hw[1]),
            dy: RDff::default(),
            dx: RDff::default(),
            gbase: row(v_rows),
            ybase: row(v_rows),
            wbase: row(v_rows),
            rowoff: row(v_rows),
            r: row(tk_rows),
            pos: row(geo.pooled_positions()),
            obase: row(sent),
            m: RDff::default(),
            raddr_r: row(tk_rows),
            err_r: RDff::default(),
            rd_valid_r: RDff::default(),
            rd_base_r: row(sent),
            rd_m_r: RDff::default(),
            v_busy_r: RDff::default(),
            dx_ext: ZeroExtend::new(),
            issue: Signal::default(),
            dx_last: Signal::default(),
            dy_last: Signal::default(),
            dxl: RDff::default(),
            dyl: RDff::default(),
            pxl: RDff::default(),
            pyl: RDff::default(),
            gl: RDff::default(),
            kw2_c: c8(geo.pool_kernel[1].saturating_sub(2)),
            kh2_c: c8(geo.pool_kernel[0].saturating_sub(2)),
            wp2_c: c16(geo.pooled_hw[1].saturating_sub(2)),
            hp2_c: c16(geo.pooled_hw[0].saturating_sub(2)),
            gmax2_c: c16(params.groups().saturating_sub(2)),
            dxl0_c: Constant::new(geo.pool_kernel[1] == 1),
            dyl0_c: Constant::new(geo.pool_kernel[0] == 1),
            pxl0_c: Constant::new(geo.pooled_hw[1] == 1),
            pyl0_c: Constant::new(geo.pooled_hw[0] == 1),
            gl0_c: Constant::new(params.groups() == 1),
            wo_c: c16(geo.out_hw[1]),
            howo_c: c16(geo.out_positions()),
            ystep_c: c16(geo.pool_stride[0] * geo.out_hw[1]),
            xstep_c: c16(geo.pool_stride[1]),
            rows1_c: c16(params.tick_rows() - 1),
            pos1_c: c16(geo.pooled_positions() - 1),
            ostep_c: c16(params.lanes * geo.pooled_positions()),
            tm1_c: c8(params.time_steps - 1),
            one16: c16(1),
            one8: c8(1),
            zero16: c16(0),
            zero8: c8(0),
            m_start: c8(params.window_start),
            fires_c: Constant::new(true),
        }
    }
}

impl Logic for ConvFire {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            conv_valid,
            first_d,
            last_d,
            r_d,
            conv_valid2,
            first_d2,
            last_d2,
            r_d2,
            conv_valid3,
            first_d3,
            last_d3,
            r_d3,
            g,
            py,
            px,
            dy,
            dx,
            gbase,
            ybase,
            wbase,
            rowoff,
            r,
            pos,
            obase,
            m,
            raddr_r,
            err_r,
            rd_valid_r,
            rd_base_r,
            rd_m_r,
            v_busy_r,
            dxl,
            dyl,
            pxl,
            pyl,
            gl
        );
        self.dxl.rst.next = self.rst.val();
        self.dyl.rst.next = self.rst.val();
        self.pxl.rst.next = self.rst.val();
        self.pyl.rst.next = self.rst.val();
        self.gl.rst.next = self.rst.val();
        self.state.rst.next = self.rst.val();
        self.conv_valid.rst.next = self.rst.val();
        self.first_d.rst.next = self.rst.val();
        self.last_d.rst.next = self.rst.val();
        self.r_d.rst.next = self.rst.val();
        self.conv_valid2.rst.next = self.rst.val();
        self.first_d2.rst.next = self.rst.val();
        self.last_d2.rst.next = self.rst.val();
        self.r_d2.rst.next = self.rst.val();
        self.conv_valid3.rst.next = self.rst.val();
        self.first_d3.rst.next = self.rst.val();
        self.last_d3.rst.next = self.rst.val();
        self.r_d3.rst.next = self.rst.val();
        self.g.rst.next = self.rst.val();
        self.py.rst.next = self.rst.val();
        self.px.rst.next = self.rst.val();
        self.dy.rst.next = self.rst.val();
        self.dx.rst.next = self.rst.val();
        self.gbase.rst.next = self.rst.val();
        self.ybase.rst.next = self.rst.val();
        self.wbase.rst.next = self.rst.val();
        self.rowoff.rst.next = self.rst.val();
        self.r.rst.next = self.rst.val();
        self.pos.rst.next = self.rst.val();
        self.obase.rst.next = self.rst.val();
        self.m.rst.next = self.rst.val();
        self.raddr_r.rst.next = self.rst.val();
        self.err_r.rst.next = self.rst.val();
        self.rd_valid_r.rst.next = self.rst.val();
        self.rd_base_r.rst.next = self.rst.val();
        self.rd_m_r.rst.next = self.rst.val();
        self.v_busy_r.rst.next = self.rst.val();
        self.fire_start.next =
            self.int_done.val() & (self.state.q.val() == FireState::Idle) & !self.pipe_busy.val();
        self.v_busy.next = self.v_busy_r.q.val();
        // Sweeps start once every window's word is written; a row is read only into an empty
        // read register (two cycles per row), as in `FireSequencer`.
        // (A conv stage always fires; the z-output issue of `FireSequencer`, on `drained`, is
        // kept behind the constant so that the row stream is read the same way.)
        if self.fires_c.val() {
            self.issue.next = (self.state.q.val() == FireState::Sweep)
                & !self.conv_valid.q.val()
                & !self.conv_valid2.q.val()
                & !self.conv_valid3.q.val()
                & !self.rd_valid_r.q.val();
        } else {
            self.issue.next = (self.state.q.val() == FireState::Sweep) & self.row.drained.val();
        }
        self.dx_ext.x.next = self.dx.q.val();
        self.v_raddr.next = self.wbase.q.val() + self.rowoff.q.val() + self.dx_ext.y.val();
        self.dx_last.next = self.dxl.q.val();
        self.dy_last.next = self.dyl.q.val();
        self.conv_valid.d.next = self.state.q.val() == FireState::Convert;
        self.first_d.d.next =
            (self.dx.q.val() == self.zero8.val()) & (self.dy.q.val() == self.zero8.val());
        self.last_d.d.next = self.dx_last.val() & self.dy_last.val();
        self.r_d.d.next = self.r.q.val();
        self.conv_valid2.d.next = self.conv_valid.q.val();
        self.first_d2.d.next = self.first_d.q.val();
        self.last_d2.d.next = self.last_d.q.val();
        self.r_d2.d.next = self.r_d.q.val();
        self.conv_valid3.d.next = self.conv_valid2.q.val();
        self.first_d3.d.next = self.first_d2.q.val();
        self.last_d3.d.next = self.last_d2.q.val();
        self.r_d3.d.next = self.r_d2.q.val();
        match self.state.q.val() {
            FireState::Idle => {
                if self.fire_start.val() {
                    self.state.d.next = FireState::Convert;
                    self.g.d.next = self.zero16.val();
                    self.py.d.next = self.zero16.val();
                    self.px.d.next = self.zero16.val();
                    self.dy.d.next = self.zero8.val();
                    self.dx.d.next = self.zero8.val();
                    self.dxl.d.next = self.dxl0_c.val();
                    self.dyl.d.next = self.dyl0_c.val();
                    self.pxl.d.next = self.pxl0_c.val();
                    self.pyl.d.next = self.pyl0_c.val();
                    self.gl.d.next = self.gl0_c.val();
                    self.gbase.d.next = self.zero16.val();
                    self.ybase.d.next = self.zero16.val();
                    self.wbase.d.next = self.zero16.val();
                    self.rowoff.d.next = self.zero16.val();
                    self.r.d.next = self.zero16.val();
                    self.pos.d.next = self.zero16.val();
                    self.obase.d.next = self.zero16.val();
                    self.m.d.next = self.m_start.val();
                    self.err_r.d.next = self.int_err.val();
                }
            }
            FireState::Convert => {
                // The window's rows left to right, top to bottom; then the next window.
                if !self.dx_last.val() {
                    self.dx.d.next = self.dx.q.val() + self.one8.val();
                    self.dxl.d.next = self.dx.q.val() == self.kw2_c.val();
                } else {
                    self.dx.d.next = self.zero8.val();
                    self.dxl.d.next = self.dxl0_c.val();
                    if !self.dy_last.val() {
                        self.dy.d.next = self.dy.q.val() + self.one8.val();
                        self.dyl.d.next = self.dy.q.val() == self.kh2_c.val();
                        self.rowoff.d.next = self.rowoff.q.val() + self.wo_c.val();
                    } else {
                        self.dy.d.next = self.zero8.val();
                        self.dyl.d.next = self.dyl0_c.val();
                        self.rowoff.d.next = self.zero16.val();
                        self.r.d.next = self.r.q.val() + self.one16.val();
                        if !self.pxl.q.val() {
                            self.px.d.next = self.px.q.val() + self.one16.val();
                            self.pxl.d.next = self.px.q.val() == self.wp2_c.val();
                            self.wbase.d.next = self.wbase.q.val() + self.xstep_c.val();
                        } else {
                            self.px.d.next = self.zero16.val();
                            self.pxl.d.next = self.pxl0_c.val();
                            if !self.pyl.q.val() {
                                self.py.d.next = self.py.q.val() + self.one16.val();
                                self.pyl.d.next = self.py.q.val() == self.hp2_c.val();
                                self.ybase.d.next = self.ybase.q.val() + self.ystep_c.val();
                                self.wbase.d.next = self.ybase.q.val() + self.ystep_c.val();
                            } else {
                                self.py.d.next = self.zero16.val();
                                self.pyl.d.next = self.pyl0_c.val();
                                self.gbase.d.next = self.gbase.q.val() + self.howo_c.val();
                                self.ybase.d.next = self.gbase.q.val() + self.howo_c.val();
                                self.wbase.d.next = self.gbase.q.val() + self.howo_c.val();
                                if !self.gl.q.val() {
                                    self.g.d.next = self.g.q.val() + self.one16.val();
                                    self.gl.d.next = self.g.q.val() == self.gmax2_c.val();
                                } else {
                                    self.r.d.next = self.zero16.val();
                                    self.state.d.next = FireState::Sweep;
                                }
                            }
                        }
                    }
                }
            }
            FireState::Sweep => {}
            FireState::Drain => {
                if self.row.sample_end.val() {
                    self.state.d.next = FireState::Idle;
                }
            }
        }
        if self.issue.val() {
            self.raddr_r.d.next = self.r.q.val();
            self.rd_valid_r.d.next = true;
            self.rd_base_r.d.next = self.obase.q.val() + self.pos.q.val();
            self.rd_m_r.d.next = self.m.q.val();
            if self.r.q.val() == self.rows1_c.val() {
                self.r.d.next = self.zero16.val();
                self.pos.d.next = self.zero16.val();
                self.obase.d.next = self.zero16.val();
                if self.m.q.val() == self.tm1_c.val() {
                    self.state.d.next = FireState::Drain;
                } else {
                    self.m.d.next = self.m.q.val() + self.one8.val();
                }
            } else {
                self.r.d.next = self.r.q.val() + self.one16.val();
                if self.pos.q.val() == self.pos1_c.val() {
                    self.pos.d.next = self.zero16.val();
                    self.obase.d.next = self.obase.q.val() + self.ostep_c.val();
                } else {
                    self.pos.d.next = self.pos.q.val() + self.one16.val();
                }
            }
        } else if self.row.load.val() {
            self.rd_valid_r.d.next = false;
        }
        if self.issue.val() {
            self.tk_raddr.next = self.r.q.val();
        } else {
            self.tk_raddr.next = self.raddr_r.q.val();
        }
        self.pool_step.next = self.conv_valid3.q.val();
        self.pool_first.next = self.first_d3.q.val();
        self.tk_we.next = self.conv_valid3.q.val() & self.last_d3.q.val();
        self.tk_waddr.next = self.r_d3.q.val();
        self.row.valid.next = self.rd_valid_r.q.val();
        self.row.valid_next.next =
            self.issue.val() | (self.rd_valid_r.q.val() & !self.row.load.val());
        self.row.base.next = self.rd_base_r.q.val();
        self.row.m.next = self.rd_m_r.q.val();
        self.row.err.next = self.err_r.q.val();
        self.row.draining.next = self.state.q.val() == FireState::Drain;
        self.v_busy_r.d.next =
            (self.state.d.val() == FireState::Convert) | (self.state.q.val() == FireState::Convert);
    }
}
