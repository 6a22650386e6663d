//! Twin of the per-layer window counter (DESIGN §5): counts the ticks `m` of one layer window.

/// Counts `m = 0, 1, …, T` through one window of `T` ticks. `m < T` are the ticks at which a
/// neuron can fire by crossing its threshold; `m = T` is the window end, where every neuron that
/// has not fired is forced to (a silent neuron, `q = 0`, which hardware does not emit).
///
/// Absolute tick of `m` in layer `l`'s window: `l·T + m`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowCounter {
    time_steps: u32,
    m: u32,
}

impl WindowCounter {
    /// A counter for windows of `time_steps` ticks, at `m = 0`.
    pub fn new(time_steps: u32) -> Self {
        WindowCounter { time_steps, m: 0 }
    }

    /// Back to `m = 0` (the start of the next window).
    pub fn reset(&mut self) {
        self.m = 0;
    }

    /// The current tick inside the window.
    pub fn m(&self) -> u32 {
        self.m
    }

    /// `T`.
    pub fn time_steps(&self) -> u32 {
        self.time_steps
    }

    /// True at the window end `m = T` (the forced-spike tick).
    pub fn at_end(&self) -> bool {
        self.m >= self.time_steps
    }

    /// Advances to the next tick; returns false (and stays) once the window end is reached.
    pub fn step(&mut self) -> bool {
        if self.at_end() {
            return false;
        }
        self.m += 1;
        true
    }

    /// Absolute tick of the current `m` in layer `layer`'s window.
    pub fn absolute(&self, layer: usize) -> u32 {
        layer as u32 * self.time_steps + self.m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counter_counts_zero_to_t_then_stops() {
        // T = 4: m runs 0,1,2,3 (firing ticks) and ends at 4 (forced-spike tick).
        let mut c = WindowCounter::new(4);
        let mut seen = vec![c.m()];
        while c.step() {
            seen.push(c.m());
        }
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
        assert!(c.at_end());
        assert!(!c.step());
        assert_eq!(c.m(), 4);
        // Layer 2's window starts at absolute tick 2·4 = 8, so m = 4 is absolute tick 12.
        assert_eq!(c.absolute(2), 12);
        c.reset();
        assert_eq!(c.m(), 0);
    }
}
