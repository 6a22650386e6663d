//! Bit-exact golden model of LC-TTFS networks (DESIGN §1–§3).
//!
//! - [`arch`]: the `--arch` layer-spec syntax, its shapes, folding of linear pools.
//! - [`model`]: the `lcttfs-model` file, validation.
//! - [`forward`]: the integer ANN (the contract) and the float ReLU1 ANN.
//! - [`bounds`]: accumulator bounds that size the hardware.
//! - [`quantize`]: float → integer with exact row sums.
//! - [`snn`]: tick-level and event-driven spiking simulators, mirroring the hardware blocks.
//! - [`data`]: MNIST idx readers. [`train`]: the LC-TTFS trainer (dense);
//!   [`train_arch`]: the trainer of `--arch` networks (conv, pools, dense). [`default_model`]: the
//!   embedded default MNIST model; [`builtin`]: every built-in model by name.
//!   [`testkit`]: seeded random models for every test suite.

pub mod arch;
pub mod bounds;
pub mod builtin;
pub mod data;
pub mod default_model;
pub mod forward;
pub mod model;
pub mod quantize;
pub mod snn;
pub mod testkit;
pub mod train;
pub mod train_arch;

pub mod prelude {
    pub use crate::forward::{classify, forward, AnnTrace};
    pub use crate::model::{AnyModel, FloatModel, Layer, Model, ModelError, Readout};
}
