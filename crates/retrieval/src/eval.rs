//! IR evaluation equal to `trec_eval` (as computed by pytrec_eval), and
//! fusion of runs ([`fuse`]: reciprocal rank fusion, convex combination).
//!
//! Four measures, per query and averaged:
//!
//! | field | trec_eval measure | meaning |
//! | --- | --- | --- |
//! | [`Metrics::ndcg_at_10`] | `ndcg_cut.10` | graded gain, `log2(rank + 1)` discount, normalised by the ideal ranking of all judged docs |
//! | [`Metrics::recall_at_100`] | `recall.100` | relevant docs in the top 100 / relevant docs judged |
//! | [`Metrics::map`] | `map` | average precision over the **whole run depth given** |
//! | [`Metrics::mrr_at_10`] | `recip_rank`, cut at 10 | 1 / rank of the first relevant doc if it is in the top 10, else 0 |
//!
//! ## Semantics (checked against pytrec_eval by `tests/eval.rs`)
//!
//! - **Order.** Like trec_eval, each query's run is re-sorted by score,
//!   descending; equal scores are ordered by docid in *descending* byte order
//!   (`strcmp`), so `"d9"` ranks above `"d10"` when they tie. The order of the
//!   [`Run`] vectors and the rank column of run files are ignored. `-0.0` and
//!   `0.0` tie. A NaN score (which trec_eval leaves undefined) ranks last.
//! - **Relevance.** A judgment > 0 is relevant and its value is the nDCG gain
//!   (graded). 0 and negative judgments are judged non-relevant (gain 0);
//!   documents without a judgment are non-relevant too.
//! - **Which queries are averaged.** Every query of the qrels, as the BEIR
//!   convention and the peers' figures (`shared/peers/common.py`,
//!   `evaluate_run`) do: a qrels query missing from the run, or with an empty
//!   ranking, scores 0 on every measure; a query with no relevant judgment
//!   also scores 0 (pytrec_eval gives 0 for it too). Run queries without
//!   qrels are ignored (counted in [`Evaluation::run_queries_without_qrels`]).
//!   [`Evaluation::queries`] is the number of queries averaged, i.e. the
//!   number of qrels queries. To match the peers exactly, drop qrels queries
//!   that have no text in `queries.jsonl` before evaluating (the peers do).
//!   trec_eval's own default (average over run ∩ qrels) is what you get by
//!   restricting the qrels to the run's queries.
//! - **Duplicates.** trec_eval refuses a run naming the same doc twice for a
//!   query, and a qrels file judging a doc twice for a query (even with the
//!   same grade); [`read_trec_run`] and [`read_qrels`] do too, naming both
//!   lines. An in-memory [`Run`] with duplicates
//!   is evaluated with each doc counted once, at its best position, and the
//!   number dropped is reported in [`Evaluation::duplicate_run_docs`].
//!
//! ```
//! use towel_retrieval::eval::{evaluate, parse_qrels, Run};
//!
//! let qrels = parse_qrels("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t1\n", "example")?;
//! let mut run = Run::new();
//! run.insert("q1".into(), vec![("d2".into(), 3.0), ("d1".into(), 2.0), ("d7".into(), 1.0)]);
//! let ev = evaluate(&qrels, &run);
//! assert_eq!(ev.queries, 1);
//! assert_eq!(ev.mean.recall_at_100, 1.0);
//! assert_eq!(ev.mean.mrr_at_10, 1.0);
//! // ideal: 2 then 1; got 1 then 2
//! let ideal = 2.0 + 1.0 / 3f64.log2();
//! let got = 1.0 + 2.0 / 3f64.log2();
//! assert!((ev.mean.ndcg_at_10 - got / ideal).abs() < 1e-12);
//! # Ok::<(), towel_retrieval::RetrievalError>(())
//! ```

use std::collections::{BTreeMap, HashSet};

use crate::corpus::Query;

mod fusion;
mod metrics;
mod qrels;
mod run;

pub use fusion::{check_finite_scores, fuse, Fusion};

pub use metrics::{
    evaluate, evaluate_with_corpus, trec_order, Evaluation, Metrics, MRR_CUTOFF, NDCG_CUTOFF,
    RECALL_CUTOFF,
};
pub use qrels::{beir_paths, parse_qrels, read_qrels};
pub use run::{parse_trec_run, read_trec_run, write_trec_run};

/// Relevance judgments: query id -> doc id -> relevance grade.
///
/// Grades > 0 are relevant (and are the nDCG gain); 0 and negative grades are
/// judged non-relevant.
pub type Qrels = BTreeMap<String, BTreeMap<String, i32>>;

/// The queries to evaluate, chosen as the BEIR peers choose them: those
/// judged in `qrels`, in the order of `queries`. A judged query that has no
/// text cannot be run, so it is dropped from `qrels` too; the number dropped
/// is returned beside the queries.
///
/// ```
/// use towel_retrieval::corpus::Query;
/// use towel_retrieval::eval::{judged_queries, parse_qrels};
///
/// let mut qrels = parse_qrels("q1\td1\t1\nq9\td2\t1\n", "example")?;
/// let queries = [
///     Query { id: "q1".into(), text: "judged".into() },
///     Query { id: "q2".into(), text: "not judged".into() },
/// ];
/// let (judged, dropped) = judged_queries(&queries, &mut qrels);
/// assert_eq!((judged.len(), judged[0].id.as_str(), dropped), (1, "q1", 1));
/// assert!(!qrels.contains_key("q9"));
/// # Ok::<(), towel_retrieval::RetrievalError>(())
/// ```
pub fn judged_queries(queries: &[Query], qrels: &mut Qrels) -> (Vec<Query>, usize) {
    let with_text: HashSet<&str> = queries.iter().map(|q| q.id.as_str()).collect();
    let before = qrels.len();
    qrels.retain(|qid, _| with_text.contains(qid.as_str()));
    let judged = queries
        .iter()
        .filter(|q| qrels.contains_key(&q.id))
        .cloned()
        .collect();
    (judged, before - qrels.len())
}

/// A retrieval run: query id -> ranked `(doc id, score)` list.
///
/// Evaluation re-sorts each list the way trec_eval does (see the module docs),
/// so the vector order does not matter for the metrics.
pub type Run = BTreeMap<String, Vec<(String, f64)>>;
