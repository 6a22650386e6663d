//! What the harness knows about the generated top (DESIGN §4 and the trace option).

use golden::model::{Model, Readout};
use serde::{Deserialize, Serialize};

use crate::CosimError;

/// Default module name of the generated top.
pub const DEFAULT_MODULE: &str = "ttfs_top";

/// One traced layer: ports `t{layer}_valid`, `t{layer}_eow`, `t{layer}_m[K-1:0]`,
/// `t{layer}_index[IW-1:0]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceLayer {
    /// Map number (0 = input encoder, `l ≥ 1` = `model.layers[l − 1]`'s output).
    pub layer: usize,
    /// Neurons of the layer (layer 0: the model's inputs).
    pub width: usize,
    /// The layer's stream can move two events per cycle: ports `t{layer}_valid2`,
    /// `t{layer}_m2`, `t{layer}_index2` carry the second (never an eow), after the first in
    /// stream order.
    #[serde(default)]
    pub pair: bool,
}

impl TraceLayer {
    /// `IW = max(1, ceil(log2(width)))`.
    pub fn index_width(&self) -> u32 {
        ceil_log2(self.width).max(1)
    }
}

/// Direction of a port of the top.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dir {
    In,
    Out,
}

/// One port of the top: name, direction, width in bits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    pub name: String,
    pub dir: Dir,
    pub width: u32,
}

/// The interface of one generated top.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopInfo {
    /// Verilog module name (`ttfs_top` unless the generator was told otherwise).
    pub module: String,
    /// Bits of one raw input value (`s_data` width).
    pub input_bits: u32,
    /// Features per sample (beats per correctly framed sample).
    pub inputs: usize,
    /// Classes (outputs of the last layer).
    pub classes: usize,
    /// `T`, ticks per layer window (a power of two).
    pub time_steps: u32,
    /// Traced maps in order: the input (0), then each stage's sent map (a conv stage sends
    /// its fused max-pool's); under potential readout the last stage is not traced. Empty
    /// when the top has no trace ports.
    pub trace: Vec<TraceLayer>,
    /// The top has the weight-load stream `w_valid`, `w_ready`, `w_data[15:0]`, `w_last`.
    #[serde(default)]
    pub load: bool,
    /// Features per input beat (DESIGN §4 revision 2): `s_data` is `input_lanes · input_bits`
    /// wide, feature `k` of a beat in bits `[k·input_bits, (k+1)·input_bits)`.
    #[serde(default = "one")]
    pub input_lanes: usize,
}

fn one() -> usize {
    1
}

/// `ceil(log2(n))` for `n ≥ 1` (0 for `n ≤ 1`).
pub fn ceil_log2(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

impl TopInfo {
    /// The top the generator emits for `model`, with trace ports when `trace`.
    /// Validates the model first (the error names layer, neuron and number).
    pub fn from_model(model: &Model, trace: bool) -> Result<TopInfo, CosimError> {
        model
            .validate()
            .map_err(|e| CosimError::Model(e.to_string()))?;
        let mut widths = vec![model.input_len()];
        widths.extend(model.layers.iter().map(|l| l.outputs));
        // The maps the hardware sends: the input's, then one per stage, a `maxpool2d` fused
        // into the conv stage before it (its map, not the conv's, is sent); under potential
        // readout the last stage sends nothing.
        let mut sent = vec![0];
        for (k, layer) in model.layers.iter().enumerate() {
            let pooled = model.layers.get(k + 1).is_some_and(|l| !l.is_weighted());
            if layer.is_weighted() {
                sent.push(if pooled { k + 2 } else { k + 1 });
            }
        }
        if model.readout == Readout::Potential {
            sent.pop();
        }
        let trace = if trace {
            sent.into_iter()
                .map(|layer| TraceLayer {
                    layer,
                    width: widths[layer],
                    pair: false,
                })
                .collect()
        } else {
            Vec::new()
        };
        let info = TopInfo {
            module: DEFAULT_MODULE.to_string(),
            input_bits: model.input_bits,
            inputs: model.input_len(),
            classes: model.classes(),
            time_steps: model.time_steps,
            trace,
            load: false,
            input_lanes: 1,
        };
        info.check()?;
        Ok(info)
    }

    /// Same top with (or without) the weight-load stream.
    pub fn with_load(mut self, load: bool) -> TopInfo {
        self.load = load;
        self
    }

    /// Same top with `k` features per input beat.
    pub fn with_input_lanes(mut self, k: usize) -> TopInfo {
        self.input_lanes = k;
        self
    }

    /// Same top with the traced layers whose second-event ports (`t{l}_valid2`) the Verilog
    /// `sources` declare marked as pairs (the generator adds them where two event streams
    /// enter a stage, `--encoder-streams 2`). Unreadable files are left to the simulator.
    pub fn with_pairs_from(mut self, sources: &[std::path::PathBuf]) -> TopInfo {
        let texts: Vec<String> = sources
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect();
        for t in &mut self.trace {
            let port = format!("output wire t{}_valid2", t.layer);
            t.pair = texts.iter().any(|text| text.contains(&port));
        }
        self
    }

    /// Beats of a correctly framed sample: `ceil(inputs / input_lanes)`.
    pub fn beats_per_sample(&self) -> usize {
        self.inputs.div_ceil(self.input_lanes.max(1))
    }

    /// Same top under another module name.
    pub fn with_module(mut self, module: &str) -> TopInfo {
        self.module = module.to_string();
        self
    }

    /// Checks what the harness supports (every port ≤ 64 bits, a valid module name).
    pub fn check(&self) -> Result<(), CosimError> {
        let ident = !self.module.is_empty()
            && self
                .module
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !self.module.starts_with(|c: char| c.is_ascii_digit());
        if !ident {
            return Err(CosimError::Model(format!(
                "module name {:?} is not a plain Verilog identifier",
                self.module
            )));
        }
        if !self.time_steps.is_power_of_two() || self.time_steps < 2 {
            return Err(CosimError::Model(format!(
                "time_steps = {} is not a power of two ≥ 2",
                self.time_steps
            )));
        }
        if self.input_lanes == 0 || self.input_lanes > self.inputs {
            return Err(CosimError::Model(format!(
                "input_lanes = {} is outside 1..=inputs ({})",
                self.input_lanes, self.inputs
            )));
        }
        if self.inputs == 0 || self.classes == 0 {
            return Err(CosimError::Model(format!(
                "inputs = {}, classes = {}: both must be ≥ 1",
                self.inputs, self.classes
            )));
        }
        for p in self.ports() {
            if p.width == 0 || p.width > 64 {
                return Err(CosimError::Model(format!(
                    "port {} would be {} bits wide: the harness drives ports of 1..=64 bits",
                    p.name, p.width
                )));
            }
        }
        Ok(())
    }

    /// `CW = max(1, ceil(log2(classes)))`, the width of `m_class`.
    pub fn class_width(&self) -> u32 {
        ceil_log2(self.classes).max(1)
    }

    /// `K = log2(T)`, the width of `t{l}_m`.
    pub fn tick_width(&self) -> u32 {
        self.time_steps.trailing_zeros()
    }

    /// Every port the harness expects, in DESIGN §4 order, trace ports last.
    pub fn ports(&self) -> Vec<Port> {
        let p = |name: &str, dir, width| Port {
            name: name.to_string(),
            dir,
            width,
        };
        let mut ports = vec![
            p("clk", Dir::In, 1),
            p("rst", Dir::In, 1),
            p("s_valid", Dir::In, 1),
            p("s_ready", Dir::Out, 1),
            p("s_data", Dir::In, self.input_bits * self.input_lanes as u32),
            p("s_last", Dir::In, 1),
            p("m_valid", Dir::Out, 1),
            p("m_ready", Dir::In, 1),
            p("m_class", Dir::Out, self.class_width()),
            p("m_error", Dir::Out, 1),
        ];
        if self.load {
            ports.push(p("w_valid", Dir::In, 1));
            ports.push(p("w_ready", Dir::Out, 1));
            ports.push(p("w_data", Dir::In, 16));
            ports.push(p("w_last", Dir::In, 1));
        }
        for t in &self.trace {
            let l = t.layer;
            ports.push(p(&format!("t{l}_valid"), Dir::Out, 1));
            ports.push(p(&format!("t{l}_eow"), Dir::Out, 1));
            ports.push(p(&format!("t{l}_m"), Dir::Out, self.tick_width()));
            ports.push(p(&format!("t{l}_index"), Dir::Out, t.index_width()));
            if t.pair {
                ports.push(p(&format!("t{l}_valid2"), Dir::Out, 1));
                ports.push(p(&format!("t{l}_m2"), Dir::Out, self.tick_width()));
                ports.push(p(&format!("t{l}_index2"), Dir::Out, t.index_width()));
            }
        }
        ports
    }
}

#[cfg(test)]
mod tests {
    use super::ceil_log2;

    #[test]
    fn ceil_log2_matches_definition() {
        let cases = [
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (10, 4),
            (128, 7),
            (784, 10),
        ];
        for (n, k) in cases {
            assert_eq!(ceil_log2(n), k, "n = {n}");
        }
    }
}
