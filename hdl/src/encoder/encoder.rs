//! `Encoder`: layer 0 — raw input stream → `q0` → spike events bucket-sorted by tick.

use super::{BankOut, EncoderEmitter, EncoderFraming, EncoderLinker, TakeOut, VarRam};
use crate::prelude::*;
use crate::stream::{EventOut, FeatureIn};

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
/// without `s_last` (missing) flags the sample (`err` on its eow beat, its events are
/// still emitted); after a missing `s_last` the input is dropped up to and including the
/// next `s_last`.
///
/// Sub-blocks, one file each: [`EncoderFraming`] (handshake, feature count, bank flags),
/// [`EncoderLinker`] (`q0`, tick, list append), [`EncoderEmitter`] (list walk, events out);
/// the six list memories ([`VarRam`]) are wired here.
///
/// Ports:
/// - `clock`, `rst` (in).
/// - `s` ([`FeatureIn`]): the raw features (`x < 2^b`), `last` on a sample's last one.
/// - `ev_out` ([`EventOut`]): events (`index` = feature `j`, `m` = tick), then the sample's
///   eow beat (`err`: its framing error).
///
/// Cycles per sample (emit side): about `2·T + 2·events + ticks with events + 4` plus output
/// stalls (two cycles per tick and per event: every block RAM read is registered before it is
/// used, and no memory address depends on `ev_out.ready`); input side one feature per cycle.
#[derive(LogicBlock)]
pub struct Encoder {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// Raw features of each sample.
    pub s: FeatureIn<16>,
    /// Spike events of each sample in tick order, then its eow beat.
    pub ev_out: EventOut,
    framing: EncoderFraming,
    linker: EncoderLinker,
    emitter: EncoderEmitter,
    // Memories (bank 0, bank 1).
    head0: VarRam<Bits16>,
    head1: VarRam<Bits16>,
    tail0: VarRam<Bits16>,
    tail1: VarRam<Bits16>,
    next0: VarRam<Bits16>,
    next1: VarRam<Bits16>,
    nil: Constant<Bits16>,
}

impl Encoder {
    /// An encoder for samples of `inputs` features of `input_bits` bits (1..=16) and windows
    /// of `time_steps` ticks (a power of two in 2..=256).
    pub fn new(inputs: usize, input_bits: u32, time_steps: u32) -> Self {
        Self::with_lists(inputs, input_bits, time_steps, false)
    }

    /// [`Encoder::new`], with the `next` lists in LUT RAM when `lut_ram` (a wide encoder's
    /// banks on ECP5: `K` banks of `⌈N/K⌉` words each would each take two block RAMs).
    pub fn with_lists(inputs: usize, input_bits: u32, time_steps: u32, lut_ram: bool) -> Self {
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
        let t = time_steps as usize;
        let next = || {
            let ram = VarRam::narrow(inputs, link_bits, false);
            if lut_ram {
                ram.distributed()
            } else {
                ram
            }
        };
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            s: FeatureIn::default(),
            ev_out: EventOut::default(),
            framing: EncoderFraming::new(inputs, time_steps),
            linker: EncoderLinker::new(input_bits, time_steps, link_bits),
            emitter: EncoderEmitter::new(time_steps, link_bits),
            head0: VarRam::narrow(t, link_bits, false),
            head1: VarRam::narrow(t, link_bits, false),
            tail0: VarRam::narrow(t, link_bits, false),
            tail1: VarRam::narrow(t, link_bits, false),
            next0: next(),
            next1: next(),
            nil: Constant::new(bits(NIL)),
        }
    }
}

impl Logic for Encoder {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, framing, linker, emitter, head0, head1, tail0, tail1, next0, next1);
        self.framing.rst.next = self.rst.val();
        self.linker.rst.next = self.rst.val();
        self.emitter.rst.next = self.rst.val();
        EventOut::link(&mut self.ev_out, &mut self.emitter.ev_out);
        // Framing → linker; the emitter frees the banks.
        FeatureIn::<16>::link(&mut self.s, &mut self.framing.s);
        TakeOut::join(&mut self.framing.take, &mut self.linker.take);
        BankOut::join(&mut self.framing.ebank, &mut self.emitter.ebank);
        self.linker.tail0.next = self.tail0.rdata.val();
        self.linker.tail1.next = self.tail1.rdata.val();
        self.linker.ebank.next = self.emitter.ebank.bank.val();
        self.emitter.lists.head0.next = self.head0.rdata.val();
        self.emitter.lists.head1.next = self.head1.rdata.val();
        self.emitter.lists.tail0.next = self.tail0.rdata.val();
        self.emitter.lists.tail1.next = self.tail1.rdata.val();
        self.emitter.lists.next0.next = self.next0.rdata.val();
        self.emitter.lists.next1.next = self.next1.rdata.val();
        self.emitter.link_pend.next = self.linker.link_pend.val();
        // Reads: heads and nexts belong to the emitter; the tails of a full bank to the
        // emitter, else to the linker.
        self.head0.raddr.next = self.emitter.ea.val();
        self.head1.raddr.next = self.emitter.ea.val();
        self.next0.raddr.next = self.emitter.next_raddr.val();
        self.next1.raddr.next = self.emitter.next_raddr.val();
        self.tail0.raddr.next = self.linker.tail_raddr.val();
        if self.framing.full0.val() {
            self.tail0.raddr.next = self.emitter.ea.val();
        }
        self.tail1.raddr.next = self.linker.tail_raddr.val();
        if self.framing.full1.val() {
            self.tail1.raddr.next = self.emitter.ea.val();
        }
        // Links (stage 2): a head for an empty list, else the old tail's next.
        self.head0.we.next = self.linker.head_we0.val();
        self.head1.we.next = self.linker.head_we1.val();
        self.next0.we.next = self.linker.next_we0.val();
        self.next1.we.next = self.linker.next_we1.val();
        self.head0.waddr.next = self.linker.lw_m.val();
        self.head1.waddr.next = self.linker.lw_m.val();
        self.head0.wdata.next = self.linker.lw_j.val();
        self.head1.wdata.next = self.linker.lw_j.val();
        self.next0.waddr.next = self.linker.lw_prev.val();
        self.next1.waddr.next = self.linker.lw_prev.val();
        self.next0.wdata.next = self.linker.lw_j.val();
        self.next1.wdata.next = self.linker.lw_j.val();
        // Tail writes: the linker's (stage 1), else the reset-time clear, else the emitter's.
        self.tail0.we.next = self.emitter.eclr.val() & !self.emitter.ebank.bank.val();
        self.tail1.we.next = self.emitter.eclr.val() & self.emitter.ebank.bank.val();
        self.tail0.waddr.next = self.emitter.ea.val();
        self.tail1.waddr.next = self.emitter.ea.val();
        self.tail0.wdata.next = self.nil.val();
        self.tail1.wdata.next = self.nil.val();
        if self.framing.init.val() {
            self.tail0.we.next = true;
            self.tail1.we.next = true;
            self.tail0.waddr.next = self.framing.init_addr.val();
            self.tail1.waddr.next = self.framing.init_addr.val();
        }
        if self.linker.tw_valid.val() & !self.linker.tw_bank.val() {
            self.tail0.we.next = true;
            self.tail0.waddr.next = self.linker.tw_addr.val();
            self.tail0.wdata.next = self.linker.tw_data.val();
        }
        if self.linker.tw_valid.val() & self.linker.tw_bank.val() {
            self.tail1.we.next = true;
            self.tail1.waddr.next = self.linker.tw_addr.val();
            self.tail1.wdata.next = self.linker.tw_data.val();
        }
    }
}
