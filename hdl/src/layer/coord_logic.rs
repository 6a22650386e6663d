//! `CoordLogic`: a conv stage's coordinate words computed in logic, in place of the coordinate
//! ROM (the UP5K's 30 block RAMs cannot spare 7 + 14 of them for `mnist-cnn`'s two ROMs).

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

/// Most rows of the row table (`C·H`) and columns (`W`): a 9-bit table address.
pub const TABLE_WORDS: usize = 512;

/// Can a stage of geometry `g` take its coordinates from [`CoordLogic`]: the division by `W`
/// has an exact 16-bit multiplier over the input features, and the row table (`C·H` words)
/// and the column table (`W`) have at most [`TABLE_WORDS`] words.
pub fn coords_in_logic_possible(g: &ConvGeometry) -> bool {
    let [c, h, w] = g.in_shape;
    c * h <= TABLE_WORDS && w <= TABLE_WORDS && exact_divider(w, c * h * w).is_some()
}

/// The two tables whose sum is feature `f = c·H·W + y·W + x`'s coordinate word
/// ([`coord_word`]): the row table at `r = ⌊f/W⌋ = c·H + y` holds the channel's and the row's
/// parts of every field (weight rows `c·Kh·Kw + i0·Kw`, `V` rows `⌊(y+Ph)/Sh⌋·Wo`,
/// `y + Ph − i0`, rows − 1), the column table at `x` the column's (`j0`, `⌊(x+Pw)/Sw⌋`,
/// `x + Pw − j0`, columns − 1). No field's sum carries into the next: each is at most the
/// field's largest value, which [`CoordLayout`] sized it for. A row or column that no kernel
/// position reaches has the flag bit 63 set, and the word is `empty` (`y + Ph − i0 = Ho·Sh`:
/// one bubble).
#[derive(Clone, Debug, PartialEq)]
pub struct CoordTables {
    pub row: Vec<u64>,
    pub col: Vec<u64>,
    pub empty: u64,
}

/// Bit 63 of a row or column table word: nothing reaches this row or column.
pub const EMPTY_FLAG: u64 = 1 << 63;

impl CoordTables {
    /// The tables of geometry `g` in its layout.
    pub fn of(g: &ConvGeometry) -> CoordTables {
        let o = CoordLayout::of(g).offsets;
        let [c, h, w] = g.in_shape;
        let kk = (g.kernel[0] * g.kernel[1]) as u64;
        let row = (0..c * h)
            .map(|r| {
                let (ch, yp) = ((r / h) as u64, r % h + g.padding[0]);
                let (i0, rows) = aligned_offsets(yp, g.kernel[0], g.stride[0]);
                if rows == 0 {
                    return EMPTY_FLAG;
                }
                (ch * kk + (i0 * g.kernel[1]) as u64) << o[0]
                    | (((yp / g.stride[0]) * g.out_hw[1]) as u64) << o[1]
                    | ((yp - i0) as u64) << o[2]
                    | (rows as u64 - 1) << o[4]
            })
            .collect();
        let col = (0..w)
            .map(|x| {
                let xp = x + g.padding[1];
                let (j0, cols) = aligned_offsets(xp, g.kernel[1], g.stride[1]);
                if cols == 0 {
                    return EMPTY_FLAG;
                }
                (j0 as u64) << o[0]
                    | ((xp / g.stride[1]) as u64) << o[1]
                    | ((xp - j0) as u64) << o[3]
                    | (cols as u64 - 1) << o[5]
            })
            .collect();
        CoordTables {
            row,
            col,
            empty: ((g.out_hw[0] * g.stride[0]) as u64) << o[2],
        }
    }

    /// The word of feature `f` from the tables (what [`CoordLogic`] computes).
    pub fn word(&self, g: &ConvGeometry, f: usize) -> u64 {
        let w = g.in_shape[2];
        let (r, k) = (self.row[f / w], self.col[f % w]);
        if (r | k) & EMPTY_FLAG != 0 {
            self.empty
        } else {
            r + k
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
/// `word` in cycle `c + 1`) but from logic: `r = ⌊f/W⌋` by an exact multiply and shift
/// ([`exact_divider`]), registered with `f`; then `x = f − r·W` and the sum of the row table at
/// `r` and the column table at `x` ([`CoordTables`], LUT tables).
///
/// Ports: `clock`; `index` (in), `word` (out). Latency 1 cycle. Cost: a constant multiplier of
/// the index and a small one of the quotient, the two tables (`C·H + W` words of LUT), a
/// 2-input adder of the layout's width, 32 flip-flops; no block RAM.
#[derive(LogicBlock)]
pub struct CoordLogic {
    pub clock: Input<Clock>,
    /// The feature index (channel-major `c·H·W + y·W + x`).
    pub index: Input<Bits16>,
    /// Its coordinate word (a cycle later).
    pub word: Output<Bits<64>>,
    /// The registered index and its quotient `⌊f/W⌋ = c·H + y`.
    f_r: DFF<Bits16>,
    r_r: DFF<Bits16>,
    prod_r: Signal<Local, Bits<32>>,
    quot_r: Signal<Local, Bits<32>>,
    prod_rw: Signal<Local, Bits<32>>,
    x: Signal<Local, Bits16>,
    rtab: ROM<Bits<64>, 9>,
    xtab: ROM<Bits<64>, 9>,
    empty: Signal<Local, Bit>,
    /// The products' and differences' bits above what is used (read here so lint sees them
    /// used: the quotient fits 16 bits, the table addresses 9).
    unused_bits: Signal<Local, Bit>,
    m_c: Constant<Bits16>,
    s_c: Constant<Bits8>,
    w_c: Constant<Bits16>,
    empty_c: Constant<Bits<64>>,
}

impl CoordLogic {
    /// The coordinate logic of geometry `g` (panics if [`coords_in_logic_possible`] is false:
    /// the planner checks it first).
    pub fn new(g: &ConvGeometry) -> Self {
        assert!(coords_in_logic_possible(g), "coordinates in logic: {g:?}");
        let [c, h, w] = g.in_shape;
        let (m, s) = exact_divider(w, c * h * w).expect("an exact divider by W");
        let t = CoordTables::of(g);
        Self {
            clock: Signal::default(),
            index: Signal::default(),
            word: Signal::default(),
            f_r: DFF::default(),
            r_r: DFF::default(),
            prod_r: Signal::default(),
            quot_r: Signal::default(),
            prod_rw: Signal::default(),
            x: Signal::default(),
            rtab: ROM::new(table(&t.row)),
            xtab: ROM::new(table(&t.col)),
            empty: Signal::default(),
            unused_bits: Signal::default(),
            m_c: Constant::new(bits(m)),
            s_c: Constant::new(bits(s as u64)),
            w_c: Constant::new(bits(w as u64)),
            empty_c: Constant::new(bits(t.empty)),
        }
    }
}

impl Logic for CoordLogic {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, f_r, r_r);
        self.prod_r.next = self.index.val() * self.m_c.val();
        self.quot_r.next = self.prod_r.val() >> self.s_c.val();
        self.f_r.d.next = self.index.val();
        self.r_r.d.next = self.quot_r.val().get_bits::<16>(0);
        // x = f − ⌊f/W⌋·W.
        self.prod_rw.next = self.r_r.q.val() * self.w_c.val();
        self.x.next = self.f_r.q.val() - self.prod_rw.val().get_bits::<16>(0);
        self.unused_bits.next = self.quot_r.val().get_bits::<16>(16).any()
            | self.prod_rw.val().get_bits::<16>(16).any()
            | self.r_r.q.val().get_bits::<7>(9).any()
            | self.x.val().get_bits::<7>(9).any();
        self.rtab.address.next = self.r_r.q.val().get_bits::<9>(0);
        self.xtab.address.next = self.x.val().get_bits::<9>(0);
        self.empty.next = self.rtab.data.val().get_bit(63) | self.xtab.data.val().get_bit(63);
        if self.empty.val() {
            self.word.next = self.empty_c.val();
        } else {
            self.word.next = self.rtab.data.val() + self.xtab.data.val();
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
        // ⌊f/28⌋ for f < 784 (MNIST's rows), ⌊f/14⌋ for f < 1568 (mnist-cnn's second conv).
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
        // A row of the second channel: its weight rows are off by one.
        t.row[14 + 5] += 1;
        let layout = CoordLayout::of(&g);
        assert!((0..392).any(|f| t.word(&g, f) != coord_word(&g, &layout, f)));
    }
}
