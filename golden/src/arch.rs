//! The layer-spec syntax of `ttfs train --arch` and `ttfs import --arch`, the shapes it gives,
//! and the folding of average / sum pooling into the next weighted layer (DESIGN §2.1).
//!
//! A spec is a comma-separated list of layers, read left to right from the input:
//!
//! | layer | syntax | example |
//! |---|---|---|
//! | convolution | `conv:OUT:K[:stride=S][:pad=P]` | `conv:8:5:pad=2`, `conv:16:3x5:stride=2` |
//! | max pooling | `maxpool:K[:stride=S]` (stride defaults to K) | `maxpool:2` |
//! | average pooling | `avgpool:K[:stride=S]` | `avgpool:2` |
//! | sum pooling | `sumpool:K[:stride=S]` | `sumpool:2` |
//! | dense | `dense:OUT` | `dense:10` |
//!
//! `K`, `S` and `P` are one number (square) or `HxW`. Spaces around items are ignored. The
//! input shape comes from the dataset (`[1, 28, 28]` for MNIST); a `dense` after a map reads it
//! flattened channel-major. The last layer must be `dense` or `conv` (weighted), and an average
//! or sum pool must be followed by a weighted layer, into which it is folded ([`fold_pool`]):
//! it is not a layer kind of the model file.

use crate::model::{shape_len, FloatLayer, LayerKind, Shape};
use ndarray::Array2;
use std::fmt;

/// One layer of a spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchLayer {
    Conv {
        out_channels: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    },
    MaxPool {
        kernel: [usize; 2],
        stride: [usize; 2],
    },
    /// Linear pooling, folded into the next weighted layer: `scale` = 1 for a sum pool,
    /// `1 / (Kh·Kw)` for an average pool.
    LinearPool {
        kernel: [usize; 2],
        stride: [usize; 2],
        average: bool,
    },
    Dense {
        outputs: usize,
    },
}

impl ArchLayer {
    /// The spec keyword (`conv`, `maxpool`, `avgpool`, `sumpool`, `dense`).
    pub fn keyword(&self) -> &'static str {
        match self {
            ArchLayer::Conv { .. } => "conv",
            ArchLayer::MaxPool { .. } => "maxpool",
            ArchLayer::LinearPool { average: true, .. } => "avgpool",
            ArchLayer::LinearPool { average: false, .. } => "sumpool",
            ArchLayer::Dense { .. } => "dense",
        }
    }

    /// Whether the layer has weights.
    pub fn is_weighted(&self) -> bool {
        matches!(self, ArchLayer::Conv { .. } | ArchLayer::Dense { .. })
    }
}

impl fmt::Display for ArchLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pair = |p: [usize; 2]| {
            if p[0] == p[1] {
                p[0].to_string()
            } else {
                format!("{}x{}", p[0], p[1])
            }
        };
        match *self {
            ArchLayer::Conv {
                out_channels,
                kernel,
                stride,
                padding,
            } => {
                write!(f, "conv:{out_channels}:{}", pair(kernel))?;
                if stride != [1, 1] {
                    write!(f, ":stride={}", pair(stride))?;
                }
                if padding != [0, 0] {
                    write!(f, ":pad={}", pair(padding))?;
                }
                Ok(())
            }
            ArchLayer::MaxPool { kernel, stride }
            | ArchLayer::LinearPool { kernel, stride, .. } => {
                write!(f, "{}:{}", self.keyword(), pair(kernel))?;
                if stride != kernel {
                    write!(f, ":stride={}", pair(stride))?;
                }
                Ok(())
            }
            ArchLayer::Dense { outputs } => write!(f, "dense:{outputs}"),
        }
    }
}

/// A parsed spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arch {
    pub layers: Vec<ArchLayer>,
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self.layers.iter().map(|l| l.to_string()).collect();
        f.write_str(&items.join(","))
    }
}

/// Why a spec (or a fold) is refused; every message names the item and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchError {
    #[error("--arch item {index} `{item}`: {why}")]
    Item {
        index: usize,
        item: String,
        why: String,
    },
    #[error("--arch: {0}")]
    Spec(String),
}

const SYNTAX: &str = "write conv:OUT:K[:stride=S][:pad=P], maxpool:K[:stride=S], \
                      avgpool:K[:stride=S], sumpool:K[:stride=S] or dense:OUT";

fn parse_pair(text: &str, what: &str, allow_zero: bool) -> Result<[usize; 2], String> {
    let parts: Vec<&str> = text.split('x').collect();
    let nums: Result<Vec<usize>, _> = parts.iter().map(|p| p.trim().parse::<usize>()).collect();
    match nums {
        Ok(v) if v.len() == 1 || v.len() == 2 => {
            let pair = if v.len() == 1 {
                [v[0], v[0]]
            } else {
                [v[0], v[1]]
            };
            if !allow_zero && (pair[0] == 0 || pair[1] == 0) {
                return Err(format!("{what} `{text}` must be at least 1"));
            }
            if pair[0] > 1 << 16 || pair[1] > 1 << 16 {
                return Err(format!("{what} `{text}` is too large (at most 65536)"));
            }
            Ok(pair)
        }
        _ => Err(format!(
            "{what} `{text}` is not a number or HxW (e.g. 5 or 3x5)"
        )),
    }
}

fn parse_count(text: &str, what: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err(format!("{what} must be at least 1")),
        Ok(n) if n > 1 << 20 => Err(format!("{what} {n} is too large (at most 1048576)")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{what} `{}` is not a whole number", text.trim())),
    }
}

fn parse_item(item: &str) -> Result<ArchLayer, String> {
    let fields: Vec<&str> = item.split(':').map(str::trim).collect();
    let keyword = fields[0].to_ascii_lowercase();
    let mut options = std::collections::BTreeMap::new();
    let mut positional = Vec::new();
    for field in &fields[1..] {
        match field.split_once('=') {
            Some((key, value)) => {
                let key = key.trim().to_ascii_lowercase();
                let key = match key.as_str() {
                    "s" => "stride".to_string(),
                    "p" | "padding" => "pad".to_string(),
                    _ => key,
                };
                if options
                    .insert(key.clone(), value.trim().to_string())
                    .is_some()
                {
                    return Err(format!("`{key}` is given twice"));
                }
            }
            None => positional.push(*field),
        }
    }
    let allowed: &[&str] = match keyword.as_str() {
        "conv" => &["stride", "pad"],
        "maxpool" | "avgpool" | "sumpool" => &["stride"],
        "dense" => &[],
        other => return Err(format!("unknown layer `{other}`; {SYNTAX}")),
    };
    if let Some(key) = options.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!(
            "`{key}` is not an option of {keyword} (it takes {})",
            if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            }
        ));
    }
    let wanted = match keyword.as_str() {
        "conv" => 2,
        _ => 1,
    };
    if positional.len() != wanted {
        let form = match keyword.as_str() {
            "conv" => "conv:OUT:K",
            "dense" => "dense:OUT",
            _ => "maxpool:K",
        };
        return Err(format!(
            "{keyword} takes {wanted} number{} ({form}), found {}",
            if wanted == 1 { "" } else { "s" },
            positional.len()
        ));
    }
    let stride_of = |kernel: [usize; 2]| -> Result<[usize; 2], String> {
        match options.get("stride") {
            Some(s) => parse_pair(s, "stride", false),
            None => Ok(kernel),
        }
    };
    Ok(match keyword.as_str() {
        "conv" => ArchLayer::Conv {
            out_channels: parse_count(positional[0], "the number of output channels")?,
            kernel: parse_pair(positional[1], "kernel", false)?,
            stride: match options.get("stride") {
                Some(s) => parse_pair(s, "stride", false)?,
                None => [1, 1],
            },
            padding: match options.get("pad") {
                Some(p) => parse_pair(p, "padding", true)?,
                None => [0, 0],
            },
        },
        "dense" => ArchLayer::Dense {
            outputs: parse_count(positional[0], "the number of outputs")?,
        },
        _ => {
            let kernel = parse_pair(positional[0], "kernel", false)?;
            let stride = stride_of(kernel)?;
            if keyword == "maxpool" {
                ArchLayer::MaxPool { kernel, stride }
            } else {
                ArchLayer::LinearPool {
                    kernel,
                    stride,
                    average: keyword == "avgpool",
                }
            }
        }
    })
}

impl std::str::FromStr for Arch {
    type Err = ArchError;

    fn from_str(spec: &str) -> Result<Arch, ArchError> {
        if spec.trim().is_empty() {
            return Err(ArchError::Spec(format!("the spec is empty; {SYNTAX}")));
        }
        let mut layers = Vec::new();
        for (index, item) in spec.split(',').enumerate() {
            let item = item.trim();
            if item.is_empty() {
                return Err(ArchError::Item {
                    index,
                    item: item.to_string(),
                    why: format!("empty item (two commas in a row?); {SYNTAX}"),
                });
            }
            layers.push(parse_item(item).map_err(|why| ArchError::Item {
                index,
                item: item.to_string(),
                why,
            })?);
        }
        let arch = Arch { layers };
        arch.check_order()?;
        Ok(arch)
    }
}

/// One layer of a spec placed on its input: the shapes it reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placed {
    pub layer: ArchLayer,
    pub in_shape: Shape,
    pub out_shape: Shape,
}

impl Placed {
    /// The model-file kind of a weighted layer or a max pool (`None` for a linear pool).
    pub fn kind(&self) -> Option<LayerKind> {
        match self.layer {
            ArchLayer::Dense { .. } => Some(LayerKind::Dense),
            ArchLayer::Conv {
                out_channels,
                kernel,
                stride,
                padding,
            } => LayerKind::conv2d(self.in_shape, out_channels, kernel, stride, padding),
            ArchLayer::MaxPool { kernel, stride } => {
                LayerKind::maxpool2d(self.in_shape, kernel, stride)
            }
            ArchLayer::LinearPool { .. } => None,
        }
    }

    pub fn inputs(&self) -> usize {
        shape_len(self.in_shape).unwrap_or(0)
    }

    pub fn outputs(&self) -> usize {
        shape_len(self.out_shape).unwrap_or(0)
    }
}

impl Arch {
    fn check_order(&self) -> Result<(), ArchError> {
        let n = self.layers.len();
        match self.layers.last() {
            Some(last) if last.is_weighted() => {}
            Some(last) => {
                return Err(ArchError::Item {
                    index: n - 1,
                    item: last.to_string(),
                    why: "the last layer must be weighted (dense or conv): its outputs are the \
                          classes"
                        .into(),
                })
            }
            None => return Err(ArchError::Spec(format!("the spec is empty; {SYNTAX}"))),
        }
        for (index, pair) in self.layers.windows(2).enumerate() {
            if let (ArchLayer::LinearPool { .. }, next) = (pair[0], pair[1]) {
                if !next.is_weighted() {
                    return Err(ArchError::Item {
                        index,
                        item: pair[0].to_string(),
                        why: format!(
                            "an average or sum pool is folded into the weighted layer after \
                             it, but `{next}` follows; put it before a conv or dense layer"
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The shapes of every layer for an input of `input_shape` (`[C, H, W]`); refuses a kernel
    /// larger than its padded input, a conv or pool after a dense layer, a fold that would
    /// not be exact, and sizes that overflow.
    pub fn place(&self, input_shape: Shape) -> Result<Vec<Placed>, ArchError> {
        let mut shape = input_shape;
        let mut placed = Vec::with_capacity(self.layers.len());
        let mut flat = input_shape[0] == 1 && input_shape[1] == 1;
        for (index, &layer) in self.layers.iter().enumerate() {
            let refuse = |why: String| ArchError::Item {
                index,
                item: layer.to_string(),
                why,
            };
            let out = match layer {
                ArchLayer::Dense { outputs } => Some([1, 1, outputs]),
                _ if flat && index > 0 => {
                    return Err(refuse(format!(
                        "a {} cannot follow a dense layer (its output is a flat vector)",
                        layer.keyword()
                    )))
                }
                ArchLayer::Conv {
                    out_channels,
                    kernel,
                    stride,
                    padding,
                } => LayerKind::conv2d(shape, out_channels, kernel, stride, padding)
                    .map(|k| k.out_shape(0)),
                ArchLayer::MaxPool { kernel, stride }
                | ArchLayer::LinearPool { kernel, stride, .. } => {
                    LayerKind::maxpool2d(shape, kernel, stride).map(|k| k.out_shape(0))
                }
            };
            let out = out.ok_or_else(|| {
                refuse(format!(
                    "does not fit its input {}x{}x{} (a kernel larger than the padded input, \
                     or a size that overflows)",
                    shape[0], shape[1], shape[2]
                ))
            })?;
            if shape_len(out).is_none_or(|n| n > 1 << 24) {
                return Err(refuse("its output has more than 2^24 features".into()));
            }
            if let ArchLayer::LinearPool { kernel, stride, .. } = layer {
                if let Some(ArchLayer::Conv { padding, .. }) = self.layers.get(index + 1) {
                    let exact = kernel == stride
                        && shape[1].is_multiple_of(kernel[0])
                        && shape[2].is_multiple_of(kernel[1]);
                    if *padding != [0, 0] && !exact {
                        return Err(refuse(format!(
                            "folding it into the padded conv after it is exact only when the \
                             pool's kernel equals its stride and divides the {}x{} map; use \
                             such a pool or pad=0 on the conv",
                            shape[1], shape[2]
                        )));
                    }
                }
            }
            flat = matches!(layer, ArchLayer::Dense { .. });
            placed.push(Placed {
                layer,
                in_shape: shape,
                out_shape: out,
            });
            shape = out;
        }
        Ok(placed)
    }
}

/// Folds a linear pool that reads `pool_in` (`[C, H, W]`) into `next`, the weighted float layer
/// that reads the pooled map, and returns the layer that reads `pool_in` directly (DESIGN §2.1).
///
/// Every pooled value is `scale · Σ` of its window (`scale` = 1 for a sum pool, `1/(Kh·Kw)` for
/// an average pool), so a weight of `next` on a pooled value becomes `scale ·` that weight on
/// each input of the window, summed where windows overlap:
/// - after a dense layer, a dense layer over `C·H·W` inputs (inputs no window covers get 0);
/// - after a conv of kernel `K`, stride `S`, padding `P`, a conv of kernel `(K−1)·s + k`,
///   stride `S·s`, padding `P·s` (pool kernel `k`, stride `s`), which reads the same inputs
///   with the same weights ([`Arch::place`] refuses the cases where that is not exact).
///
/// The bias is unchanged, so the LC-TTFS sum `Σ w + b` is kept by an average pool and each
/// weight counts `Kh·Kw` times after a sum pool.
pub fn fold_pool(
    pool_in: Shape,
    kernel: [usize; 2],
    stride: [usize; 2],
    average: bool,
    next: &FloatLayer,
) -> Option<FloatLayer> {
    let pooled = LayerKind::maxpool2d(pool_in, kernel, stride)?.out_shape(0);
    let scale = if average {
        1.0 / (kernel[0] * kernel[1]) as f32
    } else {
        1.0
    };
    let [c_n, h, w] = pool_in;
    let [_, hp, wp] = pooled;
    match next.kind {
        LayerKind::Dense => {
            let inputs = shape_len(pool_in)?;
            let mut weights = Array2::<f32>::zeros((next.outputs, inputs));
            for o in 0..next.outputs {
                for c in 0..c_n {
                    for y in 0..hp {
                        for x in 0..wp {
                            let v = next.weights[[o, (c * hp + y) * wp + x]] * scale;
                            for a in 0..kernel[0] {
                                for b in 0..kernel[1] {
                                    let (yy, xx) = (y * stride[0] + a, x * stride[1] + b);
                                    weights[[o, (c * h + yy) * w + xx]] += v;
                                }
                            }
                        }
                    }
                }
            }
            Some(FloatLayer {
                kind: LayerKind::Dense,
                inputs,
                outputs: next.outputs,
                weights,
                bias: next.bias.clone(),
            })
        }
        LayerKind::Conv2d {
            out_channels,
            kernel: k,
            stride: s,
            padding: p,
            in_shape,
            ..
        } => {
            if in_shape != pooled {
                return None;
            }
            let fk = [
                (k[0] - 1) * stride[0] + kernel[0],
                (k[1] - 1) * stride[1] + kernel[1],
            ];
            let kind = LayerKind::conv2d(
                pool_in,
                out_channels,
                fk,
                [s[0] * stride[0], s[1] * stride[1]],
                [p[0] * stride[0], p[1] * stride[1]],
            )?;
            if kind.out_shape(0) != next.out_shape() {
                return None;
            }
            let mut weights = Array2::<f32>::zeros((out_channels, c_n * fk[0] * fk[1]));
            for o in 0..out_channels {
                for c in 0..c_n {
                    for i in 0..k[0] {
                        for j in 0..k[1] {
                            let v = next.weights[[o, (c * k[0] + i) * k[1] + j]] * scale;
                            for a in 0..kernel[0] {
                                for b in 0..kernel[1] {
                                    let (ii, jj) = (i * stride[0] + a, j * stride[1] + b);
                                    weights[[o, (c * fk[0] + ii) * fk[1] + jj]] += v;
                                }
                            }
                        }
                    }
                }
            }
            Some(FloatLayer {
                kind,
                inputs: shape_len(pool_in)?,
                outputs: next.outputs,
                weights,
                bias: next.bias.clone(),
            })
        }
        LayerKind::MaxPool2d { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_layer_and_prints_it_back() {
        let spec = "conv:8:5:pad=2, maxpool:2, conv:16:3x5:stride=2:pad=1x2, avgpool:2, conv:4:1, \
                    sumpool:3:stride=1, dense:10";
        let arch: Arch = spec.parse().unwrap();
        assert_eq!(arch.layers.len(), 7);
        assert_eq!(
            arch.layers[2],
            ArchLayer::Conv {
                out_channels: 16,
                kernel: [3, 5],
                stride: [2, 2],
                padding: [1, 2]
            }
        );
        let again: Arch = arch.to_string().parse().unwrap();
        assert_eq!(again, arch);
    }

    #[test]
    fn refuses_bad_items_naming_them() {
        for (spec, needle) in [
            ("", "empty"),
            ("conv:8:5,,dense:10", "item 1"),
            ("conv:8,dense:10", "takes 2 numbers"),
            ("conv:8:0,dense:10", "at least 1"),
            (
                "conv:8:5:dilation=2,dense:10",
                "`dilation` is not an option",
            ),
            ("lstm:8,dense:10", "unknown layer `lstm`"),
            ("dense:10,maxpool:2", "last layer must be weighted"),
            (
                "avgpool:2,maxpool:2,dense:10",
                "folded into the weighted layer",
            ),
            ("dense:x", "not a whole number"),
        ] {
            let err = spec.parse::<Arch>().unwrap_err().to_string();
            assert!(err.contains(needle), "{spec}: {err}");
        }
    }

    #[test]
    fn places_shapes_and_refuses_what_does_not_fit() {
        let arch: Arch = "conv:8:5:pad=2,maxpool:2,conv:16:5,dense:10"
            .parse()
            .unwrap();
        let placed = arch.place([1, 28, 28]).unwrap();
        let outs: Vec<Shape> = placed.iter().map(|p| p.out_shape).collect();
        // 28 + 4 − 5 + 1 = 28; 28 / 2 = 14; 14 − 5 + 1 = 10.
        assert_eq!(
            outs,
            vec![[8, 28, 28], [8, 14, 14], [16, 10, 10], [1, 1, 10]]
        );
        let err = "conv:8:30,dense:10"
            .parse::<Arch>()
            .unwrap()
            .place([1, 28, 28]);
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("does not fit its input 1x28x28"));
        let err = "dense:10,conv:8:3"
            .parse::<Arch>()
            .unwrap()
            .place([1, 28, 28]);
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("cannot follow a dense layer"));
        let err = "avgpool:2,conv:4:3:pad=1,dense:10"
            .parse::<Arch>()
            .unwrap()
            .place([1, 27, 27]);
        assert!(err.unwrap_err().to_string().contains("exact only when"));
    }

    /// A small seeded float map and layers, to compare pool-then-layer with the folded layer.
    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    }

    fn pool(input: &[f32], shape: Shape, k: [usize; 2], s: [usize; 2], average: bool) -> Vec<f32> {
        let out = LayerKind::maxpool2d(shape, k, s).unwrap().out_shape(0);
        let scale = if average {
            1.0 / (k[0] * k[1]) as f32
        } else {
            1.0
        };
        let mut v = vec![0.0; shape_len(out).unwrap()];
        for c in 0..out[0] {
            for y in 0..out[1] {
                for x in 0..out[2] {
                    let mut acc = 0.0;
                    for a in 0..k[0] {
                        for b in 0..k[1] {
                            acc += input[(c * shape[1] + y * s[0] + a) * shape[2] + x * s[1] + b];
                        }
                    }
                    v[(c * out[1] + y) * out[2] + x] = acc * scale;
                }
            }
        }
        v
    }

    /// The linear part of a float layer (no clamp): `Σ w·a + b`.
    fn apply(layer: &FloatLayer, input: &[f32]) -> Vec<f32> {
        (0..layer.outputs)
            .map(|out| {
                let row: Vec<Option<usize>> = match layer.kind {
                    LayerKind::Dense => (0..layer.inputs).map(Some).collect(),
                    kind => kind.receptive_field(out),
                };
                let r = if let LayerKind::Conv2d { out_shape, .. } = layer.kind {
                    out / (out_shape[1] * out_shape[2])
                } else {
                    out
                };
                row.iter()
                    .enumerate()
                    .map(|(j, src)| src.map_or(0.0, |i| layer.weights[[r, j]] * input[i]))
                    .sum::<f32>()
                    + layer.bias[r]
            })
            .collect()
    }

    #[test]
    fn folded_layer_computes_pool_then_layer() {
        let mut seed = 7;
        for (shape, k, s, average, next) in [
            ([2, 8, 8], [2, 2], [2, 2], true, "conv:3:3:pad=1"),
            ([2, 8, 8], [2, 2], [2, 2], false, "conv:3:3:stride=2"),
            ([1, 9, 7], [3, 2], [2, 1], true, "conv:2:2x3"),
            ([2, 7, 7], [2, 2], [2, 2], true, "dense:5"),
            ([1, 8, 6], [3, 3], [1, 2], false, "dense:4"),
        ] {
            let pooled = LayerKind::maxpool2d(shape, k, s).unwrap().out_shape(0);
            let arch: Arch = format!("{next},dense:1").parse().unwrap();
            let placed = arch.place(pooled).unwrap()[0];
            let kind = placed.kind().unwrap();
            let rows = match kind {
                LayerKind::Conv2d { out_channels, .. } => out_channels,
                _ => placed.outputs(),
            };
            let fan_in = kind.fan_in(placed.inputs());
            let weights = Array2::from_shape_fn((rows, fan_in), |_| lcg(&mut seed));
            let bias = (0..rows).map(|_| lcg(&mut seed)).collect();
            let layer = FloatLayer {
                kind,
                inputs: placed.inputs(),
                outputs: placed.outputs(),
                weights,
                bias,
            };
            let input: Vec<f32> = (0..shape_len(shape).unwrap())
                .map(|_| lcg(&mut seed))
                .collect();
            let want = apply(&layer, &pool(&input, shape, k, s, average));
            let folded = fold_pool(shape, k, s, average, &layer).unwrap();
            let got = apply(&folded, &input);
            assert_eq!(got.len(), want.len(), "{next}");
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-4, "{next}: {g} vs {w}");
            }
            // Average pooling keeps every row's sum; a sum pool multiplies the weights' by k·k.
            let sum = |l: &FloatLayer| l.weights.row(0).sum();
            let factor = if average { 1.0 } else { (k[0] * k[1]) as f32 };
            assert!((sum(&folded) - factor * sum(&layer)).abs() < 1e-4, "{next}");
        }
    }
}
