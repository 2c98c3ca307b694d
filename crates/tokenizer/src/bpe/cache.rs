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
//! table's keys, and its ids. So it caches pieces of up to 15 bytes that
//! merge into at most 3 tokens, which is nearly all of them in real text;
//! longer ones are simply merged every time.
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

/// Most ids a slot holds.
const MAX_IDS: usize = 3;
/// Text bytes per slot (see "Its size" above).
const BYTES_PER_SLOT: usize = 256;
/// Slots: about one per [`BYTES_PER_SLOT`] of text, between these bounds.
const MIN_SLOTS: usize = 1 << 10;
const MAX_SLOTS: usize = 1 << 15;

#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    key: [u64; 2],
    ids: [Rank; MAX_IDS],
    n: u32,
}

const EMPTY: Slot = Slot {
    key: <[u64; 2]>::EMPTY,
    ids: [0; MAX_IDS],
    n: 0,
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

    /// The cached ids of the piece whose key is `key`.
    #[inline]
    pub(crate) fn get(&self, key: Packed) -> Option<&[Rank]> {
        let key = key.words()?;
        let slot = &self.slots[self.slot(key)];
        (slot.key == key).then(|| &slot.ids[..slot.n as usize])
    }

    /// Remember the ids of the piece whose key is `key` (if they fit).
    #[inline]
    pub(crate) fn put(&mut self, key: Packed, ids: &[Rank]) {
        let Some(key) = key.words() else {
            return;
        };
        if ids.len() > MAX_IDS {
            return;
        }
        let i = self.slot(key);
        let slot = &mut self.slots[i];
        slot.key = key;
        slot.ids[..ids.len()].copy_from_slice(ids);
        slot.n = ids.len() as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_short_pieces_only() {
        let k = |b: &[u8]| Packed::of(b, 0, b.len());
        let mut c = PieceCache::new(0);
        assert_eq!(c.get(k(b"hello")), None);
        c.put(k(b"hello"), &[1, 2]);
        c.put(k(b"fifteen bytes!!"), &[3, 4, 5]);
        c.put(k(b"sixteen bytes!!!"), &[6, 7]);
        c.put(k(b"four"), &[1, 2, 3, 4]);
        assert_eq!(c.get(k(b"hello")), Some(&[1, 2][..]));
        assert_eq!(c.get(k(b"fifteen bytes!!")), Some(&[3, 4, 5][..]));
        assert_eq!(c.get(k(b"sixteen bytes!!!")), None);
        assert_eq!(c.get(k(b"four")), None);
        assert_eq!(c.get(k(b"hell")), None);
        assert_eq!(c.get(k(b"")), None);
    }
}
