//! Similarity and distance of float32 vectors, one pair at a time or one
//! vector against many.
//!
//! | function | value | numpy |
//! | --- | --- | --- |
//! | [`dot`] | `Σ aᵢbᵢ` | `a @ b` |
//! | [`norm`] | `√(Σ aᵢ²)` | `np.linalg.norm(a)` |
//! | [`l2_sq`] / [`l2`] | `Σ (aᵢ−bᵢ)²` / its square root | `np.sum((a-b)**2)` / `np.linalg.norm(a-b)` |
//! | [`cosine`] | `a·b / (‖a‖ ‖b‖)` | `a @ b / (norm(a) * norm(b))` |
//! | [`normalize`] / [`normalize_in_place`] | `a / ‖a‖` | `a / np.linalg.norm(a)` |
//!
//! On unit vectors cosine is the dot product, which is why vector stores
//! normalize once and then search by inner product.
//!
//! **Zero vectors.** A zero vector has no direction: [`cosine`],
//! [`normalize`], [`normalize_in_place`] and [`normalize_rows`] return
//! [`VectorError::ZeroVector`] for it (and for a vector whose norm is not
//! finite) instead of passing on the NaN numpy would give.
//!
//! **Lengths.** The pair functions take two slices of the same length and
//! panic otherwise, as slice indexing does (a programming error, not bad
//! input); data from files is checked when it is read ([`crate::npy`]).
//!
//! **Vectorization.** Each sum runs over 16 independent float32
//! accumulators (`LANES`), which frees the compiler to keep them in SIMD
//! registers without reassociating anything itself. Checked with
//! `objdump -d` on a release build (rustc 1.95, baseline x86-64 target): the
//! inner loop of [`dot`] is 4 × (`movups`, `movups`, `mulps`, `addps`) per 16
//! elements, with no shuffles and no scalar code except for the last
//! `len % 16` elements; built with `-C target-cpu=native` the same loop uses
//! wider registers. The flat index does its heavy lifting in a GEMM instead
//! (the `flat` module).
//!
//! **Accuracy.** Summing in 16 lanes and then adding the lanes pairwise is
//! more accurate than a left-to-right float32 sum. Measured by
//! `tests/similarity.rs` (`accuracy_against_f64`, run with `--nocapture` to
//! see the figures) on 2,000 pairs of near-Gaussian vectors against the same
//! dot product in float64, as a fraction of `Σ|aᵢbᵢ|`: at dimension 384 the
//! largest error is 4.6e-8 (mean 7.0e-9; left-to-right float32: 1.6e-7), at
//! dimension 4,096 it is 2.7e-8 (mean 5.6e-9; left-to-right 1.7e-7). That is
//! a few float32 ulps, far below the differences that decide ranks in
//! practice, and the same order as numpy's (BLAS) float32 dot product.

use crate::error::VectorError;
use crate::matrix::Vectors;

/// Independent accumulators per sum (see the module docs).
const LANES: usize = 16;

/// Sum over `0..len` of `f(a[i], b[i])`, in [`LANES`] accumulators.
#[inline(always)]
fn sum_lanes(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    assert_eq!(a.len(), b.len(), "vectors of different lengths");
    let mut acc = [0.0f32; LANES];
    let ca = a.chunks_exact(LANES);
    let cb = b.chunks_exact(LANES);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        // Fixed-size arrays: no bounds checks, one vector load per 4 lanes.
        let x: &[f32; LANES] = x.try_into().expect("chunk of LANES");
        let y: &[f32; LANES] = y.try_into().expect("chunk of LANES");
        for i in 0..LANES {
            acc[i] += f(x[i], y[i]);
        }
    }
    let mut tail = [0.0f32; LANES];
    for (i, (&x, &y)) in ra.iter().zip(rb).enumerate() {
        tail[i] = f(x, y);
    }
    reduce_lanes(acc, tail)
}

/// `acc + tail`, then a pairwise sum of the lanes (8 + 4 + 2 + 1 additions).
/// Kept out of line: inlined, its shuffles led LLVM to regroup the main
/// loop's lanes into a slower, shuffling vector loop.
#[inline(never)]
fn reduce_lanes(mut acc: [f32; LANES], tail: [f32; LANES]) -> f32 {
    for i in 0..LANES {
        acc[i] += tail[i];
    }
    let mut w = LANES;
    while w > 1 {
        w /= 2;
        for i in 0..w {
            acc[i] += acc[i + w];
        }
    }
    acc[0]
}

/// Dot product `Σ aᵢbᵢ`. Panics if the lengths differ.
///
/// ```
/// assert_eq!(towel_vectors::dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
/// ```
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    sum_lanes(a, b, |x, y| x * y)
}

/// Squared Euclidean norm `Σ aᵢ²`.
#[inline]
pub fn norm_sq(a: &[f32]) -> f32 {
    sum_lanes(a, a, |x, _| x * x)
}

/// Euclidean norm `√(Σ aᵢ²)`.
///
/// ```
/// assert_eq!(towel_vectors::norm(&[3.0, 4.0]), 5.0);
/// ```
#[inline]
pub fn norm(a: &[f32]) -> f32 {
    norm_sq(a).sqrt()
}

/// Squared Euclidean distance `Σ (aᵢ−bᵢ)²` (what faiss's `IndexFlatL2`
/// reports). Panics if the lengths differ.
#[inline]
pub fn l2_sq(a: &[f32], b: &[f32]) -> f32 {
    sum_lanes(a, b, |x, y| (x - y) * (x - y))
}

/// Euclidean distance `√(Σ (aᵢ−bᵢ)²)`. Panics if the lengths differ.
///
/// ```
/// assert_eq!(towel_vectors::l2(&[0.0, 0.0], &[3.0, 4.0]), 5.0);
/// ```
#[inline]
pub fn l2(a: &[f32], b: &[f32]) -> f32 {
    l2_sq(a, b).sqrt()
}

fn direction(origin: &str, row: Option<usize>, n: f32) -> Result<f32, VectorError> {
    if n > 0.0 && n.is_finite() {
        Ok(n)
    } else {
        Err(VectorError::ZeroVector {
            origin: origin.into(),
            row,
            norm: n,
        })
    }
}

/// Cosine similarity `a·b / (‖a‖ ‖b‖)`; an error if either vector is zero.
/// Panics if the lengths differ.
///
/// ```
/// let c = towel_vectors::cosine(&[1.0, 0.0], &[1.0, 1.0])?;
/// assert!((c - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-7);
/// assert!(towel_vectors::cosine(&[1.0, 0.0], &[0.0, 0.0]).is_err());
/// # Ok::<(), towel_vectors::VectorError>(())
/// ```
pub fn cosine(a: &[f32], b: &[f32]) -> Result<f32, VectorError> {
    let na = direction("first vector", None, norm(a))?;
    let nb = direction("second vector", None, norm(b))?;
    Ok(dot(a, b) / (na * nb))
}

/// Scale `a` to unit length in place (each value divided by the norm, as
/// numpy's `a / norm(a)`) and return the norm it had. A zero vector is an
/// error and is left unchanged.
///
/// ```
/// let mut v = [3.0f32, 4.0];
/// assert_eq!(towel_vectors::normalize_in_place(&mut v)?, 5.0);
/// assert_eq!(v, [0.6, 0.8]);
/// # Ok::<(), towel_vectors::VectorError>(())
/// ```
pub fn normalize_in_place(a: &mut [f32]) -> Result<f32, VectorError> {
    let n = direction("vector", None, norm(a))?;
    a.iter_mut().for_each(|x| *x /= n);
    Ok(n)
}

/// `a` scaled to unit length, as a new vector; an error if `a` is zero.
///
/// ```
/// assert_eq!(towel_vectors::normalize(&[0.0, 2.0])?, vec![0.0, 1.0]);
/// # Ok::<(), towel_vectors::VectorError>(())
/// ```
pub fn normalize(a: &[f32]) -> Result<Vec<f32>, VectorError> {
    let mut v = a.to_vec();
    normalize_in_place(&mut v)?;
    Ok(v)
}

/// Normalize every vector of `v` in place. The first zero vector is an
/// error naming its row; the vectors are then left unchanged.
///
/// ```
/// let mut v = towel_vectors::Vectors::new(vec![3.0, 4.0, 0.0, 2.0], 2)?;
/// towel_vectors::normalize_rows(&mut v)?;
/// assert_eq!(v.as_slice(), &[0.6, 0.8, 0.0, 1.0]);
/// # Ok::<(), towel_vectors::VectorError>(())
/// ```
pub fn normalize_rows(v: &mut Vectors) -> Result<(), VectorError> {
    let norms = norms(v);
    for (i, &n) in norms.iter().enumerate() {
        direction("vectors", Some(i), n)?;
    }
    let dim = v.dim();
    for (row, n) in v.as_mut_slice().chunks_exact_mut(dim).zip(norms) {
        row.iter_mut().for_each(|x| *x /= n);
    }
    Ok(())
}

/// The norm of every vector of `v`.
pub fn norms(v: &Vectors) -> Vec<f32> {
    v.rows().map(norm).collect()
}

/// `q · vᵢ` for every vector `vᵢ` of `v`. Panics if `q.len() != v.dim()`.
///
/// ```
/// let v = towel_vectors::Vectors::new(vec![1.0, 0.0, 0.0, 2.0], 2)?;
/// assert_eq!(towel_vectors::dots(&[3.0, 1.0], &v), vec![3.0, 2.0]);
/// # Ok::<(), towel_vectors::VectorError>(())
/// ```
pub fn dots(q: &[f32], v: &Vectors) -> Vec<f32> {
    v.rows().map(|r| dot(q, r)).collect()
}

/// `‖q − vᵢ‖²` for every vector `vᵢ` of `v`. Panics if `q.len() != v.dim()`.
pub fn l2_sqs(q: &[f32], v: &Vectors) -> Vec<f32> {
    v.rows().map(|r| l2_sq(q, r)).collect()
}

/// The cosine of `q` with every vector of `v`; an error naming the first
/// zero vector (or a zero `q`). Panics if `q.len() != v.dim()`.
pub fn cosines(q: &[f32], v: &Vectors) -> Result<Vec<f32>, VectorError> {
    let nq = direction("query", None, norm(q))?;
    v.rows()
        .enumerate()
        .map(|(i, r)| Ok(dot(q, r) / (nq * direction("vectors", Some(i), norm(r))?)))
        .collect()
}
