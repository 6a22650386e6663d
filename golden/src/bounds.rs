//! Accumulator bounds (DESIGN §2): every hardware width is computed from these, never guessed.

use crate::model::{Layer, Model};

/// `|z| ≤ (fan_in + 1) · 2^(weight_bits−1) · T` (the +1 is the bias input, `q ≤ T`); the
/// fan-in of a `conv2d` is `C·Kh·Kw` (DESIGN §2.1). A pool has no `z`: 0.
pub fn z_bound(layer: &Layer, time_steps: u32) -> i64 {
    if !layer.is_weighted() {
        return 0;
    }
    (layer.fan_in() as i64 + 1) * (1i64 << (layer.weight_bits.max(1) - 1)) * time_steps as i64
}

/// A tighter bound from the actual weights: `max_i max(Σ w⁺, Σ |w⁻|) · T`.
pub fn z_bound_exact(layer: &Layer, time_steps: u32) -> i64 {
    let mut worst = 0i64;
    for i in 0..layer.rows() {
        let (mut pos, mut neg) = (0i64, 0i64);
        for &w in layer
            .weights
            .row(i)
            .iter()
            .chain(std::iter::once(&layer.bias[i]))
        {
            if w > 0 {
                pos += w as i64;
            } else {
                neg -= w as i64;
            }
        }
        worst = worst.max(pos).max(neg);
    }
    worst * time_steps as i64
}

/// Bits of a two's-complement signed integer that holds every value in `-bound..=bound`.
pub fn signed_bits(bound: i64) -> u32 {
    let mut bits = 1;
    while (1i128 << (bits - 1)) <= bound as i128 {
        bits += 1;
    }
    bits
}

/// Bits of an unsigned integer that holds `0..=max`.
pub fn unsigned_bits(max: u64) -> u32 {
    (64 - max.leading_zeros()).max(1)
}

/// Signed width of layer `index`'s potential accumulator from the DESIGN §2 bound.
pub fn z_bits(model: &Model, index: usize) -> u32 {
    signed_bits(z_bound(&model.layers[index], model.time_steps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_bits_hold_the_bound_exactly() {
        // 127 needs 8 signed bits (range -128..=127); 128 needs 9.
        assert_eq!(signed_bits(127), 8);
        assert_eq!(signed_bits(128), 9);
        assert_eq!(signed_bits(0), 1);
        assert_eq!(unsigned_bits(16), 5);
        assert_eq!(unsigned_bits(15), 4);
        assert_eq!(unsigned_bits(0), 1);
    }
}
