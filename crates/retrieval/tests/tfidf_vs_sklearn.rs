//! TF-IDF against scikit-learn 1.9.1's `TfidfVectorizer` on SciFact, six
//! configurations (`tests/fixtures/tfidf_ref.json`, written by `gen_tfidf.py`).

mod common;

use serde_json::Value;
use towel_retrieval::analyzer::{Analyzer, AnalyzerConfig, Stopwords};
use towel_retrieval::tfidf::{DfLimit, Norm, TfidfIndex, TfidfModel, TfidfParams};
use towel_retrieval::topk::Accumulator;

fn params(p: &Value) -> (TfidfParams, AnalyzerConfig) {
    let mut t = TfidfParams::default();
    let mut a = AnalyzerConfig::default();
    let obj = p.as_object().unwrap();
    for (k, v) in obj {
        match k.as_str() {
            "sublinear_tf" => t.sublinear_tf = v.as_bool().unwrap(),
            "smooth_idf" => t.smooth_idf = v.as_bool().unwrap(),
            "stop_words" => a.stopwords = Stopwords::Sklearn,
            "norm" => {
                t.norm = match v.as_str() {
                    None => Norm::None,
                    Some(s) => s.parse().unwrap(),
                }
            }
            "min_df" | "max_df" => {
                let lim = match v.as_u64() {
                    Some(c) => DfLimit::Count(c),
                    None => DfLimit::Fraction(v.as_f64().unwrap()),
                };
                if k == "min_df" {
                    t.min_df = lim
                } else {
                    t.max_df = lim
                }
            }
            "vocabulary" => {
                t.vocabulary = Some(
                    v.as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_str().unwrap().to_string())
                        .collect(),
                )
            }
            other => panic!("unknown parameter {other}"),
        }
    }
    (t, a)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn tfidf_matches_sklearn_on_scifact() {
    let data = towel_data::data_or_skip!();
    let want = common::fixture("tfidf_ref.json");
    let beir = common::load_beir(&data, "scifact");
    let texts: Vec<String> = beir.docs.iter().map(|d| d.full_text()).collect();
    for (name, w) in want["configs"].as_object().unwrap() {
        let (tp, ac) = params(&w["params"]);
        let analyzer = Analyzer::new(ac).unwrap();
        let (vocab, model, m, norms) = TfidfModel::fit_counts_norms(
            towel_retrieval::terms::count_corpus(&analyzer, &texts),
            &tp,
        )
        .unwrap();
        // Vocabulary: size, exact order, sampled idf.
        assert_eq!(
            vocab.len() as u64,
            w["vocab"].as_u64().unwrap(),
            "{name} vocab size"
        );
        let joined: String = vocab.terms().iter().map(|t| format!("{t}\n")).collect();
        assert_eq!(
            towel_data::sha256_hex(joined.as_bytes()),
            w["vocab_sha256"].as_str().unwrap(),
            "{name}: vocabulary or its order differs"
        );
        for s in w["sample_terms"].as_array().unwrap() {
            let j = s[0].as_u64().unwrap() as u32;
            assert_eq!(vocab.term(j), s[1].as_str().unwrap(), "{name} term {j}");
            let idf = s[2].as_f64().unwrap();
            assert!(close(model.idf[j as usize], idf, 1e-12), "{name} idf[{j}]");
        }
        let idf_sum: f64 = model.idf.iter().sum();
        assert!(
            close(idf_sum, w["idf_sum"].as_f64().unwrap(), 1e-9),
            "{name} idf sum"
        );
        // Matrix: nnz, three projections over every value, four full rows.
        assert_eq!(m.nnz() as u64, w["nnz"].as_u64().unwrap(), "{name} nnz");
        for (k, p) in w["projections"].as_array().unwrap().iter().enumerate() {
            let mut s = 0.0;
            for r in 0..m.rows() {
                let (cols, vals) = m.row(r);
                let rw = common::row_weight(r as u64, k as u64);
                for (&c, &v) in cols.iter().zip(vals) {
                    s += v * rw * common::col_weight(c as u64, k as u64);
                }
            }
            assert!(
                close(s, p.as_f64().unwrap(), 1e-9),
                "{name} projection {k}: {s} vs {p}"
            );
        }
        for (r, row) in w["rows"].as_object().unwrap() {
            let (cols, vals) = m.row(r.parse().unwrap());
            let want_row = row.as_object().unwrap();
            assert_eq!(cols.len(), want_row.len(), "{name} row {r} nnz");
            for (&c, &v) in cols.iter().zip(vals) {
                let e = want_row[&c.to_string()].as_f64().unwrap();
                assert!((v - e).abs() <= 1e-6, "{name} row {r} col {c}: {v} vs {e}");
            }
        }
        // Queries: cosine top-10 of the first 40, score sums of all.
        let index = TfidfIndex::new(model, &m, norms);
        let mut acc = Accumulator::new(index.n_docs());
        let sums = w["query_sums"].as_array().unwrap();
        let tops = w["query_top"].as_array().unwrap();
        for (qi, q) in beir.queries.iter().enumerate() {
            let qv = index.model.transform(&vocab, &analyzer, q);
            index.score(&qv, &mut acc);
            let sum: f64 = acc.candidates().map(|c| c.1).sum();
            let e = sums[qi].as_f64().unwrap();
            assert!(
                (sum - e).abs() <= 1e-6,
                "{name} q{qi} score sum {sum} vs {e}"
            );
            // search (the dense path for most of these queries) gives the
            // very same top 100 as score + top_k (the sparse path).
            let full = acc.top_k(100);
            let mut search_acc = Accumulator::new(index.n_docs());
            assert_eq!(
                index.search(&qv, 100, &mut search_acc),
                full,
                "{name} q{qi}: search vs score + top_k"
            );
            if let Some(t) = tops.get(qi) {
                let got = acc.top_k(10);
                let t = t.as_array().unwrap();
                assert_eq!(got.len(), t.len(), "{name} q{qi} hits");
                for (rank, (g, e)) in got.iter().zip(t).enumerate() {
                    let (ed, es) = (e[0].as_u64().unwrap() as u32, e[1].as_f64().unwrap());
                    assert!(
                        (g.1 - es).abs() <= 1e-6,
                        "{name} q{qi} rank {rank}: {} vs {es}",
                        g.1
                    );
                    if g.0 != ed {
                        assert!(
                            (g.1 - es).abs() <= 1e-12,
                            "{name} q{qi} rank {rank}: doc {} vs {ed}",
                            g.0
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn pruning_errors_are_clear() {
    let a = Analyzer::new(AnalyzerConfig::default()).unwrap();
    let docs = ["alpha beta", "beta gamma"];
    let p = TfidfParams {
        min_df: DfLimit::Count(2),
        ..TfidfParams::default()
    };
    let e = TfidfModel::fit(&a, &["alpha beta", "gamma delta"], &p)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no terms remain"), "{e}");
    let p = TfidfParams {
        min_df: DfLimit::Count(2),
        max_df: DfLimit::Count(1),
        ..TfidfParams::default()
    };
    let e = TfidfModel::fit(&a, &docs, &p).unwrap_err().to_string();
    assert!(e.contains("max_df"), "{e}");
    let p = TfidfParams {
        max_df: DfLimit::Fraction(1.5),
        ..TfidfParams::default()
    };
    assert!(TfidfModel::fit(&a, &docs, &p).is_err());
    let e = TfidfModel::fit(&a, &["a b", "c"], &TfidfParams::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty vocabulary"), "{e}");
}
