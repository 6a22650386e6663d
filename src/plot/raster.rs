//! Spike raster of one sample: every layer's spikes on one absolute time axis.
//!
//! The spike ticks are taken verbatim from a golden [`SnnTrace`] (the event simulator's), never
//! recomputed from the ANN formula: the picture shows what the simulator did. One band per layer
//! (input encoder, hidden layers, output), stacked top to bottom in pipeline order, each with its
//! own window `[l·T, (l+1)·T]` shaded.

use super::{draw_legend, drawing_error, font, Figure};
use anyhow::Result;
use golden::model::{LayerKind, Model};
use golden::snn::SnnTrace;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Pixels of the figure.
const WIDTH: u32 = 1200;
const HEIGHT: u32 = 900;
/// Extra height of the bottom band for the tick axis and its description.
const X_AXIS_AREA: u32 = 55;

const WINDOW_FILL: RGBColor = RGBColor(222, 232, 247);
const SPIKE: RGBColor = RGBColor(31, 78, 160);
const PREDICTED: RGBColor = RGBColor(205, 40, 40);

/// One layer of the raster.
#[derive(Clone, Debug)]
pub struct Band {
    /// Layer number of DESIGN §2 (0 = the encoded input).
    pub layer: usize,
    pub name: String,
    /// Absolute spike tick of every neuron, silent ones at the window end.
    pub ticks: Vec<u32>,
}

impl Band {
    /// Neurons of the band.
    pub fn neurons(&self) -> usize {
        self.ticks.len()
    }

    /// Non-silent spikes (`q > 0`): a silent neuron "fires" at its window end, which hardware
    /// treats as no event, so it is not drawn.
    pub fn events(&self, time_steps: u32) -> impl Iterator<Item = (usize, u32)> + '_ {
        let end = (self.layer as u32 + 1) * time_steps;
        self.ticks
            .iter()
            .copied()
            .enumerate()
            .filter(move |&(_, t)| t < end)
    }
}

/// The raster figure of one sample.
#[derive(Clone, Debug)]
pub struct Raster {
    pub title: String,
    pub time_steps: u32,
    pub bands: Vec<Band>,
    /// Predicted class (highlighted in the output band).
    pub predicted: usize,
}

/// Display names of the maps of a trace of `model` (input encoder included): `hidden l` for a
/// dense layer, `conv2d l` / `maxpool2d l` with `l` the window it fires in (a pool fires in its
/// conv's window, DESIGN §2.1), `output` for the last.
pub fn band_names(model: &Model, window: &[usize]) -> Vec<String> {
    let maps = model.layers.len() + 1;
    (0..maps)
        .map(|k| match k {
            0 => "input encoder".to_string(),
            k if k + 1 == maps => "output".to_string(),
            k => match model.layers[k - 1].kind {
                LayerKind::Dense => format!("hidden {}", window[k]),
                kind => format!("{} {}", kind.name(), window[k]),
            },
        })
        .collect()
}

impl Raster {
    /// The raster of a golden trace of `model`; `title` names the sample and the classes.
    pub fn from_trace(model: &Model, trace: &SnnTrace, title: String) -> Raster {
        let names = band_names(model, &trace.window);
        let bands = trace
            .spike_ticks
            .iter()
            .zip(names)
            .zip(&trace.window)
            .map(|((ticks, name), &layer)| Band {
                layer,
                name,
                ticks: ticks.clone(),
            })
            .collect();
        Raster {
            title,
            time_steps: trace.time_steps,
            bands,
            predicted: trace.class,
        }
    }

    /// Windows of the run, `L + 1` (pools share their conv's).
    fn windows(&self) -> usize {
        self.bands.iter().map(|b| b.layer + 1).max().unwrap_or(0)
    }

    /// Last absolute tick of the whole run, `(L+1)·T`.
    pub fn end_tick(&self) -> u32 {
        self.windows() as u32 * self.time_steps
    }

    /// Band heights in pixels: proportional to `ln(neurons)` so that a 10-neuron output layer
    /// stays readable next to a 784-neuron input, plus the x axis under the last band.
    fn band_heights(&self, total: u32) -> Vec<u32> {
        let weights: Vec<f64> = self
            .bands
            .iter()
            .map(|b| ((b.neurons() + 1) as f64).ln().max(2.5))
            .collect();
        let sum: f64 = weights.iter().sum();
        let avail = total.saturating_sub(X_AXIS_AREA) as f64;
        let mut heights: Vec<u32> = weights
            .iter()
            .map(|w| (avail * w / sum).round() as u32)
            .collect();
        if let Some(last) = heights.last_mut() {
            *last += X_AXIS_AREA;
        }
        heights
    }
}

impl Figure for Raster {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(drawing_error)?;
        let area = root
            .margin(8, 8, 8, 16)
            .titled(&self.title, font(24.0))
            .map_err(drawing_error)?;
        let (_, h) = area.dim_in_pixel();
        let heights = self.band_heights(h);
        let breaks: Vec<i32> = heights
            .iter()
            .scan(0i32, |acc, &hh| {
                *acc += hh as i32;
                Some(*acc)
            })
            .take(heights.len().saturating_sub(1))
            .collect();
        let areas = area.split_by_breakpoints(Vec::<i32>::new(), breaks);
        let n_bands = self.bands.len();
        for (k, (band, band_area)) in self.bands.iter().zip(areas.iter()).enumerate() {
            self.draw_band(band, band_area, k == 0, k + 1 == n_bands)?;
        }
        Ok(())
    }
}

/// A band's chart: ticks across, neurons up.
type BandChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Where a band's marks go.
struct BandLayout {
    /// Neurons of the band.
    n: usize,
    /// Top of the y range: above the top neuron, a strip for the band's annotations.
    top: f64,
    /// The band is the output layer and small enough to label every neuron and mark the
    /// predicted class.
    is_output: bool,
    /// Radius of a spike dot.
    radius: i32,
}

impl BandLayout {
    fn of(band: &Band, last: bool) -> BandLayout {
        let n = band.neurons();
        BandLayout {
            n,
            // A strip above the top neuron keeps the band's annotations off the spikes.
            top: n as f64 - 0.5 + (n as f64 * 0.08).max(1.2),
            is_output: last && n <= 16,
            // Dot size shrinks with the neuron count so that a dense input layer stays legible.
            radius: match n {
                0..=16 => 6,
                17..=200 => 3,
                _ => 2,
            },
        }
    }
}

impl Raster {
    fn draw_band<DB: DrawingBackend>(
        &self,
        band: &Band,
        area: &DrawingArea<DB, Shift>,
        first: bool,
        last: bool,
    ) -> Result<()> {
        let layout = BandLayout::of(band, last);
        let mut chart = self.band_chart(band, &layout, area, last)?;
        self.draw_windows(&mut chart, band, &layout)?;
        let spikes = self.draw_spikes(&mut chart, band, &layout)?;
        if layout.is_output {
            self.mark_prediction(&mut chart, band, &layout)?;
        }
        let end = self.end_tick() as f64;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((end + 0.5, layout.top))
                    + Text::new(
                        format!("{spikes} spikes"),
                        (-5, 3),
                        font(13.0).color(&BLACK.mix(0.7)).pos(
                            plotters::style::text_anchor::Pos::new(
                                plotters::style::text_anchor::HPos::Right,
                                plotters::style::text_anchor::VPos::Top,
                            ),
                        ),
                    ),
            ))
            .map_err(drawing_error)?;
        if first {
            draw_legend(&mut chart, SeriesLabelPosition::MiddleRight, 14.0)?;
        }
        Ok(())
    }

    /// The band's axes: neuron numbers (not in the annotation strip), and the tick axis under
    /// the last band.
    fn band_chart<'a, DB: DrawingBackend>(
        &self,
        band: &Band,
        layout: &BandLayout,
        area: &'a DrawingArea<DB, Shift>,
        last: bool,
    ) -> Result<BandChart<'a, DB>> {
        let n = layout.n;
        let mut chart = ChartBuilder::on(area)
            .margin_top(4)
            .margin_bottom(4)
            .margin_right(12)
            .x_label_area_size(if last { X_AXIS_AREA as i32 } else { 0 })
            .y_label_area_size(95)
            .build_cartesian_2d(-0.5..self.end_tick() as f64 + 0.5, -0.5..layout.top)
            .map_err(drawing_error)?;
        let neuron_label = |v: &f64| {
            if *v < n as f64 - 0.5 {
                format!("{}", v.round() as i64)
            } else {
                String::new()
            }
        };
        let mut mesh = chart.configure_mesh();
        mesh.disable_mesh()
            .y_desc(format!("{} ({n})", band.name))
            .axis_desc_style(font(17.0))
            .label_style(font(14.0))
            .y_labels(if layout.is_output { n + 2 } else { 5 })
            .y_label_formatter(&neuron_label)
            .x_labels(2 * self.windows() + 1)
            .x_label_formatter(&|v| format!("{}", v.round() as i64));
        if last {
            mesh.x_desc("absolute tick  (layer l fires in its window [l·T, (l+1)·T])");
        }
        mesh.draw().map_err(drawing_error)?;
        Ok(chart)
    }

    /// This layer's own window, then the boundaries of every window for orientation.
    fn draw_windows<DB: DrawingBackend>(
        &self,
        chart: &mut BandChart<'_, DB>,
        band: &Band,
        layout: &BandLayout,
    ) -> Result<()> {
        let (t, top) = (self.time_steps, layout.top);
        let (w0, w1) = (band.layer as u32 * t, (band.layer as u32 + 1) * t);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(w0 as f64, -0.5), (w1 as f64, top)],
                WINDOW_FILL.filled(),
            )))
            .map_err(drawing_error)?
            .label("layer's own window [l·T, (l+1)·T]")
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], WINDOW_FILL.filled()));
        chart
            .draw_series((0..=self.windows()).map(|k| {
                let x = (k as u32 * t) as f64;
                PathElement::new(vec![(x, -0.5), (x, top)], BLACK.mix(0.25))
            }))
            .map_err(drawing_error)?;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((w0 as f64, top))
                    + Text::new(
                        format!("layer {}: window [{w0}, {w1}]", band.layer),
                        (5, 3),
                        font(13.0).color(&BLACK.mix(0.7)),
                    ),
            ))
            .map_err(drawing_error)?;
        Ok(())
    }

    /// The band's spikes (the predicted class's is left to [`Raster::mark_prediction`]);
    /// returns how many there are.
    fn draw_spikes<DB: DrawingBackend>(
        &self,
        chart: &mut BandChart<'_, DB>,
        band: &Band,
        layout: &BandLayout,
    ) -> Result<usize> {
        let events: Vec<(usize, u32)> = band.events(self.time_steps).collect();
        chart
            .draw_series(
                events
                    .iter()
                    .filter(|&&(i, _)| !(layout.is_output && i == self.predicted))
                    .map(|&(i, tick)| {
                        Circle::new((tick as f64, i as f64), layout.radius, SPIKE.filled())
                    }),
            )
            .map_err(drawing_error)?
            .label("spike (silent neurons, q = 0, send none)")
            .legend(|(x, y)| Circle::new((x + 8, y), 4, SPIKE.filled()));
        Ok(events.len())
    }

    /// The predicted class's spike, bigger and in its own colour, with its label.
    fn mark_prediction<DB: DrawingBackend>(
        &self,
        chart: &mut BandChart<'_, DB>,
        band: &Band,
        layout: &BandLayout,
    ) -> Result<()> {
        let tick = band.ticks[self.predicted] as f64;
        let y = self.predicted as f64;
        chart
            .draw_series(std::iter::once(Circle::new(
                (tick, y),
                layout.radius + 2,
                PREDICTED.filled(),
            )))
            .map_err(drawing_error)?;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((tick, y))
                    + Text::new(
                        format!("predicted class {}", self.predicted),
                        (layout.radius + 8, -8),
                        font(14.0).color(&PREDICTED),
                    ),
            ))
            .map_err(drawing_error)?;
        Ok(())
    }
}
