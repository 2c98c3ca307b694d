//! The canonical training step, PyTorch's seven lines:
//!
//! ```text
//! logits = model(x)                       # forward
//! loss = F.cross_entropy(logits, y)
//! opt.zero_grad(set_to_none=True)
//! loss.backward()                         # backward
//! clip_grad_norm_(model.parameters(), 1)  # optimizer phase
//! opt.step()
//! ```
//!
//! [`train_step`] runs them with the time of each phase recorded in
//! [`PhaseTimes`] (data preparation is timed by the caller), and refuses a
//! NaN or infinite loss *before* it reaches the parameters.

use std::time::{Duration, Instant};

use serde::Serialize;
use towel_autograd::array::Array;
use towel_autograd::tensor::Tensor;

use crate::error::{Result, TrainError};
use crate::optim::{clip_grad_norm, Optimizer};
use crate::param::Parameter;

/// Time spent in each phase of training steps, summed over steps.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PhaseTimes {
    /// Building the batch.
    pub data_ns: u64,
    /// The forward pass and the loss.
    pub forward_ns: u64,
    /// `backward`.
    pub backward_ns: u64,
    /// Clipping and the optimizer update.
    pub optimizer_ns: u64,
    /// Steps measured.
    pub steps: u64,
}

impl PhaseTimes {
    /// Add a duration to a phase counter.
    pub fn add(counter: &mut u64, d: Duration) {
        *counter += d.as_nanos() as u64;
    }

    /// Total time of the measured steps.
    pub fn total_ns(&self) -> u64 {
        self.data_ns + self.forward_ns + self.backward_ns + self.optimizer_ns
    }

    /// `(phase, milliseconds per step)` rows.
    pub fn per_step_ms(&self) -> Vec<(&'static str, f64)> {
        let n = self.steps.max(1) as f64;
        [
            ("data", self.data_ns),
            ("forward", self.forward_ns),
            ("backward", self.backward_ns),
            ("optimizer", self.optimizer_ns),
        ]
        .into_iter()
        .map(|(k, v)| (k, v as f64 / n / 1e6))
        .collect()
    }
}

/// The parameters' values whose loss was last seen finite (cheap: the
/// arrays are shared, not copied), to fall back to when a loss is not.
#[derive(Debug, Clone, Default)]
pub struct LastGood {
    values: Vec<Array>,
    /// The number of updates applied to reach these values.
    pub step: usize,
}

impl LastGood {
    /// Remember the current values, reached after `step` updates.
    pub fn record(&mut self, params: &[Parameter], step: usize) {
        self.values.clear();
        self.values.extend(params.iter().map(Parameter::data));
        self.step = step;
    }

    /// Put the remembered values back.
    pub fn restore(&self, params: &[Parameter]) -> Result<()> {
        for (p, v) in params.iter().zip(&self.values) {
            p.set(v.clone())?;
            p.zero_grad();
        }
        Ok(())
    }
}

/// One step: forward (`loss_fn`), check the loss is finite, zero the
/// gradients, backward, clip to `clip` (if any), update. Returns the loss.
/// `step` (1-based) is used in the error of a non-finite loss; on such an
/// error the parameters are restored to `last_good` (the last values whose
/// loss was finite), so what a caller saves next is usable.
pub fn train_step(
    opt: &mut dyn Optimizer,
    clip: Option<f32>,
    step: usize,
    times: &mut PhaseTimes,
    last_good: &mut LastGood,
    loss_fn: impl FnOnce() -> Result<Tensor>,
) -> Result<f32> {
    let r = step_inner(opt, clip, step, times, last_good, loss_fn);
    if let Err(TrainError::NonFinite { .. }) = &r {
        last_good.restore(opt.params())?;
        if let Err(TrainError::NonFinite {
            what, step, value, ..
        }) = r
        {
            return Err(TrainError::NonFinite {
                what,
                step,
                value,
                last_good: last_good.step,
            });
        }
    }
    r
}

fn step_inner(
    opt: &mut dyn Optimizer,
    clip: Option<f32>,
    step: usize,
    times: &mut PhaseTimes,
    last_good: &mut LastGood,
    loss_fn: impl FnOnce() -> Result<Tensor>,
) -> Result<f32> {
    let t0 = Instant::now();
    let loss = loss_fn()?;
    let value = loss.data().item()?;
    let t1 = Instant::now();
    if !value.is_finite() {
        return Err(TrainError::NonFinite {
            what: "the loss",
            step,
            value,
            last_good: step - 1,
        });
    }
    last_good.record(opt.params(), step - 1);
    opt.zero_grad();
    loss.backward()?;
    drop(loss);
    let t2 = Instant::now();
    if let Some(c) = clip {
        let norm = clip_grad_norm(opt.params(), c)?;
        if !norm.is_finite() {
            return Err(TrainError::NonFinite {
                what: "the gradient norm",
                step,
                value: norm,
                last_good: step - 1,
            });
        }
    }
    opt.step()?;
    let t3 = Instant::now();
    PhaseTimes::add(&mut times.forward_ns, t1 - t0);
    PhaseTimes::add(&mut times.backward_ns, t2 - t1);
    PhaseTimes::add(&mut times.optimizer_ns, t3 - t2);
    times.steps += 1;
    Ok(value)
}

/// The median of a list of durations in milliseconds (0 when empty).
pub fn median_ms(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
