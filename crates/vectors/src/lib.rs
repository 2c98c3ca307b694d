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
//! - [`matrix`]: [`Vectors`], `n` vectors of one dimension in one row-major buffer.
//!
//! ## Dependencies, and why
//! - `thiserror`: the typed [`VectorError`].
//! - `towel-data`: atomic file writes.

#![deny(unsafe_code)]

pub mod error;
pub mod matrix;
pub mod similarity;

pub use error::VectorError;
pub use matrix::Vectors;
pub use similarity::{
    cosine, cosines, dot, dots, l2, l2_sq, l2_sqs, norm, norm_sq, normalize, normalize_in_place,
    normalize_rows, norms,
};
