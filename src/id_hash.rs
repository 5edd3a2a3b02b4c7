//! Hash maps keyed by ids, for the shell's per-attempt index and `MemoryStore`'s tables.
//!
//! Ids are chosen by callers, so the hash must not let anyone choose ids that collide: every
//! map gets its own secret seed, derived from keys drawn once per thread from std's
//! [`RandomState`] (randomly keyed) and a per-map counter, and each 8-byte word of a key is mixed with a folded 64 x 64 ->
//! 128-bit multiply by a secret odd factor (the construction of `foldhash` and `ahash`'s
//! fallback), so that every output bit depends on every input bit and on the seed. Without the
//! seed, an attacker cannot predict which ids share a bucket. It costs a quarter of SipHash-1-3's
//! instructions on 16-byte ids; nothing the crate returns or writes depends on a map's order.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};

/// A map keyed by ids (or record keys), seeded per map.
pub(crate) type IdMap<K, V> = HashMap<K, V, IdHashState>;

/// A set of ids (or record keys), seeded per set.
pub(crate) type IdSet<K> = HashSet<K, IdHashState>;

/// The secret seed of one map.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdHashState {
    seed: u64,
    factor: u64,
}

thread_local! {
    /// This thread's secret keys, drawn once from std's randomly keyed [`RandomState`], and a
    /// counter that makes every map's seed different.
    static KEYS: Cell<(u64, u64, u64)> = Cell::new({
        let random = RandomState::new();
        let a = random.hash_one(0x243f_6a88_85a3_08d3_u64);
        (a, random.hash_one(a) | 1, 0)
    });
}

impl Default for IdHashState {
    /// A fresh secret seed: this thread's random keys mixed with a per-map counter (a few
    /// instructions, so that a map made per request costs nothing noticeable).
    fn default() -> Self {
        KEYS.with(|keys| {
            let (a, b, n) = keys.get();
            keys.set((a, b, n.wrapping_add(1)));
            let seed = folded_multiply(a ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15), b);
            Self {
                seed,
                factor: folded_multiply(seed ^ b, a | 1) | 1,
            }
        })
    }
}

impl BuildHasher for IdHashState {
    type Hasher = IdHasher;

    #[inline]
    fn build_hasher(&self) -> IdHasher {
        IdHasher {
            state: self.seed,
            factor: self.factor,
        }
    }
}

/// The hasher of one key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdHasher {
    state: u64,
    factor: u64,
}

/// The 128-bit product of `a` and `b`, its halves folded together.
#[inline]
const fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = (a as u128).wrapping_mul(b as u128);
    (full as u64) ^ ((full >> 64) as u64)
}

impl IdHasher {
    #[inline]
    const fn mix(&mut self, word: u64) {
        self.state = folded_multiply(self.state ^ word, self.factor);
    }
}

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            for (slot, byte) in word.iter_mut().zip(rest) {
                *slot = *byte;
            }
            // The length keeps "ab" and "ab\0" apart.
            self.mix(u64::from_le_bytes(word) ^ (rest.len() as u64).rotate_right(8));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // One more round, so that the last word is mixed as well as the others.
        folded_multiply(self.state, self.factor.rotate_left(29) | 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::CommandId;

    /// Ids that differ only in the high bits of their last word: under a plain multiplicative
    /// hash (FxHash) their low bits, which pick the bucket, are all equal.
    fn structured_ids(n: u64) -> impl Iterator<Item = CommandId> {
        (0..n).map(|i| CommandId::from_u128(u128::from(i) << 100))
    }

    #[test]
    fn ids_chosen_to_collide_spread_over_buckets() {
        let state = IdHashState::default();
        let buckets = 1024usize;
        let mut counts = vec![0u32; buckets];
        for id in structured_ids(32_000) {
            let bucket = usize::try_from(state.hash_one(id) % buckets as u64).unwrap();
            counts[bucket] = counts[bucket].wrapping_add(1);
        }
        // 31.25 per bucket on average; a uniform hash almost never puts 80 in one.
        let fullest = counts.iter().max().copied().unwrap_or(0);
        assert!(fullest < 80, "{fullest} ids in one bucket");
    }

    #[test]
    fn every_map_has_its_own_seed() {
        let id = CommandId::from_u128(7);
        let hashes: HashSet<u64> = (0..8)
            .map(|_| IdHashState::default().hash_one(id))
            .collect();
        assert!(hashes.len() > 1, "eight maps hashed an id alike");
    }

    #[test]
    fn a_32000_id_map_of_structured_ids_is_linear() {
        let mut map: IdMap<CommandId, u64> = IdMap::default();
        for (n, id) in structured_ids(32_000).enumerate() {
            map.insert(id, n as u64);
        }
        assert_eq!(map.len(), 32_000);
        assert!(structured_ids(32_000).all(|id| map.contains_key(&id)));
    }
}
