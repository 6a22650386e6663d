//! `BeatQueue`: one bank's queue of input slots, with the room flag of a registered `s_ready`.

use crate::prelude::*;
use crate::prim::Fifo;

/// Entries of the queue (`2^QUEUE_BITS`): two in flight while the port's registered `s_ready`
/// catches up, two more so that a bank that takes a slot per cycle never sees it run dry.
const QUEUE_BITS: usize = 2;

/// A bank's queue of its slot of each input beat (DESIGN §4 revision 2), so that the banks of
/// the wide encoder take a beat each at its own pace instead of all in the same cycle.
///
/// Why: without queues a beat enters all banks in one cycle, so `s_ready` is the AND of every
/// bank's `ready` and the beat's `valid` fans back out into every bank's framing. On the
/// ECP5-85F with two encoder streams, whose eight banks place across the die, that loop was
/// the longest path (59.8 MHz against 75). With queues the core registers `s_ready`: high when
/// every queue had `room` in the cycle before, `room` meaning space for two more slots (one may
/// be pushed in that cycle and one in the next, before the register sees the counts). No path
/// then crosses the die twice in a cycle.
///
/// Ports:
/// - `clock`, `rst` (in): clock, synchronous active-high reset (empties the queue).
/// - `push` (in): the port's beat is taken this cycle (the core's registered `s_ready` and
///   `s_valid`); `data` (in, `Bits<16>`): this bank's slot of it; `last` (in): it closes a
///   sample.
/// - `room` (out): at most two slots are queued (registered count).
/// - `m` ([`FeatureOut`]-like, to the bank): `m_valid` (out), `m_ready` (in), `m_data` (out),
///   `m_last` (out): the oldest slot.
///
/// Latency: a slot pushed in cycle `c` is offered in `c + 1`. Throughput: a slot per cycle.
/// Cost: a 4 × 17-bit [`Fifo`] (distributed RAM), a 3-bit count.
#[derive(LogicBlock)]
pub struct BeatQueue {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// A beat is taken: push its slot.
    pub push: Input<Bit>,
    /// This bank's slot of the beat.
    pub data: Input<Bits16>,
    /// The beat closes a sample.
    pub last: Input<Bit>,
    /// The queue has room for two more slots.
    pub room: Output<Bit>,
    /// The oldest slot is offered.
    pub m_valid: Output<Bit>,
    /// The bank takes it.
    pub m_ready: Input<Bit>,
    /// Its value.
    pub m_data: Output<Bits16>,
    /// Its beat closed a sample.
    pub m_last: Output<Bit>,
    fifo: Fifo<Bits<17>, QUEUE_BITS>,
    ext: ZeroExtend<16, 17>,
    count: RDff<Bits<3>>,
    put: Wire<Bit>,
    pop: Wire<Bit>,
    last_bit: Wire<Bits<17>>,
    one3: Constant<Bits<3>>,
    /// Room for two while at most this many are queued.
    room_max: Constant<Bits<3>>,
    last17: Constant<Bits<17>>,
    zero17: Constant<Bits<17>>,
}

impl Default for BeatQueue {
    fn default() -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            push: Signal::default(),
            data: Signal::default(),
            last: Signal::default(),
            room: Signal::default(),
            m_valid: Signal::default(),
            m_ready: Signal::default(),
            m_data: Signal::default(),
            m_last: Signal::default(),
            fifo: Fifo::new(),
            ext: ZeroExtend::new(),
            count: RDff::default(),
            put: Signal::default(),
            pop: Signal::default(),
            last_bit: Signal::default(),
            one3: Constant::new(bits(1)),
            room_max: Constant::new(bits((1u64 << QUEUE_BITS) - 2)),
            last17: Constant::new(bits(1 << 16)),
            zero17: Constant::new(bits(0)),
        }
    }
}

impl Logic for BeatQueue {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, count);
        self.count.rst.next = self.rst.val();
        self.fifo.clock.next = self.clock.val();
        self.fifo.rst.next = self.rst.val();
        self.ext.x.next = self.data.val();
        self.last_bit.next = self.zero17.val();
        if self.last.val() {
            self.last_bit.next = self.last17.val();
        }
        // The core pushes only after `room`, so the queue is never full here; the guard keeps
        // the count and the queue in step even if it were.
        self.put.next = self.push.val() & self.fifo.s_ready.val();
        self.fifo.s_valid.next = self.put.val();
        self.fifo.s_data.next = self.ext.y.val() | self.last_bit.val();
        self.m_valid.next = self.fifo.m_valid.val();
        self.m_data.next = self.fifo.m_data.val().get_bits::<16>(0);
        self.m_last.next = self.fifo.m_data.val().get_bit(16);
        self.fifo.m_ready.next = self.m_ready.val();
        self.pop.next = self.fifo.m_valid.val() & self.m_ready.val();
        if self.put.val() & !self.pop.val() {
            self.count.d.next = self.count.q.val() + self.one3.val();
        }
        if self.pop.val() & !self.put.val() {
            self.count.d.next = self.count.q.val() - self.one3.val();
        }
        self.room.next = self.count.q.val() <= self.room_max.val();
    }
}
