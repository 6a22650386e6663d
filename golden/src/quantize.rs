//! Float → integer quantization with exact row sums (DESIGN §2–§3).
//!
//! Each layer gets its own `frac_bits` F: the largest F for which every weight and bias of the
//! layer, rounded to `w·2^F`, fits `weight_bits` ([`quantize_layer`] has the exact rule; it is
//! idempotent on grid values, see [`grid_model`]). Rows are rounded by the largest-remainder
//! method (Hamilton apportionment): floor every entry, then hand the missing units to the
//! entries with the largest fractional parts. That keeps `Σ w + b = 2^F` exact while no entry
//! moves by a full step, so the worst rounding error stays below `2^-F`.

use crate::model::{
    weight_range, FloatLayer, FloatModel, Layer, Model, MAX_FRAC_BITS, MAX_WEIGHT_BITS,
};
use ndarray::Array2;

/// Row sums of a float model must be within this of 1 (unless renormalizing).
pub const DEFAULT_SUM_TOLERANCE: f64 = 1e-3;

/// How to quantize.
#[derive(Clone, Debug)]
pub struct QuantizeOptions {
    /// Signed weight width, 2..=16.
    pub weight_bits: u32,
    /// Divide every row by its sum instead of refusing rows that do not sum to 1.
    pub renormalize: bool,
    /// Largest accepted `|Σ w + b − 1|` when not renormalizing.
    pub sum_tolerance: f64,
}

impl QuantizeOptions {
    pub fn new(weight_bits: u32) -> Result<Self, QuantizeError> {
        if !(2..=MAX_WEIGHT_BITS).contains(&weight_bits) {
            return Err(QuantizeError(format!(
                "weight_bits = {weight_bits} is outside 2..={MAX_WEIGHT_BITS}"
            )));
        }
        Ok(QuantizeOptions {
            weight_bits,
            renormalize: false,
            sum_tolerance: DEFAULT_SUM_TOLERANCE,
        })
    }
}

/// Why a float model could not be quantized.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct QuantizeError(pub String);

/// What the quantizer did to one layer.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LayerReport {
    pub frac_bits: u32,
    /// Largest `|w_int / 2^F − w|` over the layer's weights and biases.
    pub worst_error: f64,
    /// Neuron and input index (`inputs` = the bias) of that worst entry.
    pub worst_neuron: usize,
    pub worst_input: usize,
    /// Largest `|Σ w + b − 1|` of the float rows before quantization.
    pub worst_row_sum_error: f64,
}

/// What the quantizer did to the whole model.
#[derive(Clone, Debug, serde::Serialize)]
pub struct QuantizeReport {
    pub layers: Vec<LayerReport>,
}

impl QuantizeReport {
    pub fn worst_error(&self) -> f64 {
        self.layers
            .iter()
            .map(|l| l.worst_error)
            .fold(0.0, f64::max)
    }
}

/// Rounds one row (weights then bias) to integers summing to exactly `2^F`, or `None` when an
/// entry does not fit `[lo, hi]`.
fn round_row(row: &[f64], frac_bits: u32, lo: i32, hi: i32) -> Option<Vec<i32>> {
    let one = (1i64 << frac_bits) as f64;
    let scaled: Vec<f64> = row.iter().map(|&w| w * one).collect();
    let mut ints: Vec<i64> = scaled.iter().map(|s| s.floor() as i64).collect();
    let frac: Vec<f64> = scaled.iter().map(|s| s - s.floor()).collect();
    let mut missing = (1i64 << frac_bits) - ints.iter().sum::<i64>();
    // Entries ordered by fractional part, largest first; ties by index for determinism. This
    // is a strict total order, so the top `missing` entries are one set however it is found:
    // a partial selection (the common case, `missing` in 1..len) hands out exactly the units a
    // full sort would, in a fraction of the time (the trainer quantizes every step).
    let by_frac = |a: &usize, b: &usize| {
        frac[*b]
            .partial_cmp(&frac[*a])
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(b))
    };
    let n = row.len() as i64;
    let mut order: Vec<usize> = (0..row.len()).collect();
    if missing > 0 && missing < n {
        order.select_nth_unstable_by(missing as usize - 1, by_frac);
        for &i in &order[..missing as usize] {
            ints[i] += 1;
        }
        missing = 0;
    } else if missing != 0 {
        order.sort_by(by_frac);
    }
    // With an exact float sum `missing` is in 0..row.len(); float error can push it one past
    // either end, which the wrap-around absorbs.
    let mut k = 0;
    while missing > 0 {
        ints[order[k % order.len()]] += 1;
        missing -= 1;
        k += 1;
    }
    let mut k = 0;
    while missing < 0 {
        ints[order[order.len() - 1 - (k % order.len())]] -= 1;
        missing += 1;
        k += 1;
    }
    ints.iter()
        .map(|&v| {
            if v < lo as i64 || v > hi as i64 {
                None
            } else {
                Some(v as i32)
            }
        })
        .collect()
}

/// Largest `F ≤ MAX_FRAC_BITS` at which every `w · 2^F` lies in `[lo, hi]` (before rounding);
/// 0 when even `F = 0` does not fit (the rounding loop then refuses).
fn largest_fitting_frac_bits(rows: &[Vec<f64>], lo: i32, hi: i32) -> u32 {
    let (min, max) = rows
        .iter()
        .flatten()
        .fold((0.0f64, 0.0f64), |(a, b), &w| (a.min(w), b.max(w)));
    // Multiplying by a power of two is exact, so this check is exact.
    let fits = |f: u32| {
        let one = (1i64 << f) as f64;
        max * one <= hi as f64 && min * one >= lo as f64
    };
    // First guess from the logarithm, then exact steps (the guess may be off by one).
    let guess = |bound: f64, v: f64| {
        if v == 0.0 {
            MAX_FRAC_BITS as f64
        } else {
            (bound / v).log2().floor()
        }
    };
    let mut f = guess(hi as f64, max)
        .min(guess(-(lo as f64), -min))
        .clamp(0.0, MAX_FRAC_BITS as f64) as u32;
    while f > 0 && !fits(f) {
        f -= 1;
    }
    while f < MAX_FRAC_BITS && fits(f + 1) {
        f += 1;
    }
    f
}

/// Quantizes one dense layer (`weights` is `outputs × inputs`, one bias per row): the one
/// quantizer behind [`quantize`] and the weight quantization-aware training of
/// [`crate::train`]. `name` prefixes every message (e.g. `layer 1 (layers[0])`).
///
/// `F` is the largest at which every weight and bias fits `weight_bits` (both ends of the
/// signed range count); rows are rounded by largest remainders to sum to exactly `2^F`, and `F`
/// steps down until every rounded row fits. Finally, while the rounded integers would all
/// still fit at `F + 1` when doubled (an exact rescaling), `F` goes up: so a layer whose
/// weights already lie on the grid `w_int / 2^F` of a quantized layer quantizes to exactly
/// that layer again (the quantizer is idempotent, which is what lets `ttfs train
/// --weight-bits` write the integer model it trained as a float file).
pub fn quantize_layer(
    weights: &Array2<f32>,
    bias: &[f32],
    opts: &QuantizeOptions,
    name: &str,
) -> Result<(Layer, LayerReport), QuantizeError> {
    let (outputs, inputs) = weights.dim();
    if bias.len() != outputs {
        return Err(QuantizeError(format!(
            "{name}: {} biases for {outputs} neurons",
            bias.len()
        )));
    }
    let (lo, hi) = weight_range(opts.weight_bits);
    let mut rows: Vec<Vec<f64>> = Vec::with_capacity(outputs);
    let mut worst_row_sum_error = 0.0f64;
    for (i, (wrow, &b)) in weights.rows().into_iter().zip(bias).enumerate() {
        let mut row: Vec<f64> = Vec::with_capacity(inputs + 1);
        row.extend(wrow.iter().map(|&w| w as f64));
        row.push(b as f64);
        let sum: f64 = row.iter().sum();
        worst_row_sum_error = worst_row_sum_error.max((sum - 1.0).abs());
        if (sum - 1.0).abs() > opts.sum_tolerance {
            if !opts.renormalize {
                return Err(QuantizeError(format!(
                    "{name}, neuron {i}: weights + bias sum to {sum:.6}, not 1 (tolerance {}): \
                     LC-TTFS needs every row to sum to 1; pass --renormalize to divide each row by its sum",
                    opts.sum_tolerance
                )));
            }
            if sum.abs() < 1e-6 {
                return Err(QuantizeError(format!(
                    "{name}, neuron {i}: weights + bias sum to {sum:.3e}: too close to 0 to renormalize"
                )));
            }
        }
        // Always divide by the sum: it removes the float residue so rounding starts from an
        // exact 1 (a no-op up to ~1e-7 for rows within tolerance, and exactly a no-op for rows
        // on a quantization grid, whose f64 sum is exactly 1).
        row.iter_mut().for_each(|w| *w /= sum);
        rows.push(row);
    }
    // Largest F at which every entry fits; then step down until every row rounds into range.
    let mut frac_bits = largest_fitting_frac_bits(&rows, lo, hi);
    let mut ints = loop {
        let attempt: Option<Vec<Vec<i32>>> = rows
            .iter()
            .map(|r| round_row(r, frac_bits, lo, hi))
            .collect();
        match attempt {
            Some(v) => break v,
            None if frac_bits > 0 => frac_bits -= 1,
            None => {
                return Err(QuantizeError(format!(
                    "{name}: no frac_bits makes every row fit weight_bits = {} with an exact sum: \
                     use more weight bits",
                    opts.weight_bits
                )))
            }
        }
    };
    // Canonical form: the largest F that represents the rounded rows exactly.
    while frac_bits < MAX_FRAC_BITS
        && ints
            .iter()
            .flatten()
            .all(|&w| (lo as i64..=hi as i64).contains(&(2 * w as i64)))
    {
        ints.iter_mut().flatten().for_each(|w| *w *= 2);
        frac_bits += 1;
    }
    let one = (1i64 << frac_bits) as f64;
    let mut out = Array2::<i32>::zeros((outputs, inputs));
    let mut qbias = Vec::with_capacity(outputs);
    let (mut worst_error, mut worst_neuron, mut worst_input) = (0.0f64, 0, 0);
    for (i, row) in ints.iter().enumerate() {
        for (j, &w) in row.iter().enumerate() {
            // Error against the float layer as given (before the renormalizing division).
            let orig = if j < inputs { weights[[i, j]] } else { bias[i] } as f64;
            let err = (w as f64 / one - orig).abs();
            if err > worst_error {
                (worst_error, worst_neuron, worst_input) = (err, i, j);
            }
            if j < inputs {
                out[[i, j]] = w;
            } else {
                qbias.push(w);
            }
        }
    }
    Ok((
        Layer {
            kind: crate::model::LayerKind::Dense,
            inputs,
            outputs,
            weight_bits: opts.weight_bits,
            frac_bits,
            weights: out,
            bias: qbias,
        },
        LayerReport {
            frac_bits,
            worst_error,
            worst_neuron,
            worst_input,
            worst_row_sum_error,
        },
    ))
}

/// The float values `w_int / 2^F` of a quantized layer's weights and biases (exact in f32 for
/// every supported layer: `|w_int| < 2^16`, `F ≤ 30`). [`quantize_layer`] maps them back to
/// exactly that layer.
pub fn grid_values(layer: &Layer) -> (Array2<f32>, Vec<f32>) {
    let scale = 1.0 / (1i64 << layer.frac_bits) as f64;
    let to_f = |w: i32| (w as f64 * scale) as f32;
    (
        layer.weights.mapv(to_f),
        layer.bias.iter().map(|&b| to_f(b)).collect(),
    )
}

/// Quantizes a float model. Rows whose sum is off by more than the tolerance are refused
/// (naming layer and neuron) unless `renormalize` is set.
pub fn quantize(
    model: &FloatModel,
    opts: &QuantizeOptions,
) -> Result<(Model, QuantizeReport), QuantizeError> {
    model.validate().map_err(|e| QuantizeError(e.to_string()))?;
    let mut layers = Vec::new();
    let mut reports = Vec::new();
    for (index, fl) in model.layers.iter().enumerate() {
        let name = format!("layer {} (layers[{index}])", index + 1);
        if !fl.is_weighted() {
            // A pool has no weights: nothing to quantize, nothing to report but its F = 0.
            layers.push(Layer::maxpool(fl.kind));
            reports.push(LayerReport {
                frac_bits: 0,
                worst_error: 0.0,
                worst_neuron: 0,
                worst_input: 0,
                worst_row_sum_error: 0.0,
            });
            continue;
        }
        // A conv's weight rows are its output channels (`Co × C·Kh·Kw`): the row quantizer
        // makes every kernel + bias sum to 2^F, the per-channel constraint of DESIGN §2.1.
        let (mut layer, report) = quantize_layer(&fl.weights, &fl.bias, opts, &name)?;
        layer.kind = fl.kind;
        layer.inputs = fl.inputs;
        layer.outputs = fl.outputs;
        layers.push(layer);
        reports.push(report);
    }
    let out = Model {
        input_shape: model.input_shape,
        time_steps: model.time_steps,
        input_bits: model.input_bits,
        readout: model.readout,
        dataset: model.dataset,
        layers,
    };
    out.validate()
        .map_err(|e| QuantizeError(format!("internal error: quantized model is invalid: {e}")))?;
    Ok((out, QuantizeReport { layers: reports }))
}

/// The float model whose weights are the grid values of `model` ([`grid_values`]): quantizing
/// it with `model`'s weight bits gives `model` back, bit for bit.
pub fn grid_model(model: &Model) -> FloatModel {
    FloatModel {
        input_shape: model.input_shape,
        time_steps: model.time_steps,
        input_bits: model.input_bits,
        readout: model.readout,
        dataset: model.dataset,
        layers: model
            .layers
            .iter()
            .map(|l| {
                let (weights, bias) = grid_values(l);
                FloatLayer {
                    kind: l.kind,
                    inputs: l.inputs,
                    outputs: l.outputs,
                    weights,
                    bias,
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FloatLayer, Readout};

    fn float_model(weights: Vec<Vec<f32>>, bias: Vec<f32>) -> FloatModel {
        let outputs = weights.len();
        let inputs = weights[0].len();
        let flat: Vec<f32> = weights.into_iter().flatten().collect();
        FloatModel {
            input_shape: None,
            time_steps: 16,
            input_bits: 8,
            readout: Readout::Potential,
            dataset: None,
            layers: vec![FloatLayer {
                kind: crate::model::LayerKind::Dense,
                inputs,
                outputs,
                weights: Array2::from_shape_vec((outputs, inputs), flat).unwrap(),
                bias,
            }],
        }
    }

    #[test]
    fn thirds_round_to_an_exact_power_of_two_sum() {
        // 1/3 each: at 8 bits, F = 8 (0.333·256 = 85.3 ≤ 127); floors 85+85+85 = 255, the
        // missing unit goes to the first of the equal remainders: 86+85+85 = 256 = 2^8.
        let m = float_model(vec![vec![1.0 / 3.0, 1.0 / 3.0]], vec![1.0 / 3.0]);
        let (q, rep) = quantize(&m, &QuantizeOptions::new(8).unwrap()).unwrap();
        assert_eq!(q.layers[0].frac_bits, 8);
        assert_eq!(q.layers[0].weights.row(0).to_vec(), vec![86, 85]);
        assert_eq!(q.layers[0].bias, vec![85]);
        assert!(rep.worst_error() < 1.0 / 256.0);
    }

    #[test]
    fn frac_bits_shrink_until_the_largest_weight_fits() {
        // max |w| = 1.5: 1.5·2^6 = 96 ≤ 127 but 1.5·2^7 = 192 > 127, so F = 6.
        let m = float_model(vec![vec![1.5, -0.75]], vec![0.25]);
        let (q, _) = quantize(&m, &QuantizeOptions::new(8).unwrap()).unwrap();
        assert_eq!(q.layers[0].frac_bits, 6);
        assert_eq!(q.layers[0].weights.row(0).to_vec(), vec![96, -48]);
        assert_eq!(q.layers[0].bias, vec![16]);
    }

    #[test]
    fn refuses_rows_that_do_not_sum_to_one_unless_renormalizing() {
        let m = float_model(vec![vec![0.5, 0.25]], vec![0.5]);
        let err = quantize(&m, &QuantizeOptions::new(8).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("layer 1") && err.contains("neuron 0") && err.contains("1.25"),
            "{err}"
        );
        let mut opts = QuantizeOptions::new(8).unwrap();
        opts.renormalize = true;
        let (q, _) = quantize(&m, &opts).unwrap();
        // Divided by 1.25: 0.4, 0.2, 0.4 → ×2^8 (0.4·256 = 102.4 ≤ 127) → 102+51+102 = 255 + 1.
        let l = &q.layers[0];
        assert_eq!(
            l.weights.row(0).iter().sum::<i32>() + l.bias[0],
            1 << l.frac_bits
        );
    }

    #[test]
    fn quantizing_carries_the_dataset_the_float_model_records() {
        let mut m = float_model(vec![vec![0.5, 0.25]], vec![0.25]);
        let (q, _) = quantize(&m, &QuantizeOptions::new(8).unwrap()).unwrap();
        assert_eq!(q.dataset, None);
        m.dataset = Some(crate::data::DatasetKind::FashionMnist);
        let (q, _) = quantize(&m, &QuantizeOptions::new(8).unwrap()).unwrap();
        assert_eq!(q.dataset, Some(crate::data::DatasetKind::FashionMnist));
    }

    #[test]
    fn the_most_negative_weight_may_use_the_extra_negative_code() {
        // 4 bits: [-8, 7]. F = 3 puts -1 at -8 (fits) and 0.75 at 6; F = 4 would not fit.
        let m = float_model(vec![vec![-1.0, 0.75, 0.75]], vec![0.5]);
        let (q, rep) = quantize(&m, &QuantizeOptions::new(4).unwrap()).unwrap();
        assert_eq!(q.layers[0].frac_bits, 3);
        assert_eq!(q.layers[0].weights.row(0).to_vec(), vec![-8, 6, 6]);
        assert_eq!(q.layers[0].bias, vec![4]);
        assert_eq!(rep.worst_error(), 0.0);
    }

    /// Seeded random float layers (rows projected to sum 1) at every width 2..=8: quantizing
    /// the grid values `w_int / 2^F` of the result gives the result back, bit for bit — what
    /// `ttfs train --weight-bits` relies on to write its integer model as a float file.
    #[test]
    fn quantizing_the_grid_values_of_a_quantized_model_gives_it_back() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
        for case in 0..60 {
            let inputs = rng.gen_range(1..40);
            let outputs = rng.gen_range(1..6);
            let spread = rng.gen_range(0.01f32..2.0);
            let mut weights =
                Array2::from_shape_simple_fn((outputs, inputs), || rng.gen_range(-spread..spread));
            let mut bias: Vec<f32> = (0..outputs)
                .map(|_| rng.gen_range(-spread..spread))
                .collect();
            crate::train::project_rows(&mut weights, &mut bias);
            let m = FloatModel {
                layers: vec![FloatLayer {
                    kind: crate::model::LayerKind::Dense,
                    inputs,
                    outputs,
                    weights,
                    bias,
                }],
                ..float_model(vec![vec![1.0]], vec![0.0])
            };
            for bits in 2..=8 {
                let opts = QuantizeOptions::new(bits).unwrap();
                let Ok((q, _)) = quantize(&m, &opts) else {
                    continue; // too few bits for this row length: refused, nothing to check
                };
                let grid = grid_model(&q);
                for (g, l) in grid.layers.iter().zip(&q.layers) {
                    for (i, row) in g.weights.rows().into_iter().enumerate() {
                        let sum: f64 =
                            row.iter().map(|&w| w as f64).sum::<f64>() + g.bias[i] as f64;
                        assert_eq!(sum, 1.0, "case {case}, {bits} bits: grid row {i}");
                    }
                    assert_eq!(l.weights.row(0).len(), inputs);
                }
                let (again, rep) = quantize(&grid, &opts).unwrap();
                assert_eq!(again, q, "case {case}, {bits} bits");
                assert_eq!(rep.worst_error(), 0.0, "case {case}, {bits} bits");
            }
        }
    }

    #[test]
    fn refuses_weight_bits_outside_range() {
        assert!(QuantizeOptions::new(1).is_err());
        assert!(QuantizeOptions::new(17).is_err());
    }
}
