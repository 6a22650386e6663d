//! Twin of the readout (DESIGN §2, §5): the class from the last layer.

use super::{argmax_i64, Event};
use crate::model::Readout;

/// The readout of the last layer (`classes` neurons).
///
/// - [`Readout::Potential`]: argmax of the latched `z` (no clamp), lowest index on ties — a
///   streaming compare that replaces the best only on a strictly greater value. No fire phase.
/// - [`Readout::FirstSpike`]: the first event of the last layer's stream (earliest tick, lowest
///   index on ties — the stream order), which is argmax of the clamped `q`; class 0 when every
///   output is silent (all `q = 0`, a tie at the lowest index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadoutUnit {
    kind: Readout,
    classes: usize,
}

impl ReadoutUnit {
    pub fn new(kind: Readout, classes: usize) -> Self {
        ReadoutUnit { kind, classes }
    }

    pub fn kind(&self) -> Readout {
        self.kind
    }

    /// True when the class needs the last layer's spike events (first-spike readout).
    pub fn needs_events(&self) -> bool {
        self.kind == Readout::FirstSpike
    }

    /// Potential readout: argmax of `z`, lowest index on ties.
    pub fn potential(z: &[i64]) -> usize {
        argmax_i64(z)
    }

    /// First-spike readout from the last layer's event stream (the always-on event ignored).
    pub fn first_spike(&self, events: &[Event]) -> usize {
        events
            .iter()
            .find(|e| (e.index as usize) < self.classes)
            .map_or(0, |e| e.index as usize)
    }

    /// The class: from `z` or from `events` depending on the readout.
    pub fn class(&self, z: &[i64], events: &[Event]) -> usize {
        match self.kind {
            Readout::Potential => Self::potential(z),
            Readout::FirstSpike => self.first_spike(events),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn potential_readout_takes_lowest_index_on_ties() {
        assert_eq!(ReadoutUnit::potential(&[3, 7, 7, -1]), 1);
        assert_eq!(ReadoutUnit::potential(&[-5, -5]), 0);
    }

    #[test]
    fn first_spike_readout_takes_first_event_and_zero_when_all_silent() {
        let r = ReadoutUnit::new(Readout::FirstSpike, 3);
        // Stream of a 3-neuron layer: always-on (index 3) closes tick 0; neurons 2 and 1 fire at m = 1.
        let events = [
            Event::always_on(3),
            Event { m: 1, index: 1 },
            Event { m: 1, index: 2 },
        ];
        assert_eq!(r.first_spike(&events), 1);
        assert_eq!(r.first_spike(&[Event::always_on(3)]), 0);
    }
}
