//! The host ↔ board link protocol (issue 16): how a sample travels over the board's UART as
//! one compact frame, and how the answer comes back. Not a hardware block: the format shared
//! by the wrapper's [`crate::board::LinkFramer`], the host (`ttfs run`) and the tests.
//!
//! **Frame** (host → board, 8N1 bytes):
//!
//! | byte | value |
//! |---|---|
//! | 0 | header [`HEADER`] `0x80` (the only byte with bit 7 set) |
//! | 1 ..= P | payload: 7 data bits per byte (bit 7 clear), a little-endian bit stream of `inputs` values of `value_bits` each, value `k` at stream bits `[k·value_bits, (k+1)·value_bits)`, zero padding |
//! | P + 1 | check: the sum of the P payload bytes mod 128 (bit 7 clear) |
//!
//! A value is the **input level** `q0 = encode_value(x)` (DESIGN §2: what the first layer
//! sees of a raw input `x`) when that needs fewer bits than `x`; the wrapper turns a level back
//! into the smallest raw `x` with that level ([`LinkFormat::table`]), so the core computes
//! exactly what it computes for the original sample. MNIST (`input_bits = 8`, `T = 16`):
//! levels 0..=16, 5 bits, 784 values in P = 560 payload bytes, 562 bytes per frame instead of
//! 784 raw bytes. When levels are not narrower (`T ≥ 2^input_bits`), the values are the raw
//! `x` and the table is the identity.
//!
//! **Answer** (board → host): one byte per header received, in order: the class in bits
//! 6..0, bit 7 set when the frame was bad (check mismatch, a header before the frame was
//! complete, a lost byte) or the core flagged `m_error`; the host drops that class.
//!
//! **Resynchronisation.** Bit 7 marks the header and only the header, so a receiver that lost
//! count finds the next frame at its first byte: a header always opens a new frame (closing
//! the current one as bad), and bytes outside a frame are ignored.

use golden::forward::encode_value;
use golden::model::Model;

/// The first byte of every frame (bit 7 set; payload and check bytes have bit 7 clear).
pub const HEADER: u8 = 0x80;
/// Data bits carried by a payload byte.
pub const PAYLOAD_BITS: usize = 7;
/// Bit of an answer byte that flags a bad frame or a core `m_error`.
pub const ANSWER_ERROR: u8 = 0x80;
/// Line bits per 8N1 byte (start, 8 data, stop).
pub const LINE_BITS_PER_BYTE: u64 = 10;

/// The frame format of one model's samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkFormat {
    /// Features per sample.
    pub inputs: usize,
    /// Bits of a raw input value `x`.
    pub input_bits: u32,
    /// Time steps `T` of the input encoding.
    pub time_steps: u32,
}

/// Bits of an unsigned `v` (at least 1).
fn bits_for(v: u64) -> u32 {
    (64 - v.leading_zeros()).max(1)
}

impl LinkFormat {
    /// The format of `model`'s samples.
    pub fn of_model(model: &Model) -> Self {
        Self {
            inputs: model.layers[0].inputs,
            input_bits: model.input_bits,
            time_steps: model.time_steps,
        }
    }

    /// The largest input level, `encode_value(2^input_bits − 1)`.
    pub fn max_level(&self) -> u32 {
        encode_value((1 << self.input_bits) - 1, self.input_bits, self.time_steps)
    }

    /// Whether the values on the wire are levels (else raw `x`).
    pub fn sends_levels(&self) -> bool {
        bits_for(self.max_level() as u64) < self.input_bits
    }

    /// Bits per value on the wire.
    pub fn value_bits(&self) -> u32 {
        if self.sends_levels() {
            bits_for(self.max_level() as u64)
        } else {
            self.input_bits
        }
    }

    /// The wire value of a raw input `x`.
    pub fn value_of(&self, x: u32) -> u32 {
        if self.sends_levels() {
            encode_value(x, self.input_bits, self.time_steps)
        } else {
            x
        }
    }

    /// The raw input the wrapper feeds the core for each wire value `0 .. 2^value_bits`: the
    /// smallest `x` with that level (levels no `x` has map to 0; the host never sends them).
    pub fn table(&self) -> Vec<u32> {
        let n = 1usize << self.value_bits();
        if !self.sends_levels() {
            return (0..n as u32).collect();
        }
        let mut t = vec![None; n];
        for x in (0..1u32 << self.input_bits).rev() {
            t[self.value_of(x) as usize] = Some(x);
        }
        t.into_iter().map(|v| v.unwrap_or(0)).collect()
    }

    /// Payload bytes per frame, `⌈inputs · value_bits / 7⌉`.
    pub fn payload_bytes(&self) -> usize {
        (self.inputs * self.value_bits() as usize).div_ceil(PAYLOAD_BITS)
    }

    /// Bytes per frame on the wire: header, payload, check.
    pub fn frame_bytes(&self) -> usize {
        self.payload_bytes() + 2
    }

    /// The frame of raw sample `x` (`inputs` values below `2^input_bits`; panics otherwise).
    pub fn encode_frame(&self, x: &[u32]) -> Vec<u8> {
        assert_eq!(x.len(), self.inputs, "link frame: sample length");
        let vb = self.value_bits() as usize;
        let mut payload = vec![0u8; self.payload_bytes()];
        for (k, &v) in x.iter().enumerate() {
            assert!(v < 1 << self.input_bits, "link frame: x[{k}] = {v}");
            let w = self.value_of(v);
            for i in 0..vb {
                let bit = k * vb + i;
                payload[bit / PAYLOAD_BITS] |= ((w >> i & 1) as u8) << (bit % PAYLOAD_BITS);
            }
        }
        let mut f = Vec::with_capacity(self.frame_bytes());
        f.push(HEADER);
        f.extend_from_slice(&payload);
        f.push(checksum(&payload));
        f
    }

    /// The raw inputs the wrapper feeds the core for a well-formed `frame` (`None`: bad
    /// header, length or check): what [`crate::board::LinkFramer`] does, in software.
    pub fn decode_frame(&self, frame: &[u8]) -> Option<Vec<u32>> {
        let p = self.payload_bytes();
        if frame.len() != p + 2 || frame[0] != HEADER {
            return None;
        }
        let payload = &frame[1..=p];
        if payload.iter().any(|b| b & 0x80 != 0) || checksum(payload) != frame[p + 1] {
            return None;
        }
        let vb = self.value_bits() as usize;
        let table = self.table();
        Some(
            (0..self.inputs)
                .map(|k| {
                    let w = (0..vb).fold(0usize, |w, i| {
                        let bit = k * vb + i;
                        w | ((payload[bit / PAYLOAD_BITS] >> (bit % PAYLOAD_BITS) & 1) as usize)
                            << i
                    });
                    table[w]
                })
                .collect(),
        )
    }

    /// Samples per second the link carries at `baud` (8N1; the answer byte travels on the
    /// other wire at the same time): `baud / (10 · frame_bytes)`.
    pub fn images_per_s(&self, baud: u64) -> f64 {
        baud as f64 / (LINE_BITS_PER_BYTE * self.frame_bytes() as u64) as f64
    }
}

/// The check byte of a payload: the sum of its bytes mod 128.
pub fn checksum(payload: &[u8]) -> u8 {
    (payload.iter().map(|&b| b as u32).sum::<u32>() & 0x7f) as u8
}

/// An answer byte as `(class, error)`.
pub fn answer(byte: u8) -> (u8, bool) {
    (byte & !ANSWER_ERROR, byte & ANSWER_ERROR != 0)
}
