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
//! - [`layer`]: window counter, activation (clamp/shift), fire unit.
//! - [`readout`]: streaming argmax.
//! - [`prim`]: resettable register, block RAM with `$readmemh`, iCE40 SPRAM wrapper,
//!   width-clean sign/zero extension.
//! - [`verilog`]: checked generation under a module name, port list, ANSI wrapper.
//! - [`harness`]: fast single-threaded cycle stepping for long simulations.

pub mod board;
pub mod encoder;
pub mod generate;
pub mod harness;
pub mod layer;
pub mod plan;
pub mod prim;
pub mod readout;
pub mod top;
pub mod verilog;
