//! `EncoderFraming`: the encoder's input handshake, feature count and bank flags.

use super::{BankOut, TakeOut};
use crate::prelude::*;
use crate::stream::FeatureIn;

/// The input side's framing state.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum FillState {
    /// After reset: both banks' tails are cleared, one tick per cycle (`s_ready` low).
    Init,
    /// Taking features into the free bank.
    Run,
    /// A sample ended without `s_last`: dropping input up to and including the next `s_last`.
    Drop,
}

/// Counts the features of each sample into one of two banks (the next sample streams in while
/// the other is emitted). The last feature, or `s_last`, fills the bank (`full`) with its
/// framing error (`err`: `s_last` before feature `n − 1`, early, or feature `n − 1` without
/// it, missing); after a missing `s_last` the input is dropped up to and including the next
/// `s_last`. The emitter frees a bank (`free`).
///
/// Ports: `clock`, `rst` (in); `s` ([`FeatureIn`]: the input stream, its value passed on);
/// `take` ([`TakeOut`]: feature `j` is taken into `bank` this cycle); `init`, `init_addr`
/// (out: the reset-time clear of a tick's tails); `full0/1` (out); `ebank` ([`BankOut`]: the
/// emitter's bank, full, its error, freed).
///
/// Latency: combinational handshake (`s_ready` from flip-flops only). Cost: a 2-bit state,
/// ~`16 + 8 + 5` flip-flops, a 16-bit counter.
#[derive(LogicBlock)]
pub struct EncoderFraming {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// The input stream (DESIGN §4): handshake and framing here, the value passed on.
    pub s: FeatureIn<16>,
    /// The feature taken this cycle, to the linker.
    pub take: TakeOut,
    /// Clear tick `init_addr`'s tails in both banks (after reset).
    pub init: Output<Bit>,
    pub init_addr: Output<Bits16>,
    /// The banks hold a whole sample.
    pub full0: Output<Bit>,
    pub full1: Output<Bit>,
    /// The emitter's bank: whether it is full and its framing error; the emitter frees it.
    pub ebank: BankOut,
    im_ext: ZeroExtend<8, 16>,
    /// The sample ends with this feature (`s_last`, or feature `n − 1`).
    ends: Wire<Bit>,
    bad: Wire<Bit>,
    state: RDff<FillState>,
    fbank: RDff<Bit>,
    j_r: RDff<Bits16>,
    init_m: RDff<Bits8>,
    full0_r: RDff<Bit>,
    full1_r: RDff<Bit>,
    err0_r: RDff<Bit>,
    err1_r: RDff<Bit>,
    last_j: Constant<Bits16>,
    one16: Constant<Bits16>,
    zero16: Constant<Bits16>,
    last_m: Constant<Bits8>,
    one8: Constant<Bits8>,
}

impl EncoderFraming {
    /// Framing of samples of `inputs` features, windows of `time_steps` ticks.
    pub fn new(inputs: usize, time_steps: u32) -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            s: FeatureIn::default(),
            take: TakeOut::default(),
            init: Signal::default(),
            init_addr: Signal::default(),
            full0: Signal::default(),
            full1: Signal::default(),
            ebank: BankOut::default(),
            im_ext: ZeroExtend::new(),
            ends: Signal::default(),
            bad: Signal::default(),
            state: RDff::new(FillState::Init),
            fbank: RDff::default(),
            j_r: RDff::default(),
            init_m: RDff::default(),
            full0_r: RDff::default(),
            full1_r: RDff::default(),
            err0_r: RDff::default(),
            err1_r: RDff::default(),
            last_j: Constant::new(bits(inputs as u64 - 1)),
            one16: Constant::new(bits(1)),
            zero16: Constant::new(bits(0)),
            last_m: Constant::new(bits(time_steps as u64 - 1)),
            one8: Constant::new(bits(1)),
        }
    }
}

impl Logic for EncoderFraming {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, fbank, j_r, init_m, full0_r, full1_r, err0_r, err1_r);
        self.state.rst.next = self.rst.val();
        self.fbank.rst.next = self.rst.val();
        self.j_r.rst.next = self.rst.val();
        self.init_m.rst.next = self.rst.val();
        self.full0_r.rst.next = self.rst.val();
        self.full1_r.rst.next = self.rst.val();
        self.err0_r.rst.next = self.rst.val();
        self.err1_r.rst.next = self.rst.val();
        self.im_ext.x.next = self.init_m.q.val();
        self.s.ready.next = false;
        match self.state.q.val() {
            FillState::Init => {
                self.init_m.d.next = self.init_m.q.val() + self.one8.val();
                if self.init_m.q.val() == self.last_m.val() {
                    self.state.d.next = FillState::Run;
                }
            }
            FillState::Run => {
                if self.fbank.q.val() {
                    self.s.ready.next = !self.full1_r.q.val();
                } else {
                    self.s.ready.next = !self.full0_r.q.val();
                }
            }
            FillState::Drop => {
                self.s.ready.next = true;
                if self.s.valid.val() & self.s.last.val() {
                    self.state.d.next = FillState::Run;
                }
            }
        }
        self.take.valid.next =
            self.s.valid.val() & self.s.ready.val() & (self.state.q.val() == FillState::Run);
        self.ends.next = self.s.last.val() | (self.j_r.q.val() == self.last_j.val());
        self.bad.next = !(self.s.last.val() & (self.j_r.q.val() == self.last_j.val()));
        if self.take.valid.val() {
            if self.ends.val() {
                self.j_r.d.next = self.zero16.val();
                self.fbank.d.next = !self.fbank.q.val();
                if self.fbank.q.val() {
                    self.full1_r.d.next = true;
                    self.err1_r.d.next = self.bad.val();
                } else {
                    self.full0_r.d.next = true;
                    self.err0_r.d.next = self.bad.val();
                }
                if !self.s.last.val() {
                    self.state.d.next = FillState::Drop;
                }
            } else {
                self.j_r.d.next = self.j_r.q.val() + self.one16.val();
            }
        }
        // A bank is never filled and freed in the same cycle: it fills only while empty.
        if self.ebank.free.val() & self.ebank.bank.val() {
            self.full1_r.d.next = false;
        }
        if self.ebank.free.val() & !self.ebank.bank.val() {
            self.full0_r.d.next = false;
        }
        self.take.bank.next = self.fbank.q.val();
        self.take.j.next = self.j_r.q.val();
        self.take.data.next = self.s.data.val();
        self.init.next = self.state.q.val() == FillState::Init;
        self.init_addr.next = self.im_ext.y.val();
        self.full0.next = self.full0_r.q.val();
        self.full1.next = self.full1_r.q.val();
        if self.ebank.bank.val() {
            self.ebank.full.next = self.full1_r.q.val();
            self.ebank.err.next = self.err1_r.q.val();
        } else {
            self.ebank.full.next = self.full0_r.q.val();
            self.ebank.err.next = self.err0_r.q.val();
        }
    }
}
