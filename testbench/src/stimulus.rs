//! Stimulus: samples (with optional framing faults), seeded random back-pressure, resets and the
//! hang watchdog, and the stimulus file the C++ harness replays.
//!
//! # Stimulus file (`lcttfs-stim` version 1, whitespace-separated text)
//!
//! ```text
//! lcttfs-stim 1
//! seed 42
//! stall 0.3 8 0.3 8          input gap prob, max gap run, m_ready-low prob, max low run
//! watchdog 1000000           fail ("hang") after this many cycles without progress
//! max_cycles 18446744073709551615
//! reset_len 2                cycles rst is held high (initial reset and every reset)
//! tail 64                    cycles run after completion (to catch extra beats)
//! resets 2 150 400           count, then cycles at which rst is asserted
//! vcd 3 5                    dump samples 3..=5 when a VCD path is given (to < from: none)
//! samples 3
//! 4 1 0 15 7 3               per sample: NBEATS HAS_LAST then NBEATS raw values;
//! 2 1 5 5                    s_last is high on the last beat iff HAS_LAST = 1
//! 6 1 1 2 3 4 0 0
//! ```
//!
//! Per cycle the harness decides, from its own seeded generator (independent streams for the
//! two sides, never from the DUT's `s_ready`/`m_valid`): an input gap starts with probability
//! `input_prob` and lasts `1..=input_max_run` cycles (a beat already offered stays offered until
//! accepted); an `m_ready`-low run starts with probability `output_prob` and lasts
//! `1..=output_max_run` cycles. A reset at cycle `c` holds `rst` high for `reset_len` cycles
//! with `s_valid = m_ready = 0`; the partly sent sample is dropped and sending resumes at the
//! next sample's first beat.

use std::fmt::Write as _;
use std::path::Path;

use crate::top::TopInfo;
use crate::CosimError;

/// How a sample is framed on the input stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// All `inputs` values, `s_last` on the last one.
    Normal,
    /// Truncated: only the first `len` values (`1 ≤ len < inputs`), `s_last` on the last of them.
    Early { len: usize },
    /// All `inputs` values without `s_last`, then `extra` beats of value 0, `s_last` on the last
    /// of them. `extra = 0` sends no closing `s_last` at all: the design resynchronises on the
    /// next sample's `s_last`, so the next sample becomes part of this faulty frame (one error
    /// beat for both).
    Missing { extra: usize },
}

/// One sample of the stimulus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Raw input values (`inputs` of them, each `< 2^input_bits`).
    pub values: Vec<u32>,
    pub framing: Framing,
}

impl Sample {
    pub fn new(values: Vec<u32>) -> Self {
        Sample {
            values,
            framing: Framing::Normal,
        }
    }

    pub fn with_framing(values: Vec<u32>, framing: Framing) -> Self {
        Sample { values, framing }
    }
}

/// Seeded random back-pressure on both streams.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stalls {
    pub seed: u64,
    /// Probability per cycle that an `s_valid` gap starts.
    pub input_prob: f64,
    /// Longest gap, cycles (gaps are uniform in `1..=input_max_run`).
    pub input_max_run: u64,
    /// Probability per cycle that an `m_ready`-low run starts.
    pub output_prob: f64,
    /// Longest `m_ready`-low run, cycles.
    pub output_max_run: u64,
}

impl Stalls {
    /// No stalls: `s_valid` whenever there is data, `m_ready` always high.
    pub fn none() -> Self {
        Stalls {
            seed: 0,
            input_prob: 0.0,
            input_max_run: 1,
            output_prob: 0.0,
            output_max_run: 1,
        }
    }

    /// Both sides stall with probability `prob`, runs of up to 8 cycles.
    pub fn random(seed: u64, prob: f64) -> Self {
        Stalls {
            seed,
            input_prob: prob,
            input_max_run: 8,
            output_prob: prob,
            output_max_run: 8,
        }
    }
}

impl Default for Stalls {
    fn default() -> Self {
        Stalls::none()
    }
}

/// One input beat: `input_lanes` raw values packed lowest slot first (slot `k` in bits
/// `[k·input_bits, (k+1)·input_bits)`), zeros in the slots past a frame's last value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Beat {
    pub value: u64,
    pub last: bool,
}

/// The complete stimulus of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Stimulus {
    pub samples: Vec<Sample>,
    pub stalls: Stalls,
    /// Cycles at which `rst` is asserted (after the initial reset), ascending or not.
    pub resets: Vec<u64>,
    /// Cycles `rst` stays high (initial reset and each reset), ≥ 1.
    pub reset_len: u64,
    /// Hang watchdog: fail after this many cycles in which nothing moved although the harness
    /// was not stalling (0 disables it).
    pub watchdog: u64,
    /// Hard limit on simulated cycles.
    pub max_cycles: u64,
    /// Cycles simulated after the last expected beat, to catch extra output or trace beats.
    pub tail: u64,
    /// The weight-load image (`weights.bin` words), streamed through `w_*` after every reset
    /// (with the input stream's stall pattern on `w_valid`); empty: the top has no load port.
    pub weights: Vec<u16>,
    /// Values per beat (the top's `input_lanes`) and the bits of one value: how values are
    /// packed into beats. `(1, _)`: one value per beat, as written.
    pub packing: (usize, u32),
}

impl Stimulus {
    /// Correctly framed samples, no stalls, no resets, default watchdog (1,000,000 cycles).
    pub fn new(samples: Vec<Vec<u32>>) -> Self {
        Stimulus {
            samples: samples.into_iter().map(Sample::new).collect(),
            stalls: Stalls::none(),
            resets: Vec::new(),
            reset_len: 2,
            watchdog: 1_000_000,
            max_cycles: u64::MAX,
            tail: 64,
            weights: Vec::new(),
            packing: (1, 0),
        }
    }

    /// Packs `k` values of `input_bits` bits into each beat (a top with `input_lanes = k`).
    pub fn with_input_lanes(mut self, k: usize, input_bits: u32) -> Self {
        self.packing = (k.max(1), input_bits);
        self
    }

    /// Values per beat.
    pub fn input_lanes(&self) -> usize {
        self.packing.0.max(1)
    }

    /// Streams `words` (a `weights.bin` image) through the top's load port after every reset.
    pub fn with_weights(mut self, words: Vec<u16>) -> Self {
        self.weights = words;
        self
    }

    /// From samples with their framing.
    pub fn from_samples(samples: Vec<Sample>) -> Self {
        Stimulus {
            samples,
            ..Stimulus::new(Vec::new())
        }
    }

    pub fn with_stalls(mut self, stalls: Stalls) -> Self {
        self.stalls = stalls;
        self
    }

    pub fn with_resets(mut self, resets: Vec<u64>) -> Self {
        self.resets = resets;
        self
    }

    pub fn with_watchdog(mut self, cycles: u64) -> Self {
        self.watchdog = cycles;
        self
    }

    /// Checks the stimulus against the top: sample lengths and value ranges (via
    /// [`golden::forward::check_input`] for normal samples), framing parameters, probabilities,
    /// and that the stream ends with `s_last` (every frame must be closed).
    pub fn validate(&self, info: &TopInfo) -> Result<(), CosimError> {
        let n = info.inputs;
        let bad = |msg: String| Err(CosimError::Stimulus(msg));
        let k = self.input_lanes();
        if k != info.input_lanes || (k > 1 && self.packing.1 != info.input_bits) {
            return bad(format!(
                "the stimulus packs {k} values of {} bits per beat, the top takes {} of {} bits",
                self.packing.1, info.input_lanes, info.input_bits
            ));
        }
        // With k values per beat the design sees frames in beats: a framing fault must change
        // the number of beats, else it is a correct frame with padding.
        let beats_of = |values: usize| values.div_ceil(k);
        for (name, p) in [
            ("input_prob", self.stalls.input_prob),
            ("output_prob", self.stalls.output_prob),
        ] {
            if !(0.0..1.0).contains(&p) {
                return bad(format!("{name} = {p} is not in [0, 1)"));
            }
        }
        if self.stalls.input_max_run == 0 || self.stalls.output_max_run == 0 {
            return bad("stall runs must be ≥ 1 cycle".into());
        }
        if self.reset_len == 0 {
            return bad("reset_len must be ≥ 1 cycle".into());
        }
        for (k, s) in self.samples.iter().enumerate() {
            match s.framing {
                Framing::Normal => {
                    let x: Vec<i64> = s.values.iter().map(|&v| v as i64).collect();
                    golden::forward::check_input(n, info.input_bits, &x)
                        .map_err(|source| CosimError::Input { sample: k, source })?;
                }
                Framing::Early { len } => {
                    if len == 0 || beats_of(len) >= beats_of(n) || len > s.values.len() {
                        return bad(format!(
                            "sample {k}: early s_last after {len} values needs 1 ≤ len, fewer beats than \
                             a whole sample ({} of {} values each) and ≤ {} values",
                            beats_of(n),
                            self.input_lanes(),
                            s.values.len()
                        ));
                    }
                }
                Framing::Missing { extra } => {
                    if extra > 0 && beats_of(n + extra) == beats_of(n) {
                        return bad(format!(
                            "sample {k}: {extra} extra values fit the padding of the last beat \
                             ({} values per beat): no beat is added, so s_last is not missing",
                            self.input_lanes()
                        ));
                    }
                    if s.values.len() != n {
                        return bad(format!(
                            "sample {k}: a missing-s_last sample sends all {n} inputs, it has {} values",
                            s.values.len()
                        ));
                    }
                }
            }
            let max = (1u64 << info.input_bits) - 1;
            if let Some((j, &v)) = s.values.iter().enumerate().find(|(_, &v)| v as u64 > max) {
                return bad(format!(
                    "sample {k}: x[{j}] = {v} does not fit input_bits = {} (max {max})",
                    info.input_bits
                ));
            }
        }
        if let Some(Sample {
            framing: Framing::Missing { extra: 0 },
            ..
        }) = self.samples.last()
        {
            return bad(format!(
                "sample {}: the last sample cannot miss s_last without extra beats (nothing would close its frame)",
                self.samples.len() - 1
            ));
        }
        Ok(())
    }

    /// The beats of sample `k` in order: its values (as framed), `input_lanes` per beat.
    pub fn sample_beats(&self, k: usize) -> Vec<Beat> {
        let single = self.single_beats(k);
        let lanes = self.input_lanes();
        if lanes == 1 {
            return single;
        }
        let bits = self.packing.1;
        single
            .chunks(lanes)
            .map(|c| Beat {
                value: c
                    .iter()
                    .enumerate()
                    .fold(0u64, |acc, (i, b)| acc | (b.value << (i as u32 * bits))),
                last: c.last().is_some_and(|b| b.last),
            })
            .collect()
    }

    /// The values of a beat (`input_lanes` of them, padding included).
    pub fn unpack(&self, beat: &Beat) -> Vec<u32> {
        let (lanes, bits) = (self.input_lanes(), self.packing.1);
        if lanes == 1 {
            return vec![beat.value as u32];
        }
        let mask = (1u64 << bits) - 1;
        (0..lanes)
            .map(|i| ((beat.value >> (i as u32 * bits)) & mask) as u32)
            .collect()
    }

    /// One value per beat, as framed.
    fn single_beats(&self, k: usize) -> Vec<Beat> {
        let s = &self.samples[k];
        let beat = |value: u32, last| Beat {
            value: u64::from(value),
            last,
        };
        match s.framing {
            Framing::Normal => {
                let n = s.values.len();
                s.values
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| beat(v, i + 1 == n))
                    .collect()
            }
            Framing::Early { len } => s.values[..len]
                .iter()
                .enumerate()
                .map(|(i, &v)| beat(v, i + 1 == len))
                .collect(),
            Framing::Missing { extra } => s
                .values
                .iter()
                .map(|&v| beat(v, false))
                .chain((0..extra).map(|i| beat(0, i + 1 == extra)))
                .collect(),
        }
    }

    /// The flat beat stream and the first beat of every sample (`starts.len() == samples + 1`,
    /// the last entry is the total).
    pub fn beats(&self) -> (Vec<Beat>, Vec<usize>) {
        let mut beats = Vec::new();
        let mut starts = Vec::with_capacity(self.samples.len() + 1);
        for k in 0..self.samples.len() {
            starts.push(beats.len());
            beats.extend(self.sample_beats(k));
        }
        starts.push(beats.len());
        (beats, starts)
    }

    /// The stimulus file text; `vcd` = sample range to dump (inclusive).
    pub fn to_file_text(&self, vcd: Option<(usize, usize)>) -> String {
        let mut s = String::new();
        let st = &self.stalls;
        let (from, to) = vcd.map_or((1, 0), |(a, b)| (a as u64, b as u64));
        let mut resets = self.resets.clone();
        resets.sort_unstable();
        resets.dedup();
        // Writing into a String cannot fail.
        let _ = write!(
            s,
            "lcttfs-stim 1\nseed {}\nstall {:?} {} {:?} {}\nwatchdog {}\nmax_cycles {}\nreset_len {}\ntail {}\nresets {}",
            st.seed,
            st.input_prob,
            st.input_max_run,
            st.output_prob,
            st.output_max_run,
            self.watchdog,
            self.max_cycles,
            self.reset_len,
            self.tail,
            resets.len()
        );
        for r in &resets {
            let _ = write!(s, " {r}");
        }
        let _ = write!(s, "\nvcd {from} {to}\nweights {}", self.weights.len());
        for w in &self.weights {
            let _ = write!(s, " {w}");
        }
        let _ = write!(s, "\nsamples {}\n", self.samples.len());
        for k in 0..self.samples.len() {
            let beats = self.sample_beats(k);
            let has_last = beats.last().is_some_and(|b| b.last);
            let _ = write!(s, "{} {}", beats.len(), u8::from(has_last));
            for b in &beats {
                let _ = write!(s, " {}", b.value);
            }
            s.push('\n');
        }
        s
    }

    /// Writes the stimulus file.
    pub fn write(&self, path: &Path, vcd: Option<(usize, usize)>) -> Result<(), CosimError> {
        std::fs::write(path, self.to_file_text(vcd))
            .map_err(|e| CosimError::io("cannot write stimulus", path, e))
    }
}
