//! `Encoder`: layer 0 — raw input stream → `q0` → spike events bucket-sorted by tick.

use super::VarRam;
use crate::prim::{RDff, ZeroExtend};
use rust_hdl::prelude::*;

/// Sentinel of an empty bucket list (`tail[m]`).
const NIL: u64 = 0xffff;

/// The input encoder (DESIGN §2, §5; twin of `golden::snn::encoder::Encoder` without the
/// always-on event, which each stage injects itself).
///
/// Each accepted feature `x_j` becomes `q0 = (x·T + 2^(b−1)) >> b` (shifts and an add only)
/// and, when `q0 > 0`, is appended to the bucket list of tick `m = T − q0` (`head[m]`,
/// `tail[m]`, `next[j]` in RAM: O(1) per feature, one feature per cycle, with forwarding of
/// the previous feature's tail). Two banks of lists: the next sample streams in while the
/// current one is emitted. Emission walks `m = 0..T`, each list in ascending `j`, then closes
/// the sample with one end-of-window beat; walking a tick resets its `tail` to empty, so a
/// bank is clean for reuse (after reset both banks are cleared in `T` cycles, `s_ready` low).
///
/// Framing: features are counted; `s_last` before feature `n − 1` (early) or feature `n − 1`
/// without `s_last` (missing) flags the sample (`out_err` on its eow beat, its events are
/// still emitted); after a missing `s_last` the input is dropped up to and including the
/// next `s_last`.
///
/// Ports:
/// - `clock`, `rst` (in).
/// - `s_valid` (in), `s_ready` (out), `s_data` (in, `Bits<16>`, `x < 2^b`), `s_last` (in).
/// - `out_valid` (out), `out_ready` (in), `out_index` (out, `Bits<16>`, feature `j`),
///   `out_m` (out, `Bits<8>`, tick), `out_eow` (out, end of the sample's window, no event),
///   `out_err` (out, on the eow beat: framing error).
///
/// Cycles per sample (emit side): about `2·T + 2·events + ticks with events + 4` plus output
/// stalls (two cycles per tick and per event: every block RAM read is registered before it is
/// used, and no memory address depends on `out_ready`); input side one feature per cycle.
#[derive(LogicBlock)]
pub struct Encoder {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset, active high.
    pub rst: Signal<In, Bit>,
    /// Input handshake: a feature is offered.
    pub s_valid: Signal<In, Bit>,
    /// Input handshake: the feature is taken.
    pub s_ready: Signal<Out, Bit>,
    /// Raw feature value `x` (low `input_bits` bits).
    pub s_data: Signal<In, Bits<16>>,
    /// Last feature of a sample.
    pub s_last: Signal<In, Bit>,
    /// An event (or eow) is offered.
    pub out_valid: Signal<Out, Bit>,
    /// The consumer takes it.
    pub out_ready: Signal<In, Bit>,
    /// Feature index of the event.
    pub out_index: Signal<Out, Bits<16>>,
    /// Tick of the event.
    pub out_m: Signal<Out, Bits<8>>,
    /// End of the sample's window (no event on this beat).
    pub out_eow: Signal<Out, Bit>,
    /// Framing error of the sample (on the eow beat).
    pub out_err: Signal<Out, Bit>,
    // Fill side.
    x_ext: ZeroExtend<16, 32>,
    m_ext: ZeroExtend<8, 16>,
    em_ext: ZeroExtend<8, 16>,
    im_ext: ZeroExtend<8, 16>,
    s1m_ext: ZeroExtend<8, 16>,
    q32: Signal<Local, Bits<32>>,
    m8: Signal<Local, Bits<8>>,
    nz: Signal<Local, Bit>,
    accept: Signal<Local, Bit>,
    tail_prev: Signal<Local, Bits<16>>,
    fstate: RDff<Bits<2>>,
    fbank: RDff<Bit>,
    j: RDff<Bits<16>>,
    init_m: RDff<Bits<8>>,
    s1_valid: RDff<Bit>,
    s1_bank: RDff<Bit>,
    s1_m: RDff<Bits<8>>,
    s1_j: RDff<Bits<16>>,
    /// Stage 2: the link write (`head[m]` or `next[tail]` ← `j`), a cycle after the tail
    /// read, so the tail memory's output reaches a register before it addresses `next`.
    s2_valid: RDff<Bit>,
    s2_bank: RDff<Bit>,
    s2_j: RDff<Bits<16>>,
    s2_m: RDff<Bits<16>>,
    s2_prev: RDff<Bits<16>>,
    fwd: RDff<Bit>,
    fwd_j: RDff<Bits<16>>,
    full0: RDff<Bit>,
    full1: RDff<Bit>,
    err0: RDff<Bit>,
    err1: RDff<Bit>,
    // Emit side.
    e_head: Signal<Local, Bits<16>>,
    e_tail: Signal<Local, Bits<16>>,
    e_next: Signal<Local, Bits<16>>,
    /// The bank's head / tail / next read, registered: the block RAM's clock-to-out and the
    /// route from it end at a flip-flop, not at the next read's address (the list walk's
    /// memory → memory loop was the ECP5 critical path).
    e_head_r: RDff<Bits<16>>,
    e_tail_r: RDff<Bits<16>>,
    e_next_r: RDff<Bits<16>>,
    /// `e_tail_r` is the empty-list sentinel, registered beside it: E_CHK's choice of the next
    /// tick's address starts at a flip-flop, not at a 16-bit compare (an ECP5 critical path).
    e_tail_nil: RDff<Bit>,
    /// `em == T − 1`, kept beside `em` for the same reason.
    em_last: RDff<Bit>,
    /// The registered read is not yet that of the current `em` / `ej` (the cycle after
    /// either changed).
    ewait: RDff<Bit>,
    /// A link of the emitting bank is still being written (stage 2): emission waits.
    link_pend: Signal<Local, Bit>,
    e_full: Signal<Local, Bit>,
    e_err: Signal<Local, Bit>,
    ea: Signal<Local, Bits<8>>,
    eclr: Signal<Local, Bit>,
    enext_addr: Signal<Local, Bits<16>>,
    estate: RDff<Bits<3>>,
    ebank: RDff<Bit>,
    em: RDff<Bits<8>>,
    ej: RDff<Bits<16>>,
    elast: RDff<Bits<16>>,
    // Memories (bank 0, bank 1).
    head0: VarRam<Bits<16>>,
    head1: VarRam<Bits<16>>,
    tail0: VarRam<Bits<16>>,
    tail1: VarRam<Bits<16>>,
    next0: VarRam<Bits<16>>,
    next1: VarRam<Bits<16>>,
    // Constants.
    k_sh: Constant<Bits<32>>,
    b_sh: Constant<Bits<32>>,
    half: Constant<Bits<32>>,
    t8: Constant<Bits<8>>,
    zero32: Constant<Bits<32>>,
    last_j: Constant<Bits<16>>,
    one16: Constant<Bits<16>>,
    zero16: Constant<Bits<16>>,
    nil: Constant<Bits<16>>,
    /// `2^link_bits − 1`: a list word's stored bits. The registered reads keep only these
    /// (a stored all-ones word is the empty-list sentinel), so the memories' sentinel
    /// widening is not between a block RAM and its register.
    link_mask: Constant<Bits<16>>,
    last_m: Constant<Bits<8>>,
    /// `T − 2`: `em + 1` is the last tick.
    last_m_m1: Constant<Bits<8>>,
    /// Tick 0 is the last (`T = 1`).
    m0_last: Constant<Bit>,
    one8: Constant<Bits<8>>,
    zero8: Constant<Bits<8>>,
    f_init: Constant<Bits<2>>,
    f_run: Constant<Bits<2>>,
    f_drop: Constant<Bits<2>>,
    e_idle: Constant<Bits<3>>,
    e_rd: Constant<Bits<3>>,
    e_chk: Constant<Bits<3>>,
    e_emit: Constant<Bits<3>>,
    e_eow: Constant<Bits<3>>,
}

impl Encoder {
    /// An encoder for samples of `inputs` features of `input_bits` bits (1..=16) and windows
    /// of `time_steps` ticks (a power of two in 2..=256).
    pub fn new(inputs: usize, input_bits: u32, time_steps: u32) -> Self {
        assert!(
            (1..0xffff).contains(&inputs),
            "encoder: inputs {inputs} not in 1..65535"
        );
        assert!(
            (1..=16).contains(&input_bits),
            "encoder: input_bits {input_bits}"
        );
        assert!(
            time_steps.is_power_of_two() && (2..=256).contains(&time_steps),
            "encoder: T = {time_steps}"
        );
        // List links hold a feature index `0..inputs` or the all-ones sentinel NIL: the
        // narrowest width whose all-ones value is above every index.
        let link_bits = (usize::BITS - inputs.leading_zeros()) as usize;
        // The per-tick heads and tails are tiny (T words) but stay in block RAM: in flip-flops
        // they cost ~1300 iCE40 LCs (4 × T × link_bits registers and their read muxes).
        let k = time_steps.ilog2() as u64;
        let t = time_steps as usize;
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            s_valid: Signal::default(),
            s_ready: Signal::default(),
            s_data: Signal::default(),
            s_last: Signal::default(),
            out_valid: Signal::default(),
            out_ready: Signal::default(),
            out_index: Signal::default(),
            out_m: Signal::default(),
            out_eow: Signal::default(),
            out_err: Signal::default(),
            x_ext: ZeroExtend::new(),
            m_ext: ZeroExtend::new(),
            em_ext: ZeroExtend::new(),
            im_ext: ZeroExtend::new(),
            s1m_ext: ZeroExtend::new(),
            q32: Signal::default(),
            m8: Signal::default(),
            nz: Signal::default(),
            accept: Signal::default(),
            tail_prev: Signal::default(),
            fstate: RDff::default(),
            fbank: RDff::default(),
            j: RDff::default(),
            init_m: RDff::default(),
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
            full0: RDff::default(),
            full1: RDff::default(),
            err0: RDff::default(),
            err1: RDff::default(),
            e_head: Signal::default(),
            e_tail: Signal::default(),
            e_next: Signal::default(),
            e_head_r: RDff::default(),
            e_tail_r: RDff::default(),
            e_next_r: RDff::default(),
            e_tail_nil: RDff::default(),
            em_last: RDff::new(time_steps == 1),
            ewait: RDff::default(),
            link_pend: Signal::default(),
            e_full: Signal::default(),
            e_err: Signal::default(),
            ea: Signal::default(),
            eclr: Signal::default(),
            enext_addr: Signal::default(),
            estate: RDff::default(),
            ebank: RDff::default(),
            em: RDff::default(),
            ej: RDff::default(),
            elast: RDff::default(),
            head0: VarRam::narrow(t, link_bits, false),
            head1: VarRam::narrow(t, link_bits, false),
            tail0: VarRam::narrow(t, link_bits, false),
            tail1: VarRam::narrow(t, link_bits, false),
            next0: VarRam::narrow(inputs, link_bits, false),
            next1: VarRam::narrow(inputs, link_bits, false),
            k_sh: Constant::new(bits(k)),
            b_sh: Constant::new(bits(input_bits as u64)),
            half: Constant::new(bits(1u64 << (input_bits - 1))),
            // T mod 256: m = T − q0 is in 0..=255 for q0 ≥ 1, so 8-bit wrap-around is exact.
            t8: Constant::new(bits(time_steps as u64 & 0xff)),
            zero32: Constant::new(bits(0)),
            last_j: Constant::new(bits(inputs as u64 - 1)),
            one16: Constant::new(bits(1)),
            zero16: Constant::new(bits(0)),
            nil: Constant::new(bits(NIL)),
            link_mask: Constant::new(bits((1u64 << link_bits) - 1)),
            last_m: Constant::new(bits(time_steps as u64 - 1)),
            last_m_m1: Constant::new(bits((time_steps as u64).saturating_sub(2))),
            m0_last: Constant::new(time_steps == 1),
            one8: Constant::new(bits(1)),
            zero8: Constant::new(bits(0)),
            f_init: Constant::new(bits(0)),
            f_run: Constant::new(bits(1)),
            f_drop: Constant::new(bits(2)),
            e_idle: Constant::new(bits(0)),
            e_rd: Constant::new(bits(1)),
            e_chk: Constant::new(bits(2)),
            e_emit: Constant::new(bits(3)),
            e_eow: Constant::new(bits(5)),
        }
    }
}

impl Logic for Encoder {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, fstate, fbank, j, init_m, s1_valid, s1_bank, s1_m, s1_j, fwd, fwd_j,
            full0, full1, err0, err1, estate, ebank, em, ej, elast, e_head_r, e_tail_r, e_next_r,
            e_tail_nil, em_last, ewait, s2_valid, s2_bank, s2_j, s2_m, s2_prev
        );
        self.e_head_r.rst.next = self.rst.val();
        self.e_tail_r.rst.next = self.rst.val();
        self.e_next_r.rst.next = self.rst.val();
        self.e_tail_nil.rst.next = self.rst.val();
        self.em_last.rst.next = self.rst.val();
        self.ewait.rst.next = self.rst.val();
        self.s2_valid.rst.next = self.rst.val();
        self.s2_bank.rst.next = self.rst.val();
        self.s2_j.rst.next = self.rst.val();
        self.s2_m.rst.next = self.rst.val();
        self.s2_prev.rst.next = self.rst.val();
        self.fstate.rst.next = self.rst.val();
        self.fbank.rst.next = self.rst.val();
        self.j.rst.next = self.rst.val();
        self.init_m.rst.next = self.rst.val();
        self.s1_valid.rst.next = self.rst.val();
        self.s1_bank.rst.next = self.rst.val();
        self.s1_m.rst.next = self.rst.val();
        self.s1_j.rst.next = self.rst.val();
        self.fwd.rst.next = self.rst.val();
        self.fwd_j.rst.next = self.rst.val();
        self.full0.rst.next = self.rst.val();
        self.full1.rst.next = self.rst.val();
        self.err0.rst.next = self.rst.val();
        self.err1.rst.next = self.rst.val();
        self.estate.rst.next = self.rst.val();
        self.ebank.rst.next = self.rst.val();
        self.em.rst.next = self.rst.val();
        self.ej.rst.next = self.rst.val();
        self.elast.rst.next = self.rst.val();
        self.head0.clock.next = self.clock.val();
        self.head1.clock.next = self.clock.val();
        self.tail0.clock.next = self.clock.val();
        self.tail1.clock.next = self.clock.val();
        self.next0.clock.next = self.clock.val();
        self.next1.clock.next = self.clock.val();

        // ---- Fill side: q0 = (x·T + 2^(b−1)) >> b, m = T − q0.
        self.x_ext.x.next = self.s_data.val();
        self.q32.next =
            ((self.x_ext.y.val() << self.k_sh.val()) + self.half.val()) >> self.b_sh.val();
        self.m8.next = self.t8.val() - self.q32.val().get_bits::<8>(0);
        self.nz.next = self.q32.val() != self.zero32.val();
        self.m_ext.x.next = self.m8.val();
        self.im_ext.x.next = self.init_m.q.val();
        self.s1m_ext.x.next = self.s1_m.q.val();

        self.s_ready.next = false;
        if self.fstate.q.val() == self.f_run.val() {
            if self.fbank.q.val() {
                self.s_ready.next = !self.full1.q.val();
            } else {
                self.s_ready.next = !self.full0.q.val();
            }
        }
        if self.fstate.q.val() == self.f_drop.val() {
            self.s_ready.next = true;
        }
        self.accept.next =
            self.s_valid.val() & self.s_ready.val() & (self.fstate.q.val() == self.f_run.val());

        if self.fstate.q.val() == self.f_init.val() {
            self.init_m.d.next = self.init_m.q.val() + self.one8.val();
            if self.init_m.q.val() == self.last_m.val() {
                self.fstate.d.next = self.f_run.val();
            }
        }
        if (self.fstate.q.val() == self.f_drop.val()) & self.s_valid.val() & self.s_last.val() {
            self.fstate.d.next = self.f_run.val();
        }
        if self.accept.val() {
            if self.s_last.val() | (self.j.q.val() == self.last_j.val()) {
                self.j.d.next = self.zero16.val();
                self.fbank.d.next = !self.fbank.q.val();
                if self.fbank.q.val() {
                    self.full1.d.next = true;
                    self.err1.d.next = !(self.s_last.val() & (self.j.q.val() == self.last_j.val()));
                } else {
                    self.full0.d.next = true;
                    self.err0.d.next = !(self.s_last.val() & (self.j.q.val() == self.last_j.val()));
                }
                if !self.s_last.val() {
                    self.fstate.d.next = self.f_drop.val();
                }
            } else {
                self.j.d.next = self.j.q.val() + self.one16.val();
            }
        }
        // Stage 1 (the cycle after the feature): link it into its tick's list.
        self.s1_valid.d.next = self.accept.val() & self.nz.val();
        self.s1_bank.d.next = self.fbank.q.val();
        self.s1_m.d.next = self.m8.val();
        self.s1_j.d.next = self.j.q.val();
        self.fwd.d.next = self.s1_valid.q.val()
            & (self.s1_bank.q.val() == self.fbank.q.val())
            & (self.s1_m.q.val() == self.m8.val());
        self.fwd_j.d.next = self.s1_j.q.val();
        if self.s1_bank.q.val() {
            self.tail_prev.next = self.tail1.rdata.val();
        } else {
            self.tail_prev.next = self.tail0.rdata.val();
        }
        if self.fwd.q.val() {
            self.tail_prev.next = self.fwd_j.q.val();
        }

        // ---- Emit side. `ea` is the tick whose head/tail are read (and tail cleared when
        // `eclr`) this cycle; `enext_addr` the next-pointer read, so that in E_EMIT `e_next`
        // is always `next[ej]` (one event per cycle, one cycle per empty tick).
        if self.ebank.q.val() {
            self.e_head.next = self.head1.rdata.val();
            self.e_tail.next = self.tail1.rdata.val();
            self.e_next.next = self.next1.rdata.val();
            self.e_full.next = self.full1.q.val();
            self.e_err.next = self.err1.q.val();
        } else {
            self.e_head.next = self.head0.rdata.val();
            self.e_tail.next = self.tail0.rdata.val();
            self.e_next.next = self.next0.rdata.val();
            self.e_full.next = self.full0.q.val();
            self.e_err.next = self.err0.q.val();
        }
        self.e_head_r.d.next = self.e_head.val() & self.link_mask.val();
        self.e_tail_r.d.next = self.e_tail.val() & self.link_mask.val();
        self.e_tail_nil.d.next = (self.e_tail.val() & self.link_mask.val()) == self.link_mask.val();
        // `next` is read speculatively (see E_EMIT); only the read of the new `ej` is kept.
        if self.ewait.q.val() {
            self.e_next_r.d.next = self.e_next.val() & self.link_mask.val();
        }
        self.ewait.d.next = false;
        self.link_pend.next = (self.s1_valid.q.val()
            & (self.s1_bank.q.val() == self.ebank.q.val()))
            | (self.s2_valid.q.val() & (self.s2_bank.q.val() == self.ebank.q.val()));
        self.ea.next = self.em.q.val();
        self.eclr.next = false;
        self.enext_addr.next = self.ej.q.val();
        self.out_valid.next = false;
        self.out_eow.next = false;
        self.out_err.next = false;
        self.out_index.next = self.ej.q.val();
        self.out_m.next = self.em.q.val();
        // Every read that the next decision depends on is issued one cycle, registered the
        // next, used the one after (`ewait` covers the cycle in between): two cycles per tick
        // and per event.
        if (self.estate.q.val() == self.e_idle.val()) & self.e_full.val() & !self.link_pend.val() {
            self.em.d.next = self.zero8.val();
            self.em_last.d.next = self.m0_last.val();
            self.estate.d.next = self.e_rd.val();
        }
        if self.estate.q.val() == self.e_rd.val() {
            self.eclr.next = true;
            self.ewait.d.next = true;
            self.estate.d.next = self.e_chk.val();
        }
        if (self.estate.q.val() == self.e_chk.val()) & !self.ewait.q.val() {
            if self.e_tail_nil.q.val() {
                if self.em_last.q.val() {
                    self.estate.d.next = self.e_eow.val();
                } else {
                    self.em.d.next = self.em.q.val() + self.one8.val();
                    self.em_last.d.next = self.em.q.val() == self.last_m_m1.val();
                    self.ea.next = self.em.q.val() + self.one8.val();
                    self.eclr.next = true;
                    self.ewait.d.next = true;
                }
            } else {
                self.ej.d.next = self.e_head_r.q.val();
                self.enext_addr.next = self.e_head_r.q.val();
                self.elast.d.next = self.e_tail_r.q.val();
                self.ewait.d.next = true;
                self.estate.d.next = self.e_emit.val();
            }
        }
        if (self.estate.q.val() == self.e_emit.val()) & !self.ewait.q.val() {
            self.out_valid.next = true;
            // Read `next[next[ej]]` whether or not the beat is taken: no memory address
            // waits on the next stage's handshake.
            self.enext_addr.next = self.e_next_r.q.val();
            if self.out_ready.val() {
                if self.ej.q.val() == self.elast.q.val() {
                    if self.em_last.q.val() {
                        self.estate.d.next = self.e_eow.val();
                    } else {
                        // The next tick's head and tail are read (and its tail cleared) in
                        // E_RD, from registers only.
                        self.em.d.next = self.em.q.val() + self.one8.val();
                        self.em_last.d.next = self.em.q.val() == self.last_m_m1.val();
                        self.estate.d.next = self.e_rd.val();
                    }
                } else {
                    self.ej.d.next = self.e_next_r.q.val();
                    self.ewait.d.next = true;
                }
            }
        }
        if self.estate.q.val() == self.e_eow.val() {
            self.out_valid.next = true;
            self.out_eow.next = true;
            self.out_err.next = self.e_err.val();
            self.out_index.next = self.zero16.val();
            self.out_m.next = self.zero8.val();
            if self.out_ready.val() {
                if self.ebank.q.val() {
                    self.full1.d.next = false;
                } else {
                    self.full0.d.next = false;
                }
                self.ebank.d.next = !self.ebank.q.val();
                self.estate.d.next = self.e_idle.val();
            }
        }

        self.em_ext.x.next = self.ea.val();
        // ---- Memory ports. Reads of a full bank belong to the emitter, else to the filler.
        self.head0.raddr.next = self.em_ext.y.val();
        self.head1.raddr.next = self.em_ext.y.val();
        self.next0.raddr.next = self.enext_addr.val();
        self.next1.raddr.next = self.enext_addr.val();
        self.tail0.raddr.next = self.m_ext.y.val();
        if self.full0.q.val() {
            self.tail0.raddr.next = self.em_ext.y.val();
        }
        self.tail1.raddr.next = self.m_ext.y.val();
        if self.full1.q.val() {
            self.tail1.raddr.next = self.em_ext.y.val();
        }
        self.head0.we.next = false;
        self.head1.we.next = false;
        self.next0.we.next = false;
        self.next1.we.next = false;
        self.head0.waddr.next = self.s2_m.q.val();
        self.head1.waddr.next = self.s2_m.q.val();
        self.head0.wdata.next = self.s2_j.q.val();
        self.head1.wdata.next = self.s2_j.q.val();
        self.next0.waddr.next = self.s2_prev.q.val();
        self.next1.waddr.next = self.s2_prev.q.val();
        self.next0.wdata.next = self.s2_j.q.val();
        self.next1.wdata.next = self.s2_j.q.val();
        // Tail writes: the filler's link, else the reset-time clear, else the emitter's clear.
        self.tail0.we.next = false;
        self.tail1.we.next = false;
        self.tail0.waddr.next = self.em_ext.y.val();
        self.tail1.waddr.next = self.em_ext.y.val();
        self.tail0.wdata.next = self.nil.val();
        self.tail1.wdata.next = self.nil.val();
        if self.eclr.val() & !self.ebank.q.val() {
            self.tail0.we.next = true;
        }
        if self.eclr.val() & self.ebank.q.val() {
            self.tail1.we.next = true;
        }
        if self.fstate.q.val() == self.f_init.val() {
            self.tail0.we.next = true;
            self.tail1.we.next = true;
            self.tail0.waddr.next = self.im_ext.y.val();
            self.tail1.waddr.next = self.im_ext.y.val();
        }
        if self.s1_valid.q.val() {
            if self.s1_bank.q.val() {
                self.tail1.we.next = true;
                self.tail1.waddr.next = self.s1m_ext.y.val();
                self.tail1.wdata.next = self.s1_j.q.val();
            } else {
                self.tail0.we.next = true;
                self.tail0.waddr.next = self.s1m_ext.y.val();
                self.tail0.wdata.next = self.s1_j.q.val();
            }
        }
        // Stage 2: the link (the tail read last cycle is now in `s2_prev`).
        self.s2_valid.d.next = self.s1_valid.q.val();
        self.s2_bank.d.next = self.s1_bank.q.val();
        self.s2_j.d.next = self.s1_j.q.val();
        self.s2_m.d.next = self.s1m_ext.y.val();
        self.s2_prev.d.next = self.tail_prev.val() & self.link_mask.val();
        if self.s2_valid.q.val() {
            if self.s2_bank.q.val() {
                if self.s2_prev.q.val() == self.link_mask.val() {
                    self.head1.we.next = true;
                } else {
                    self.next1.we.next = true;
                }
            } else if self.s2_prev.q.val() == self.link_mask.val() {
                self.head0.we.next = true;
            } else {
                self.next0.we.next = true;
            }
        }
    }
}
