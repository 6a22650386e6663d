//! rust-hdl blocks of the LC-TTFS accelerator.
//!
//! Every block is a `#[derive(LogicBlock)]` struct whose `update` is written once with
//! `#[hdl_gen]`: the same code runs in rust-hdl's simulator and is translated to Verilog.
//! Every state register is a [`prim::RDff`] (explicit synchronous active-high reset, no
//! `initial` block), so the emitted Verilog never depends on power-up values.
//!
//! Widths are const generics (`Bits<N>`, `Signed<N>`). Stable Rust cannot compute one const
//! generic from another (`K + 1`), so derived widths are separate parameters whose relations
//! are asserted in each block's constructor.

pub mod harness;
pub mod layer;
pub mod prim;
pub mod readout;
pub mod verilog;
