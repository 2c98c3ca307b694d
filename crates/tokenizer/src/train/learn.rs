//! Step 2 of training: learn the merges from the distinct pieces (the
//! encoder applies them in `bpe/apply.rs`).
//!
//! Every distinct piece becomes a *word*: its bytes as `u32` symbols in one
//! flat array, plus its count. For each adjacent pair of symbols we keep its
//! total count (occurrences × word counts, overlapping occurrences included,
//! as HF and minbpe count them) and the list of words that contain it. A
//! max-heap holds `(count, pair)` entries with lazy deletion: an entry whose
//! count no longer matches the pair's current count is refreshed when it
//! reaches the top. Merging a pair rewrites only the words on its list and
//! updates the counts of the neighbouring pairs, so each merge costs time
//! proportional to the words it touches, not to the corpus.

use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use super::TieBreak;
use crate::format::gpt2::hf_alphabet_order;
use crate::vocab::Rank;

/// One learned merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    /// Rank of the left token.
    pub left: Rank,
    /// Rank of the right token.
    pub right: Rank,
    /// Rank of the merged token. Usually a new rank; when the merged bytes
    /// already had a rank (two pairs can spell the same bytes, e.g. `ab`+`c`
    /// and `a`+`bc`), it is that existing rank, as in HF's BpeTrainer.
    pub result: Rank,
    /// The pair's count when it was merged.
    pub count: u64,
}

#[inline]
fn pack(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

#[inline]
fn unpack(k: u64) -> (u32, u32) {
    ((k >> 32) as u32, k as u32)
}

struct PairInfo {
    count: i64,
    /// Words that contain (or once contained) the pair; may hold stale or
    /// repeated ids, which the merge skips.
    words: Vec<u32>,
    /// Last merge step that increased this pair (to push it once per step).
    touched: u32,
}

/// Maps ranks to tie-break keys (smaller key wins a count tie) and back.
struct Keys {
    fwd: [u32; 256],
    inv: [u32; 256],
}

impl Keys {
    fn new(tie: TieBreak) -> Keys {
        let fwd = match tie {
            TieBreak::HfByteLevel => hf_alphabet_order(),
            TieBreak::ByteOrder => std::array::from_fn(|i| i as u32),
        };
        let mut inv = [0u32; 256];
        for (b, &k) in fwd.iter().enumerate() {
            inv[k as usize] = b as u32;
        }
        Keys { fwd, inv }
    }
    #[inline]
    fn key(&self, r: u32) -> u32 {
        if r < 256 {
            self.fwd[r as usize]
        } else {
            r
        }
    }
    #[inline]
    fn rank(&self, k: u32) -> u32 {
        if k < 256 {
            self.inv[k as usize]
        } else {
            k
        }
    }
    /// Heap entry for a pair: larger count first, then smaller key pair.
    #[inline]
    fn entry(&self, count: i64, a: u32, b: u32) -> (u64, std::cmp::Reverse<u64>) {
        (
            count as u64,
            std::cmp::Reverse(pack(self.key(a), self.key(b))),
        )
    }
}

/// The merge engine.
pub(crate) struct Merger {
    syms: Vec<u32>,
    start: Vec<usize>,
    len: Vec<u32>,
    wcount: Vec<u64>,
    pairs: FxHashMap<u64, PairInfo>,
    heap: BinaryHeap<(u64, std::cmp::Reverse<u64>)>,
    keys: Keys,
    /// Bytes of every token, by rank.
    pub tokens: Vec<Vec<u8>>,
    /// Rank of every multi-byte token.
    by_bytes: FxHashMap<Vec<u8>, u32>,
    step: u32,
}

impl Merger {
    /// Build words, pair counts, pair-to-word lists and the heap from the
    /// distinct pieces (pieces of one byte have no pairs and are skipped).
    pub fn new<'a>(pieces: impl Iterator<Item = (&'a [u8], u64)>, tie: TieBreak) -> Merger {
        let mut syms = Vec::new();
        let mut start = Vec::new();
        let mut len = Vec::new();
        let mut wcount = Vec::new();
        for (p, c) in pieces {
            if p.len() < 2 || c == 0 {
                continue;
            }
            start.push(syms.len());
            len.push(p.len() as u32);
            wcount.push(c);
            syms.extend(p.iter().map(|&b| b as u32));
        }
        let mut pairs: FxHashMap<u64, PairInfo> = FxHashMap::default();
        for w in 0..start.len() {
            let s = &syms[start[w]..start[w] + len[w] as usize];
            let c = wcount[w] as i64;
            for ab in s.windows(2) {
                let info = pairs.entry(pack(ab[0], ab[1])).or_insert(PairInfo {
                    count: 0,
                    words: Vec::new(),
                    touched: 0,
                });
                info.count += c;
                if info.words.last() != Some(&(w as u32)) {
                    info.words.push(w as u32);
                }
            }
        }
        let keys = Keys::new(tie);
        let heap: BinaryHeap<_> = pairs
            .iter()
            .map(|(&k, info)| {
                let (a, b) = unpack(k);
                keys.entry(info.count, a, b)
            })
            .collect();
        Merger {
            syms,
            start,
            len,
            wcount,
            pairs,
            heap,
            keys,
            tokens: (0..=255u8).map(|b| vec![b]).collect(),
            by_bytes: FxHashMap::default(),
            step: 0,
        }
    }

    /// Find the best pair (highest count, then tie-break) with a count of at
    /// least `min_count` and merge it everywhere. `None` when no pair is left.
    pub fn step(&mut self, min_count: u64) -> Option<Merge> {
        let (count, key) = loop {
            let (count, std::cmp::Reverse(kk)) = self.heap.pop()?;
            let (ka, kb) = unpack(kk);
            let key = pack(self.keys.rank(ka), self.keys.rank(kb));
            match self.pairs.get(&key) {
                None => continue,
                Some(info) if info.count as u64 != count => {
                    if info.count > 0 {
                        self.heap.push((info.count as u64, std::cmp::Reverse(kk)));
                    }
                    continue;
                }
                Some(_) => break (count, key),
            }
        };
        if count < min_count.max(1) {
            return None;
        }
        let (a, b) = unpack(key);
        let mut bytes = self.tokens[a as usize].clone();
        bytes.extend_from_slice(&self.tokens[b as usize]);
        let x = match self.by_bytes.get(&bytes) {
            Some(&r) => r,
            None => {
                let r = self.tokens.len() as u32;
                self.by_bytes.insert(bytes.clone(), r);
                self.tokens.push(bytes);
                r
            }
        };
        self.apply(a, b, x);
        Some(Merge {
            left: a,
            right: b,
            result: x,
            count,
        })
    }

    /// Replace every non-overlapping occurrence (left to right) of `a b` by
    /// `x` in the words that contain it, updating neighbouring pair counts.
    fn apply(&mut self, a: u32, b: u32, x: u32) {
        self.step += 1;
        let step = self.step;
        let info = self
            .pairs
            .remove(&pack(a, b))
            .expect("the merged pair is in the map");
        let mut touched: Vec<u64> = Vec::new();
        let pairs = &mut self.pairs;
        for &w in &info.words {
            let wu = w as usize;
            let s0 = self.start[wu];
            let n = self.len[wu] as usize;
            let c = self.wcount[wu] as i64;
            let syms = &mut self.syms[s0..s0 + n];
            let mut i = 0;
            let mut out = 0;
            while i < n {
                if i + 1 < n && syms[i] == a && syms[i + 1] == b {
                    if out > 0 {
                        let l = syms[out - 1];
                        dec(pairs, pack(l, a), c);
                        inc(pairs, &mut touched, pack(l, x), c, w, step);
                    }
                    if i + 2 < n {
                        let r = syms[i + 2];
                        dec(pairs, pack(b, r), c);
                        inc(pairs, &mut touched, pack(x, r), c, w, step);
                    }
                    syms[out] = x;
                    out += 1;
                    i += 2;
                } else {
                    syms[out] = syms[i];
                    out += 1;
                    i += 1;
                }
            }
            self.len[wu] = out as u32;
        }
        for p in touched {
            if let Some(info) = self.pairs.get(&p) {
                if info.count > 0 {
                    let (l, r) = unpack(p);
                    self.heap.push(self.keys.entry(info.count, l, r));
                }
            }
        }
    }
}

/// Lower a pair's count; forget the pair when no occurrence is left.
#[inline]
fn dec(pairs: &mut FxHashMap<u64, PairInfo>, p: u64, c: i64) {
    if let Some(i) = pairs.get_mut(&p) {
        i.count -= c;
        if i.count <= 0 {
            pairs.remove(&p);
        }
    }
}

/// Raise a pair's count, note word `w` as containing it, and remember the
/// pair (once per step) so it is pushed on the heap after the step.
#[inline]
fn inc(
    pairs: &mut FxHashMap<u64, PairInfo>,
    touched: &mut Vec<u64>,
    p: u64,
    c: i64,
    w: u32,
    step: u32,
) {
    let i = pairs.entry(p).or_insert_with(|| PairInfo {
        count: 0,
        words: Vec::new(),
        touched: 0,
    });
    i.count += c;
    if i.words.last() != Some(&w) {
        i.words.push(w);
    }
    if i.touched != step {
        i.touched = step;
        touched.push(p);
    }
}
