//! `FireSequencer`: a layer stage's fire phase — conversion, then the tick sweeps.

use crate::layer::row_stream::RowOut;
use crate::layer::stage_params::StageParams;
use crate::prelude::*;

/// The fire phase of one sample.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum FireState {
    /// No sample: the next integrated one starts the phase.
    Idle,
    /// Reading `V` one row per cycle; each row's spike ticks are written a cycle later.
    Convert,
    /// Issuing tick-memory reads (firing) or `V` reads (z output), one row at a time.
    Sweep,
    /// Every row is issued; the serialiser empties, then the sample ends.
    Drain,
}

/// Sequences a layer stage's fire phase (DESIGN §5). It starts when the integrated sample's
/// last write-back is done (`int_done`, pipeline idle) and it is idle. A firing stage first
/// converts `V` into spike ticks (`G` cycles, freeing `V` for the next sample), then for
/// `m = 0..T-1` and `g = 0..G-1` reads row `g`'s ticks into the serialiser's read register
/// (`row`); a stage that streams `z` sweeps `V` once instead, each row once the serialiser
/// has drained the last. The sample ends when the serialiser reports it (`sample_end`).
///
/// Ports: `clock`, `rst` (in); `int_done`, `int_err`, `pipe_busy` (in, from integrate);
/// `fire_start`, `v_busy` (out); `raddr` (out: the row read from `V` / the ticks this
/// cycle); `tk_we`, `tk_waddr` (out: the tick memory's write port); `row` ([`RowOut`]: the
/// read register, to the serialiser).
///
/// Latency: the conversion takes `G` cycles, each sweep row two. Cost: a 2-bit state, ~`4·16
/// + 2·8 + 3` flip-flops, two 16-bit incrementers.
#[derive(LogicBlock)]
pub struct FireSequencer {
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
    /// The row read from `V` / the tick memory this cycle.
    pub raddr: Output<Bits16>,
    /// Tick memory write: the converted row `tk_waddr`.
    pub tk_we: Output<Bit>,
    pub tk_waddr: Output<Bits16>,
    /// The read register and the sample's end, to and from the serialiser.
    pub row: RowOut,
    state: RDff<FireState>,
    conv_valid: RDff<Bit>,
    g: RDff<Bits16>,
    gbase: RDff<Bits16>,
    m: RDff<Bits8>,
    raddr_r: RDff<Bits16>,
    err_r: RDff<Bit>,
    rd_valid_r: RDff<Bit>,
    rd_base_r: RDff<Bits16>,
    rd_m_r: RDff<Bits8>,
    /// `v_busy`, registered from the next state: it gates the integrate issue and through it
    /// the encoder's handshake, and from the state register across the stage it was the
    /// iCEBreaker build's longest path (fire state → issue → emitter, 33.6 MHz at 30).
    v_busy_r: RDff<Bit>,
    issue: Wire<Bit>,
    gmax_c: Constant<Bits16>,
    p_c: Constant<Bits16>,
    tm1_c: Constant<Bits8>,
    one16: Constant<Bits16>,
    one8: Constant<Bits8>,
    zero16: Constant<Bits16>,
    /// First tick of the fire window (0; 1 only under a test-only fault).
    m_start: Constant<Bits8>,
    fires_c: Constant<Bit>,
}

impl FireSequencer {
    /// The fire sequencer of the stage of `params`.
    pub fn new(params: &StageParams) -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            int_done: Signal::default(),
            int_err: Signal::default(),
            pipe_busy: Signal::default(),
            row: RowOut::default(),
            fire_start: Signal::default(),
            v_busy: Signal::default(),
            raddr: Signal::default(),
            tk_we: Signal::default(),
            tk_waddr: Signal::default(),
            state: RDff::new(FireState::Idle),
            conv_valid: RDff::default(),
            g: RDff::default(),
            gbase: RDff::default(),
            m: RDff::default(),
            raddr_r: RDff::default(),
            err_r: RDff::default(),
            rd_valid_r: RDff::default(),
            v_busy_r: RDff::default(),
            rd_base_r: RDff::default(),
            rd_m_r: RDff::default(),
            issue: Signal::default(),
            gmax_c: Constant::new(bits(params.groups() as u64 - 1)),
            p_c: Constant::new(bits(params.lanes as u64)),
            tm1_c: Constant::new(bits(params.time_steps as u64 - 1)),
            one16: Constant::new(bits(1)),
            one8: Constant::new(bits(1)),
            zero16: Constant::new(bits(0)),
            m_start: Constant::new(bits(params.window_start as u64)),
            fires_c: Constant::new(params.fires),
        }
    }
}

impl Logic for FireSequencer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, conv_valid, g, gbase, m, raddr_r, err_r, rd_valid_r, rd_base_r,
            rd_m_r, v_busy_r
        );
        self.v_busy_r.rst.next = self.rst.val();
        self.state.rst.next = self.rst.val();
        self.conv_valid.rst.next = self.rst.val();
        self.g.rst.next = self.rst.val();
        self.gbase.rst.next = self.rst.val();
        self.m.rst.next = self.rst.val();
        self.raddr_r.rst.next = self.rst.val();
        self.err_r.rst.next = self.rst.val();
        self.rd_valid_r.rst.next = self.rst.val();
        self.rd_base_r.rst.next = self.rst.val();
        self.rd_m_r.rst.next = self.rst.val();
        self.fire_start.next =
            self.int_done.val() & (self.state.q.val() == FireState::Idle) & !self.pipe_busy.val();
        // V's read port belongs to the fire phase while it converts, and for the whole z output.
        self.v_busy.next = self.v_busy_r.q.val();
        if self.fires_c.val() {
            // Sweeps start once every row's ticks are written (a tick read in the cycle of the
            // last write would see the old word when G = 1). A row is read only into an empty
            // read register (two cycles per row): issuing into one that the lanes take this
            // cycle would chain the select, the handshake and the memory's address.
            self.issue.next = (self.state.q.val() == FireState::Sweep)
                & !self.conv_valid.q.val()
                & !self.rd_valid_r.q.val();
        } else {
            self.issue.next = (self.state.q.val() == FireState::Sweep) & self.row.drained.val();
        }
        self.conv_valid.d.next = self.state.q.val() == FireState::Convert;
        match self.state.q.val() {
            FireState::Idle => {
                if self.fire_start.val() {
                    if self.fires_c.val() {
                        self.state.d.next = FireState::Convert;
                    } else {
                        self.state.d.next = FireState::Sweep;
                    }
                    self.g.d.next = self.zero16.val();
                    self.gbase.d.next = self.zero16.val();
                    self.m.d.next = self.m_start.val();
                    self.err_r.d.next = self.int_err.val();
                }
            }
            FireState::Convert => {
                // One row of V per cycle → its lanes' spike ticks, written a cycle later.
                self.raddr_r.d.next = self.g.q.val();
                if self.g.q.val() == self.gmax_c.val() {
                    self.g.d.next = self.zero16.val();
                    self.state.d.next = FireState::Sweep;
                } else {
                    self.g.d.next = self.g.q.val() + self.one16.val();
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
            self.raddr_r.d.next = self.g.q.val();
            self.rd_valid_r.d.next = true;
            self.rd_base_r.d.next = self.gbase.q.val();
            self.rd_m_r.d.next = self.m.q.val();
            if self.g.q.val() == self.gmax_c.val() {
                self.g.d.next = self.zero16.val();
                self.gbase.d.next = self.zero16.val();
                if (self.m.q.val() == self.tm1_c.val()) | !self.fires_c.val() {
                    self.state.d.next = FireState::Drain;
                } else {
                    self.m.d.next = self.m.q.val() + self.one8.val();
                }
            } else {
                self.g.d.next = self.g.q.val() + self.one16.val();
                self.gbase.d.next = self.gbase.q.val() + self.p_c.val();
            }
        } else if self.row.load.val() {
            self.rd_valid_r.d.next = false;
        }
        if self.issue.val() | (self.state.q.val() == FireState::Convert) {
            self.raddr.next = self.g.q.val();
        } else {
            self.raddr.next = self.raddr_r.q.val();
        }
        self.tk_we.next = self.conv_valid.q.val();
        self.tk_waddr.next = self.raddr_r.q.val();
        self.row.valid.next = self.rd_valid_r.q.val();
        self.row.valid_next.next =
            self.issue.val() | (self.rd_valid_r.q.val() & !self.row.load.val());
        self.row.base.next = self.rd_base_r.q.val();
        self.row.m.next = self.rd_m_r.q.val();
        self.row.err.next = self.err_r.q.val();
        self.row.draining.next = self.state.q.val() == FireState::Drain;
        // Next cycle's `Convert | conv_valid | (z output & !Idle)`; `conv_valid.d` is
        // `state.q == Convert`.
        self.v_busy_r.d.next = (self.state.d.val() == FireState::Convert)
            | (self.state.q.val() == FireState::Convert)
            | (!self.fires_c.val() & (self.state.d.val() != FireState::Idle));
    }
}
