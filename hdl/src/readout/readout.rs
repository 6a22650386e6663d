//! `Readout`: the class of each sample from the last stage, one output beat per sample.

use crate::prelude::*;
use crate::prim::Fifo;
use crate::readout::Argmax;
use crate::stream::{ClassOut, EventIn, ZIn};

/// The readout of the last layer (DESIGN §2, §4; twin of `golden::snn::readout::ReadoutUnit`).
///
/// - potential readout (`first_spike = false`): consumes the last stage's `z` stream (one
///   `z_value` per neuron in index order, `z_last` on the last) and takes the [`Argmax`]
///   (lowest index on ties);
/// - first-spike readout (`first_spike = true`): consumes the last stage's event stream; the
///   class is the index of the first event, 0 when the sample has none (all silent).
///
/// Each sample's `(class, error)` is queued in a 4-entry [`Fifo`] in front of `m_*`, and the
/// inputs stall (`*_ready` low) while it is full: back-pressure, never a lost beat. The error
/// flag is the OR of `z_err` over the sample's beats (potential) or the eow's `ev_err`.
/// Both input streams are always present; the unused one is never made ready.
///
/// Ports: `clock`, `rst`; `z_in` ([`ZIn`]); `ev_in` ([`EventIn`], `m` ignored); `m`
/// ([`ClassOut`]: the class, `Bits<16>`, and the framing error of each sample).
///
/// Latency: potential, 3 cycles from the `z_last` beat to `m.valid`; first spike, 1 cycle
/// from the eow beat. One idle input cycle after each potential sample.
#[derive(LogicBlock)]
pub struct Readout<const ZW: usize> {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// Potential stream (potential readout): one `z` per neuron, `last` on the last.
    pub z_in: ZIn<ZW>,
    /// Event stream (first-spike readout; `m` is unused: the stream is in tick order).
    pub ev_in: EventIn,
    /// Class of each sample, in order.
    pub m: ClassOut,
    argmax: Argmax<ZW, 16>,
    fifo: Fifo<Bits<17>, 2>,
    z_take: Wire<Bit>,
    ev_take: Wire<Bit>,
    max_unused: Wire<Signed<ZW>>,
    m_unused: Wire<Bits8>,
    pend: RDff<Bit>,
    zerr_acc: RDff<Bit>,
    zerr_r: RDff<Bit>,
    seen: RDff<Bit>,
    cls: RDff<Bits16>,
    cls_ext: ZeroExtend<16, 17>,
    err_mux: Wire<Bit>,
    err_bit: Constant<Bits<17>>,
    fs: Constant<Bit>,
    zero16: Constant<Bits16>,
}

impl<const ZW: usize> Readout<ZW> {
    /// A readout; `first_spike` selects the event stream, else the potential stream.
    pub fn new(first_spike: bool) -> Self {
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            z_in: ZIn::default(),
            ev_in: EventIn::default(),
            m: ClassOut::default(),
            argmax: Argmax::new(),
            fifo: Fifo::new(),
            z_take: Signal::default(),
            ev_take: Signal::default(),
            max_unused: Signal::default(),
            m_unused: Signal::default(),
            pend: RDff::default(),
            zerr_acc: RDff::default(),
            zerr_r: RDff::default(),
            seen: RDff::default(),
            cls: RDff::default(),
            cls_ext: ZeroExtend::new(),
            err_mux: Signal::default(),
            err_bit: Constant::new(bits(1 << 16)),
            fs: Constant::new(first_spike),
            zero16: Constant::new(bits(0)),
        }
    }
}

impl<const ZW: usize> Logic for Readout<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, pend, zerr_acc, zerr_r, seen, cls);
        self.pend.rst.next = self.rst.val();
        self.zerr_acc.rst.next = self.rst.val();
        self.zerr_r.rst.next = self.rst.val();
        self.seen.rst.next = self.rst.val();
        self.cls.rst.next = self.rst.val();
        self.argmax.clock.next = self.clock.val();
        self.argmax.rst.next = self.rst.val();
        self.fifo.clock.next = self.clock.val();
        self.fifo.rst.next = self.rst.val();
        self.m_unused.next = self.ev_in.m.val();
        self.max_unused.next = self.argmax.max.val();

        // Potential: a sample's result reaches the FIFO the cycle after its last beat
        // (`argmax.done`); no beat is taken while that push is pending, so a free slot seen
        // at the last beat is still free for the push.
        self.z_in.ready.next = !self.fs.val() & self.fifo.s_ready.val() & !self.pend.q.val();
        self.z_take.next = self.z_in.valid.val() & self.z_in.ready.val();
        self.argmax.valid.next = self.z_take.val();
        self.argmax.value.next = self.z_in.value.val();
        self.argmax.last.next = self.z_in.last.val();
        self.pend.d.next = self.z_take.val() & self.z_in.last.val();
        if self.z_take.val() {
            self.zerr_acc.d.next =
                (self.zerr_acc.q.val() | self.z_in.err.val()) & !self.z_in.last.val();
            self.zerr_r.d.next = self.zerr_acc.q.val() | self.z_in.err.val();
        }

        // First spike: the first event's index; the eow pushes the result.
        self.ev_in.ready.next = self.fs.val() & (self.fifo.s_ready.val() | !self.ev_in.eow.val());
        self.ev_take.next = self.ev_in.valid.val() & self.ev_in.ready.val();
        if self.ev_take.val() {
            if self.ev_in.eow.val() {
                self.seen.d.next = false;
                self.cls.d.next = self.zero16.val();
            } else if !self.seen.q.val() {
                self.seen.d.next = true;
                self.cls.d.next = self.ev_in.index.val();
            }
        }

        if self.fs.val() {
            self.fifo.s_valid.next = self.ev_take.val() & self.ev_in.eow.val();
            self.cls_ext.x.next = self.cls.q.val();
            self.err_mux.next = self.ev_in.err.val();
        } else {
            self.fifo.s_valid.next = self.argmax.done.val();
            self.cls_ext.x.next = self.argmax.index.val();
            self.err_mux.next = self.zerr_r.q.val();
        }
        self.fifo.s_data.next = self.cls_ext.y.val();
        if self.err_mux.val() {
            self.fifo.s_data.next = self.cls_ext.y.val() | self.err_bit.val();
        }
        self.fifo.m_ready.next = self.m.ready.val();
        self.m.valid.next = self.fifo.m_valid.val();
        self.m.class.next = self.fifo.m_data.val().get_bits::<16>(0);
        self.m.error.next = self.fifo.m_data.val().get_bit(16);
    }
}
