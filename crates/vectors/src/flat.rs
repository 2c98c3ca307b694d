//! An exact ("flat") index: every query is compared with every stored
//! vector, and the `k` best come back with faiss's ids and order.
//!
//! | [`Metric`] | score | best | faiss |
//! | --- | --- | --- | --- |
//! | `InnerProduct` | `q·x` | highest | `IndexFlatIP` |
//! | `Cosine` | `q·x / (‖q‖ ‖x‖)` | highest | `IndexFlatIP` on normalized rows and queries |
//! | `L2` | `‖q−x‖²` (squared, as faiss reports it) | lowest | `IndexFlatL2` |
//!
//! **Same answers as faiss 1.15**, ties included: tied inner products come
//! highest id first and tied L2 distances lowest id first, and when several
//! vectors tie for the k-th place the ones faiss keeps are kept (the rule is
//! in [`crate::topk`]). Like faiss, fewer than 20 queries are scored one
//! vector at a time (`dot`, `l2_sq` of [`crate::similarity`]) and larger
//! batches through a matrix product, where L2 is `‖q‖² + ‖x‖² − 2 q·x`
//! clamped at 0; faiss does the same, so scores agree to float32 rounding
//! and ids agree except between vectors whose scores differ by a rounding
//! error. Where faiss pads a short result with id −1, towel returns fewer
//! hits: a search returns `min(k, n)` hits, or `min(k, allowed)` with an
//! allow-list.
//!
//! **Allow-lists** ([`SearchParams::allow`]) restrict a search to some ids,
//! as faiss's `search(..., params=SearchParameters(sel=IDSelectorBatch(ids)))`:
//! only allowed vectors are scored, so `k` results come back whenever `k`
//! allowed ids exist. Ids outside the index are ignored, duplicates count once.
//!
//! **Speed.** A batch is cut into chunks of at most [`QUERY_BLOCK`] queries,
//! spread over rayon's threads; each chunk walks the stored vectors in blocks
//! of [`BASE_BLOCK`], computes that block's scores with one GEMM (`gemm`
//! crate, AVX-512 kernels where the CPU has them) into a buffer of
//! `QUERY_BLOCK × BASE_BLOCK` floats, then offers each query's row to its
//! heap, skipping blocks of 16 scores that cannot enter with one vectorized
//! max. The full `queries × vectors` score matrix never exists.
//!
//! ```
//! use towel_vectors::{FlatIndex, Metric, Vectors};
//! let mut index = FlatIndex::new(2, Metric::InnerProduct)?;
//! index.add(&Vectors::new(vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0], 2)?)?;
//! let hits = index.search(&[1.0, 0.2], 2)?;
//! // ids 0 and 2 tie: faiss returns the higher id first.
//! assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![2, 0]);
//! # Ok::<(), towel_vectors::VectorError>(())
//! ```

use rayon::prelude::*;

use crate::error::VectorError;
use crate::matrix::Vectors;
use crate::similarity::{dot, l2_sq, norm_sq};
use crate::topk::FaissHeap;

/// At most this many queries share one pass over the stored vectors.
pub const QUERY_BLOCK: usize = 512;
/// Stored vectors per GEMM call (the score buffer is `QUERY_BLOCK × BASE_BLOCK`).
pub const BASE_BLOCK: usize = 1024;
/// Batches smaller than this are scored one vector at a time, as faiss
/// does below its `distance_compute_blas_threshold`.
pub const GEMM_MIN_QUERIES: usize = 20;

/// How vectors are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Inner product, higher is better (faiss `METRIC_INNER_PRODUCT`).
    InnerProduct,
    /// Cosine similarity: stored vectors and queries are normalized, then
    /// compared by inner product. Zero vectors are errors.
    Cosine,
    /// Squared Euclidean distance, lower is better (faiss `METRIC_L2`).
    L2,
}

impl Metric {
    fn higher_is_better(self) -> bool {
        self != Metric::L2
    }
}

/// One result: the vector's id (its position in insertion order) and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: usize,
    pub score: f32,
}

/// Options of a search.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchParams<'a> {
    /// Only these ids may be returned (any order, duplicates and unknown ids
    /// ignored); `None` searches everything.
    pub allow: Option<&'a [usize]>,
}

impl<'a> SearchParams<'a> {
    /// Search only the vectors with these ids.
    pub fn allow(ids: &'a [usize]) -> Self {
        SearchParams { allow: Some(ids) }
    }
}

/// An exact index over float32 vectors of one dimension. Ids are positions
/// in the order vectors were added, from 0.
#[derive(Debug, Clone)]
pub struct FlatIndex {
    metric: Metric,
    vectors: Vectors,
    /// `‖x‖²` of each stored vector, for L2 through the GEMM.
    norms_sq: Vec<f32>,
}

/// The largest squared norm a vector may have under the inner-product and
/// L2 metrics: with every vector within it, every score and every term of
/// the L2 expansion `‖x‖² − 2q·x + ‖q‖²` stays below `f32::MAX`
/// (Cauchy–Schwarz: |q·x| ≤ ‖q‖‖x‖), so no score overflows to infinity.
/// Longer vectors used to give infinite scores in no particular order, and
/// under L2 no hits at all, with no error.
pub const MAX_NORM_SQ: f64 = f32::MAX as f64 / 8.0;

/// Checks `vectors` in one pass before anything is stored or scored: the
/// first NaN or infinite value is a [`VectorError::NonFinite`] naming its
/// row and column (every metric refuses them alike), and, when
/// `bound_norms` (inner product and L2), the first vector longer than
/// [`MAX_NORM_SQ`] allows is a [`VectorError::TooLong`] (norms in f64,
/// which cannot overflow here). A non-finite value anywhere is reported
/// before a long vector.
fn check_values(vectors: &Vectors, origin: &str, bound_norms: bool) -> Result<(), VectorError> {
    let mut long = None;
    for (row, v) in vectors.rows().enumerate() {
        if let Some(column) = v.iter().position(|x| !x.is_finite()) {
            return Err(VectorError::NonFinite {
                origin: origin.into(),
                row,
                column,
                value: v[column],
            });
        }
        if bound_norms && long.is_none() {
            let n2: f64 = v.iter().map(|&x| x as f64 * x as f64).sum();
            if n2 > MAX_NORM_SQ {
                long = Some((row, n2.sqrt()));
            }
        }
    }
    match long {
        None => Ok(()),
        Some((row, norm)) => Err(VectorError::TooLong {
            origin: origin.into(),
            row,
            norm,
            max: MAX_NORM_SQ.sqrt(),
        }),
    }
}

impl FlatIndex {
    /// An empty index for vectors of dimension `dim` (≥ 1).
    pub fn new(dim: usize, metric: Metric) -> Result<Self, VectorError> {
        Ok(FlatIndex {
            metric,
            vectors: Vectors::empty(dim)?,
            norms_sq: Vec::new(),
        })
    }

    /// An index holding `vectors`.
    pub fn from_vectors(vectors: &Vectors, metric: Metric) -> Result<Self, VectorError> {
        let mut index = Self::new(vectors.dim(), metric)?;
        index.add(vectors)?;
        Ok(index)
    }

    /// Add vectors; they get the next ids. With [`Metric::Cosine`] they are
    /// stored normalized, and a zero vector is an error naming its row; with
    /// any metric, so is a vector holding NaN or an infinite value, and with
    /// the others one longer than [`MAX_NORM_SQ`] allows (nothing is added
    /// then).
    pub fn add(&mut self, vectors: &Vectors) -> Result<(), VectorError> {
        self.check_dim(vectors.dim(), "vectors to add")?;
        check_values(vectors, "vectors", self.metric != Metric::Cosine)?;
        if self.metric == Metric::Cosine {
            let mut unit = vectors.clone();
            crate::similarity::normalize_rows(&mut unit)?;
            self.vectors.extend(&unit)?;
        } else {
            self.vectors.extend(vectors)?;
        }
        if self.metric == Metric::L2 {
            self.norms_sq.extend(vectors.rows().map(norm_sq));
        }
        Ok(())
    }

    /// The dimension of the vectors.
    pub fn dim(&self) -> usize {
        self.vectors.dim()
    }

    /// The number of stored vectors.
    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// The metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// The stored vectors (normalized ones for [`Metric::Cosine`]).
    pub fn vectors(&self) -> &Vectors {
        &self.vectors
    }

    fn check_dim(&self, found: usize, origin: &str) -> Result<(), VectorError> {
        if found != self.dim() {
            return Err(VectorError::Dimension {
                origin: origin.into(),
                expected: self.dim(),
                found,
            });
        }
        Ok(())
    }

    /// The `k` best vectors for one query, best first.
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Hit>, VectorError> {
        self.check_dim(query.len(), "query")?;
        let q = Vectors::new(query.to_vec(), self.dim())?;
        Ok(self.search_batch(&q, k)?.pop().unwrap_or_default())
    }

    /// The `k` best vectors for each query, best first (`min(k, len())` of
    /// them). A query holding NaN or an infinite value is an error.
    pub fn search_batch(&self, queries: &Vectors, k: usize) -> Result<Vec<Vec<Hit>>, VectorError> {
        self.search_batch_with(queries, k, &SearchParams::default())
    }

    /// [`FlatIndex::search_batch`] with options (an allow-list).
    pub fn search_batch_with(
        &self,
        queries: &Vectors,
        k: usize,
        params: &SearchParams,
    ) -> Result<Vec<Vec<Hit>>, VectorError> {
        self.check_dim(queries.dim(), "queries")?;
        check_values(queries, "queries", self.metric != Metric::Cosine)?;
        let queries = if self.metric == Metric::Cosine {
            let mut q = queries.clone();
            crate::similarity::normalize_rows(&mut q).map_err(|e| match e {
                VectorError::ZeroVector { row, norm, .. } => VectorError::ZeroVector {
                    origin: "queries".into(),
                    row,
                    norm,
                },
                other => other,
            })?;
            std::borrow::Cow::Owned(q)
        } else {
            std::borrow::Cow::Borrowed(queries)
        };
        let heaps = match params.allow {
            Some(allow) => {
                let mut ids: Vec<usize> =
                    allow.iter().copied().filter(|&i| i < self.len()).collect();
                ids.sort_unstable();
                ids.dedup();
                self.scan_ids(&queries, k.min(ids.len()), &ids)
            }
            // No more than `len()` hits can come back, and each heap holds
            // `k` slots: a `k` past the index's size would only allocate
            // (with `k` = 10¹², until the process aborts).
            None if queries.len() < GEMM_MIN_QUERIES => self.scan_all(&queries, k.min(self.len())),
            None => self.blocked_gemm(&queries, k.min(self.len())),
        };
        let sign = if self.metric.higher_is_better() {
            1.0
        } else {
            -1.0
        };
        Ok(heaps
            .into_iter()
            .map(|h| {
                h.into_sorted()
                    .into_iter()
                    .map(|(id, key)| Hit {
                        id,
                        score: sign * key,
                    })
                    .collect()
            })
            .collect())
    }

    fn heap(&self, k: usize) -> FaissHeap {
        FaissHeap::new(k, self.metric.higher_is_better())
    }

    /// The key (higher is better) of stored vector `id` for query `q`, one
    /// vector at a time.
    #[inline]
    fn key(&self, q: &[f32], id: usize) -> f32 {
        let x = self.vectors.row(id);
        match self.metric {
            Metric::InnerProduct | Metric::Cosine => dot(q, x),
            Metric::L2 => -l2_sq(q, x),
        }
    }

    /// Few queries: each scored against the allowed vectors one at a time,
    /// in parallel over queries.
    fn scan_ids(&self, queries: &Vectors, k: usize, ids: &[usize]) -> Vec<FaissHeap> {
        (0..queries.len())
            .into_par_iter()
            .map(|qi| {
                let q = queries.row(qi);
                let mut heap = self.heap(k);
                for &id in ids {
                    heap.offer(self.key(q, id), id as i64);
                }
                heap
            })
            .collect()
    }

    /// Few queries, no allow-list: scores of all vectors computed in
    /// parallel over blocks of the index, then offered in id order.
    fn scan_all(&self, queries: &Vectors, k: usize) -> Vec<FaissHeap> {
        let mut keys = vec![0.0f32; self.len()];
        queries
            .rows()
            .map(|q| {
                keys.par_chunks_mut(BASE_BLOCK)
                    .enumerate()
                    .for_each(|(b, out)| {
                        for (j, o) in out.iter_mut().enumerate() {
                            *o = self.key(q, b * BASE_BLOCK + j);
                        }
                    });
                let mut heap = self.heap(k);
                heap.offer_row(&keys, 0);
                heap
            })
            .collect()
    }

    /// Batches: blocked GEMM, chunks of queries in parallel.
    fn blocked_gemm(&self, queries: &Vectors, k: usize) -> Vec<FaissHeap> {
        let nq = queries.len();
        let threads = rayon::current_num_threads().max(1);
        let chunks = threads.max(nq.div_ceil(QUERY_BLOCK));
        let chunk = nq.div_ceil(chunks).max(1);
        let dim = self.dim();
        let qnorms: Vec<f32> = match self.metric {
            Metric::L2 => queries.rows().map(norm_sq).collect(),
            _ => Vec::new(),
        };
        let per_chunk: Vec<Vec<FaissHeap>> = queries
            .as_slice()
            .par_chunks(chunk * dim)
            .enumerate()
            .map(|(c, qs)| {
                let m = qs.len() / dim;
                let mut heaps: Vec<FaissHeap> = (0..m).map(|_| self.heap(k)).collect();
                let mut scores = vec![0.0f32; m * BASE_BLOCK];
                for (b, xs) in self.vectors.as_slice().chunks(BASE_BLOCK * dim).enumerate() {
                    let n = xs.len() / dim;
                    let out = &mut scores[..m * n];
                    crate::gemm::gemm_abt(qs, xs, dim, out);
                    let id0 = b * BASE_BLOCK;
                    for (i, row) in out.chunks_exact_mut(n).enumerate() {
                        if self.metric == Metric::L2 {
                            let qn = qnorms[c * chunk + i];
                            for (s, &xn) in row.iter_mut().zip(&self.norms_sq[id0..id0 + n]) {
                                // faiss: dis = ‖q‖² + ‖x‖² − 2 q·x, clamped at 0.
                                let d = qn + xn - 2.0 * *s;
                                *s = -(if d < 0.0 { 0.0 } else { d });
                            }
                        }
                        heaps[i].offer_row(row, id0);
                    }
                }
                heaps
            })
            .collect();
        per_chunk.into_iter().flatten().collect()
    }
}
