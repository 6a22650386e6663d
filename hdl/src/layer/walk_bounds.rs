//! `WalkBounds`: whether a conv stage's kernel walk is inside the output map, registered.

use crate::layer::conv_issue::COORD_BITS;
use crate::layer::stage_params::ConvGeometry;
use crate::prelude::*;

/// The in-map test of [`crate::layer::ConvIssue`]'s walk position, from flip-flops. The walk's
/// offsets `oyn = y + Ph − i` and `oxn = x + Pw − jj` (signed, top bit = negative) are inside
/// the output when `0 ≤ oyn < Ho·Sh` and `0 ≤ oxn < Wo·Sw`. Compared where they are used, the
/// compares' carry chains start the walk's longest path (offset → compare → advance → the
/// counters' enables; 35 ns on the UP5K, above its 33.3 ns at 30 MHz). Here every value the
/// offsets can take next is compared from registers, in parallel with the walk's decision:
/// the next column (`oxn − Sw`), the next row (`oyn − Sh`, and `ox0`, its first column) and a
/// new walk's start; the decision only selects which flag to register.
///
/// Ports: `clock`, `rst` (in); `start`, `start_y`, `start_x` (in: a walk starts, its offsets);
/// `advance`, `next_row` (in: the walk moves on, to the next row); `oyn`, `oxn`, `ox0` (in:
/// the walk's registers); `in_map` (out: the position in `oyn`, `oxn` is inside).
///
/// Latency: `in_map` is that of the offsets registered in the same edge. Cost: five
/// `COORD_BITS`-bit compare pairs, two subtractors, two flip-flops.
#[derive(LogicBlock)]
pub struct WalkBounds {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// A walk starts: its first offsets.
    pub start: Input<Bit>,
    pub start_y: Input<Bits<COORD_BITS>>,
    pub start_x: Input<Bits<COORD_BITS>>,
    /// The walk moves to its next position; that position is on the next kernel row.
    pub advance: Input<Bit>,
    pub next_row: Input<Bit>,
    /// The walk's offsets and its rows' first column offset.
    pub oyn: Input<Bits<COORD_BITS>>,
    pub oxn: Input<Bits<COORD_BITS>>,
    pub ox0: Input<Bits<COORD_BITS>>,
    /// The registered position is inside the output map.
    pub in_map: Output<Bit>,
    y_ok: RDff<Bit>,
    x_ok: RDff<Bit>,
    /// Candidate offsets, and whether each is inside.
    y_step: Wire<Bits<COORD_BITS>>,
    x_step: Wire<Bits<COORD_BITS>>,
    y_step_ok: Wire<Bit>,
    x_step_ok: Wire<Bit>,
    x_row_ok: Wire<Bit>,
    y_start_ok: Wire<Bit>,
    x_start_ok: Wire<Bit>,
    hos_c: Constant<Bits<COORD_BITS>>,
    wos_c: Constant<Bits<COORD_BITS>>,
    sy_c: Constant<Bits<COORD_BITS>>,
    sx_c: Constant<Bits<COORD_BITS>>,
    neg_c: Constant<Bits<COORD_BITS>>,
    zero_c: Constant<Bits<COORD_BITS>>,
}

impl WalkBounds {
    /// The bounds of the conv stage of geometry `g`.
    pub fn new(g: &ConvGeometry) -> Self {
        let c = |v: usize| Constant::new(bits(v as u64));
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            start: Signal::default(),
            start_y: Signal::default(),
            start_x: Signal::default(),
            advance: Signal::default(),
            next_row: Signal::default(),
            oyn: Signal::default(),
            oxn: Signal::default(),
            ox0: Signal::default(),
            in_map: Signal::default(),
            y_ok: RDff::default(),
            x_ok: RDff::default(),
            y_step: Signal::default(),
            x_step: Signal::default(),
            y_step_ok: Signal::default(),
            x_step_ok: Signal::default(),
            x_row_ok: Signal::default(),
            y_start_ok: Signal::default(),
            x_start_ok: Signal::default(),
            hos_c: c(g.out_hw[0] * g.stride[0]),
            wos_c: c(g.out_hw[1] * g.stride[1]),
            sy_c: c(g.stride[0]),
            sx_c: c(g.stride[1]),
            neg_c: c(1 << (COORD_BITS - 1)),
            zero_c: c(0),
        }
    }
}

impl Logic for WalkBounds {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, y_ok, x_ok);
        self.y_ok.rst.next = self.rst.val();
        self.x_ok.rst.next = self.rst.val();
        self.y_step.next = self.oyn.val() - self.sy_c.val();
        self.x_step.next = self.oxn.val() - self.sx_c.val();
        self.y_step_ok.next = ((self.y_step.val() & self.neg_c.val()) == self.zero_c.val())
            & (self.y_step.val() < self.hos_c.val());
        self.x_step_ok.next = ((self.x_step.val() & self.neg_c.val()) == self.zero_c.val())
            & (self.x_step.val() < self.wos_c.val());
        self.x_row_ok.next = ((self.ox0.val() & self.neg_c.val()) == self.zero_c.val())
            & (self.ox0.val() < self.wos_c.val());
        self.y_start_ok.next = ((self.start_y.val() & self.neg_c.val()) == self.zero_c.val())
            & (self.start_y.val() < self.hos_c.val());
        self.x_start_ok.next = ((self.start_x.val() & self.neg_c.val()) == self.zero_c.val())
            & (self.start_x.val() < self.wos_c.val());
        // As the walk's registers: a start wins over a step.
        if self.start.val() {
            self.y_ok.d.next = self.y_start_ok.val();
            self.x_ok.d.next = self.x_start_ok.val();
        } else if self.advance.val() {
            if self.next_row.val() {
                self.y_ok.d.next = self.y_step_ok.val();
                self.x_ok.d.next = self.x_row_ok.val();
            } else {
                self.x_ok.d.next = self.x_step_ok.val();
            }
        }
        self.in_map.next = self.y_ok.q.val() & self.x_ok.q.val();
    }
}
