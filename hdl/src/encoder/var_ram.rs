//! `VarRam`: the encoder's RAMs, whose depth is a run-time parameter.

use crate::prim::SyncRam;

/// Simple dual-port synchronous RAM of `depth` words of type `D` (depth fixed at construction,
/// not a const generic), addressed by `Bits<16>`: a [`SyncRam`] with 16 address bits, built
/// with [`SyncRam::with_depth`] or [`SyncRam::narrow`] (only the low `ceil(log2 depth)`
/// address bits are used, the others must be zero). Registered read (read-before-write), one
/// write port, no reset, no initial contents.
///
/// Ports: `clock`; `raddr` (in, `Bits<16>`), `rdata` (out, `D`); `we`, `waddr` (`Bits<16>`),
/// `wdata` (`D`). Cost: `2^ceil(log2 depth)` words of the stored bits.
pub type VarRam<D> = SyncRam<D, 16>;
