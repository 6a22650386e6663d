//! `generate`: one Verilog file (core modules + the ANSI `ttfs_top` wrapper of DESIGN §4)
//! and the `$readmemh` memory images of a planned [`Design`].

use crate::encoder::beat_splitter::{BeatSplitter, MAX_BEAT_BITS};
use crate::layer::weight_memory::SB_SPRAM256KA_SIM;
use crate::layer::StageParams;
use crate::layer::WeightStore;
use crate::plan::Design;
use crate::top::{elaborate, pick_zw, TtfsCore};
use crate::verilog::{self, Dir, VerilogError};
use std::fmt::Write as _;

/// Name of the generated rust-hdl core module.
pub const CORE_MODULE: &str = "ttfs_core";
/// Name of the ANSI top module (DESIGN §4).
pub const TOP_MODULE: &str = "ttfs_top";
/// Module name of the beat splitter in front of the core (`input_lanes > 1`).
pub const SPLITTER_MODULE: &str = "ttfs_beat_splitter";

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
        ("s_valid", Dir::In, 1),
        ("s_ready", Dir::Out, 1),
        ("s_data", Dir::In, 16),
        ("s_last", Dir::In, 1),
        ("m_valid", Dir::Out, 1),
        ("m_ready", Dir::In, 1),
        ("m_class", Dir::Out, 16),
        ("m_error", Dir::Out, 1),
        ("w_valid", Dir::In, 1),
        ("w_ready", Dir::Out, 1),
        ("w_data", Dir::In, 16),
        ("loaded", Dir::Out, 1),
    ];
    for (name, dir, width) in expected {
        let ok = ports
            .iter()
            .any(|p| p.name == name && p.dir == dir && p.width == width);
        assert!(ok, "core port {name} missing or changed: {ports:?}");
    }
    let taps = if design.options.trace {
        trace_taps(design)
    } else {
        vec![]
    };
    let mut modules = add_trace_ports(&modules, &taps)?;
    if design.input_lanes > 1 {
        let mut split = BeatSplitter::new(
            design.input_lanes,
            design.input_bits as usize,
            design.inputs,
        );
        split.connect_inputs();
        modules.push('\n');
        modules.push_str(&verilog::generate(&split, SPLITTER_MODULE)?);
    }
    let load = load_image_of(&params);
    let wrapper = top_wrapper(
        design.input_bits as usize * design.input_lanes,
        design.input_lanes > 1,
        design.class_bits as usize,
        &taps,
        load.is_some(),
    );
    let mut verilog = verilog::single_file(&modules, &wrapper);
    if params.iter().any(|p| p.store == WeightStore::Spram) {
        verilog.push('\n');
        verilog.push_str(SB_SPRAM256KA_SIM);
    }
    Ok(Generated {
        verilog,
        memories: core.images().to_vec(),
        zw: ZW,
        load,
    })
}

/// The ANSI `ttfs_top` around `ttfs_core`: zero-extends `s_data` (`b` bits: one feature, or
/// with `split` a beat of several that [`BeatSplitter`] hands on one per cycle) to the core's
/// 16 bits (the splitter's 64), narrows `m_class` to `cw` bits (the core never produces a
/// class ≥ `classes`), and exposes the load stream when `load` (else ties `w_valid` low).
/// `w_last` is accepted for the DESIGN §4 interface; the core counts the image's words itself
/// (its size is fixed by the design).
fn top_wrapper(b: usize, split: bool, cw: usize, taps: &[Tap], load: bool) -> String {
    let range = |w: usize| {
        if w > 1 {
            format!(" [{}:0]", w - 1)
        } else {
            String::new()
        }
    };
    let mut v = String::new();
    let _ = writeln!(v, "// LC-TTFS accelerator top (DESIGN §4), ANSI ports.");
    let _ = writeln!(v, "module {TOP_MODULE} (");
    let _ = writeln!(v, "    input  wire clk,");
    let _ = writeln!(v, "    input  wire rst,");
    let _ = writeln!(v, "    input  wire s_valid,");
    let _ = writeln!(v, "    output wire s_ready,");
    let _ = writeln!(v, "    input  wire{} s_data,", range(b));
    let _ = writeln!(v, "    input  wire s_last,");
    let _ = writeln!(v, "    output wire m_valid,");
    let _ = writeln!(v, "    input  wire m_ready,");
    let _ = writeln!(v, "    output wire{} m_class,", range(cw));
    let _ = write!(v, "    output wire m_error");
    if load {
        let _ = write!(
            v,
            ",\n    input  wire w_valid,\n    output wire w_ready,\n    \
             input  wire [15:0] w_data,\n    input  wire w_last"
        );
    }
    for t in taps {
        let l = t.stream;
        let _ = write!(
            v,
            ",\n    output wire t{l}_valid,\n    output wire t{l}_eow,\n    \
             output wire{} t{l}_m,\n    output wire{} t{l}_index",
            range(t.k),
            range(t.iw)
        );
    }
    let _ = writeln!(v, "\n);");
    let (inner, inner_bits) = if split {
        ("split_s_data", MAX_BEAT_BITS)
    } else {
        ("core_s_data", 16)
    };
    if b < inner_bits {
        let _ = writeln!(
            v,
            "    wire [{}:0] {inner} = {{{{{}{{1'b0}}}}, s_data}};",
            inner_bits - 1,
            inner_bits - b
        );
    } else {
        let _ = writeln!(v, "    wire [{}:0] {inner} = s_data;", inner_bits - 1);
    }
    let (core_valid, core_ready, core_last) = if split {
        let _ = writeln!(
            v,
            "    // DESIGN §4 revision 2: several features per beat, one per cycle to the core.\n    \
             wire core_s_valid, core_s_ready, core_s_last;\n    wire [15:0] core_s_data;\n    \
             {SPLITTER_MODULE} split (\n        .clock(clk),\n        .rst(rst),\n        \
             .s_valid(s_valid),\n        .s_ready(s_ready),\n        .s_data(split_s_data),\n        \
             .s_last(s_last),\n        .m_valid(core_s_valid),\n        .m_ready(core_s_ready),\n        \
             .m_data(core_s_data),\n        .m_last(core_s_last)\n    );"
        );
        ("core_s_valid", "core_s_ready", "core_s_last")
    } else {
        ("s_valid", "s_ready", "s_last")
    };
    let _ = writeln!(v, "    wire [15:0] core_m_class;");
    let _ = writeln!(v, "    assign m_class = core_m_class[{}:0];", cw - 1);
    if cw < 16 {
        let _ = writeln!(v, "    wire unused_class_hi = |core_m_class[15:{cw}];");
    }
    let _ = writeln!(v, "    wire core_loaded;");
    if load {
        let _ = writeln!(v, "    wire unused_load = w_last | core_loaded;");
    } else {
        let _ = writeln!(v, "    wire core_w_ready;");
        let _ = writeln!(v, "    wire unused_load = core_w_ready | core_loaded;");
    }
    let _ = writeln!(v, "    {CORE_MODULE} core (");
    let _ = writeln!(v, "        .clock(clk),");
    let _ = writeln!(v, "        .rst(rst),");
    let _ = writeln!(v, "        .s_valid({core_valid}),");
    let _ = writeln!(v, "        .s_ready({core_ready}),");
    let _ = writeln!(v, "        .s_data(core_s_data),");
    let _ = writeln!(v, "        .s_last({core_last}),");
    let _ = writeln!(v, "        .m_valid(m_valid),");
    let _ = writeln!(v, "        .m_ready(m_ready),");
    let _ = writeln!(v, "        .m_class(core_m_class),");
    let _ = writeln!(v, "        .m_error(m_error),");
    if load {
        let _ = writeln!(v, "        .w_valid(w_valid),");
        let _ = writeln!(v, "        .w_ready(w_ready),");
        let _ = writeln!(v, "        .w_data(w_data),");
    } else {
        let _ = writeln!(v, "        .w_valid(1'b0),");
        let _ = writeln!(v, "        .w_ready(core_w_ready),");
        let _ = writeln!(v, "        .w_data(16'd0),");
    }
    let _ = write!(v, "        .loaded(core_loaded)");
    for t in taps {
        let l = t.stream;
        for f in ["valid", "eow", "m", "index"] {
            let _ = write!(v, ",\n        .t{l}_{f}(t{l}_{f})");
        }
    }
    let _ = writeln!(v);
    let _ = writeln!(v, "    );");
    let _ = writeln!(v, "endmodule");
    v
}

/// One traced event stream: `stream` 0 is the encoder's output, `l ≥ 1` the spikes of layer
/// `l`; `prefix` is the rust-hdl instance of the sender, `ready` the receiver's ready wire.
#[derive(Clone, Debug)]
struct Tap {
    stream: usize,
    prefix: String,
    ready: String,
    /// `K = log2 T`.
    k: usize,
    /// `max(1, ceil(log2 width))` of the sending layer.
    iw: usize,
}

/// The event streams of `design`: the encoder's, then every firing layer's.
fn trace_taps(design: &Design) -> Vec<Tap> {
    let n = design.layers.len();
    let k = design.tick_bits as usize;
    let mut taps = vec![Tap {
        stream: 0,
        prefix: "encoder$".into(),
        ready: "stages$0$in_ready".into(),
        k,
        iw: crate::plan::index_bits(design.inputs) as usize,
    }];
    for (i, plan) in design.layers.iter().enumerate() {
        if !plan.fires {
            continue;
        }
        let ready = if i + 1 < n {
            format!("stages${}$in_ready", i + 1)
        } else {
            "readout$ev_ready".into()
        };
        taps.push(Tap {
            stream: i + 1,
            prefix: format!("stages${i}$"),
            ready,
            k,
            iw: crate::plan::index_bits(plan.outputs) as usize,
        });
    }
    taps
}

/// Adds the trace outputs `t<l>_valid` (`valid && ready` of the stream), `t<l>_eow`,
/// `t<l>_m[K-1:0]`, `t<l>_index[IW-1:0]` to the core module (the first module of rust-hdl's
/// output, `module ttfs_core(...);` with a Verilog-95 port list): rust-hdl has no per-layer
/// named ports for a run-time number of layers, so they are spliced into its text.
fn add_trace_ports(modules: &str, taps: &[Tap]) -> Result<String, GenerateError> {
    if taps.is_empty() {
        return Ok(modules.to_string());
    }
    let bad =
        |what: &str| GenerateError::Unsupported(format!("trace: {what} not found in the core"));
    let header = format!("module {CORE_MODULE}(");
    let start = modules.find(&header).ok_or_else(|| bad("core module"))?;
    let head_end = start
        + modules[start..]
            .find(");")
            .ok_or_else(|| bad("port list"))?;
    let end = start
        + modules[start..]
            .find("endmodule")
            .ok_or_else(|| bad("endmodule"))?;
    let mut names = String::new();
    let mut decls = String::new();
    let mut assigns = String::new();
    let range = |w: usize| {
        if w > 1 {
            format!(" [{}:0]", w - 1)
        } else {
            String::new()
        }
    };
    for t in taps {
        let (l, p) = (t.stream, &t.prefix);
        for wire in ["out_valid", "out_eow", "out_m", "out_index"] {
            if !modules[start..end].contains(&format!("{p}{wire};")) {
                return Err(bad(&format!("{p}{wire}")));
            }
        }
        let _ = write!(names, ",t{l}_valid,t{l}_eow,t{l}_m,t{l}_index");
        let _ = writeln!(
            decls,
            "    output wire t{l}_valid;\n    output wire t{l}_eow;\n    \
             output wire{} t{l}_m;\n    output wire{} t{l}_index;",
            range(t.k),
            range(t.iw)
        );
        let sel = |w: usize| {
            if w > 1 {
                format!("[{}:0]", w - 1)
            } else {
                "[0]".into()
            }
        };
        let _ = writeln!(
            assigns,
            "    assign t{l}_valid = {p}out_valid & {};\n    assign t{l}_eow = {p}out_eow;\n    \
             assign t{l}_m = {p}out_m{};\n    assign t{l}_index = {p}out_index{};",
            t.ready,
            sel(t.k),
            sel(t.iw)
        );
    }
    let decl_at = head_end
        + modules[head_end..]
            .find('\n')
            .ok_or_else(|| bad("header line"))?
        + 1;
    Ok(format!(
        "{}{names}{}{decls}{}    // Trace taps (generator option).\n{assigns}{}",
        &modules[..head_end],
        &modules[head_end..decl_at],
        &modules[decl_at..end],
        &modules[end..]
    ))
}
