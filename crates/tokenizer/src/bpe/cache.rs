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

use super::table::{Key, Packed};
use crate::vocab::Rank;

/// Most ids a slot holds.
const MAX_IDS: usize = 3;
/// Slots: about one per 128 bytes of text, between these bounds.
const MIN_SLOTS: usize = 1 << 10;
const MAX_SLOTS: usize = 1 << 16;

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
        let n = (text_len / 128)
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
