//! A finite-difference gradient checker for any function of tensors.
//!
//! ```
//! use towel_autograd::{array::Array, gradcheck::gradcheck, tensor::Tensor};
//! let x = Array::from_vec(vec![0.3, -1.2, 2.0], &[3]).unwrap();
//! let report = gradcheck(|t: &[Tensor]| Ok(t[0].tanh().mul(&t[0])?), &[x]).unwrap();
//! assert!(report.max_error < 1e-2, "{report:?}");
//! ```
//!
//! The function's output `y` is reduced to `L = Σ wᵢ·yᵢ` with fixed
//! pseudo-random weights `w` (so that every output element counts, each
//! differently); the analytic gradient of `L` from `backward` is compared
//! with the central difference `(L(x + ε) − L(x − ε)) / 2ε` for every
//! input element, `L` summed in f64. Tensors are f32, so ε is 1e-2 by
//! default and agreement is to about 1e-3 relative, not PyTorch's float64
//! 1e-7 (compare against PyTorch's own numbers for that: `tests/torch_ops.rs`).

use crate::array::Array;
use crate::error::Result;
use crate::rng::Rng;
use crate::tensor::{no_grad, Tensor};

/// What [`gradcheck`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The largest `|analytic − numeric| / max(1, |numeric|)` over all elements.
    pub max_error: f64,
    /// Where: (input index, element index in row-major order).
    pub worst: (usize, usize),
    /// Number of elements checked.
    pub checked: usize,
}

/// Compare `f`'s gradients at `inputs` with central differences (ε = 1e-2).
pub fn gradcheck(f: impl Fn(&[Tensor]) -> Result<Tensor>, inputs: &[Array]) -> Result<Report> {
    gradcheck_eps(f, inputs, 1e-2)
}

/// [`gradcheck`] with step `eps`.
pub fn gradcheck_eps(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Array],
    eps: f32,
) -> Result<Report> {
    let leaves: Vec<Tensor> = inputs
        .iter()
        .map(|a| Tensor::new(a.contiguous()).requires_grad())
        .collect();
    let y = f(&leaves)?;
    let mut rng = Rng::new(0x5eed);
    let w: Vec<f32> = (0..y.data().numel())
        .map(|_| rng.uniform(0.5, 1.5) as f32)
        .collect();
    let weighted = |y: &Tensor| -> f64 {
        y.to_vec()
            .iter()
            .zip(&w)
            .map(|(&v, &w)| v as f64 * w as f64)
            .sum()
    };
    let wt = Tensor::from_vec(w.clone(), y.shape())?;
    y.mul(&wt)?.sum().backward()?;
    let _guard = no_grad();
    let mut report = Report {
        max_error: 0.0,
        worst: (0, 0),
        checked: 0,
    };
    for (k, input) in inputs.iter().enumerate() {
        let analytic = leaves[k]
            .grad()
            .map(|g| g.to_vec())
            .unwrap_or_else(|| vec![0.0; input.numel()]);
        let base = input.to_vec();
        for (i, &an) in analytic.iter().enumerate() {
            let eval = |delta: f32| -> Result<f64> {
                let mut v = base.clone();
                v[i] += delta;
                let mut ts: Vec<Tensor> = leaves.iter().map(Tensor::detach).collect();
                ts[k] = Tensor::from_vec(v, input.shape())?;
                Ok(weighted(&f(&ts)?))
            };
            let numeric = (eval(eps)? - eval(-eps)?) / (2.0 * eps as f64);
            let err = (an as f64 - numeric).abs() / numeric.abs().max(1.0);
            report.checked += 1;
            if err > report.max_error || err.is_nan() {
                report.max_error = err;
                report.worst = (k, i);
            }
        }
    }
    Ok(report)
}
