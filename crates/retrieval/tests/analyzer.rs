//! The analyzer against scikit-learn's, bm25s's and PyStemmer's output
//! (`tests/fixtures/analyzer_ref.json`, written by `gen_analyzer.py`).

mod common;

use towel_retrieval::analyzer::{Analyzer, AnalyzerConfig, StemmerKind, Stopwords};
use towel_retrieval::stopwords;

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn bm25s_plain() -> AnalyzerConfig {
    AnalyzerConfig {
        stopwords: Stopwords::Bm25s,
        ..AnalyzerConfig::default()
    }
}

#[test]
fn stopword_lists_are_the_peers() {
    let r = common::fixture("analyzer_ref.json");
    assert_eq!(
        strings(&r["stopwords"]["sklearn"]),
        stopwords::SKLEARN.to_vec()
    );
    assert_eq!(strings(&r["stopwords"]["bm25s"]), stopwords::BM25S.to_vec());
    assert_eq!(stopwords::SKLEARN.len(), 318);
}

#[test]
fn probes_match_python() {
    let r = common::fixture("analyzer_ref.json");
    let plain = Analyzer::new(AnalyzerConfig::default()).unwrap();
    let sk = Analyzer::new(AnalyzerConfig::sklearn_english()).unwrap();
    let bm = Analyzer::new(AnalyzerConfig::bm25s_english()).unwrap();
    for p in r["probes"].as_array().unwrap() {
        let text = p["text"].as_str().unwrap();
        assert_eq!(plain.analyze(text), strings(&p["plain"]), "plain: {text:?}");
        assert_eq!(
            sk.analyze(text),
            strings(&p["sklearn_stop"]),
            "sklearn: {text:?}"
        );
        assert_eq!(
            bm.analyze(text),
            strings(&p["bm25s_stop_stem"]),
            "bm25s: {text:?}"
        );
    }
}

fn stream_hash(a: &Analyzer, docs: &[String]) -> (u64, String) {
    let mut buf = String::new();
    let mut n = 0u64;
    for d in docs {
        let toks = a.analyze(d);
        n += toks.len() as u64;
        buf.push_str(&toks.join(" "));
        buf.push('\n');
    }
    (n, towel_data::sha256_hex(buf.as_bytes()))
}

#[test]
fn token_streams_match_python_on_scifact_and_cranfield() {
    let data = towel_data::data_or_skip!();
    let r = common::fixture("analyzer_ref.json");
    let configs = [
        ("plain", AnalyzerConfig::default()),
        ("sklearn_stop", AnalyzerConfig::sklearn_english()),
        ("bm25s_stop_stem", AnalyzerConfig::bm25s_english()),
        ("bm25s_stop", bm25s_plain()),
    ];
    for name in ["scifact", "cranfield"] {
        let beir = common::load_beir(&data, name);
        let docs: Vec<String> = beir.docs.iter().map(|d| d.full_text()).collect();
        let want = &r["corpora"][name];
        assert_eq!(docs.len() as u64, want["docs"].as_u64().unwrap());
        for (key, cfg) in &configs {
            let a = Analyzer::new(cfg.clone()).unwrap();
            let (n, sha) = stream_hash(&a, &docs);
            assert_eq!(
                n,
                want[key]["tokens"].as_u64().unwrap(),
                "{name} {key} token count"
            );
            assert_eq!(
                sha,
                want[key]["sha256"].as_str().unwrap(),
                "{name} {key} tokens differ"
            );
        }
        let bm = Analyzer::new(AnalyzerConfig::bm25s_english()).unwrap();
        for (i, toks) in want["first_docs_bm25s_stop_stem"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            assert_eq!(bm.analyze(&docs[i]), strings(toks), "{name} doc {i}");
        }
    }
}

#[test]
fn stems_match_pystemmer_on_the_whole_vocabulary() {
    let data = towel_data::data_or_skip!();
    let r = common::fixture("analyzer_ref.json");
    let plain = Analyzer::new(AnalyzerConfig::default()).unwrap();
    let stem = Analyzer::new(AnalyzerConfig {
        stemmer: StemmerKind::English,
        ..AnalyzerConfig::default()
    })
    .unwrap();
    for pair in r["stems"]["sample"].as_array().unwrap() {
        let (w, s) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
        assert_eq!(stem.stem(w), s, "stem of {w:?}");
    }
    let mut words = std::collections::BTreeSet::new();
    for name in ["scifact", "cranfield"] {
        for d in common::load_beir(&data, name).docs {
            plain.for_each_word(&d.full_text(), |w| {
                words.insert(w.to_string());
            });
        }
    }
    assert_eq!(words.len() as u64, r["stems"]["words"].as_u64().unwrap());
    let mut buf = String::new();
    for w in &words {
        buf.push_str(&format!("{w}\t{}\n", stem.stem(w)));
    }
    assert_eq!(
        towel_data::sha256_hex(buf.as_bytes()),
        r["stems"]["sha256"].as_str().unwrap(),
        "some stems differ from PyStemmer's"
    );
}
