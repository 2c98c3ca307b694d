//! Byte-pair merging of one piece, exactly in tiktoken's order: start from
//! single bytes, and repeatedly merge the adjacent pair whose concatenation
//! has the lowest rank (the leftmost such pair on ties) until no adjacent
//! pair is a token.
//!
//! Two implementations of the same order:
//! - [`merge_short`]: tiktoken's array scan, O(n·m) for n bytes and m merges,
//!   fastest for the short pieces that real text is made of;
//! - [`merge_long`]: a doubly linked list of parts and a min-heap of
//!   candidate pairs, O(n log n), so a megabyte-long piece (one letter
//!   repeated, base64, a CJK run) is never quadratic.
//!
//! Long pieces normally skip both: [`Backtrack`] (in `backtrack.rs`) finds
//! the same tokens by a linear-time search, 10-30x faster than `merge_long`
//! on megabyte pieces. `merge_long` stays for vocabularies whose ranks are
//! not a merge order the search can rely on, and as its reference in tests.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::backtrack::Backtrack;
use super::cache::PieceCache;
use super::table::{PairTable, RankTable};
use crate::vocab::Rank;

/// Pieces longer than this use [`Backtrack`] (or [`merge_long`]).
pub(crate) const LONG_PIECE: usize = 128;

/// Texts shorter than this get no piece cache: too few pieces repeat to
/// pay for the cache's table.
const CACHE_MIN_TEXT: usize = 1 << 14;

/// Buffers reused from piece to piece (no allocation per piece).
#[derive(Default)]
pub(crate) struct Scratch {
    /// `merge_short`: (token rank of the part, rank of merging it with the next part).
    parts: Vec<(Rank, Rank)>,
    /// `merge_long`: per byte position.
    rank: Vec<Rank>,
    pair: Vec<Rank>,
    next: Vec<u32>,
    prev: Vec<u32>,
    heap: BinaryHeap<Reverse<u64>>,
    /// `Backtrack::encode`: one bit per byte position.
    pub(crate) dead: Vec<u64>,
    /// Results of recent multi-token pieces (set for long texts only).
    pub(crate) cache: Option<PieceCache>,
}

impl Scratch {
    /// Scratch buffers; with a piece cache when the text is long enough for
    /// pieces to repeat (a cache costs a table of at least 32 KB per call).
    pub(crate) fn for_text_len(len: usize) -> Scratch {
        Scratch {
            cache: (len >= CACHE_MIN_TEXT).then(|| PieceCache::new(len)),
            ..Scratch::default()
        }
    }
}

/// Merge `piece` (at least 2 bytes) and append the ranks to `out`.
///
/// Long pieces go to the backtracking search ([`Backtrack`], linear time)
/// when `backtrack` gives one for this vocabulary, else to [`merge_long`].
#[inline]
pub(crate) fn merge<'a>(
    piece: &[u8],
    table: &RankTable,
    pairs: &PairTable,
    backtrack: impl FnOnce() -> Option<&'a Backtrack>,
    scratch: &mut Scratch,
    out: &mut Vec<Rank>,
) {
    if piece.len() <= LONG_PIECE {
        merge_short(piece, table, pairs, scratch, out)
    } else if !backtrack().is_some_and(|b| b.encode(piece, &mut scratch.dead, out)) {
        merge_long(piece, table, pairs, scratch, out)
    }
}

/// tiktoken's algorithm on ranks: scan for the lowest pair, merge it, update
/// the two neighbouring pairs (see [`short_merge`]).
pub(crate) fn merge_short(
    piece: &[u8],
    table: &RankTable,
    pairs: &PairTable,
    scratch: &mut Scratch,
    out: &mut Vec<Rank>,
) {
    let parts = &mut scratch.parts;
    let m = short_merge::<1>(piece, &table.byte_rank, parts, |l, r| pairs.get(l, r));
    out.extend(parts[..m].iter().map(|p| p.0));
}

/// The short merge, the one implementation of tiktoken's merge order that
/// the encoder ([`merge_short`]), the long-piece search (`backtrack.rs`,
/// which asks how a token splits) and vocabulary conversion
/// ([`Ranks::merges`](crate::vocab::Ranks::merges), which asks the same
/// with only the lower ranks) share.
///
/// `piece` (at least one byte) starts as its bytes (`byte_rank[b]` each);
/// `pair(l, r)` is the rank of the token `l ++ r`, or `Rank::MAX` when there
/// is none (or it must not be used). The adjacent pair with the lowest rank
/// (leftmost on ties) is merged, again and again, until no pair merges or
/// only `MIN_PARTS` parts are left (a constant, so the encoder's loop, with
/// 1, has no extra test). Returns the number of parts `m`; then `parts[i]`
/// for `i < m` = (rank of part i, rank of merging it with part `i + 1`),
/// the last one's pair rank `Rank::MAX` (what lies beyond `m` is garbage).
#[inline(always)]
pub(crate) fn short_merge<const MIN_PARTS: usize>(
    piece: &[u8],
    byte_rank: &[Rank; 256],
    parts: &mut Vec<(Rank, Rank)>,
    pair: impl Fn(Rank, Rank) -> Rank,
) -> usize {
    parts.clear();
    parts.extend(piece.iter().map(|&b| (byte_rank[b as usize], Rank::MAX)));
    let mut m = parts.len();
    for i in 0..m - 1 {
        parts[i].1 = pair(parts[i].0, parts[i + 1].0);
    }
    loop {
        if MIN_PARTS > 1 && m <= MIN_PARTS {
            break;
        }
        // The lowest pair, leftmost on ties; as one `u64` compare per part
        // (pair rank above, position below) so the scan has no branches.
        let mut best = Rank::MAX;
        let mut at = 0;
        for (i, p) in parts[..m - 1].iter().enumerate() {
            if p.1 < best {
                best = p.1;
                at = i;
            }
        }
        if best == Rank::MAX {
            break;
        }
        // Part `at + 1` joins part `at`: shift the rest down by one.
        parts[at].0 = best;
        for j in at + 1..m - 1 {
            parts[j] = parts[j + 1];
        }
        m -= 1;
        parts[at].1 = if at + 1 < m {
            pair(best, parts[at + 1].0)
        } else {
            Rank::MAX
        };
        if at > 0 {
            parts[at - 1].1 = pair(parts[at - 1].0, best);
        }
    }
    m
}

const NONE: u32 = u32::MAX;

/// The same merge order with a linked list and a lazy min-heap keyed by
/// (pair rank, position): stale entries are skipped when popped.
pub(crate) fn merge_long(
    piece: &[u8],
    table: &RankTable,
    pairs: &PairTable,
    scratch: &mut Scratch,
    out: &mut Vec<Rank>,
) {
    let n = piece.len();
    let Scratch {
        rank,
        pair,
        next,
        prev,
        heap,
        ..
    } = scratch;
    rank.clear();
    rank.extend(piece.iter().map(|&b| table.byte_rank[b as usize]));
    next.clear();
    next.extend((1..=n as u32).map(|i| if i as usize == n { NONE } else { i }));
    prev.clear();
    prev.extend((0..n as u32).map(|i| if i == 0 { NONE } else { i - 1 }));
    pair.clear();
    pair.resize(n, Rank::MAX);
    // Build the heap in O(n) from all initial pairs (heapify, not n pushes).
    let mut initial = std::mem::take(heap).into_vec();
    initial.clear();
    for i in 0..n - 1 {
        let p = pairs.get(rank[i], rank[i + 1]);
        pair[i] = p;
        if p != Rank::MAX {
            initial.push(Reverse(((p as u64) << 32) | i as u64));
        }
    }
    *heap = BinaryHeap::from(initial);
    while let Some(Reverse(entry)) = heap.pop() {
        let p = (entry >> 32) as Rank;
        let i = (entry & 0xFFFF_FFFF) as usize;
        // Stale: part `i` was merged away (its pair reset) or its pair changed.
        if pair[i] != p {
            continue;
        }
        let j = next[i] as usize;
        // Merge part j into part i.
        rank[i] = p;
        let k = next[j];
        next[i] = k;
        if k != NONE {
            prev[k as usize] = i as u32;
        }
        pair[j] = Rank::MAX;
        pair[i] = if k != NONE {
            pairs.get(p, rank[k as usize])
        } else {
            Rank::MAX
        };
        if pair[i] != Rank::MAX {
            heap.push(Reverse(((pair[i] as u64) << 32) | i as u64));
        }
        let h = prev[i];
        if h != NONE {
            let h = h as usize;
            pair[h] = pairs.get(rank[h], p);
            if pair[h] != Rank::MAX {
                heap.push(Reverse(((pair[h] as u64) << 32) | h as u64));
            }
        }
    }
    let mut i = 0u32;
    while i != NONE {
        out.push(rank[i as usize]);
        i = next[i as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(tokens: &[&[u8]]) -> (RankTable, PairTable) {
        let mut all: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        all.extend(tokens.iter().map(|t| t.to_vec()));
        let it = all
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_slice(), i as Rank));
        let table = RankTable::new(it.clone());
        let pairs = PairTable::new(it, &table);
        (table, pairs)
    }

    #[test]
    fn short_and_long_agree() {
        let (t, p) = tables(&[b"ab", b"bc", b"abc", b"aa", b"aaaa", b"cab"]);
        let mut s = Scratch::default();
        for text in [&b"abcabcaaaaabab"[..], b"aaaaaaa", b"bcbcabca", b"ab"] {
            let (mut a, mut b) = (vec![], vec![]);
            merge_short(text, &t, &p, &mut s, &mut a);
            merge_long(text, &t, &p, &mut s, &mut b);
            assert_eq!(a, b, "{:?}", String::from_utf8_lossy(text));
        }
        let mut a = vec![];
        merge_short(b"aaaaaaa", &t, &p, &mut s, &mut a);
        // "aa"=256+3, "aaaa"=256+4: aa aa aa a -> aaaa aa a
        assert_eq!(a, vec![260, 259, b'a' as Rank]);
    }
}
