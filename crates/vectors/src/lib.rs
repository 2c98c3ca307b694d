//! # towel-vectors: dense vectors, exact search with faiss's answers
//!
//! Similarity of float32 vectors, `.npy` and raw float32 files in and out,
//! and an exact flat index that returns the same ids in the same order as
//! faiss's `IndexFlatIP` / `IndexFlatL2`, ties included.
//!
//! ```
//! use towel_vectors::{cosine, dot, normalize};
//! let a = normalize(&[3.0, 4.0])?;
//! let b = normalize(&[4.0, 3.0])?;
//! // On unit vectors, cosine is the dot product.
//! assert!((cosine(&a, &b)? - dot(&a, &b)).abs() < 1e-7);
//! # Ok::<(), towel_vectors::VectorError>(())
//! ```
//!
//! Modules:
//! - [`similarity`]: dot, cosine, L2, norms and normalization, one vector or many;
//! - [`npy`]: `.npy` (C and Fortran order, memory-mapped when large) and raw float32 files;
//! - [`flat`]: [`FlatIndex`], exact top-k by inner product, cosine or L2,
//!   one query or a batch, with allow-lists; the same ids and order as
//!   faiss's `IndexFlatIP` / `IndexFlatL2` ([`topk`] explains the tie rule);
//! - [`random`]: reproducible standard normal vectors from a seed;
//! - [`matrix`]: [`Vectors`], `n` vectors of one dimension in one row-major buffer;
//! - [`svd`]: low rank: exact and randomized truncated SVD (dense or sparse),
//!   Eckart–Young, and the pieces of latent semantic analysis.
//!
//! ## Dependencies, and why
//! - `gemm`: the matrix product behind batch search (blocks of queries ×
//!   blocks of stored vectors). Chosen over `matrixmultiply` by measurement
//!   on the 2-core AMD EPYC (AVX-512) VM this was built on, one thread,
//!   the benchmark's shapes (1,000 queries × 100,000 vectors × 384 in
//!   blocks): `gemm` 0.19 85 GFLOP/s against 72 for `matrixmultiply` 0.3
//!   (blocks of 500 × 1,024; 71 against 61 with 256 × 4,096), because
//!   `gemm` has AVX-512 kernels (feature `x86-v4`, picked at run time when
//!   the CPU has them, AVX2/FMA otherwise) and `matrixmultiply` stops at
//!   AVX2 (`x86-v4` builds on bytemuck's AVX-512 types, so it needs a
//!   toolchain with the AVX-512 intrinsics stabilized, Rust 1.89 or newer).
//!   Its raw-pointer API is called from one function with checked
//!   bounds (`gemm::gemm_abt`, this crate's second `unsafe` block). `faer`
//!   would give a safe API over the same kernels at several times the
//!   compile time.
//! - `faer` 0.24: the QR and SVD of [`svd`]. An SVD is the kind of numerical
//!   code that takes years to get right (bidiagonalization, divide and
//!   conquer, convergence on clustered values); faer is a maintained,
//!   pure-Rust implementation with blocked, multithreaded kernels, the
//!   issue asked for a real crate there, and it builds on the same `gemm`
//!   as the flat index. nalgebra was the alternative (not measured against
//!   here; faer's decompositions are blocked and multithreaded). Cost: about
//!   5 minutes of extra compile time on 2 cores (measured, first build). Built without its
//!   default features (sparse, rand, npy), which towel has itself.
//! - `rayon`: batch search on all cores, by chunks of queries.
//! - `thiserror`: the typed [`VectorError`].
//! - `memmap2`: memory-maps large `.npy` and raw files for reading, the
//!   maintained successor of `memmap`; its `Mmap::map` is one of the crate's two
//!   `unsafe` calls, isolated in `npy::map_file` (the crate denies `unsafe`
//!   everywhere else).
//! - `towel-data`: atomic file writes.

#![deny(unsafe_code)]

pub mod error;
pub mod flat;
mod gemm;
pub mod matrix;
pub mod npy;
pub mod random;
pub mod similarity;
pub mod svd;
pub mod topk;

/// faer, the linear-algebra crate of [`svd`] (its matrices are in that module's API).
pub use faer;

pub use error::VectorError;
pub use flat::{FlatIndex, Hit, Metric, SearchParams};
pub use matrix::Vectors;
pub use npy::{read_npy, read_raw_f32, write_npy, write_raw_f32};
pub use similarity::{
    cosine, cosines, dot, dots, l2, l2_sq, l2_sqs, norm, norm_sq, normalize, normalize_in_place,
    normalize_rows, norms,
};
