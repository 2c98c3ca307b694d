//! `Retriever::explain` gives each query term's part of a score, and the parts
//! add up to the score `search` gives; `Retriever::run` is `search_batch` by id.

mod common;

use towel_retrieval::analyzer::AnalyzerConfig;
use towel_retrieval::corpus::Query;
use towel_retrieval::{Method, Retriever};

const QUERIES: [&str; 4] = [
    "the tour of tokens",
    "tokens tokens and retrieval",
    "byte pair encoding merges the most frequent pair",
    "zzz unknown",
];

#[test]
fn contributions_sum_to_the_score() {
    for method in common::all_methods() {
        let r = common::tour_retriever(&method);
        for q in QUERIES {
            for hit in r.search(q, 20) {
                let e = r.explain(q, hit.doc);
                assert_eq!(e.score, hit.score, "{method:?} {q:?}: explain vs search");
                let sum: f64 = e.terms.iter().map(|t| t.score).sum();
                assert!(
                    (sum - e.score).abs() <= 1e-5 * e.score.abs().max(1.0),
                    "{method:?} {q:?} doc {}: parts sum to {sum}, score {}",
                    hit.doc,
                    e.score
                );
                assert!(e.terms.iter().any(|t| t.in_doc));
                assert!(e.terms.windows(2).all(|w| w[0].score >= w[1].score));
            }
        }
        // Repeated query terms count each time, and are one entry.
        let hit = r.search("tokens tokens", 1)[0];
        let e = r.explain("tokens tokens", hit.doc);
        assert_eq!(e.terms.len(), 1);
        assert_eq!(e.terms[0].query_count, 2);
        // A document without any query term scores 0, as search leaves it out.
        let e = r.explain("zzz unknown", 0);
        assert_eq!(e.score, 0.0);
        assert!(e.terms.is_empty());
    }
}

#[test]
fn run_is_search_batch_by_query_id() {
    let r = Retriever::build(
        &common::tour_docs(),
        AnalyzerConfig::bm25s_english(),
        Method::bm25(),
    )
    .unwrap();
    let queries: Vec<Query> = QUERIES
        .iter()
        .enumerate()
        .map(|(i, q)| Query {
            id: format!("q{i}"),
            text: q.to_string(),
        })
        .collect();
    let run = r.run(&queries, 5);
    let texts: Vec<&str> = QUERIES.to_vec();
    for (q, hits) in queries.iter().zip(r.search_batch(&texts, 5, Some(1))) {
        let want: Vec<(String, f64)> = hits
            .iter()
            .map(|h| (r.doc_id(h.doc).to_string(), h.score))
            .collect();
        assert_eq!(run[&q.id], want, "{}", q.id);
    }
    assert_eq!(r.run_with_threads(&queries, 5, Some(2)), run);
}
