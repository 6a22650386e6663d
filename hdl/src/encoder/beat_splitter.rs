//! `BeatSplitter`: the DESIGN §4 revision-2 input port (`input_lanes` features per beat) in
//! front of the one-feature-per-beat encoder.

use crate::prelude::*;
use crate::stream::{ConnectInputs, FeatureIn, FeatureOut};

/// Widest input beat: `input_lanes · input_bits ≤ 64`.
pub const MAX_BEAT_BITS: usize = 64;

/// Takes beats of `K` features (`K·b` bits, feature `k` in bits `[k·b, (k+1)·b)`, lowest slot
/// first) and hands them on one feature per cycle, in order, with `last` on the sample's last
/// feature. The beat that carries `s_last` at the position where a whole sample ends
/// (beat `⌈N/K⌉ − 1` of the frame) passes only its `N − (⌈N/K⌉ − 1)·K` real features: the
/// padding slots are ignored (DESIGN §4). An `s_last` on any other beat passes all `K` slots,
/// so the encoder sees a frame shorter or longer than `N` and flags it (`m_error`), and
/// resynchronises there, as with one feature per beat.
///
/// Ports:
/// - `clock`, `rst` (in): clock, synchronous active-high reset (drops a held beat).
/// - `s` ([`FeatureIn<64>`](FeatureIn)): the wide beats, `K` features each, lowest slot first.
/// - `m` ([`FeatureOut`]): one feature per beat (zero-extended to 16 bits), to the encoder.
///
/// Latency: a beat taken at cycle `c` offers its first feature at `c + 1`. Throughput: one
/// feature per cycle; a new beat is taken in the cycle its predecessor's last slot leaves, so
/// an unstalled stream flows without a bubble. Cost: 64 + 8 + 24 + 2 flip-flops, a 64-bit
/// shifter by a constant, an 8-bit and a 24-bit counter.
#[derive(LogicBlock)]
pub struct BeatSplitter {
    /// Clock.
    pub clock: Input<Clock>,
    /// Synchronous reset, active high.
    pub rst: Input<Bit>,
    /// Wide beats; `last` on the beat that holds the sample's last feature.
    pub s: FeatureIn<64>,
    /// One feature per beat.
    pub m: FeatureOut<16>,
    /// A beat is held (`held` has slots left).
    full: RDff<Bit>,
    /// The held beat, shifted so that the next slot is in the low bits.
    held: RDff<Bits<64>>,
    /// Slots of the held beat still to hand on (1..=K while `full`).
    left: RDff<Bits8>,
    /// The held beat closes its frame.
    last: RDff<Bit>,
    /// Beats of the current frame taken so far (saturates at `⌈N/K⌉`).
    beat: RDff<Bits24>,
    /// The low 16 bits of `held` (the next slot, before masking to `b` bits).
    slot: Wire<Bits16>,
    take: Wire<Bit>,
    give: Wire<Bit>,
    final_slot: Wire<Bit>,
    k: Constant<Bits8>,
    rest: Constant<Bits8>,
    bits: Constant<Bits8>,
    mask: Constant<Bits16>,
    last_beat: Constant<Bits24>,
    beats: Constant<Bits24>,
    one8: Constant<Bits8>,
    one24: Constant<Bits24>,
    zero24: Constant<Bits24>,
}

impl BeatSplitter {
    /// A splitter for beats of `lanes` features of `input_bits` bits, samples of `inputs`
    /// features. Panics outside `2 ≤ lanes ≤ inputs`, `lanes · input_bits ≤ 64`,
    /// `1 ≤ input_bits ≤ 16`, `inputs < 2^24`.
    pub fn new(lanes: usize, input_bits: usize, inputs: usize) -> Self {
        assert!(
            (2..=inputs).contains(&lanes),
            "beat splitter: lanes {lanes} not in 2..=inputs ({inputs})"
        );
        assert!(
            (1..=16).contains(&input_bits),
            "beat splitter: input_bits {input_bits}"
        );
        assert!(
            lanes * input_bits <= MAX_BEAT_BITS,
            "beat splitter: {lanes} × {input_bits} bits > {MAX_BEAT_BITS}"
        );
        assert!(inputs < 1 << 24, "beat splitter: {inputs} inputs");
        let beats = inputs.div_ceil(lanes);
        let rest = inputs - (beats - 1) * lanes;
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            s: FeatureIn::default(),
            m: FeatureOut::default(),
            full: RDff::default(),
            held: RDff::default(),
            slot: Signal::default(),
            left: RDff::default(),
            last: RDff::default(),
            beat: RDff::default(),
            take: Signal::default(),
            give: Signal::default(),
            final_slot: Signal::default(),
            k: Constant::new(bits(lanes as u64)),
            rest: Constant::new(bits(rest as u64)),
            bits: Constant::new(bits(input_bits as u64)),
            mask: Constant::new(bits((1u64 << input_bits) - 1)),
            last_beat: Constant::new(bits(beats as u64 - 1)),
            beats: Constant::new(bits(beats as u64)),
            one8: Constant::new(bits(1)),
            one24: Constant::new(bits(1)),
            zero24: Constant::new(bits(0)),
        }
    }
}

impl BeatSplitter {
    /// Marks the external inputs as driven and connects everything (before generation).
    pub fn connect_inputs(&mut self) {
        self.clock.connect();
        self.rst.connect();
        self.s.connect_inputs();
        self.m.ready.connect();
        self.connect_all();
    }
}

impl Logic for BeatSplitter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, full, held, left, last, beat);
        self.full.rst.next = self.rst.val();
        self.held.rst.next = self.rst.val();
        self.left.rst.next = self.rst.val();
        self.last.rst.next = self.rst.val();
        self.beat.rst.next = self.rst.val();
        // Out: the low slot of the held beat.
        self.final_slot.next = self.left.q.val() == self.one8.val();
        self.m.valid.next = self.full.q.val();
        self.slot.next = self.held.q.val().get_bits::<16>(0);
        self.m.data.next = self.slot.val() & self.mask.val();
        self.m.last.next = self.full.q.val() & self.final_slot.val() & self.last.q.val();
        self.give.next = self.full.q.val() & self.m.ready.val();
        // In: when nothing is held, or the held beat's last slot leaves this cycle.
        self.s.ready.next = !self.full.q.val() | (self.give.val() & self.final_slot.val());
        self.take.next = self.s.valid.val() & self.s.ready.val();
        if self.give.val() {
            self.held.d.next = self.held.q.val() >> self.bits.val();
            self.left.d.next = self.left.q.val() - self.one8.val();
            if self.final_slot.val() {
                self.full.d.next = false;
            }
        }
        if self.take.val() {
            self.full.d.next = true;
            self.held.d.next = self.s.data.val();
            self.last.d.next = self.s.last.val();
            self.left.d.next = self.k.val();
            if self.s.last.val() {
                // Only the beat that ends a whole sample carries padding.
                if self.beat.q.val() == self.last_beat.val() {
                    self.left.d.next = self.rest.val();
                }
                self.beat.d.next = self.zero24.val();
            } else if self.beat.q.val() != self.beats.val() {
                self.beat.d.next = self.beat.q.val() + self.one24.val();
            }
        }
    }
}
