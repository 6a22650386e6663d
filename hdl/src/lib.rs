//! rust-hdl blocks of the LC-TTFS accelerator.
//!
//! Every block is a `#[derive(LogicBlock)]` struct whose `update` is written once with
//! `#[hdl_gen]`: the same code runs in rust-hdl's simulator and is translated to Verilog.
//! Every state register is a [`prim::RDff`] (explicit synchronous active-high reset, no
//! `initial` block), so the emitted Verilog never depends on power-up values; only memory
//! images ([`prim::SyncRam`]) use `initial $readmemh`.
//!
//! Widths are const generics (`Bits<N>`, `Signed<N>`). Stable Rust cannot compute one const
//! generic from another (`K + 1`), so derived widths are separate parameters whose relations
//! are asserted in each block's constructor; everything that is not a port width (`T`, `F`,
//! depths, lane counts) is a run-time constructor argument.
//!
//! - [`layer`]: the layer stage and its blocks (weights, integrate, activation, fire).
//! - [`readout`]: streaming argmax.
//! - [`prelude`]: one import for every block (rust-hdl's prelude, `RDff`, `ZeroExtend`) and the
//!   port, wire and width aliases (`Input<T>`, `Output<T>`, `Wire<T>`, `Bits16`, …).
//! - [`prim`]: resettable register, block RAM with `$readmemh`, FIFO, iCE40 SPRAM wrapper (the
//!   only vendor primitive), width-clean zero extension.
//! - [`verilog`]: checked generation under a module name, port list, the ANSI wrapper generator.
//! - [`harness`]: fast single-threaded cycle stepping for long simulations.
//! - [`target`]: the devices (family, capacities, part, block RAM geometry, resource names,
//!   default clock): the one place that spells out a device.

pub mod board;
pub mod encoder;
pub mod generate;
pub mod harness;
pub mod layer;
pub mod plan;
pub mod prelude;
pub mod prim;
pub mod readout;
pub mod stream;
pub mod target;
pub mod top;
pub mod verilog;
