//! Learning-rate schedules: linear warmup and cosine decay, PyTorch's
//! `LinearLR`, `CosineAnnealingLR` and the two chained with
//! `SequentialLR` (in their closed forms; `tests/optim.rs` compares 40
//! steps with PyTorch's).
//!
//! As in PyTorch, the cosine does not stop at `t_max`: past it the rate
//! rises again (a period of 2·`t_max`), so train for `t_max` steps.
//!
//! `step` counts the scheduler steps taken so far (PyTorch's
//! `last_epoch`): the learning rate of the first update is `lr_at(0)`.
//!
//! | schedule | learning rate at step t |
//! | --- | --- |
//! | `Constant` | η |
//! | `Warmup { steps: w, start_factor: s }` | η · (s + (1 − s) · min(t, w)/w) |
//! | `Cosine { t_max: T, eta_min: m }` | m + (η − m)(1 + cos(π·t/T))/2 |
//! | `WarmupCosine { warmup: w, total: n, start_factor: s, eta_min: m }` | warmup for t < w, then cosine over t − w with T = n − w |
//!
//! ```
//! use towel_train::schedule::Schedule;
//! let s = Schedule::WarmupCosine { warmup: 10, total: 110, start_factor: 0.1, eta_min: 0.0 };
//! assert!((s.lr_at(1e-3, 0) - 1e-4).abs() < 1e-12);   // warmup starts at 10%
//! assert!((s.lr_at(1e-3, 10) - 1e-3).abs() < 1e-12);  // full rate after it
//! assert!((s.lr_at(1e-3, 60) - 5e-4).abs() < 1e-12);  // half-way down the cosine
//! assert!(s.lr_at(1e-3, 110).abs() < 1e-12);
//! ```

use std::f64::consts::PI;

/// A learning-rate schedule (a factor on the optimizer's base rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    /// The base rate throughout.
    Constant,
    /// From `start_factor`·η up to η linearly over `steps` steps.
    Warmup {
        /// Steps of warmup.
        steps: usize,
        /// Fraction of the rate at step 0.
        start_factor: f64,
    },
    /// Half a cosine from η down to `eta_min` over `t_max` steps.
    Cosine {
        /// Steps to reach `eta_min`.
        t_max: usize,
        /// The final rate.
        eta_min: f64,
    },
    /// `Warmup` for `warmup` steps, then `Cosine` until `total`.
    WarmupCosine {
        /// Steps of warmup.
        warmup: usize,
        /// Total steps (warmup included).
        total: usize,
        /// Fraction of the rate at step 0.
        start_factor: f64,
        /// The final rate.
        eta_min: f64,
    },
}

impl Schedule {
    /// The learning rate after `step` scheduler steps, for base rate `base`.
    pub fn lr_at(&self, base: f64, step: usize) -> f64 {
        match *self {
            Schedule::Constant => base,
            Schedule::Warmup {
                steps,
                start_factor,
            } => {
                if steps == 0 {
                    return base;
                }
                let f = step.min(steps) as f64 / steps as f64;
                base * (start_factor + (1.0 - start_factor) * f)
            }
            Schedule::Cosine { t_max, eta_min } => {
                if t_max == 0 {
                    return base;
                }
                let f = step as f64 / t_max as f64;
                eta_min + (base - eta_min) * (1.0 + (PI * f).cos()) / 2.0
            }
            Schedule::WarmupCosine {
                warmup,
                total,
                start_factor,
                eta_min,
            } => {
                if step < warmup {
                    Schedule::Warmup {
                        steps: warmup,
                        start_factor,
                    }
                    .lr_at(base, step)
                } else {
                    Schedule::Cosine {
                        t_max: total.saturating_sub(warmup),
                        eta_min,
                    }
                    .lr_at(base, step - warmup)
                }
            }
        }
    }
}
