//! The embedded default model: 784-128-10 on MNIST, `T = 16`, 8-bit weights (README explains
//! the shape). Both the trained float model and its quantization are source files compiled into
//! every binary, so each command works with no arguments on a fresh checkout.
//!
//! Regenerate (deterministic, seed 1):
//! `ttfs train --dataset mnist --out golden/models/default-float.json` then
//! `ttfs quantize --model golden/models/default-float.json --weight-bits 8 --out golden/models/default.json`.

use crate::model::{AnyModel, FloatModel, Model};

/// Path shown in messages for the embedded model.
pub const NAME: &str = "(embedded default model golden/models/default.json)";
pub(crate) const QUANTIZED: &str = include_str!("../models/default.json");
pub(crate) const FLOAT: &str = include_str!("../models/default-float.json");

/// The quantized default model (what the hardware is generated from).
pub fn quantized() -> Model {
    Model::from_json_str(QUANTIZED, NAME)
        .expect("the embedded default model is valid (checked by a test)")
}

/// The float model the default was quantized from.
pub fn float() -> FloatModel {
    match AnyModel::from_json_str(FLOAT, "(embedded golden/models/default-float.json)") {
        Ok(AnyModel::Float(m)) => m,
        other => {
            panic!("the embedded float model is a valid float model (checked by a test): {other:?}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantize::{quantize, QuantizeOptions};

    #[test]
    fn embedded_models_are_valid_and_784_128_10() {
        let q = quantized();
        let widths: Vec<usize> = q.layers.iter().map(|l| l.outputs).collect();
        assert_eq!((q.input_len(), widths), (784, vec![128, 10]));
        assert_eq!((q.time_steps, q.layers[0].weight_bits), (16, 8));
        assert_eq!(float().layers.len(), 2);
    }

    #[test]
    fn quantizing_the_embedded_float_model_reproduces_the_embedded_default() {
        let (q, _) = quantize(&float(), &QuantizeOptions::new(8).unwrap()).unwrap();
        assert_eq!(q, quantized());
    }
}
