//! `.npz` state dicts (`np.savez` / `np.savez_compressed` of a PyTorch `state_dict`).

use super::state_dict::{self, Shaping};
use super::{guarded, Format, ImportedNetwork, Tensor};
use anyhow::{anyhow, Result};
use ndarray::{ArrayD, OwnedRepr};
use ndarray_npy::{NpzReader, ReadNpzError};
use std::io::Cursor;

/// Reads a `.npz` of `<module>.weight` / `<module>.bias` float32 or float64 arrays, modules
/// in archive order (the `state_dict()` order when saved with `np.savez(**sd)`), shaped by
/// `--arch` / `--input-shape` when given.
///
/// `ndarray-npy` allocates an array from the shape in its `.npy` header before reading the
/// data; a crafted header claiming more than the machine's memory would abort the process
/// (an allocation failure is not a panic). Files written by numpy never do that, and a
/// corrupted shape is caught by the zip CRC only after the read, so this is the one input
/// the guard below cannot turn into an error.
pub fn read_npz(bytes: &[u8], origin: &str, shaping: &Shaping) -> Result<ImportedNetwork> {
    guarded(origin, "npz", || {
        let mut npz = NpzReader::new(Cursor::new(bytes)).map_err(|e| {
            anyhow!("{origin}: not a readable .npz (zip) file ({e}): truncated or corrupt?")
        })?;
        let names = npz
            .names()
            .map_err(|e| anyhow!("{origin}: cannot list the arrays of the .npz: {e}"))?;
        state_dict::check_keys(&names).map_err(|e| anyhow!("{origin}: {e}"))?;
        let mut tensors = Vec::with_capacity(names.len());
        for name in names {
            let t = read_float_array(&mut npz, &name)
                .map_err(|e| anyhow!("{origin}: array `{name}`: {e}"))?;
            tensors.push((name, t));
        }
        state_dict::network(tensors, Format::Npz, shaping).map_err(|e| anyhow!("{origin}: {e}"))
    })
}

/// One array as f64, whatever its float width; other dtypes are refused with numpy's name.
fn read_float_array(npz: &mut NpzReader<Cursor<&[u8]>>, name: &str) -> Result<Tensor> {
    let as_f32: Result<ArrayD<f32>, ReadNpzError> =
        npz.by_name::<OwnedRepr<f32>, ndarray::IxDyn>(name);
    let err32 = match as_f32 {
        Ok(a) => {
            return Ok(Tensor {
                shape: a.shape().to_vec(),
                data: a.iter().map(|&v| v as f64).collect(),
            })
        }
        Err(e) => e,
    };
    if !is_wrong_dtype(&err32) {
        return Err(anyhow!("{err32}"));
    }
    match npz.by_name::<OwnedRepr<f64>, ndarray::IxDyn>(name) {
        Ok(a) => Ok(Tensor {
            shape: a.shape().to_vec(),
            data: a.iter().copied().collect(),
        }),
        Err(e) if is_wrong_dtype(&e) => Err(anyhow!(
            "{e}: only float32 (<f4) and float64 (<f8) arrays are read; convert with .astype(np.float32)"
        )),
        Err(e) => Err(anyhow!("{e}")),
    }
}

/// True when the array is fine but of another element type (worth retrying as f64).
fn is_wrong_dtype(e: &ReadNpzError) -> bool {
    matches!(
        e,
        ReadNpzError::Npy(ndarray_npy::ReadNpyError::WrongDescriptor(_))
    )
}
