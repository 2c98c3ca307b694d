//! Drawing the next token from a model's logits: temperature, then top-k,
//! then softmax (PyTorch's usual `logits / T`, `torch.topk`, `softmax`,
//! `torch.multinomial`).
//!
//! ```
//! use towel_autograd::rng::Rng;
//! use towel_train::sample::{next_token, probabilities};
//! let logits = [2.0f32, 1.0, 0.0, -1.0];
//! let p = probabilities(&logits, 1.0, Some(2)).unwrap();
//! assert_eq!(p[2], 0.0);                                   // outside the top 2
//! assert!((p[0] - 1.0 / (1.0 + (-1f64).exp())).abs() < 1e-9);
//! assert!(probabilities(&logits, 0.0, None).is_err());     // temperature must be > 0
//! let mut rng = Rng::new(0);
//! assert!(next_token(&logits, 0.5, Some(2), &mut rng).unwrap() < 2);
//! ```

use towel_autograd::rng::Rng;

use crate::error::{invalid, Result};

/// Whether `temperature` and `top_k` can sample: a positive finite
/// temperature, a top-k of at least 1. A caller that trains before it
/// samples checks them first, so a bad setting costs no training.
pub fn check_settings(temperature: f64, top_k: Option<usize>) -> Result<()> {
    if !(temperature > 0.0 && temperature.is_finite()) {
        return Err(invalid(format!(
            "temperature {temperature} must be a positive number"
        )));
    }
    if top_k == Some(0) {
        return Err(invalid("top-k must be at least 1"));
    }
    Ok(())
}

/// The sampling distribution of `logits` at `temperature`, keeping only
/// the `top_k` largest (ties at the k-th value are kept).
pub fn probabilities(logits: &[f32], temperature: f64, top_k: Option<usize>) -> Result<Vec<f64>> {
    check_settings(temperature, top_k)?;
    if logits.is_empty() {
        return Err(invalid("no logits to sample from"));
    }
    let z: Vec<f64> = logits.iter().map(|&l| l as f64 / temperature).collect();
    let cutoff = match top_k {
        Some(k) if k < z.len() => {
            let mut s = z.clone();
            s.sort_by(|a, b| b.total_cmp(a));
            s[k - 1]
        }
        _ => f64::NEG_INFINITY,
    };
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z
        .iter()
        .map(|&v| if v >= cutoff { (v - m).exp() } else { 0.0 })
        .collect();
    let s: f64 = e.iter().sum();
    Ok(e.iter().map(|v| v / s).collect())
}

/// Draw an index from `probabilities(logits, temperature, top_k)`.
pub fn next_token(
    logits: &[f32],
    temperature: f64,
    top_k: Option<usize>,
    rng: &mut Rng,
) -> Result<usize> {
    let p = probabilities(logits, temperature, top_k)?;
    let u = rng.next_f64();
    let mut acc = 0.0;
    for (i, &pi) in p.iter().enumerate() {
        acc += pi;
        if u < acc {
            return Ok(i);
        }
    }
    Ok(p.iter().rposition(|&v| v > 0.0).unwrap_or(0))
}
