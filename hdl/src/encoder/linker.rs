//! `EncoderLinker`: appends each taken feature to the list of its spike tick.

use super::TakeIn;
use crate::prelude::*;

/// Encodes a taken feature `x_j` (DESIGN §2): `q0 = (x·T + 2^(b−1)) >> b` (shifts and an add
/// only) and, when `q0 > 0`, appends `j` to the list of tick `m = T − q0` in O(1): stage 1
/// writes the new tail (`tail[m] ← j`) while the old tail is read (forwarded when the previous
/// feature went to the same list); stage 2, a cycle later so that the tail memory's output
/// reaches a register before it addresses `next`, links it: `head[m] ← j` for an empty list,
/// else `next[old tail] ← j`.
///
/// Ports: `clock`, `rst` (in); `take` ([`TakeIn`]: the feature taken);
/// `tail0`, `tail1` (in: the banks' tail reads), `tail_raddr` (out); stage 1's tail write
/// `tw_valid`, `tw_bank`, `tw_addr`, `tw_data` (out); stage 2's link write `head_we0/1`,
/// `next_we0/1`, `lw_m`, `lw_prev`, `lw_j` (out); `ebank` (in), `link_pend` (out: a
/// link into the emitter's bank is still being written).
///
/// Latency: 2 cycles from a feature to its link. Cost: ~`4·16 + 8 + 7` flip-flops, a 32-bit
/// shift-add, an 8-bit subtract and an 8-bit compare.
#[derive(LogicBlock)]
pub struct EncoderLinker {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// The feature taken this cycle.
    pub take: TakeIn,
    /// The banks' tail reads and the tick this side reads.
    pub tail0: Input<Bits16>,
    pub tail1: Input<Bits16>,
    pub tail_raddr: Output<Bits16>,
    /// Stage 1's tail write (`tail[tw_addr] ← tw_data` in bank `tw_bank`).
    pub tw_valid: Output<Bit>,
    pub tw_bank: Output<Bit>,
    pub tw_addr: Output<Bits16>,
    pub tw_data: Output<Bits16>,
    /// Stage 2's link write, per bank: `head[lw_m] ← lw_j` (an empty list) or
    /// `next[lw_prev] ← lw_j`.
    pub head_we0: Output<Bit>,
    pub head_we1: Output<Bit>,
    pub next_we0: Output<Bit>,
    pub next_we1: Output<Bit>,
    pub lw_m: Output<Bits16>,
    pub lw_prev: Output<Bits16>,
    pub lw_j: Output<Bits16>,
    /// The emitter's bank, and whether a link into it is in flight.
    pub ebank: Input<Bit>,
    pub link_pend: Output<Bit>,
    x_ext: ZeroExtend<16, 32>,
    m_ext: ZeroExtend<8, 16>,
    s1m_ext: ZeroExtend<8, 16>,
    q32: Wire<Bits32>,
    m8: Wire<Bits8>,
    tail_prev: Wire<Bits16>,
    /// The old tail is the sentinel: the list was empty.
    empty: Wire<Bit>,
    s1_valid: RDff<Bit>,
    s1_bank: RDff<Bit>,
    s1_m: RDff<Bits8>,
    s1_j: RDff<Bits16>,
    s2_valid: RDff<Bit>,
    s2_bank: RDff<Bit>,
    s2_j: RDff<Bits16>,
    s2_m: RDff<Bits16>,
    s2_prev: RDff<Bits16>,
    fwd: RDff<Bit>,
    fwd_j: RDff<Bits16>,
    k_sh: Constant<Bits32>,
    b_sh: Constant<Bits32>,
    half: Constant<Bits32>,
    t8: Constant<Bits8>,
    zero32: Constant<Bits32>,
    /// `2^link_bits − 1`: a list word's stored bits (all ones: the empty-list sentinel).
    link_mask: Constant<Bits16>,
}

impl EncoderLinker {
    /// The linker for features of `input_bits` bits, windows of `time_steps` ticks and list
    /// words of `link_bits` bits.
    pub fn new(input_bits: u32, time_steps: u32, link_bits: usize) -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            take: TakeIn::default(),
            tail0: Signal::default(),
            tail1: Signal::default(),
            tail_raddr: Signal::default(),
            tw_valid: Signal::default(),
            tw_bank: Signal::default(),
            tw_addr: Signal::default(),
            tw_data: Signal::default(),
            head_we0: Signal::default(),
            head_we1: Signal::default(),
            next_we0: Signal::default(),
            next_we1: Signal::default(),
            lw_m: Signal::default(),
            lw_prev: Signal::default(),
            lw_j: Signal::default(),
            ebank: Signal::default(),
            link_pend: Signal::default(),
            x_ext: ZeroExtend::new(),
            m_ext: ZeroExtend::new(),
            s1m_ext: ZeroExtend::new(),
            q32: Signal::default(),
            m8: Signal::default(),
            tail_prev: Signal::default(),
            empty: Signal::default(),
            s1_valid: RDff::default(),
            s1_bank: RDff::default(),
            s1_m: RDff::default(),
            s1_j: RDff::default(),
            s2_valid: RDff::default(),
            s2_bank: RDff::default(),
            s2_j: RDff::default(),
            s2_m: RDff::default(),
            s2_prev: RDff::default(),
            fwd: RDff::default(),
            fwd_j: RDff::default(),
            k_sh: Constant::new(bits(time_steps.ilog2() as u64)),
            b_sh: Constant::new(bits(input_bits as u64)),
            half: Constant::new(bits(1u64 << (input_bits - 1))),
            // T mod 256: m = T − q0 is in 0..=255 for q0 ≥ 1, so 8-bit wrap-around is exact.
            t8: Constant::new(bits(time_steps as u64 & 0xff)),
            zero32: Constant::new(bits(0)),
            link_mask: Constant::new(bits((1u64 << link_bits) - 1)),
        }
    }
}

impl Logic for EncoderLinker {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, s1_valid, s1_bank, s1_m, s1_j, s2_valid, s2_bank, s2_j, s2_m, s2_prev,
            fwd, fwd_j
        );
        self.s1_valid.rst.next = self.rst.val();
        self.s1_bank.rst.next = self.rst.val();
        self.s1_m.rst.next = self.rst.val();
        self.s1_j.rst.next = self.rst.val();
        self.s2_valid.rst.next = self.rst.val();
        self.s2_bank.rst.next = self.rst.val();
        self.s2_j.rst.next = self.rst.val();
        self.s2_m.rst.next = self.rst.val();
        self.s2_prev.rst.next = self.rst.val();
        self.fwd.rst.next = self.rst.val();
        self.fwd_j.rst.next = self.rst.val();
        // q0 = (x·T + 2^(b−1)) >> b, m = T − q0.
        self.x_ext.x.next = self.take.data.val();
        self.q32.next =
            ((self.x_ext.y.val() << self.k_sh.val()) + self.half.val()) >> self.b_sh.val();
        self.m8.next = self.t8.val() - self.q32.val().get_bits::<8>(0);
        self.m_ext.x.next = self.m8.val();
        self.s1m_ext.x.next = self.s1_m.q.val();
        self.tail_raddr.next = self.m_ext.y.val();
        // Stage 1 (the cycle after the feature): write the new tail, read the old one.
        self.s1_valid.d.next = self.take.valid.val() & (self.q32.val() != self.zero32.val());
        self.s1_bank.d.next = self.take.bank.val();
        self.s1_m.d.next = self.m8.val();
        self.s1_j.d.next = self.take.j.val();
        self.fwd.d.next = self.s1_valid.q.val()
            & (self.s1_bank.q.val() == self.take.bank.val())
            & (self.s1_m.q.val() == self.m8.val());
        self.fwd_j.d.next = self.s1_j.q.val();
        if self.s1_bank.q.val() {
            self.tail_prev.next = self.tail1.val();
        } else {
            self.tail_prev.next = self.tail0.val();
        }
        if self.fwd.q.val() {
            self.tail_prev.next = self.fwd_j.q.val();
        }
        self.tw_valid.next = self.s1_valid.q.val();
        self.tw_bank.next = self.s1_bank.q.val();
        self.tw_addr.next = self.s1m_ext.y.val();
        self.tw_data.next = self.s1_j.q.val();
        // Stage 2: the link (the tail read last cycle is now in `s2_prev`).
        self.s2_valid.d.next = self.s1_valid.q.val();
        self.s2_bank.d.next = self.s1_bank.q.val();
        self.s2_j.d.next = self.s1_j.q.val();
        self.s2_m.d.next = self.s1m_ext.y.val();
        self.s2_prev.d.next = self.tail_prev.val() & self.link_mask.val();
        self.empty.next = self.s2_prev.q.val() == self.link_mask.val();
        self.head_we0.next = self.s2_valid.q.val() & !self.s2_bank.q.val() & self.empty.val();
        self.head_we1.next = self.s2_valid.q.val() & self.s2_bank.q.val() & self.empty.val();
        self.next_we0.next = self.s2_valid.q.val() & !self.s2_bank.q.val() & !self.empty.val();
        self.next_we1.next = self.s2_valid.q.val() & self.s2_bank.q.val() & !self.empty.val();
        self.lw_m.next = self.s2_m.q.val();
        self.lw_prev.next = self.s2_prev.q.val();
        self.lw_j.next = self.s2_j.q.val();
        self.link_pend.next = (self.s1_valid.q.val() & (self.s1_bank.q.val() == self.ebank.val()))
            | (self.s2_valid.q.val() & (self.s2_bank.q.val() == self.ebank.val()));
    }
}
