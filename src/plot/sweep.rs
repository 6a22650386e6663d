//! Accuracy and spikes per neuron against `T`, the number of ticks per layer window, or against
//! the weight bits.
//!
//! Over `T` ([`Axis::TimeSteps`]): for every `T = 2^k` the float model is quantized with
//! `time_steps = T` (the weights do not depend on `T`, the activations do: they take `T + 1`
//! levels). Over weight bits ([`Axis::WeightBits`]): the float model is quantized at its own `T`
//! with 2 to 8 weight bits (`frac_bits` per layer as `ttfs quantize` picks it). Every model is
//! then run three ways: the float ReLU1 ANN (no quantization, so one value for the whole sweep),
//! the integer ANN and the golden event simulator. LC-TTFS is exact, so the integer ANN and the
//! SNN must agree on every spike; the sweep counts the samples where they do not (a bug if ever
//! non-zero).

use super::{draw_legend, drawing_error, font, Figure};
use anyhow::{Context, Result};
use golden::data::Dataset;
use golden::forward::{float_forward, forward};
use golden::model::{FloatModel, Model};
use golden::quantize::{quantize, QuantizeOptions};
use golden::snn::EventSim;
use plotters::chart::MeshStyle;
use plotters::coord::types::{RangedCoordf64, RangedCoordi32};
use plotters::coord::Shift;
use plotters::prelude::*;

/// `T = 2^k` for these `k` (DESIGN §2 allows 1..=8).
pub const LOG2_T: std::ops::RangeInclusive<u32> = 1..=8;

/// Weight bits of the sweep over weight bits.
pub const WEIGHT_BITS: std::ops::RangeInclusive<u32> = 2..=8;

/// What a sweep varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// Ticks per layer window `T` = 2, 4, …, 256 at fixed weight bits.
    #[value(name = "t")]
    TimeSteps,
    /// Weight bits 2..=8 at the float model's own `T`.
    #[value(name = "weight-bits")]
    WeightBits,
}

impl Axis {
    /// File stem of the figure: `sweep` over `T` (the README's figure), `sweep-weight-bits`.
    pub fn stem(self) -> &'static str {
        match self {
            Axis::TimeSteps => "sweep",
            Axis::WeightBits => "sweep-weight-bits",
        }
    }
}

const WIDTH: u32 = 1300;
const HEIGHT: u32 = 560;

const FLOAT: RGBColor = RGBColor(90, 90, 90);
const QUANT: RGBColor = RGBColor(31, 78, 160);
const SNN: RGBColor = RGBColor(230, 120, 20);

/// The figures of one `T` (or one weight width).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SweepPoint {
    pub time_steps: u32,
    pub weight_bits: u32,
    /// `frac_bits` the quantizer picked, per layer.
    pub frac_bits: Vec<u32>,
    /// Integer ANN accuracy (activations at `T` levels).
    pub quantized_acc: f64,
    /// Golden event-driven SNN accuracy.
    pub snn_acc: f64,
    /// Non-silent spikes per neuron (input encoder included) per sample.
    pub spikes_per_neuron: f64,
    /// Samples where any spike or the class differs between SNN and integer ANN.
    pub mismatches: usize,
}

/// The whole sweep (`ttfs plot sweep --json` prints it).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Sweep {
    /// What varies from point to point.
    pub over: Axis,
    /// Dataset name for the title.
    pub dataset: String,
    pub samples: usize,
    /// Weight bits of every point of a sweep over `T`; `null` over weight bits.
    pub weight_bits: Option<u32>,
    /// Float ReLU1 accuracy (independent of `T`).
    pub float_acc: f64,
    /// The `T` the float model was trained at (marked in the figure).
    pub trained_t: u32,
    pub points: Vec<SweepPoint>,
}

/// Per-thread tallies over a slice of the samples.
struct Counts {
    float_ok: usize,
    quant_ok: Vec<usize>,
    snn_ok: Vec<usize>,
    spikes: Vec<u64>,
    mismatches: Vec<usize>,
}

impl Counts {
    /// No sample counted yet, for `models` models.
    fn zero(models: usize) -> Counts {
        Counts {
            float_ok: 0,
            quant_ok: vec![0; models],
            snn_ok: vec![0; models],
            spikes: vec![0; models],
            mismatches: vec![0; models],
        }
    }
}

/// Quantizes `float` at its own `T` with every weight width of [`WEIGHT_BITS`].
pub fn models_over_weight_bits(float: &FloatModel) -> Result<Vec<Model>> {
    WEIGHT_BITS
        .map(|bits| {
            let opts = QuantizeOptions::new(bits)?;
            quantize(float, &opts)
                .map(|(m, _)| m)
                .with_context(|| format!("quantizing the float model at {bits} weight bits failed"))
        })
        .collect()
}

/// Quantizes `float` at every `T` of [`LOG2_T`] with `weight_bits`.
pub fn models(float: &FloatModel, weight_bits: u32) -> Result<Vec<Model>> {
    let opts = QuantizeOptions::new(weight_bits)?;
    LOG2_T
        .map(|k| {
            let t = 1u32 << k;
            let mut f = float.clone();
            f.time_steps = t;
            quantize(&f, &opts)
                .map(|(m, _)| m)
                .with_context(|| format!("quantizing the float model at T = {t} failed"))
        })
        .collect()
}

/// Runs the sweep on `data` (already checked to fit the models), on up to `threads` threads.
/// `weight_bits` is the fixed width of a sweep over `T`, `None` over weight bits.
#[allow(clippy::too_many_arguments)]
pub fn run(
    over: Axis,
    float: &FloatModel,
    models: &[Model],
    data: &Dataset,
    dataset: &str,
    weight_bits: Option<u32>,
    threads: usize,
    bar: &indicatif::ProgressBar,
) -> Sweep {
    let n = data.len();
    let threads = threads.clamp(1, n.max(1));
    let chunk = n.div_ceil(threads);
    let counts: Vec<Counts> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let range = (k * chunk).min(n)..((k + 1) * chunk).min(n);
                s.spawn(move || tally(float, models, data, range, bar))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut total = Counts::zero(models.len());
    for c in &counts {
        total.float_ok += c.float_ok;
        for m in 0..models.len() {
            total.quant_ok[m] += c.quant_ok[m];
            total.snn_ok[m] += c.snn_ok[m];
            total.spikes[m] += c.spikes[m];
            total.mismatches[m] += c.mismatches[m];
        }
    }
    let samples = n.max(1) as f64;
    let points = models
        .iter()
        .enumerate()
        .map(|(m, model)| {
            let neurons = model.input_len() + model.layers.iter().map(|l| l.outputs).sum::<usize>();
            SweepPoint {
                time_steps: model.time_steps,
                // A leading max pool has no weights: the first weighted layer's width.
                weight_bits: model
                    .layers
                    .iter()
                    .find(|l| l.kind.is_weighted())
                    .map_or(0, |l| l.weight_bits),
                frac_bits: model.layers.iter().map(|l| l.frac_bits).collect(),
                quantized_acc: total.quant_ok[m] as f64 / samples,
                snn_acc: total.snn_ok[m] as f64 / samples,
                spikes_per_neuron: total.spikes[m] as f64 / samples / neurons as f64,
                mismatches: total.mismatches[m],
            }
        })
        .collect();
    Sweep {
        over,
        dataset: dataset.to_string(),
        samples: n,
        weight_bits,
        float_acc: total.float_ok as f64 / samples,
        trained_t: float.time_steps,
        points,
    }
}

fn tally(
    float: &FloatModel,
    models: &[Model],
    data: &Dataset,
    range: std::ops::Range<usize>,
    bar: &indicatif::ProgressBar,
) -> Counts {
    let mut sims: Vec<EventSim> = models.iter().map(EventSim::new).collect();
    let mut c = Counts::zero(models.len());
    for i in range {
        let x = data.sample(i);
        let label = data.labels[i] as usize;
        c.float_ok += (float_forward(float, &x).1 == label) as usize;
        for (m, (model, sim)) in models.iter().zip(sims.iter_mut()).enumerate() {
            let ann = forward(model, &x);
            let trace = sim.trace(&x);
            c.quant_ok[m] += (ann.class == label) as usize;
            c.snn_ok[m] += (trace.class == label) as usize;
            c.spikes[m] += trace.events_per_layer().iter().sum::<usize>() as u64;
            if trace.class != ann.class || trace.spike_ticks != ann.spike_ticks(model.time_steps) {
                c.mismatches[m] += 1;
            }
        }
        bar.inc(1);
    }
    c
}

impl Sweep {
    /// The table printed by `ttfs plot sweep`, one row per `T` (or weight width).
    pub fn table(&self) -> String {
        let head = match self.over {
            Axis::TimeSteps => "T",
            Axis::WeightBits => "bits",
        };
        let mut s = format!(
            "{:>4}  {:>9}  {:>9}  {:>9}  {:>13}  {:>10}\n",
            head, "float", "quantized", "SNN", "spikes/neuron", "mismatches"
        );
        for p in &self.points {
            s += &format!(
                "{:>4}  {:>8.2}%  {:>8.2}%  {:>8.2}%  {:>13.3}  {:>10}\n",
                self.x_value(p),
                100.0 * self.float_acc,
                100.0 * p.quantized_acc,
                100.0 * p.snn_acc,
                p.spikes_per_neuron,
                p.mismatches
            );
        }
        s
    }
}

/// The x axis: `log2 T` (or the weight bits) on an integer axis one step wider than the sweep
/// on each side, so every swept value gets a tick (labelled with `T` itself, or the bits) and
/// the end points do not sit on the frame.
fn x_axis(over: Axis) -> std::ops::Range<i32> {
    let swept = match over {
        Axis::TimeSteps => LOG2_T,
        Axis::WeightBits => WEIGHT_BITS,
    };
    *swept.start() as i32 - 1..*swept.end() as i32 + 1
}

fn t_label(k: &i32) -> String {
    if LOG2_T.contains(&(*k as u32)) {
        format!("{}", 1u64 << *k)
    } else {
        String::new()
    }
}

fn bits_label(k: &i32) -> String {
    if WEIGHT_BITS.contains(&(*k as u32)) {
        format!("{k}")
    } else {
        String::new()
    }
}

impl Sweep {
    /// The swept value of a point, as printed: `T`, or the weight bits.
    fn x_value(&self, p: &SweepPoint) -> u32 {
        match self.over {
            Axis::TimeSteps => p.time_steps,
            Axis::WeightBits => p.weight_bits,
        }
    }

    /// A point's x coordinate: `log2 T`, or the weight bits.
    fn x(&self, p: &SweepPoint) -> i32 {
        match self.over {
            Axis::TimeSteps => p.time_steps.trailing_zeros() as i32,
            Axis::WeightBits => p.weight_bits as i32,
        }
    }
}

impl Figure for Sweep {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(drawing_error)?;
        let title = match (self.over, self.weight_bits) {
            (Axis::TimeSteps, Some(bits)) => format!(
                "LC-TTFS vs ticks per window T ({}, {} test samples, {bits}-bit weights)",
                self.dataset, self.samples
            ),
            _ => format!(
                "LC-TTFS vs weight bits ({}, {} test samples, T = {})",
                self.dataset, self.samples, self.trained_t
            ),
        };
        let area = root
            .margin(8, 8, 8, 8)
            .titled(&title, font(24.0))
            .map_err(drawing_error)?;
        let panels = area.split_evenly((1, 2));
        self.draw_accuracy(&panels[0])?;
        self.draw_spikes(&panels[1])?;
        Ok(())
    }
}

/// A panel's chart: `log2 T` across, the figure up.
type Panel<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordi32, RangedCoordf64>>;

/// A captioned panel over the `T` (or bits) axis with `y` up to the figure's range.
fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    over: Axis,
    caption: &str,
    y: std::ops::Range<f64>,
) -> Result<Panel<'a, DB>> {
    ChartBuilder::on(area)
        .caption(caption, font(20.0))
        .margin(10)
        .x_label_area_size(55)
        .y_label_area_size(70)
        .build_cartesian_2d(x_axis(over), y)
        .map_err(drawing_error)
}

/// The mesh of a panel: `T` (or bits) labels across, `y_desc` up, light grid lines; the caller
/// sets the y labels and draws it.
fn t_mesh<'a, 'b, DB: DrawingBackend>(
    chart: &'b mut Panel<'a, DB>,
    over: Axis,
    y_desc: &str,
) -> MeshStyle<'a, 'b, RangedCoordi32, RangedCoordf64, DB> {
    let mut mesh = chart.configure_mesh();
    let (desc, label): (&str, &dyn Fn(&i32) -> String) = match over {
        Axis::TimeSteps => ("T (ticks per layer window)", &t_label),
        Axis::WeightBits => ("weight bits (signed, per weight and bias)", &bits_label),
    };
    mesh.x_desc(desc)
        .y_desc(y_desc)
        .axis_desc_style(font(17.0))
        .label_style(font(15.0))
        .x_labels(x_axis(over).len() + 1)
        .x_label_formatter(label)
        .light_line_style(BLACK.mix(0.04))
        .bold_line_style(BLACK.mix(0.12));
    mesh
}

/// A labelled line with a dot on every point.
fn draw_line_with_dots<DB: DrawingBackend>(
    chart: &mut Panel<'_, DB>,
    points: &[(i32, f64)],
    color: RGBColor,
    label: &str,
) -> Result<()> {
    chart
        .draw_series(LineSeries::new(points.to_vec(), color.stroke_width(3)))
        .map_err(drawing_error)?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
    chart
        .draw_series(points.iter().map(|&p| Circle::new(p, 5, color.filled())))
        .map_err(drawing_error)?;
    Ok(())
}

impl Sweep {
    fn draw_accuracy<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let pct = |v: f64| 100.0 * v;
        let lowest = self
            .points
            .iter()
            .flat_map(|p| [p.quantized_acc, p.snn_acc])
            .fold(self.float_acc, f64::min);
        // A whole percent at least 3 points under the lowest value: room for the legend below
        // the curves while small differences between T stay visible.
        let y_lo = (pct(lowest) - 3.0).floor().clamp(0.0, 97.0);
        let mut chart = panel(area, self.over, "accuracy", y_lo..100.0)?;
        t_mesh(&mut chart, self.over, "test accuracy (%)")
            // Whole percents: at most 11 labels, so the step is a whole number too.
            .y_labels(((100.0 - y_lo) as usize + 1).min(11))
            .y_label_formatter(&|v| {
                if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.1}")
                }
            })
            .draw()
            .map_err(drawing_error)?;

        self.mark_trained_t(&mut chart, y_lo, 100.0)?;
        let (x0, x1) = (x_axis(self.over).start, x_axis(self.over).end);
        chart
            .draw_series(DashedLineSeries::new(
                [(x0, pct(self.float_acc)), (x1, pct(self.float_acc))],
                8,
                6,
                FLOAT.stroke_width(2),
            ))
            .map_err(drawing_error)?
            .label(format!(
                "float ReLU1 ANN (unquantized): {:.2} %",
                pct(self.float_acc)
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], FLOAT.stroke_width(2)));
        let quant: Vec<(i32, f64)> = self
            .points
            .iter()
            .map(|p| (self.x(p), pct(p.quantized_acc)))
            .collect();
        draw_line_with_dots(
            &mut chart,
            &quant,
            QUANT,
            match self.over {
                Axis::TimeSteps => "integer ANN (activations at T levels)",
                Axis::WeightBits => "integer ANN (weights at that many bits)",
            },
        )?;
        // The SNN equals the integer ANN at every T: draw it as hollow rings over the ANN's dots
        // so both stay visible where they coincide.
        chart
            .draw_series(
                self.points
                    .iter()
                    .map(|p| Circle::new((self.x(p), pct(p.snn_acc)), 9, SNN.stroke_width(2))),
            )
            .map_err(drawing_error)?
            .label("golden SNN (event simulator)")
            .legend(|(x, y)| Circle::new((x + 12, y), 6, SNN.stroke_width(2)));
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 15.0)
    }

    /// A light vertical line at the `T` the float model was trained at (quantization-aware
    /// training targets that `T`, so it is where the integer model is expected to do best).
    fn mark_trained_t<DB: DrawingBackend>(
        &self,
        chart: &mut Panel<'_, DB>,
        y0: f64,
        y1: f64,
    ) -> Result<()> {
        if self.over != Axis::TimeSteps || !self.trained_t.is_power_of_two() {
            return Ok(());
        }
        let k = self.trained_t.trailing_zeros() as i32;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(k, y0), (k, y1)],
                BLACK.mix(0.35).stroke_width(1),
            )))
            .map_err(drawing_error)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!(" trained at T = {}", self.trained_t),
                (k, y1),
                font(14.0).color(&BLACK.mix(0.6)),
            )))
            .map_err(drawing_error)?;
        Ok(())
    }

    fn draw_spikes<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let top = self
            .points
            .iter()
            .map(|p| p.spikes_per_neuron)
            .fold(0.0, f64::max);
        let y_hi = (top * 1.25).max(0.05);
        let mut chart = panel(area, self.over, "spikes per neuron", 0.0..y_hi)?;
        t_mesh(
            &mut chart,
            self.over,
            "non-silent spikes per neuron per sample",
        )
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()
        .map_err(drawing_error)?;
        self.mark_trained_t(&mut chart, 0.0, y_hi)?;
        let pts: Vec<(i32, f64)> = self
            .points
            .iter()
            .map(|p| (self.x(p), p.spikes_per_neuron))
            .collect();
        draw_line_with_dots(
            &mut chart,
            &pts,
            SNN,
            "golden SNN, all layers (input included); at most 1 by construction",
        )?;
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 15.0)
    }
}
