//! One import for every block: rust-hdl's prelude, this crate's primitives, and short names
//! for the words the datapath repeats.
//!
//! The width aliases follow rust-hdl's own spelling (`Bits4` in its `get_bits` docs); they are
//! plain type aliases, so the emitted Verilog is the same as with `Bits<N>` written out.

pub use crate::prim::{RDff, ZeroExtend};
pub use rust_hdl::prelude::*;

/// A block's input port.
pub type Input<T> = Signal<In, T>;
/// A block's output port.
pub type Output<T> = Signal<Out, T>;

/// A combinational signal inside a block, assigned in `update` (a Verilog `reg` driven from
/// `always @(*)`).
pub type Wire<T> = Signal<Local, T>;

/// A byte, a tick count (`m`, `T ≤ 256`) or a lane's column index.
pub type Bits8 = Bits<8>;
/// A neuron, row or list index, an event index or a class (DESIGN §4 `s_index`/`m_class`).
pub type Bits16 = Bits<16>;
/// A beat, word or frame counter.
pub type Bits24 = Bits<24>;
/// A wide intermediate (a 32-bit product or a flash command).
pub type Bits32 = Bits<32>;
