//! Reference forward passes: the integer ANN of DESIGN §2 (the bit-exact contract every other
//! part is checked against) and the float ReLU1 ANN it was trained as.

use crate::model::{FloatLayer, FloatModel, Layer, LayerKind, Model, Readout};

/// Why an input sample was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    #[error("sample has {got} values but the model takes {expected} inputs")]
    Length { expected: usize, got: usize },
    #[error("input value x[{index}] = {value} does not fit input_bits = {bits} (range 0..={max})")]
    Range {
        index: usize,
        value: i64,
        bits: u32,
        max: u64,
    },
}

/// Input encoding of layer 0: `q0 = (x·T + 2^(b−1)) >> b` (round half up, shift only).
pub fn encode_value(x: u32, input_bits: u32, time_steps: u32) -> u32 {
    (((x as u64) * time_steps as u64 + (1u64 << (input_bits - 1))) >> input_bits) as u32
}

/// Checks a raw sample against the model's input width and `input_bits`.
pub fn check_input(
    model_inputs: usize,
    input_bits: u32,
    x: &[i64],
) -> Result<Vec<u32>, InputError> {
    if x.len() != model_inputs {
        return Err(InputError::Length {
            expected: model_inputs,
            got: x.len(),
        });
    }
    let max = (1u64 << input_bits) - 1;
    x.iter()
        .enumerate()
        .map(|(index, &value)| {
            if value < 0 || value as u64 > max {
                Err(InputError::Range {
                    index,
                    value,
                    bits: input_bits,
                    max,
                })
            } else {
                Ok(value as u32)
            }
        })
        .collect()
}

/// Encodes a whole raw sample to `q0`.
pub fn encode(model: &Model, x: &[u32]) -> Vec<u32> {
    x.iter()
        .map(|&v| encode_value(v, model.input_bits, model.time_steps))
        .collect()
}

/// Pre-activations of one weighted layer (exact, raw units): dense `z_i = Σ_j w_ij q_j + b_i·T`,
/// conv2d as [`conv_z`]. A pool has no `z`: empty.
pub fn layer_z(layer: &Layer, q_in: &[u32], time_steps: u32) -> Vec<i64> {
    match layer.kind {
        LayerKind::Dense => dense_z(layer, q_in, time_steps),
        LayerKind::Conv2d { .. } => conv_z(layer, q_in, time_steps),
        LayerKind::MaxPool2d { .. } => Vec::new(),
    }
}

/// `z_i = Σ_j w_ij q_j + b_i · T` of a dense layer.
fn dense_z(layer: &Layer, q_in: &[u32], time_steps: u32) -> Vec<i64> {
    let bias = |b: i32| b as i64 * time_steps as i64;
    if crate::bounds::z_bound(layer, time_steps) < i32::MAX as i64 {
        // Fast path: the DESIGN §2 bound proves every partial sum fits i32, and i32 row dots
        // over contiguous memory vectorize.
        let q: Vec<i32> = q_in.iter().map(|&v| v as i32).collect();
        return rows(layer)
            .map(|(row, b)| match row.as_slice() {
                Some(r) => r.iter().zip(&q).map(|(&w, &v)| w * v).sum::<i32>() as i64 + bias(b),
                None => row.iter().zip(&q).map(|(&w, &v)| w * v).sum::<i32>() as i64 + bias(b),
            })
            .collect();
    }
    let q: Vec<i64> = q_in.iter().map(|&v| v as i64).collect();
    rows(layer)
        .map(|(row, b)| row.iter().zip(&q).map(|(&w, &v)| w as i64 * v).sum::<i64>() + bias(b))
        .collect()
}

/// Conv2d pre-activations (DESIGN §2.1), channel-major `[Co, Ho, Wo]`:
/// `z[o][y][x] = Σ_{c,i,j} w[o][c][i][j] · q[c][y·Sh − Ph + i][x·Sw − Pw + j] + b[o]·T`, a
/// position outside the input reading `q = 0` (zero padding). i64 accumulators.
pub fn conv_z(layer: &Layer, q_in: &[u32], time_steps: u32) -> Vec<i64> {
    let LayerKind::Conv2d {
        kernel: [kh, kw],
        stride: [sh, sw],
        padding: [ph, pw],
        in_shape: [c, h, w],
        out_shape: [co, ho, wo],
        ..
    } = layer.kind
    else {
        return Vec::new();
    };
    let mut z = Vec::with_capacity(co * ho * wo);
    for o in 0..co {
        let row = layer.weights.row(o);
        let bias = layer.bias[o] as i64 * time_steps as i64;
        for y in 0..ho {
            for x in 0..wo {
                let mut acc = bias;
                for ci in 0..c {
                    for i in 0..kh {
                        let Some(yy) = (y * sh + i).checked_sub(ph).filter(|&v| v < h) else {
                            continue; // padding row: q = 0
                        };
                        for j in 0..kw {
                            let Some(xx) = (x * sw + j).checked_sub(pw).filter(|&v| v < w) else {
                                continue; // padding column: q = 0
                            };
                            acc += row[(ci * kh + i) * kw + j] as i64
                                * q_in[(ci * h + yy) * w + xx] as i64;
                        }
                    }
                }
                z.push(acc);
            }
        }
    }
    z
}

/// Max pooling (DESIGN §2.1): `q_out[c][y][x] = max_{i,j} q[c][y·Sh + i][x·Sw + j]` (no
/// padding; the window always lies inside the input). Generic over the activation type so the
/// float forward shares it.
pub fn maxpool<T: PartialOrd + Copy>(kind: &LayerKind, q_in: &[T]) -> Vec<T> {
    let LayerKind::MaxPool2d {
        kernel: [kh, kw],
        stride: [sh, sw],
        in_shape: [_, h, w],
        out_shape: [c, ho, wo],
    } = *kind
    else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(c * ho * wo);
    for ci in 0..c {
        for y in 0..ho {
            for x in 0..wo {
                let at = |i: usize, j: usize| q_in[(ci * h + y * sh + i) * w + x * sw + j];
                let mut best = at(0, 0);
                for i in 0..kh {
                    for j in 0..kw {
                        if at(i, j) > best {
                            best = at(i, j);
                        }
                    }
                }
                out.push(best);
            }
        }
    }
    out
}

fn rows(layer: &Layer) -> impl Iterator<Item = (ndarray::ArrayView1<'_, i32>, i32)> {
    layer
        .weights
        .rows()
        .into_iter()
        .zip(layer.bias.iter().copied())
}

/// Hidden activation `q = clamp(z >> F, 0, T)` with an arithmetic (floor) shift.
pub fn activation(z: i64, frac_bits: u32, time_steps: u32) -> u32 {
    (z >> frac_bits).clamp(0, time_steps as i64) as u32
}

/// Index of the largest value, lowest index on ties.
pub fn argmax<T: PartialOrd + Copy>(v: &[T]) -> usize {
    let mut best = 0;
    for i in 1..v.len() {
        if v[i] > v[best] {
            best = i;
        }
    }
    best
}

/// Everything the integer ANN computes for one sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnTrace {
    /// `q[0]` is the encoded input; `q[k + 1]` the clamped activations of `layers[k]` (for a
    /// pool, the max of each window), flattened channel-major.
    pub q: Vec<Vec<u32>>,
    /// `z[k]`: pre-activations of `layers[k]` (empty for a pool, which has none).
    pub z: Vec<Vec<i64>>,
    /// `window[k]`: the window `l` in which the neurons of `q[k]` fire (0 for the input; a
    /// weighted layer owns the next window, a pool shares its input's, DESIGN §2.1).
    pub window: Vec<usize>,
    pub class: usize,
}

impl AnnTrace {
    /// Absolute spike tick `(l+1)·T − q` of every neuron of every map (map 0 = input), `l`
    /// being the map's window.
    pub fn spike_ticks(&self, time_steps: u32) -> Vec<Vec<u32>> {
        self.q
            .iter()
            .zip(&self.window)
            .map(|(qs, &l)| {
                qs.iter()
                    .map(|&q| (l as u32 + 1) * time_steps - q)
                    .collect()
            })
            .collect()
    }
}

/// The integer ANN of DESIGN §2 on an already validated raw sample.
pub fn forward(model: &Model, x: &[u32]) -> AnnTrace {
    let t = model.time_steps;
    let mut q = vec![encode(model, x)];
    let mut z = Vec::with_capacity(model.layers.len());
    for layer in &model.layers {
        let q_in = q.last().expect("q0 present");
        if !layer.is_weighted() {
            q.push(maxpool(&layer.kind, q_in));
            z.push(Vec::new());
            continue;
        }
        let zl = layer_z(layer, q_in, t);
        q.push(
            zl.iter()
                .map(|&v| activation(v, layer.frac_bits, t))
                .collect(),
        );
        z.push(zl);
    }
    // The last layer is weighted (validated): its z and q are the classes.
    let class = readout_class(
        model.readout,
        z.last().expect("≥1 layer"),
        q.last().expect("≥1 layer"),
    );
    AnnTrace {
        q,
        z,
        window: model.windows(),
        class,
    }
}

/// Class from the last layer's `z` and `q` (DESIGN §2 readout).
pub fn readout_class(readout: Readout, z: &[i64], q: &[u32]) -> usize {
    match readout {
        Readout::Potential => argmax(z),
        Readout::FirstSpike => argmax(q),
    }
}

/// Only the class (fast path for accuracy runs).
pub fn classify(model: &Model, x: &[u32]) -> usize {
    forward(model, x).class
}

/// Float ReLU1 forward: `a0 = x / 2^b`, `a = clamp(W a + b, 0, 1)` (a conv2d applies its
/// kernels with zero padding, a maxpool2d takes the max of each window); the last layer is read
/// out like the integer model (argmax of the pre-activation, or of the clamped activation).
/// Returns the last layer's pre-activations and the class.
pub fn float_forward(model: &FloatModel, x: &[u32]) -> (Vec<f32>, usize) {
    let scale = 1.0 / (1u64 << model.input_bits) as f32;
    let mut a: Vec<f32> = x.iter().map(|&v| v as f32 * scale).collect();
    let mut pre = Vec::new();
    for layer in &model.layers {
        match layer.kind {
            LayerKind::Dense => {
                pre = layer.bias.clone();
                for (j, &aj) in a.iter().enumerate() {
                    if aj == 0.0 {
                        continue;
                    }
                    for (p, &w) in pre.iter_mut().zip(layer.weights.column(j).iter()) {
                        *p += w * aj;
                    }
                }
            }
            LayerKind::Conv2d { .. } => pre = float_conv(layer, &a),
            LayerKind::MaxPool2d { .. } => {
                a = maxpool(&layer.kind, &a);
                continue;
            }
        }
        a = pre.iter().map(|&p| p.clamp(0.0, 1.0)).collect();
    }
    let class = match model.readout {
        Readout::Potential => argmax(&pre),
        Readout::FirstSpike => argmax(&a),
    };
    (pre, class)
}

/// Float conv2d pre-activations, the same indexing as [`conv_z`] with `b` in place of `b·T`.
fn float_conv(layer: &FloatLayer, a: &[f32]) -> Vec<f32> {
    let LayerKind::Conv2d {
        kernel: [kh, kw],
        stride: [sh, sw],
        padding: [ph, pw],
        in_shape: [c, h, w],
        out_shape: [co, ho, wo],
        ..
    } = layer.kind
    else {
        return Vec::new();
    };
    let mut pre = Vec::with_capacity(co * ho * wo);
    for o in 0..co {
        let row = layer.weights.row(o);
        for y in 0..ho {
            for x in 0..wo {
                let mut acc = layer.bias[o];
                for ci in 0..c {
                    for i in 0..kh {
                        let Some(yy) = (y * sh + i).checked_sub(ph).filter(|&v| v < h) else {
                            continue;
                        };
                        for j in 0..kw {
                            let Some(xx) = (x * sw + j).checked_sub(pw).filter(|&v| v < w) else {
                                continue;
                            };
                            acc += row[(ci * kh + i) * kw + j] * a[(ci * h + yy) * w + xx];
                        }
                    }
                }
                pre.push(acc);
            }
        }
    }
    pre
}
