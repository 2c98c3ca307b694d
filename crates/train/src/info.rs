//! Information theory of discrete distributions, in nats or bits.
//!
//! | quantity | formula |
//! | --- | --- |
//! | entropy H(p) | −Σ pᵢ log pᵢ |
//! | cross-entropy H(p, q) | −Σ pᵢ log qᵢ |
//! | KL divergence D(p‖q) | Σ pᵢ log(pᵢ/qᵢ) |
//!
//! Terms with pᵢ = 0 count 0 (the limit of x log x); a qᵢ = 0 where
//! pᵢ > 0 makes the cross-entropy and KL infinite. The identity
//! **H(p, q) = H(p) + D(p‖q)** is why minimizing cross-entropy against a
//! fixed data distribution p is minimizing the KL divergence: H(p) does
//! not depend on the model. A language model's training loss is the
//! cross-entropy in nats per token; `exp` of it is the perplexity, and
//! divided by ln 2 it is bits per token.
//!
//! ```
//! use towel_train::info::{entropy, cross_entropy, kl_divergence, Unit};
//! let p = [0.5, 0.25, 0.25];
//! let q = [0.25, 0.5, 0.25];
//! assert!((entropy(&p, Unit::Bits).unwrap() - 1.5).abs() < 1e-12);
//! let (h, ce, kl) = (entropy(&p, Unit::Nats).unwrap(), cross_entropy(&p, &q, Unit::Nats).unwrap(),
//!                    kl_divergence(&p, &q, Unit::Nats).unwrap());
//! assert!((ce - (h + kl)).abs() < 1e-12);
//! assert!(entropy(&[0.5, 0.6], Unit::Nats).is_err()); // not a distribution
//! ```

use crate::error::{invalid, Result};

/// The unit of information: natural log (nats) or log base 2 (bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Natural logarithm.
    Nats,
    /// Logarithm base 2.
    Bits,
}

impl Unit {
    /// Convert a value in nats to this unit.
    pub fn from_nats(self, nats: f64) -> f64 {
        match self {
            Unit::Nats => nats,
            Unit::Bits => nats / std::f64::consts::LN_2,
        }
    }
}

fn check(p: &[f64], what: &str) -> Result<()> {
    if p.is_empty() {
        return Err(invalid(format!("{what}: the distribution is empty")));
    }
    if let Some(v) = p.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(invalid(format!(
            "{what}: probability {v} is not a finite non-negative number"
        )));
    }
    let s: f64 = p.iter().sum();
    if (s - 1.0).abs() > 1e-6 {
        return Err(invalid(format!(
            "{what}: the probabilities sum to {s}, not 1 (normalize them, e.g. with from_counts)"
        )));
    }
    Ok(())
}

fn same_len(p: &[f64], q: &[f64]) -> Result<()> {
    if p.len() != q.len() {
        return Err(invalid(format!(
            "distributions over {} and {} outcomes cannot be compared",
            p.len(),
            q.len()
        )));
    }
    Ok(())
}

/// Counts normalized into a distribution.
pub fn from_counts(counts: &[u64]) -> Result<Vec<f64>> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return Err(invalid("no counts: the distribution is undefined"));
    }
    Ok(counts.iter().map(|&c| c as f64 / total as f64).collect())
}

/// Entropy H(p).
pub fn entropy(p: &[f64], unit: Unit) -> Result<f64> {
    check(p, "entropy")?;
    let h: f64 = p.iter().filter(|&&v| v > 0.0).map(|&v| -v * v.ln()).sum();
    Ok(unit.from_nats(h))
}

/// Cross-entropy H(p, q) of q relative to p.
pub fn cross_entropy(p: &[f64], q: &[f64], unit: Unit) -> Result<f64> {
    check(p, "cross_entropy")?;
    check(q, "cross_entropy")?;
    same_len(p, q)?;
    let h: f64 = p
        .iter()
        .zip(q)
        .filter(|(&a, _)| a > 0.0)
        .map(|(&a, &b)| -a * b.ln())
        .sum();
    Ok(unit.from_nats(h))
}

/// Kullback–Leibler divergence D(p‖q) ≥ 0.
pub fn kl_divergence(p: &[f64], q: &[f64], unit: Unit) -> Result<f64> {
    check(p, "kl_divergence")?;
    check(q, "kl_divergence")?;
    same_len(p, q)?;
    let d: f64 = p
        .iter()
        .zip(q)
        .filter(|(&a, _)| a > 0.0)
        .map(|(&a, &b)| a * (a / b).ln())
        .sum();
    Ok(unit.from_nats(d))
}
