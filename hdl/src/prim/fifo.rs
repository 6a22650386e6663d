//! `Fifo`: a valid/ready FIFO of `2^N` entries on a [`SyncRam`] with show-ahead output.

use crate::prelude::*;
use crate::prim::SyncRam;

/// A first-in first-out queue of `2^N` words of type `D` with AXI-Stream style handshakes on
/// both sides, full throughput (a push and a pop every cycle), synchronous reset.
///
/// Storage is a [`SyncRam`] (block RAM when large enough). The read address is the *next*
/// read pointer, so the word at the head is always on `m_data` (show-ahead); a write to the
/// address being read in the same cycle (the RAM returns the old word) is bypassed through a
/// register.
///
/// Ports:
/// - `clock`, `rst` (in): clock and synchronous active-high reset (empties the queue).
/// - `s_valid` (in), `s_ready` (out, `= !full`, independent of `m_ready`), `s_data` (in, `D`).
/// - `m_valid` (out, `= !empty`, registered), `m_ready` (in), `m_data` (out, `D`).
///
/// Latency: a word pushed in cycle `c` is on `m_data` with `m_valid` in cycle `c + 1`.
/// Cost: `2^N · D::BITS` RAM bits, `2·N + 2 + D::BITS + 1` flip-flops.
#[derive(LogicBlock)]
pub struct Fifo<D: Synth, const N: usize> {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// A word is offered on `s_data`.
    pub s_valid: Input<Bit>,
    /// The queue is not full.
    pub s_ready: Output<Bit>,
    /// Word to push.
    pub s_data: Input<D>,
    /// The queue is not empty: `m_data` is the oldest word.
    pub m_valid: Output<Bit>,
    /// The consumer takes `m_data`.
    pub m_ready: Input<Bit>,
    /// Oldest word.
    pub m_data: Output<D>,
    // Write side, then read side (the read address is the pointer, or the next one on a pop).
    wptr: RDff<Bits<N>>,
    push: Wire<Bit>,
    rptr: RDff<Bits<N>>,
    pop: Wire<Bit>,
    rd_addr: Wire<Bits<N>>,
    empty: RDff<Bit>,
    full: RDff<Bit>,
    bypass: RDff<Bit>,
    bypass_data: RDff<D>,
    ram: SyncRam<D, N>,
    /// 1 at the pointers' width, not a literal: `wptr + 1 == rptr` must wrap as the
    /// pointers do, and Verilog would widen a literal's sum to 32 bits.
    one: Constant<Bits<N>>,
}

impl<D: Synth, const N: usize> Fifo<D, N> {
    /// An empty FIFO of `2^N` words.
    pub fn new() -> Self {
        assert!((1..=16).contains(&N), "fifo: N = {N} not in 1..=16");
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            s_valid: Signal::default(),
            s_ready: Signal::default(),
            s_data: Signal::default(),
            m_valid: Signal::default(),
            m_ready: Signal::default(),
            m_data: Signal::default(),
            push: Signal::default(),
            pop: Signal::default(),
            rd_addr: Signal::default(),
            wptr: RDff::default(),
            rptr: RDff::default(),
            empty: RDff::new(true),
            full: RDff::default(),
            bypass: RDff::default(),
            bypass_data: RDff::default(),
            ram: SyncRam::new(),
            one: Constant::new(bits(1)),
        }
    }
}

impl<D: Synth, const N: usize> Default for Fifo<D, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<D: Synth, const N: usize> Logic for Fifo<D, N> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wptr, rptr, empty, full, bypass, bypass_data);
        self.wptr.rst.next = self.rst.val();
        self.rptr.rst.next = self.rst.val();
        self.empty.rst.next = self.rst.val();
        self.full.rst.next = self.rst.val();
        self.bypass.rst.next = self.rst.val();
        self.bypass_data.rst.next = self.rst.val();
        self.ram.clock.next = self.clock.val();
        self.push.next = self.s_valid.val() & !self.full.q.val();
        self.pop.next = self.m_ready.val() & !self.empty.q.val();
        self.rd_addr.next = self.rptr.q.val();
        if self.pop.val() {
            self.rd_addr.next = self.rptr.q.val() + self.one.val();
        }
        self.ram.raddr.next = self.rd_addr.val();
        self.ram.we.next = self.push.val();
        self.ram.waddr.next = self.wptr.q.val();
        self.ram.wdata.next = self.s_data.val();
        self.bypass.d.next = self.push.val() & (self.wptr.q.val() == self.rd_addr.val());
        self.bypass_data.d.next = self.s_data.val();
        if self.push.val() {
            self.wptr.d.next = self.wptr.q.val() + self.one.val();
        }
        if self.pop.val() {
            self.rptr.d.next = self.rd_addr.val();
        }
        if self.push.val() & !self.pop.val() {
            self.empty.d.next = false;
            self.full.d.next = (self.wptr.q.val() + self.one.val()) == self.rptr.q.val();
        }
        if self.pop.val() & !self.push.val() {
            self.full.d.next = false;
            self.empty.d.next = self.rd_addr.val() == self.wptr.q.val();
        }
        self.s_ready.next = !self.full.q.val();
        self.m_valid.next = !self.empty.q.val();
        self.m_data.next = self.ram.rdata.val();
        if self.bypass.q.val() {
            self.m_data.next = self.bypass_data.q.val();
        }
    }
}
