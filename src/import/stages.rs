//! The layers of an imported network before they become model layers: weighted layers (dense
//! or conv) with their float weights, max pools, and the average / sum pools that the model
//! file has no kind for. Both front ends (NIR graphs, and state dicts with `--arch`) describe
//! their network as [`Stage`]s; [`place`] gives every stage its shapes (through
//! [`golden::arch::Arch::place`], so the shape rules are the trainer's) and [`assemble`] folds
//! each linear pool into the weighted layer after it with [`golden::arch::fold_pool`]
//! (DESIGN §2.1), giving the [`ImportedLayer`]s that [`super::check`] validates.

use super::ImportedLayer;
use anyhow::{anyhow, bail, Result};
use golden::arch::{fold_pool, Arch, ArchError, ArchLayer, Placed};
use golden::model::{shape_len, FloatLayer, LayerKind, Shape, MAX_WIDTH};
use ndarray::Array2;

/// Most weights a folded layer may have (256 MiB as f32): far above any network that fits
/// the hardware, far below what would exhaust memory.
const MAX_FOLDED_WEIGHTS: usize = 1 << 26;

/// Kernel geometry of a convolution (its output channels are the weight rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConvGeometry {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
}

/// One layer as the source file describes it.
#[derive(Clone, Debug)]
pub(crate) enum Stage {
    /// `conv = None`: dense, weights `outputs × inputs`. `Some`: conv, weights
    /// `Co × (C·Kh·Kw)` (PyTorch `[Co][C][Kh][Kw]` flattened per output channel).
    Weighted {
        /// Module or node name (`features.0`, `conv1`), used in every message.
        source: String,
        /// The weight tensor's key, e.g. `features.0.weight`.
        weight_key: String,
        /// The weight's shape as stored (`[out, in]` or `[Co, C, Kh, Kw]`), for messages.
        weight_shape: Vec<usize>,
        conv: Option<ConvGeometry>,
        weights: Array2<f64>,
        bias: Vec<f64>,
    },
    MaxPool {
        source: String,
        kernel: [usize; 2],
        stride: [usize; 2],
    },
    /// An average (`average`) or sum pool: folded into the next stage, which must be weighted.
    LinearPool {
        source: String,
        kernel: [usize; 2],
        stride: [usize; 2],
        average: bool,
    },
}

impl Stage {
    pub fn source(&self) -> &str {
        match self {
            Stage::Weighted { source, .. }
            | Stage::MaxPool { source, .. }
            | Stage::LinearPool { source, .. } => source,
        }
    }

    /// The `--arch` item this stage is.
    pub fn arch_layer(&self) -> ArchLayer {
        match *self {
            Stage::Weighted {
                conv: None,
                ref weights,
                ..
            } => ArchLayer::Dense {
                outputs: weights.nrows(),
            },
            Stage::Weighted {
                conv: Some(g),
                ref weights,
                ..
            } => ArchLayer::Conv {
                out_channels: weights.nrows(),
                kernel: g.kernel,
                stride: g.stride,
                padding: g.padding,
            },
            Stage::MaxPool { kernel, stride, .. } => ArchLayer::MaxPool { kernel, stride },
            Stage::LinearPool {
                kernel,
                stride,
                average,
                ..
            } => ArchLayer::LinearPool {
                kernel,
                stride,
                average,
            },
        }
    }
}

/// How a placement refusal is worded: the `--arch` item as the user wrote it (state dicts),
/// or a label per stage (NIR: ``node `c1` (Conv2d)``).
pub(crate) enum Naming<'a> {
    Arch,
    Labels(&'a [String]),
}

/// The shapes of every stage for an input of `input_shape`. Refuses, naming the stage, a
/// kernel larger than its padded input, a conv or pool after a dense layer, a pool whose fold
/// would not be exact, a weight whose input channels or inputs do not match what the stage
/// reads, and an average / sum pool not followed by a weighted stage.
pub(crate) fn place(stages: &[Stage], input_shape: Shape, naming: &Naming) -> Result<Vec<Placed>> {
    let label = |k: usize| match naming {
        Naming::Arch => format!("`{}`", stages[k].source()),
        Naming::Labels(l) => l[k].clone(),
    };
    for (k, pair) in stages.windows(2).enumerate() {
        if let (Stage::LinearPool { .. }, next) = (&pair[0], &pair[1]) {
            if !matches!(next, Stage::Weighted { .. }) {
                bail!(
                    "{}: an average or sum pool is folded into the weighted layer after it, but {} follows; \
                     put it before a conv or dense layer",
                    label(k),
                    label(k + 1)
                );
            }
        }
    }
    if let Some(Stage::LinearPool { .. }) = stages.last() {
        bail!(
            "{}: an average or sum pool is folded into the weighted layer after it, but none follows; \
             end the network with a conv or dense layer",
            label(stages.len() - 1)
        );
    }
    if let Some(last) = stages.last() {
        if !matches!(last, Stage::Weighted { .. }) {
            bail!(
                "{}: the last layer must be weighted (dense or conv): its outputs are the classes",
                label(stages.len() - 1)
            );
        }
    }
    let arch = Arch {
        layers: stages.iter().map(Stage::arch_layer).collect(),
    };
    let placed = arch.place(input_shape).map_err(|e| match (naming, &e) {
        (Naming::Labels(l), ArchError::Item { index, why, .. }) if *index < l.len() => {
            anyhow!("{}: {why}", l[*index])
        }
        _ => anyhow!("{e}"),
    })?;
    for (k, p) in placed.iter().enumerate() {
        // The model refuses wider maps anyway; refusing them here keeps the fold below from
        // allocating from sizes a corrupt file merely claims.
        if p.inputs() > MAX_WIDTH || p.outputs() > MAX_WIDTH {
            bail!(
                "{}: reads {} and writes {} features: at most {MAX_WIDTH} each",
                label(k),
                p.inputs(),
                p.outputs()
            );
        }
    }
    for (k, (stage, p)) in stages.iter().zip(&placed).enumerate() {
        let Stage::Weighted {
            weight_key,
            weight_shape,
            conv,
            weights,
            ..
        } = stage
        else {
            continue;
        };
        let [c, h, w] = p.in_shape;
        match conv {
            None if weights.ncols() != p.inputs() => bail!(
                "{}: `{weight_key}` has shape {weight_shape:?}, so {} inputs, but it reads a {c}x{h}x{w} map \
                 ({} features, flattened channel-major)",
                label(k),
                weights.ncols(),
                p.inputs()
            ),
            Some(g) if weights.ncols() != c * g.kernel[0] * g.kernel[1] => bail!(
                "{}: `{weight_key}` has shape {weight_shape:?}, but it reads a {c}x{h}x{w} map: the weight must be \
                 [{}, {c}, {}, {}] ([out_channels, in_channels, Kh, Kw])",
                label(k),
                weights.nrows(),
                g.kernel[0],
                g.kernel[1]
            ),
            _ => {}
        }
    }
    Ok(placed)
}

type PendingPool = (String, [usize; 2], [usize; 2], bool, Shape);

/// The model layers of placed stages: every linear pool folded into the weighted stage after
/// it (the folded layer keeps that stage's name, with a note saying what was folded in).
pub(crate) fn assemble(stages: Vec<Stage>, placed: &[Placed]) -> Result<Vec<ImportedLayer>> {
    let mut layers = Vec::with_capacity(stages.len());
    // The linear pool waiting for its weighted stage: name, kernel, stride, average, input.
    let mut pending: Option<PendingPool> = None;
    for (stage, p) in stages.into_iter().zip(placed) {
        match stage {
            Stage::LinearPool {
                source,
                kernel,
                stride,
                average,
            } => pending = Some((source, kernel, stride, average, p.in_shape)),
            Stage::MaxPool { source, .. } => {
                let kind = p
                    .kind()
                    .ok_or_else(|| anyhow!("`{source}`: the pool does not fit its input"))?;
                layers.push(ImportedLayer {
                    weight_key: String::new(),
                    source,
                    kind,
                    weights: Array2::zeros((0, 0)),
                    bias: Vec::new(),
                    note: None,
                });
            }
            Stage::Weighted {
                source,
                weight_key,
                weights,
                bias,
                ..
            } => {
                let kind = p
                    .kind()
                    .ok_or_else(|| anyhow!("`{source}`: the layer does not fit its input"))?;
                let Some((pool, kernel, stride, average, pool_in)) = pending.take() else {
                    layers.push(ImportedLayer {
                        source,
                        weight_key,
                        kind,
                        weights,
                        bias,
                        note: None,
                    });
                    continue;
                };
                // fold_pool works on the float model's f32 values, which is what every layer
                // becomes anyway (ImportedNetwork::to_float_model); non-finite values are
                // refused here, before they would be smeared over a folded kernel.
                for (i, row) in weights.rows().into_iter().enumerate() {
                    for (j, &v) in row.iter().chain(std::iter::once(&bias[i])).enumerate() {
                        if !v.is_finite() || v.abs() > f32::MAX as f64 {
                            bail!(
                                "`{source}`, {}: {} = {v} is not a finite float32 number: fix the trained weights",
                                kind.row_label(i),
                                if j == row.len() { "bias".to_string() } else { kind.weight_label(j) }
                            );
                        }
                    }
                }
                // The folded layer's size, before fold_pool allocates it: a dense layer reads the
                // whole unpooled map, a conv a kernel of (K − 1)·s + k.
                let fan_in = match kind {
                    LayerKind::Conv2d {
                        in_channels,
                        kernel: k,
                        ..
                    } => in_channels
                        .saturating_mul((k[0] - 1) * stride[0] + kernel[0])
                        .saturating_mul((k[1] - 1) * stride[1] + kernel[1]),
                    _ => shape_len(pool_in).unwrap_or(usize::MAX),
                };
                if fan_in.saturating_mul(weights.nrows()) > MAX_FOLDED_WEIGHTS {
                    bail!(
                        "`{source}`: folding the pool `{pool}` into it would give {} rows of {fan_in} weights, \
                         more than {MAX_FOLDED_WEIGHTS} in all",
                        weights.nrows()
                    );
                }
                let float = FloatLayer {
                    kind,
                    inputs: p.inputs(),
                    outputs: p.outputs(),
                    weights: weights.mapv(|w| w as f32),
                    bias: bias.iter().map(|&b| b as f32).collect(),
                };
                let folded = fold_pool(pool_in, kernel, stride, average, &float).ok_or_else(|| {
                    anyhow!(
                        "`{pool}`: this pool cannot be folded exactly into `{source}` after it \
                         (DESIGN §2.1): use a pool whose kernel equals its stride and divides the map"
                    )
                })?;
                let what = if average { "average" } else { "sum" };
                let note = if average {
                    format!("the {what} pool `{pool}` before it is folded in")
                } else {
                    format!(
                        "the {what} pool `{pool}` before it is folded in: each weight counts {} times",
                        kernel[0] * kernel[1]
                    )
                };
                layers.push(ImportedLayer {
                    source,
                    weight_key,
                    kind: folded.kind,
                    weights: folded.weights.mapv(|w| w as f64),
                    bias: folded.bias.iter().map(|&b| b as f64).collect(),
                    note: Some(note),
                });
            }
        }
    }
    if let Some((pool, ..)) = pending {
        bail!("`{pool}`: an average or sum pool needs a weighted layer after it to be folded into");
    }
    Ok(layers)
}

/// The `input_shape` a model of `layers` records: none when the first layer is dense (it reads
/// any shape flattened, and the file then stays version 1 when every layer is dense).
pub(crate) fn model_input_shape(layers: &[ImportedLayer], input_shape: Shape) -> Option<Shape> {
    match layers.first().map(|l| l.kind) {
        Some(LayerKind::Dense) | None => None,
        Some(_) => Some(input_shape),
    }
}
