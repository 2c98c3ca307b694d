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

/// The details add up: BM25's part is idf · tfc (per query occurrence) with
/// tfc = tf / (tf + k1·(1 − b + b·|d|/avgdl)) computed here from the
/// document's own terms; TF-IDF's part is the query weight times the
/// document weight.
#[test]
fn details_decompose_each_part() {
    use towel_retrieval::analyzer::Analyzer;
    use towel_retrieval::bm25::{Bm25Params, Bm25Variant};
    let docs = common::tour_docs();
    let config = AnalyzerConfig::bm25s_english();
    let an = Analyzer::new(config.clone()).unwrap();
    let terms: Vec<Vec<String>> = docs.iter().map(|d| an.analyze(&d.full_text())).collect();
    let avgdl = terms.iter().map(Vec::len).sum::<usize>() as f64 / docs.len() as f64;
    let r = Retriever::build(&docs, config.clone(), Method::bm25()).unwrap();
    let p = Bm25Params::default();
    for q in QUERIES {
        for hit in r.search(q, 20) {
            let d = &terms[hit.doc as usize];
            for t in r.explain(q, hit.doc).terms {
                let df = terms.iter().filter(|d| d.contains(&t.term)).count() as u32;
                assert_eq!(t.df, df, "{}", t.term);
                assert_eq!(t.idf, Bm25Variant::Lucene.idf(df, docs.len()));
                let tf = d.iter().filter(|w| **w == t.term).count() as f64;
                match t.tf_component {
                    Some(tfc) => {
                        let norm = p.k1 * (1.0 - p.b + p.b * d.len() as f64 / avgdl);
                        assert!((tfc - tf / (tf + norm)).abs() < 1e-5, "{}: {tfc}", t.term);
                    }
                    None => assert!(!t.in_doc && tf == 0.0),
                }
            }
        }
    }
    let r = Retriever::build(&docs, config, Method::tfidf()).unwrap();
    for q in QUERIES {
        for hit in r.search(q, 20) {
            for t in r.explain(q, hit.doc).terms {
                let w = t.query_weight.unwrap();
                match t.doc_weight {
                    Some(dw) => assert!((t.score - w * dw).abs() < 1e-12),
                    None => assert_eq!(t.score, 0.0),
                }
                assert!(t.idf >= 1.0);
            }
        }
    }
}

/// `build_many` counts once and gives what `build` gives for each method.
#[test]
fn build_many_equals_build() {
    let docs = common::tour_docs();
    let methods = common::all_methods();
    let config = AnalyzerConfig::bm25s_english();
    let many = Retriever::build_many(&docs, config.clone(), &methods).unwrap();
    assert_eq!(many.len(), methods.len());
    for (m, r) in methods.iter().zip(&many) {
        let one = Retriever::build(&docs, config.clone(), m.clone()).unwrap();
        assert_eq!(r.model(), one.model(), "{m:?}");
        for q in QUERIES {
            assert_eq!(r.search(q, 10), one.search(q, 10), "{m:?} {q}");
        }
    }
    assert!(Retriever::build_many(&[], config, &methods).is_err());
}
