//! The built-in models: named `lcttfs-model` files compiled into every binary, so `--model NAME`
//! works on a fresh checkout. Each has its quantized model (what the hardware is generated
//! from) and the float model it was quantized from.
//!
//! - `mnist-mlp` (the default when no `--model` is given): [`crate::default_model`], 784-128-10,
//!   `T = 16`, 8-bit weights trained in float.
//! - `mnist-mlp-w4`: the same shape with 4-bit weights, trained quantization-aware. Regenerate
//!   (deterministic):
//!   `ttfs train --dataset mnist --hidden 128 --weight-bits 4 --out golden/models/mnist-mlp-w4-float.json`
//!   then
//!   `ttfs quantize --model golden/models/mnist-mlp-w4-float.json --weight-bits 4 --out golden/models/mnist-mlp-w4.json`.
//! - `mnist-cnn`: `conv:8:5:stride=2:pad=2,conv:16:5:stride=2:pad=2,dense:10` on MNIST,
//!   `T = 16`, 8-bit weights trained quantization-aware from epoch 21 of 30 (version-2 file),
//!   99.06 %. 11 274 weights and biases (90 kbit at 8 bits, the UP5K's EBR is 120 kbit); strided
//!   convs instead of max-pools keep the maps small (8·14·14 and 16·7·7 potentials) and let
//!   the kernel walk visit only the aligned 4 to 9 of its 25 positions (see README, "Conv
//!   stages"). Regenerate (deterministic, ~2.5 min on one core):
//!   `ttfs train --dataset mnist --arch conv:8:5:stride=2:pad=2,conv:16:5:stride=2:pad=2,dense:10 --epochs 30 --weight-bits 8 --qat-start-epoch 21 --out golden/models/mnist-cnn-float.json --out-quantized golden/models/mnist-cnn.json`.
//! - `fashion-cnn`: `conv:8:5:pad=2,maxpool:2,conv:16:5:pad=2,maxpool:2,dense:10` on Fashion-MNIST (data: `scripts/fetch-mnist.sh --fashion
//!   --no-mnist`, or Debian's `dataset-fashion-mnist`) at `T = 32`, trained without shifts, with
//!   a sharper softmax and less weight decay, 20 epochs: 90.01 % (mnist-cnn's settings gave
//!   89.06 %; T = 16 with these settings and 30 epochs 89.95 %; T = 32 with mnist-cnn's
//!   settings and no shifts 89.73 %). Regenerate
//!   (deterministic, ~15 min on one core):
//!   `ttfs train --dataset fashion-mnist --arch conv:8:5:pad=2,maxpool:2,conv:16:5:pad=2,maxpool:2,dense:10 --time-steps 32 --max-shift 0 --logit-scale 8 --weight-decay 0.02 --epochs 20 --weight-bits 8 --qat-start-epoch 14 --out golden/models/fashion-cnn-float.json --out-quantized golden/models/fashion-cnn.json`.

use crate::model::{AnyModel, FloatModel, Model};

/// One built-in model.
#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    /// What `--model` takes.
    pub name: &'static str,
    /// One line for listings and reports.
    pub description: &'static str,
    /// Weight bits of the quantized model (and of quantizing the float one).
    pub weight_bits: u32,
    /// The source files, for messages.
    pub quantized_path: &'static str,
    pub float_path: &'static str,
    quantized_json: &'static str,
    float_json: &'static str,
}

/// The name used when no `--model` is given.
pub const DEFAULT: &str = "mnist-mlp";

/// Every built-in model, the default first.
pub const BUILTINS: [Builtin; 4] = [
    Builtin {
        name: DEFAULT,
        description: "784-128-10 MNIST MLP, T=16, 8-bit weights (the default)",
        weight_bits: 8,
        quantized_path: "golden/models/default.json",
        float_path: "golden/models/default-float.json",
        quantized_json: crate::default_model::QUANTIZED,
        float_json: crate::default_model::FLOAT,
    },
    Builtin {
        name: "mnist-mlp-w4",
        description: "784-128-10 MNIST MLP, T=16, 4-bit weights (quantization-aware training)",
        weight_bits: 4,
        quantized_path: "golden/models/mnist-mlp-w4.json",
        float_path: "golden/models/mnist-mlp-w4-float.json",
        quantized_json: include_str!("../models/mnist-mlp-w4.json"),
        float_json: include_str!("../models/mnist-mlp-w4-float.json"),
    },
    Builtin {
        name: "mnist-cnn",
        description: "MNIST CNN conv8(5x5, stride 2)-conv16(5x5, stride 2)-dense10, T=16, 8-bit QAT weights",
        weight_bits: 8,
        quantized_path: "golden/models/mnist-cnn.json",
        float_path: "golden/models/mnist-cnn-float.json",
        quantized_json: include_str!("../models/mnist-cnn.json"),
        float_json: include_str!("../models/mnist-cnn-float.json"),
    },
    Builtin {
        name: "fashion-cnn",
        description: "Fashion-MNIST CNN conv8(5x5)-maxpool2-conv16(5x5)-maxpool2-dense10, T=32, 8-bit QAT weights",
        weight_bits: 8,
        quantized_path: "golden/models/fashion-cnn.json",
        float_path: "golden/models/fashion-cnn-float.json",
        quantized_json: include_str!("../models/fashion-cnn.json"),
        float_json: include_str!("../models/fashion-cnn-float.json"),
    },
];

/// Why a built-in name was refused.
#[derive(Debug, thiserror::Error)]
#[error("unknown built-in model {name:?}: the built-in models are {}", names().join(", "))]
pub struct UnknownBuiltin {
    pub name: String,
}

/// The names of every built-in model, the default first.
pub fn names() -> Vec<&'static str> {
    BUILTINS.iter().map(|b| b.name).collect()
}

/// The built-in model called `name`.
pub fn find(name: &str) -> Result<&'static Builtin, UnknownBuiltin> {
    BUILTINS
        .iter()
        .find(|b| b.name == name)
        .ok_or_else(|| UnknownBuiltin {
            name: name.to_string(),
        })
}

/// The default built-in model (`mnist-mlp`).
pub fn default() -> &'static Builtin {
    &BUILTINS[0]
}

impl Builtin {
    /// Path-like origin shown in messages.
    pub fn origin(&self) -> String {
        format!("(built-in model {} = {})", self.name, self.quantized_path)
    }

    /// The quantized model (what the hardware is generated from).
    pub fn quantized(&self) -> Model {
        Model::from_json_str(self.quantized_json, &self.origin()).unwrap_or_else(|e| {
            panic!(
                "built-in model {} is valid (checked by a test): {e}",
                self.name
            )
        })
    }

    /// The float model the quantized one was made from.
    pub fn float(&self) -> FloatModel {
        let origin = format!("(built-in model {} = {})", self.name, self.float_path);
        match AnyModel::from_json_str(self.float_json, &origin) {
            Ok(AnyModel::Float(m)) => m,
            other => panic!(
                "built-in float model {} is a valid float model (checked by a test): {other:?}",
                self.name
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantize::{quantize, QuantizeOptions};

    #[test]
    fn every_builtin_loads_and_quantizing_its_float_model_gives_its_quantized_model() {
        for b in &BUILTINS {
            let q = b.quantized();
            let widths: Vec<usize> = q.layers.iter().map(|l| l.outputs).collect();
            if b.name.starts_with("mnist-mlp") {
                assert_eq!((q.input_len(), widths), (784, vec![128, 10]), "{}", b.name);
            } else {
                // The CNNs: 28x28 images in, 10 classes out; fashion-cnn pools, mnist-cnn
                // strides instead (conv 28 → 14 → 7, then dense).
                assert_eq!(q.input_shape, Some([1, 28, 28]), "{}", b.name);
                assert_eq!(q.classes(), 10, "{}", b.name);
                let layers = if b.name == "mnist-cnn" { 3 } else { 5 };
                assert_eq!(q.layers.len(), layers, "{}", b.name);
            }
            // Fashion-MNIST's textures gain from finer activations (T = 32).
            let t = if b.name == "fashion-cnn" { 32 } else { 16 };
            assert_eq!(q.time_steps, t, "{}", b.name);
            assert!(
                q.layers
                    .iter()
                    .filter(|l| l.is_weighted())
                    .all(|l| l.weight_bits == b.weight_bits),
                "{}",
                b.name
            );
            let (again, _) =
                quantize(&b.float(), &QuantizeOptions::new(b.weight_bits).unwrap()).unwrap();
            assert_eq!(again, q, "{}", b.name);
        }
    }

    #[test]
    fn the_default_builtin_is_the_embedded_default_model() {
        assert_eq!(default().name, "mnist-mlp");
        assert_eq!(default().quantized(), crate::default_model::quantized());
        assert_eq!(default().float(), crate::default_model::float());
    }

    #[test]
    fn builtin_names_are_unique() {
        let mut n = names();
        n.sort_unstable();
        n.dedup();
        assert_eq!(n.len(), BUILTINS.len());
    }

    #[test]
    fn an_unknown_name_is_refused_in_one_line_listing_the_builtin_names() {
        let err = find("cifar-cnn").unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown built-in model \"cifar-cnn\": the built-in models are mnist-mlp, mnist-mlp-w4, mnist-cnn, fashion-cnn"
        );
        assert_eq!(err.lines().count(), 1);
        assert_eq!(find("mnist-mlp-w4").unwrap().weight_bits, 4);
        assert_eq!(
            find("fashion-cnn").unwrap().quantized().dataset,
            Some(crate::data::DatasetKind::FashionMnist)
        );
    }
}
