//! The files of a generated design in its output folder: the top's Verilog (the design's own
//! `ttfs_top`, or a board's wrapper `board_top`), its `$readmemh` images, the weight image
//! `weights.bin`, the quantized `model.json` it came from and `report.json`.

use super::report::ReportJson;
use crate::commands::write_file;
use crate::synth::board::WRAPPER_TOP;
use anyhow::{Context, Result};
use hdl::board::{Board, FlashImage};
use hdl::generate::LoadImage;
use hdl::plan::Design;
use std::path::{Path, PathBuf};

/// What [`write`] leaves for the steps after it.
pub struct DesignFiles {
    /// The top's Verilog file.
    pub top: PathBuf,
    /// The layout of the weight image, when the design loads its weights (DESIGN §4 `w_*`).
    pub load: Option<LoadImage>,
    /// Where the board wrapper reads that image from its SPI flash, when it does.
    pub flash: Option<FlashImage>,
}

impl DesignFiles {
    /// `report.json` of `d`, the design these files were generated from.
    pub fn report<'a>(&'a self, d: &'a Design) -> ReportJson<'a> {
        ReportJson::new(d, self.load.as_ref())
    }
}

/// The generator's output for either top, before it is written.
struct Generated {
    /// Name of the top's Verilog file.
    file: String,
    verilog: String,
    memories: Vec<(String, String)>,
    /// `weights.bin`: the stream a host sends through `w_*`, or what the board's flash holds.
    image: Option<Vec<u8>>,
    load: Option<LoadImage>,
    flash: Option<FlashImage>,
}

fn generate(d: &Design, board: Option<Board>) -> Result<Generated> {
    Ok(match board {
        None => {
            let g = hdl::generate::generate(d)?;
            Generated {
                file: "ttfs_top.v".into(),
                image: g.load.as_ref().map(LoadImage::to_bytes),
                verilog: g.verilog,
                memories: g.memories,
                load: g.load,
                flash: None,
            }
        }
        Some(b) => {
            let g = hdl::board::generate_board(d, b)?;
            Generated {
                file: format!("{WRAPPER_TOP}.v"),
                // A board reads the image from its flash or not at all: no host streams it.
                image: g.flash.as_ref().map(|f| f.bytes.clone()),
                verilog: g.verilog,
                memories: g.memories,
                load: g.load,
                flash: g.flash,
            }
        }
    })
}

/// Generates `d` into `out`: the design's own `ttfs_top` (`board: None`) or the board wrapper
/// `board_top` (`hdl::board::generate_board`), with their memory images, `weights.bin` when
/// the top loads its weights, `model.json` and `report.json`. The tools and simulators run in
/// `out`, so everything the Verilog reads by bare name sits there.
pub fn write(d: &Design, board: Option<Board>, out: &Path) -> Result<DesignFiles> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    let g = generate(d, board)?;
    let top = out.join(&g.file);
    write_file(&top, &g.verilog)?;
    for (name, text) in &g.memories {
        write_file(&out.join(name), text)?;
    }
    write_image(&out.join("weights.bin"), g.image.as_deref())?;
    d.model.save(&out.join("model.json"))?;
    let files = DesignFiles {
        top,
        load: g.load,
        flash: g.flash,
    };
    write_file(&out.join("report.json"), &files.report(d).to_json()?)?;
    Ok(files)
}

/// [`write`] of the design's own top; returns the path of its Verilog file.
pub fn write_design(d: &Design, out: &Path) -> Result<PathBuf> {
    Ok(write(d, None, out)?.top)
}

fn write_image(bin: &Path, image: Option<&[u8]>) -> Result<()> {
    match image {
        Some(bytes) => {
            std::fs::write(bin, bytes).with_context(|| format!("cannot write {}", bin.display()))
        }
        // A stale image from an earlier generation would mislead a host or flash tool.
        None if bin.exists() => std::fs::remove_file(bin)
            .with_context(|| format!("cannot remove stale {}", bin.display())),
        None => Ok(()),
    }
}

/// The weight-load image `weights.bin` that [`write`] wrote into `dir`, as 16-bit words
/// (empty when the design has no load stream).
pub fn read_load_image(dir: &Path) -> Result<Vec<u16>> {
    let bin = dir.join("weights.bin");
    if !bin.exists() {
        return Ok(vec![]);
    }
    let bytes = std::fs::read(&bin).with_context(|| format!("cannot read {}", bin.display()))?;
    anyhow::ensure!(
        bytes.len() % 2 == 0,
        "{} has an odd number of bytes ({}): regenerate it with gen-verilog",
        bin.display(),
        bytes.len()
    );
    Ok(bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect())
}
