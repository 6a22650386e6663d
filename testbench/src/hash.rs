//! A small stable content hash for the build cache key (no extra dependency).
//!
//! Two independent FNV-1a 64-bit lanes (different offset bases) → 128 bits of hex. Not
//! cryptographic; it only has to tell different sources apart, and it is stable across Rust
//! versions (unlike `DefaultHasher`).

pub(crate) struct Fnv2 {
    a: u64,
    b: u64,
}

const PRIME: u64 = 0x0000_0100_0000_01b3;

impl Fnv2 {
    pub(crate) fn new() -> Self {
        Fnv2 {
            a: 0xcbf2_9ce4_8422_2325,
            b: 0x6c62_272e_07bb_0142,
        }
    }

    /// Adds a length-prefixed field (so `"ab","c"` and `"a","bc"` differ).
    pub(crate) fn field(&mut self, bytes: &[u8]) {
        self.raw(&(bytes.len() as u64).to_le_bytes());
        self.raw(bytes);
    }

    fn raw(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.a = (self.a ^ byte as u64).wrapping_mul(PRIME);
            self.b = (self.b ^ byte.rotate_left(3) as u64).wrapping_mul(PRIME);
        }
    }

    pub(crate) fn hex(&self) -> String {
        format!("{:016x}{:016x}", self.a, self.b)
    }
}

#[cfg(test)]
mod tests {
    use super::Fnv2;

    #[test]
    fn fields_are_length_prefixed_and_stable() {
        let h = |parts: &[&str]| {
            let mut f = Fnv2::new();
            for p in parts {
                f.field(p.as_bytes());
            }
            f.hex()
        };
        assert_ne!(h(&["ab", "c"]), h(&["a", "bc"]));
        assert_eq!(h(&["x"]), h(&["x"]));
        assert_eq!(h(&[]).len(), 32);
    }
}
