//! `BankIndex`: a wide-encoder bank's local feature index → the feature's index in the sample.

use crate::prelude::*;
use crate::stream::{EventIn, EventOut};

/// Bank `k` of a wide encoder with `K` banks holds the features `j = i·K + k` of each sample
/// (slot `k` of every input beat, DESIGN §4 revision 2) under its own index `i`; this block
/// maps its events' `i` back to `j`. `i·K` is a sum of shifts of `i`, one per set bit of `K`,
/// so no multiplier is spent on a constant (yosys drops the adders of the clear bits).
///
/// Ports:
/// - `ev_in` ([`EventIn`]): the bank's events (index `i`).
/// - `ev_out` ([`EventOut`]): the same beats, index `i·K + k`.
///
/// Latency: 0 (combinational). Cost: one 16-bit adder per set bit of `K`.
#[derive(LogicBlock)]
pub struct BankIndex {
    /// The bank's events.
    pub ev_in: EventIn,
    /// The events with sample-wide indices.
    pub ev_out: EventOut,
    /// `acc[0] = k`, `acc[s + 1] = acc[s] + (i << s)` where bit `s` of `K` is set;
    /// `sh[s] = i << s` (as `sh[s − 1] + sh[s − 1]`).
    acc: Vec<Wire<Bits16>>,
    sh: Vec<Wire<Bits16>>,
    banks: Constant<Bits8>,
    offset: Constant<Bits16>,
}

impl BankIndex {
    /// The map of bank `bank` of `banks` (`bank < banks ≤ 64`).
    pub fn new(banks: usize, bank: usize) -> Self {
        assert!(
            bank < banks && banks <= 64,
            "bank index: bank {bank} of {banks}"
        );
        Self {
            ev_in: EventIn::default(),
            ev_out: EventOut::default(),
            acc: (0..=7).map(|_| Signal::default()).collect(),
            sh: (0..7).map(|_| Signal::default()).collect(),
            banks: Constant::new(bits(banks as u64)),
            offset: Constant::new(bits(bank as u64)),
        }
    }
}

impl Logic for BankIndex {
    #[hdl_gen]
    fn update(&mut self) {
        self.ev_out.valid.next = self.ev_in.valid.val();
        self.ev_in.ready.next = self.ev_out.ready.val();
        self.ev_out.m.next = self.ev_in.m.val();
        self.ev_out.eow.next = self.ev_in.eow.val();
        self.ev_out.err.next = self.ev_in.err.val();
        self.acc[0].next = self.offset.val();
        self.sh[0].next = self.ev_in.index.val();
        for s in 1..7 {
            self.sh[s].next = self.sh[s - 1].val() + self.sh[s - 1].val();
        }
        for s in 0..7 {
            self.acc[s + 1].next = self.acc[s].val();
            if self.banks.val().get_bit(s) {
                self.acc[s + 1].next = self.acc[s].val() + self.sh[s].val();
            }
        }
        self.ev_out.index.next = self.acc[7].val();
    }
}
