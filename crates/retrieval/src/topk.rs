//! Score accumulation over posting lists and top-k selection.
//!
//! [`Accumulator`] keeps one score slot per document plus a bitset of the
//! documents touched by the current query: adding a posting is a branch-free
//! `scores[d] += v; bits[d / 64] |= 1 << (d % 64)`, and only the touched slots
//! are cleared for the next query. [`Accumulator::top_k`] walks the set bits
//! (documents in index order) through a bounded heap of the `k` best, so it
//! costs one compare per matched document, not a sort.
//!
//! Ranking order: score descending, then document index ascending, so ties
//! come out in a stable, documented order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Scores tested at once by the dense top-k scan
/// ([`Accumulator::take_top_k_dense`]): a block with none above the bar is
/// skipped after one vectorized compare.
const SCAN_BLOCK: usize = 16;

/// Per-thread scratch space for scoring queries against `n_docs` documents.
#[derive(Debug, Clone)]
pub struct Accumulator<T> {
    scores: Vec<T>,
    bits: Vec<u64>,
}

impl<T: Copy + Default + std::ops::AddAssign> Accumulator<T> {
    /// Scratch space for a collection of `n_docs` documents.
    pub fn new(n_docs: usize) -> Self {
        Accumulator {
            scores: vec![T::default(); n_docs],
            bits: vec![0; n_docs.div_ceil(64)],
        }
    }

    /// Start a new query: clear the documents the last one touched.
    pub fn reset(&mut self) {
        for w in 0..self.bits.len() {
            let mut b = self.bits[w];
            while b != 0 {
                let d = w * 64 + b.trailing_zeros() as usize;
                self.scores[d] = T::default();
                b &= b - 1;
            }
            self.bits[w] = 0;
        }
    }

    /// Add each `(doc, value)` of one posting list.
    #[inline]
    pub fn add_postings(&mut self, docs: &[u32], values: &[T]) {
        self.add_postings_map(docs, values, |v| v);
    }

    /// Add `f(value)` for each `(doc, value)` of one posting list.
    #[inline]
    pub fn add_postings_map<V: Copy>(&mut self, docs: &[u32], values: &[V], f: impl Fn(V) -> T) {
        for (&d, &v) in docs.iter().zip(values) {
            let d = d as usize;
            self.scores[d] += f(v);
            self.bits[d >> 6] |= 1u64 << (d & 63);
        }
    }

    /// Add each `(doc, value)` of one posting list without marking the
    /// documents touched: for the dense path, where a document counts as
    /// matched when its score ends up > 0 (all values must be > 0). Pair with
    /// [`Accumulator::take_top_k_dense`].
    #[inline]
    pub fn add_postings_dense(&mut self, docs: &[u32], values: &[T]) {
        let scores = &mut self.scores[..];
        for (&d, &v) in docs.iter().zip(values) {
            scores[d as usize] += v;
        }
    }

    /// The `k` best documents with a score > 0, best first, after
    /// [`Accumulator::add_postings_dense`]: one scan over all documents, which
    /// also clears every score for the next query.
    pub fn take_top_k_dense(&mut self, k: usize) -> Vec<(u32, T)>
    where
        T: PartialOrd,
    {
        let mut sel = Selector::new(k);
        // One compare per document against the bar to beat: 0 until k are
        // held, then the worst held score (a tie never beats an earlier doc).
        // Blocks of SCAN_BLOCK are first tested as a whole (a branch-free `any`,
        // which the compiler vectorizes), so most are skipped in a few cycles.
        let mut bar = T::default();
        for (b, block) in self.scores.chunks(SCAN_BLOCK).enumerate() {
            if !block.iter().fold(false, |any, &v| any | (v > bar)) {
                continue;
            }
            for (i, &v) in block.iter().enumerate() {
                if v > bar {
                    sel.offer((b * SCAN_BLOCK + i) as u32, v);
                    if let Some(w) = sel.worst {
                        bar = w;
                    }
                }
            }
        }
        self.scores.fill(T::default());
        sel.into_sorted()
    }

    /// Add `v` to every document touched so far (bm25l/bm25+ add the
    /// non-occurrence score to every document).
    pub fn add_to_touched(&mut self, v: T) {
        for w in 0..self.bits.len() {
            let mut b = self.bits[w];
            while b != 0 {
                self.scores[w * 64 + b.trailing_zeros() as usize] += v;
                b &= b - 1;
            }
        }
    }

    /// The touched documents and their scores, in document order.
    pub fn candidates(&self) -> impl Iterator<Item = (u32, T)> + '_ {
        self.bits.iter().enumerate().flat_map(move |(w, &word)| {
            let mut b = word;
            std::iter::from_fn(move || {
                if b == 0 {
                    return None;
                }
                let d = w * 64 + b.trailing_zeros() as usize;
                b &= b - 1;
                Some((d as u32, self.scores[d]))
            })
        })
    }

    /// The `k` best touched documents, best first.
    pub fn top_k(&self, k: usize) -> Vec<(u32, T)>
    where
        T: PartialOrd,
    {
        let mut sel = Selector::new(k);
        for (w, &word) in self.bits.iter().enumerate() {
            let mut b = word;
            while b != 0 {
                let d = w * 64 + b.trailing_zeros() as usize;
                sel.offer(d as u32, self.scores[d]);
                b &= b - 1;
            }
        }
        sel.into_sorted()
    }

    /// [`Accumulator::top_k`], clearing the touched documents on the way, so
    /// the next [`Accumulator::reset`] has nothing left to do.
    pub fn take_top_k(&mut self, k: usize) -> Vec<(u32, T)>
    where
        T: PartialOrd,
    {
        let mut sel = Selector::new(k);
        for w in 0..self.bits.len() {
            let mut b = self.bits[w];
            while b != 0 {
                let d = w * 64 + b.trailing_zeros() as usize;
                sel.offer(d as u32, self.scores[d]);
                self.scores[d] = T::default();
                b &= b - 1;
            }
            self.bits[w] = 0;
        }
        sel.into_sorted()
    }
}

/// The most heap slots reserved up front: a huge `k` (say `usize::MAX`, "all")
/// grows the heap as documents come instead of allocating for `k`.
const MAX_PREALLOCATED: usize = 1 << 16;

/// The `k` best of a stream of `(doc, score)` offered in increasing doc
/// order: a bounded heap whose worst score is kept at hand, so most offers
/// cost one comparison.
struct Selector<T> {
    k: usize,
    heap: BinaryHeap<Ranked<T>>,
    worst: Option<T>,
}

impl<T: PartialOrd + Copy> Selector<T> {
    fn new(k: usize) -> Self {
        Selector {
            k,
            heap: BinaryHeap::with_capacity(k.min(MAX_PREALLOCATED) + 1),
            worst: None,
        }
    }

    #[inline]
    fn offer(&mut self, d: u32, s: T) {
        if self.heap.len() < self.k {
            self.heap.push(Ranked((d, s)));
            if self.heap.len() == self.k {
                self.worst = self.heap.peek().map(|r| r.0 .1);
            }
        } else if let Some(w) = self.worst {
            // Documents come in increasing order, so an equal score never wins.
            if s > w {
                if let Some(mut top) = self.heap.peek_mut() {
                    *top = Ranked((d, s));
                }
                self.worst = self.heap.peek().map(|r| r.0 .1);
            }
        }
    }

    fn into_sorted(self) -> Vec<(u32, T)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|r| r.0)
            .collect()
    }
}

/// A `(doc, score)` ordered by [`rank`] (smaller = better).
struct Ranked<T>((u32, T));

impl<T: PartialOrd> PartialEq for Ranked<T> {
    fn eq(&self, o: &Self) -> bool {
        rank(&self.0, &o.0) == Ordering::Equal
    }
}
impl<T: PartialOrd> Eq for Ranked<T> {}
impl<T: PartialOrd> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<T: PartialOrd> Ord for Ranked<T> {
    fn cmp(&self, o: &Self) -> Ordering {
        rank(&self.0, &o.0)
    }
}

fn rank<T: PartialOrd>(a: &(u32, T), b: &(u32, T)) -> Ordering {
    b.1.partial_cmp(&a.1)
        .unwrap_or(Ordering::Equal)
        .then(a.0.cmp(&b.0))
}
