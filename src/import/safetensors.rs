//! `.safetensors` state dicts (`safetensors.torch.save_file(model.state_dict(), …)`).

use super::state_dict::{self, natural_cmp, Shaping};
use super::{guarded, Format, ImportedNetwork, Tensor};
use anyhow::{anyhow, bail, Result};
use safetensors::{Dtype, SafeTensors};

/// Reads a `.safetensors` file of `<module>.weight` / `<module>.bias` F32 or F64 tensors.
/// The header is a JSON map, which has no order: modules are taken in numeric-aware name
/// order (`fc2` before `fc10`), or in the order `--arch` names them.
/// The crate checks the header and every data offset against the buffer before handing out
/// a tensor, so nothing is allocated from a size the file merely claims.
pub fn read_safetensors(bytes: &[u8], origin: &str, shaping: &Shaping) -> Result<ImportedNetwork> {
    guarded(origin, "safetensors", || {
        let st = SafeTensors::deserialize(bytes).map_err(|e| {
            anyhow!("{origin}: not a readable .safetensors file ({e}): truncated or corrupt?")
        })?;
        let mut names: Vec<&str> = st.names().into_iter().collect();
        names.sort_by(|a, b| natural_cmp(a, b));
        let owned: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        state_dict::check_keys(&owned).map_err(|e| anyhow!("{origin}: {e}"))?;
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
        state_dict::network(tensors, Format::Safetensors, shaping)
            .map_err(|e| anyhow!("{origin}: {e}"))
    })
}
