//! # towel-retrieval
//!
//! Sparse retrieval and its evaluation.
//!
//! - [`eval`]: IR evaluation equal to `trec_eval` as computed by pytrec_eval
//!   (nDCG@10, Recall@100, MAP, MRR@10), plus readers and writers for qrels
//!   (BEIR TSV or TREC) and TREC run files.
//!
//! Dependencies: `thiserror` (typed errors with messages that say what to
//! do), `serde` (so the CLI can print evaluations as JSON), `rustc-hash`
//! (FxHash: the duplicate check of every retrieved doc id is the hot loop of
//! evaluation, and std's SipHash is several times slower on short keys),
//! `towel-data` (atomic file output, shared by every towel crate).

pub mod eval;
