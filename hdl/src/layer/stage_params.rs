//! `StageParams`: everything a layer stage is built from (the elaboration step's output,
//! `top::elaborate`), and the stage's memory images derived from it.

use crate::layer::weight_memory::{WeightLayout, WeightMemory, WeightStore, WEIGHT_ADDR_BITS};

/// Address width of the stage's potential / tick memories (`G ≤ 2^16` rows).
pub const STATE_ADDR_BITS: usize = 16;

/// The geometry of a conv stage (DESIGN §2.1, §5): a `conv2d` and the `maxpool2d` fused into
/// its conversion (a `1×1` pool of stride 1 when none follows).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ConvGeometry {
    /// `[C, H, W]` read.
    pub in_shape: [usize; 3],
    /// `[Kh, Kw]`.
    pub kernel: [usize; 2],
    /// `[Sh, Sw]`.
    pub stride: [usize; 2],
    /// `[Ph, Pw]`.
    pub padding: [usize; 2],
    /// `[Ho, Wo]` of the conv's map.
    pub out_hw: [usize; 2],
    /// The fused max-pool's `[kh, kw]` and `[sh, sw]`.
    pub pool_kernel: [usize; 2],
    pub pool_stride: [usize; 2],
    /// `[Hp, Wp]` of the map the stage sends.
    pub pooled_hw: [usize; 2],
}

impl ConvGeometry {
    /// `Ho·Wo`: `V` rows per group.
    pub fn out_positions(&self) -> usize {
        self.out_hw[0] * self.out_hw[1]
    }

    /// `Hp·Wp`: tick rows per group (and the channel stride of the sent indices).
    pub fn pooled_positions(&self) -> usize {
        self.pooled_hw[0] * self.pooled_hw[1]
    }

    /// Why the hardware cannot build this geometry, if it cannot (the counters' widths).
    pub fn unsupported(&self) -> Option<String> {
        let [c, h, w] = self.in_shape;
        let limit = 1usize << (crate::layer::conv_issue::COORD_BITS - 1);
        if h + self.padding[0] >= limit
            || w + self.padding[1] >= limit
            || self.out_hw[0] * self.stride[0] >= limit
            || self.out_hw[1] * self.stride[1] >= limit
            || self.kernel[0] > limit
            || self.kernel[1] > limit
        {
            return Some(format!(
                "a {h}x{w} map with padding {}x{} exceeds the stage's {limit}-position counters",
                self.padding[0], self.padding[1]
            ));
        }
        if self.kernel[0] > 255 || self.kernel[1] > 255 || self.out_hw[1] > 255 {
            return Some("kernels and output rows wider than 255 are not supported".into());
        }
        if c * h * w > 65535 {
            return Some(format!("{} input features exceed 65535", c * h * w));
        }
        None
    }
}

/// Parameters of one layer stage (everything but the accumulator width `ZW`).
#[derive(Clone, Debug, PartialEq)]
pub struct StageParams {
    /// `N`: neurons of the layer (`1..=65535`).
    pub outputs: usize,
    /// `fan_in`: inputs of the layer, the always-on (bias) input not counted.
    pub inputs: usize,
    /// `P`: lanes (`1..=N`).
    pub lanes: usize,
    /// `T`: ticks per window (a power of two, `2..=256`).
    pub time_steps: usize,
    /// `F`: fractional bits of weights and `z`.
    pub frac_bits: usize,
    /// Fire spike events (`out_*`); `false`: stream `z` (`z_*`, potential readout).
    pub fires: bool,
    /// `W`: bits of every weight and bias (two's complement, `2..=16`).
    pub weight_bits: usize,
    /// Bits of `V` (two's complement): every partial sum of `z` fits (DESIGN §2 bound).
    pub z_bits: usize,
    /// Keep `V` and the spike ticks in flip-flops instead of block RAM (tiny layers).
    pub state_in_logic: bool,
    /// Where the weights live: ROM initialised by the bitstream, or loaded RAM / SPRAM.
    pub store: WeightStore,
    /// `outputs × inputs`, row `i` = incoming weights of neuron `i` (each fits `W` bits).
    pub weights: Vec<Vec<i32>>,
    /// One bias per neuron (weight of the always-on input).
    pub bias: Vec<i32>,
    /// Prefix of the weight image files: column `c` is `<prefix>_c<c>.hex`.
    pub hex_prefix: String,
    /// First tick of the fire phase's window counter: 0. Only the test-only
    /// `Fault::WindowOffByOne` sets 1 (the counter starts one tick late), to prove that the
    /// co-simulation catches such a bug.
    pub window_start: usize,
    /// A conv stage's geometry (`None`: dense). A conv stage's `outputs` are its output
    /// channels `Co` (the lanes run across them), `inputs` its kernel size `C·Kh·Kw`, and
    /// `weights` the kernels `[c][i][j]`, so the weight memory is laid out as for dense.
    pub conv: Option<ConvGeometry>,
    /// Depth of the [`crate::layer::EventQueue`] on a conv stage's output (0: none).
    pub event_queue: usize,
    /// A conv stage computes its coordinate words in logic ([`crate::layer::CoordLogic`])
    /// instead of reading them from a block-RAM ROM.
    pub coords_in_logic: bool,
    /// A conv stage registers its potential memory's read data, with the two-back forwarding
    /// that needs (ECP5: a `DP16KD`'s clock-to-out is 5.8 ns at 100 MHz); else the lanes take
    /// the read data as a dense stage's do (iCE40: 3·`z_bits` flip-flops a lane fewer).
    pub v_read_registered: bool,
    /// A conv stage's control refinements made after its ECP5 build was placed and measured:
    /// counters and row registers keep only the bits their values need
    /// ([`crate::prim::RDff::narrow`]), a `1×1` pool has no compare
    /// ([`crate::layer::PoolMax::pass_through`]), and the kernel walk takes the next event in
    /// its last cycle too (its `ready` then no longer waits on the walk's position compares).
    /// Every target could have them; ECP5 does not only so that its netlist stays the one
    /// placed at 102.8 MHz (the same netlist with one instance renamed placed at 94.5).
    pub lean_control: bool,
    /// Events a dense stage integrates per pass (1 or 2): with 2 its weight ROM is read
    /// through both ports ([`WeightMemory::dual`]) and each lane adds two products.
    pub events_per_cycle: usize,
    /// Event streams into the stage (1 or 2): with 2 (a dense stage of two events per pass)
    /// a [`crate::layer::PairMerge`] takes the second stream (`ev_in2`) beside the first, so
    /// that two events can enter per cycle.
    pub input_streams: usize,
}

impl StageParams {
    /// `G = ⌈N/P⌉`, groups of neurons per lane.
    pub fn groups(&self) -> usize {
        self.outputs.div_ceil(self.lanes)
    }

    /// Rows of the potential memory: `G` (dense), `G·Ho·Wo` (conv).
    pub fn v_rows(&self) -> usize {
        self.groups() * self.conv.as_ref().map_or(1, ConvGeometry::out_positions)
    }

    /// Rows of the spike-tick memory: `G` (dense), `G·Hp·Wp` (conv, pooled).
    pub fn tick_rows(&self) -> usize {
        self.groups() * self.conv.as_ref().map_or(1, ConvGeometry::pooled_positions)
    }

    /// Neurons of the map the stage sends: `N` (dense), `Co·Hp·Wp` (conv).
    pub fn sent_neurons(&self) -> usize {
        self.outputs * self.conv.as_ref().map_or(1, ConvGeometry::pooled_positions)
    }

    /// The conv stage's coordinate ROM image name (`<prefix>_coords.hex`).
    pub fn coord_image_name(&self) -> String {
        format!("{}_coords.hex", self.hex_prefix)
    }

    /// The weight memory layout (all lanes side by side, 16-bit columns).
    pub fn layout(&self) -> WeightLayout {
        WeightLayout {
            lanes: self.lanes,
            weight_bits: self.weight_bits,
            rows: (self.inputs + 1) * self.groups(),
        }
    }

    /// The weight memory of lane `p`: word `g·(fan_in + 1) + j` is `w[g·P + p][j]` (`j = fan_in`:
    /// the bias), 0 for padding neurons `g·P + p ≥ N`.
    pub fn lane_words(&self, p: usize) -> Vec<i32> {
        let stride = self.inputs + 1;
        let mut words = vec![0i32; stride * self.groups()];
        for g in 0..self.groups() {
            let i = g * self.lanes + p;
            if i >= self.outputs {
                continue;
            }
            words[g * stride..g * stride + self.inputs].copy_from_slice(&self.weights[i]);
            words[g * stride + self.inputs] = self.bias[i];
        }
        words
    }

    /// The per-lane weight words (`lane_words(p)` for every lane).
    pub fn all_lane_words(&self) -> Vec<Vec<i32>> {
        (0..self.lanes).map(|p| self.lane_words(p)).collect()
    }

    /// The weight memory of the stage (simulation contents and, for a ROM, its images).
    pub fn weight_memory(&self) -> WeightMemory {
        let memory = WeightMemory::new(
            self.layout(),
            self.store,
            &self.all_lane_words(),
            &self.hex_prefix,
        );
        if self.events_per_cycle == 2 {
            memory.dual()
        } else {
            memory
        }
    }

    /// The `$readmemh` images of the weight memory, `(file name, hex text)`, one per column
    /// (none when the weights are loaded through the stream).
    pub fn images(&self) -> Vec<(String, String)> {
        let mut images = self.weight_memory().images();
        if let Some(geo) = self.conv.as_ref().filter(|_| !self.coords_in_logic) {
            // Every word of the ROM's power-of-two depth (as `SyncRam::rom` sizes it), so no
            // simulator warns of a short file.
            let layout = crate::layer::conv_issue::CoordLayout::of(geo);
            let digits = layout.stored_bits().div_ceil(4);
            let features = geo.in_shape.iter().product::<usize>();
            let depth = features.max(2).next_power_of_two();
            let text: String = (0..depth)
                .map(|f| {
                    let word = if f < features {
                        crate::layer::conv_issue::coord_word(geo, &layout, f)
                    } else {
                        0
                    };
                    format!("{word:0digits$x}\n")
                })
                .collect();
            images.push((self.coord_image_name(), text));
        }
        images
    }

    /// The stage's part of the load image: for each row, its `C` column words.
    pub fn load_words(&self) -> Vec<u16> {
        let layout = self.layout();
        let cols = layout.pack(&self.all_lane_words());
        let mut out = Vec::with_capacity(layout.load_words());
        for a in 0..layout.rows {
            for col in &cols {
                out.push(col[a]);
            }
        }
        out
    }

    /// Checks the parameters against the accumulator width `zw` (panics with a message).
    pub fn validate(&self, zw: usize) {
        let (n, p, t) = (self.outputs, self.lanes, self.time_steps);
        assert!(
            (1..=65535).contains(&n),
            "layer stage: N = {n} not in 1..=65535"
        );
        assert!((1..=n).contains(&p), "layer stage: P = {p} not in 1..={n}");
        assert!(
            self.inputs <= 65534,
            "layer stage: fan_in {} > 65534",
            self.inputs
        );
        assert!(
            t.is_power_of_two() && (2..=256).contains(&t),
            "layer stage: T = {t} is not a power of two in 2..=256"
        );
        assert!(
            self.groups() * p <= 65536,
            "layer stage: G·P = {} exceeds the 16-bit index",
            self.groups() * p
        );
        assert!(
            (self.inputs + 1) * self.groups() <= 1 << WEIGHT_ADDR_BITS,
            "layer stage: weight memory depth exceeds 2^{WEIGHT_ADDR_BITS}"
        );
        assert!(
            self.v_rows() <= 1 << STATE_ADDR_BITS,
            "layer stage: G·Ho·Wo too large"
        );
        assert!(
            self.events_per_cycle == 1
                || (self.events_per_cycle == 2
                    && self.conv.is_none()
                    && self.store == WeightStore::Rom),
            "layer stage: {} events per cycle (2 only for a dense stage with ROM weights)",
            self.events_per_cycle
        );
        assert!(
            self.input_streams == 1 || (self.input_streams == 2 && self.events_per_cycle == 2),
            "layer stage: {} input streams (2 only with two events per pass)",
            self.input_streams
        );
        if let Some(geo) = &self.conv {
            if let Some(why) = geo.unsupported() {
                panic!("conv stage: {why}");
            }
            assert!(
                self.fires,
                "conv stage: a conv stage fires (the last layer is dense)"
            );
            assert!(
                self.sent_neurons() <= 65535
                    && self.groups() * self.lanes * geo.pooled_positions() <= 65536,
                "conv stage: the sent map exceeds the 16-bit index"
            );
        }
        assert!(
            (2..=zw).contains(&self.z_bits),
            "layer stage: z_bits = {} not in 2..={zw}",
            self.z_bits
        );
        assert_eq!(
            self.weights.len(),
            n,
            "layer stage: weights must have N rows"
        );
        assert_eq!(self.bias.len(), n, "layer stage: bias must have N entries");
        for (i, row) in self.weights.iter().enumerate() {
            assert_eq!(
                row.len(),
                self.inputs,
                "layer stage: row {i} has wrong length"
            );
        }
        let wb = self.weight_bits;
        assert!(
            (2..=16).contains(&wb),
            "layer stage: W = {wb} not in 2..=16"
        );
        let fits = |w: i32| (-(1 << (wb - 1))..(1 << (wb - 1))).contains(&w);
        assert!(
            self.weights.iter().flatten().all(|&w| fits(w)) && self.bias.iter().all(|&b| fits(b)),
            "layer stage: a weight does not fit {wb} bits"
        );
        if self.store == WeightStore::Spram {
            assert!(
                self.layout().rows <= 16384 && self.layout().columns() <= 4,
                "layer stage: SPRAM weights need ≤ 16384 rows and ≤ 4 columns"
            );
        }
        assert!(
            zw >= 8 + self.frac_bits + 2,
            "layer stage: ZW = {zw} < K + F + 2 = {}",
            10 + self.frac_bits
        );
    }
}
