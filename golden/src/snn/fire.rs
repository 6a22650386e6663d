//! Twin of a layer stage's *fire* phase (DESIGN §2 notes, §5): latched `z` against the window
//! counter, with the saturating clamp at both ends.

use super::{Event, WindowCounter};

/// Sentinel of an empty bucket list.
const NIL: u32 = u32::MAX;

/// The fire unit of one layer. At the window start it latches `z` (the integrated potential);
/// neuron `i` then fires at the first window tick `m` with `z_i + m·2^F ≥ T·2^F` — the potential
/// keeps rising by exactly `2^F` per tick inside the window because every input (silent ones at
/// the window end, the bias at the previous window's start) has fired by then and the weights
/// sum to `2^F`. Saturating clamp: `z ≥ T·2^F` fires at `m = 0`; `z < 2^F` never fires before the
/// window end (`q = 0`, silent: no event).
#[derive(Clone, Debug)]
pub struct FireUnit {
    time_steps: u32,
    frac_bits: u32,
    z: Vec<i64>,
    head: Vec<u32>,
    next: Vec<u32>,
}

impl FireUnit {
    /// A fire unit for `outputs` neurons, windows of `time_steps` ticks and `frac_bits` = F.
    pub fn new(outputs: usize, time_steps: u32, frac_bits: u32) -> Self {
        FireUnit {
            time_steps,
            frac_bits,
            z: vec![0; outputs],
            head: vec![NIL; time_steps as usize],
            next: vec![NIL; outputs],
        }
    }

    /// `2^F`.
    pub fn one(&self) -> i64 {
        1i64 << self.frac_bits
    }

    /// The fixed threshold `T·2^F`.
    pub fn threshold(&self) -> i64 {
        self.time_steps as i64 * self.one()
    }

    /// Latches `z` at the window start (the ping-pong register of the hardware).
    pub fn latch(&mut self, z: &[i64]) {
        self.z.copy_from_slice(z);
    }

    /// The latched `z`.
    pub fn z(&self) -> &[i64] {
        &self.z
    }

    /// The comparator: does a neuron with latched `z` fire at window tick `m`?
    /// `z + m·2^F ≥ T·2^F` (equivalently `z ≥` the descending threshold `(T − m)·2^F`).
    #[inline]
    pub fn fires(&self, z: i64, m: u32) -> bool {
        z + m as i64 * self.one() >= self.threshold()
    }

    /// The first window tick at which the comparator holds, `None` for a silent neuron (`z < 2^F`:
    /// it only reaches the threshold at `m = T`, the forced spike). Closed form of scanning
    /// [`FireUnit::fires`] over `m = 0..T`: `m = T − ⌊z / 2^F⌋` for `2^F ≤ z < T·2^F`.
    #[inline]
    pub fn first_fire(&self, z: i64) -> Option<u32> {
        if z >= self.threshold() {
            Some(0) // saturating clamp: fires at the window start
        } else if z < self.one() {
            None // below one step: silent
        } else {
            Some(self.time_steps - (z >> self.frac_bits) as u32)
        }
    }

    /// Emits the spike events of the latched `z` to `out` (cleared first), bucket-sorted by tick
    /// (`⌈N/P⌉ + events` in hardware): `(m, i)` by increasing `m`, then `i`; the always-on
    /// event `(0, N)` for the next layer closes tick 0. Silent neurons send nothing.
    pub fn emit(&mut self, out: &mut Vec<Event>) {
        self.head.fill(NIL);
        for i in (0..self.z.len()).rev() {
            if let Some(m) = self.first_fire(self.z[i]) {
                self.next[i] = self.head[m as usize];
                self.head[m as usize] = i as u32;
            }
        }
        out.clear();
        for m in 0..self.time_steps as usize {
            let mut i = self.head[m];
            while i != NIL {
                out.push(Event {
                    m: m as u32,
                    index: i,
                });
                i = self.next[i as usize];
            }
            if m == 0 {
                out.push(Event::always_on(self.z.len()));
            }
        }
    }

    /// Same stream as [`FireUnit::emit`], produced the scanning way (`T·⌈N/P⌉` in hardware): the
    /// window counter runs `m = 0..T` and every neuron that has not fired yet is compared.
    pub fn emit_scan(&self, out: &mut Vec<Event>) {
        out.clear();
        let mut fired = vec![false; self.z.len()];
        let mut counter = WindowCounter::new(self.time_steps);
        while !counter.at_end() {
            let m = counter.m();
            for (i, &z) in self.z.iter().enumerate() {
                if !fired[i] && self.fires(z, m) {
                    fired[i] = true;
                    out.push(Event { m, index: i as u32 });
                }
            }
            if m == 0 {
                out.push(Event::always_on(self.z.len()));
            }
            counter.step();
        }
        // At m = T the rest are forced to fire: silent, q = 0, nothing is sent.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_matches_window_counter_scan_exhaustively() {
        for t in [2u32, 4, 8, 16] {
            for f in 0..4u32 {
                let zs: Vec<i64> = (-(3i64 << f)..=((t as i64 + 3) << f)).collect();
                let mut unit = FireUnit::new(zs.len(), t, f);
                unit.latch(&zs);
                for &z in &zs {
                    let scanned = (0..t).find(|&m| unit.fires(z, m));
                    assert_eq!(unit.first_fire(z), scanned, "T={t} F={f} z={z}");
                }
                let (mut a, mut b) = (Vec::new(), Vec::new());
                unit.emit(&mut a);
                unit.emit_scan(&mut b);
                assert_eq!(a, b, "T={t} F={f}");
            }
        }
    }

    #[test]
    fn fire_unit_clamps_at_both_ends() {
        // T = 4, F = 2: one step = 4, threshold T·2^F = 16.
        let unit = FireUnit::new(1, 4, 2);
        assert_eq!(unit.first_fire(16), Some(0)); // z = T·2^F: fires at the window start
        assert_eq!(unit.first_fire(1000), Some(0)); // far above: still m = 0, never earlier
        assert_eq!(unit.first_fire(15), Some(1)); // 15 + 1·4 ≥ 16
        assert_eq!(unit.first_fire(4), Some(3)); // exactly one step: 4 + 3·4 = 16
        assert_eq!(unit.first_fire(3), None); // 3 + 3·4 = 15 < 16: silent
        assert_eq!(unit.first_fire(-7), None); // negative: silent
    }
}
