//! Top-k selection with faiss's exact rule, ties included.
//!
//! faiss keeps each query's best `k` in a binary heap whose top is the worst
//! kept result, starts it full of sentinels (score `-f32::MAX`, id `-1`), and
//! visits the vectors in increasing id order. A vector enters only if its
//! score is **strictly** better than the top's; it then replaces the top,
//! where "worst" breaks ties by id: for inner product the lower id is the
//! worse, for L2 the higher id. The kept results are finally sorted best
//! first with the same tie-break.
//!
//! Consequences, which towel reproduces by running the same rule:
//! - **L2:** the result is the first `k` in (distance ascending, id
//!   ascending) order, so tied distances come lowest id first.
//! - **Inner product:** ties come highest id first, but which of several
//!   tied vectors at the k-th place get in depends on the visit order: with
//!   `k = 5`, scores 0.5 for ids 0..30 except 0.9 for ids 3 and 10, faiss
//!   returns `[10, 3, 4, 2, 1]`: ids 5..9 lost to the full heap, id 0
//!   was evicted by id 10 (checked against faiss 1.15 in `tests/flat.rs`).
//!
//! Scores are handled as keys where higher is better (inner product as is,
//! L2 distances negated, which keeps ties exact).

/// One query's kept results in faiss's heap.
#[derive(Debug, Clone)]
pub(crate) struct FaissHeap {
    keys: Vec<f32>,
    ids: Vec<i64>,
    /// Inner product: among equal keys the higher id is better. L2: the lower.
    prefer_high_id: bool,
}

impl FaissHeap {
    pub(crate) fn new(k: usize, prefer_high_id: bool) -> Self {
        FaissHeap {
            keys: vec![f32::MIN; k],
            ids: vec![-1; k],
            prefer_high_id,
        }
    }

    /// Is `(ka, ia)` worse than `(kb, ib)`?
    #[inline]
    fn worse(&self, ka: f32, ia: i64, kb: f32, ib: i64) -> bool {
        ka < kb || (ka == kb && ((ia < ib) == self.prefer_high_id) && ia != ib)
    }

    /// The key a newcomer has to beat, strictly.
    #[inline]
    pub(crate) fn threshold(&self) -> f32 {
        self.keys.first().copied().unwrap_or(f32::INFINITY)
    }

    /// Offer one result (ids must come in increasing order).
    #[inline]
    pub(crate) fn offer(&mut self, key: f32, id: i64) {
        if key > self.threshold() {
            self.replace_top(key, id);
        }
    }

    /// Offer `keys[j]` as id `id0 + j`, skipping blocks of 16 whose best key
    /// does not beat the threshold (one vectorized max per block).
    pub(crate) fn offer_row(&mut self, keys: &[f32], id0: usize) {
        let mut thresh = self.threshold();
        for (b, block) in keys.chunks(16).enumerate() {
            let best = block
                .iter()
                .fold(f32::MIN, |m, &x| if x > m { x } else { m });
            if best > thresh {
                for (j, &key) in block.iter().enumerate() {
                    if key > thresh {
                        self.replace_top(key, (id0 + b * 16 + j) as i64);
                        thresh = self.threshold();
                    }
                }
            }
        }
    }

    fn replace_top(&mut self, key: f32, id: i64) {
        let k = self.keys.len();
        let mut i = 0;
        loop {
            let l = 2 * i + 1;
            if l >= k {
                break;
            }
            let r = l + 1;
            let c = if r < k && self.worse(self.keys[r], self.ids[r], self.keys[l], self.ids[l]) {
                r
            } else {
                l
            };
            if !self.worse(self.keys[c], self.ids[c], key, id) {
                break;
            }
            self.keys[i] = self.keys[c];
            self.ids[i] = self.ids[c];
            i = c;
        }
        self.keys[i] = key;
        self.ids[i] = id;
    }

    /// The kept results, best first, sentinels dropped: `(id, key)`.
    pub(crate) fn into_sorted(self) -> Vec<(usize, f32)> {
        let mut v: Vec<(f32, i64)> = self
            .keys
            .iter()
            .zip(&self.ids)
            .filter(|&(_, &id)| id >= 0)
            .map(|(&k, &i)| (k, i))
            .collect();
        let high = self.prefer_high_id;
        v.sort_by(|a, b| {
            // partial_cmp: -0.0 and 0.0 tie, as in faiss's comparisons (no NaN is ever kept).
            b.0.partial_cmp(&a.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(if high { b.1.cmp(&a.1) } else { a.1.cmp(&b.1) })
        });
        v.into_iter().map(|(k, i)| (i as usize, k)).collect()
    }
}
