//! Optimizers with PyTorch's exact update rules, and gradient clipping.
//!
//! Each optimizer follows PyTorch's single-tensor implementation step by
//! step (the one PyTorch runs on CPU), in f32 with the scalar factors
//! (bias corrections, step sizes) computed in f64 as Python does, so a
//! parameter trajectory matches PyTorch's to float rounding
//! (`tests/optim.rs`, fixtures from `tests/fixtures/gen_torch.py`).
//!
//! | optimizer | update (g = gradient, p = parameter, t = step) |
//! | --- | --- |
//! | [`Sgd`] | g ← g + λp; b ← g (t = 1) or μb + (1−τ)g; g ← g + μb (Nesterov) or b; p ← p − ηg |
//! | [`Adam`] | g ← g + λp; m ← m + (1−β₁)(g − m); v ← β₂v + (1−β₂)g²; p ← p − η/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε) |
//! | [`Adam`] as AdamW | p ← p(1 − ηλ) first (decoupled weight decay), then Adam with λ = 0 |
//!
//! Parameters without a gradient are skipped, as in PyTorch.

mod adam;
mod sgd;

pub use adam::Adam;
pub use sgd::Sgd;

use towel_autograd::array::Array;
use towel_autograd::profile::{self, Phase};

use crate::error::Result;
use crate::param::Parameter;

/// What every optimizer does.
pub trait Optimizer {
    /// Apply one update to every parameter that has a gradient.
    fn step(&mut self) -> Result<()>;
    /// The parameters it updates.
    fn params(&self) -> &[Parameter];
    /// The learning rate used by the next step.
    fn lr(&self) -> f64;
    /// Set the learning rate (what a schedule does each step).
    fn set_lr(&mut self, lr: f64);
    /// Forget every parameter's gradient (PyTorch's `set_to_none=True`).
    fn zero_grad(&self) {
        for p in self.params() {
            p.zero_grad();
        }
    }
}

/// An array in contiguous layout: itself when it already is (no copy).
pub(crate) trait ContiguousOrSelf {
    fn contiguous_or_self(self) -> Array;
}

impl ContiguousOrSelf for Array {
    fn contiguous_or_self(self) -> Array {
        if self.is_contiguous() {
            self
        } else {
            self.contiguous()
        }
    }
}

/// The values of a parameter and its gradient as contiguous vectors.
pub(crate) fn values(p: &Parameter) -> Option<(Vec<f32>, Vec<f32>)> {
    let g = p.grad()?;
    Some((p.data().to_vec(), g.to_vec()))
}

pub(crate) fn install(p: &Parameter, values: Vec<f32>) -> Result<()> {
    let shape = p.shape();
    p.set(Array::from_vec(values, &shape)?)
}

/// `min(1, max_norm / (norm + 1e-6))` with NaN kept (PyTorch's
/// `clamp(max=1.0)`; `f32::min` would make it 1): a NaN or infinite norm
/// turns every gradient into NaN (or 0 and NaN), as in PyTorch, instead of
/// leaving the others unscaled.
fn clip_coefficient(max_norm: f32, total: f32) -> f32 {
    let coef = max_norm / (total + 1e-6);
    if coef > 1.0 {
        1.0
    } else {
        coef
    }
}

/// Scale the gradients so that their joint L2 norm is at most `max_norm`
/// and return the norm before clipping (PyTorch's
/// `torch.nn.utils.clip_grad_norm_`: the factor is
/// `min(1, max_norm / (norm + 1e-6))`, applied always; a NaN norm makes
/// every gradient NaN, as there).
pub fn clip_grad_norm(params: &[Parameter], max_norm: f32) -> Result<f32> {
    let _scope = profile::scope("clip_grad_norm", Phase::Forward);
    let grads: Vec<(&Parameter, Array)> = params
        .iter()
        .filter_map(|p| p.grad().map(|g| (p, g.contiguous_or_self())))
        .collect();
    let total = profile::kernel(|| {
        grads
            .iter()
            .map(|(_, g)| {
                let s = g.as_slice().expect("contiguous");
                let n = s
                    .iter()
                    .map(|&v| (v as f64) * (v as f64))
                    .sum::<f64>()
                    .sqrt() as f32;
                (n as f64) * (n as f64)
            })
            .sum::<f64>()
            .sqrt() as f32
    });
    let coef = clip_coefficient(max_norm, total);
    for (p, g) in grads {
        let v: Vec<f32> = profile::kernel(|| {
            g.as_slice()
                .expect("contiguous")
                .iter()
                .map(|&x| x * coef)
                .collect()
        });
        p.set_grad(Array::from_vec(v, g.shape())?)?;
    }
    Ok(total)
}
