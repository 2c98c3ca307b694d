//! # towel-autograd: what `.backward()` really does
//!
//! - [`scalar`]: micrograd's `Value` on a flat tape, with its semantics
//!   and PyTorch's numbers; [`nn`]: micrograd's `Neuron`, `Layer`, `MLP`
//!   and its two-moons demo.
//! - [`expr`]: the expression language of `towel grad` (`sin(x**3 + 2*x)`),
//!   evaluated on the scalar engine, with a trace of the backward pass and
//!   a Graphviz picture.
//!
//! ```
//! use towel_autograd::expr;
//! let g = expr::gradient("sin(x**3 + 2*x)", &[("x", 2.0)]).unwrap();
//! assert!((g.grad[0].1 - 12f64.cos() * 14.0).abs() < 1e-12);
//! ```
//!
//! ## Dependencies, and why
//! - `thiserror`: the typed [`AutogradError`].
//! - `matrixmultiply`: the GEMM behind tensor matmul.

// One audited call into the GEMM crate (src/gemm.rs) is the only unsafe code.
#![deny(unsafe_code)]

pub mod array;
pub mod error;
pub mod expr;
pub mod fastmath;
mod gemm;
pub mod gradcheck;
pub mod nn;
pub mod rng;
pub mod scalar;
pub mod tensor;

pub use error::{AutogradError, Result};
