//! `EventQueue`: a FIFO of event-stream beats between a conv stage and the conv stage after it.

use crate::prelude::*;
use crate::prim::{PackedRam, ZeroExtend};
use crate::stream::{EventIn, EventOut};

/// A first-in first-out queue of `depth` (a power of two, `2..=2^16`) event-stream beats,
/// valid/ready on both sides, a push and a pop every cycle, synchronous reset; the layout of
/// [`crate::prim::Fifo`] (show-ahead: the read address is the next read pointer, a write to the
/// row being read bypassed through a register) with the depth a run-time parameter and the
/// beat packed in one [`PackedRam`] row of two 16-bit fields: the index, and `{err, eow, m}`.
///
/// Why it is there: a stage integrates its input events while the stage before it fires them,
/// so without a queue the two run in lock step. A conv stage's tick sweep sends nothing for
/// the ticks at which no neuron fires while the conv stage after it has several cycles of
/// kernel walk per event: in lock step the consumer idles through the empty ticks and
/// back-pressures the full ones (co-simulated: 10 790 cycles per sample for a stage the cost
/// model puts at 8 283). A queue of a few hundred beats banks the work of the full ticks, so
/// each stage runs at its own pace, as the cost model assumes (FINN sizes the FIFOs between
/// its layers for the same reason).
///
/// The head beat moves from the RAM into an output register, so `ev_out` comes from
/// flip-flops: the consumer's `ready` (which depends on the beat it is offered) reaches only the
/// read pointer, never a path from the RAM's output back to its address (75.6 MHz on the
/// ECP5-25F without the register, the critical path of the whole `mnist-cnn` design).
///
/// Ports: `clock`, `rst` (in); `ev_in` ([`EventIn`]: `ready` is "the RAM is not full");
/// `ev_out` ([`EventOut`], registered). Latency: a beat pushed in cycle `c` is offered in
/// cycle `c + 2`; a beat per cycle through. Capacity `depth + 1` beats. Cost: `depth × 32` RAM
/// bits (one ECP5 `DP16KD` at 512), ~110 flip-flops, two 16-bit incrementers.
#[derive(LogicBlock)]
pub struct EventQueue {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// Beats in.
    pub ev_in: EventIn,
    /// Beats out, in the order they came in.
    pub ev_out: EventOut,
    // Write side, then read side (the read address is the pointer, or the next one on a pop).
    wptr: RDff<Bits16>,
    push: Wire<Bit>,
    rptr: RDff<Bits16>,
    pop: Wire<Bit>,
    rd_addr: Wire<Bits16>,
    wnext: Wire<Bits16>,
    empty: RDff<Bit>,
    full: RDff<Bit>,
    bypass: RDff<Bit>,
    bypass_index: RDff<Bits16>,
    bypass_tag: RDff<Bits16>,
    /// The RAM's head beat's tag field `{err, eow, m}`, and the index.
    tag: Wire<Bits16>,
    head_index: Wire<Bits16>,
    /// The output register: a beat is offered, its index and tag.
    ov: RDff<Bit>,
    o_index: RDff<Bits16>,
    o_tag: RDff<Bits16>,
    /// The tag's bits above `err` (always 0; read so lint sees them used).
    unused_tag: Wire<Bit>,
    in_tag: Wire<Bits16>,
    m16: ZeroExtend<8, 16>,
    eow_bits: Wire<Bits16>,
    err_bits: Wire<Bits16>,
    ram: PackedRam<Bits16>,
    one: Constant<Bits16>,
    zero: Constant<Bits16>,
    eow_c: Constant<Bits16>,
    err_c: Constant<Bits16>,
    /// `depth − 1`: the pointers wrap at the depth.
    mask: Constant<Bits16>,
}

impl EventQueue {
    /// An empty queue of `depth` beats (a power of two, `2..=65536`).
    pub fn new(depth: usize) -> Self {
        assert!(
            depth.is_power_of_two() && (2..=1 << 16).contains(&depth),
            "event queue: depth {depth} is not a power of two in 2..=65536"
        );
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            ev_in: EventIn::default(),
            ev_out: EventOut::default(),
            wptr: RDff::default(),
            push: Signal::default(),
            rptr: RDff::default(),
            pop: Signal::default(),
            rd_addr: Signal::default(),
            wnext: Signal::default(),
            empty: RDff::new(true),
            full: RDff::default(),
            bypass: RDff::default(),
            bypass_index: RDff::default(),
            bypass_tag: RDff::default(),
            tag: Signal::default(),
            head_index: Signal::default(),
            ov: RDff::default(),
            o_index: RDff::default(),
            o_tag: RDff::default(),
            unused_tag: Signal::default(),
            in_tag: Signal::default(),
            m16: ZeroExtend::new(),
            eow_bits: Signal::default(),
            err_bits: Signal::default(),
            ram: PackedRam::new(2, depth, 16, false, false),
            one: Constant::new(bits(1)),
            zero: Constant::new(bits(0)),
            eow_c: Constant::new(bits(1 << 8)),
            err_c: Constant::new(bits(1 << 9)),
            mask: Constant::new(bits(depth as u64 - 1)),
        }
    }
}

impl Logic for EventQueue {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            wptr,
            rptr,
            empty,
            full,
            bypass,
            bypass_index,
            bypass_tag,
            ov,
            o_index,
            o_tag
        );
        self.ov.rst.next = self.rst.val();
        self.o_index.rst.next = self.rst.val();
        self.o_tag.rst.next = self.rst.val();
        self.wptr.rst.next = self.rst.val();
        self.rptr.rst.next = self.rst.val();
        self.empty.rst.next = self.rst.val();
        self.full.rst.next = self.rst.val();
        self.bypass.rst.next = self.rst.val();
        self.bypass_index.rst.next = self.rst.val();
        self.bypass_tag.rst.next = self.rst.val();
        self.ram.clock.next = self.clock.val();
        self.m16.x.next = self.ev_in.m.val();
        self.eow_bits.next = self.zero.val();
        if self.ev_in.eow.val() {
            self.eow_bits.next = self.eow_c.val();
        }
        self.err_bits.next = self.zero.val();
        if self.ev_in.err.val() {
            self.err_bits.next = self.err_c.val();
        }
        self.in_tag.next = self.m16.y.val() | self.eow_bits.val() | self.err_bits.val();
        self.push.next = self.ev_in.valid.val() & !self.full.q.val();
        // The RAM's head moves to the output register when that is free or being taken.
        self.pop.next = !self.empty.q.val() & (!self.ov.q.val() | self.ev_out.ready.val());
        self.wnext.next = (self.wptr.q.val() + self.one.val()) & self.mask.val();
        self.rd_addr.next = self.rptr.q.val();
        if self.pop.val() {
            self.rd_addr.next = (self.rptr.q.val() + self.one.val()) & self.mask.val();
        }
        self.ram.raddr.next = self.rd_addr.val();
        self.ram.we.next = self.push.val();
        self.ram.waddr.next = self.wptr.q.val();
        self.ram.wdata[0].next = self.ev_in.index.val();
        self.ram.wdata[1].next = self.in_tag.val();
        self.bypass.d.next = self.push.val() & (self.wptr.q.val() == self.rd_addr.val());
        self.bypass_index.d.next = self.ev_in.index.val();
        self.bypass_tag.d.next = self.in_tag.val();
        if self.push.val() {
            self.wptr.d.next = self.wnext.val();
        }
        if self.pop.val() {
            self.rptr.d.next = self.rd_addr.val();
        }
        if self.push.val() & !self.pop.val() {
            self.empty.d.next = false;
            self.full.d.next = self.wnext.val() == self.rptr.q.val();
        }
        if self.pop.val() & !self.push.val() {
            self.full.d.next = false;
            self.empty.d.next = self.rd_addr.val() == self.wptr.q.val();
        }
        self.ev_in.ready.next = !self.full.q.val();
        self.head_index.next = self.ram.rdata[0].val();
        self.tag.next = self.ram.rdata[1].val();
        if self.bypass.q.val() {
            self.head_index.next = self.bypass_index.q.val();
            self.tag.next = self.bypass_tag.q.val();
        }
        if self.pop.val() {
            self.ov.d.next = true;
            self.o_index.d.next = self.head_index.val();
            self.o_tag.d.next = self.tag.val();
        } else if self.ev_out.ready.val() {
            self.ov.d.next = false;
        }
        self.ev_out.valid.next = self.ov.q.val();
        self.ev_out.index.next = self.o_index.q.val();
        self.ev_out.m.next = self.o_tag.q.val().get_bits::<8>(0);
        self.ev_out.eow.next = self.o_tag.q.val().get_bit(8);
        self.ev_out.err.next = self.o_tag.q.val().get_bit(9);
        self.unused_tag.next = self.o_tag.q.val().get_bits::<6>(10).any();
    }
}
