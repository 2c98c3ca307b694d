//! The lookup tables behind the encoder.
//!
//! Encoding spends its time asking two questions: "is this piece one token,
//! and which?" (bytes -> rank) and "do these two adjacent tokens merge, and
//! into what?" (rank pair -> rank). Both are answered by [`U64Map`], an
//! open-addressing hash table from `u64` keys to ranks: one multiply to hash,
//! linear probing, key and value side by side so a hit costs one cache line.
//!
//! - Byte strings of up to 7 bytes are packed into a `u64` (bytes + length),
//!   so the common lookups hash no variable-length data at all; longer ones
//!   go to an `FxHashMap` (see [`RankTable`]).
//! - Pairs are keyed `left << 32 | right` ([`PairTable`]). It holds every
//!   pair of tokens whose concatenation is a token, so merging two adjacent
//!   parts is one lookup on their ranks; this is exactly tiktoken's "look the
//!   concatenated bytes up", because every part is always a token.

use rustc_hash::FxHashMap;

use crate::vocab::Rank;

const EMPTY: u64 = u64::MAX;

#[derive(Clone, Copy)]
#[repr(C)]
struct Slot {
    key: u64,
    val: Rank,
}

/// Open-addressing hash map `u64 -> Rank` (key `u64::MAX` is reserved).
#[derive(Clone)]
pub(crate) struct U64Map {
    slots: Box<[Slot]>,
    shift: u32,
    mask: usize,
    len: usize,
}

impl U64Map {
    /// A map sized for `n` keys (load factor at most 1/2).
    pub(crate) fn with_capacity(n: usize) -> U64Map {
        let cap = (n.max(4) * 2).next_power_of_two();
        U64Map {
            slots: vec![Slot { key: EMPTY, val: 0 }; cap].into_boxed_slice(),
            shift: 64 - cap.trailing_zeros(),
            mask: cap - 1,
            len: 0,
        }
    }

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        let h = (key ^ (key >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> self.shift) as usize
    }

    /// Insert or overwrite. Grows when over half full.
    pub(crate) fn insert(&mut self, key: u64, val: Rank) {
        debug_assert_ne!(key, EMPTY);
        if (self.len + 1) * 2 > self.slots.len() {
            let mut bigger = U64Map::with_capacity(self.slots.len());
            for s in self.slots.iter().filter(|s| s.key != EMPTY) {
                bigger.insert(s.key, s.val);
            }
            *self = bigger;
        }
        let mut i = self.home(key);
        loop {
            let slot = &mut self.slots[i];
            if slot.key == EMPTY {
                *slot = Slot { key, val };
                self.len += 1;
                return;
            }
            if slot.key == key {
                slot.val = val;
                return;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The value for `key`.
    #[inline(always)]
    pub(crate) fn get(&self, key: u64) -> Option<Rank> {
        let mut i = self.home(key);
        loop {
            // SAFETY-free: `i` is always masked into range.
            let slot = self.slots[i];
            if slot.key == key {
                return Some(slot.val);
            }
            if slot.key == EMPTY {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// Pack up to 7 bytes and their length into a `u64`.
#[inline(always)]
pub(crate) fn short_key(bytes: &[u8]) -> u64 {
    debug_assert!(bytes.len() <= 7);
    let mut buf = [0u8; 8];
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[7] = bytes.len() as u8;
    u64::from_le_bytes(buf)
}

/// Bytes -> rank for whole pieces.
#[derive(Clone)]
pub(crate) struct RankTable {
    short: U64Map,
    long: FxHashMap<Box<[u8]>, Rank>,
    /// Rank of each single byte (`Rank::MAX` when the byte is not a token).
    pub(crate) byte_rank: [Rank; 256],
}

impl RankTable {
    pub(crate) fn new<'a>(tokens: impl Iterator<Item = (&'a [u8], Rank)> + Clone) -> RankTable {
        let n_short = tokens.clone().filter(|(b, _)| b.len() <= 7).count();
        let mut short = U64Map::with_capacity(n_short);
        let mut long = FxHashMap::default();
        let mut byte_rank = [Rank::MAX; 256];
        for (bytes, rank) in tokens {
            if bytes.len() == 1 {
                byte_rank[bytes[0] as usize] = rank;
            }
            if bytes.len() <= 7 {
                short.insert(short_key(bytes), rank);
            } else {
                long.insert(bytes.into(), rank);
            }
        }
        RankTable {
            short,
            long,
            byte_rank,
        }
    }

    /// The rank of this byte string, if it is a token.
    #[inline(always)]
    pub(crate) fn get(&self, bytes: &[u8]) -> Option<Rank> {
        if bytes.len() <= 7 {
            self.short.get(short_key(bytes))
        } else {
            self.long.get(bytes).copied()
        }
    }
}

/// (left rank, right rank) -> merged rank, for every pair of tokens whose
/// concatenation is a token.
#[derive(Clone)]
pub(crate) struct PairTable {
    map: U64Map,
}

impl PairTable {
    /// Every split of every token into two tokens (found in parallel:
    /// this is most of the time it takes to load a vocabulary).
    pub(crate) fn new<'a>(
        tokens: impl Iterator<Item = (&'a [u8], Rank)>,
        table: &RankTable,
    ) -> PairTable {
        use rayon::prelude::*;
        let tokens: Vec<(&[u8], Rank)> = tokens.filter(|t| t.0.len() > 1).collect();
        let found: Vec<(u64, Rank)> = tokens
            .par_chunks(4096)
            .flat_map_iter(|chunk| {
                let mut found = Vec::with_capacity(chunk.len() * 2);
                for &(bytes, rank) in chunk {
                    for k in 1..bytes.len() {
                        if let Some(l) = table.get(&bytes[..k]) {
                            if let Some(r) = table.get(&bytes[k..]) {
                                found.push((pair_key(l, r), rank));
                            }
                        }
                    }
                }
                found
            })
            .collect();
        let mut map = U64Map::with_capacity(found.len());
        for (key, rank) in found {
            map.insert(key, rank);
        }
        PairTable { map }
    }

    /// The rank of `left ++ right`, or `Rank::MAX` when it is not a token.
    #[inline(always)]
    pub(crate) fn get(&self, left: Rank, right: Rank) -> Rank {
        self.map.get(pair_key(left, right)).unwrap_or(Rank::MAX)
    }
}

#[inline(always)]
fn pair_key(l: Rank, r: Rank) -> u64 {
    ((l as u64) << 32) | r as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64map_grows_and_finds() {
        let mut m = U64Map::with_capacity(2);
        for k in 0..10_000u64 {
            m.insert(k * 7919, k as Rank);
        }
        for k in 0..10_000u64 {
            assert_eq!(m.get(k * 7919), Some(k as Rank));
        }
        assert_eq!(m.get(3), None);
    }

    #[test]
    fn short_keys_distinguish_length() {
        assert_ne!(short_key(b"a"), short_key(b"a\0"));
        assert_ne!(short_key(b""), short_key(b"\0"));
    }
}
