//! `generate_board`: the Verilog of a board wrapper (`board_top`, ANSI ports named as in the
//! board's constraint file), its memory images and the flash image of the weights.

use crate::board::{Board, BoardParams, BoardTop};
use crate::generate::{for_zw, load_image, GenerateError, LoadImage, ZwBuild};
use crate::layer::weight_memory::SB_SPRAM256KA_SIM;
use crate::layer::WeightStore;
use crate::plan::Design;
use crate::top::weight_store;
use crate::verilog;
use std::fmt::Write as _;

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
            idle_timeout_cycles: self.idle_timeout_cycles(),
            flash: words.and_then(|w| self.flash_config(w)),
        }
    }
}

/// Generates the board wrapper of `design` for `board` with the board's own parameters
/// ([`Board::params`]). Refused with [`GenerateError::Unsupported`]: `input_bits > 8` (one
/// UART byte per feature), more than 128 classes (7-bit class in the answer byte), more
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
            "input_bits {} > 8: the UART carries one byte per feature",
            design.input_bits
        ));
    }
    if design.input_lanes != 1 {
        return refuse(format!(
            "--input-lanes {}: the UART carries one feature per byte; drop --input-lanes",
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
    let wrapper = board_wrapper(board, params);
    let mut text = verilog::single_file(&modules, &wrapper);
    if (0..design.layers.len()).any(|k| weight_store(design, k) == WeightStore::Spram) {
        text.push('\n');
        text.push_str(SB_SPRAM256KA_SIM);
    }
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
/// ([`Board::ports`]) and its LED mapping ([`Board::led_doc`]).
fn board_wrapper(board: Board, params: BoardParams) -> String {
    let mut v = String::new();
    let _ = writeln!(
        v,
        "// Board wrapper for {board}: oscillator {} Hz, core clock {} Hz, UART {} baud \
         ({} cycles per bit).",
        board.osc_hz(),
        params
            .pll
            .map(|p| p.out_hz(board.osc_hz()))
            .unwrap_or(board.osc_hz()),
        crate::board::UART_BAUD,
        params.cycles_per_bit
    );
    let _ = writeln!(v, "// LEDs: {}.", board.led_doc());
    let _ = writeln!(v, "module {BOARD_TOP_MODULE} (");
    let ports = board.ports();
    for (i, (name, out, w)) in ports.iter().enumerate() {
        let range = if *w > 1 {
            format!(" [{}:0]", w - 1)
        } else {
            String::new()
        };
        let sep = if i + 1 < ports.len() { "," } else { "" };
        let dir = if *out { "output" } else { "input " };
        let _ = writeln!(v, "    {dir} wire{range} {name}{sep}");
    }
    let _ = writeln!(v, ");");
    let _ = writeln!(v, "    wire loaded;");
    let _ = writeln!(v, "    wire heartbeat;");
    let _ = writeln!(v, "    wire error;");
    let _ = writeln!(v, "    wire [7:0] answer;");
    let flash_pins = board == Board::Icebreaker;
    if !flash_pins {
        let _ = writeln!(v, "    wire unused_cs_n;");
        let _ = writeln!(v, "    wire unused_sck;");
        let _ = writeln!(v, "    wire unused_mosi;");
    }
    let _ = writeln!(v, "    {BOARD_CORE_MODULE} core (");
    let _ = writeln!(v, "        .clock(clk),");
    let _ = writeln!(v, "        .btn_n(btn_n),");
    let _ = writeln!(v, "        .uart_rx(uart_rx),");
    let _ = writeln!(v, "        .uart_tx(uart_tx),");
    if flash_pins {
        let _ = writeln!(v, "        .flash_cs_n(flash_cs_n),");
        let _ = writeln!(v, "        .flash_sck(flash_sck),");
        let _ = writeln!(v, "        .flash_mosi(flash_mosi),");
        let _ = writeln!(v, "        .flash_miso(flash_miso),");
    } else {
        let _ = writeln!(v, "        .flash_cs_n(unused_cs_n),");
        let _ = writeln!(v, "        .flash_sck(unused_sck),");
        let _ = writeln!(v, "        .flash_mosi(unused_mosi),");
        let _ = writeln!(v, "        .flash_miso(1'b1),");
    }
    let _ = writeln!(v, "        .led_loaded(loaded),");
    let _ = writeln!(v, "        .led_heartbeat(heartbeat),");
    let _ = writeln!(v, "        .led_error(error),");
    let _ = writeln!(v, "        .led_class(answer)");
    let _ = writeln!(v, "    );");
    match board {
        Board::Icebreaker => {
            let _ = writeln!(v, "    assign led_g_n = ~loaded;");
            let _ = writeln!(v, "    assign led_r_n = ~error;");
            let _ = writeln!(v, "    assign led = {{answer[3:0], heartbeat}};");
            let _ = writeln!(v, "    wire unused_answer = |answer[7:4];");
        }
        Board::Ulx3s25f => {
            let _ = writeln!(
                v,
                "    assign led = {{answer[4:0], error, heartbeat, loaded}};"
            );
            let _ = writeln!(v, "    wire unused_answer = |answer[7:5];");
        }
    }
    let _ = writeln!(v, "endmodule");
    v
}
