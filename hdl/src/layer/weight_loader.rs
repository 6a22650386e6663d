//! `WeightLoader`: the write side of a loaded weight memory.

use crate::layer::weight_memory::WeightAddr;
use crate::prelude::*;
use crate::stream::WordIn;

/// Takes the stage's load stream (one 16-bit column word per beat, rows in order, columns in
/// order within a row: the `WeightLayout` order) and writes it into the weight memory; then
/// `loaded` rises and the stream is refused. A ROM stage is loaded from reset and takes
/// nothing.
///
/// Ports: `clock`, `rst` (in); `wl` ([`WordIn`]); `we`, `waddr`, `wcol`, `wdata` (out, to the
/// memory's write port); `loaded` (out).
///
/// Latency: the word is written in the cycle it is taken (the memory registers it).
/// Cost: `WEIGHT_ADDR_BITS + 9` flip-flops and their two counters.
#[derive(LogicBlock)]
pub struct WeightLoader {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// The load stream.
    pub wl: WordIn,
    /// Memory write port: write `wdata` into column `wcol` of row `waddr`.
    pub we: Output<Bit>,
    pub waddr: Output<WeightAddr>,
    pub wcol: Output<Bits8>,
    pub wdata: Output<Bits16>,
    /// Every word is in (always, for a ROM).
    pub loaded: Output<Bit>,
    addr: RDff<WeightAddr>,
    col: RDff<Bits8>,
    done: RDff<Bit>,
    take: Wire<Bit>,
    cmax_c: Constant<Bits8>,
    rmax_c: Constant<WeightAddr>,
    one_a: Constant<WeightAddr>,
    one8: Constant<Bits8>,
    zero8: Constant<Bits8>,
}

impl WeightLoader {
    /// A loader for `rows` rows of `columns` words; `loadable = false`: a ROM, loaded at reset.
    pub fn new(rows: usize, columns: usize, loadable: bool) -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            wl: WordIn::default(),
            we: Signal::default(),
            waddr: Signal::default(),
            wcol: Signal::default(),
            wdata: Signal::default(),
            loaded: Signal::default(),
            addr: RDff::default(),
            col: RDff::default(),
            done: RDff::new(!loadable),
            take: Signal::default(),
            cmax_c: Constant::new(bits(columns as u64 - 1)),
            rmax_c: Constant::new(bits(rows as u64 - 1)),
            one_a: Constant::new(bits(1)),
            one8: Constant::new(bits(1)),
            zero8: Constant::new(bits(0)),
        }
    }
}

impl Logic for WeightLoader {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, addr, col, done);
        self.addr.rst.next = self.rst.val();
        self.col.rst.next = self.rst.val();
        self.done.rst.next = self.rst.val();
        self.take.next = self.wl.valid.val() & !self.done.q.val();
        self.wl.ready.next = !self.done.q.val();
        self.we.next = self.take.val();
        self.waddr.next = self.addr.q.val();
        self.wcol.next = self.col.q.val();
        self.wdata.next = self.wl.data.val();
        if self.take.val() {
            if self.col.q.val() == self.cmax_c.val() {
                self.col.d.next = self.zero8.val();
                if self.addr.q.val() == self.rmax_c.val() {
                    self.done.d.next = true;
                } else {
                    self.addr.d.next = self.addr.q.val() + self.one_a.val();
                }
            } else {
                self.col.d.next = self.col.q.val() + self.one8.val();
            }
        }
        self.loaded.next = self.done.q.val();
    }
}
