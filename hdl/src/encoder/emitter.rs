//! `EncoderEmitter`: walks a full bank's tick lists and sends their events.

use super::{BankIn, BankReads, ListReads};
use crate::prelude::*;
use crate::stream::EventOut;

/// The emitter's walk over one bank.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum EmitState {
    /// Waiting for a full bank whose links are all written.
    Idle,
    /// Reading tick `em`'s head and tail (and clearing its tail).
    Read,
    /// Deciding: an empty list moves to the next tick, else its events are sent.
    Check,
    /// Sending event `ej` of tick `em`.
    Emit,
    /// Sending the sample's eow beat; then the bank is freed.
    Eow,
}

/// Emits a full bank (DESIGN §5): for `m = 0..T`, each tick's list in ascending `j`, then one
/// end-of-window beat with the bank's framing error; walking a tick clears its tail, so the
/// bank is clean for reuse. Every read that the next decision depends on is issued one cycle,
/// registered the next and used the one after (`ewait`): two cycles per tick and per event,
/// and no memory address waits on the next stage's handshake.
///
/// Ports: `clock`, `rst` (in); `lists` ([`BankReads`]: the banks' list reads), `link_pend`
/// (in); `ebank` ([`BankIn`]: the bank walked, full and its error in, freed out); `ea` (out:
/// the tick whose head / tail are read), `eclr` (out: clear that tail), `next_raddr` (out);
/// `ev_out` ([`EventOut`]).
///
/// Latency: 2 cycles per tick and per event. Cost: a 3-bit state, ~`4·16 + 8 + 6`
/// flip-flops, 16-bit compares.
#[derive(LogicBlock)]
pub struct EncoderEmitter {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// The banks' list reads (registered by the memories) and flags.
    pub lists: BankReads,
    /// The bank walked: full and its framing error in, its number and its release out.
    pub ebank: BankIn,
    /// A link into the emitted bank is still being written: the walk waits to start.
    pub link_pend: Input<Bit>,
    /// The tick whose head and tail are read this cycle, and whether its tail is cleared.
    pub ea: Output<Bits16>,
    pub eclr: Output<Bit>,
    /// The next-pointer read: in `Emit`, `next[ej]` is always on the read port.
    pub next_raddr: Output<Bits16>,
    /// Events, then the sample's eow.
    pub ev_out: EventOut,
    /// The emitted bank's reads, registered.
    reads: ListReads,
    ea8: Wire<Bits8>,
    ea_ext: ZeroExtend<8, 16>,
    /// `em == T − 1`, kept beside `em` for the same reason.
    em_last: RDff<Bit>,
    /// The registered read is not yet that of the current `em` / `ej`.
    ewait: RDff<Bit>,
    state: RDff<EmitState>,
    bank: RDff<Bit>,
    em: RDff<Bits8>,
    ej: RDff<Bits16>,
    elast: RDff<Bits16>,
    /// `T − 2`: `em + 1` is the last tick.
    last_m_m1: Constant<Bits8>,
    /// Tick 0 is the last (`T = 1`).
    m0_last: Constant<Bit>,
    one8: Constant<Bits8>,
    zero8: Constant<Bits8>,
    zero16: Constant<Bits16>,
}

impl EncoderEmitter {
    /// The emitter for windows of `time_steps` ticks and list words of `link_bits` bits.
    pub fn new(time_steps: u32, link_bits: usize) -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            lists: BankReads::default(),
            ebank: BankIn::default(),
            link_pend: Signal::default(),
            ea: Signal::default(),
            eclr: Signal::default(),
            next_raddr: Signal::default(),
            ev_out: EventOut::default(),
            reads: ListReads::new(link_bits),
            ea8: Signal::default(),
            ea_ext: ZeroExtend::new(),
            em_last: RDff::new(time_steps == 1),
            ewait: RDff::default(),
            state: RDff::new(EmitState::Idle),
            bank: RDff::default(),
            em: RDff::default(),
            ej: RDff::default(),
            elast: RDff::default(),
            last_m_m1: Constant::new(bits((time_steps as u64).saturating_sub(2))),
            m0_last: Constant::new(time_steps == 1),
            one8: Constant::new(bits(1)),
            zero8: Constant::new(bits(0)),
            zero16: Constant::new(bits(0)),
        }
    }
}

impl Logic for EncoderEmitter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, em_last, ewait, state, bank, em, ej, elast);
        self.em_last.rst.next = self.rst.val();
        self.ewait.rst.next = self.rst.val();
        self.state.rst.next = self.rst.val();
        self.bank.rst.next = self.rst.val();
        self.em.rst.next = self.rst.val();
        self.ej.rst.next = self.rst.val();
        self.elast.rst.next = self.rst.val();
        self.reads.clock.next = self.clock.val();
        self.reads.rst.next = self.rst.val();
        self.reads.bank.next = self.bank.q.val();
        BankReads::link(&mut self.lists, &mut self.reads.lists);
        // `next` is read speculatively (see Emit); only the read of the new `ej` is kept.
        self.reads.keep_next.next = self.ewait.q.val();
        self.ewait.d.next = false;
        self.ea8.next = self.em.q.val();
        self.eclr.next = false;
        self.next_raddr.next = self.ej.q.val();
        self.ebank.free.next = false;
        self.ev_out.valid.next = false;
        self.ev_out.eow.next = false;
        self.ev_out.err.next = false;
        self.ev_out.index.next = self.ej.q.val();
        self.ev_out.m.next = self.em.q.val();
        match self.state.q.val() {
            EmitState::Idle => {
                if self.ebank.full.val() & !self.link_pend.val() {
                    self.em.d.next = self.zero8.val();
                    self.em_last.d.next = self.m0_last.val();
                    self.state.d.next = EmitState::Read;
                }
            }
            EmitState::Read => {
                self.eclr.next = true;
                self.ewait.d.next = true;
                self.state.d.next = EmitState::Check;
            }
            EmitState::Check => {
                if !self.ewait.q.val() {
                    if self.reads.tail_nil.val() {
                        if self.em_last.q.val() {
                            self.state.d.next = EmitState::Eow;
                        } else {
                            self.em.d.next = self.em.q.val() + self.one8.val();
                            self.em_last.d.next = self.em.q.val() == self.last_m_m1.val();
                            self.ea8.next = self.em.q.val() + self.one8.val();
                            self.eclr.next = true;
                            self.ewait.d.next = true;
                        }
                    } else {
                        self.ej.d.next = self.reads.head.val();
                        self.next_raddr.next = self.reads.head.val();
                        self.elast.d.next = self.reads.tail.val();
                        self.ewait.d.next = true;
                        self.state.d.next = EmitState::Emit;
                    }
                }
            }
            EmitState::Emit => {
                if !self.ewait.q.val() {
                    self.ev_out.valid.next = true;
                    // Read `next[next[ej]]` whether or not the beat is taken.
                    self.next_raddr.next = self.reads.next_word.val();
                    if self.ev_out.ready.val() {
                        if self.ej.q.val() == self.elast.q.val() {
                            if self.em_last.q.val() {
                                self.state.d.next = EmitState::Eow;
                            } else {
                                // The next tick's head and tail are read (and its tail
                                // cleared) in Read, from registers only.
                                self.em.d.next = self.em.q.val() + self.one8.val();
                                self.em_last.d.next = self.em.q.val() == self.last_m_m1.val();
                                self.state.d.next = EmitState::Read;
                            }
                        } else {
                            self.ej.d.next = self.reads.next_word.val();
                            self.ewait.d.next = true;
                        }
                    }
                }
            }
            EmitState::Eow => {
                self.ev_out.valid.next = true;
                self.ev_out.eow.next = true;
                self.ev_out.err.next = self.ebank.err.val();
                self.ev_out.index.next = self.zero16.val();
                self.ev_out.m.next = self.zero8.val();
                if self.ev_out.ready.val() {
                    self.ebank.free.next = true;
                    self.bank.d.next = !self.bank.q.val();
                    self.state.d.next = EmitState::Idle;
                }
            }
        }
        self.ea_ext.x.next = self.ea8.val();
        self.ea.next = self.ea_ext.y.val();
        self.ebank.bank.next = self.bank.q.val();
    }
}
