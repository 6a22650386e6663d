//! `ListReads`: the emitter's registered reads of one bank's list memories.

use super::BankReads;
use crate::prelude::*;

/// Selects the emitted bank's head / tail / next reads and registers them, masked to the
/// list words' stored bits (a stored all-ones word is the empty-list sentinel), so that the
/// block RAM's clock-to-out and the route from it end at a flip-flop, not at the next read's
/// address (the list walk's memory → memory loop was the ECP5 critical path). `tail_nil`
/// (the tail is the sentinel) is registered beside it for the same reason; `next` is kept
/// only when `keep_next` (the read of a new `ej`).
///
/// Ports: `clock`, `rst`, `bank`, `lists` ([`BankReads`]), `keep_next` (in); `head`,
/// `tail`, `tail_nil`, `next_word` (out).
///
/// Latency: 1 cycle. Cost: `3·16 + 1` flip-flops, three 2:1 muxes and a 16-bit compare.
#[derive(LogicBlock)]
pub struct ListReads {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// The bank read.
    pub bank: Input<Bit>,
    /// The memories' registered reads, per bank.
    pub lists: BankReads,
    /// Register this cycle's `next` read.
    pub keep_next: Input<Bit>,
    /// The registered reads.
    pub head: Output<Bits16>,
    pub tail: Output<Bits16>,
    pub tail_nil: Output<Bit>,
    pub next_word: Output<Bits16>,
    e_head: Wire<Bits16>,
    e_tail: Wire<Bits16>,
    e_next: Wire<Bits16>,
    head_r: RDff<Bits16>,
    tail_r: RDff<Bits16>,
    next_r: RDff<Bits16>,
    nil_r: RDff<Bit>,
    link_mask: Constant<Bits16>,
}

impl ListReads {
    /// The reads of list words of `link_bits` bits.
    pub fn new(link_bits: usize) -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            bank: Signal::default(),
            lists: BankReads::default(),
            keep_next: Signal::default(),
            head: Signal::default(),
            tail: Signal::default(),
            tail_nil: Signal::default(),
            next_word: Signal::default(),
            e_head: Signal::default(),
            e_tail: Signal::default(),
            e_next: Signal::default(),
            head_r: RDff::default(),
            tail_r: RDff::default(),
            next_r: RDff::default(),
            nil_r: RDff::default(),
            link_mask: Constant::new(bits((1u64 << link_bits) - 1)),
        }
    }
}

impl Logic for ListReads {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, head_r, tail_r, next_r, nil_r);
        self.head_r.rst.next = self.rst.val();
        self.tail_r.rst.next = self.rst.val();
        self.next_r.rst.next = self.rst.val();
        self.nil_r.rst.next = self.rst.val();
        if self.bank.val() {
            self.e_head.next = self.lists.head1.val();
            self.e_tail.next = self.lists.tail1.val();
            self.e_next.next = self.lists.next1.val();
        } else {
            self.e_head.next = self.lists.head0.val();
            self.e_tail.next = self.lists.tail0.val();
            self.e_next.next = self.lists.next0.val();
        }
        self.head_r.d.next = self.e_head.val() & self.link_mask.val();
        self.tail_r.d.next = self.e_tail.val() & self.link_mask.val();
        self.nil_r.d.next = (self.e_tail.val() & self.link_mask.val()) == self.link_mask.val();
        if self.keep_next.val() {
            self.next_r.d.next = self.e_next.val() & self.link_mask.val();
        }
        self.head.next = self.head_r.q.val();
        self.tail.next = self.tail_r.q.val();
        self.tail_nil.next = self.nil_r.q.val();
        self.next_word.next = self.next_r.q.val();
    }
}
