//! `LinkFeatures`: the link framer's beat former — wire value → raw input through the level
//! table, the sample's feature counter and `last`.

use crate::board::check_param;
use crate::prelude::*;
use std::collections::BTreeMap;

/// Forms the framer's beats `{last, x}`: `x` is the wire value `value` through the level
/// table ([`crate::board::LinkFormat::table`]), `last` is high on a sample's `inputs`-th
/// feature. A feature counter counts the beats taken (`advance`, wrapping to 0 after the
/// sample's last) and restarts at a new sample (`restart`, which wins). While `filler` is
/// high the beat is a filler `x = 0`, with `last` when `filler_last` is high.
///
/// `at_last` (the counter is on the sample's last feature) comes from a register computed
/// from the counter's next value: the framer's emit decision then starts at a flip-flop
/// (ULX3S: the compare → emit → buffer path was the design's longest, 100.2 MHz).
///
/// Ports: `clock`, `rst` (in); `value` (in, `Bits<8>`), `advance`, `restart`, `filler`,
/// `filler_last` (in); `beat` (out, `Bits<9>`), `at_last` (out).
///
/// Latency: the table is combinational; `at_last` follows `advance` / `restart` by a cycle.
/// Cost: 17 flip-flops (16-bit counter, the registered compare), the table (256 × 8 ROM,
/// 32 entries used at 5-bit values), a 16-bit incrementer and compare.
#[derive(LogicBlock)]
pub struct LinkFeatures {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// The wire value at the bottom of the bit buffer.
    pub value: Input<Bits8>,
    /// A value beat is taken: count it.
    pub advance: Input<Bit>,
    /// A new sample starts: the counter goes to 0.
    pub restart: Input<Bit>,
    /// Offer a filler beat (with `last` when `filler_last`).
    pub filler: Input<Bit>,
    pub filler_last: Input<Bit>,
    /// `{last, x}`.
    pub beat: Output<Bits<9>>,
    /// The next value beat is the sample's last feature.
    pub at_last: Output<Bit>,
    /// Wire value → raw input.
    pub lut: ROM<Bits8, 8>,
    x9: ZeroExtend<8, 9>,
    cnt: RDff<Bits16>,
    at_last_r: RDff<Bit>,
    last_feature: Constant<Bits16>,
    zero16: Constant<Bits16>,
    one16: Constant<Bits16>,
    last_bit: Constant<Bits<9>>,
    zero9: Constant<Bits<9>>,
}

impl LinkFeatures {
    /// The beat former for samples of `inputs` features (1 to 65 536) and the level table
    /// `table` (wire value → raw input, at most 256 entries).
    pub fn new(inputs: usize, table: &[u32]) -> Self {
        check_param("link features", "inputs", inputs, 1..=1 << 16);
        check_param("link features", "table entries", table.len(), 1..=256);
        let table: BTreeMap<Bits8, Bits8> = table
            .iter()
            .enumerate()
            .map(|(w, &x)| (bits(w as u64), bits(x as u64)))
            .collect();
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            value: Signal::default(),
            advance: Signal::default(),
            restart: Signal::default(),
            filler: Signal::default(),
            filler_last: Signal::default(),
            beat: Signal::default(),
            at_last: Signal::default(),
            lut: ROM::new(table),
            x9: ZeroExtend::new(),
            cnt: RDff::default(),
            at_last_r: RDff::new(inputs == 1),
            last_feature: Constant::new(bits(inputs as u64 - 1)),
            zero16: Constant::new(bits(0)),
            one16: Constant::new(bits(1)),
            last_bit: Constant::new(bits(0x100)),
            zero9: Constant::new(bits(0)),
        }
    }
}

impl Logic for LinkFeatures {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, cnt, at_last_r);
        self.cnt.rst.next = self.rst.val();
        self.at_last_r.rst.next = self.rst.val();
        self.at_last.next = self.at_last_r.q.val();
        self.lut.address.next = self.value.val();
        self.x9.x.next = self.lut.data.val();
        if self.filler.val() {
            if self.filler_last.val() {
                self.beat.next = self.last_bit.val();
            } else {
                self.beat.next = self.zero9.val();
            }
        } else if self.at_last_r.q.val() {
            self.beat.next = self.x9.y.val() | self.last_bit.val();
        } else {
            self.beat.next = self.x9.y.val();
        }
        if self.restart.val() {
            self.cnt.d.next = self.zero16.val();
        } else if self.advance.val() {
            if self.at_last_r.q.val() {
                self.cnt.d.next = self.zero16.val();
            } else {
                self.cnt.d.next = self.cnt.q.val() + self.one16.val();
            }
        }
        self.at_last_r.d.next = self.cnt.d.val() == self.last_feature.val();
    }
}
