//! Twin of a max-pooling stage (DESIGN §2.1, §5): no weights, no window of its own.
//!
//! A pooled neuron fires with the earliest spike of its window, in the same window: the first
//! event `(m, j)` of any input `j` it covers is passed on as `(m, p)`. Silent inputs send
//! nothing, so a window of silent inputs stays silent (`q = 0`). The always-on event of the
//! stream is passed on as the always-on event of the pooled map. (In the reference hardware
//! the pool is fused into the conv stage's fire conversion; per sample the events are the
//! same.)

use super::Event;
use crate::model::LayerKind;

/// The max-pool unit of one `maxpool2d` layer.
#[derive(Clone, Debug)]
pub struct PoolUnit {
    kernel: [usize; 2],
    stride: [usize; 2],
    in_shape: [usize; 3],
    out_shape: [usize; 3],
    fired: Vec<bool>,
}

impl PoolUnit {
    /// The unit of a `maxpool2d` kind; `None` for any other kind.
    pub fn new(kind: &LayerKind) -> Option<Self> {
        match *kind {
            LayerKind::MaxPool2d {
                kernel,
                stride,
                in_shape,
                out_shape,
            } => Some(PoolUnit {
                kernel,
                stride,
                in_shape,
                out_shape,
                fired: vec![false; out_shape.iter().product()],
            }),
            _ => None,
        }
    }

    /// Pooled neurons.
    pub fn outputs(&self) -> usize {
        self.fired.len()
    }

    /// Pools one window's stream (sorted by `(m, index)`) into `out` (cleared first), sorted the
    /// same way.
    pub fn pool(&mut self, input: &[Event], out: &mut Vec<Event>) {
        let [kh, kw] = self.kernel;
        let [sh, sw] = self.stride;
        let [_, h, w] = self.in_shape;
        let [_, ho, wo] = self.out_shape;
        let width = self.in_shape.iter().product::<usize>();
        self.fired.fill(false);
        out.clear();
        for e in input {
            let j = e.index as usize;
            if j >= width {
                out.push(Event::always_on(self.outputs()));
                continue;
            }
            let (c, yy, xx) = (j / (h * w), (j / w) % h, j % w);
            // Pooled row y covers input rows y·Sh .. y·Sh + Kh.
            for y in (yy + 1).saturating_sub(kh).div_ceil(sh)..=(yy / sh).min(ho - 1) {
                for x in (xx + 1).saturating_sub(kw).div_ceil(sw)..=(xx / sw).min(wo - 1) {
                    let p = (c * ho + y) * wo + x;
                    if !self.fired[p] {
                        self.fired[p] = true;
                        out.push(Event {
                            m: e.m,
                            index: p as u32,
                        });
                    }
                }
            }
        }
        // Inside one tick the pooled indices come in input order: restore `(m, index)` order.
        out.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_neuron_fires_with_the_earliest_input_of_its_window() {
        // [1, 2, 4] map, pool 2×2 stride 2 → [1, 1, 2]. Input events (tick, index):
        // (0, 5) → pooled 0 (column 1), (1, 2) → pooled 1 (column 2), (3, 0) → pooled 0 again
        // (already fired: dropped), then the always-on (0, 8) … given in stream order.
        let kind = LayerKind::maxpool2d([1, 2, 4], [2, 2], [2, 2]).unwrap();
        let mut unit = PoolUnit::new(&kind).unwrap();
        let input = [
            Event { m: 0, index: 5 },
            Event::always_on(8),
            Event { m: 1, index: 2 },
            Event { m: 3, index: 0 },
        ];
        let mut out = Vec::new();
        unit.pool(&input, &mut out);
        assert_eq!(
            out,
            vec![
                Event { m: 0, index: 0 },
                Event::always_on(2),
                Event { m: 1, index: 1 }
            ]
        );
    }
}
