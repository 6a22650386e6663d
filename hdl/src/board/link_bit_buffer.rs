//! `LinkBitBuffer`: the link framer's bit buffer — 7-bit payload bytes in, `value_bits`-bit
//! values out.

use crate::board::check_param;
use crate::prelude::*;

/// A 16-bit buffer that payload bytes enter (their low 7 bits, above the bits it holds) and
/// values of `value_bits` bits leave (from the bottom). One operation per cycle, by priority:
/// `clear` empties it; `push` inserts `data`; `pop` removes one value, and with `pop_rest`
/// also drops what is left (a sample's padding bits after its last value). The framer never
/// pushes and pops in one cycle (a value leaves only in a cycle with no byte).
///
/// `has_value` (it holds at least `value_bits` bits) and `full` (it holds more than `16 − 7`:
/// no room for a byte) come from registers, computed from the bit count's next value: the
/// framer's emit decision and overflow verdict then start at flip-flops (iCEBreaker and
/// ULX3S: both compares after the bit count were the board's longest paths).
///
/// Ports: `clock`, `rst` (in); `clear`, `push`, `data` (`Bits<8>`), `pop`, `pop_rest` (in);
/// `value` (out, `Bits<8>`: the buffer's low 8 bits, masked to `value_bits`), `has_value`,
/// `full` (out).
///
/// Latency: a pushed byte's bits count in `has_value` / `full` the next cycle. Cost: 34
/// flip-flops (16-bit buffer, 16-bit count, two compares), a 16-bit shifter for the insert
/// and one for the pop.
#[derive(LogicBlock)]
pub struct LinkBitBuffer {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// Empty the buffer.
    pub clear: Input<Bit>,
    /// Insert `data`'s low 7 bits above the bits held.
    pub push: Input<Bit>,
    pub data: Input<Bits8>,
    /// Remove the bottom value; with `pop_rest`, everything.
    pub pop: Input<Bit>,
    pub pop_rest: Input<Bit>,
    /// The bottom value.
    pub value: Output<Bits8>,
    /// At least one value is held.
    pub has_value: Output<Bit>,
    /// No room for another byte.
    pub full: Output<Bit>,
    b16: ZeroExtend<8, 16>,
    bitbuf: RDff<Bits16>,
    nbits: RDff<Bits16>,
    has_value_r: RDff<Bit>,
    full_r: RDff<Bit>,
    vb: Constant<Bits16>,
    vmask: Constant<Bits8>,
    room: Constant<Bits16>,
    seven16: Constant<Bits16>,
    zero16: Constant<Bits16>,
    low7: Constant<Bits8>,
}

impl LinkBitBuffer {
    /// The buffer for values of `value_bits` bits (1 to 8).
    pub fn new(value_bits: usize) -> Self {
        check_param("link bit buffer", "value_bits", value_bits, 1..=8);
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            clear: Signal::default(),
            push: Signal::default(),
            data: Signal::default(),
            pop: Signal::default(),
            pop_rest: Signal::default(),
            value: Signal::default(),
            has_value: Signal::default(),
            full: Signal::default(),
            b16: ZeroExtend::new(),
            bitbuf: RDff::default(),
            nbits: RDff::default(),
            has_value_r: RDff::default(),
            full_r: RDff::default(),
            vb: Constant::new(bits(value_bits as u64)),
            vmask: Constant::new(bits((1u64 << value_bits) - 1)),
            room: Constant::new(bits(16 - 7)),
            seven16: Constant::new(bits(7)),
            zero16: Constant::new(bits(0)),
            low7: Constant::new(bits(0x7f)),
        }
    }
}

impl Logic for LinkBitBuffer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, bitbuf, nbits, has_value_r, full_r);
        self.bitbuf.rst.next = self.rst.val();
        self.nbits.rst.next = self.rst.val();
        self.has_value_r.rst.next = self.rst.val();
        self.full_r.rst.next = self.rst.val();
        self.b16.x.next = self.data.val() & self.low7.val();
        self.value.next = self.bitbuf.q.val().get_bits::<8>(0) & self.vmask.val();
        self.has_value.next = self.has_value_r.q.val();
        self.full.next = self.full_r.q.val();
        if self.clear.val() {
            self.bitbuf.d.next = self.zero16.val();
            self.nbits.d.next = self.zero16.val();
        } else if self.push.val() {
            // The insert's shift starts at the registered count, not behind a pop.
            self.bitbuf.d.next = self.bitbuf.q.val() | (self.b16.y.val() << self.nbits.q.val());
            self.nbits.d.next = self.nbits.q.val() + self.seven16.val();
        } else if self.pop.val() {
            if self.pop_rest.val() {
                self.bitbuf.d.next = self.zero16.val();
                self.nbits.d.next = self.zero16.val();
            } else {
                self.bitbuf.d.next = self.bitbuf.q.val() >> self.vb.val();
                self.nbits.d.next = self.nbits.q.val() - self.vb.val();
            }
        }
        self.has_value_r.d.next = self.nbits.d.val() >= self.vb.val();
        self.full_r.d.next = self.nbits.d.val() > self.room.val();
    }
}
