//! `ConvIssue`: a conv stage's integrate passes — per input event, the kernel positions whose
//! output window covers it, one group of output channels per cycle.

use crate::layer::coord_logic::CoordLogic;
use crate::layer::integrate_issue::SampleState;
use crate::layer::stage_params::{ConvGeometry, StageParams};
use crate::layer::walk_bounds::WalkBounds;
use crate::layer::weight_memory::{WeightAddr, WEIGHT_ADDR_BITS};
use crate::prelude::*;
use crate::prim::{SyncRam, ZeroExtend};
use crate::stream::EventIn;

/// Bits of the signed row / column counters (`−(K−1) ..= H − 1 + pad`, top bit = negative).
pub const COORD_BITS: usize = 10;
// The lint read of the bits above the coordinate fields (`unused_sh`) names this width.
const _: () = assert!(COORD_BITS == 10);

/// The walk of input feature `(c, y, x)`'s kernel rows (or columns): of the kernel offsets
/// `i < K` only those with `y + P − i` a whole multiple of the stride `S` reach an output
/// position, `i = i0, i0 + S, …` with `i0 = (y + P) mod S`. Returns `(i0, count)`; `count = 0`
/// when the kernel is narrower than the stride and no offset lines up.
pub fn aligned_offsets(y_plus_pad: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let i0 = y_plus_pad % stride;
    if i0 >= kernel {
        (i0, 0)
    } else {
        (i0, (kernel - 1 - i0) / stride + 1)
    }
}

/// The fields of input feature `(c, y, x)`'s coordinate ROM word, the start of its walk over
/// the aligned kernel positions ([`aligned_offsets`]): the weight row of its first position
/// `c·Kh·Kw + i0·Kw + j0`, the `V` offset `⌊(y + Ph)/Sh⌋·Wo + ⌊(x + Pw)/Sw⌋` of that position
/// (before the range check), `y + Ph − i0` and `x + Pw − j0` (multiples of the stride), and the
/// aligned rows and columns less one. A feature no kernel position reaches (a kernel narrower
/// than its stride) starts out of the map (`y + Ph − i0 = Ho·Sh`): one bubble.
fn coord_fields(g: &ConvGeometry, feature: usize) -> [u64; 6] {
    let [_, h, w] = g.in_shape;
    let (c, y, x) = (feature / (h * w), (feature / w) % h, feature % w);
    let (yp, xp) = (y + g.padding[0], x + g.padding[1]);
    let (i0, rows) = aligned_offsets(yp, g.kernel[0], g.stride[0]);
    let (j0, cols) = aligned_offsets(xp, g.kernel[1], g.stride[1]);
    let vrow = (yp / g.stride[0]) * g.out_hw[1] + xp / g.stride[1];
    if rows == 0 || cols == 0 {
        // One bubble: the walk never issues a pass from this word, so its weight row is 0.
        return [0, 0, (g.out_hw[0] * g.stride[0]) as u64, 0, 0, 0];
    }
    let wrow = c * g.kernel[0] * g.kernel[1] + i0 * g.kernel[1] + j0;
    [
        wrow as u64,
        vrow as u64,
        (yp - i0) as u64,
        (xp - j0) as u64,
        rows as u64 - 1,
        cols as u64 - 1,
    ]
}

/// Mean kernel positions an input event walks ([`aligned_offsets`]) over the input map's
/// positions, each taken as equally likely: `Kh·Kw` at stride 1.
pub fn mean_walk_positions(g: &ConvGeometry) -> f64 {
    let [_, h, w] = g.in_shape;
    let mean = |n: usize, pad: usize, k: usize, s: usize| {
        (0..n)
            .map(|y| aligned_offsets(y + pad, k, s).1.max(1))
            .sum::<usize>() as f64
            / n as f64
    };
    let rows = mean(h, g.padding[0], g.kernel[0], g.stride[0]);
    let cols = mean(w, g.padding[1], g.kernel[1], g.stride[1]);
    rows * cols
}

/// Mean walk cycles of an input event for `groups` channel groups, over the input map's
/// positions, each taken as equally likely: each aligned kernel position ([`aligned_offsets`])
/// costs `G` cycles when its output position is inside the map and one bubble when not (an
/// event no position reaches: one bubble). At `G = 1` this is [`mean_walk_positions`].
pub fn mean_walk_cycles(g: &ConvGeometry, groups: usize) -> f64 {
    let [_, h, w] = g.in_shape;
    // Per row (or column): aligned offsets, and how many of them land inside the output.
    let counts = |n: usize, pad: usize, k: usize, s: usize, out: usize| -> Vec<(usize, usize)> {
        (0..n)
            .map(|y| {
                let (i0, count) = aligned_offsets(y + pad, k, s);
                let inside = (0..count)
                    .filter(|c| {
                        let o = (y + pad) as i64 - (i0 + c * s) as i64;
                        o >= 0 && ((o as usize) / s) < out
                    })
                    .count();
                (count, inside)
            })
            .collect()
    };
    let rows = counts(h, g.padding[0], g.kernel[0], g.stride[0], g.out_hw[0]);
    let cols = counts(w, g.padding[1], g.kernel[1], g.stride[1], g.out_hw[1]);
    let mut total = 0usize;
    for &(r, ri) in &rows {
        for &(c, ci) in &cols {
            let inside = ri * ci;
            total += (inside * groups + (r * c - inside)).max(1);
        }
    }
    total as f64 / (h * w) as f64
}

/// The packing of a conv stage's coordinate ROM words: each field of [`coord_fields`] as wide
/// as its largest value needs, lowest bits first; `bits` in all. The ROM stores `bits + 1`
/// bits per word (a narrow [`SyncRam`] reads an all-ones word back as all ones; the top bit,
/// always 0, keeps every word from being one).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoordLayout {
    pub offsets: [usize; 6],
    pub widths: [usize; 6],
    pub bits: usize,
}

impl CoordLayout {
    /// The layout of a conv stage of geometry `g`.
    pub fn of(g: &ConvGeometry) -> CoordLayout {
        let features = g.in_shape.iter().product::<usize>();
        let mut widths = [1usize; 6];
        for f in 0..features {
            for (w, v) in widths.iter_mut().zip(coord_fields(g, f)) {
                *w = (*w).max((u64::BITS - v.leading_zeros()) as usize);
            }
        }
        let mut offsets = [0usize; 6];
        for k in 1..6 {
            offsets[k] = offsets[k - 1] + widths[k - 1];
        }
        CoordLayout {
            offsets,
            widths,
            bits: offsets[5] + widths[5],
        }
    }

    /// The stored bits per word (`bits + 1`).
    pub fn stored_bits(&self) -> usize {
        self.bits + 1
    }
}

/// The coordinate ROM word of input feature `feature` ([`CoordLayout`]).
pub fn coord_word(g: &ConvGeometry, layout: &CoordLayout, feature: usize) -> u64 {
    coord_fields(g, feature)
        .iter()
        .zip(layout.offsets)
        .fold(0, |word, (&v, off)| word | v << off)
}

/// Turns the input event stream into a conv stage's integrate passes, one group of `P` output
/// channels per cycle (DESIGN §5 conv stage). At a sample's start the bias pass writes
/// `V = b·T` into every row (`g·Ho·Wo + oy·Wo + ox`); then for each event `(j, m)` the
/// coordinate word (from a ROM, or computed by [`CoordLogic`]) gives `(c, y, x)`'s
/// kernel-walk start, and the walk visits, row-major, only
/// the kernel positions `(i, jj)` whose offsets `y + Ph − i`, `x + Pw − jj` are whole multiples
/// of the stride ([`aligned_offsets`]: a 5×5 kernel at stride 2 walks 4 to 9 positions, not
/// 25); for each with `oy = (y + Ph − i)/Sh`, `ox = (x + Pw − jj)/Sw` inside the output, one
/// pass cycle per group: weight row `g·(C·Kh·Kw + 1) + (c·Kh + i)·Kw + jj`, `V` row
/// `g·Ho·Wo + oy·Wo + ox`, ramp ticks `T − m`. A position outside the output costs one bubble
/// cycle. Every step is an add or a subtract of a constant: no divider, no multiplier. The
/// eow beat ends the sample as in
/// [`crate::layer::IntegrateIssue`].
///
/// Ports: as [`crate::layer::IntegrateIssue`]: `clock`, `rst`, `ev_in`, `loaded`, `v_busy`,
/// `fire_start` (in); `int_done`, `int_err`, `pass_valid`, `pass_bias`, `pass_k`, `pass_g`
/// (the `V` row), `waddr` (out).
///
/// While an event walks, the next one is taken and its ROM word held in a prefetch buffer, so
/// back-to-back events walk without a gap when the walk takes 3 cycles or more (a 2-cycle
/// walk leaves one). With `lean_control` (every target but ECP5, whose placed netlist is kept)
/// the next event is also taken in the walk's last cycle, and the in-map test comes from
/// [`WalkBounds`]' flip-flops: neither `ready` nor the counters' enables then wait on the
/// offsets' compares (the UP5K's longest path before, 35 ns). Every event's ROM word goes
/// through the buffer (registered: the ROM's block RAM clock-to-out then feeds only a
/// register, not the walk's loads).
///
/// Latency: an event taken while idle issues its first pass 4 cycles later (ROM read, buffer,
/// walk load, pass register). Cycles per sample: `G·Ho·Wo` (bias) + per event `Σ_aligned positions
/// (G if inside else 1)` (+3 for an event the stage waited for, or that a walk of one cycle could not prefetch). Cost: the coordinate ROM (`C·H·W` words of [`CoordLayout::stored_bits`],
/// ~25 for MNIST-sized maps) or [`CoordLogic`] (no block RAM, ~150 LUT4), ~130 flip-flops,
/// three 16-bit and one 20-bit adder.
#[derive(LogicBlock)]
pub struct ConvIssue {
    pub clock: Input<Clock>,
    pub rst: Input<Bit>,
    /// Input events of the sample (channel-major feature indices).
    pub ev_in: EventIn,
    /// The weights are in place.
    pub loaded: Input<Bit>,
    /// The fire phase holds `V`'s read port: no pass starts.
    pub v_busy: Input<Bit>,
    /// The fire phase takes the integrated sample.
    pub fire_start: Input<Bit>,
    /// The sample's eow has been taken.
    pub int_done: Output<Bit>,
    /// The sample's framing error.
    pub int_err: Output<Bit>,
    /// The pass in its issue cycle.
    pub pass_valid: Output<Bit>,
    pub pass_bias: Output<Bit>,
    pub pass_k: Output<Bits<9>>,
    /// The `V` row of the pass.
    pub pass_g: Output<Bits16>,
    /// The weight row the pass reads this cycle.
    pub waddr: Output<WeightAddr>,
    /// The coordinate ROM, or with the coordinates in logic (`_logic = 1`: one
    /// [`CoordLogic`]) a 2-word stand-in that nothing reads (yosys removes it; the ROM path's
    /// Verilog stays as it was, names included, so its place-and-route does not move).
    rom: SyncRam<Bits<64>, 16>,
    coords: Vec<CoordLogic>,
    _logic: usize,
    /// 0/1 switches: the prefetch waits for the walk's last cycle to pass (`_late`), or not
    /// (`_early`, with `lean_control`; its condition is `prefetch`).
    _late: usize,
    _early: usize,
    prefetch: Vec<Wire<Bit>>,
    /// With `_early` too: the in-map test from flip-flops ([`WalkBounds`]).
    bounds: Vec<WalkBounds>,
    m_ext: ZeroExtend<8, 9>,
    /// The ROM word shifted down to each field.
    sh_v: Wire<Bits<64>>,
    sh_y: Wire<Bits<64>>,
    sh_x: Wire<Bits<64>>,
    sh_ni: Wire<Bits<64>>,
    sh_nj: Wire<Bits<64>>,
    /// The shifted words' bits above their fields (read here so lint sees them used; the
    /// masks zero them).
    unused_sh: Wire<Bit>,
    state: RDff<SampleState>,
    err: RDff<Bit>,
    /// The bias pass runs (`V` rows `0..G·Ho·Wo` in order).
    bias_act: RDff<Bit>,
    /// The kernel walk of an event runs.
    walk: RDff<Bit>,
    k: RDff<Bits<9>>,
    /// Walk state: aligned kernel rows and columns still to go in the walk and in the row
    /// (counting down), the row's column count less one, group `g`.
    ic: RDff<Bits8>,
    jc: RDff<Bits8>,
    nj: RDff<Bits8>,
    g: RDff<Bits16>,
    /// `y + Ph − i`, `x + Pw − jj` (signed, top bit = negative), `x + Pw` for the next row.
    oyn: RDff<Bits<COORD_BITS>>,
    oxn: RDff<Bits<COORD_BITS>>,
    ox0: RDff<Bits<COORD_BITS>>,
    /// `⌊oyn/Sh⌋·Wo + ⌊oxn/Sw⌋`, and its value at the kernel row's first position.
    vrow: RDff<Bits16>,
    vrow_rs: RDff<Bits16>,
    /// Weight row of the position in group 0 and of its kernel row's first aligned position,
    /// and the group's weight and `V` offsets.
    wpos: RDff<WeightAddr>,
    wpos_rs: RDff<WeightAddr>,
    wg: RDff<WeightAddr>,
    vg: RDff<Bits16>,
    /// Bias pass: the position in the group's map.
    pos: RDff<Bits16>,
    /// The prefetch buffer: the next event, taken while this one walks (its ROM read issued
    /// last cycle: `nb_fetch`; its word held: `nb_valid`, `nb_word`) and its ramp ticks.
    nb_fetch: RDff<Bit>,
    nb_valid: RDff<Bit>,
    nb_word: RDff<Bits<64>>,
    nb_k: RDff<Bits<9>>,
    /// The ROM word a walk starts from (the ROM's or the buffer's), and whether one starts.
    src: Wire<Bits<64>>,
    start_walk: Wire<Bit>,
    from_buffer: Wire<Bit>,
    walk_end: Wire<Bit>,
    idle: Wire<Bit>,
    /// The pass register.
    pv: RDff<Bit>,
    pk: RDff<Bits<9>>,
    pb: RDff<Bit>,
    pg: RDff<Bits16>,
    pw: RDff<WeightAddr>,
    in_map: Wire<Bit>,
    last_g: Wire<Bit>,
    last_jj: Wire<Bit>,
    last_i: Wire<Bit>,
    advance: Wire<Bit>,
    accept_event: Wire<Bit>,
    accept_eow: Wire<Bit>,
    gmax_c: Constant<Bits16>,
    hos_c: Constant<Bits<COORD_BITS>>,
    wos_c: Constant<Bits<COORD_BITS>>,
    sy_c: Constant<Bits<COORD_BITS>>,
    sx_c: Constant<Bits<COORD_BITS>>,
    /// Weight-row steps: to the next aligned column (`Sw`) and kernel row (`Sh·Kw`).
    wcs_c: Constant<WeightAddr>,
    wrs_c: Constant<WeightAddr>,
    neg_c: Constant<Bits<COORD_BITS>>,
    wo_c: Constant<Bits16>,
    howo_c: Constant<Bits16>,
    howo1_c: Constant<Bits16>,
    stride_c: Constant<WeightAddr>,
    fanin_c: Constant<WeightAddr>,
    t_c: Constant<Bits<9>>,
    one8: Constant<Bits8>,
    one16: Constant<Bits16>,
    zero8: Constant<Bits8>,
    zero16: Constant<Bits16>,
    zero_c: Constant<Bits<COORD_BITS>>,
    zero_w: Constant<WeightAddr>,
    zero64: Constant<Bits<64>>,
    /// The ROM fields' offsets and masks.
    off_v: Constant<Bits8>,
    off_y: Constant<Bits8>,
    off_x: Constant<Bits8>,
    off_ni: Constant<Bits8>,
    off_nj: Constant<Bits8>,
    mask_w: Constant<WeightAddr>,
    mask_v: Constant<Bits16>,
    mask_y: Constant<Bits<COORD_BITS>>,
    mask_x: Constant<Bits<COORD_BITS>>,
    mask_ni: Constant<Bits8>,
    mask_nj: Constant<Bits8>,
}

impl ConvIssue {
    /// The pass issue of the conv stage of `params` (`params.conv` set); its coordinate ROM
    /// image is `<hex_prefix>_coords.hex` ([`StageParams::images`]).
    pub fn new(params: &StageParams) -> Self {
        let geo = params.conv.as_ref().expect("a conv stage");
        let groups = params.groups();
        let howo = geo.out_hw[0] * geo.out_hw[1];
        let [c, h, w] = geo.in_shape;
        let layout = CoordLayout::of(geo);
        let mask = |k: usize| (1u64 << layout.widths[k]) - 1;
        let (rom, coords) = if params.coords_in_logic {
            (SyncRam::with_depth(2), vec![CoordLogic::new(geo)])
        } else {
            let words: Vec<Bits<64>> = (0..c * h * w)
                .map(|f| bits(coord_word(geo, &layout, f)))
                .collect();
            let mut rom = SyncRam::rom(&params.coord_image_name(), &words);
            rom.set_stored_bits(layout.stored_bits());
            (rom, vec![])
        };
        let n_logic = coords.len();
        // Narrowed registers hold: `V` rows (walk offsets wander outside the map, but a pass
        // is issued only inside it, where the sum modulo the narrowed width is the row),
        // weight rows likewise, the counters' values.
        let nr = params.lean_control;
        let v_rows = params.v_rows();
        let w_rows = groups * (params.inputs + 1);
        let row = |n: usize| RDff::<Bits16>::holding(n, nr);
        let wrow = || RDff::<WeightAddr>::holding(w_rows, nr);
        Self {
            clock: Signal::default(),
            rst: Signal::default(),
            ev_in: EventIn::default(),
            loaded: Signal::default(),
            v_busy: Signal::default(),
            fire_start: Signal::default(),
            int_done: Signal::default(),
            int_err: Signal::default(),
            pass_valid: Signal::default(),
            pass_bias: Signal::default(),
            pass_k: Signal::default(),
            pass_g: Signal::default(),
            waddr: Signal::default(),
            rom,
            coords,
            _logic: n_logic,
            _late: usize::from(!params.lean_control),
            _early: usize::from(params.lean_control),
            prefetch: (0..usize::from(params.lean_control))
                .map(|_| Signal::default())
                .collect(),
            bounds: (0..usize::from(params.lean_control))
                .map(|_| WalkBounds::new(geo))
                .collect(),
            m_ext: ZeroExtend::new(),
            sh_v: Signal::default(),
            sh_y: Signal::default(),
            sh_x: Signal::default(),
            sh_ni: Signal::default(),
            sh_nj: Signal::default(),
            unused_sh: Signal::default(),
            state: RDff::new(SampleState::Bias),
            err: RDff::default(),
            bias_act: RDff::default(),
            walk: RDff::default(),
            k: RDff::default(),
            ic: RDff::default(),
            jc: RDff::default(),
            nj: RDff::default(),
            g: row(groups),
            oyn: RDff::default(),
            oxn: RDff::default(),
            ox0: RDff::default(),
            vrow: row(v_rows),
            vrow_rs: row(v_rows),
            wpos: wrow(),
            wpos_rs: wrow(),
            wg: wrow(),
            vg: row(v_rows),
            pos: row(howo),
            nb_fetch: RDff::default(),
            nb_valid: RDff::default(),
            nb_word: RDff::default(),
            nb_k: RDff::default(),
            src: Signal::default(),
            start_walk: Signal::default(),
            from_buffer: Signal::default(),
            walk_end: Signal::default(),
            idle: Signal::default(),
            pv: RDff::default(),
            pk: RDff::default(),
            pb: RDff::default(),
            pg: row(v_rows),
            pw: wrow(),
            in_map: Signal::default(),
            last_g: Signal::default(),
            last_jj: Signal::default(),
            last_i: Signal::default(),
            advance: Signal::default(),
            accept_event: Signal::default(),
            accept_eow: Signal::default(),
            gmax_c: Constant::new(bits(groups as u64 - 1)),
            hos_c: Constant::new(bits((geo.out_hw[0] * geo.stride[0]) as u64)),
            wos_c: Constant::new(bits((geo.out_hw[1] * geo.stride[1]) as u64)),
            sy_c: Constant::new(bits(geo.stride[0] as u64)),
            sx_c: Constant::new(bits(geo.stride[1] as u64)),
            wcs_c: Constant::new(bits(geo.stride[1] as u64)),
            wrs_c: Constant::new(bits((geo.stride[0] * geo.kernel[1]) as u64)),
            neg_c: Constant::new(bits(1 << (COORD_BITS - 1))),
            wo_c: Constant::new(bits(geo.out_hw[1] as u64)),
            howo_c: Constant::new(bits(howo as u64)),
            howo1_c: Constant::new(bits(howo as u64 - 1)),
            stride_c: Constant::new(bits(params.inputs as u64 + 1)),
            fanin_c: Constant::new(bits(params.inputs as u64)),
            t_c: Constant::new(bits(params.time_steps as u64)),
            one8: Constant::new(bits(1)),
            one16: Constant::new(bits(1)),
            zero8: Constant::new(bits(0)),
            zero16: Constant::new(bits(0)),
            zero_c: Constant::new(bits(0)),
            zero_w: Constant::new(bits(0)),
            zero64: Constant::new(bits(0)),
            off_v: Constant::new(bits(layout.offsets[1] as u64)),
            off_y: Constant::new(bits(layout.offsets[2] as u64)),
            off_x: Constant::new(bits(layout.offsets[3] as u64)),
            off_ni: Constant::new(bits(layout.offsets[4] as u64)),
            off_nj: Constant::new(bits(layout.offsets[5] as u64)),
            mask_w: Constant::new(bits(mask(0))),
            mask_v: Constant::new(bits(mask(1))),
            mask_y: Constant::new(bits(mask(2))),
            mask_x: Constant::new(bits(mask(3))),
            mask_ni: Constant::new(bits(mask(4))),
            mask_nj: Constant::new(bits(mask(5))),
        }
    }
}

impl Logic for ConvIssue {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, err, bias_act, walk, k, ic, jc, nj, g, oyn, oxn, ox0, vrow,
            vrow_rs, wpos, wpos_rs, wg, vg, pos, nb_fetch, nb_valid, nb_word, nb_k, pv, pk, pb, pg,
            pw
        );
        self.nb_fetch.rst.next = self.rst.val();
        self.nb_valid.rst.next = self.rst.val();
        self.nb_word.rst.next = self.rst.val();
        self.nb_k.rst.next = self.rst.val();
        self.pk.rst.next = self.rst.val();
        self.rom.clock.next = self.clock.val();
        self.state.rst.next = self.rst.val();
        self.err.rst.next = self.rst.val();
        self.bias_act.rst.next = self.rst.val();
        self.walk.rst.next = self.rst.val();
        self.k.rst.next = self.rst.val();
        self.ic.rst.next = self.rst.val();
        self.jc.rst.next = self.rst.val();
        self.nj.rst.next = self.rst.val();
        self.g.rst.next = self.rst.val();
        self.oyn.rst.next = self.rst.val();
        self.oxn.rst.next = self.rst.val();
        self.ox0.rst.next = self.rst.val();
        self.vrow.rst.next = self.rst.val();
        self.vrow_rs.rst.next = self.rst.val();
        self.wpos.rst.next = self.rst.val();
        self.wpos_rs.rst.next = self.rst.val();
        self.wg.rst.next = self.rst.val();
        self.vg.rst.next = self.rst.val();
        self.pos.rst.next = self.rst.val();
        self.pv.rst.next = self.rst.val();
        self.pb.rst.next = self.rst.val();
        self.pg.rst.next = self.rst.val();
        self.pw.rst.next = self.rst.val();
        self.rom.we.next = false;
        self.rom.waddr.next = self.zero16.val();
        self.rom.wdata.next = self.zero64.val();
        self.rom.raddr.next = self.ev_in.index.val();
        for l in 0..self._logic {
            self.coords[l].clock.next = self.clock.val();
            self.coords[l].index.next = self.ev_in.index.val();
        }
        self.m_ext.x.next = self.ev_in.m.val();
        // A walk starts from the buffer: the ROM's word is registered there first (its block
        // RAM's clock-to-out leaves too little of the cycle for the walk's loads).
        self.src.next = self.nb_word.q.val();
        self.sh_v.next = self.src.val() >> self.off_v.val();
        self.sh_y.next = self.src.val() >> self.off_y.val();
        self.sh_x.next = self.src.val() >> self.off_x.val();
        self.sh_ni.next = self.src.val() >> self.off_ni.val();
        self.sh_nj.next = self.src.val() >> self.off_nj.val();
        self.unused_sh.next = self.sh_v.val().get_bits::<48>(16).any()
            | self.sh_y.val().get_bits::<54>(10).any()
            | self.sh_x.val().get_bits::<54>(10).any()
            | self.sh_ni.val().get_bits::<56>(8).any()
            | self.sh_nj.val().get_bits::<56>(8).any();
        self.accept_event.next = false;
        self.accept_eow.next = false;
        self.nb_fetch.d.next = false;
        self.pv.d.next = false;
        self.pb.d.next = false;
        self.last_g.next = self.g.q.val() == self.gmax_c.val();
        self.last_jj.next = self.jc.q.val() == self.zero8.val();
        self.last_i.next = self.ic.q.val() == self.zero8.val();
        // The output position of this kernel position exists: both offsets (whole multiples
        // of the stride: the walk visits aligned positions only) are non-negative and below
        // the output's extent times the stride.
        self.in_map.next = ((self.oyn.q.val() & self.neg_c.val()) == self.zero_c.val())
            & ((self.oxn.q.val() & self.neg_c.val()) == self.zero_c.val())
            & (self.oyn.q.val() < self.hos_c.val())
            & (self.oxn.q.val() < self.wos_c.val());
        for e in 0..self._early {
            self.bounds[e].clock.next = self.clock.val();
            self.bounds[e].rst.next = self.rst.val();
            self.bounds[e].oyn.next = self.oyn.q.val();
            self.bounds[e].oxn.next = self.oxn.q.val();
            self.bounds[e].ox0.next = self.ox0.q.val();
            self.in_map.next = self.bounds[e].in_map.val();
        }
        self.advance.next = false;
        self.idle.next = !self.bias_act.q.val() & !self.walk.q.val();
        self.walk_end.next = false;
        self.pk.d.next = self.k.q.val();
        if self.bias_act.q.val() {
            // Bias pass: every V row in order, the group's bias row for its weights.
            self.pv.d.next = true;
            self.pb.d.next = true;
            self.pg.d.next = self.vg.q.val();
            self.pw.d.next = self.wg.q.val();
            self.vg.d.next = self.vg.q.val() + self.one16.val();
            if self.pos.q.val() == self.howo1_c.val() {
                self.pos.d.next = self.zero16.val();
                self.wg.d.next = self.wg.q.val() + self.stride_c.val();
                if self.last_g.val() {
                    self.bias_act.d.next = false;
                } else {
                    self.g.d.next = self.g.q.val() + self.one16.val();
                }
            } else {
                self.pos.d.next = self.pos.q.val() + self.one16.val();
            }
        } else if self.walk.q.val() {
            if self.in_map.val() {
                self.pv.d.next = true;
                self.pg.d.next = self.vg.q.val() + self.vrow.q.val();
                self.pw.d.next = self.wg.q.val() + self.wpos.q.val();
                if self.last_g.val() {
                    self.advance.next = true;
                } else {
                    self.g.d.next = self.g.q.val() + self.one16.val();
                    self.wg.d.next = self.wg.q.val() + self.stride_c.val();
                    self.vg.d.next = self.vg.q.val() + self.howo_c.val();
                }
            } else {
                self.advance.next = true;
            }
        } else if self.nb_valid.q.val() {
            // Idle with an event in the buffer (its walk starts below).
        } else {
            // Idle: start the bias pass, take an event or the eow.
            self.g.d.next = self.zero16.val();
            if (self.state.q.val() != SampleState::Done)
                & self.loaded.val()
                & !self.v_busy.val()
                & !self.nb_fetch.q.val()
            {
                if self.state.q.val() == SampleState::Bias {
                    self.state.d.next = SampleState::Events;
                    self.bias_act.d.next = true;
                    self.k.d.next = self.t_c.val();
                    self.pos.d.next = self.zero16.val();
                    self.vg.d.next = self.zero16.val();
                    self.wg.d.next = self.fanin_c.val();
                } else if self.ev_in.valid.val() & !self.ev_in.eow.val() {
                    // Its ROM word is read into the buffer, and its walk starts from there.
                    self.accept_event.next = true;
                    self.nb_fetch.d.next = true;
                    self.nb_k.d.next = self.t_c.val() - self.m_ext.y.val();
                } else if self.ev_in.valid.val() & self.ev_in.eow.val() {
                    self.accept_eow.next = true;
                    self.state.d.next = SampleState::Done;
                    self.err.d.next = self.ev_in.err.val();
                }
            }
        }
        // The next aligned kernel position, row-major: a column step moves the offset left by
        // the stride and the output column by one, a row step likewise for rows.
        if self.advance.val() {
            self.g.d.next = self.zero16.val();
            self.wg.d.next = self.zero_w.val();
            self.vg.d.next = self.zero16.val();
            if self.last_jj.val() {
                self.jc.d.next = self.nj.q.val();
                self.oxn.d.next = self.ox0.q.val();
                self.ic.d.next = self.ic.q.val() - self.one8.val();
                self.oyn.d.next = self.oyn.q.val() - self.sy_c.val();
                self.wpos_rs.d.next = self.wpos_rs.q.val() + self.wrs_c.val();
                self.wpos.d.next = self.wpos_rs.q.val() + self.wrs_c.val();
                self.vrow_rs.d.next = self.vrow_rs.q.val() - self.wo_c.val();
                self.vrow.d.next = self.vrow_rs.q.val() - self.wo_c.val();
                if self.last_i.val() {
                    self.walk.d.next = false;
                    self.walk_end.next = true;
                }
            } else {
                self.jc.d.next = self.jc.q.val() - self.one8.val();
                self.oxn.d.next = self.oxn.q.val() - self.sx_c.val();
                self.wpos.d.next = self.wpos.q.val() + self.wcs_c.val();
                self.vrow.d.next = self.vrow.q.val() - self.one16.val();
            }
        }
        // Prefetch: while an event walks, the next one is taken and its ROM word buffered.
        // With `_early` also in the walk's last cycle (the buffer then fills while the stage
        // is idle, and the walk starts from it): `ready` then does not depend on the walk's
        // position compares, which on the UP5K made the path from a conv stage's walk
        // through the event queue's pop to its RAM address the design's longest.
        for _l in 0..self._late {
            if self.walk.q.val()
                & !self.walk_end.val()
                & !self.nb_fetch.q.val()
                & !self.nb_valid.q.val()
                & self.ev_in.valid.val()
                & !self.ev_in.eow.val()
            {
                self.accept_event.next = true;
                self.nb_fetch.d.next = true;
                self.nb_k.d.next = self.t_c.val() - self.m_ext.y.val();
            }
        }
        for e in 0..self._early {
            self.prefetch[e].next = self.walk.q.val()
                & !self.nb_fetch.q.val()
                & !self.nb_valid.q.val()
                & self.ev_in.valid.val()
                & !self.ev_in.eow.val();
            if self.prefetch[e].val() {
                self.accept_event.next = true;
                self.nb_fetch.d.next = true;
                self.nb_k.d.next = self.t_c.val() - self.m_ext.y.val();
            }
        }
        if self.nb_fetch.q.val() {
            self.nb_word.d.next = self.rom.rdata.val();
            for l in 0..self._logic {
                self.nb_word.d.next = self.coords[l].word.val();
            }
            self.nb_valid.d.next = true;
        }
        // A walk starts from the buffered event when the last walk ends or the stage is idle.
        self.from_buffer.next = self.nb_valid.q.val() & (self.walk_end.val() | self.idle.val());
        self.start_walk.next = self.from_buffer.val();
        if self.from_buffer.val() {
            self.k.d.next = self.nb_k.q.val();
            self.nb_valid.d.next = false;
        }
        if self.start_walk.val() {
            // The walk starts at the first aligned kernel position, group 0.
            self.walk.d.next = true;
            self.wpos.d.next = self.src.val().get_bits::<WEIGHT_ADDR_BITS>(0) & self.mask_w.val();
            self.wpos_rs.d.next =
                self.src.val().get_bits::<WEIGHT_ADDR_BITS>(0) & self.mask_w.val();
            self.vrow.d.next = self.sh_v.val().get_bits::<16>(0) & self.mask_v.val();
            self.vrow_rs.d.next = self.sh_v.val().get_bits::<16>(0) & self.mask_v.val();
            self.oyn.d.next = self.sh_y.val().get_bits::<COORD_BITS>(0) & self.mask_y.val();
            self.oxn.d.next = self.sh_x.val().get_bits::<COORD_BITS>(0) & self.mask_x.val();
            self.ox0.d.next = self.sh_x.val().get_bits::<COORD_BITS>(0) & self.mask_x.val();
            self.ic.d.next = self.sh_ni.val().get_bits::<8>(0) & self.mask_ni.val();
            self.jc.d.next = self.sh_nj.val().get_bits::<8>(0) & self.mask_nj.val();
            self.nj.d.next = self.sh_nj.val().get_bits::<8>(0) & self.mask_nj.val();
            self.g.d.next = self.zero16.val();
            self.wg.d.next = self.zero_w.val();
            self.vg.d.next = self.zero16.val();
        }
        for e in 0..self._early {
            self.bounds[e].start.next = self.start_walk.val();
            self.bounds[e].start_y.next =
                self.sh_y.val().get_bits::<COORD_BITS>(0) & self.mask_y.val();
            self.bounds[e].start_x.next =
                self.sh_x.val().get_bits::<COORD_BITS>(0) & self.mask_x.val();
            self.bounds[e].advance.next = self.advance.val();
            self.bounds[e].next_row.next = self.last_jj.val();
        }
        if self.fire_start.val() {
            self.state.d.next = SampleState::Bias;
        }
        self.ev_in.ready.next = self.accept_event.val() | self.accept_eow.val();
        self.int_done.next = self.state.q.val() == SampleState::Done;
        self.int_err.next = self.err.q.val();
        self.pass_valid.next = self.pv.q.val();
        self.pass_bias.next = self.pb.q.val();
        self.pass_k.next = self.pk.q.val();
        self.pass_g.next = self.pg.q.val();
        self.waddr.next = self.pw.q.val();
    }
}
