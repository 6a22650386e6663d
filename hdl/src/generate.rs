//! `generate`: one Verilog file (core modules + the ANSI `ttfs_top` wrapper of DESIGN §4)
//! and the `$readmemh` memory images of a planned [`Design`].

use crate::layer::StageParams;
use crate::layer::WeightStore;
use crate::plan::Design;
use crate::prim::ice40_spram;
use crate::top::{elaborate, pick_zw, TtfsCore};
use crate::verilog::{self, Dir, Instance, VerilogError, Wrapper};

/// Name of the generated rust-hdl core module.
pub const CORE_MODULE: &str = "ttfs_core";
/// Name of the ANSI top module (DESIGN §4).
pub const TOP_MODULE: &str = "ttfs_top";

/// What [`generate`] produces.
#[derive(Clone, Debug)]
pub struct Generated {
    /// One Verilog-2001 file: the rust-hdl modules of the core, then `ttfs_top`.
    pub verilog: String,
    /// `$readmemh` files `(file name, contents)` that must sit in the working directory of
    /// the simulator / synthesiser (the Verilog refers to them by these bare names).
    pub memories: Vec<(String, String)>,
    /// Accumulator width of the core (from [`crate::top::ZW_MENU`]).
    pub zw: usize,
    /// The weight-load image (`weights.bin`, little-endian 16-bit words) when the top has the
    /// `w_*` load stream (DESIGN §4), with its layout.
    pub load: Option<LoadImage>,
}

/// The weight image streamed through `w_*` after every reset: the loaded stages' weight rows in
/// layer order, each row as its 16-bit column words, column 0 first (see
/// [`crate::layer::WeightLayout`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadImage {
    /// The words, in stream order.
    pub words: Vec<u16>,
    /// Per loaded layer (1-based): `(layer, first word, rows, columns, lanes, weight_bits,
    /// store)`.
    pub segments: Vec<LoadSegment>,
}

/// One loaded layer's part of a [`LoadImage`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoadSegment {
    /// Layer (1-based).
    pub layer: usize,
    /// Offset of its first word in the image.
    pub first_word: usize,
    /// Rows `(fan_in + 1)·G`: row `g·(fan_in + 1) + j` holds input `j` (the bias at
    /// `j = fan_in`) of neurons `g·P .. g·P + P`.
    pub rows: usize,
    /// 16-bit words per row.
    pub columns: usize,
    /// `P`: lane `p`'s weight is row bits `[p·W, p·W + W)`.
    pub lanes: usize,
    /// `W`.
    pub weight_bits: usize,
    /// `"spram"` or `"ram"`.
    pub store: String,
}

impl LoadImage {
    /// `weights.bin`: the words as little-endian bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
}

/// The load image of `design` (`None` when every stage keeps its weights in the bitstream).
pub fn load_image(design: &Design) -> Option<LoadImage> {
    load_image_of(&elaborate(design, ""))
}

/// The load image of the elaborated stages `params` (layer `k + 1` is `params[k]`).
pub fn load_image_of(params: &[StageParams]) -> Option<LoadImage> {
    let mut image = LoadImage {
        words: vec![],
        segments: vec![],
    };
    for (k, params) in params.iter().enumerate() {
        let store = params.store;
        if !store.loadable() {
            continue;
        }
        let layout = params.layout();
        image.segments.push(LoadSegment {
            layer: k + 1,
            first_word: image.words.len(),
            rows: layout.rows,
            columns: layout.columns(),
            lanes: layout.lanes,
            weight_bits: layout.weight_bits,
            store: if store == WeightStore::Spram {
                "spram".into()
            } else {
                "ram".into()
            },
        });
        image.words.extend(params.load_words());
    }
    (!image.segments.is_empty()).then_some(image)
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A layer needs a wider `z` than the largest supported accumulator (40 bits).
    #[error("a layer needs z wider than 40 bits (max z_bits {z_bits}, frac_bits {frac_bits}); reduce weight_bits, fan-in or T")]
    ZTooWide {
        /// Largest `z_bits` of the design.
        z_bits: u32,
        /// Largest `frac_bits`.
        frac_bits: u32,
    },
    /// The design exceeds a fixed port width of the core.
    #[error("{0}")]
    Unsupported(String),
    /// rust-hdl's checks or a bad name.
    #[error(transparent)]
    Verilog(#[from] VerilogError),
}

/// Generates the Verilog and memory images of `design`. The top module `ttfs_top` has exactly
/// the DESIGN §4 ports: `clk`, `rst`, `s_valid`, `s_ready`, `s_data[input_bits-1:0]`,
/// `s_last`, `m_valid`, `m_ready`, `m_class[class_bits-1:0]`, `m_error`, plus `w_valid`,
/// `w_ready`, `w_data[15:0]`, `w_last` when weights are loaded at run time (UP5K SPRAM or
/// `--weights runtime`).
pub fn generate(design: &Design) -> Result<Generated, GenerateError> {
    if design.input_bits > 16 {
        return Err(GenerateError::Unsupported(format!(
            "input_bits {} > 16",
            design.input_bits
        )));
    }
    if design.class_bits > 16 {
        return Err(GenerateError::Unsupported(format!(
            "class_bits {} > 16",
            design.class_bits
        )));
    }
    for_zw(design, CoreBuild)
}

/// What is built for one accumulator width `ZW` (a const generic of the core): the generator's
/// `ttfs_top`, the board wrapper. [`for_zw`] picks the width.
pub trait ZwBuild {
    type Output;
    fn build<const ZW: usize>(self, design: &Design) -> Result<Self::Output, GenerateError>;
}

/// Runs `job` with the narrowest accumulator width of [`crate::top::ZW_MENU`] that `design`
/// needs ([`pick_zw`]), or refuses a design wider than the menu.
pub fn for_zw<B: ZwBuild>(design: &Design, job: B) -> Result<B::Output, GenerateError> {
    match pick_zw(design) {
        Some(16) => job.build::<16>(design),
        Some(24) => job.build::<24>(design),
        Some(32) => job.build::<32>(design),
        Some(40) => job.build::<40>(design),
        _ => Err(GenerateError::ZTooWide {
            z_bits: design.layers.iter().map(|l| l.z_bits).max().unwrap_or(0),
            frac_bits: design.layers.iter().map(|l| l.frac_bits).max().unwrap_or(0),
        }),
    }
}

struct CoreBuild;

impl ZwBuild for CoreBuild {
    type Output = Generated;
    fn build<const ZW: usize>(self, design: &Design) -> Result<Generated, GenerateError> {
        build::<ZW>(design)
    }
}

fn build<const ZW: usize>(design: &Design) -> Result<Generated, GenerateError> {
    let params = elaborate(design, "");
    let mut core = TtfsCore::<ZW>::from_params(design, &params);
    core.connect_inputs();
    let modules = verilog::generate(&core, CORE_MODULE)?;
    let ports = verilog::ports(&core);
    let expected = [
        ("clock", Dir::In, 1),
        ("rst", Dir::In, 1),
        ("s$valid", Dir::In, 1),
        ("s$ready", Dir::Out, 1),
        ("s$data", Dir::In, 16),
        ("s$last", Dir::In, 1),
        ("m$valid", Dir::Out, 1),
        ("m$ready", Dir::In, 1),
        ("m$class", Dir::Out, 16),
        ("m$error", Dir::Out, 1),
        ("w_valid", Dir::In, 1),
        ("w_ready", Dir::Out, 1),
        ("w_data", Dir::In, 16),
        ("loaded", Dir::Out, 1),
    ];
    let taps = if design.options.trace {
        trace_taps(design)
    } else {
        vec![]
    };
    // The trace taps of `ttfs_top` narrow these (see `top_wrapper`).
    let tap_ports = taps.iter().flat_map(|t| {
        std::iter::once(&t.port)
            .chain(&t.pair)
            .flat_map(|port| {
                [("valid", 1), ("eow", 1), ("m", 8), ("index", 16)]
                    .map(|(f, width)| (format!("{port}{f}"), Dir::Out, width))
            })
            .collect::<Vec<_>>()
    });
    let expected = expected.map(|(name, dir, width)| (name.to_string(), dir, width));
    for (name, dir, width) in expected.into_iter().chain(tap_ports) {
        let ok = ports
            .iter()
            .any(|p| p.name == name && p.dir == dir && p.width == width);
        assert!(ok, "core port {name} missing or changed: {ports:?}");
    }
    for slot in 1..design.input_lanes {
        let name = format!("s_slot${}", slot - 1);
        let ok = ports
            .iter()
            .any(|p| p.name == name && p.dir == Dir::In && p.width == 16);
        assert!(ok, "core port {name} missing or changed: {ports:?}");
    }
    let load = load_image_of(&params);
    let wrapper = top_wrapper(
        design.input_bits as usize,
        design.input_lanes,
        design.inputs,
        design.class_bits as usize,
        &taps,
        load.is_some(),
    )?;
    let mut verilog = verilog::single_file(&modules, &wrapper);
    ice40_spram::append_sim_model(&mut verilog);
    Ok(Generated {
        verilog,
        memories: core.images().to_vec(),
        zw: ZW,
        load,
    })
}

/// The ANSI `ttfs_top` around `ttfs_core`: hands each of the `lanes` features of `s_data`
/// (`b` bits each) to the core's slot of 16 bits (`s$data`, then `s_slot$k`), narrows `m_class` to `cw` bits (the core never produces a
/// class ≥ `classes`), and exposes the load stream when `load` (else ties `w_valid` low).
/// `w_last` is accepted for the DESIGN §4 interface; the core counts the image's words itself
/// (its size is fixed by the design).
fn top_wrapper(
    b: usize,
    lanes: usize,
    inputs: usize,
    cw: usize,
    taps: &[Tap],
    load: bool,
) -> Result<String, VerilogError> {
    let mut w = Wrapper::new(TOP_MODULE);
    w.doc("LC-TTFS accelerator top (DESIGN §4), ANSI ports.");
    w.input("clk", 1).input("rst", 1);
    w.input("s_valid", 1).output("s_ready", 1);
    w.input("s_data", b * lanes).input("s_last", 1);
    w.output("m_valid", 1).input("m_ready", 1);
    w.output("m_class", cw).output("m_error", 1);
    if load {
        w.input("w_valid", 1).output("w_ready", 1);
        w.input("w_data", 16).input("w_last", 1);
    }
    for t in taps {
        let l = t.stream;
        w.output(&format!("t{l}_valid"), 1);
        w.output(&format!("t{l}_eow"), 1);
        w.output(&format!("t{l}_m"), t.k);
        w.output(&format!("t{l}_index"), t.iw);
        if t.pair.is_some() {
            w.output(&format!("t{l}_valid2"), 1);
            w.output(&format!("t{l}_m2"), t.k);
            w.output(&format!("t{l}_index2"), t.iw);
        }
    }
    let mut core = Instance::new(CORE_MODULE, "core");
    core.conn("clock", "clk").same(&["rst"]);
    input_path(&mut w, &mut core, b, lanes, inputs);
    w.narrow("m_class", cw, "core_m_class", 16);
    w.wire("core_loaded", 1);
    core.conn("m$valid", "m_valid")
        .conn("m$ready", "m_ready")
        .conn("m$class", "core_m_class")
        .conn("m$error", "m_error");
    if load {
        w.wire_eq("unused_load", 1, "w_last | core_loaded");
        core.same(&["w_valid", "w_ready", "w_data"]);
    } else {
        w.wire("core_w_ready", 1);
        w.wire_eq("unused_load", 1, "core_w_ready | core_loaded");
        core.conn("w_valid", "1'b0")
            .conn("w_ready", "core_w_ready")
            .conn("w_data", "16'd0");
    }
    core.conn("loaded", "core_loaded");
    trace_outputs(&mut w, &mut core, taps);
    w.instance(core);
    w.render()
}

/// The `--trace` outputs of `ttfs_top`: tap `i` of the core (`trace$i$valid`, `trace$i$eow`,
/// `trace$i$m[7:0]`, `trace$i$index[15:0]`) drives `t<l>_valid`, `t<l>_eow`, and `t<l>_m` and
/// `t<l>_index` narrowed to the layer's tick and index widths (`l` the tap's stream).
fn trace_outputs(w: &mut Wrapper, core: &mut Instance, taps: &[Tap]) {
    for t in taps {
        let (l, p) = (t.stream, &t.port);
        core.conn(format!("{p}valid"), format!("t{l}_valid"));
        core.conn(format!("{p}eow"), format!("t{l}_eow"));
        for (f, width, wide) in [("m", t.k, 8), ("index", t.iw, 16)] {
            let wire = format!("core_t{l}_{f}");
            w.narrow(&format!("t{l}_{f}"), width, &wire, wide);
            core.conn(format!("{p}{f}"), wire);
        }
        if let Some(p) = &t.pair {
            // The second event of a cycle never is an eow.
            core.conn(format!("{p}valid"), format!("t{l}_valid2"));
            w.wire(&format!("unused_t{l}_eow2"), 1);
            core.conn(format!("{p}eow"), format!("unused_t{l}_eow2"));
            for (f, width, wide) in [("m", t.k, 8), ("index", t.iw, 16)] {
                let wire = format!("core_t{l}_{f}2");
                w.narrow(&format!("t{l}_{f}2"), width, &wire, wide);
                core.conn(format!("{p}{f}"), wire);
            }
        }
    }
}

/// `s_*` into the core: slot `k` of each beat (`s_data[k·b +: b]`), zero-extended to 16
/// bits, is `s$data` for `k = 0` and `s_slot$(k − 1)` above; the core's wide encoder takes
/// all `lanes` slots of a beat in one cycle. A sample of `inputs` features ends on a beat
/// whose slots from `inputs − (⌈inputs/lanes⌉ − 1)·lanes` on are padding.
fn input_path(w: &mut Wrapper, core: &mut Instance, b: usize, lanes: usize, inputs: usize) {
    core.conn("s$valid", "s_valid").conn("s$ready", "s_ready");
    if lanes == 1 {
        w.wire_eq("core_s_data", 16, verilog::zero_extended("s_data", b, 16));
        core.conn("s$data", "core_s_data").conn("s$last", "s_last");
        return;
    }
    w.comment("DESIGN §4 revision 2: several features per beat, all taken in one cycle; the");
    w.comment("padding slots of the beat that closes a sample read 0 (a 0 never spikes).");
    let rest = inputs - (inputs.div_ceil(lanes) - 1) * lanes;
    for slot in 0..lanes {
        let field = format!("s_data[{}:{}]", (slot + 1) * b - 1, slot * b);
        let value = verilog::zero_extended(&field, b, 16);
        let wire = format!("core_s_slot{slot}");
        if slot >= rest {
            w.wire_eq(&wire, 16, format!("s_last ? 16'd0 : {value}"));
        } else {
            w.wire_eq(&wire, 16, value);
        }
        if slot == 0 {
            core.conn("s$data", &wire);
        } else {
            core.conn(format!("s_slot${}", slot - 1), &wire);
        }
    }
    core.conn("s$last", "s_last");
}

/// One traced event stream: `stream` 0 is the encoder's output, `l ≥ 1` the spikes of map `l`
/// (`layers[l − 1]`'s output: a conv stage sends its fused pool's map).
#[derive(Clone, Debug)]
struct Tap {
    stream: usize,
    /// The core's port prefix: `trace$i$` (encoder, dense stages) or `conv_trace$i$`.
    port: String,
    /// `K = log2 T`.
    k: usize,
    /// `max(1, ceil(log2 width))` of the sending layer.
    iw: usize,
    /// The core's port prefix of the second event of a cycle (`trace2$0$`: the encoder's two
    /// streams into a [`crate::layer::PairMerge`]), which `ttfs_top` exposes as
    /// `t<l>_valid2`, `t<l>_m2`, `t<l>_index2`; `None` for a stream of one event per cycle.
    pair: Option<String>,
}

/// The event streams of `design`: the encoder's, then every firing layer's.
fn trace_taps(design: &Design) -> Vec<Tap> {
    let k = design.tick_bits as usize;
    let encoder = Tap {
        stream: 0,
        port: "trace$0$".into(),
        k,
        iw: crate::plan::index_bits(design.inputs) as usize,
        pair: (design.encoder_streams == 2).then(|| "trace2$0$".into()),
    };
    let convs = design.layers.iter().filter(|p| p.conv.is_some());
    let dense = design.layers.iter().filter(|p| p.conv.is_none() && p.fires);
    let tap = |port: String, plan: &crate::plan::LayerPlan| Tap {
        stream: plan.map,
        port,
        k,
        iw: crate::plan::index_bits(plan.sent) as usize,
        pair: None,
    };
    std::iter::once(encoder)
        .chain(
            convs
                .enumerate()
                .map(|(i, p)| tap(format!("conv_trace${i}$"), p)),
        )
        .chain(
            dense
                .enumerate()
                .map(|(i, p)| tap(format!("trace${}$", i + 1), p)),
        )
        .collect()
}
