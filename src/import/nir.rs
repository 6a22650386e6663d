//! NIR graphs (the Neuromorphic Intermediate Representation, HDF5 files of `nir.write`).
//!
//! Layout written by the reference Python package (nir 1.0): a group `node` with a scalar
//! string `type` = "NIRGraph", a group `nodes` with one group per node (`type` plus the node's
//! arrays, e.g. `weight`/`bias` for Affine, `r`/`v_threshold`/`v_reset` for IF, `shape` for
//! Input/Output) and `edges`, an `[n, 2]` array of (source, target) node names.
//!
//! LC-TTFS maps onto the chain `Input → (Affine|Linear → IF) → … → Affine|Linear [→ IF] →
//! Output`: the IF neurons must have threshold 1 and r = 1 (the neuron of DESIGN §1); the
//! last weight layer may feed Output directly (potential readout). Anything else is refused
//! with the node's name and type.

use super::{guarded, Format, ImportedLayer, ImportedNetwork};
use anyhow::{anyhow, bail, Result};
use hdf5_reader::group::Group;
use hdf5_reader::{Dataset, Datatype, Hdf5File, OpenOptions};
use ndarray::Array2;
use std::collections::{BTreeMap, BTreeSet};

/// Node types this importer understands; any other type is refused by name.
const SUPPORTED: [&str; 5] = ["Input", "Affine", "Linear", "IF", "Output"];

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
                "{origin}: node `{name}` has type {}: LC-TTFS imports only the chain Input → Affine/Linear → IF → … → \
                 Output (non-leaky IF neurons with threshold 1 and r = 1){}",
                node.kind,
                hint(&node.kind)
            );
        }
    }
    let edges = read_edges(&graph).map_err(|e| anyhow!("{origin}: node/edges: {e}"))?;
    let chain = follow_chain(&nodes, &edges).map_err(|e| anyhow!("{origin}: {e}"))?;
    let layers = map_chain(&nodes, &chain).map_err(|e| anyhow!("{origin}: {e}"))?;
    Ok(ImportedNetwork {
        format: Format::Nir,
        layers,
    })
}

/// Why a node type has no LC-TTFS equivalent, for the refusal message.
fn hint(kind: &str) -> &'static str {
    match kind {
        "LIF" | "CubaLIF" | "LI" | "CubaLI" | "I" => {
            ": leaky or current-based neurons do not integrate the exact ramp LC-TTFS relies on"
        }
        "Conv1d" | "Conv2d" | "Flatten" | "SumPool2d" | "AvgPool2d" => {
            ": only dense layers are supported (flatten the input and use Affine layers)"
        }
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

/// Turns `Input → (Affine|Linear → IF) … → Output` into dense layers.
fn map_chain(nodes: &BTreeMap<String, Node>, chain: &[String]) -> Result<Vec<ImportedLayer>> {
    let mut layers: Vec<ImportedLayer> = Vec::new();
    // The node before the current one, to say where an out-of-place node sits.
    let mut prev: (&str, &str) = (&chain[0], "Input");
    // Whether the last weight layer still waits for its IF.
    let mut open_layer = false;
    for name in &chain[1..] {
        let node = &nodes[name];
        let kind = node.kind.as_str();
        match kind {
            "Affine" | "Linear" => {
                if open_layer {
                    bail!(
                        "node `{name}` ({kind}) follows the weight layer `{}` ({}) without an IF between: \
                         LC-TTFS needs an IF neuron (ReLU1) after every hidden weight layer",
                        prev.0,
                        prev.1
                    );
                }
                layers.push(read_weight_node(name, kind, &node.group)?);
                open_layer = true;
            }
            "IF" => {
                if !open_layer {
                    bail!(
                        "IF node `{name}` follows `{}` ({}), not an Affine/Linear: every IF must sit after a weight layer",
                        prev.0,
                        prev.1
                    );
                }
                let outputs = layers.last().map_or(0, |l| l.outputs());
                check_if_node(name, &node.group, outputs)?;
                open_layer = false;
            }
            "Output" => {
                if layers.is_empty() {
                    bail!("the graph goes from Input to Output `{name}` without any Affine/Linear layer");
                }
            }
            other => bail!("node `{name}` has type {other}: not supported"),
        }
        prev = (name, kind);
    }
    if layers.is_empty() {
        bail!("the graph has no Affine/Linear layer");
    }
    check_io_shape(
        &chain[0],
        &nodes[&chain[0]].group,
        layers[0].inputs(),
        "inputs",
        &layers[0],
    )?;
    let last_name = chain.last().map(String::as_str).unwrap_or("");
    let last = layers.last().expect("non-empty");
    check_io_shape(
        last_name,
        &nodes[last_name].group,
        last.outputs(),
        "outputs",
        last,
    )?;
    Ok(layers)
}

/// Reads an Affine (`weight`, `bias`) or Linear (`weight`, bias 0) node.
fn read_weight_node(name: &str, kind: &str, group: &Group) -> Result<ImportedLayer> {
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
        let (bshape, b) = read_numbers(group, "bias")
            .map_err(|e| anyhow!("node `{name}` (Affine): `bias`: {e}"))?;
        if b.len() != outputs || bshape.len() > 1 {
            bail!(
                "node `{name}` (Affine): bias has shape {bshape:?} but weight has shape [{outputs}, {inputs}]: \
                 the bias must be [{outputs}]"
            );
        }
        b
    } else {
        vec![0.0; outputs]
    };
    Ok(ImportedLayer {
        source: name.to_string(),
        weight_key: format!("{name}.weight"),
        weights,
        bias,
    })
}

/// An IF node must be the LC-TTFS neuron: threshold 1 and r = 1 (per neuron or one scalar).
/// `v_reset` does not matter: a neuron fires at most once per sample.
fn check_if_node(name: &str, group: &Group, outputs: usize) -> Result<()> {
    for (field, what) in [("v_threshold", "threshold"), ("r", "r")] {
        let (shape, values) =
            read_numbers(group, field).map_err(|e| anyhow!("IF node `{name}`: `{field}`: {e}"))?;
        if values.len() != 1 && values.len() != outputs {
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

/// Input/Output `shape` (when present) must hold as many values as the layer next to it.
fn check_io_shape(
    name: &str,
    group: &Group,
    expected: usize,
    what: &str,
    layer: &ImportedLayer,
) -> Result<()> {
    let Ok((_, shape)) = read_numbers(group, "shape") else {
        return Ok(());
    };
    let size = shape.iter().try_fold(1f64, |n, &d| {
        (d >= 0.0 && d.fract() == 0.0).then_some(n * d)
    });
    if size != Some(expected as f64) {
        bail!(
            "node `{name}` has shape {shape:?} but `{}` has {expected} {what} (weight shape [{}, {}])",
            layer.source,
            layer.outputs(),
            layer.inputs()
        );
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
