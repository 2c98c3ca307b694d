//! Fusion of runs for hybrid search: several rankings of the same queries
//! (BM25 and a dense model, say) into one.
//!
//! | [`Fusion`] | fused score of doc `d` for a query | peer |
//! | --- | --- | --- |
//! | `Rrf { k }` | `Σᵢ wᵢ / (k + rankᵢ(d))` | reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009), ranx `rrf`, k = 60 |
//! | `Convex` | `Σᵢ wᵢ · minmaxᵢ(d)`, weights scaled to sum to 1 | ranx `wsum` with `min-max` normalization |
//!
//! - `rankᵢ(d)` is `d`'s 1-based position in run `i`'s ranking of that query
//!   in trec_eval's order ([`super::trec_order`]: score descending, ties by
//!   doc id descending), the order [`super::evaluate`] uses; the file order
//!   and rank column do not matter.
//! - `minmaxᵢ(d) = (sᵢ(d) − minᵢ) / (maxᵢ − minᵢ)` over run `i`'s docs for
//!   that query: 1 for its best doc, 0 for its worst; when all its scores are
//!   equal, every doc gets 1 (the run ranks them all first).
//! - A doc that a run did not retrieve adds 0 from that run. Every query of
//!   any run is in the result.
//! - The fused ranking is sorted in trec_eval's order and cut to `depth`
//!   docs per query, if given.
//! - Every score must be finite ([`check_finite_scores`]): min-max cannot
//!   scale an infinite score (it would give every doc of the query the same
//!   part), and a run that scores a doc `inf` (or `1e309`, which reads as
//!   `inf`) is broken rather than sure. [`super::parse_trec_run`] accepts
//!   them, as trec_eval does, so fusion checks.
//!
//! ```
//! use towel_retrieval::eval::{fuse, parse_trec_run, Fusion};
//! let bm25 = parse_trec_run("q1 Q0 a 1 9.0 bm25\nq1 Q0 b 2 7.0 bm25\n", "bm25")?;
//! let dense = parse_trec_run("q1 Q0 b 1 0.9 lsa\nq1 Q0 c 2 0.5 lsa\n", "lsa")?;
//! let fused = fuse(&[bm25, dense], &Fusion::Rrf { k: 60.0 }, None, None)?;
//! // b: 1/62 + 1/61 beats a: 1/61, which beats c: 1/62
//! let ids: Vec<&str> = fused["q1"].iter().map(|(d, _)| d.as_str()).collect();
//! assert_eq!(ids, ["b", "a", "c"]);
//! assert!((fused["q1"][0].1 - (1.0 / 62.0 + 1.0 / 61.0)).abs() < 1e-15);
//! # Ok::<(), towel_retrieval::RetrievalError>(())
//! ```

use std::collections::BTreeMap;

use super::{trec_order, Run};
use crate::error::RetrievalError;

/// How runs are combined (see the module docs for the formulas).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// Reciprocal rank fusion with constant `k` (60 in the paper and in ranx).
    Rrf { k: f64 },
    /// Weighted sum of min-max normalized scores.
    Convex,
}

/// Check that every score of `run` is finite, as [`fuse`] needs (see the
/// module docs); `origin` names the run in the error, as the reader's
/// errors do.
///
/// ```
/// use towel_retrieval::eval::{check_finite_scores, parse_trec_run};
/// let run = parse_trec_run("q1 Q0 a 1 inf bm25\nq1 Q0 b 2 1.5 bm25\n", "bm25.run")?;
/// let e = check_finite_scores(&run, "bm25.run").unwrap_err();
/// assert!(e.to_string().starts_with("bm25.run: query `q1`, doc `a`: score inf is not finite"), "{e}");
/// # Ok::<(), towel_retrieval::RetrievalError>(())
/// ```
pub fn check_finite_scores(run: &Run, origin: &str) -> Result<(), RetrievalError> {
    for (qid, ranking) in run {
        if let Some((docid, score)) = ranking.iter().find(|(_, s)| !s.is_finite()) {
            return Err(RetrievalError::Format {
                origin: origin.to_string(),
                line: None,
                reason: format!(
                    "query `{qid}`, doc `{docid}`: score {score} is not finite; runs to fuse need a finite number in the 5th column of every line"
                ),
            });
        }
    }
    Ok(())
}

/// Combine `runs` (at least one) into one run. `weights` (one per run,
/// finite, ≥ 0, not all 0) default to 1 each; for [`Fusion::Convex`] they
/// are divided by their sum. `depth` cuts each fused ranking. A NaN or
/// infinite score is an error naming the run (`run 2`, counting from 1).
pub fn fuse(
    runs: &[Run],
    method: &Fusion,
    weights: Option<&[f64]>,
    depth: Option<usize>,
) -> Result<Run, RetrievalError> {
    if runs.is_empty() {
        return Err(RetrievalError::param(
            "runs",
            "give at least one run to fuse",
        ));
    }
    for (i, run) in runs.iter().enumerate() {
        check_finite_scores(run, &format!("run {}", i + 1))?;
    }
    let mut w = match weights {
        Some(w) if w.len() != runs.len() => {
            return Err(RetrievalError::param(
                "weights",
                format!(
                    "{} weights for {} runs; give one per run",
                    w.len(),
                    runs.len()
                ),
            ))
        }
        Some(w) => w.to_vec(),
        None => vec![1.0; runs.len()],
    };
    if let Some(x) = w.iter().find(|x| !x.is_finite() || **x < 0.0) {
        return Err(RetrievalError::param(
            "weights",
            format!("{x}; weights must be finite and not negative"),
        ));
    }
    let total: f64 = w.iter().sum();
    if total == 0.0 {
        return Err(RetrievalError::param("weights", "all weights are 0"));
    }
    if !total.is_finite() {
        // A fused score is at most the sum of the weights (RRF's 1/(k + r)
        // and the normalized scores are at most 1), so with a finite sum
        // every score is finite: 1.7e308 twice wrote `inf` scores, which
        // fuse itself then refused to read back.
        return Err(RetrievalError::param(
            "weights",
            format!("they add up to {total}; scale them down (only their ratios matter)"),
        ));
    }
    if let Fusion::Rrf { k } = method {
        if !k.is_finite() || *k < 0.0 {
            return Err(RetrievalError::param(
                "k",
                format!("{k}; the RRF constant must be finite and not negative (60 is usual)"),
            ));
        }
    } else {
        w.iter_mut().for_each(|x| *x /= total);
    }
    let mut fused: BTreeMap<&str, BTreeMap<&str, f64>> = BTreeMap::new();
    for (run, &wi) in runs.iter().zip(&w) {
        for (qid, ranking) in run {
            let scores = fused.entry(qid).or_default();
            let mut order: Vec<(&str, f64)> =
                ranking.iter().map(|(d, s)| (d.as_str(), *s)).collect();
            order.sort_by(|a, b| trec_order(*a, *b));
            match method {
                Fusion::Rrf { k } => {
                    for (rank, (doc, _)) in order.iter().enumerate() {
                        *scores.entry(doc).or_default() += wi / (k + (rank + 1) as f64);
                    }
                }
                Fusion::Convex => {
                    let finite = order.iter().map(|x| x.1).filter(|s| s.is_finite());
                    let max = finite.clone().fold(f64::NEG_INFINITY, f64::max);
                    let min = finite.fold(f64::INFINITY, f64::min);
                    for (doc, s) in &order {
                        let norm = if max > min {
                            ((s - min) / (max - min)).clamp(0.0, 1.0)
                        } else {
                            1.0
                        };
                        *scores.entry(doc).or_default() += wi * norm;
                    }
                }
            }
        }
    }
    Ok(fused
        .into_iter()
        .map(|(qid, scores)| {
            let mut ranking: Vec<(String, f64)> = scores
                .into_iter()
                .map(|(d, s)| (d.to_string(), s))
                .collect();
            ranking.sort_by(|a, b| trec_order((&a.0, a.1), (&b.0, b.1)));
            if let Some(depth) = depth {
                ranking.truncate(depth);
            }
            (qid.to_string(), ranking)
        })
        .collect())
}
