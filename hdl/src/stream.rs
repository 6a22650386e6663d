//! The streams between blocks (DESIGN §5), as rust-hdl interfaces: a sender's side and a
//! receiver's side of each, joined in one statement (`EventOut::join(&mut a.ev_out, &mut
//! b.ev_in)`), the pattern of rust-hdl's FIFO buses.
//!
//! Every stream is valid/ready: a beat moves in a cycle where both are high; the sender holds
//! its beat until it is taken.

use crate::prelude::*;

/// The event stream, sender's side: spike events `(index, m)` of one sample in tick order,
/// then one end-of-window beat (`eow`, no event) that carries the sample's framing error.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "EventIn"]
pub struct EventOut {
    /// A beat is offered.
    pub valid: Output<Bit>,
    /// The receiver takes it.
    pub ready: Input<Bit>,
    /// Neuron (or feature) index of the event.
    pub index: Output<Bits16>,
    /// Tick of the event inside the window.
    pub m: Output<Bits8>,
    /// End of the sample's window: no event on this beat.
    pub eow: Output<Bit>,
    /// Framing error of the sample (on the eow beat).
    pub err: Output<Bit>,
}

/// The event stream, receiver's side (see [`EventOut`]).
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "EventOut"]
pub struct EventIn {
    /// A beat is offered.
    pub valid: Input<Bit>,
    /// Taken.
    pub ready: Output<Bit>,
    /// Neuron (or feature) index of the event.
    pub index: Input<Bits16>,
    /// Tick of the event inside the window.
    pub m: Input<Bits8>,
    /// End of the sample's window.
    pub eow: Input<Bit>,
    /// Framing error of the sample (on the eow beat).
    pub err: Input<Bit>,
}

/// The potential stream of a layer that does not fire (potential readout), sender's side:
/// `z` of every neuron in index order, `last` on the last one, `err` on every beat.
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "ZIn"]
pub struct ZOut<const ZW: usize> {
    /// A `z` is offered.
    pub valid: Output<Bit>,
    /// The receiver takes it.
    pub ready: Input<Bit>,
    /// Potential `z` of the next neuron.
    pub value: Output<Signed<ZW>>,
    /// Last neuron of the sample.
    pub last: Output<Bit>,
    /// Framing error of the sample.
    pub err: Output<Bit>,
}

/// The potential stream, receiver's side (see [`ZOut`]).
#[derive(Clone, Debug, Default, LogicInterface)]
#[join = "ZOut"]
pub struct ZIn<const ZW: usize> {
    /// A `z` is offered.
    pub valid: Input<Bit>,
    /// Taken.
    pub ready: Output<Bit>,
    /// Potential `z` of the next neuron.
    pub value: Input<Signed<ZW>>,
    /// Last neuron of the sample.
    pub last: Input<Bit>,
    /// Framing error of the sample.
    pub err: Input<Bit>,
}

/// The feature stream of DESIGN §4 (`s_*`), receiver's side: one raw feature `x` per beat
/// (`W = 16`: the core's input and the encoder's).
#[derive(Clone, Debug, Default, LogicInterface)]
pub struct FeatureIn<const W: usize> {
    /// A feature is offered.
    pub valid: Input<Bit>,
    /// Taken.
    pub ready: Output<Bit>,
    /// Raw feature value `x` (low `input_bits` bits).
    pub data: Input<Bits<W>>,
    /// Last feature of a sample.
    pub last: Input<Bit>,
}

/// The class stream of DESIGN §4 (`m_*`), sender's side: one beat per sample, in order.
#[derive(Clone, Debug, Default, LogicInterface)]
pub struct ClassOut {
    /// A class is offered.
    pub valid: Output<Bit>,
    /// The receiver takes it.
    pub ready: Input<Bit>,
    /// Class of the sample.
    pub class: Output<Bits16>,
    /// Framing error of the sample.
    pub error: Output<Bit>,
}

/// The weight-load stream into a stage, receiver's side: one 16-bit column word per beat
/// (the stage's `WeightLayout` order). The sender is the core's load arbiter, which gates
/// `valid` per stage, so it has no joined sender's side.
#[derive(Clone, Debug, Default, LogicInterface)]
pub struct WordIn {
    /// A word is offered.
    pub valid: Input<Bit>,
    /// Taken.
    pub ready: Output<Bit>,
    /// The word.
    pub data: Input<Bits16>,
}

/// A trace tap on an event stream (co-simulation): the beat that moves this cycle.
#[derive(Clone, Debug, Default, LogicInterface)]
pub struct EventTap {
    /// A beat moves (`valid && ready` of the stream).
    pub valid: Output<Bit>,
    /// It is the eow beat.
    pub eow: Output<Bit>,
    /// Its tick.
    pub m: Output<Bits8>,
    /// Its index.
    pub index: Output<Bits16>,
}

/// A stream at the edge of a block under test or generation: marks the signals that the
/// outside drives as connected (rust-hdl refuses an undriven input).
pub trait ConnectInputs {
    /// Marks this side's input signals as driven from outside.
    fn connect_inputs(&mut self);
}

/// Implements [`ConnectInputs`] for a bundle, naming its `In` signals.
macro_rules! connect_inputs {
    ($($t:ty: $($f:ident),+;)+) => {$(
        impl ConnectInputs for $t {
            fn connect_inputs(&mut self) {
                $(self.$f.connect();)+
            }
        }
    )+};
}

connect_inputs! {
    EventOut: ready;
    EventIn: valid, index, m, eow, err;
    ClassOut: ready;
    WordIn: valid, data;
}

impl<const ZW: usize> ConnectInputs for ZOut<ZW> {
    fn connect_inputs(&mut self) {
        self.ready.connect();
    }
}

impl<const ZW: usize> ConnectInputs for ZIn<ZW> {
    fn connect_inputs(&mut self) {
        self.valid.connect();
        self.value.connect();
        self.last.connect();
        self.err.connect();
    }
}

impl<const W: usize> ConnectInputs for FeatureIn<W> {
    fn connect_inputs(&mut self) {
        self.valid.connect();
        self.data.connect();
        self.last.connect();
    }
}

/// A wire between two event streams of the same vector of blocks: rust-hdl joins two
/// interfaces through `&mut` borrows, which Rust refuses for two elements of one `Vec`, so a
/// chain of stages is joined through one of these per link. No logic, no latency, no cost.
#[derive(LogicBlock, Default)]
pub struct EventWire {
    /// From the sender.
    pub ev_in: EventIn,
    /// To the receiver.
    pub ev_out: EventOut,
}

impl Logic for EventWire {
    #[hdl_gen]
    fn update(&mut self) {
        self.ev_out.valid.next = self.ev_in.valid.val();
        self.ev_in.ready.next = self.ev_out.ready.val();
        self.ev_out.index.next = self.ev_in.index.val();
        self.ev_out.m.next = self.ev_in.m.val();
        self.ev_out.eow.next = self.ev_in.eow.val();
        self.ev_out.err.next = self.ev_in.err.val();
    }
}

/// The end of a `z` stream that nobody reads (an inner stage fires, so its `z_out` is idle):
/// never ready. Its inputs go to `*unused*` wires, which Verilator's lint leaves alone.
#[derive(LogicBlock, Default)]
pub struct ZSink<const ZW: usize> {
    /// The idle stream.
    pub z_in: ZIn<ZW>,
    value_unused: Wire<Signed<ZW>>,
    flags_unused: Wire<Bit>,
}

impl<const ZW: usize> Logic for ZSink<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        self.z_in.ready.next = false;
        self.value_unused.next = self.z_in.value.val();
        self.flags_unused.next = self.z_in.valid.val() | self.z_in.last.val() | self.z_in.err.val();
    }
}
