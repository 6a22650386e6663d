//! Figures of `ttfs plot`: a spike raster of one sample ([`raster`]) with, for a model with
//! feature maps, the maps as images ([`maps`]), and an accuracy / spikes
//! sweep over `T` ([`sweep`]). Each figure is drawn once per backend from the same code, so the
//! SVG and the PNG show exactly the same thing.
//!
//! Text is rendered with the DejaVu Sans font embedded in the binary (`assets/fonts/`, license
//! next to it) through plotters' `ab_glyph` backend: the PNGs never depend on the fonts of the
//! machine that draws them. SVG text names the `sans-serif` family and is laid out by the viewer.

pub mod maps;
pub mod raster;
pub mod sweep;

use anyhow::{anyhow, ensure, Context, Result};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// DejaVu Sans 2.37 (Debian `fonts-dejavu-core`), Bitstream Vera license.
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The family every figure asks for; registered to the embedded font.
pub const FONT_FAMILY: &str = "sans-serif";

/// Registers the embedded font once per process (plotters keeps a global font table).
fn register_embedded_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    ensure!(
        ok,
        "the embedded font assets/fonts/DejaVuSans.ttf cannot be parsed (a bug of ttfs)"
    );
    Ok(())
}

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    /// Width and height in pixels (the PNG's size, the SVG's viewport).
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Maps a plotters error (generic over the backend) to a one-line anyhow error.
pub(crate) fn drawing_error<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing the figure failed: {e}")
}

/// A text style of the embedded font.
pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().into()
}

/// The legend of a chart's labelled series, on a light box.
pub(crate) fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    font_size: f64,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .label_font(font(font_size))
        .draw()
        .map_err(drawing_error)
}

/// Creates the output directory; called before long computations so that a bad `--out` is
/// refused at once.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output directory {}", dir.display()))
}

/// Writes `<dir>/<stem>.svg` and `<dir>/<stem>.png` (creating `dir`) and returns both paths.
pub fn save(figure: &impl Figure, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf)> {
    register_embedded_font()?;
    prepare_dir(dir)?;
    let svg_path = dir.join(format!("{stem}.svg"));
    let png_path = dir.join(format!("{stem}.png"));

    // The SVG is rendered into memory first so that a write error names the file.
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(drawing_error)?;
    }
    std::fs::write(&svg_path, svg)
        .with_context(|| format!("cannot write {}", svg_path.display()))?;

    {
        let root = BitMapBackend::new(&png_path, figure.size()).into_drawing_area();
        figure.draw(&root)?;
        root.present()
            .map_err(|e| anyhow!("cannot write {}: {e}", png_path.display()))?;
    }
    Ok((svg_path, png_path))
}
