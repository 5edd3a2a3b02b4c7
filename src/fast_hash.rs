//! A fast, non-cryptographic hasher for maps keyed by ids (UUIDs): the shell's per-batch overlay
//! and `MemoryStore`. SipHash, std's default, spent about a third of the shell's time hashing
//! 16-byte ids. The keys are UUIDs chosen by the services themselves, not by untrusted clients, so
//! hash flooding is not a concern here.

use std::hash::{BuildHasherDefault, Hasher};

/// FxHash's multiply-rotate step (as in rustc), over 8-byte words.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    const fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            for (slot, byte) in word.iter_mut().zip(rest) {
                *slot = *byte;
            }
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn write_isize(&mut self, i: isize) {
        self.add(i as u64);
    }

    /// Murmur3's 64-bit finaliser: every input bit reaches the low bits, which hash tables use to
    /// pick a bucket (a bare multiply only spreads bits upwards, and ids that differ in their last
    /// bytes would all collide).
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;
/// `HashSet` with [`FastHasher`].
pub(crate) type FastSet<K> = std::collections::HashSet<K, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault};

    use super::FastHasher;
    use crate::id::TicketId;
    use crate::store::RecordKey;

    #[test]
    fn sequential_ids_spread_over_the_low_bits() {
        let build = BuildHasherDefault::<FastHasher>::default();
        let mut buckets = [0u32; 1024];
        for n in 0..102_400u128 {
            let bucket = build.hash_one(RecordKey::Ticket(TicketId::from_u128(n))) % 1024;
            buckets[usize::try_from(bucket).unwrap()] += 1;
        }
        // 100 per bucket on average; a uniform spread stays far from both ends.
        assert!(
            buckets.iter().all(|&b| (40..=160).contains(&b)),
            "{:?}",
            &buckets[..16]
        );
    }

    #[test]
    fn distinct_ids_hash_apart() {
        let build = BuildHasherDefault::<FastHasher>::default();
        let mut hashes: Vec<u64> = (0..10_000u128)
            .map(|n| build.hash_one(RecordKey::Ticket(TicketId::from_u128(n))))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), 10_000);
    }
}
