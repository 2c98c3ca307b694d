//! The measures themselves: trec_eval's ranking order and per-query formulas.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use super::{Qrels, Run};

/// Rank cutoff of [`Metrics::ndcg_at_10`] (trec_eval `ndcg_cut.10`).
pub const NDCG_CUTOFF: usize = 10;
/// Rank cutoff of [`Metrics::recall_at_100`] (trec_eval `recall.100`).
pub const RECALL_CUTOFF: usize = 100;
/// Rank cutoff of [`Metrics::mrr_at_10`] (trec_eval `recip_rank` on the top 10).
pub const MRR_CUTOFF: usize = 10;

/// The four measures for one query, or their mean over queries. All in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Metrics {
    /// nDCG@10 (trec_eval `ndcg_cut.10`).
    pub ndcg_at_10: f64,
    /// Recall@100 (trec_eval `recall.100`).
    pub recall_at_100: f64,
    /// Mean average precision over the whole run depth (trec_eval `map`).
    pub map: f64,
    /// Reciprocal rank of the first relevant doc within the top 10 (MRR@10).
    pub mrr_at_10: f64,
}

impl Metrics {
    /// `(name, value)` pairs in a fixed order, for tables and JSON keys:
    /// `ndcg@10`, `recall@100`, `map`, `mrr@10`.
    pub fn named(&self) -> [(&'static str, f64); 4] {
        [
            ("ndcg@10", self.ndcg_at_10),
            ("recall@100", self.recall_at_100),
            ("map", self.map),
            ("mrr@10", self.mrr_at_10),
        ]
    }

    fn add(&mut self, other: &Metrics) {
        self.ndcg_at_10 += other.ndcg_at_10;
        self.recall_at_100 += other.recall_at_100;
        self.map += other.map;
        self.mrr_at_10 += other.mrr_at_10;
    }

    fn scale(&mut self, by: f64) {
        self.ndcg_at_10 *= by;
        self.recall_at_100 *= by;
        self.map *= by;
        self.mrr_at_10 *= by;
    }
}

/// The result of [`evaluate`]: the mean over `queries` queries and each one's values.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Evaluation {
    /// Mean of `per_query` (0 when there are no queries).
    pub mean: Metrics,
    /// Number of queries averaged: every query of the qrels.
    pub queries: usize,
    /// The measures of each averaged query.
    pub per_query: BTreeMap<String, Metrics>,
    /// Qrels entries naming a doc that is not in the corpus
    /// ([`evaluate_with_corpus`]; always 0 from [`evaluate`]).
    pub unknown_qrels_docs: usize,
    /// Run queries that have no qrels, and were therefore not evaluated.
    pub run_queries_without_qrels: usize,
    /// Repeated (query, doc) entries of the run that were dropped (each doc
    /// counts once, at its best position).
    pub duplicate_run_docs: usize,
}

/// trec_eval's ranking order: score descending, ties by docid in descending
/// byte order; NaN scores last. Sort a ranking with
/// `ranking.sort_by(|a, b| trec_order((&a.0, a.1), (&b.0, b.1)))`.
pub fn trec_order(a: (&str, f64), b: (&str, f64)) -> Ordering {
    let by_score = match (a.1.is_nan(), b.1.is_nan()) {
        (false, false) => b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal),
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
    };
    by_score.then_with(|| b.0.as_bytes().cmp(a.0.as_bytes()))
}

/// Evaluate `run` against `qrels`, averaging over every qrels query (see the
/// module docs for the exact semantics).
pub fn evaluate(qrels: &Qrels, run: &Run) -> Evaluation {
    let mut scratch = Scratch::default();
    let mut ev = Evaluation {
        queries: qrels.len(),
        ..Evaluation::default()
    };
    let mut sum = Metrics::default();
    for (qid, judged) in qrels {
        let ranking = run.get(qid).map(Vec::as_slice).unwrap_or(&[]);
        let (m, dups) = scratch.query(judged, ranking);
        sum.add(&m);
        ev.duplicate_run_docs += dups;
        ev.per_query.insert(qid.clone(), m);
    }
    if ev.queries > 0 {
        sum.scale(1.0 / ev.queries as f64);
    }
    ev.mean = sum;
    ev.run_queries_without_qrels = run.keys().filter(|q| !qrels.contains_key(*q)).count();
    ev
}

/// Like [`evaluate`], and also counts the qrels entries whose doc is not in
/// `known_docs` (a sign that qrels and corpus do not belong together). The
/// metrics are not changed by it.
pub fn evaluate_with_corpus(qrels: &Qrels, run: &Run, known_docs: &HashSet<String>) -> Evaluation {
    let mut ev = evaluate(qrels, run);
    ev.unknown_qrels_docs = qrels
        .values()
        .flat_map(|judged| judged.keys())
        .filter(|d| !known_docs.contains(*d))
        .count();
    ev
}

/// Buffers reused from query to query (all borrow from the same run).
#[derive(Default)]
struct Scratch<'a> {
    /// Doc ids seen so far in the current ranking, to find duplicates.
    seen: FxHashSet<&'a str>,
    /// The current ranking without duplicates.
    entries: Vec<(&'a str, f64)>,
    /// Retrieved relevant docs `(doc, score, grade)`, in trec order.
    relevant: Vec<(&'a str, f64, i32)>,
    /// `before[k]`: retrieved docs ranked ahead of `relevant[k]` (after the prefix sum).
    before: Vec<usize>,
    /// Positive grades of the query, for the ideal DCG.
    gains: Vec<i32>,
}

impl<'a> Scratch<'a> {
    /// The measures of one query and the number of duplicate docs dropped.
    ///
    /// Only the relevant retrieved docs need their exact rank, so instead of
    /// sorting the whole ranking this sorts those few in trec order and counts,
    /// for every retrieved doc, how many of them it precedes (a binary search):
    /// O(n log R) for n retrieved and R relevant retrieved docs.
    fn query(
        &mut self,
        judged: &BTreeMap<String, i32>,
        ranking: &'a [(String, f64)],
    ) -> (Metrics, usize) {
        let dups = self.dedup(ranking);
        let num_rel = judged.values().filter(|&&r| r > 0).count();
        if num_rel == 0 {
            // trec_eval: every measure is 0 without relevant docs.
            return (Metrics::default(), dups);
        }

        self.relevant.clear();
        for &(doc, score) in &self.entries {
            if let Some(&rel) = judged.get(doc) {
                if rel > 0 {
                    self.relevant.push((doc, score, rel));
                }
            }
        }
        if self.relevant.is_empty() {
            return (Metrics::default(), dups);
        }
        let key = |r: &(&'a str, f64, i32)| (r.0, r.1);
        self.relevant
            .sort_unstable_by(|a, b| trec_order(key(a), key(b)));

        // before[q] counts the docs with exactly q relevant docs at or ahead of
        // them; doc e is ahead of relevant[k] iff q(e) <= k.
        self.before.clear();
        self.before.resize(self.relevant.len() + 1, 0);
        for &e in &self.entries {
            let q = self
                .relevant
                .partition_point(|r| trec_order(key(r), e) != Ordering::Greater);
            self.before[q] += 1;
        }
        for k in 1..self.before.len() {
            self.before[k] += self.before[k - 1];
        }

        let (mut dcg, mut rel_ret_cut, mut sum_prec, mut rr) = (0.0, 0usize, 0.0, 0.0);
        for (k, &(_, _, rel)) in self.relevant.iter().enumerate() {
            let rank = self.before[k] + 1;
            if rank <= NDCG_CUTOFF {
                dcg += f64::from(rel) / ((rank + 1) as f64).log2();
            }
            if rank <= RECALL_CUTOFF {
                rel_ret_cut += 1;
            }
            if k == 0 && rank <= MRR_CUTOFF {
                rr = 1.0 / rank as f64;
            }
            sum_prec += (k + 1) as f64 / rank as f64;
        }

        self.gains.clear();
        self.gains
            .extend(judged.values().copied().filter(|&r| r > 0));
        self.gains.sort_unstable_by(|a, b| b.cmp(a));
        let ideal: f64 = self
            .gains
            .iter()
            .take(NDCG_CUTOFF)
            .enumerate()
            .map(|(i, &g)| f64::from(g) / ((i + 2) as f64).log2())
            .sum();

        let m = Metrics {
            ndcg_at_10: dcg / ideal,
            recall_at_100: rel_ret_cut as f64 / num_rel as f64,
            map: sum_prec / num_rel as f64,
            mrr_at_10: rr,
        };
        (m, dups)
    }

    /// Fill `entries` with `ranking`, each doc once at its best position
    /// (highest score in trec order); returns how many entries were dropped.
    fn dedup(&mut self, ranking: &'a [(String, f64)]) -> usize {
        self.seen.clear();
        self.entries.clear();
        let mut dups = 0;
        for (doc, score) in ranking {
            if self.seen.insert(doc.as_str()) {
                self.entries.push((doc.as_str(), *score));
            } else {
                dups += 1;
            }
        }
        if dups > 0 {
            // Rare: keep each doc's best entry.
            let mut best: FxHashMap<&str, f64> = FxHashMap::default();
            for (doc, score) in ranking {
                let s = best.entry(doc.as_str()).or_insert(*score);
                if trec_order((doc, *score), (doc, *s)) == Ordering::Less {
                    *s = *score;
                }
            }
            for e in &mut self.entries {
                e.1 = best[e.0];
            }
        }
        dups
    }
}
