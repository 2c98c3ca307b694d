//! Score accumulation over posting lists and top-k selection.
//!
//! [`Accumulator`] keeps one score slot per document plus a generation stamp,
//! so a query touches only the documents in its posting lists and nothing has
//! to be cleared between queries. [`top_k`] picks the best `k` by partial
//! selection (`select_nth_unstable`), then sorts only those `k`.
//!
//! Ranking order: score descending, then document index ascending, so ties
//! come out in a stable, documented order.

use std::cmp::Ordering;

/// Per-thread scratch space for scoring queries against `n_docs` documents.
#[derive(Debug, Clone)]
pub struct Accumulator<T> {
    scores: Vec<T>,
    stamp: Vec<u32>,
    epoch: u32,
    touched: Vec<u32>,
}

impl<T: Copy + Default + std::ops::AddAssign> Accumulator<T> {
    /// Scratch space for a collection of `n_docs` documents.
    pub fn new(n_docs: usize) -> Self {
        Accumulator {
            scores: vec![T::default(); n_docs],
            stamp: vec![0; n_docs],
            epoch: 0,
            touched: Vec::new(),
        }
    }

    /// Start a new query.
    pub fn reset(&mut self) {
        self.touched.clear();
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
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
            if self.stamp[d] != self.epoch {
                self.stamp[d] = self.epoch;
                self.scores[d] = T::default();
                self.touched.push(d as u32);
            }
            self.scores[d] += f(v);
        }
    }

    /// Add `v` to every document touched so far (bm25l/bm25+ add the
    /// non-occurrence score to every document).
    pub fn add_to_touched(&mut self, v: T) {
        for &d in &self.touched {
            self.scores[d as usize] += v;
        }
    }

    /// The touched documents and their scores.
    pub fn candidates(&self) -> impl Iterator<Item = (u32, T)> + '_ {
        self.touched.iter().map(|&d| (d, self.scores[d as usize]))
    }

    /// The `k` best touched documents, best first.
    pub fn top_k(&self, k: usize) -> Vec<(u32, T)>
    where
        T: PartialOrd,
    {
        let mut c: Vec<(u32, T)> = self.candidates().collect();
        top_k(&mut c, k);
        c
    }
}

fn rank<T: PartialOrd>(a: &(u32, T), b: &(u32, T)) -> Ordering {
    b.1.partial_cmp(&a.1)
        .unwrap_or(Ordering::Equal)
        .then(a.0.cmp(&b.0))
}

/// Keep the `k` best `(doc, score)` pairs of `items`, sorted best first
/// (score descending, doc ascending on ties).
///
/// ```
/// let mut v = vec![(0, 1.0), (1, 3.0), (2, 2.0), (3, 3.0)];
/// towel_retrieval::topk::top_k(&mut v, 3);
/// assert_eq!(v, vec![(1, 3.0), (3, 3.0), (2, 2.0)]);
/// ```
pub fn top_k<T: PartialOrd + Copy>(items: &mut Vec<(u32, T)>, k: usize) {
    if k == 0 {
        items.clear();
        return;
    }
    if items.len() > k {
        items.select_nth_unstable_by(k - 1, rank);
        items.truncate(k);
    }
    items.sort_unstable_by(rank);
}
