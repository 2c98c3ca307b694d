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

/// The embedded Cranfield collection (no data folder needed): documents and queries.
fn cranfield() -> (Vec<towel_retrieval::corpus::Document>, Vec<String>) {
    use towel_retrieval::corpus::{parse_jsonl_docs, parse_jsonl_queries, Fields};
    let p = std::path::Path::new("embedded");
    let docs = parse_jsonl_docs(
        towel_data::embedded::file("cranfield-corpus").unwrap(),
        p,
        &Fields::beir(),
    )
    .unwrap();
    let queries = parse_jsonl_queries(towel_data::embedded::file("cranfield-queries").unwrap(), p)
        .unwrap()
        .into_iter()
        .map(|q| q.text)
        .collect();
    (docs, queries)
}

/// Each document's analyzed terms, computed here (not by the index).
fn analyzed(
    docs: &[towel_retrieval::corpus::Document],
    config: &AnalyzerConfig,
) -> Vec<Vec<String>> {
    let an = towel_retrieval::analyzer::Analyzer::new(config.clone()).unwrap();
    docs.iter().map(|d| an.analyze(&d.full_text())).collect()
}

/// BM25 written out from its definition, independently of `bm25.rs`: the
/// idf of each variant, and its tf component with the length factor
/// `L = 1 − b + b·|d|/avgdl`.
#[allow(clippy::too_many_arguments)] // the formula's own symbols, one argument each
fn bm25_by_hand(
    variant: &str,
    k1: f64,
    b: f64,
    delta: f64,
    n: f64,
    df: f64,
    tf: f64,
    dl: f64,
    avgdl: f64,
) -> (f64, f64, f64) {
    let l = 1.0 - b + b * dl / avgdl;
    let idf = match variant {
        "robertson" => ((n - df + 0.5) / (df + 0.5)).max(1.0).ln(),
        "lucene" => (1.0 + (n - df + 0.5) / (df + 0.5)).ln(),
        "atire" => (n / df).ln(),
        "bm25l" => ((n + 1.0) / (df + 0.5)).ln(),
        "bm25+" => ((n + 1.0) / df).ln(),
        _ => unreachable!(),
    };
    let tfc = match variant {
        "robertson" | "lucene" => tf / (tf + k1 * l),
        "atire" => tf * (k1 + 1.0) / (tf + k1 * l),
        "bm25l" => {
            let c = tf / l;
            (k1 + 1.0) * (c + delta) / (k1 + c + delta)
        }
        "bm25+" => (k1 + 1.0) * tf / (tf + k1 * l) + delta,
        _ => unreachable!(),
    };
    (idf, tfc, l)
}

/// Every number of a BM25 explanation against BM25 computed here from the
/// documents' own terms, for every variant and several k1 and b; the
/// explanation's score is search's bit for bit, and its parts sum to it.
fn check_bm25_against_formula(
    docs: &[towel_retrieval::corpus::Document],
    queries: &[&str],
    hits_per_query: usize,
) {
    use towel_retrieval::bm25::{Bm25Params, Bm25Variant};
    let config = AnalyzerConfig::bm25s_english();
    let terms = analyzed(docs, &config);
    let n = docs.len() as f64;
    let avgdl = terms.iter().map(Vec::len).sum::<usize>() as f64 / n;
    let mut df: std::collections::HashMap<&str, f64> = Default::default();
    for d in &terms {
        let mut seen: Vec<&str> = d.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            *df.entry(t).or_default() += 1.0;
        }
    }
    let mut checked = 0;
    for variant in Bm25Variant::ALL {
        for (k1, b) in [(1.2, 0.75), (0.9, 0.4), (2.0, 1.0), (1.5, 0.0)] {
            let p = Bm25Params {
                variant,
                k1,
                b,
                delta: 0.5,
            };
            let r = Retriever::build(docs, config.clone(), Method::Bm25(p)).unwrap();
            for q in queries {
                for hit in r.search(q, hits_per_query) {
                    let e = r.explain(q, hit.doc);
                    assert_eq!(e.score.to_bits(), hit.score.to_bits(), "{variant} {q:?}");
                    let d = &terms[hit.doc as usize];
                    let dl = d.len() as f64;
                    assert_eq!(e.doc_len, Some(d.len() as u32));
                    assert!((e.avg_doc_len.unwrap() - avgdl).abs() < 1e-9 * avgdl);
                    let sum: f64 = e.terms.iter().map(|t| t.score).sum();
                    assert!(
                        (sum - e.score).abs() <= 2e-6 * e.score.abs().max(1.0),
                        "{variant} {q:?}: {sum} vs {}",
                        e.score
                    );
                    if !matches!(variant, Bm25Variant::Bm25L | Bm25Variant::Bm25Plus) {
                        // Exactly: the parts, one per query occurrence in
                        // float32, added in query order, are the score's bits.
                        let mut exact = 0f32;
                        for id in r.vocab().query_terms(r.analyzer(), q) {
                            let t = e
                                .terms
                                .iter()
                                .find(|t| t.term == r.vocab().term(id))
                                .unwrap();
                            let once = t.score / t.query_count as f64;
                            assert_eq!(once as f32 as f64, once);
                            if t.in_doc {
                                exact += once as f32;
                            }
                        }
                        assert_eq!(
                            (exact as f64).to_bits(),
                            e.score.to_bits(),
                            "{variant} {q:?}"
                        );
                    }
                    for t in &e.terms {
                        let tf = d.iter().filter(|w| **w == t.term).count() as f64;
                        let (idf, tfc, l) = bm25_by_hand(
                            variant.name(),
                            k1,
                            b,
                            0.5,
                            n,
                            df[t.term.as_str()],
                            tf,
                            dl,
                            avgdl,
                        );
                        let ctx =
                            format!("{variant} k1 {k1} b {b} {q:?} doc {} {}", hit.doc, t.term);
                        assert_eq!(t.in_doc, tf > 0.0, "{ctx}");
                        if idf == 0.0 {
                            // Robertson floors idf at 0: every count scores 0,
                            // so the count cannot be told from the score.
                            assert_eq!(t.score, 0.0, "{ctx}");
                            continue;
                        }
                        assert_eq!(t.tf, Some(tf as u32), "{ctx}");
                        assert_eq!(t.df, df[t.term.as_str()] as u32, "{ctx}");
                        assert!(
                            (t.length_factor - l).abs() <= 1e-12,
                            "{ctx}: L {} vs {l}",
                            t.length_factor
                        );
                        assert!(
                            (t.idf - idf).abs() <= 1e-12 * idf.abs().max(1.0),
                            "{ctx}: idf {} vs {idf}",
                            t.idf
                        );
                        let plain = !matches!(variant, Bm25Variant::Bm25L | Bm25Variant::Bm25Plus);
                        if tf > 0.0 || !plain {
                            let got = t.tf_component.unwrap();
                            // 1e-6: atire and bm25+ multiply tf by k1 + 1 in
                            // float32, as bm25s does.
                            assert!(
                                (got - tfc).abs() <= 1e-6 * tfc.max(1.0),
                                "{ctx}: tfc {got} vs {tfc}"
                            );
                        } else {
                            assert_eq!(t.tf_component, None, "{ctx}");
                        }
                        // The part, once per query occurrence (scores are float32).
                        let part = idf * tfc * t.query_count as f64;
                        assert!(
                            (t.score - part).abs() <= 1e-5 * part.abs().max(1.0),
                            "{ctx}: part {} vs {part}",
                            t.score
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} terms checked");
}

#[test]
fn bm25_explanation_is_the_formula_on_the_tour_paragraphs() {
    let docs = common::tour_docs();
    check_bm25_against_formula(&docs, &QUERIES, 20);
}

#[test]
fn bm25_explanation_is_the_formula_on_embedded_cranfield() {
    let (docs, queries) = cranfield();
    let qs: Vec<&str> = queries.iter().take(15).map(String::as_str).collect();
    check_bm25_against_formula(&docs, &qs, 5);
}

#[test]
fn bm25_explanation_is_the_formula_on_scifact() {
    let data = towel_data::data_or_skip!();
    let beir = common::load_beir(&data, "scifact");
    let qs: Vec<&str> = beir.queries.iter().take(10).map(String::as_str).collect();
    check_bm25_against_formula(&beir.docs, &qs, 3);
}

/// TF-IDF's explanation against scikit-learn's formulas computed here: the
/// document weight is `tf · idf / ‖d‖` with ‖d‖ the document row's norm (its
/// length factor), the query weight `qtf · idf / ‖q‖`, and the parts sum to
/// the score bit for bit as search adds them.
#[test]
fn tfidf_explanation_is_the_formula() {
    use towel_retrieval::tfidf::{Norm, TfidfParams};
    let (docs, queries) = cranfield();
    let config = AnalyzerConfig::default();
    let terms = analyzed(&docs, &config);
    let n = docs.len() as f64;
    let mut df: std::collections::HashMap<&str, f64> = Default::default();
    for d in &terms {
        let mut seen: Vec<&str> = d.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            *df.entry(t).or_default() += 1.0;
        }
    }
    for (sublinear, smooth, norm) in [
        (false, true, Norm::L2),
        (true, false, Norm::L1),
        (false, true, Norm::None),
    ] {
        let p = TfidfParams {
            sublinear_tf: sublinear,
            smooth_idf: smooth,
            norm,
            ..TfidfParams::default()
        };
        let r = Retriever::build(&docs, config.clone(), Method::Tfidf(p)).unwrap();
        let idf_of = |t: &str| {
            if smooth {
                ((1.0 + n) / (1.0 + df[t])).ln() + 1.0
            } else {
                (n / df[t]).ln() + 1.0
            }
        };
        let w = |tf: f64| if sublinear { 1.0 + tf.ln() } else { tf };
        let norm_of = |ws: &[f64]| match norm {
            Norm::L2 => ws.iter().map(|x| x * x).sum::<f64>().sqrt(),
            Norm::L1 => ws.iter().map(|x| x.abs()).sum::<f64>(),
            Norm::None => 1.0,
        };
        for q in queries.iter().take(15) {
            for hit in r.search(q, 5) {
                let e = r.explain(q, hit.doc);
                assert_eq!(e.score.to_bits(), hit.score.to_bits());
                let d = &terms[hit.doc as usize];
                let mut distinct: Vec<&str> = d.iter().map(String::as_str).collect();
                distinct.sort_unstable();
                distinct.dedup();
                let row: Vec<f64> = distinct
                    .iter()
                    .map(|t| w(d.iter().filter(|x| x == t).count() as f64) * idf_of(t))
                    .collect();
                let dnorm = norm_of(&row);
                assert!(
                    (e.length_factor - dnorm).abs() <= 1e-9 * dnorm,
                    "{} vs {dnorm}",
                    e.length_factor
                );
                let sum: f64 = e.terms.iter().map(|t| t.score).sum();
                assert!((sum - e.score).abs() <= 1e-12 * e.score.max(1.0));
                for t in &e.terms {
                    let tf = d.iter().filter(|x| **x == t.term).count() as f64;
                    assert_eq!(t.tf, Some(tf as u32), "{}", t.term);
                    assert!((t.idf - idf_of(&t.term)).abs() < 1e-12);
                    if tf > 0.0 {
                        let want = w(tf) * t.idf / dnorm;
                        assert!(
                            (t.doc_weight.unwrap() - want).abs() <= 1e-9 * want,
                            "{}",
                            t.term
                        );
                    }
                    let qw = t.query_weight.unwrap();
                    let want_q = w(t.query_count as f64) * t.idf / e.query_norm.unwrap();
                    assert!((qw - want_q).abs() <= 1e-12 * want_q.max(1.0), "{}", t.term);
                }
            }
        }
    }
}
