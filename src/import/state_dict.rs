//! State dicts (`.npz`, `.safetensors`): tensors named `<module>.weight` / `<module>.bias`,
//! grouped into layers, and `--arch` / `--input-shape`, which say what a state dict cannot:
//! strides, padding, pooling and the input's shape.
//!
//! Modules keep their own names (`fc1`, `features.0`, `classifier.2`, `layers.4`). They are
//! taken in file order (the readers hand the tensors over in it: an `.npz` in archive order,
//! which is `state_dict()` order when saved with `np.savez(**sd)`; a `.safetensors` header is a
//! JSON map with no order, so its names are sorted numeric-aware, `fc2` before `fc10`), or in
//! the order `--arch` names them (`features.0=conv:8:5,…,classifier.1=dense:10`).

use super::stages::{self, ConvGeometry, Naming, Stage};
use super::{Format, ImportedLayer, ImportedNetwork, Tensor};
use anyhow::{anyhow, bail, Result};
use golden::arch::{Arch, ArchLayer};
use golden::model::Shape;
use ndarray::Array2;
use std::cmp::Ordering;

/// An `--arch` spec whose weighted items may name the module they read (`fc1=dense:128`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedArch {
    pub arch: Arch,
    /// Per item of `arch`: the module name given with `NAME=`, if any.
    pub names: Vec<Option<String>>,
}

impl std::str::FromStr for NamedArch {
    type Err = anyhow::Error;

    /// `[NAME=]ITEM,…`: an item whose text before its first `:` holds a `=` is named (module
    /// names hold no `:`, `,` or `=`, and the layer keywords no `=`, so this is unambiguous).
    fn from_str(spec: &str) -> Result<NamedArch> {
        let mut names = Vec::new();
        let mut items = Vec::new();
        for (index, item) in spec.split(',').enumerate() {
            let item = item.trim();
            let head = item.split(':').next().unwrap_or("");
            match head.split_once('=') {
                Some((name, _)) => {
                    let name = name.trim();
                    if name.is_empty() || name.contains(char::is_whitespace) {
                        bail!(
                            "--arch item {index} `{item}`: `{name}` is not a module name; write NAME=ITEM, \
                             e.g. fc1=dense:128 or features.0=conv:8:5"
                        );
                    }
                    names.push(Some(name.to_string()));
                    items.push(
                        item[name.len()..]
                            .trim_start()
                            .trim_start_matches('=')
                            .trim(),
                    );
                }
                None => {
                    names.push(None);
                    items.push(item);
                }
            }
        }
        let arch: Arch = items.join(",").parse().map_err(|e| anyhow!("{e}"))?;
        for (index, (layer, name)) in arch.layers.iter().zip(&names).enumerate() {
            if let (false, Some(name)) = (layer.is_weighted(), name) {
                bail!(
                    "--arch item {index} `{name}={layer}`: only conv and dense items name a module (a pool has \
                     no tensors); drop `{name}=`"
                );
            }
        }
        let weighted: Vec<&Option<String>> = arch
            .layers
            .iter()
            .zip(&names)
            .filter(|(l, _)| l.is_weighted())
            .map(|(_, n)| n)
            .collect();
        let named = weighted.iter().filter(|n| n.is_some()).count();
        if named != 0 && named != weighted.len() {
            bail!(
                "--arch names {named} of its {} conv/dense items: name every one (fc1=dense:128,…) or none \
                 (then the file's order is used)",
                weighted.len()
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for name in names.iter().flatten() {
            if !seen.insert(name) {
                bail!("--arch names module `{name}` twice: each module is one layer");
            }
        }
        Ok(NamedArch { arch, names })
    }
}

impl std::fmt::Display for NamedArch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items: Vec<String> = self
            .arch
            .layers
            .iter()
            .zip(&self.names)
            .map(|(l, n)| match n {
                Some(n) => format!("{n}={l}"),
                None => l.to_string(),
            })
            .collect();
        f.write_str(&items.join(","))
    }
}

/// `--input-shape C,H,W` (or `H,W`, one channel; or `N`, a flat vector), also with `x`.
pub fn parse_input_shape(text: &str) -> Result<Shape> {
    let bad = || {
        anyhow!(
            "--input-shape `{text}`: expected C,H,W of positive whole numbers (e.g. 1,28,28), or H,W, or N"
        )
    };
    let dims: Vec<usize> = text
        .split([',', 'x'])
        .map(|d| d.trim().parse::<usize>().ok().filter(|&n| n > 0))
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    let shape = match dims[..] {
        [n] => [1, 1, n],
        [h, w] => [1, h, w],
        [c, h, w] => [c, h, w],
        _ => return Err(bad()),
    };
    match golden::model::shape_len(shape) {
        Some(n) if n <= golden::model::MAX_WIDTH => Ok(shape),
        _ => bail!(
            "--input-shape `{text}`: more than {} features",
            golden::model::MAX_WIDTH
        ),
    }
}

/// What the command line says about the network's shape, besides the file.
#[derive(Clone, Debug, Default)]
pub struct Shaping {
    pub arch: Option<NamedArch>,
    pub input_shape: Option<Shape>,
}

impl Shaping {
    pub fn is_empty(&self) -> bool {
        self.arch.is_none() && self.input_shape.is_none()
    }
}

/// Which tensor of its module a key is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Weight,
    Bias,
}

/// Splits `<module>.weight` / `<module>.bias`, or explains why the key is refused.
pub(crate) fn parse_key(key: &str) -> Result<(&str, Field)> {
    let (module, field) = key.rsplit_once('.').unwrap_or(("", key));
    match field {
        "running_mean" | "running_var" | "num_batches_tracked" => bail!(
            "key `{key}` belongs to a batch-norm layer: LC-TTFS has no batch norm (its learned scale breaks \
             Σw + b = 1 per neuron); retrain without it, or fold it into the layer before and re-normalize the rows"
        ),
        "weight" | "bias" if !module.is_empty() && !module.split('.').any(str::is_empty) => Ok((
            module,
            if field == "weight" {
                Field::Weight
            } else {
                Field::Bias
            },
        )),
        _ => bail!(
            "unknown key `{key}`: a state dict here holds only `<module>.weight` and `<module>.bias` of \
             nn.Linear ([outputs, inputs]) and nn.Conv2d ([out, in, Kh, Kw]) modules, e.g. `fc1.weight`, \
             `features.0.bias`; save only those (see docs/import.md)"
        ),
    }
}

/// Numeric-aware order of names: runs of digits compare as numbers (`fc2` < `fc10`,
/// `layers.2` < `layers.10`), the rest byte-wise. Safetensors names are sorted with it.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn runs(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ra, rb) = (runs(a), runs(b));
    for ((da, sa), (db, sb)) in ra.iter().zip(&rb) {
        let ord = if *da && *db {
            let (ta, tb) = (sa.trim_start_matches('0'), sb.trim_start_matches('0'));
            ta.len().cmp(&tb.len()).then(ta.cmp(tb))
        } else {
            sa.cmp(sb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ra.len().cmp(&rb.len()).then(a.cmp(b))
}

/// One module of the state dict: its weight and optional bias, with their keys.
struct Module {
    name: String,
    weight: Option<(String, Tensor)>,
    bias: Option<(String, Tensor)>,
}

/// Groups tensors (in file order) into modules, in the order each module first appears.
fn modules(tensors: Vec<(String, Tensor)>) -> Result<Vec<Module>> {
    let mut modules: Vec<Module> = Vec::new();
    for (key, t) in tensors {
        let (name, field) = parse_key(&key)?;
        let at = match modules.iter().position(|m| m.name == name) {
            Some(at) => at,
            None => {
                modules.push(Module {
                    name: name.to_string(),
                    weight: None,
                    bias: None,
                });
                modules.len() - 1
            }
        };
        let m = &mut modules[at];
        let slot = match field {
            Field::Weight => &mut m.weight,
            Field::Bias => &mut m.bias,
        };
        if slot.is_some() {
            bail!("key `{key}` appears twice");
        }
        *slot = Some((key, t));
    }
    Ok(modules)
}

/// A module's weight and bias as a weight matrix (one row per neuron or output channel) and a
/// bias vector (zeros when absent), with the weight's key and stored shape.
struct Tensors {
    name: String,
    key: String,
    shape: Vec<usize>,
    weights: Array2<f64>,
    bias: Vec<f64>,
}

fn tensors_of(m: Module) -> Result<Tensors> {
    let name = m.name;
    let Some((key, w)) = m.weight else {
        bail!(
            "`{name}.bias` has no `{name}.weight`: every layer needs its weight ([outputs, inputs] or \
             [out, in, Kh, Kw]); save the whole module"
        );
    };
    match w.shape.len() {
        2 | 4 => {}
        1 => bail!(
            "`{key}` has shape {:?}: a Linear weight is 2-D [outputs, inputs] and a Conv2d weight 4-D \
             (a 1-D weight is a batch-norm or layer-norm scale, which LC-TTFS does not have)",
            w.shape
        ),
        3 => bail!(
            "`{key}` has shape {:?}: a 3-D weight is a Conv1d, which is not supported (use Conv2d with a 1xK kernel)",
            w.shape
        ),
        _ => bail!(
            "`{key}` has shape {:?}: expected a 2-D Linear [outputs, inputs] or 4-D Conv2d [out, in, Kh, Kw] weight",
            w.shape
        ),
    }
    let rows = w.shape[0];
    let cols: usize = w.shape[1..].iter().product();
    if rows == 0 || cols == 0 {
        bail!("`{key}` has shape {:?}: no weights", w.shape);
    }
    let weights = Array2::from_shape_vec((rows, cols), w.data)
        .map_err(|_| anyhow!("`{key}`: data length does not match shape {:?}", w.shape))?;
    let bias = match m.bias {
        None => vec![0.0; rows],
        Some((bkey, b)) => {
            if b.shape.len() != 1 || b.shape[0] != rows {
                bail!(
                    "`{bkey}` has shape {:?} but `{key}` has shape {:?}: the bias must be [{rows}]",
                    b.shape,
                    w.shape
                );
            }
            b.data
        }
    };
    Ok(Tensors {
        name,
        key,
        shape: w.shape,
        weights,
        bias,
    })
}

/// Checks every key of a state dict before any tensor is decoded (a refused key needs no
/// decoding), in sorted order so that the first refused key does not depend on the file's order.
pub(crate) fn check_keys(names: &[String]) -> Result<()> {
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort_unstable();
    for name in sorted {
        parse_key(name)?;
    }
    Ok(())
}

/// The network of a state dict whose tensors come in file order.
pub(crate) fn network(
    tensors: Vec<(String, Tensor)>,
    format: Format,
    shaping: &Shaping,
) -> Result<ImportedNetwork> {
    let modules: Vec<Tensors> = modules(tensors)?
        .into_iter()
        .map(tensors_of)
        .collect::<Result<_>>()?;
    match &shaping.arch {
        None => dense_only(modules, format, shaping.input_shape),
        Some(arch) => with_arch(modules, format, arch, shaping.input_shape),
    }
}

/// Without `--arch`: dense layers in file order; the chain of shapes is checked by
/// [`super::check`] with messages naming both layers.
fn dense_only(
    modules: Vec<Tensors>,
    format: Format,
    input_shape: Option<Shape>,
) -> Result<ImportedNetwork> {
    if let Some(m) = modules.iter().find(|m| m.shape.len() == 4) {
        bail!(
            "`{}` has shape {:?}, a Conv2d weight: a state dict holds no strides, padding, pooling or input shape, \
             so pass them: --arch (e.g. conv:8:5:pad=2,maxpool:2,dense:10) and --input-shape C,H,W (see docs/import.md)",
            m.key,
            m.shape
        );
    }
    if let (Some(shape), Some(first)) = (input_shape, modules.first()) {
        let n = golden::model::shape_len(shape).unwrap_or(0);
        if n != first.weights.ncols() {
            bail!(
                "--input-shape {}x{}x{} holds {n} features but `{}` has shape {:?}, so {} inputs",
                shape[0],
                shape[1],
                shape[2],
                first.key,
                first.shape,
                first.weights.ncols()
            );
        }
    }
    let layers = modules
        .into_iter()
        .map(|m| ImportedLayer {
            source: m.name,
            weight_key: m.key,
            kind: golden::model::LayerKind::Dense,
            weights: m.weights,
            bias: m.bias,
            note: None,
        })
        .collect();
    Ok(ImportedNetwork {
        format,
        input_shape: None,
        layers,
    })
}

/// With `--arch`: the modules are matched to its conv / dense items (by name, or in file
/// order), each weight checked against the shape its item reads, pools folded.
fn with_arch(
    modules: Vec<Tensors>,
    format: Format,
    named: &NamedArch,
    input_shape: Option<Shape>,
) -> Result<ImportedNetwork> {
    let arch = &named.arch;
    let input_shape = match (input_shape, arch.layers.first(), modules.first()) {
        (Some(s), ..) => s,
        (None, Some(ArchLayer::Dense { .. }), Some(m)) => [1, 1, m.weights.ncols()],
        (None, Some(first), _) => bail!(
            "--arch starts with `{first}`, which reads a feature map: pass --input-shape C,H,W (a state dict \
             does not record the input's shape)"
        ),
        (None, None, _) => bail!("--arch is empty"),
    };
    let placed = arch.place(input_shape).map_err(|e| anyhow!("{e}"))?;
    let weighted: Vec<usize> = (0..arch.layers.len())
        .filter(|&k| arch.layers[k].is_weighted())
        .collect();
    let list = |ms: &[Tensors]| {
        ms.iter()
            .map(|m| format!("`{}`", m.key))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if weighted.len() != modules.len() {
        bail!(
            "--arch {} has {} conv/dense layers but the file holds {} weights ({}): give one conv or dense item \
             per weight, in order",
            named,
            weighted.len(),
            modules.len(),
            list(&modules)
        );
    }
    // Module of each weighted item: by name when the items are named, else in file order.
    let mut modules: Vec<Option<Tensors>> = modules.into_iter().map(Some).collect();
    let mut matched: Vec<Tensors> = Vec::with_capacity(weighted.len());
    for (n, &k) in weighted.iter().enumerate() {
        let m = match &named.names[k] {
            None => modules[n].take(),
            Some(name) => {
                let at = modules
                    .iter()
                    .position(|m| m.as_ref().is_some_and(|m| &m.name == name));
                match at {
                    Some(at) => modules[at].take(),
                    None => {
                        let held: Vec<String> = modules
                            .iter()
                            .flatten()
                            .map(|m| format!("`{}`", m.name))
                            .chain(matched.iter().map(|m| format!("`{}`", m.name)))
                            .collect();
                        bail!(
                            "--arch item {k} names module `{name}`, but the file has no `{name}.weight` \
                             (its modules: {}); name the modules as the file does",
                            held.join(", ")
                        );
                    }
                }
            }
        };
        matched.push(m.ok_or_else(|| anyhow!("--arch item {k}: no module left to match"))?);
    }
    let mut stages = Vec::with_capacity(arch.layers.len());
    let mut matched = matched.into_iter();
    for (k, (&layer, p)) in arch.layers.iter().zip(&placed).enumerate() {
        let stage = match layer {
            ArchLayer::MaxPool { kernel, stride } => Stage::MaxPool {
                source: layer.to_string(),
                kernel,
                stride,
            },
            ArchLayer::LinearPool {
                kernel,
                stride,
                average,
            } => Stage::LinearPool {
                source: layer.to_string(),
                kernel,
                stride,
                average,
            },
            ArchLayer::Dense { outputs } => {
                let m = matched
                    .next()
                    .ok_or_else(|| anyhow!("--arch item {k}: no module"))?;
                let want = vec![outputs, p.inputs()];
                if m.shape != want {
                    bail!(
                        "`{}` has shape {:?} but --arch item {k} `{layer}` reads a {} map ({} features), so it needs \
                         {want:?}: fix --arch{} or the file",
                        m.key,
                        m.shape,
                        dims(p.in_shape),
                        p.inputs(),
                        if k == 0 { " / --input-shape" } else { "" }
                    );
                }
                Stage::Weighted {
                    source: m.name,
                    weight_key: m.key,
                    weight_shape: m.shape,
                    conv: None,
                    weights: m.weights,
                    bias: m.bias,
                }
            }
            ArchLayer::Conv {
                out_channels,
                kernel,
                stride,
                padding,
            } => {
                let m = matched
                    .next()
                    .ok_or_else(|| anyhow!("--arch item {k}: no module"))?;
                let want = vec![out_channels, p.in_shape[0], kernel[0], kernel[1]];
                if m.shape != want {
                    bail!(
                        "`{}` has shape {:?} but --arch item {k} `{layer}` reads a {} map, so it needs {want:?} \
                         ([out, in, Kh, Kw]): fix --arch{} or the file",
                        m.key,
                        m.shape,
                        dims(p.in_shape),
                        if k == 0 { " / --input-shape" } else { "" }
                    );
                }
                Stage::Weighted {
                    source: m.name,
                    weight_key: m.key,
                    weight_shape: m.shape,
                    conv: Some(ConvGeometry {
                        kernel,
                        stride,
                        padding,
                    }),
                    weights: m.weights,
                    bias: m.bias,
                }
            }
        };
        stages.push(stage);
    }
    let placed = stages::place(&stages, input_shape, &Naming::Arch)?;
    let layers = stages::assemble(stages, &placed)?;
    Ok(ImportedNetwork {
        format,
        input_shape: stages::model_input_shape(&layers, input_shape),
        layers,
    })
}

/// `CxHxW`, or `N` for a flat vector.
pub(crate) fn dims(s: Shape) -> String {
    if s[0] == 1 && s[1] == 1 {
        s[2].to_string()
    } else {
        format!("{}x{}x{}", s[0], s[1], s[2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_module_weight_or_bias_and_batch_norm_is_named() {
        assert_eq!(
            parse_key("layers.0.weight").unwrap(),
            ("layers.0", Field::Weight)
        );
        assert_eq!(parse_key("fc1.bias").unwrap(), ("fc1", Field::Bias));
        assert_eq!(
            parse_key("features.0.weight").unwrap(),
            ("features.0", Field::Weight)
        );
        for bad in ["weight", "layers.0.scale", ".weight", "a..weight", "fc1"] {
            let e = parse_key(bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains(&format!("unknown key `{bad}`")), "{bad}: {e}");
        }
        let e = parse_key("layers.1.running_var").err().unwrap().to_string();
        assert!(e.contains("batch norm"), "{e}");
    }

    #[test]
    fn names_sort_numeric_aware() {
        let mut v = vec![
            "fc10.weight",
            "fc2.weight",
            "fc1.bias",
            "fc1.weight",
            "layers.10.weight",
            "layers.9.weight",
        ];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            [
                "fc1.bias",
                "fc1.weight",
                "fc2.weight",
                "fc10.weight",
                "layers.9.weight",
                "layers.10.weight"
            ]
        );
    }

    #[test]
    fn arch_items_may_name_their_module() {
        let a: NamedArch = "features.0=conv:8:5:pad=2, maxpool:2, classifier.1 = dense:10"
            .parse()
            .unwrap();
        assert_eq!(
            a.names,
            vec![
                Some("features.0".to_string()),
                None,
                Some("classifier.1".to_string())
            ]
        );
        assert_eq!(
            a.to_string(),
            "features.0=conv:8:5:pad=2,maxpool:2,classifier.1=dense:10"
        );
        let plain: NamedArch = "conv:8:5:pad=2,dense:10".parse().unwrap();
        assert_eq!(plain.names, vec![None, None]);
        for (spec, needle) in [
            ("fc1=dense:4,dense:2", "name every one"),
            (
                "p=maxpool:2,c=conv:2:3",
                "only conv and dense items name a module",
            ),
            ("a=dense:4,a=dense:2", "twice"),
            ("=dense:4", "not a module name"),
            ("fc1=lstm:4", "unknown layer `lstm`"),
        ] {
            let e = spec.parse::<NamedArch>().unwrap_err().to_string();
            assert!(e.contains(needle), "{spec}: {e}");
        }
    }

    #[test]
    fn input_shapes_parse_or_are_refused() {
        assert_eq!(parse_input_shape("1,28,28").unwrap(), [1, 28, 28]);
        assert_eq!(parse_input_shape("3x8x8").unwrap(), [3, 8, 8]);
        assert_eq!(parse_input_shape("8,8").unwrap(), [1, 8, 8]);
        assert_eq!(parse_input_shape("784").unwrap(), [1, 1, 784]);
        for bad in ["", "1,0,3", "a", "1,2,3,4", "-1,2,2"] {
            assert!(parse_input_shape(bad).is_err(), "{bad}");
        }
    }
}
