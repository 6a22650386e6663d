//! `.safetensors` state dicts (`safetensors.torch.save_file(model.state_dict(), …)`).

use super::{guarded, layers_from_state_dict, Format, ImportedNetwork, Tensor};
use anyhow::{anyhow, bail, Result};
use safetensors::{Dtype, SafeTensors};

/// Reads a `.safetensors` file of `layers.<i>.weight` / `layers.<i>.bias` F32 or F64 tensors.
/// The crate checks the header and every data offset against the buffer before handing out
/// a tensor, so nothing is allocated from a size the file merely claims.
pub fn read_safetensors(bytes: &[u8], origin: &str) -> Result<ImportedNetwork> {
    guarded(origin, "safetensors", || {
        let st = SafeTensors::deserialize(bytes).map_err(|e| {
            anyhow!("{origin}: not a readable .safetensors file ({e}): truncated or corrupt?")
        })?;
        let mut names: Vec<&str> = st.names().into_iter().collect();
        names.sort_unstable();
        for name in &names {
            super::parse_key(name).map_err(|e| anyhow!("{origin}: {e}"))?;
        }
        let mut tensors = Vec::with_capacity(names.len());
        for name in names {
            let view = st
                .tensor(name)
                .map_err(|e| anyhow!("{origin}: tensor `{name}`: {e}"))?;
            let data: Vec<f64> = match view.dtype() {
                Dtype::F32 => view
                    .data()
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                    .collect(),
                Dtype::F64 => view
                    .data()
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
                other => bail!(
                    "{origin}: tensor `{name}` has dtype {other:?}: only F32 and F64 are read; \
                     save the state dict as float32 (model.float())"
                ),
            };
            let shape = view.shape().to_vec();
            if shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) != Some(data.len()) {
                bail!("{origin}: tensor `{name}`: data length does not match shape {shape:?}");
            }
            tensors.push((name.to_string(), Tensor { shape, data }));
        }
        let layers = layers_from_state_dict(tensors).map_err(|e| anyhow!("{origin}: {e}"))?;
        Ok(ImportedNetwork {
            format: Format::Safetensors,
            layers,
        })
    })
}
