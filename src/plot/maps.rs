//! Feature maps of one sample: every map of a convolutional model (input, conv, pool) drawn as
//! images, one tile per channel, each pixel coloured by its activation `q` — how early the
//! neuron fired inside its window. A raster of 6 272 conv neurons is a cloud of dots; the same
//! spikes laid out on the map's own rows and columns show the digit and what each kernel found.
//!
//! Like the raster, the values come verbatim from a golden [`SnnTrace`]: `q = (l+1)·T − t`
//! of every spike tick `t` the event simulator produced.

use super::{drawing_error, font, Figure};
use anyhow::Result;
use golden::model::{Model, Shape};
use golden::snn::SnnTrace;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Pixels of the figure's width; the height follows the number of map rows.
const WIDTH: u32 = 1200;
/// Height of one row of tiles (its caption included) and of the title.
const ROW_HEIGHT: u32 = 190;
const TITLE_HEIGHT: u32 = 60;
/// At most this many channels per map are drawn (the caption says when some are left out):
/// beyond it the tiles get too small to read.
pub const MAX_CHANNELS: usize = 16;

/// One map of the figure.
#[derive(Clone, Debug)]
pub struct MapPanel {
    /// e.g. `layer 1 conv2d 8×28×28 (window 1)`.
    pub name: String,
    pub shape: Shape,
    /// `q` of every neuron, channel-major (`(c·H + y)·W + x`), `0..=T`.
    pub q: Vec<u32>,
}

impl MapPanel {
    /// Channels drawn.
    pub fn channels_drawn(&self) -> usize {
        self.shape[0].min(MAX_CHANNELS)
    }
}

/// The feature-map figure of one sample.
#[derive(Clone, Debug)]
pub struct FeatureMaps {
    pub title: String,
    pub time_steps: u32,
    pub maps: Vec<MapPanel>,
}

impl FeatureMaps {
    /// The maps of a trace of `model` that are images (`H, W > 1`: the input and every conv
    /// and pool output); `None` when the model has none (a dense-only model).
    pub fn from_trace(model: &Model, trace: &SnnTrace, title: String) -> Option<FeatureMaps> {
        let q = trace.q();
        let mut maps = Vec::new();
        let shapes = std::iter::once((model.in_shape(), "input".to_string())).chain(
            model.layers.iter().enumerate().map(|(k, layer)| {
                (
                    layer.out_shape(),
                    format!("layers[{k}] {}", layer.kind.name()),
                )
            }),
        );
        for (k, (shape, what)) in shapes.enumerate() {
            if shape[1] <= 1
                || shape[2] <= 1
                || q.get(k).is_none_or(|v| v.len() != shape_len(shape))
            {
                continue;
            }
            maps.push(MapPanel {
                name: format!(
                    "{what}  {}×{}×{}  (window {})",
                    shape[0], shape[1], shape[2], trace.window[k]
                ),
                shape,
                q: q[k].clone(),
            });
        }
        (!maps.is_empty()).then_some(FeatureMaps {
            title,
            time_steps: trace.time_steps,
            maps,
        })
    }
}

fn shape_len(shape: Shape) -> usize {
    shape[0] * shape[1] * shape[2]
}

/// Colour of activation `q` of `T`: white for a silent neuron (`q = 0`, no event), then from
/// light to dark blue as the spike comes earlier (`q = T`: fired at the window start).
pub fn colour(q: u32, time_steps: u32) -> RGBColor {
    if q == 0 {
        return WHITE;
    }
    let f = q as f64 / time_steps.max(1) as f64;
    let mix = |light: u8, dark: u8| (light as f64 + (dark as f64 - light as f64) * f) as u8;
    RGBColor(mix(198, 8), mix(219, 48), mix(239, 107))
}

impl Figure for FeatureMaps {
    fn size(&self) -> (u32, u32) {
        (
            WIDTH,
            TITLE_HEIGHT + ROW_HEIGHT * self.maps.len() as u32 + 40,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(drawing_error)?;
        let (title, rest) = root.split_vertically(TITLE_HEIGHT);
        title
            .draw(&Text::new(self.title.clone(), (10, 12), font(22.0)))
            .map_err(drawing_error)?;
        title
            .draw(&Text::new(
                format!(
                    "each tile is one channel; darker = earlier spike (q = T = {} at the window \
                     start), white = silent (q = 0, no event)",
                    self.time_steps
                ),
                (10, 40),
                font(14.0).color(&BLACK.mix(0.7)),
            ))
            .map_err(drawing_error)?;
        let rows = rest.split_evenly((self.maps.len(), 1));
        for (map, row) in self.maps.iter().zip(rows.iter()) {
            self.draw_map(map, row)?;
        }
        Ok(())
    }
}

impl FeatureMaps {
    fn draw_map<DB: DrawingBackend>(
        &self,
        map: &MapPanel,
        row: &DrawingArea<DB, Shift>,
    ) -> Result<()> {
        let [channels, h, w] = map.shape;
        let drawn = map.channels_drawn();
        let caption = if drawn < channels {
            format!("{}: channels 0–{} of {channels}", map.name, drawn - 1)
        } else {
            map.name.clone()
        };
        let (label, tiles) = row.split_vertically(28);
        label
            .draw(&Text::new(caption, (10, 6), font(16.0)))
            .map_err(drawing_error)?;
        let (tw, th) = tiles.dim_in_pixel();
        // Square pixels: the largest cell that fits `drawn` tiles side by side and the row.
        let cell = ((tw as usize / drawn.max(1)).saturating_sub(8) / w.max(1))
            .min((th as usize).saturating_sub(20) / h.max(1))
            .max(1) as i32;
        for c in 0..drawn {
            let x0 = 10 + c as i32 * (cell * w as i32 + 8);
            let y0 = 2;
            tiles
                .draw(&Rectangle::new(
                    [
                        (x0 - 1, y0 - 1),
                        (x0 + cell * w as i32, y0 + cell * h as i32),
                    ],
                    BLACK.mix(0.35).stroke_width(1),
                ))
                .map_err(drawing_error)?;
            for y in 0..h {
                for x in 0..w {
                    let q = map.q[(c * h + y) * w + x];
                    if q == 0 {
                        continue;
                    }
                    let (px, py) = (x0 + x as i32 * cell, y0 + y as i32 * cell);
                    tiles
                        .draw(&Rectangle::new(
                            [(px, py), (px + cell, py + cell)],
                            colour(q, self.time_steps).filled(),
                        ))
                        .map_err(drawing_error)?;
                }
            }
            tiles
                .draw(&Text::new(
                    format!("c{c}"),
                    (x0, y0 + cell * h as i32 + 3),
                    font(12.0).color(&BLACK.mix(0.7)),
                ))
                .map_err(drawing_error)?;
        }
        Ok(())
    }
}
