//! A per-call cache of merged pieces.
//!
//! Natural text repeats its words: in the SciFact corpus, 156,469 of the
//! 1,407,368 o200k_base pieces are not a single token and need merging, but
//! only 32,802 of those are distinct. [`PieceCache`] remembers the ids of the
//! merged pieces of one `encode` call, so each distinct piece is merged
//! about once.
//!
//! It is direct-mapped, and each slot holds everything a hit needs in 32
//! bytes (half a cache line): the piece's bytes, packed like the rank
//! table's keys (16 bytes), and its ids, up to five of 21 bits each with
//! their number (16 bytes). So it caches pieces of up to 15 bytes that
//! merge into at most 5 tokens, which is nearly all of them in real text;
//! longer ones are simply merged every time.
//!
//! # Five ids, not three
//!
//! The slot used to hold three ids as plain `u32`s. Tiny shakespeare
//! (o200k_base) has 26,947 lookups of multi-token pieces of up to 15
//! bytes, 8,238 of them distinct; 2,894 are pieces of 4 or 5 tokens (221
//! distinct, mostly the speakers' names in capitals, such as
//! "GLOUCESTER"), which three ids could not hold, so each of them was
//! merged again every time. With five packed ids the cache answers 17,463
//! lookups instead of 14,833, and the encoder merges 9,484 pieces instead
//! of 12,114. Callgrind (`bench/profile_encode.sh`): instructions 69.1M ->
//! 66.0M and mispredictions 0.58M -> 0.53M (o200k_base), 65.4M -> 62.5M
//! (cl100k_base), SciFact 396.6M -> 385.1M (o200k_base), L2 misses
//! unchanged. Wall clock, alternating builds (`bench/ab_encode.py
//! --wall`, load average 0.9-1.4): tiny shakespeare 1.028x (o200k_base,
//! 100 pairs, quartiles 0.99-1.07) and 1.063x (cl100k_base, 60 pairs,
//! quartiles 0.90-1.20), SciFact 1.007x (o200k_base, 40 pairs, quartiles
//! 0.92-1.10). A vocabulary with ids of 2^21 or more (none of OpenAI's
//! has) simply caches none of the pieces that have one.
//!
//! # Its size
//!
//! One slot per 256 bytes of text, from 1,024 slots (32 KB) to 32,768
//! (1 MB). It was one per 128 bytes up to 65,536 slots, which gave tiny
//! shakespeare (1.1 MB) a 512 KB cache, half of a core's 1 MiB L2, and
//! SciFact (7.8 MB) 2 MB. With 8,192 slots (256 KB) tiny shakespeare
//! encodes 4-6% faster on one thread and 6.6-7.7% faster on two
//! (gpt2, cl100k_base and o200k_base, `encode_ordinary_batch` on 64 chunks,
//! both sizes in one rotation for 50 s each, load average 1.1-1.4): the
//! smaller cache leaves more of the L2 to the tables. Callgrind (1 MiB last
//! level, `bench/profile_encode.sh`) agrees on the misses: L2 misses
//! 125,000 -> 118,000 (o200k_base) and 104,000 -> 97,000 (cl100k_base),
//! for 1% more instructions (68.4M -> 69.1M; 64.8M -> 65.4M). On SciFact a
//! smaller cache merges more: 8,192 slots cost 7% more instructions
//! (o200k_base 391.2M -> 418.8M) with no fewer misses, 32,768 slots 1.4%
//! (396.6M, misses 816,000 -> 811,000; cl100k_base 385.5M -> 391.4M,
//! 722,000 -> 710,000), hence the upper bound.

use super::table::{Key, Packed};
use crate::vocab::Rank;

/// Most ids a slot holds: five ids of 21 bits and their number fit in the
/// 16 bytes beside the key.
const MAX_IDS: usize = 5;
/// Bits per packed id; pieces with a larger id are not cached.
const ID_BITS: u32 = 21;
const ID_MASK: u128 = (1 << ID_BITS) - 1;
/// Where the number of ids sits in a slot's `ids`.
const COUNT_SHIFT: u32 = ID_BITS * MAX_IDS as u32;
/// Text bytes per slot (see "Its size" above).
const BYTES_PER_SLOT: usize = 256;
/// Slots: about one per [`BYTES_PER_SLOT`] of text, between these bounds.
const MIN_SLOTS: usize = 1 << 10;
const MAX_SLOTS: usize = 1 << 15;

#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    key: [u64; 2],
    /// Up to [`MAX_IDS`] ids of [`ID_BITS`] each, then their number.
    ids: u128,
}

const EMPTY: Slot = Slot {
    key: <[u64; 2]>::EMPTY,
    ids: 0,
};

/// Direct-mapped `piece -> ids` for pieces that needed merging.
pub(crate) struct PieceCache {
    slots: Box<[Slot]>,
    shift: u32,
}

impl PieceCache {
    /// A cache sized for a text of `text_len` bytes.
    pub(crate) fn new(text_len: usize) -> PieceCache {
        let n = (text_len / BYTES_PER_SLOT)
            .next_power_of_two()
            .clamp(MIN_SLOTS, MAX_SLOTS);
        PieceCache {
            slots: vec![EMPTY; n].into_boxed_slice(),
            shift: 64 - n.trailing_zeros(),
        }
    }

    #[inline(always)]
    fn slot(&self, key: [u64; 2]) -> usize {
        (key.hash() >> self.shift) as usize
    }

    /// Append the cached ids of the piece whose key is `key` to `out`;
    /// false if it is not cached.
    #[inline]
    pub(crate) fn get_into(&self, key: Packed, out: &mut Vec<Rank>) -> bool {
        let Some(key) = key.words() else {
            return false;
        };
        let slot = &self.slots[self.slot(key)];
        if slot.key != key {
            return false;
        }
        let p = slot.ids;
        let ids: [Rank; MAX_IDS] =
            std::array::from_fn(|j| ((p >> (ID_BITS * j as u32)) & ID_MASK) as Rank);
        out.extend_from_slice(&ids[..(p >> COUNT_SHIFT) as usize]);
        true
    }

    /// Remember the ids of the piece whose key is `key` (if they fit).
    #[inline]
    pub(crate) fn put(&mut self, key: Packed, ids: &[Rank]) {
        let Some(key) = key.words() else {
            return;
        };
        if ids.len() > MAX_IDS || ids.iter().any(|&r| r as u128 > ID_MASK) {
            return;
        }
        let packed = ids
            .iter()
            .rev()
            .fold(0u128, |p, &r| p << ID_BITS | r as u128);
        let i = self.slot(key);
        self.slots[i] = Slot {
            key,
            ids: packed | (ids.len() as u128) << COUNT_SHIFT,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_short_pieces_only() {
        let k = |b: &[u8]| Packed::of(b, 0, b.len());
        let get = |c: &PieceCache, b: &[u8]| {
            let mut out = vec![7];
            c.get_into(k(b), &mut out).then(|| out[1..].to_vec())
        };
        let top = ID_MASK as Rank;
        let mut c = PieceCache::new(0);
        assert_eq!(get(&c, b"hello"), None);
        c.put(k(b"hello"), &[1, 2]);
        c.put(k(b"fifteen bytes!!"), &[3, 4, 5]);
        c.put(k(b"sixteen bytes!!!"), &[6, 7]);
        c.put(k(b"five"), &[top, 0, 1, 199_999, top]);
        c.put(k(b"six"), &[1, 2, 3, 4, 5, 6]);
        c.put(k(b"wide"), &[1, top + 1]);
        assert_eq!(get(&c, b"hello"), Some(vec![1, 2]));
        assert_eq!(get(&c, b"fifteen bytes!!"), Some(vec![3, 4, 5]));
        assert_eq!(get(&c, b"sixteen bytes!!!"), None);
        assert_eq!(get(&c, b"five"), Some(vec![top, 0, 1, 199_999, top]));
        assert_eq!(get(&c, b"six"), None);
        assert_eq!(get(&c, b"wide"), None);
        assert_eq!(get(&c, b"hell"), None);
        assert_eq!(get(&c, b""), None);
    }
}
