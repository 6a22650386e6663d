//! `BeatPacker`: one feature byte per beat → beats of `K` features (the board link in front of
//! a core with `input_lanes = K`).

use crate::prelude::*;

/// Collects `K` feature bytes into one beat (DESIGN §4 revision 2: slot `k` in bits
/// `[8k, 8k + 8)`, lowest first) for a core that takes `K` features per cycle: the board's
/// UART delivers one byte at a time. A feature with `last` closes its beat early; the slots
/// after it read 0 (the padding of the beat that ends a sample must not spike, and 0 never
/// does), because every slot is cleared when its beat leaves.
///
/// Ports:
/// - `clock`, `rst` (in): clock, synchronous active-high reset (drops a partial beat).
/// - `s_valid`, `s_data` (`Bits8`), `s_last` (in), `s_ready` (out): one feature per beat.
/// - `m_valid`, `m_beat` (`Bits<64>`), `m_last` (out), `m_ready` (in): the wide beats.
///
/// Latency: the beat leaves the cycle after its last feature came in. Throughput: one feature
/// per cycle, a cycle more per beat (far above the UART's byte rate). Cost: `8·K + 64 + 2`
/// flip-flops (the one-hot slot pointer) and a write-enable per slot.
#[derive(LogicBlock)]
pub struct BeatPacker {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// A feature is offered.
    pub s_valid: Input<Bit>,
    /// Taken.
    pub s_ready: Output<Bit>,
    /// The feature.
    pub s_data: Input<Bits8>,
    /// Last feature of its sample.
    pub s_last: Input<Bit>,
    /// A beat is offered.
    pub m_valid: Output<Bit>,
    /// Taken.
    pub m_ready: Input<Bit>,
    /// `K` features, slot `k` in bits `[8k, 8k + 8)`.
    pub m_beat: Output<Bits<64>>,
    /// The beat holds its sample's last feature.
    pub m_last: Output<Bit>,
    /// `slots[i]` holds slot `K − 1 − i`, so that shifting the beat up by a byte per slot
    /// puts slot `k` at bits `8k`.
    slots: Vec<RDff<Bits8>>,
    /// One-hot: `slots[i]` takes the next feature (slot 0 is `slots[K − 1]`).
    pos: RDff<Bits8>,
    full: RDff<Bit>,
    last: RDff<Bit>,
    /// `m_beat` assembled: `acc[i + 1] = acc[i] << 8 | slots[i]`.
    acc: Vec<Wire<Bits<64>>>,
    wide: Vec<ZeroExtend<8, 64>>,
    first_pos: Constant<Bits8>,
    one8: Constant<Bits8>,
    eight: Constant<Bits8>,
    zero8: Constant<Bits8>,
    zero64: Constant<Bits<64>>,
    _k: usize,
    _kp1: usize,
}

impl BeatPacker {
    /// A packer of `lanes` (`2..=8`) features per beat.
    pub fn new(lanes: usize) -> Self {
        assert!((2..=8).contains(&lanes), "beat packer: {lanes} lanes");
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            s_valid: Signal::default(),
            s_ready: Signal::default(),
            s_data: Signal::default(),
            s_last: Signal::default(),
            m_valid: Signal::default(),
            m_ready: Signal::default(),
            m_beat: Signal::default(),
            m_last: Signal::default(),
            slots: (0..lanes).map(|_| RDff::default()).collect(),
            pos: RDff::new(bits(1 << (lanes - 1))),
            full: RDff::default(),
            last: RDff::default(),
            acc: (0..=lanes).map(|_| Signal::default()).collect(),
            wide: (0..lanes).map(|_| ZeroExtend::new()).collect(),
            first_pos: Constant::new(bits(1 << (lanes - 1))),
            one8: Constant::new(bits(1)),
            eight: Constant::new(bits(8)),
            zero8: Constant::new(bits(0)),
            zero64: Constant::new(bits(0)),
            _k: lanes,
            _kp1: lanes + 1,
        }
    }
}

impl Logic for BeatPacker {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, pos, full, last);
        self.pos.rst.next = self.rst.val();
        self.full.rst.next = self.rst.val();
        self.last.rst.next = self.rst.val();
        self.m_valid.next = self.full.q.val();
        self.m_last.next = self.last.q.val();
        self.s_ready.next = !self.full.q.val();
        self.acc[0].next = self.zero64.val();
        for k in 0..self._k {
            self.slots[k].clock.next = self.clock.val();
            self.slots[k].rst.next = self.rst.val();
            self.slots[k].d.next = self.slots[k].q.val();
            if self.full.q.val() & self.m_ready.val() {
                self.slots[k].d.next = self.zero8.val();
            }
            if self.s_valid.val() & !self.full.q.val() & self.pos.q.val().get_bit(k) {
                self.slots[k].d.next = self.s_data.val();
            }
            self.wide[k].x.next = self.slots[k].q.val();
            self.acc[k + 1].next = (self.acc[k].val() << self.eight.val()) | self.wide[k].y.val();
        }
        for k in self._k..self._kp1 {
            self.m_beat.next = self.acc[k].val();
        }
        if self.full.q.val() & self.m_ready.val() {
            self.full.d.next = false;
        }
        if self.s_valid.val() & !self.full.q.val() {
            if (self.pos.q.val() == self.one8.val()) | self.s_last.val() {
                self.full.d.next = true;
                self.last.d.next = self.s_last.val();
                self.pos.d.next = self.first_pos.val();
            } else {
                self.pos.d.next = self.pos.q.val() >> self.one8.val();
            }
        }
    }
}
