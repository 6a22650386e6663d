//! `generate_board`: the Verilog of a board wrapper (`board_top`, ANSI ports named as in the
//! board's constraint file), its memory images and the flash image of the weights.

use crate::board::{Board, BoardParams, BoardTop};
use crate::generate::{for_zw, load_image, GenerateError, LoadImage, ZwBuild};
use crate::plan::Design;
use crate::prim::ice40_spram;
use crate::verilog::{self, Dir, Instance, Port, VerilogError, Wrapper};

/// Name of the generated rust-hdl module of [`BoardTop`].
pub const BOARD_CORE_MODULE: &str = "board_core";
/// Name of the ANSI board top module.
pub const BOARD_TOP_MODULE: &str = "board_top";

/// The weight image as it is written into the board's SPI flash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashImage {
    /// Byte offset in the flash ([`Board::flash_weights_offset`]).
    pub offset: u32,
    /// The bytes: `weights.bin` (16-bit little-endian words).
    pub bytes: Vec<u8>,
}

/// What [`generate_board`] produces.
#[derive(Clone, Debug)]
pub struct GeneratedBoard {
    /// The board.
    pub board: Board,
    /// The wrapper's parameters (clock, UART divisor, flash reader…).
    pub params: BoardParams,
    /// One Verilog-2001 file: the rust-hdl modules, the vendor-primitive models, `board_top`.
    pub verilog: String,
    /// `$readmemh` files `(name, contents)` for the working directory of the tools.
    pub memories: Vec<(String, String)>,
    /// Accumulator width of the core.
    pub zw: usize,
    /// The weight-load image (when the design loads its weights).
    pub load: Option<LoadImage>,
    /// The same image placed in the flash (when the board reads it from flash).
    pub flash: Option<FlashImage>,
}

impl Board {
    /// The wrapper parameters of this board for `design` (the flash reader gets the load
    /// image's length).
    pub fn params(self, design: &Design) -> BoardParams {
        let words = load_image(design).map(|l| l.words.len() as u32);
        BoardParams {
            pll: self.pll(),
            cycles_per_bit: self.uart_cycles_per_bit(),
            reset_hold_cycles: self.reset_hold_cycles(),
            flash: words.and_then(|w| self.flash_config(w)),
        }
    }
}

/// Generates the board wrapper of `design` for `board` with the board's own parameters
/// ([`Board::params`]). Refused with [`GenerateError::Unsupported`]: `input_bits > 8` (link
/// values of at most 8 bits), more than 128 classes (7-bit class in the answer byte), more
/// than 65536 inputs, or a design that loads its weights on a board without a flash reader.
pub fn generate_board(design: &Design, board: Board) -> Result<GeneratedBoard, GenerateError> {
    generate_board_with(design, board, board.params(design))
}

/// [`generate_board`] with explicit parameters (tests shorten the UART bit, the reset and
/// the timeouts so that a simulation stays short; the board's pins are unchanged).
pub fn generate_board_with(
    design: &Design,
    board: Board,
    params: BoardParams,
) -> Result<GeneratedBoard, GenerateError> {
    let refuse = |what: String| Err(GenerateError::Unsupported(format!("board {board}: {what}")));
    if design.input_bits > 8 {
        return refuse(format!(
            "input_bits {} > 8: the board link carries inputs of at most 8 bits; quantize the inputs to 8 bits",
            design.input_bits
        ));
    }
    if design.input_lanes > 8 {
        return refuse(format!(
            "--input-lanes {}: the board's beat packer takes at most 8 features per beat; give --input-lanes 8 or fewer",
            design.input_lanes
        ));
    }
    if design.classes > 128 {
        return refuse(format!(
            "{} classes > 128: the answer byte holds a 7-bit class",
            design.classes
        ));
    }
    if !(1..=1 << 16).contains(&design.inputs) {
        return refuse(format!("{} inputs not in 1..=65536", design.inputs));
    }
    let link = crate::board::LinkFormat::of_model(&design.model);
    if link.payload_bytes() > 1 << 16 {
        return refuse(format!(
            "a link frame of {} payload bytes is over 65536; use fewer inputs",
            link.payload_bytes()
        ));
    }
    let load = load_image(design);
    if let Some(l) = &load {
        match params.flash {
            None => {
                return refuse(
                    "the design loads its weights at run time (SPRAM or --weights runtime) \
                     but the board has no flash reader; use embedded weights"
                        .into(),
                )
            }
            Some(cfg) if cfg.words as usize != l.words.len() => {
                return refuse(format!(
                    "flash reader reads {} words, the load image has {}",
                    cfg.words,
                    l.words.len()
                ))
            }
            Some(_) => {}
        }
    }
    for_zw(
        design,
        BoardBuild {
            board,
            params,
            load,
        },
    )
}

/// The board wrapper for one accumulator width.
struct BoardBuild {
    board: Board,
    params: BoardParams,
    load: Option<LoadImage>,
}

impl ZwBuild for BoardBuild {
    type Output = GeneratedBoard;
    fn build<const ZW: usize>(self, design: &Design) -> Result<GeneratedBoard, GenerateError> {
        build::<ZW>(design, self.board, self.params, self.load)
    }
}

fn build<const ZW: usize>(
    design: &Design,
    board: Board,
    params: BoardParams,
    load: Option<LoadImage>,
) -> Result<GeneratedBoard, GenerateError> {
    let mut top = BoardTop::<ZW>::new(design, params);
    top.connect_inputs();
    let modules = verilog::generate(&top, BOARD_CORE_MODULE)?;
    let wrapper = board_wrapper(board, params)?;
    let mut text = verilog::single_file(&modules, &wrapper);
    ice40_spram::append_sim_model(&mut text);
    let flash = match (&load, board.flash_weights_offset()) {
        (Some(l), Some(offset)) if params.flash.is_some() => Some(FlashImage {
            offset,
            bytes: l.to_bytes(),
        }),
        _ => None,
    };
    Ok(GeneratedBoard {
        board,
        params,
        verilog: text,
        memories: top.images().to_vec(),
        zw: ZW,
        load,
        flash,
    })
}

/// The ANSI `board_top` of `board` around `board_core`: the board's pin names
/// ([`Board::ports`]) and its LED mapping ([`Board::led_doc`]). Boards without the flash pins
/// leave the core's flash outputs open and hold its `flash_miso` high.
fn board_wrapper(board: Board, params: BoardParams) -> Result<String, VerilogError> {
    let core_hz = params
        .pll
        .map(|p| p.out_hz(board.osc_hz()))
        .unwrap_or(board.osc_hz());
    let mut w = Wrapper::new(BOARD_TOP_MODULE);
    w.doc(format!(
        "Board wrapper for {board}: oscillator {} Hz, core clock {core_hz} Hz, UART {} baud \
         ({} cycles per bit), link frames of hdl::board::link.",
        board.osc_hz(),
        core_hz / params.cycles_per_bit as u64,
        params.cycles_per_bit
    ));
    w.doc(format!("LEDs: {}.", board.led_doc()));
    for (name, out, width) in board.ports() {
        let dir = if out { Dir::Out } else { Dir::In };
        w.port(Port {
            name: name.into(),
            dir,
            width,
            signed: false,
        });
    }
    w.wire("loaded", 1).wire("heartbeat", 1).wire("error", 1);
    w.wire("answer", 8);
    let mut core = Instance::new(BOARD_CORE_MODULE, "core");
    core.conn("clock", "clk")
        .same(&["btn_n", "uart_rx", "uart_tx"]);
    let flash_pins = board == Board::Icebreaker;
    for pin in ["flash_cs_n", "flash_sck", "flash_mosi"] {
        if flash_pins {
            core.same(&[pin]);
        } else {
            let open = pin.replace("flash_", "unused_");
            w.wire(&open, 1);
            core.conn(pin, open);
        }
    }
    core.conn("flash_miso", if flash_pins { "flash_miso" } else { "1'b1" })
        .conn("led_loaded", "loaded")
        .conn("led_heartbeat", "heartbeat")
        .conn("led_error", "error")
        .conn("led_class", "answer");
    w.instance(core);
    match board {
        Board::Icebreaker => {
            w.assign("led_g_n", "~loaded").assign("led_r_n", "~error");
            w.assign("led", "{answer[3:0], heartbeat}");
            w.wire_eq("unused_answer", 1, "|answer[7:4]");
        }
        Board::Ulx3s25f => {
            w.assign("led", "{answer[4:0], error, heartbeat, loaded}");
            w.wire_eq("unused_answer", 1, "|answer[7:5]");
        }
    }
    w.render()
}
