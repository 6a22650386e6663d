//! NIR graphs (the Neuromorphic Intermediate Representation, HDF5 files of `nir.write`).
//!
//! Layout written by the reference Python package (nir 1.0): a group `node` with a scalar
//! string `type` = "NIRGraph", a group `nodes` with one group per node (`type` plus the node's
//! arrays, e.g. `weight`/`bias` for Affine, `r`/`v_threshold`/`v_reset` for IF, `shape` for
//! Input/Output) and `edges`, an `[n, 2]` array of (source, target) node names.
//!
//! Conv2d nodes add `stride`, `padding` (ints, pairs or the strings "valid" / "same"),
//! `dilation`, `groups` and `input_shape`; SumPool2d / AvgPool2d nodes `kernel_size`, `stride`,
//! `padding`; Flatten nodes `start_dim`, `end_dim`.
//!
//! LC-TTFS maps onto the chain `Input → (Conv2d|Affine|Linear → IF [→ SumPool2d|AvgPool2d]
//! [→ Flatten]) → … → Conv2d|Affine|Linear [→ IF] → Output`: the IF neurons must have
//! threshold 1 and r = 1 (the neuron of DESIGN §1); the last weight layer may feed Output
//! directly (potential readout); a sum / average pool is folded into the weight layer after it
//! (DESIGN §2.1). Anything else is refused with the node's name and type.

use super::stages::{self, ConvGeometry, Naming, Stage};
use super::{guarded, Format, ImportedLayer, ImportedNetwork};
use anyhow::{anyhow, bail, Result};
use golden::model::{shape_len, Shape};
use hdf5_reader::group::Group;
use hdf5_reader::{Dataset, Datatype, Hdf5File, OpenOptions};
use ndarray::Array2;
use std::collections::{BTreeMap, BTreeSet};

/// Node types this importer understands; any other type is refused by name.
const SUPPORTED: [&str; 9] = [
    "Input",
    "Affine",
    "Linear",
    "Conv2d",
    "SumPool2d",
    "AvgPool2d",
    "Flatten",
    "IF",
    "Output",
];

/// How far an IF parameter may be from 1 (files carry float32 or float64 exact ones).
const PARAM_TOLERANCE: f64 = 1e-6;

/// Reads a NIR graph and maps its chain of layers. `hdf5-reader` runs inside [`guarded`]:
/// it decodes offsets and sizes from the file, and a malformed file must be an error line.
pub fn read_nir(bytes: &[u8], origin: &str) -> Result<ImportedNetwork> {
    guarded(origin, "NIR (HDF5)", || read_graph(bytes, origin))
}

/// One node of the graph: its name, type and group.
struct Node {
    kind: String,
    group: Group,
}

fn read_graph(bytes: &[u8], origin: &str) -> Result<ImportedNetwork> {
    let mut opts = OpenOptions::default();
    // A read may decode at most this much: a real network's arrays are no larger than the
    // file (NIR writes them uncompressed, even compressed ones rarely beat 1000:1), and a
    // corrupt size field must be refused before the allocation, not abort the process.
    opts.max_read_bytes = bytes.len().saturating_mul(1024).clamp(16 << 20, 2 << 30);
    opts.max_chunk_bytes = opts.max_read_bytes;
    let h5 = |e: hdf5_reader::error::Error| anyhow!("{origin}: {e} (truncated or corrupt file?)");
    let file = Hdf5File::from_bytes_with_options(bytes, opts).map_err(|e| {
        anyhow!("{origin}: not a readable NIR (HDF5) file ({e}): truncated or corrupt?")
    })?;
    let root = file.root_group().map_err(h5)?;
    let graph = root.group("node").map_err(|e| {
        anyhow!(
            "{origin}: no readable `node` group at the top ({e}): not a NIR graph (write it with nir.write) \
             or a truncated file"
        )
    })?;
    let graph_type = read_string(&graph, "type").map_err(|e| {
        anyhow!("{origin}: cannot read node/type ({e}): not a NIR graph, or a truncated file")
    })?;
    if graph_type != "NIRGraph" {
        bail!("{origin}: top node has type {graph_type:?}, expected \"NIRGraph\"");
    }
    let nodes_group = graph
        .group("nodes")
        .map_err(|_| anyhow!("{origin}: no `node/nodes` group: not a NIR graph"))?;
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    for group in nodes_group.groups().map_err(h5)? {
        let name = group.name().to_string();
        let kind = read_string(&group, "type")
            .map_err(|e| anyhow!("{origin}: node `{name}`: `type`: {e}"))?;
        nodes.insert(name, Node { kind, group });
    }
    // Every node is checked first, so an unsupported one is named even off the main chain.
    for (name, node) in &nodes {
        if !SUPPORTED.contains(&node.kind.as_str()) {
            bail!(
                "{origin}: node `{name}` has type {}: LC-TTFS imports only the chain Input → Conv2d/Affine/Linear → IF \
                 [→ SumPool2d/AvgPool2d] [→ Flatten] → … → Output (non-leaky IF neurons with threshold 1 and r = 1){}",
                node.kind,
                hint(&node.kind)
            );
        }
    }
    let edges = read_edges(&graph).map_err(|e| anyhow!("{origin}: node/edges: {e}"))?;
    let chain = follow_chain(&nodes, &edges).map_err(|e| anyhow!("{origin}: {e}"))?;
    let (input_shape, layers) = map_chain(&nodes, &chain).map_err(|e| anyhow!("{origin}: {e}"))?;
    Ok(ImportedNetwork {
        format: Format::Nir,
        input_shape,
        layers,
    })
}

/// Why a node type has no LC-TTFS equivalent, for the refusal message.
fn hint(kind: &str) -> &'static str {
    match kind {
        "LIF" | "CubaLIF" | "LI" | "CubaLI" | "I" => {
            ": leaky or current-based neurons do not integrate the exact ramp LC-TTFS relies on"
        }
        "Conv1d" => ": use a Conv2d with a 1xK kernel",
        "NIRGraph" => ": nested subgraphs are not supported (flatten the graph)",
        "Scale" | "Threshold" | "Delay" => {
            ": this node changes weights or spike times outside Σw + b = 1"
        }
        _ => "",
    }
}

/// The first string of a string dataset (scalar `type` fields).
fn read_string(group: &Group, name: &str) -> Result<String> {
    let ds = group.dataset(name).map_err(|e| anyhow!("{e}"))?;
    let mut strings = ds.read_strings().map_err(|e| anyhow!("{e}"))?;
    if strings.len() != 1 {
        bail!("expected one string, found {}", strings.len());
    }
    Ok(strings.swap_remove(0))
}

fn read_edges(graph: &Group) -> Result<Vec<(String, String)>> {
    let ds = graph.dataset("edges").map_err(|e| anyhow!("{e}"))?;
    let shape = ds.shape().to_vec();
    let strings = ds.read_strings().map_err(|e| anyhow!("{e}"))?;
    if strings.is_empty() {
        return Ok(Vec::new());
    }
    if shape.len() != 2 || shape[1] != 2 || strings.len() % 2 != 0 {
        bail!("shape {shape:?}: expected [n, 2] (source, target) node names");
    }
    Ok(strings
        .chunks_exact(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect())
}

/// Node names from the Input to the Output, or why the graph is not a chain.
fn follow_chain(nodes: &BTreeMap<String, Node>, edges: &[(String, String)]) -> Result<Vec<String>> {
    let of_kind = |k: &str| -> Vec<&String> {
        nodes
            .iter()
            .filter(|(_, n)| n.kind == k)
            .map(|(name, _)| name)
            .collect()
    };
    let inputs = of_kind("Input");
    let outputs = of_kind("Output");
    if inputs.len() != 1 || outputs.len() != 1 {
        bail!(
            "the graph has {} Input node(s) {inputs:?} and {} Output node(s) {outputs:?}: exactly one of each is needed",
            inputs.len(),
            outputs.len()
        );
    }
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut incoming: BTreeMap<&str, usize> = BTreeMap::new();
    for (src, dst) in edges {
        for end in [src, dst] {
            if !nodes.contains_key(end) {
                bail!("edge ({src} → {dst}) names node `{end}`, which is not in the graph");
            }
        }
        next.entry(src).or_default().push(dst);
        *incoming.entry(dst).or_default() += 1;
    }
    let kind = |n: &str| nodes.get(n).map_or("?", |n| n.kind.as_str());
    let mut chain = vec![inputs[0].clone()];
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    seen.insert(inputs[0]);
    let mut cur: &str = inputs[0];
    if incoming.get(cur).copied().unwrap_or(0) > 0 {
        bail!("Input node `{cur}` has incoming edges: the graph must be a chain starting at the Input");
    }
    while kind(cur) != "Output" {
        let outs = next.get(cur).cloned().unwrap_or_default();
        match outs.as_slice() {
            [] => bail!(
                "node `{cur}` ({}) has no outgoing edge: the chain from the Input never reaches the Output",
                kind(cur)
            ),
            [one] => {
                if incoming.get(one).copied().unwrap_or(0) > 1 {
                    bail!(
                        "node `{one}` ({}) has {} incoming edges: only a chain is supported (no merges)",
                        kind(one),
                        incoming[one]
                    );
                }
                if !seen.insert(one) {
                    bail!("the edges loop back to node `{one}`: only a chain is supported (no recurrence)");
                }
                chain.push(one.to_string());
                cur = one;
            }
            many => bail!(
                "node `{cur}` ({}) has {} outgoing edges (to {}): only a chain is supported (no branches)",
                kind(cur),
                many.len(),
                many.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ),
        }
    }
    if let Some(out) = next.get(cur).filter(|v| !v.is_empty()) {
        bail!(
            "Output node `{cur}` has outgoing edges (to `{}`): it must end the chain",
            out[0]
        );
    }
    if let Some((name, n)) = nodes.iter().find(|(name, _)| !seen.contains(name.as_str())) {
        bail!(
            "node `{name}` ({}) is not on the chain from the Input to the Output: only a single chain is supported",
            n.kind
        );
    }
    Ok(chain)
}

/// A weighted or pool node in the making, and what is checked once shapes are known.
struct Walk {
    stages: Vec<Stage>,
    /// Per stage: ``node `c1` (Conv2d)``, for messages.
    labels: Vec<String>,
    /// Conv2d nodes that record their input's `[H, W]` (`input_shape`): stage index and value.
    conv_input_shapes: Vec<(usize, Vec<usize>)>,
    /// IF nodes and the stage they follow.
    ifs: Vec<(String, usize)>,
}

/// Turns `Input → (Conv2d|Affine|Linear → IF [→ SumPool2d|AvgPool2d] [→ Flatten]) … → Output`
/// into model layers (pools folded) and the input shape the model records.
fn map_chain(
    nodes: &BTreeMap<String, Node>,
    chain: &[String],
) -> Result<(Option<Shape>, Vec<ImportedLayer>)> {
    let mut walk = Walk {
        stages: Vec::new(),
        labels: Vec::new(),
        conv_input_shapes: Vec::new(),
        ifs: Vec::new(),
    };
    // The node before the current one, to say where an out-of-place node sits.
    let mut prev: (&str, &str) = (&chain[0], "Input");
    // Whether the last weight layer still waits for its IF.
    let mut open_layer = false;
    // What flows here: `Some(true)` a flat vector, `Some(false)` a [C, H, W] map, `None` the
    // raw input (either: its shape is checked against the first layer once known).
    let mut flat: Option<bool> = None;
    for name in &chain[1..] {
        let node = &nodes[name];
        let kind = node.kind.as_str();
        let label = format!("node `{name}` ({kind})");
        match kind {
            "Affine" | "Linear" | "Conv2d" => {
                if open_layer {
                    bail!(
                        "node `{name}` ({kind}) follows the weight layer `{}` ({}) without an IF between: \
                         LC-TTFS needs an IF neuron (ReLU1) after every hidden weight layer",
                        prev.0,
                        prev.1
                    );
                }
                let conv = kind == "Conv2d";
                match (conv, flat) {
                    (false, Some(false)) => bail!(
                        "{label} reads the feature map of `{}` ({}): put a Flatten node before it (NIR's {kind} \
                         acts on the last axis of a map; the model reads maps flattened channel-major)",
                        prev.0,
                        prev.1
                    ),
                    (true, Some(true)) => bail!(
                        "{label} reads the flat vector of `{}` ({}): a Conv2d needs a [C, H, W] map",
                        prev.0,
                        prev.1
                    ),
                    _ => {}
                }
                let stage = if conv {
                    let (stage, input_shape) = read_conv_node(name, &node.group)?;
                    if let Some(hw) = input_shape {
                        walk.conv_input_shapes.push((walk.stages.len(), hw));
                    }
                    stage
                } else {
                    read_weight_node(name, kind, &node.group)?
                };
                walk.stages.push(stage);
                walk.labels.push(label);
                open_layer = true;
                flat = Some(!conv);
            }
            "SumPool2d" | "AvgPool2d" => {
                if open_layer {
                    bail!(
                        "{label} follows the weight layer `{}` ({}) without an IF between: put the IF first; the \
                         pool then acts on the activations and is folded into the Conv2d or Affine after it",
                        prev.0,
                        prev.1
                    );
                }
                if flat == Some(true) {
                    bail!(
                        "{label} pools the flat vector of `{}` ({}): pooling needs a [C, H, W] map",
                        prev.0,
                        prev.1
                    );
                }
                walk.stages.push(read_pool_node(name, kind, &node.group)?);
                walk.labels.push(label);
                flat = Some(false);
            }
            // The model reads a map flattened channel-major (PyTorch's Flatten order) wherever
            // a dense layer follows it, so a Flatten only changes what may come next.
            "Flatten" => flat = Some(true),
            "IF" => {
                if !open_layer {
                    bail!(
                        "IF node `{name}` follows `{}` ({}), not a weight layer (Affine, Linear or Conv2d): every IF \
                         must sit after a weight layer",
                        prev.0,
                        prev.1
                    );
                }
                walk.ifs.push((name.clone(), walk.stages.len() - 1));
                open_layer = false;
            }
            "Output" => {
                if !walk
                    .stages
                    .iter()
                    .any(|s| matches!(s, Stage::Weighted { .. }))
                {
                    bail!("the graph goes from Input to Output `{name}` without any Affine, Linear or Conv2d layer");
                }
            }
            other => bail!("node `{name}` has type {other}: not supported"),
        }
        prev = (name, kind);
    }
    if walk.stages.is_empty() {
        bail!("the graph has no Affine, Linear or Conv2d layer");
    }
    let input_name = &chain[0];
    let conv0_hw = walk
        .conv_input_shapes
        .iter()
        .find(|(k, _)| *k == 0)
        .map(|(_, hw)| hw.as_slice());
    let input_shape = input_shape(input_name, &nodes[input_name].group, &walk.stages, conv0_hw)?;
    let placed = stages::place(&walk.stages, input_shape, &Naming::Labels(&walk.labels))?;
    for (k, hw) in &walk.conv_input_shapes {
        let s = placed[*k].in_shape;
        if hw[..] != s[1..] {
            bail!(
                "{}: its input_shape is {hw:?} but it reads a {}x{}x{} map",
                walk.labels[*k],
                s[0],
                s[1],
                s[2]
            );
        }
    }
    for (name, k) in &walk.ifs {
        let p = &placed[*k];
        check_if_node(name, &nodes[name].group, p.outputs(), p.out_shape[0])?;
    }
    let last_name = chain.last().map(String::as_str).unwrap_or("");
    let last = placed.last().expect("non-empty");
    let last_label = &walk.labels[walk.labels.len() - 1];
    check_io_shape(
        last_name,
        &nodes[last_name].group,
        last.outputs(),
        &format!("{last_label} has {} outputs", last.outputs()),
    )?;
    let layers = stages::assemble(walk.stages, &placed)?;
    Ok((stages::model_input_shape(&layers, input_shape), layers))
}

/// The input's `[C, H, W]`: flat `[1, 1, inputs]` when the first layer is dense (the Input's
/// `shape`, if any, must hold that many values); else the Input's `shape` (`[C, H, W]`, or
/// `[H, W]` for one channel; leading 1s of a batch axis dropped), or failing that the first
/// Conv2d's `input_shape` with its weight's input channels.
fn input_shape(
    name: &str,
    group: &Group,
    stages: &[Stage],
    conv0_hw: Option<&[usize]>,
) -> Result<Shape> {
    if let Some(Stage::Weighted {
        conv: None,
        weights,
        source,
        weight_shape,
        ..
    }) = stages.first()
    {
        let inputs = weights.ncols();
        check_io_shape(
            name,
            group,
            inputs,
            &format!("`{source}` has {inputs} inputs (weight shape {weight_shape:?})"),
        )?;
        return Ok([1, 1, inputs]);
    }
    let dims: Option<Vec<usize>> = read_numbers(group, "shape").ok().and_then(|(_, v)| {
        v.iter()
            .map(|&d| (d >= 1.0 && d.fract() == 0.0 && d <= 1e9).then_some(d as usize))
            .collect()
    });
    let mut dims = dims.unwrap_or_default();
    while dims.len() > 3 && dims[0] == 1 {
        dims.remove(0);
    }
    match dims[..] {
        [c, h, w] => return Ok([c, h, w]),
        [h, w] => return Ok([1, h, w]),
        _ => {}
    }
    // No usable Input shape: a first Conv2d that records its input's [H, W] gives the rest.
    if let (Some(Stage::Weighted { weight_shape, .. }), Some(hw)) = (stages.first(), conv0_hw) {
        if let ([_, c, ..], [h, w]) = (&weight_shape[..], hw) {
            let shape = [*c, *h, *w];
            let held = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
            if dims.is_empty() || shape_len(shape) == held {
                return Ok(shape);
            }
        }
    }
    bail!(
        "node `{name}` (Input) has shape {dims:?}: the first layer reads a feature map, so the Input needs \
         shape [C, H, W]"
    )
}
/// Reads an Affine (`weight`, `bias`) or Linear (`weight`, bias 0) node.
fn read_weight_node(name: &str, kind: &str, group: &Group) -> Result<Stage> {
    let (shape, data) = read_numbers(group, "weight")
        .map_err(|e| anyhow!("node `{name}` ({kind}): `weight`: {e}"))?;
    if shape.len() != 2 {
        bail!("node `{name}` ({kind}): weight has shape {shape:?}, expected 2-D [outputs, inputs]");
    }
    let (outputs, inputs) = (shape[0], shape[1]);
    let weights = Array2::from_shape_vec((outputs, inputs), data).map_err(|_| {
        anyhow!("node `{name}` ({kind}): weight data does not match shape {shape:?}")
    })?;
    let bias = if kind == "Affine" {
        read_bias(name, kind, group, outputs, &shape)?
    } else {
        vec![0.0; outputs]
    };
    Ok(Stage::Weighted {
        source: name.to_string(),
        weight_key: format!("{name}.weight"),
        weight_shape: shape,
        conv: None,
        weights,
        bias,
    })
}

/// The `bias` of a weight node: one value per output (neuron or channel).
fn read_bias(
    name: &str,
    kind: &str,
    group: &Group,
    rows: usize,
    wshape: &[usize],
) -> Result<Vec<f64>> {
    let (bshape, b) =
        read_numbers(group, "bias").map_err(|e| anyhow!("node `{name}` ({kind}): `bias`: {e}"))?;
    if b.len() != rows || bshape.len() > 1 {
        bail!(
            "node `{name}` ({kind}): bias has shape {bshape:?} but weight has shape {wshape:?}: the bias must be [{rows}]"
        );
    }
    Ok(b)
}

/// A Conv2d node: `weight [Co, C, Kh, Kw]`, `bias [Co]`, `stride` and `padding` (an int, a
/// pair, or NIR's "valid" / "same"), `dilation` and `groups` (must be 1), and the optional
/// `input_shape [H, W]` it was written for (returned, checked once shapes are placed).
fn read_conv_node(name: &str, group: &Group) -> Result<(Stage, Option<Vec<usize>>)> {
    let node = format!("node `{name}` (Conv2d)");
    let (shape, data) =
        read_numbers(group, "weight").map_err(|e| anyhow!("{node}: `weight`: {e}"))?;
    if shape.len() != 4 || shape.contains(&0) {
        bail!(
            "{node}: weight has shape {shape:?}, expected 4-D [out_channels, in_channels, Kh, Kw]"
        );
    }
    let rows = shape[0];
    let fan_in = shape[1..]
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .unwrap_or(usize::MAX);
    let weights = Array2::from_shape_vec((rows, fan_in), data)
        .map_err(|_| anyhow!("{node}: weight data does not match shape {shape:?}"))?;
    let bias = if group.dataset("bias").is_ok() {
        read_bias(name, "Conv2d", group, rows, &shape)?
    } else {
        vec![0.0; rows]
    };
    let kernel = [shape[2], shape[3]];
    let pair = |field: &str, default: usize, min: usize| -> Result<[usize; 2]> {
        if group.dataset(field).is_err() {
            return Ok([default; 2]);
        }
        let (_, v) = read_numbers(group, field).map_err(|e| anyhow!("{node}: `{field}`: {e}"))?;
        int_pair(&v, min)
            .ok_or_else(|| anyhow!("{node}: {field} {v:?} is not one or two whole numbers ≥ {min}"))
    };
    if let Ok(groups) = read_numbers(group, "groups").map(|(_, v)| v) {
        if groups.iter().any(|&g| g != 1.0) {
            bail!(
                "{node}: groups = {groups:?}: grouped and depthwise convolutions are not supported (groups must be 1): \
                 every output channel reads every input channel in the model"
            );
        }
    }
    let dilation = pair("dilation", 1, 1)?;
    if dilation != [1, 1] {
        bail!(
            "{node}: dilation {dilation:?} is not supported (dilation must be 1): the model's conv2d reads a dense \
             Kh x Kw window"
        );
    }
    let stride = pair("stride", 1, 1)?;
    let padding = match read_string(group, "padding") {
        Ok(p) if p == "valid" => [0, 0],
        Ok(p) if p == "same" => {
            // PyTorch's "same" pads (K − 1) / 2 on each side: symmetric only for odd kernels,
            // and only defined for stride 1; the model's padding is symmetric.
            if stride != [1, 1] || kernel[0] % 2 == 0 || kernel[1] % 2 == 0 {
                bail!(
                    "{node}: padding \"same\" with kernel {kernel:?} and stride {stride:?} is not symmetric: the model \
                     pads both sides equally, so give an odd kernel with stride 1, or an explicit padding"
                );
            }
            [(kernel[0] - 1) / 2, (kernel[1] - 1) / 2]
        }
        Ok(p) => bail!("{node}: padding {p:?} is not \"valid\", \"same\" or a number"),
        Err(_) => pair("padding", 0, 0)?,
    };
    let input_shape = match read_numbers(group, "input_shape") {
        Ok((_, v)) => Some(
            int_pair(&v, 1)
                .filter(|_| v.len() == 2)
                .ok_or_else(|| anyhow!("{node}: input_shape {v:?} is not [H, W]"))?
                .to_vec(),
        ),
        Err(_) => None,
    };
    Ok((
        Stage::Weighted {
            source: name.to_string(),
            weight_key: format!("{name}.weight"),
            weight_shape: shape,
            conv: Some(ConvGeometry {
                kernel,
                stride,
                padding,
            }),
            weights,
            bias,
        },
        input_shape,
    ))
}

/// A SumPool2d / AvgPool2d node: `kernel_size`, `stride` (default: the kernel), `padding`
/// (must be 0: a padded pool does not fold into the layer after it).
fn read_pool_node(name: &str, kind: &str, group: &Group) -> Result<Stage> {
    let node = format!("node `{name}` ({kind})");
    let field = |f: &str| -> Result<Option<Vec<f64>>> {
        if group.dataset(f).is_err() {
            return Ok(None);
        }
        let (_, v) = read_numbers(group, f).map_err(|e| anyhow!("{node}: `{f}`: {e}"))?;
        Ok(Some(v))
    };
    let kernel_values = field("kernel_size")?.ok_or_else(|| anyhow!("{node}: no `kernel_size`"))?;
    let kernel = int_pair(&kernel_values, 1).ok_or_else(|| {
        anyhow!("{node}: kernel_size {kernel_values:?} is not one or two whole numbers ≥ 1")
    })?;
    let stride = match field("stride")? {
        None => kernel,
        Some(v) => int_pair(&v, 1)
            .ok_or_else(|| anyhow!("{node}: stride {v:?} is not one or two whole numbers ≥ 1"))?,
    };
    if let Some(p) = field("padding")? {
        if p.iter().any(|&x| x != 0.0) {
            bail!(
                "{node}: padding {p:?} is not supported: a pool is folded into the layer after it, which is exact \
                 only without padding (pad that layer instead)"
            );
        }
    }
    Ok(Stage::LinearPool {
        source: name.to_string(),
        kernel,
        stride,
        average: kind == "AvgPool2d",
    })
}

/// One value (square) or two (`[H, W]`) whole numbers ≥ `min`, each at most 65536.
fn int_pair(v: &[f64], min: usize) -> Option<[usize; 2]> {
    let whole =
        |x: f64| (x.fract() == 0.0 && x >= min as f64 && x <= 65536.0).then_some(x as usize);
    match v {
        [a] => whole(*a).map(|a| [a, a]),
        [a, b] => Some([whole(*a)?, whole(*b)?]),
        _ => None,
    }
}

/// An IF node must be the LC-TTFS neuron: threshold 1 and r = 1 (one scalar, one per output
/// channel, or one per neuron). `v_reset` does not matter: a neuron fires at most once.
fn check_if_node(name: &str, group: &Group, outputs: usize, channels: usize) -> Result<()> {
    for (field, what) in [("v_threshold", "threshold"), ("r", "r")] {
        let (shape, values) =
            read_numbers(group, field).map_err(|e| anyhow!("IF node `{name}`: `{field}`: {e}"))?;
        if values.len() != 1 && values.len() != outputs && values.len() != channels {
            bail!(
                "IF node `{name}`: {field} has shape {shape:?} but the layer before it has {outputs} neurons"
            );
        }
        if let Some((i, v)) = values
            .iter()
            .enumerate()
            .find(|(_, v)| v.is_nan() || (**v - 1.0).abs() > PARAM_TOLERANCE)
        {
            bail!(
                "IF node `{name}`: {field}[{i}] = {v}, but LC-TTFS needs {what} = 1 for every neuron \
                 (the firing time then equals the ReLU1 activation); rescale the weights and set it to 1"
            );
        }
    }
    Ok(())
}

/// Input/Output `shape` (when present) must hold `expected` values; `what` says whose.
fn check_io_shape(name: &str, group: &Group, expected: usize, what: &str) -> Result<()> {
    let Ok((_, shape)) = read_numbers(group, "shape") else {
        return Ok(());
    };
    let size = shape.iter().try_fold(1f64, |n, &d| {
        (d >= 0.0 && d.fract() == 0.0).then_some(n * d)
    });
    if size != Some(expected as f64) {
        bail!("node `{name}` has shape {shape:?} but {what}");
    }
    Ok(())
}

/// A numeric dataset as f64 (float or integer storage), with its shape.
fn read_numbers(group: &Group, name: &str) -> Result<(Vec<usize>, Vec<f64>)> {
    let ds: Dataset = group.dataset(name).map_err(|e| anyhow!("{e}"))?;
    let shape: Vec<usize> = ds.shape().iter().map(|&d| d as usize).collect();
    let err = |e: hdf5_reader::error::Error| anyhow!("{e}");
    macro_rules! read_as {
        ($t:ty) => {
            ds.read_array::<$t>()
                .map_err(err)?
                .iter()
                .map(|&v| v as f64)
                .collect()
        };
    }
    let data: Vec<f64> = match ds.dtype() {
        Datatype::FloatingPoint { size: 4, .. } => read_as!(f32),
        Datatype::FloatingPoint { size: 8, .. } => read_as!(f64),
        Datatype::FixedPoint {
            size: 1,
            signed: true,
            ..
        } => read_as!(i8),
        Datatype::FixedPoint {
            size: 1,
            signed: false,
            ..
        } => read_as!(u8),
        Datatype::FixedPoint {
            size: 2,
            signed: true,
            ..
        } => read_as!(i16),
        Datatype::FixedPoint {
            size: 2,
            signed: false,
            ..
        } => read_as!(u16),
        Datatype::FixedPoint {
            size: 4,
            signed: true,
            ..
        } => read_as!(i32),
        Datatype::FixedPoint {
            size: 4,
            signed: false,
            ..
        } => read_as!(u32),
        Datatype::FixedPoint {
            size: 8,
            signed: true,
            ..
        } => read_as!(i64),
        Datatype::FixedPoint {
            size: 8,
            signed: false,
            ..
        } => read_as!(u64),
        other => {
            bail!("unsupported element type {other:?}: expected float32/float64 (or integers)")
        }
    };
    Ok((shape, data))
}
