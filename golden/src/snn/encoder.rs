//! Twin of the input encoder (layer 0, DESIGN §5): raw `x` → `q0` → spike events in tick order.

use super::Event;
use crate::forward::encode_value;

/// Sentinel of an empty bucket list.
const NIL: u32 = u32::MAX;

/// The layer-0 encoder. Each raw input `x_j` becomes `q0_j = (x·T + 2^(b−1)) >> b` (DESIGN §2)
/// and a spike at tick `m_j = T − q0_j` of window 0; the encoder bucket-sorts feature indices
/// by `m` with `head[m]` / `next[j]` lists (the block-RAM lists of the hardware: O(1) per input,
/// O(events) to emit) and emits `(m, j)` in increasing `m`, increasing `j` within a tick.
/// Inputs with `q0 = 0` are silent and send nothing; the always-on (bias) input of layer 1 is
/// the event `(0, n)` after the features of tick 0.
#[derive(Clone, Debug)]
pub struct Encoder {
    inputs: usize,
    input_bits: u32,
    time_steps: u32,
    head: Vec<u32>,
    next: Vec<u32>,
    q0: Vec<u32>,
}

impl Encoder {
    /// An encoder for `inputs` features of `input_bits` bits and windows of `time_steps` ticks.
    pub fn new(inputs: usize, input_bits: u32, time_steps: u32) -> Self {
        Encoder {
            inputs,
            input_bits,
            time_steps,
            head: vec![NIL; time_steps as usize],
            next: vec![NIL; inputs],
            q0: vec![0; inputs],
        }
    }

    /// Number of features.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// `q0` of the last encoded sample.
    pub fn q0(&self) -> &[u32] {
        &self.q0
    }

    /// Encodes one raw sample (`x.len() == inputs`, values already checked against
    /// `input_bits`) and writes its event stream to `out` (cleared first).
    pub fn encode(&mut self, x: &[u32], out: &mut Vec<Event>) {
        assert_eq!(x.len(), self.inputs, "sample length != model inputs");
        let (t, b) = (self.time_steps, self.input_bits);
        // x < 2^16 and T ≤ 256: x·T + 2^(b−1) < 2^25 fits 32 bits.
        let half = 1u32 << (b - 1);
        self.head.fill(NIL);
        // One pass: q0 = (x·T + 2^(b−1)) >> b, and bucket insertion by m = T − q0 (at the list
        // heads in decreasing j, so that each list reads back in increasing j).
        for j in (0..self.inputs).rev() {
            let q = (x[j] * t + half) >> b;
            debug_assert_eq!(q, encode_value(x[j], b, t));
            self.q0[j] = q;
            self.insert(j, q);
        }
        self.emit(out);
    }

    /// Emits the events of already encoded activations `q0` (each in `0..=T`).
    pub fn encode_q0(&mut self, q0: &[u32], out: &mut Vec<Event>) {
        assert_eq!(q0.len(), self.inputs, "q0 length != model inputs");
        self.q0.copy_from_slice(q0);
        self.head.fill(NIL);
        for j in (0..self.inputs).rev() {
            assert!(q0[j] <= self.time_steps, "q0[{j}] = {} > T", q0[j]);
            self.insert(j, q0[j]);
        }
        self.emit(out);
    }

    #[inline]
    fn insert(&mut self, j: usize, q: u32) {
        if q == 0 {
            return; // silent: would fire at m = T, sends nothing
        }
        let m = (self.time_steps - q) as usize;
        self.next[j] = self.head[m];
        self.head[m] = j as u32;
    }

    /// Walks the lists in tick order; the always-on event closes tick 0.
    fn emit(&self, out: &mut Vec<Event>) {
        out.clear();
        for m in 0..self.time_steps as usize {
            let mut j = self.head[m];
            while j != NIL {
                out.push(Event {
                    m: m as u32,
                    index: j,
                });
                j = self.next[j as usize];
            }
            if m == 0 {
                out.push(Event::always_on(self.inputs));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_emits_tick_order_then_index_with_always_on_last_at_tick_zero() {
        // T = 4, b = 2: q0 = (x·4 + 2) >> 2 = x (x < 4 here), so x = [0,3,1,3,2]
        // spikes at m = T − q0 = [silent, 1, 3, 1, 2].
        let mut enc = Encoder::new(5, 2, 4);
        let mut out = Vec::new();
        enc.encode(&[0, 3, 1, 3, 2], &mut out);
        assert_eq!(enc.q0(), &[0, 3, 1, 3, 2]);
        let pairs: Vec<(u32, u32)> = out.iter().map(|e| (e.m, e.index)).collect();
        assert_eq!(pairs, vec![(0, 5), (1, 1), (1, 3), (2, 4), (3, 2)]);
    }

    #[test]
    fn encoder_saturated_input_fires_at_tick_zero_before_always_on() {
        // q0 = T = 2 ⇒ m = 0; the always-on event (index 2) follows it in tick 0.
        let mut enc = Encoder::new(2, 8, 2);
        let mut out = Vec::new();
        enc.encode_q0(&[2, 0], &mut out);
        assert_eq!(out, vec![Event { m: 0, index: 0 }, Event::always_on(2)]);
    }
}
