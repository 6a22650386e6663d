//! `PoolMax`: the max-pool fused into a conv stage's conversion (DESIGN §2.1, §5).

use crate::prelude::*;

/// Keeps, per lane, the earliest spike tick of the pool window being converted: the largest
/// `q`, i.e. `maxpool2d`. Spike-tick words are the lanes' (`0`: silent, else `T + tick`), so
/// a word wins when it fires and the best so far is silent or later. The conversion visits a
/// window's rows back to back; `first` marks its first row, and `tk_out` (this row folded in)
/// is what the tick memory stores on the window's last row. A `1×1` pool passes words through.
/// The lanes' words are registered first: the conversion's path from the potential memory
/// through the activation then ends here, and the compare starts at a flip-flop (on ECP5 the
/// unregistered chain, block-RAM read → activation → compare → tick-memory write, was the
/// conv design's longest path, 18 ns).
///
/// Ports: `clock`, `rst` (in); `step` (in: a registered row's words are in the pool this cycle,
/// i.e. they were on `tk_in` last cycle), `first` (in: that row opens a window); per lane
/// `tk_in` (in), `tk_out` (out: the window's best with that row folded in).
///
/// Latency: 1 cycle from `tk_in` to `tk_out`. Cost: per lane 32 flip-flops, a 16-bit compare
/// and a 16-bit 2:1 mux; built as a pass-through ([`PoolMax::pass_through`]: every row opens
/// and closes its window, so the best is always the row's word) only the 16-bit register
/// (in practice `log2(T) + 1` bits: the words' high bits are constant).
#[derive(LogicBlock)]
pub struct PoolMax {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// A converted row is on `tk_in`.
    pub step: Input<Bit>,
    /// The row opens a pool window.
    pub first: Input<Bit>,
    /// Per lane: the row's spike-tick word.
    pub tk_in: Vec<Input<Bits16>>,
    /// Per lane: the window's best word so far, this row included.
    pub tk_out: Vec<Output<Bits16>>,
    /// The lanes' words of last cycle.
    tk_r: Vec<RDff<Bits16>>,
    best: Vec<RDff<Bits16>>,
    take: Vec<Wire<Bit>>,
    zero16: Constant<Bits16>,
    _p: usize,
    /// The 0/1 switches of the compare and of the pass-through.
    _cmp: usize,
    _pass: usize,
    /// Pass-through: the inputs it has no use for, read so that lint sees them used.
    unused: Vec<Wire<Bit>>,
}

impl PoolMax {
    /// A pool of `lanes` lanes.
    pub fn new(lanes: usize) -> Self {
        Self::build(lanes, false)
    }

    /// The `1×1` pool of `lanes` lanes: no compare, no best word.
    pub fn pass_through(lanes: usize) -> Self {
        Self::build(lanes, true)
    }

    fn build(lanes: usize, pass: bool) -> Self {
        let cmp = if pass { 0 } else { lanes };
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            step: Signal::default(),
            first: Signal::default(),
            tk_in: (0..lanes).map(|_| Signal::default()).collect(),
            tk_out: (0..lanes).map(|_| Signal::default()).collect(),
            tk_r: (0..lanes).map(|_| RDff::default()).collect(),
            best: (0..cmp).map(|_| RDff::default()).collect(),
            take: (0..cmp).map(|_| Signal::default()).collect(),
            zero16: Constant::new(bits(0)),
            _p: lanes,
            _cmp: usize::from(!pass),
            _pass: usize::from(pass),
            unused: (0..usize::from(pass)).map(|_| Signal::default()).collect(),
        }
    }
}

impl Logic for PoolMax {
    #[hdl_gen]
    fn update(&mut self) {
        for p in 0..self._p {
            for _c in 0..self._cmp {
                self.best[p].clock.next = self.clock.val();
                self.best[p].rst.next = self.rst.val();
                self.best[p].d.next = self.best[p].q.val();
            }
            self.tk_r[p].clock.next = self.clock.val();
            self.tk_r[p].rst.next = self.rst.val();
            self.tk_r[p].d.next = self.tk_in[p].val();
            for _c in 0..self._cmp {
                self.take[p].next = self.first.val()
                    | ((self.tk_r[p].q.val() != self.zero16.val())
                        & ((self.best[p].q.val() == self.zero16.val())
                            | (self.tk_r[p].q.val() < self.best[p].q.val())));
                if self.take[p].val() {
                    self.tk_out[p].next = self.tk_r[p].q.val();
                } else {
                    self.tk_out[p].next = self.best[p].q.val();
                }
                if self.step.val() {
                    self.best[p].d.next = self.tk_out[p].val();
                }
            }
            for _s in 0..self._pass {
                self.tk_out[p].next = self.tk_r[p].q.val();
            }
        }
        for s in 0..self._pass {
            self.unused[s].next = self.step.val() | self.first.val() | self.zero16.val().any();
        }
    }
}
