//! Low rank: the truncated singular value decomposition (SVD), the idea
//! behind PCA, latent semantic analysis and LoRA.
//!
//! Any `m × n` matrix is `A = U Σ Vᵀ` with orthonormal columns in `U` and
//! `V` and singular values `σ₁ ≥ σ₂ ≥ … ≥ 0` on the diagonal of `Σ`.
//! Keeping the first `r` gives `A_r = U_r Σ_r V_rᵀ`, and the
//! **Eckart–Young theorem** says no matrix of rank `r` is closer to `A`:
//!
//! ```text
//! min over rank(B) ≤ r of ‖A − B‖_F²  =  ‖A − A_r‖_F²  =  σ²_{r+1} + … + σ²_min(m,n)
//! ```
//!
//! the *tail* of the squared singular values ([`tail_sq`]). Since
//! `‖A‖_F² = Σ σᵢ²`, the tail is `‖A‖_F² − (σ₁² + … + σ_r²)`: it needs only
//! the first `r` singular values and the Frobenius norm.
//!
//! Two ways in, both through faer's dense QR and SVD:
//!
//! | function | for | cost |
//! | --- | --- | --- |
//! | [`svd`], [`singular_values`] | small dense matrices, every singular value | `O(m n min(m, n))` |
//! | [`randomized_svd`] | the first `r` of a large or sparse matrix ([`Operator`]: dense [`faer::Mat`] or [`SparseMatrix`]) | `(2q + 2)` products with `A` or `Aᵀ` by `n × (r + p)` blocks, plus QRs of `(m or n) × (r + p)` |
//!
//! [`randomized_svd`] is Halko, Martinsson and Tropp's randomized range
//! finder with `q` power iterations (*Finding structure with randomness*,
//! SIAM Review 2011, algorithms 4.4 and 5.1), the method of scikit-learn's
//! `TruncatedSVD(algorithm="randomized")`: multiply `A` by a Gaussian `n × (r + p)`
//! block, orthonormalize (QR), alternate `Aᵀ` and `A` `q` times,
//! re-orthonormalizing each time, then take the exact SVD of the small
//! projection `Qᵀ A`. Its singular values are never above the true ones and
//! approach them as `q` grows, fastest where the spectrum decays. It touches
//! `A` only through products, so a sparse term-document matrix is never
//! made dense. Unlike the textbook version it re-orthonormalizes only the
//! shorter side's block at each iteration, which halves the QR work on a
//! documents × terms matrix. [`SparseMatrix`] × dense block is written here (20 lines,
//! rayon over rows); faer does the dense work.
//!
//! ```
//! use towel_vectors::svd::{low_rank_plus_noise, randomized_svd, residual_sq, singular_values, tail_sq, Operator, RandomizedSvd};
//! // rank 5 plus a little noise: 5 large singular values, then small ones
//! let a = low_rank_plus_noise(60, 40, 5, 0.01, 7)?;
//! let all = singular_values(a.as_ref())?;
//! assert!(all[4] > 10.0 * all[5]);
//! let r = randomized_svd(&a, &RandomizedSvd::new(5))?;
//! for (approx, exact) in r.s.iter().zip(&all) {
//!     assert!((approx - exact).abs() < 1e-9 * exact);
//! }
//! // Eckart–Young: the error of the best rank-5 approximation is the tail.
//! let err = residual_sq(&a, &r);
//! assert!((err - tail_sq(&all, 5)).abs() < 1e-9 * a.frobenius_sq());
//! # Ok::<(), towel_vectors::VectorError>(())
//! ```

use faer::linalg::solvers::{Qr, Svd as FaerSvd};
use faer::{Mat, MatRef};
use rayon::prelude::*;

use crate::error::VectorError;
use crate::matrix::Vectors;
use crate::random::gaussian;

/// A truncated SVD `A ≈ U diag(s) Vᵀ`: `u` is `m × r`, `v` is `n × r`,
/// both with orthonormal columns, and `s` holds `r` singular values,
/// largest first.
#[derive(Debug, Clone)]
pub struct Svd {
    pub u: Mat<f64>,
    pub s: Vec<f64>,
    pub v: Mat<f64>,
}

impl Svd {
    /// The rank `r` kept.
    pub fn rank(&self) -> usize {
        self.s.len()
    }

    /// The first `r` components only (all of them when `r ≥ rank()`).
    pub fn truncate(&self, r: usize) -> Svd {
        let r = r.min(self.rank());
        Svd {
            u: self.u.get(.., ..r).to_owned(),
            s: self.s[..r].to_vec(),
            v: self.v.get(.., ..r).to_owned(),
        }
    }

    /// `U diag(s) Vᵀ`, the `m × n` rank-`r` matrix (dense: for small matrices).
    pub fn reconstruct(&self) -> Mat<f64> {
        let us = Mat::from_fn(self.u.nrows(), self.rank(), |i, j| {
            self.u[(i, j)] * self.s[j]
        });
        &us * self.v.transpose()
    }

    /// The rows of `U diag(s)` as float32 vectors: the coordinates of the
    /// rows of `A` in the rank-`r` basis `V` (for a documents × terms
    /// matrix, LSA's document vectors; they equal the rows of `A V`).
    pub fn row_vectors(&self) -> Vectors {
        let (m, r) = (self.u.nrows(), self.rank());
        let mut data = Vec::with_capacity(m * r);
        for i in 0..m {
            data.extend((0..r).map(|j| (self.u[(i, j)] * self.s[j]) as f32));
        }
        Vectors::new(data, r.max(1)).expect("m × r values")
    }

    /// A new row `x` (sparse: `(column, value)` pairs) in the same
    /// coordinates: `x V`, as float32. This is how LSA folds a query in.
    /// Columns `≥ n` are ignored.
    pub fn fold_in(&self, x: &[(u32, f64)]) -> Vec<f32> {
        let r = self.rank();
        let mut out = vec![0f64; r];
        for &(c, val) in x {
            let c = c as usize;
            if c < self.v.nrows() {
                for (j, o) in out.iter_mut().enumerate() {
                    *o += val * self.v[(c, j)];
                }
            }
        }
        out.into_iter().map(|x| x as f32).collect()
    }
}

/// A matrix known through its products with dense blocks, which is all
/// [`randomized_svd`] needs.
pub trait Operator: Sync {
    /// Number of rows `m`.
    fn nrows(&self) -> usize;
    /// Number of columns `n`.
    fn ncols(&self) -> usize;
    /// `A X` for an `n × k` block `X`.
    fn mul(&self, x: MatRef<'_, f64>) -> Mat<f64>;
    /// `Aᵀ X` for an `m × k` block `X`.
    fn mul_t(&self, x: MatRef<'_, f64>) -> Mat<f64>;
    /// `‖A‖_F² = Σᵢⱼ aᵢⱼ² = Σ σᵢ²`.
    fn frobenius_sq(&self) -> f64;
}

impl Operator for Mat<f64> {
    fn nrows(&self) -> usize {
        Mat::nrows(self)
    }
    fn ncols(&self) -> usize {
        Mat::ncols(self)
    }
    fn mul(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        self * x
    }
    fn mul_t(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        self.transpose() * x
    }
    fn frobenius_sq(&self) -> f64 {
        let n = self.norm_l2();
        n * n
    }
}

/// A sparse matrix in compressed sparse row form (SciPy's `csr_matrix`
/// layout: `indptr`, `indices`, `data`), kept with its transpose so that
/// both `A X` and `Aᵀ X` walk rows.
#[derive(Debug, Clone)]
pub struct SparseMatrix {
    a: Csr,
    at: Csr,
}

#[derive(Debug, Clone)]
struct Csr {
    cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    data: Vec<f64>,
}

impl Csr {
    fn rows(&self) -> usize {
        self.indptr.len() - 1
    }

    fn transpose(&self) -> Csr {
        let mut count = vec![0usize; self.cols + 1];
        for &c in &self.indices {
            count[c as usize + 1] += 1;
        }
        for i in 0..self.cols {
            count[i + 1] += count[i];
        }
        let indptr = count.clone();
        let mut next = count;
        let mut indices = vec![0u32; self.indices.len()];
        let mut data = vec![0f64; self.data.len()];
        for r in 0..self.rows() {
            for k in self.indptr[r]..self.indptr[r + 1] {
                let c = self.indices[k] as usize;
                indices[next[c]] = r as u32;
                data[next[c]] = self.data[k];
                next[c] += 1;
            }
        }
        Csr {
            cols: self.rows(),
            indptr,
            indices,
            data,
        }
    }

    /// `self · X` with `X` given transposed (`xt` is `k × cols`, so
    /// `xt.col(j)` is row `j` of `X`, contiguous), as an `rows × k` matrix.
    fn mul(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let k = x.ncols();
        let xt: Mat<f64> = x.transpose().to_owned();
        let mut y = vec![0f64; self.rows() * k];
        if k > 0 {
            y.par_chunks_mut(k).enumerate().for_each(|(r, out)| {
                for i in self.indptr[r]..self.indptr[r + 1] {
                    let v = self.data[i];
                    let row = xt.col_as_slice(self.indices[i] as usize);
                    for (o, &xv) in out.iter_mut().zip(row) {
                        *o += v * xv;
                    }
                }
            });
        }
        Mat::from_fn(self.rows(), k, |i, j| y[i * k + j])
    }
}

impl SparseMatrix {
    /// A `rows × cols` matrix from CSR arrays: `indptr` has `rows + 1`
    /// non-decreasing offsets from 0 to `indices.len()`, `indices` holds
    /// each value's column (`< cols`), `data` the values (finite). Checked.
    pub fn from_csr(
        cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        data: Vec<f64>,
    ) -> Result<Self, VectorError> {
        let bad = |reason: String| VectorError::Config {
            what: "sparse matrix",
            reason,
        };
        if indptr.first() != Some(&0) {
            return Err(bad("indptr must start with 0".into()));
        }
        if indptr.windows(2).any(|w| w[0] > w[1]) {
            return Err(bad("indptr must not decrease".into()));
        }
        if indices.len() != data.len() || *indptr.last().expect("non-empty") != data.len() {
            return Err(bad(format!(
                "indptr ends at {}, but there are {} indices and {} values",
                indptr.last().expect("non-empty"),
                indices.len(),
                data.len()
            )));
        }
        if let Some(c) = indices.iter().find(|&&c| c as usize >= cols) {
            return Err(bad(format!("column {c} is outside the {cols} columns")));
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err(bad("a value is NaN or infinite".into()));
        }
        let a = Csr {
            cols,
            indptr,
            indices,
            data,
        };
        let at = a.transpose();
        Ok(SparseMatrix { a, at })
    }

    /// Number of stored values.
    pub fn nnz(&self) -> usize {
        self.a.data.len()
    }

    /// Row `r` as `(column, value)` pairs.
    pub fn row(&self, r: usize) -> Vec<(u32, f64)> {
        let (a, b) = (self.a.indptr[r], self.a.indptr[r + 1]);
        self.a.indices[a..b]
            .iter()
            .copied()
            .zip(self.a.data[a..b].iter().copied())
            .collect()
    }
}

impl Operator for SparseMatrix {
    fn nrows(&self) -> usize {
        self.a.rows()
    }
    fn ncols(&self) -> usize {
        self.a.cols
    }
    fn mul(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        self.a.mul(x)
    }
    fn mul_t(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        self.at.mul(x)
    }
    fn frobenius_sq(&self) -> f64 {
        self.a.data.iter().map(|v| v * v).sum()
    }
}

fn no_convergence(what: &str) -> VectorError {
    VectorError::Config {
        what: "matrix",
        reason: format!(
            "the {what} did not converge (faer); check the matrix for huge or tiny values"
        ),
    }
}

fn check_finite(a: MatRef<'_, f64>) -> Result<(), VectorError> {
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            if !a[(i, j)].is_finite() {
                return Err(VectorError::Config {
                    what: "matrix",
                    reason: format!(
                        "value ({i}, {j}) is {}; an SVD needs finite values",
                        a[(i, j)]
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The thin SVD of a dense matrix (faer): all `min(m, n)` singular values
/// with their vectors.
pub fn svd(a: MatRef<'_, f64>) -> Result<Svd, VectorError> {
    check_finite(a)?;
    let k = a.nrows().min(a.ncols());
    if k == 0 {
        return Ok(Svd {
            u: Mat::zeros(a.nrows(), 0),
            s: Vec::new(),
            v: Mat::zeros(a.ncols(), 0),
        });
    }
    let d = FaerSvd::new_thin(a).map_err(|_| no_convergence("SVD"))?;
    Ok(Svd {
        u: d.U().to_owned(),
        s: d.S().column_vector().iter().copied().collect(),
        v: d.V().to_owned(),
    })
}

/// All `min(m, n)` singular values of a dense matrix, largest first (faer,
/// without the vectors).
pub fn singular_values(a: MatRef<'_, f64>) -> Result<Vec<f64>, VectorError> {
    check_finite(a)?;
    if a.nrows().min(a.ncols()) == 0 {
        return Ok(Vec::new());
    }
    a.singular_values().map_err(|_| no_convergence("SVD"))
}

/// `σ²_{r+1} + …`: the squared Frobenius error of the best rank-`r`
/// approximation, from all singular values `s` (largest first).
pub fn tail_sq(s: &[f64], r: usize) -> f64 {
    s.iter().skip(r).map(|x| x * x).sum()
}

/// `‖A − U diag(s) Vᵀ‖_F²` without forming the product:
/// `‖A‖_F² − 2 Σᵢ sᵢ uᵢᵀ A vᵢ + Σᵢ sᵢ²` (one product `A V`). For an exact
/// truncated SVD this is [`tail_sq`]; for any other factorization it is
/// larger (Eckart–Young). Rounding makes it inexact when the error is tiny
/// next to `‖A‖_F²` (about 1e-15 of it), and it is clamped at 0.
pub fn residual_sq(a: &impl Operator, f: &Svd) -> f64 {
    let av = a.mul(f.v.as_ref());
    let mut cross = 0.0;
    for (j, &s) in f.s.iter().enumerate() {
        let mut d = 0.0;
        for i in 0..av.nrows() {
            d += f.u[(i, j)] * av[(i, j)];
        }
        cross += s * d;
    }
    let s2: f64 = f.s.iter().map(|s| s * s).sum();
    (a.frobenius_sq() - 2.0 * cross + s2).max(0.0)
}

/// Every singular value of a sparse matrix, largest first, through the
/// eigenvalues of its Gram matrix: `A Aᵀ` when `m ≤ n`, else `Aᵀ A` (dense,
/// `min(m, n)²` float64s, built from the sparse rows), whose eigenvalues
/// are the `σᵢ²` (faer's self-adjoint eigensolver). Squaring loses the
/// relative accuracy of singular values below about `1e-8 σ₁`, but the
/// `σᵢ²` themselves, and so [`tail_sq`], are accurate to `1e-16 σ₁²`. This is
/// the exact reference for checking [`randomized_svd`] and the
/// Eckart–Young tail on a large sparse matrix; it costs `O(min(m, n)³)`.
pub fn gram_singular_values(a: &SparseMatrix) -> Result<Vec<f64>, VectorError> {
    let (rows, cols) = if a.a.rows() <= a.a.cols {
        (&a.a, &a.at)
    } else {
        (&a.at, &a.a)
    };
    let k = rows.rows();
    if k == 0 || rows.cols == 0 {
        return Ok(Vec::new());
    }
    // G[i, :] = Σ over i's entries (t, x) of x · (column t of `rows`), the
    // column given by `cols`' row t.
    let mut g = vec![0f64; k * k];
    g.par_chunks_mut(k).enumerate().for_each(|(i, out)| {
        for p in rows.indptr[i]..rows.indptr[i + 1] {
            let (t, x) = (rows.indices[p] as usize, rows.data[p]);
            for q in cols.indptr[t]..cols.indptr[t + 1] {
                out[cols.indices[q] as usize] += x * cols.data[q];
            }
        }
    });
    let g = Mat::from_fn(k, k, |i, j| g[i * k + j]);
    let mut ev = g
        .self_adjoint_eigenvalues(faer::Side::Lower)
        .map_err(|_| no_convergence("eigendecomposition"))?;
    ev.reverse();
    Ok(ev.into_iter().map(|l| l.max(0.0).sqrt()).collect())
}

/// Settings of [`randomized_svd`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomizedSvd {
    /// Singular values and vectors to return.
    pub rank: usize,
    /// Extra random directions `p` (scikit-learn's `n_oversamples`, 10).
    pub oversample: usize,
    /// Power iterations `q` (scikit-learn's `n_iter`: 5 by default in
    /// `TruncatedSVD`; more for flat spectra).
    pub power_iters: usize,
    /// Seed of the Gaussian test matrix ([`crate::random::gaussian`]).
    pub seed: u64,
}

impl RandomizedSvd {
    /// Rank `rank`, 10 extra directions, 5 power iterations, seed 0.
    pub fn new(rank: usize) -> Self {
        RandomizedSvd {
            rank,
            oversample: 10,
            power_iters: 5,
            seed: 0,
        }
    }
}

/// An orthonormal basis of the columns of `y` (thin Q of its QR).
fn orthonormalize(y: Mat<f64>) -> Mat<f64> {
    Qr::new(y.as_ref()).compute_thin_Q()
}

/// The first `p.rank` singular values and vectors of `a`, by the randomized
/// range finder with power iterations (see the module docs). Fails when
/// `p.rank` is 0 or above `min(m, n)`.
pub fn randomized_svd(a: &impl Operator, p: &RandomizedSvd) -> Result<Svd, VectorError> {
    let (m, n) = (a.nrows(), a.ncols());
    let most = m.min(n);
    if p.rank == 0 || p.rank > most {
        return Err(VectorError::Config {
            what: "rank",
            reason: format!(
                "{} is not between 1 and min(rows, columns) = {most}",
                p.rank
            ),
        });
    }
    let l = (p.rank + p.oversample).min(most);
    let omega = gaussian(n, l, p.seed)?;
    let omega = Mat::from_fn(n, l, |i, j| omega.row(i)[j] as f64);
    // One QR per power iteration, on the shorter side: between two QRs a
    // block goes through A and Aᵀ once, so rounding only loses directions
    // whose σ² is below about 1e-16 σ₁². The longer side's block is
    // orthonormalized once, at the end.
    let short_rows = m <= n;
    let mut q = orthonormalize(a.mul(omega.as_ref()));
    for _ in 0..p.power_iters {
        let z = a.mul_t(q.as_ref());
        let z = if short_rows { z } else { orthonormalize(z) };
        let y = a.mul(z.as_ref());
        q = if short_rows { orthonormalize(y) } else { y };
    }
    if !short_rows && p.power_iters > 0 {
        q = orthonormalize(q);
    }
    // Bᵀ = Aᵀ Q (n × l) = W S Zᵀ, so A ≈ Q B = (Q Z) S Wᵀ.
    let bt = a.mul_t(q.as_ref());
    let small = svd(bt.as_ref())?;
    let u = &q * &small.v;
    Ok(Svd {
        u,
        s: small.s,
        v: small.u,
    }
    .truncate(p.rank))
}

/// A random `m × n` matrix of rank `rank` plus Gaussian noise:
/// `U diag(σ) Vᵀ + noise · G`, with `U`, `V` orthonormal bases of random
/// Gaussian subspaces, `σᵢ = 10 · 0.8ⁱ` (i = 0 … rank − 1), and `G`
/// standard normal. Its singular values are the `σᵢ`, perturbed by the
/// noise, then a noise floor of about `noise · (√m + √n)`.
pub fn low_rank_plus_noise(
    m: usize,
    n: usize,
    rank: usize,
    noise: f64,
    seed: u64,
) -> Result<Mat<f64>, VectorError> {
    if rank > m.min(n) {
        return Err(VectorError::Config {
            what: "rank",
            reason: format!("{rank} is above min(rows, columns) = {}", m.min(n)),
        });
    }
    let dense = |rows: usize, cols: usize, seed: u64| -> Result<Mat<f64>, VectorError> {
        let g = gaussian(rows, cols.max(1), seed)?;
        Ok(Mat::from_fn(rows, cols, |i, j| g.row(i)[j] as f64))
    };
    let mut a = dense(m, n, seed.wrapping_add(2))?;
    a *= faer::Scale(noise);
    if rank > 0 {
        let u = orthonormalize(dense(m, rank, seed)?);
        let v = orthonormalize(dense(n, rank, seed.wrapping_add(1))?);
        let us = Mat::from_fn(m, rank, |i, j| u[(i, j)] * 10.0 * 0.8f64.powi(j as i32));
        a += &us * v.transpose();
    }
    Ok(a)
}
