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
//! - [`matrix`]: [`Vectors`], `n` vectors of one dimension in one row-major buffer.
//!
//! ## Dependencies, and why
//! - `thiserror`: the typed [`VectorError`].
//! - `memmap2`: memory-maps large `.npy` and raw files for reading, the
//!   maintained successor of `memmap`; its `Mmap::map` is the crate's one
//!   `unsafe` call, isolated in `npy::map_file` (the crate denies `unsafe`
//!   everywhere else).
//! - `towel-data`: atomic file writes.

#![deny(unsafe_code)]

pub mod error;
pub mod matrix;
pub mod npy;
pub mod similarity;

pub use error::VectorError;
pub use matrix::Vectors;
pub use npy::{read_npy, read_raw_f32, write_npy, write_raw_f32};
pub use similarity::{
    cosine, cosines, dot, dots, l2, l2_sq, l2_sqs, norm, norm_sq, normalize, normalize_in_place,
    normalize_rows, norms,
};
