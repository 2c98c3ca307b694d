//! Linear-time merging of long pieces: find tiktoken's tokens directly,
//! left to right, instead of replaying the merges.
//!
//! Replaying tiktoken's merges on an n-byte piece costs O(n log n) with a
//! heap ([`merge_long`](super::apply::merge_long)) and a lot of memory
//! traffic per byte. This module gets the same ids by *searching* for them,
//! the way GitHub's `bpe` crate (Hendrik van Antwerpen and Alexander
//! Neubeck, MIT) does: a depth-first search over token sequences that
//! tries the longest token first, keeps a token only if it "fits" the one
//! before it, and remembers positions from which nothing fits. Each byte
//! position is entered at most once, so the work is linear in the piece
//! length times a small factor (the prefix tokens tried at a position and
//! the depth of the pair check).
//!
//! # Why the search finds tiktoken's tokens
//!
//! Write BPE(s) for tiktoken's tokens of the byte string s, and call two
//! tokens `a`, `b` a *valid pair* when BPE(a ++ b) = [a, b]: encoded on
//! their own, their bytes stay those two tokens.
//!
//! 1. **Cut lemma** (any vocabulary). If a cut at byte p lies between two
//!    tokens of BPE(s), then BPE(s) = BPE(s\[..p\]) ++ BPE(s\[p..\]): no
//!    merge ever crossed p, and the merges on each side happen in the order
//!    each side alone would do them (tiktoken always merges the leftmost
//!    lowest pair, which is also the leftmost lowest pair of its side).
//!    So every adjacent pair of BPE(s) is valid, and every token t in it
//!    *encodes to itself*: BPE(t) = \[t\].
//! 2. **Canonical split.** The same argument shows that whenever two parts
//!    x, y are adjacent at some moment of *any* merge, and x ++ y is a token
//!    t, then merging t's bytes alone passes through exactly \[x, y\] just
//!    before its last merge. So (x, y) is the *canonical split* of t: the
//!    last merge of BPE(t), found here by running tiktoken's merge on each
//!    token's bytes once.
//! 3. **Levels.** If every token t is ranked after each multi-byte half of
//!    its canonical split (`rank(x) < rank(t)` when x is not a single byte,
//!    the same for y; checked when the structure is built), then by 2 a
//!    merge into rank r only creates pairs of rank > r (the new pairs hold
//!    the new, multi-byte part). The merged ranks therefore never decrease:
//!    tiktoken works level by level, and at level r it merges the rank-r
//!    pairs from left to right. Single bytes are there from the start,
//!    whatever their rank.
//! 4. **Uniqueness.** With 3, a sequence of self-encoding tokens whose
//!    adjacent pairs are all valid *is* BPE of its bytes (by induction on
//!    the level: no merge crosses a boundary between two tokens at level r,
//!    because the same merge would then cross it in the pair alone). So
//!    BPE(s) is the one and only such sequence, and so is BPE(s\[..p\]) for
//!    every prefix.
//! 5. **The search.** Going left to right, the search keeps a stack of
//!    tokens whose pairs are all valid; by 4 the stack at byte p is always
//!    BPE(s\[..p\]), however the search got there. So when no token can
//!    follow it from p, no encoding of s has a cut at p: the position is
//!    marked dead (a bit) and never tried again. The first sequence that
//!    reaches the end is BPE(s).
//!
//! # Checking a pair without merging
//!
//! `Backtrack::is_valid_pair` decides BPE(a ++ b) = \[a, b\] in a few
//! table lookups. Merged on its own, `a` is built by its canonical-split
//! tree, and so is `b`; the only question is whether the two parts that
//! meet at the cut ever merge. Walk back in time from (a, b): undo the
//! later of the two merges that formed the parts at the cut (the higher
//! rank; on a tie the right one, which tiktoken merges second), which
//! exposes the right half of the left part or the left half of the right
//! part. Each pair (x, y) met on the way was at the cut from the time its
//! younger part was formed until the merge just undone (level `limit`), so
//! it must not merge before that: x ++ y must not be a token ranked below
//! `limit` (`limit` is the undone rank when the left part was undone, since
//! at that level the left merge happens first; one more than it when the
//! right part was undone, since then the cut pair is to the left and would
//! win a tie). When both parts are single bytes the pair is valid.
//!
//! "Is x ++ y a token" only needs the canonical splits, not every way of
//! cutting a token in two: if the pair really meets at the cut, step 2
//! says x ++ y can only merge as its canonical split; and if an earlier
//! pair on the walk already merged for real, the walk reaches that pair
//! and answers "not valid" whatever it saw before. The canonical splits
//! (one per token) sit in a hash map behind a Bloom filter of 8 bits per
//! token, which answers most lookups (pairs that are no split) from cache.
//!
//! # Vocabularies it does not fit
//!
//! A `.tiktoken` file may rank tokens in any order. The structure is only
//! built when the condition of step 3 holds for every token that encodes to
//! itself; otherwise `Backtrack::new` returns `None` and long pieces keep
//! using `merge_long` (which follows tiktoken's order for any ranks). For
//! example, with "cca" ranked before "cc", tiktoken encodes "cccca" by
//! merging cc, cc, then cc + a into the *lower* rank "cca": not a level
//! order, and the search would answer differently. Gaps in the ranks, and
//! single bytes ranked anywhere, do not matter. Tokens that do not encode to themselves (no merge order builds
//! them) can never be one of several tokens of a piece (step 1), so the
//! search never proposes them; a piece that *is* such a token is looked up
//! whole before any merging, as tiktoken does. OpenAI's vocabularies (r50k,
//! p50k, cl100k, o200k) all pass the check.
//!
//! # Finding the candidate tokens
//!
//! The longest token that starts at a position is found by walking a
//! double-array trie of the tokens that encode to themselves (one array
//! read per byte: the child of the node in cell `c` for byte `b` is in
//! cell `base[c] + b` if that cell's `check` is `c`). The next shorter
//! candidates come from a table (`next_prefix`: the longest proper prefix
//! of each token that is a usable token).
//!
//! # Cost
//!
//! Each byte position is entered at most once (when the search leaves it
//! for good it is dead), and at each one the search tries at most the
//! prefix tokens there, each with a pair check as deep as the two merge
//! trees: linear in the piece length, with a constant that depends on the
//! vocabulary. On short pieces the array scan of `merge_short` is as fast
//! or faster (runs of 65..128 spaces: 2.5x faster), so only pieces longer
//! than [`LONG_PIECE`](super::apply::LONG_PIECE) bytes come here.
//!
//! The structure is built the first time such a piece is encoded, so
//! loading a vocabulary costs nothing extra. Building it takes about 25 ms
//! for r50k/p50k, 60 ms for cl100k and 160 ms for o200k (measured on a busy
//! 2-core machine; the canonical splits are found on all cores) and holds
//! about 4, 9 and 17 MB.

use super::apply::short_merge;
use super::table::{Bloom, PairTable, RankTable};
use crate::vocab::Rank;
use towel_data::pages::Pages;

/// Marks "no token" / "no node" in the tables below.
const NONE: u32 = u32::MAX;

/// Per-rank facts the search needs.
#[derive(Clone, Copy)]
struct Info {
    /// Canonical split (`NONE` for single bytes and unusable ranks).
    left: Rank,
    right: Rank,
    /// The longest proper prefix of this token that is a usable token
    /// (`NONE` for single bytes).
    next_prefix: Rank,
    /// Byte length (0 for ranks the search never proposes).
    len: u32,
}

const NO_INFO: Info = Info {
    left: NONE,
    right: NONE,
    next_prefix: NONE,
    len: 0,
};

/// One cell of the double-array trie. The cell of a node's child for byte
/// `b` is `base + b`, and it belongs to that node iff its `check` is the
/// node's cell.
#[derive(Clone, Copy)]
struct Cell {
    base: u32,
    check: u32,
    /// The usable token spelled by the path to this node, or `NONE`.
    token: Rank,
}

const FREE: Cell = Cell {
    base: 0,
    check: NONE,
    token: NONE,
};

/// The backtracking encoder of one vocabulary (see the module docs).
#[derive(Clone)]
pub(crate) struct Backtrack {
    /// Per rank: canonical split (left, right), read by the pair check.
    halves: Pages<(Rank, Rank)>,
    /// Per rank: (next_prefix, byte length), read by the search.
    steps: Pages<(Rank, u32)>,
    /// Canonical split -> token, for every usable multi-byte token.
    splits: SplitMap,
    /// The trie of the usable tokens (root: cell 0).
    cells: Pages<Cell>,
}

impl Backtrack {
    /// The search structure for these tokens, or `None` when the vocabulary
    /// does not rank every self-encoding token after both halves of its
    /// canonical split (then the search would not give tiktoken's result).
    ///
    /// `tokens` are every `(bytes, rank)` of the vocabulary; `table` and
    /// `pairs` are built from the same tokens.
    pub(crate) fn new<'a>(
        tokens: impl Iterator<Item = (&'a [u8], Rank)>,
        table: &RankTable,
        pairs: &PairTable,
    ) -> Option<Backtrack> {
        let tokens: Vec<(&[u8], Rank)> = tokens.collect();
        let max_rank = tokens.iter().map(|t| t.1).max()?;
        // Canonical splits, on plain threads rather than rayon's: this runs
        // inside a OnceLock initializer, possibly on a rayon worker of
        // `encode_ordinary_batch`, and a worker waiting in a rayon join may
        // pick up another text's task that waits for this same OnceLock.
        // None = the vocabulary fails the check of step 3.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let chunk = tokens.len().div_ceil(threads).max(1);
        let splits: Vec<Option<Usable>> = std::thread::scope(|scope| {
            let parts: Vec<_> = tokens
                .chunks(chunk)
                .map(|chunk| {
                    scope.spawn(move || {
                        let mut parts = Vec::new();
                        chunk
                            .iter()
                            .map(|&(bytes, rank)| classify(bytes, rank, table, pairs, &mut parts))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|h| h.join().expect("classify does not panic"))
                .collect()
        });
        let mut info = vec![NO_INFO; max_rank as usize + 1];
        let mut usable: Vec<(&[u8], Rank)> = Vec::with_capacity(tokens.len());
        for (&(bytes, rank), split) in tokens.iter().zip(&splits) {
            match split {
                None => return None,
                Some(Usable::No) => {}
                Some(Usable::Byte) => {
                    info[rank as usize].len = 1;
                    usable.push((bytes, rank));
                }
                Some(Usable::Split(l, r)) => {
                    info[rank as usize] = Info {
                        left: *l,
                        right: *r,
                        next_prefix: NONE,
                        len: bytes.len() as u32,
                    };
                    usable.push((bytes, rank));
                }
            }
        }
        // Every byte must be a usable token (CoreBpe guarantees the ranks).
        if (0..=255u8).any(|b| info[table.byte_rank[b as usize] as usize].len != 1) {
            return None;
        }
        let mut splits = SplitMap::with_capacity(usable.len());
        for &(_, rank) in &usable {
            let i = info[rank as usize];
            if i.left != NONE {
                splits.insert(i.left, i.right, rank);
            }
        }
        usable.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let cells = build_trie(&usable, &mut info);
        Some(Backtrack {
            halves: Pages::from_slice(&info.iter().map(|i| (i.left, i.right)).collect::<Vec<_>>()),
            steps: Pages::from_slice(
                &info
                    .iter()
                    .map(|i| (i.next_prefix, i.len))
                    .collect::<Vec<_>>(),
            ),
            splits,
            cells: Pages::from_slice(&cells),
        })
    }

    /// The longest usable token at the start of `text` (not empty).
    #[inline]
    fn longest_prefix(&self, text: &[u8]) -> Rank {
        let cells = &self.cells[..];
        // Every single byte is a usable token, so the first step always succeeds.
        let mut node = (cells[0].base + text[0] as u32) as usize;
        let mut best = cells[node].token;
        for &b in &text[1..] {
            // In bounds: build_trie leaves 256 free cells at the end.
            let child = cells[node].base as usize + b as usize;
            let c = cells[child];
            if c.check != node as u32 {
                break;
            }
            node = child;
            if c.token != NONE {
                best = c.token;
            }
        }
        best
    }

    /// Whether BPE(a ++ b) = \[a, b\] (see "Checking a pair" in the module
    /// docs). Both must be usable tokens.
    #[inline]
    fn is_valid_pair(&self, mut a: Rank, mut b: Rank) -> bool {
        // The pair at the cut must not merge below this level.
        let mut limit = Rank::MAX;
        loop {
            if self.splits.get(a, b) < limit {
                return false;
            }
            let (_, a_right) = self.halves[a as usize];
            let (b_left, _) = self.halves[b as usize];
            let a_merged = a_right != NONE;
            let b_merged = b_left != NONE;
            if b_merged && (!a_merged || b >= a) {
                // `b` was formed last: before that, its left half was at the cut.
                limit = b + 1;
                b = b_left;
            } else if a_merged {
                limit = a;
                a = a_right;
            } else {
                return true;
            }
        }
    }

    /// Append tiktoken's tokens of `piece` to `out`. `dead` is scratch
    /// space. Returns false (and leaves `out` as it was) only if the search
    /// fails, which the module docs show cannot happen; the caller then
    /// merges the piece the slow way.
    pub(crate) fn encode(&self, piece: &[u8], dead: &mut Vec<u64>, out: &mut Vec<Rank>) -> bool {
        let n = piece.len();
        if n == 0 {
            return true;
        }
        dead.clear();
        dead.resize(n / 64 + 1, 0);
        let start = out.len();
        let mut pos = 0;
        let mut token = self.longest_prefix(piece);
        loop {
            let (next_prefix, len) = self.steps[token as usize];
            let end = pos + len as usize;
            let fits = dead[end / 64] >> (end % 64) & 1 == 0
                && (out.len() == start || self.is_valid_pair(out[out.len() - 1], token));
            if fits {
                out.push(token);
                pos = end;
                if pos == n {
                    return true;
                }
                token = self.longest_prefix(&piece[pos..]);
            } else if next_prefix != NONE {
                token = next_prefix;
            } else {
                // Nothing fits at `pos`: it is not a cut of BPE(piece).
                if out.len() == start {
                    return false;
                }
                let last = out.pop().expect("the stack is not empty");
                dead[pos / 64] |= 1 << (pos % 64);
                pos -= self.steps[last as usize].1 as usize;
                // Retry the popped token: its end is dead now, so the
                // search moves on to its next shorter prefix.
                token = last;
            }
        }
    }
}

/// Open-addressing hash map (left, right) -> merged rank, behind a small
/// [`Bloom`] filter: most pairs the search asks about are not splits, and
/// the filter answers those from the CPU's L2 cache instead of a cache miss
/// in the map.
#[derive(Clone)]
struct SplitMap {
    filter: Bloom,
    /// (key, merged rank); key `EMPTY` = free.
    slots: Pages<(u64, Rank)>,
    shift: u32,
    mask: usize,
}

impl SplitMap {
    const EMPTY: u64 = u64::MAX;

    /// Room for `n` keys at a load factor of at most 1/2.
    fn with_capacity(n: usize) -> SplitMap {
        let cap = (n.max(4) * 2).next_power_of_two();
        SplitMap {
            filter: Bloom::with_capacity(n),
            slots: Pages::filled(cap, (Self::EMPTY, NONE)),
            shift: 64 - cap.trailing_zeros(),
            mask: cap - 1,
        }
    }

    #[inline(always)]
    fn hash(key: u64) -> u64 {
        (key ^ (key >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        (Self::hash(key) >> self.shift) as usize
    }

    fn insert(&mut self, left: Rank, right: Rank, merged: Rank) {
        let key = ((left as u64) << 32) | right as u64;
        self.filter.insert(key);
        let mut i = self.home(key);
        while self.slots[i].0 != Self::EMPTY && self.slots[i].0 != key {
            i = (i + 1) & self.mask;
        }
        self.slots[i] = (key, merged);
    }

    /// The rank `left` and `right` merge into, or `Rank::MAX`.
    #[inline(always)]
    fn get(&self, left: Rank, right: Rank) -> Rank {
        let key = ((left as u64) << 32) | right as u64;
        if !self.filter.may_contain(key) {
            return Rank::MAX;
        }
        let mut i = self.home(key);
        loop {
            let (k, merged) = self.slots[i];
            if k == key {
                return merged;
            }
            if k == Self::EMPTY {
                return Rank::MAX;
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// What the search may do with one rank.
enum Usable {
    /// Never propose it (it does not encode to itself).
    No,
    /// A single byte.
    Byte,
    /// A token that encodes to itself, with its canonical split.
    Split(Rank, Rank),
}

/// Merge `bytes` the tiktoken way and report how the last merge made
/// `rank`; `None` when a multi-byte half is ranked after the token (the
/// check of step 3 in the module docs).
fn classify(
    bytes: &[u8],
    rank: Rank,
    table: &RankTable,
    pairs: &PairTable,
    parts: &mut Vec<(Rank, Rank)>,
) -> Option<Usable> {
    if bytes.len() == 1 {
        let own = table.byte_rank[bytes[0] as usize] == rank;
        return Some(if own { Usable::Byte } else { Usable::No });
    }
    // The short merge (apply.rs), stopped at two parts.
    if short_merge::<2>(bytes, &table.byte_rank, parts, |l, r| pairs.get(l, r)) > 2 {
        return Some(Usable::No);
    }
    let (left, right) = (parts[0].0, parts[1].0);
    if parts[0].1 != rank {
        return Some(Usable::No);
    }
    // A single-byte half may have any rank (it is never formed by a merge).
    let left_ok = left < rank || left == table.byte_rank[bytes[0] as usize];
    let right_ok = right < rank || right == table.byte_rank[bytes[bytes.len() - 1] as usize];
    (left_ok && right_ok).then_some(Usable::Split(left, right))
}

/// The first cell at or after `from` whose bit in `taken` is clear.
fn next_free(taken: &[u64], from: usize) -> usize {
    let mut w = from / 64;
    let mut word = taken.get(w).map_or(0, |&t| !t) & (!0u64 << (from % 64));
    while word == 0 {
        w += 1;
        word = taken.get(w).map_or(!0, |&t| !t);
    }
    w * 64 + word.trailing_zeros() as usize
}

fn is_taken(taken: &[u64], cell: usize) -> bool {
    taken
        .get(cell / 64)
        .is_some_and(|&t| t >> (cell % 64) & 1 == 1)
}

/// The double-array trie of the usable tokens (sorted by bytes), built
/// breadth-first: each node gets the lowest `base` at which all its
/// children's cells are free. Fills `info[..].next_prefix`.
fn build_trie(usable: &[(&[u8], Rank)], info: &mut [Info]) -> Vec<Cell> {
    let mut cells = vec![FREE; 512];
    // The root is taken (and nobody's child: see below).
    cells[0].check = 0;
    // One bit per cell: taken.
    let mut taken: Vec<u64> = vec![1];
    let mut first_free = 1;
    // Nodes to place children for: (cell, range of `usable` below it,
    // depth, the nearest token on the path above it).
    let mut queue =
        std::collections::VecDeque::from([(0usize, 0usize, usable.len(), 0usize, NONE)]);
    let mut kids: Vec<(u8, usize, usize)> = Vec::with_capacity(256);
    while let Some((cell, mut lo, hi, depth, above)) = queue.pop_front() {
        // A token that ends here sorts first in its range.
        if lo < hi && usable[lo].0.len() == depth {
            let rank = usable[lo].1;
            cells[cell].token = rank;
            info[rank as usize].next_prefix = above;
            lo += 1;
        }
        let below = if cells[cell].token != NONE {
            cells[cell].token
        } else {
            above
        };
        kids.clear();
        while lo < hi {
            let b = usable[lo].0[depth];
            let end = lo + usable[lo..hi].partition_point(|t| t.0[depth] == b);
            kids.push((b, lo, end));
            lo = end;
        }
        if kids.is_empty() {
            continue; // a leaf: base 0 points at cells whose check is 0 or NONE
        }
        // The lowest base at which every child's cell is free: try the
        // free cells (found 64 at a time in the bitmap) for the first child.
        first_free = next_free(&taken, first_free);
        let mut from = first_free;
        let base = loop {
            let c = next_free(&taken, from);
            from = c + 1;
            let Some(base) = c.checked_sub(kids[0].0 as usize).filter(|&b| b >= 1) else {
                continue;
            };
            if kids[1..]
                .iter()
                .all(|k| !is_taken(&taken, base + k.0 as usize))
            {
                break base;
            }
        };
        if cells.len() < base + 512 {
            cells.resize(base + 512, FREE);
        }
        for k in &kids {
            let c = base + k.0 as usize;
            if taken.len() <= c / 64 {
                taken.resize(c / 64 + 1, 0);
            }
            taken[c / 64] |= 1 << (c % 64);
        }
        cells[cell].base = base as u32;
        for &(b, lo, end) in &kids {
            let child = base + b as usize;
            cells[child].check = cell as u32;
            queue.push_back((child, lo, end, depth + 1, below));
        }
    }
    // Trim to the last used cell, plus 256 free ones so `base + byte` of
    // any node stays in bounds.
    let used = cells.iter().rposition(|c| c.check != NONE).unwrap_or(0);
    cells.truncate(used + 1);
    cells.resize(used + 1 + 256, FREE);
    cells
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    use proptest::prelude::*;

    use super::*;
    use crate::bpe::apply::{merge_long, merge_short, Scratch};
    use crate::encodings::{Encoding, EncodingName};
    use crate::pretok::Pattern;
    use crate::vocab::Ranks;
    use crate::CoreBpe;

    /// Each named encoding loaded once per test binary (None without the data).
    fn encoding(name: EncodingName) -> Option<&'static Encoding> {
        static CACHE: OnceLock<Mutex<HashMap<EncodingName, &'static Encoding>>> = OnceLock::new();
        let dir = towel_data::testing::data_dir()?;
        let mut map = CACHE.get_or_init(Default::default).lock().unwrap();
        Some(*map.entry(name).or_insert_with(|| {
            let dirs = towel_data::DataDirs::with_data_dir(&dir);
            Box::leak(Box::new(Encoding::load_named(name, &dirs).unwrap()))
        }))
    }

    const NAMES: [EncodingName; 4] = [
        EncodingName::R50kBase,
        EncodingName::P50kBase,
        EncodingName::Cl100kBase,
        EncodingName::O200kBase,
    ];

    /// The search, `merge_long` and (for not too long pieces) `merge_short`
    /// give the same ranks.
    fn check_piece(bpe: &CoreBpe, piece: &[u8]) {
        let bt = bpe
            .backtrack()
            .expect("OpenAI's vocabularies fit the search");
        let mut s = Scratch::default();
        let mut reference = vec![];
        merge_long(piece, &bpe.table, &bpe.pairs, &mut s, &mut reference);
        let mut found = vec![7];
        assert!(bt.encode(piece, &mut s.dead, &mut found));
        assert_eq!(found.remove(0), 7, "kept what was in `out`");
        if found != reference {
            let i = found
                .iter()
                .zip(&reference)
                .take_while(|(a, b)| a == b)
                .count();
            panic!(
                "{:?}: search and merge_long differ at token {i}: {:?} vs {:?}",
                String::from_utf8_lossy(&piece[..piece.len().min(60)]),
                &found[i..(i + 6).min(found.len())],
                &reference[i..(i + 6).min(reference.len())]
            );
        }
        if piece.len() <= 1000 {
            let mut short = vec![];
            merge_short(piece, &bpe.table, &bpe.pairs, &mut s, &mut short);
            assert_eq!(short, reference);
        }
    }

    #[test]
    fn every_token_of_every_vocabulary() {
        for name in NAMES {
            towel_data::data_or_skip!();
            let enc = encoding(name).expect("the data folder was found");
            let bpe = enc.bpe();
            for rank in 0..bpe.ranks.len() as Rank {
                if let Some(bytes) = bpe.token_bytes(rank) {
                    check_piece(bpe, bytes);
                }
            }
        }
    }

    /// The pathological inputs of `bench/tokenizer_encode.py`, 1 MB each:
    /// every one is a single long piece (or, for base64, many pieces of up
    /// to a few hundred bytes).
    fn pathological() -> Vec<(&'static str, String)> {
        use base64::Engine as _;
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let az: String = (0..1_000_000)
            .map(|_| (b'a' + (next() % 26) as u8) as char)
            .collect();
        let random: Vec<u8> = (0..750_000).map(|_| next() as u8).collect();
        vec![
            ("a", "a".repeat(1_000_000)),
            ("space", " ".repeat(1_000_000)),
            ("a-z", az),
            ("cjk", "中".repeat(333_333)),
            (
                "base64",
                base64::engine::general_purpose::STANDARD.encode(random),
            ),
            ("digits", "7".repeat(1_000_000)),
        ]
    }

    #[test]
    fn pathological_megabytes_equal_tiktoken_rs() {
        towel_data::data_or_skip!();
        let peers = [
            (
                EncodingName::Cl100kBase,
                tiktoken_rs::cl100k_base().unwrap(),
            ),
            (EncodingName::O200kBase, tiktoken_rs::o200k_base().unwrap()),
        ];
        for (label, text) in pathological() {
            for (name, peer) in &peers {
                let bpe = encoding(*name).unwrap().bpe();
                let ours = bpe.encode_ordinary(&text);
                let theirs = if label == "space" && *name == EncodingName::O200kBase {
                    // tiktoken-rs's o200k panics on a megabyte of spaces:
                    // merge_long on the same pieces is the reference.
                    let mut s = Scratch::default();
                    let mut ids = vec![];
                    for piece in bpe.pattern().pieces(&text) {
                        merge_long(
                            piece.unwrap().as_bytes(),
                            &bpe.table,
                            &bpe.pairs,
                            &mut s,
                            &mut ids,
                        );
                    }
                    ids
                } else {
                    peer.encode_ordinary(&text)
                };
                assert!(
                    ours == theirs,
                    "{name} on 1 MB of {label}: ids differ from tiktoken-rs"
                );
            }
        }
    }

    #[test]
    fn built_lazily_and_once_under_a_parallel_batch() {
        let dir = towel_data::data_or_skip!();
        // A fresh encoder: the first long pieces arrive on several rayon
        // workers at once.
        let dirs = towel_data::DataDirs::with_data_dir(&dir);
        let enc = Encoding::load_named(EncodingName::Cl100kBase, &dirs).unwrap();
        let bpe = enc.bpe();
        assert!(bpe.backtrack.get().is_none(), "not built when loading");
        let texts: Vec<String> = (0..64)
            .map(|i| {
                format!(
                    "x{} {} 中{}",
                    "ab".repeat(100 + i),
                    "7".repeat(i),
                    "文".repeat(50 + i)
                )
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(|t| t.as_str()).collect();
        let batch = bpe.encode_ordinary_batch(&refs);
        assert!(bpe.backtrack.get().is_some_and(|b| b.is_some()));
        let mut s = Scratch::default();
        for (text, ids) in texts.iter().zip(&batch) {
            let mut reference = vec![];
            for piece in bpe.pattern().pieces(text) {
                let piece = piece.unwrap().as_bytes();
                match bpe.table.get(piece) {
                    Some(rank) => reference.push(rank),
                    None => merge_long(piece, &bpe.table, &bpe.pairs, &mut s, &mut reference),
                }
            }
            assert_eq!(ids, &reference);
        }
    }

    /// Alphabets of the long pieces real text has (and the pathological ones).
    const ALPHABETS: &[&[&str]] = &[
        &["a"],
        &["a", "b"],
        &[" "],
        &[" ", "\n"],
        &["中"],
        &["中", "文", "字"],
        &["0", "1", "7", "9"],
        &[
            "A", "Z", "a", "z", "0", "9", "+", "/", "=", "Q", "g", "w", "I", "n",
        ],
        &["a", " ", "中", "1", "+", "é", "\n", "e", "-"],
        &["-", "=", "_", "*", "#"],
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn strings_over_small_alphabets(
            alphabet in 0..ALPHABETS.len(),
            picks in prop::collection::vec(any::<u16>(), 1..3000),
        ) {
            let letters = ALPHABETS[alphabet];
            let text: String = picks.iter().map(|&p| letters[p as usize % letters.len()]).collect();
            for name in NAMES {
                let Some(enc) = encoding(name) else { return Ok(()) };
                check_piece(enc.bpe(), text.as_bytes());
            }
        }

        #[test]
        fn concatenated_random_tokens(picks in prop::collection::vec(any::<u32>(), 1..400)) {
            for name in NAMES {
                let Some(enc) = encoding(name) else { return Ok(()) };
                let bpe = enc.bpe();
                let mut piece = Vec::new();
                for p in &picks {
                    if let Some(t) = bpe.token_bytes(p % bpe.ranks.len() as Rank) {
                        piece.extend_from_slice(t);
                    }
                }
                if !piece.is_empty() {
                    check_piece(bpe, &piece);
                }
            }
        }
    }

    /// 256 bytes then `extra` (ranks 256, 257, ...).
    fn toy(extra: &[&[u8]]) -> CoreBpe {
        let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        tokens.extend(extra.iter().map(|t| t.to_vec()));
        CoreBpe::new(
            &Ranks::from_dense(tokens, "toy").unwrap(),
            [],
            Pattern::gpt2(),
        )
        .unwrap()
    }

    /// Every string over `letters` of length 1..=max_len.
    fn all_strings(letters: &[u8], max_len: usize) -> Vec<Vec<u8>> {
        let mut all = vec![];
        let mut level = vec![vec![]];
        for _ in 0..max_len {
            level = level
                .iter()
                .flat_map(|s: &Vec<u8>| {
                    letters.iter().map(move |&c| {
                        let mut t = s.clone();
                        t.push(c);
                        t
                    })
                })
                .collect();
            all.extend(level.iter().cloned());
        }
        all
    }

    #[test]
    fn proper_toy_vocabulary_on_every_short_string() {
        // Built merge by merge, so every token comes after its halves.
        let bpe = toy(&[
            b"aa", b"ab", b"aaaa", b"ba", b"aab", b"bab", b"aaa", b"abab", b"bb", b"aaaab",
        ]);
        assert!(bpe.backtrack().is_some());
        for s in all_strings(b"ab", 12) {
            check_piece(&bpe, &s);
        }
    }

    #[test]
    fn improper_vocabularies_fall_back() {
        // "cca" (256) is made from "cc" (257), ranked after it. On "cccca"
        // tiktoken merges cc, cc, then cc+a: a merge into a lower rank after
        // a higher one, so its result is not the level-by-level one the
        // search assumes (the search would answer [256, 99, 99] instead of
        // tiktoken's [257, 256]). The check must refuse this vocabulary.
        for extra in [&[&b"cca"[..], b"cc"][..], &[b"abc", b"ab", b"bc"]] {
            let bpe = toy(extra);
            assert!(bpe.backtrack().is_none());
            let mut s = Scratch::default();
            for text in all_strings(b"abc", 6) {
                let piece = text.repeat(200 / text.len());
                let mut reference = vec![];
                merge_long(&piece, &bpe.table, &bpe.pairs, &mut s, &mut reference);
                assert_eq!(bpe.encode_pieces([piece.as_slice()]), reference);
            }
        }
        let bpe = toy(&[b"cca", b"cc"]);
        let mut s = Scratch::default();
        let mut reference = vec![];
        merge_long(b"cccca", &bpe.table, &bpe.pairs, &mut s, &mut reference);
        assert_eq!(reference, vec![257, 256]);
    }

    #[test]
    fn single_bytes_may_rank_anywhere() {
        // 'z' ranked after "az" and "zz", which are made from it: bytes are
        // there from the start, so the merge order is still a level order.
        let mut pairs: Vec<(Vec<u8>, Rank)> = (0..=255u8)
            .filter(|&b| b != b'z')
            .map(|b| (vec![b], b as Rank))
            .collect();
        for (i, t) in [&b"az"[..], b"zz", b"zza", b"azz", b"a"].iter().enumerate() {
            if t.len() > 1 {
                pairs.push((t.to_vec(), 300 + i as Rank));
            }
        }
        pairs.push((b"z".to_vec(), 400));
        let ranks = Ranks::from_pairs(pairs, "toy").unwrap();
        let bpe = CoreBpe::new(&ranks, [], Pattern::gpt2()).unwrap();
        assert!(bpe.backtrack().is_some());
        for text in all_strings(b"az", 11) {
            check_piece(&bpe, &text);
        }
    }

    #[test]
    fn unreachable_tokens_are_never_proposed() {
        // "abc" has no split into two tokens, so merging never makes it; the
        // vocabulary still fits the search, which must not use "abc".
        let bpe = toy(&[b"xy", b"abc", b"xya"]);
        let bt = bpe.backtrack().expect("fits");
        assert_eq!(bt.steps[257].1, 0);
        for text in all_strings(b"abcxy", 5) {
            check_piece(&bpe, &text.repeat(30));
        }
    }

    /// A random vocabulary over "abc" grown by random merges of two tokens
    /// (which may or may not fit the search); with `shuffle`, the merged
    /// tokens are then ranked in a random order (which mostly does not fit).
    fn random_vocab(merges: &[(u16, u16)], shuffle: &[u16], bytes_last: bool) -> CoreBpe {
        let mut tokens: Vec<Vec<u8>> = vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()];
        for &(l, r) in merges {
            let t = [
                tokens[l as usize % tokens.len()].clone(),
                tokens[r as usize % tokens.len()].clone(),
            ]
            .concat();
            if t.len() <= 8 && !tokens.contains(&t) {
                tokens.push(t);
            }
        }
        let mut extra: Vec<&[u8]> = tokens[3..].iter().map(|t| t.as_slice()).collect();
        let n = extra.len();
        for (i, &j) in shuffle.iter().enumerate().take(n) {
            extra.swap(i, j as usize % n);
        }
        if !bytes_last {
            return toy(&extra);
        }
        // "a", "b" and "c" ranked after every merged token.
        let mut pairs: Vec<(Vec<u8>, Rank)> = (0..=255u8)
            .filter(|b| !b"abc".contains(b))
            .map(|b| (vec![b], b as Rank))
            .collect();
        pairs.extend((256..).zip(&extra).map(|(r, t)| (t.to_vec(), r)));
        pairs.extend((1000..).zip(b"abc").map(|(r, &b)| (vec![b], r)));
        let ranks = Ranks::from_pairs(pairs, "toy").unwrap();
        CoreBpe::new(&ranks, [], Pattern::gpt2()).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn random_toy_vocabularies(
            merges in prop::collection::vec((any::<u16>(), any::<u16>()), 1..40),
            shuffle in prop_oneof![Just(vec![]), prop::collection::vec(any::<u16>(), 40)],
            bytes_last in any::<bool>(),
            texts in prop::collection::vec(prop::collection::vec(0u8..3, 1..150), 1..8),
        ) {
            let bpe = random_vocab(&merges, &shuffle, bytes_last);
            for t in texts {
                let piece: Vec<u8> = t.iter().map(|&c| b'a' + c).collect();
                let mut s = Scratch::default();
                let mut reference = vec![];
                merge_short(&piece, &bpe.table, &bpe.pairs, &mut s, &mut reference);
                match bpe.backtrack() {
                    Some(bt) => {
                        let mut found = vec![];
                        prop_assert!(bt.encode(&piece, &mut s.dead, &mut found));
                        prop_assert_eq!(found, reference);
                    }
                    None => {
                        // tiktoken looks the whole piece up before merging.
                        // On a vocabulary whose ranks are not a merge order
                        // the two can differ ("aacb" a token although merging
                        // stops at a|a|cb), and tiktoken's answer is the lookup.
                        let expected = match bpe.table.get(&piece) {
                            Some(rank) => vec![rank],
                            None => reference,
                        };
                        prop_assert_eq!(bpe.encode_pieces([piece.as_slice()]), expected);
                    }
                }
            }
        }
    }

    #[test]
    fn random_toy_vocabularies_mostly_fit() {
        // The property test above only means something if most random
        // vocabularies use the search.
        let (mut fit, mut fit_bytes_last) = (0, 0);
        for seed in 0..200u32 {
            let merges: Vec<(u16, u16)> = (0..30u32)
                .map(|i| {
                    let x = (seed * 7919 + i * 104_729).wrapping_mul(2_654_435_761);
                    ((x >> 8) as u16, (x >> 20) as u16)
                })
                .collect();
            fit += random_vocab(&merges, &[], false).backtrack().is_some() as u32;
            fit_bytes_last += random_vocab(&merges, &[], true).backtrack().is_some() as u32;
        }
        assert!(fit > 100, "only {fit} of 200 random vocabularies fit");
        assert!(
            fit_bytes_last > 100,
            "only {fit_bytes_last} of 200 with late bytes fit"
        );
    }
}
