//! `CoordLogic`: a conv stage's coordinate words computed in logic, in place of the coordinate
//! ROM (the UP5K's 30 block RAMs cannot spare 7 + 15 of them for `mnist-cnn`'s two ROMs).

use crate::layer::conv_issue::{aligned_offsets, coord_word, CoordLayout};
use crate::layer::stage_params::ConvGeometry;
use crate::prelude::*;
use std::collections::BTreeMap;

/// `⌊f / d⌋ = ⌊f · m / 2^s⌋` for every `f < n`: the smallest shift `s` whose
/// `m = ⌈2^s / d⌉` (below `2^16`, so the product of a 16-bit index fits 32 bits) is exact
/// over the whole range, checked value by value (Granlund and Montgomery, "Division by
/// invariant integers using multiplication", PLDI 1994, give the bound; the check makes it
/// certain). `None` when no such pair exists.
pub fn exact_divider(d: usize, n: usize) -> Option<(u64, u32)> {
    assert!(d > 0, "division by zero");
    (0..32u32).find_map(|s| {
        let m = (1u64 << s).div_ceil(d as u64);
        let exact = m < 1 << 16 && (0..n as u64).all(|f| (f * m) >> s == f / d as u64);
        exact.then_some((m, s))
    })
}

/// Can a stage of geometry `g` take its coordinates from [`CoordLogic`]: both divisions
/// (by `W` and by `H·W`) have an exact 16-bit multiplier over the input features.
pub fn coords_in_logic_possible(g: &ConvGeometry) -> bool {
    let [_, h, w] = g.in_shape;
    let n = g.in_shape.iter().product::<usize>();
    exact_divider(w, n).is_some() && exact_divider(h * w, n).is_some()
}

/// The three tables whose sum is feature `(c, y, x)`'s coordinate word ([`coord_word`]): per
/// channel the weight-row base `c·Kh·Kw`; per row `y` the row's part of every field (the
/// aligned offset's weight rows `i0·Kw`, `V` rows `⌊(y+Ph)/Sh⌋·Wo`, `y + Ph − i0`, rows − 1),
/// per column `x` the column's. No field's sum carries into the next: each is at most the
/// field's largest value, which [`CoordLayout`] sized it for. A row or column that no kernel
/// position reaches has the flag bit 63 set: its word is the channel's base plus
/// `empty` (`y + Ph − i0 = Ho·Sh`, one bubble).
#[derive(Clone, Debug, PartialEq)]
pub struct CoordTables {
    pub channel: Vec<u64>,
    pub row: Vec<u64>,
    pub col: Vec<u64>,
    pub empty: u64,
}

/// Bit 63 of a row or column table word: nothing reaches this row or column.
pub const EMPTY_FLAG: u64 = 1 << 63;

impl CoordTables {
    /// The tables of geometry `g` in its layout.
    pub fn of(g: &ConvGeometry) -> CoordTables {
        let layout = CoordLayout::of(g);
        let [c, h, w] = g.in_shape;
        let o = layout.offsets;
        let kk = (g.kernel[0] * g.kernel[1]) as u64;
        // Per row (`row`: weight rows i0·Kw, V rows ⌊yp/Sh⌋·Wo) or column (j0, ⌊xp/Sw⌋).
        let part = |row: bool| {
            let (d, n) = if row { (0, h) } else { (1, w) };
            let (coord_off, count_off) = if row { (o[2], o[4]) } else { (o[3], o[5]) };
            let (wscale, vscale) = if row {
                (g.kernel[1] as u64, g.out_hw[1] as u64)
            } else {
                (1, 1)
            };
            (0..n)
                .map(|y| {
                    let yp = y + g.padding[d];
                    let (i0, count) = aligned_offsets(yp, g.kernel[d], g.stride[d]);
                    if count == 0 {
                        return EMPTY_FLAG;
                    }
                    (i0 as u64 * wscale) << o[0]
                        | ((yp / g.stride[d]) as u64 * vscale) << o[1]
                        | ((yp - i0) as u64) << coord_off
                        | (count as u64 - 1) << count_off
                })
                .collect::<Vec<u64>>()
        };
        CoordTables {
            channel: (0..c as u64).map(|ch| (ch * kk) << o[0]).collect(),
            row: part(true),
            col: part(false),
            empty: ((g.out_hw[0] * g.stride[0]) as u64) << o[2],
        }
    }

    /// The word of feature `f` from the tables (what [`CoordLogic`] computes).
    pub fn word(&self, g: &ConvGeometry, f: usize) -> u64 {
        let [_, h, w] = g.in_shape;
        let (c, y, x) = (f / (h * w), (f / w) % h, f % w);
        let (r, k) = (self.row[y], self.col[x]);
        if (r | k) & EMPTY_FLAG != 0 {
            self.channel[c] + self.empty
        } else {
            self.channel[c] + r + k
        }
    }
}

/// A LUT table of `words` (the [`ROM`] widget: a `case` statement).
fn table<const N: usize>(words: &[u64]) -> BTreeMap<Bits<N>, Bits<64>> {
    words
        .iter()
        .enumerate()
        .map(|(i, &word)| (bits(i as u64), bits(word)))
        .collect()
}

/// A conv stage's coordinate word of the input feature `index`, as the coordinate ROM would
/// read it ([`coord_word`], same latency: the word of the index presented in cycle `c` is on
/// `word` in cycle `c + 1`) but from logic: the index is split into `(c, y, x)` by two exact
/// divisions by constants ([`exact_divider`]: `⌊f/W⌋` and `⌊f/(H·W)⌋` as a multiply and a
/// shift, registered), then three small LUT tables ([`CoordTables`], per channel, row and
/// column) are summed.
///
/// Ports: `clock`; `index` (in), `word` (out). Latency 1 cycle. Cost: two constant
/// multipliers of the index, two small ones of the quotients (~150 LUT4 on iCE40 for
/// MNIST-sized maps), the three tables (~`H + W + C` words of LUT), a 3-input adder of the
/// layout's width, ~48 flip-flops; no block RAM.
#[derive(LogicBlock)]
pub struct CoordLogic {
    pub clock: Input<Clock>,
    /// The feature index (channel-major `c·H·W + y·W + x`).
    pub index: Input<Bits16>,
    /// Its coordinate word (a cycle later).
    pub word: Output<Bits<64>>,
    /// The registered index and its quotients `⌊f/W⌋ = c·H + y` and `⌊f/(H·W)⌋ = c`.
    f_r: DFF<Bits16>,
    yq_r: DFF<Bits16>,
    c_r: DFF<Bits16>,
    prod_y: Signal<Local, Bits<32>>,
    prod_c: Signal<Local, Bits<32>>,
    quot_y: Signal<Local, Bits<32>>,
    quot_c: Signal<Local, Bits<32>>,
    prod_ch: Signal<Local, Bits<32>>,
    prod_yw: Signal<Local, Bits<32>>,
    y: Signal<Local, Bits16>,
    x: Signal<Local, Bits16>,
    ctab: ROM<Bits<64>, 16>,
    ytab: ROM<Bits<64>, 9>,
    xtab: ROM<Bits<64>, 9>,
    empty: Signal<Local, Bit>,
    /// The products' and differences' bits above what is used (read here so lint sees them
    /// used: the quotients fit 16 bits, the coordinates 9).
    unused_bits: Signal<Local, Bit>,
    my_c: Constant<Bits16>,
    sy_c: Constant<Bits8>,
    mc_c: Constant<Bits16>,
    sc_c: Constant<Bits8>,
    h_c: Constant<Bits16>,
    w_c: Constant<Bits16>,
    empty_c: Constant<Bits<64>>,
}

impl CoordLogic {
    /// The coordinate logic of geometry `g` (panics if [`coords_in_logic_possible`] is false:
    /// the planner checks it first).
    pub fn new(g: &ConvGeometry) -> Self {
        let [_, h, w] = g.in_shape;
        let n = g.in_shape.iter().product::<usize>();
        let (my, sy) = exact_divider(w, n).expect("an exact divider by W");
        let (mc, sc) = exact_divider(h * w, n).expect("an exact divider by H·W");
        let t = CoordTables::of(g);
        Self {
            clock: Signal::default(),
            index: Signal::default(),
            word: Signal::default(),
            f_r: DFF::default(),
            yq_r: DFF::default(),
            c_r: DFF::default(),
            prod_y: Signal::default(),
            prod_c: Signal::default(),
            quot_y: Signal::default(),
            quot_c: Signal::default(),
            prod_ch: Signal::default(),
            prod_yw: Signal::default(),
            y: Signal::default(),
            x: Signal::default(),
            ctab: ROM::new(table(&t.channel)),
            ytab: ROM::new(table(&t.row)),
            xtab: ROM::new(table(&t.col)),
            empty: Signal::default(),
            unused_bits: Signal::default(),
            my_c: Constant::new(bits(my)),
            sy_c: Constant::new(bits(sy as u64)),
            mc_c: Constant::new(bits(mc)),
            sc_c: Constant::new(bits(sc as u64)),
            h_c: Constant::new(bits(h as u64)),
            w_c: Constant::new(bits(w as u64)),
            empty_c: Constant::new(bits(t.empty)),
        }
    }
}

impl Logic for CoordLogic {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, f_r, yq_r, c_r);
        self.prod_y.next = self.index.val() * self.my_c.val();
        self.prod_c.next = self.index.val() * self.mc_c.val();
        self.f_r.d.next = self.index.val();
        self.quot_y.next = self.prod_y.val() >> self.sy_c.val();
        self.quot_c.next = self.prod_c.val() >> self.sc_c.val();
        self.yq_r.d.next = self.quot_y.val().get_bits::<16>(0);
        self.c_r.d.next = self.quot_c.val().get_bits::<16>(0);
        // y = ⌊f/W⌋ − c·H, x = f − ⌊f/W⌋·W.
        self.prod_ch.next = self.c_r.q.val() * self.h_c.val();
        self.prod_yw.next = self.yq_r.q.val() * self.w_c.val();
        self.y.next = self.yq_r.q.val() - self.prod_ch.val().get_bits::<16>(0);
        self.x.next = self.f_r.q.val() - self.prod_yw.val().get_bits::<16>(0);
        self.unused_bits.next = self.quot_y.val().get_bits::<16>(16).any()
            | self.quot_c.val().get_bits::<16>(16).any()
            | self.prod_ch.val().get_bits::<16>(16).any()
            | self.prod_yw.val().get_bits::<16>(16).any()
            | self.y.val().get_bits::<7>(9).any()
            | self.x.val().get_bits::<7>(9).any();
        self.ctab.address.next = self.c_r.q.val();
        self.ytab.address.next = self.y.val().get_bits::<9>(0);
        self.xtab.address.next = self.x.val().get_bits::<9>(0);
        self.empty.next = self.ytab.data.val().get_bit(63) | self.xtab.data.val().get_bit(63);
        if self.empty.val() {
            self.word.next = self.ctab.data.val() + self.empty_c.val();
        } else {
            self.word.next = self.ctab.data.val() + self.ytab.data.val() + self.xtab.data.val();
        }
    }
}

/// The tables reproduce the ROM word of every feature (what the co-simulation then checks in
/// hardware).
pub fn tables_match_rom(g: &ConvGeometry) -> bool {
    let layout = CoordLayout::of(g);
    let t = CoordTables::of(g);
    (0..g.in_shape.iter().product::<usize>()).all(|f| t.word(g, f) == coord_word(g, &layout, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(in_shape: [usize; 3], k: [usize; 2], s: [usize; 2], p: [usize; 2]) -> ConvGeometry {
        let out = |d: usize| (in_shape[d + 1] + 2 * p[d] - k[d]) / s[d] + 1;
        let out_hw = [out(0), out(1)];
        ConvGeometry {
            in_shape,
            kernel: k,
            stride: s,
            padding: p,
            out_hw,
            pool_kernel: [1, 1],
            pool_stride: [1, 1],
            pooled_hw: out_hw,
        }
    }

    #[test]
    fn divides_exactly_by_every_map_width_and_size_up_to_a_full_index() {
        // ⌊f/28⌋ for f < 784 (MNIST's rows), ⌊f/196⌋ for f < 1568 (mnist-cnn's second conv).
        for (d, n) in [
            (28, 784),
            (196, 1568),
            (14, 1568),
            (1, 65536),
            (3, 65536),
            (255, 65000),
        ] {
            let (m, s) = exact_divider(d, n).unwrap();
            assert!(m < 1 << 16);
            assert!((0..n as u64).all(|f| (f * m) >> s == f / d as u64), "d {d}");
        }
    }

    #[test]
    fn tables_sum_to_the_rom_word_of_every_feature() {
        // Strides 1..=3 with kernels narrower than the stride (empty rows), paddings 0..=2,
        // non-square maps and several channels: every feature's word equals the ROM's.
        let mut n = 0;
        for c in [1, 3] {
            for (h, w) in [(28, 28), (7, 11), (5, 3)] {
                for kh in 1..=5 {
                    for s in 1..=3 {
                        for p in 0..=2.min(kh - 1) {
                            if h + 2 * p < kh || w + 2 * p < kh {
                                continue;
                            }
                            let g = geometry([c, h, w], [kh, kh], [s, s], [p, p]);
                            assert!(tables_match_rom(&g), "{g:?}");
                            n += 1;
                        }
                    }
                }
            }
        }
        assert!(n > 50);
    }

    #[test]
    fn a_broken_table_is_seen_by_the_check() {
        let g = geometry([2, 14, 14], [5, 5], [2, 2], [2, 2]);
        let mut t = CoordTables::of(&g);
        t.col[3] += 1 << CoordLayout::of(&g).offsets[1];
        let layout = CoordLayout::of(&g);
        assert!((0..392).any(|f| t.word(&g, f) != coord_word(&g, &layout, f)));
    }
}
