//! Shared helpers for the integration tests: the reference data as the peers load it.
// Each test file that includes this module uses only some of the helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use towel_retrieval::analyzer::AnalyzerConfig;
use towel_retrieval::bm25::{Bm25Params, Bm25Variant};
use towel_retrieval::corpus::{load_corpus, read_queries, Document, Fields};
use towel_retrieval::{Method, Retriever};

/// A BEIR collection: documents, and the test queries in `qrels/test.tsv` order.
pub struct Beir {
    pub docs: Vec<Document>,
    pub qids: Vec<String>,
    pub queries: Vec<String>,
}

pub fn beir_dir(data: &Path, name: &str) -> PathBuf {
    data.join("ir").join(name)
}

pub fn load_beir(data: &Path, name: &str) -> Beir {
    let dir = beir_dir(data, name);
    let docs = load_corpus(&dir, &Fields::beir()).expect("corpus loads");
    let all = read_queries(&dir.join("queries.jsonl")).expect("queries load");
    let qrels = std::fs::read_to_string(dir.join("qrels/test.tsv")).expect("qrels");
    let mut qids: Vec<String> = Vec::new();
    for (i, line) in qrels.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || (i == 0 && cols[2].trim_start_matches('-').parse::<i64>().is_err()) {
            continue;
        }
        if !qids.iter().any(|q| q == cols[0]) && all.iter().any(|q| q.id == cols[0]) {
            qids.push(cols[0].to_string());
        }
    }
    let queries = qids
        .iter()
        .map(|id| all.iter().find(|q| &q.id == id).unwrap().text.clone())
        .collect();
    Beir {
        docs,
        qids,
        queries,
    }
}

pub fn fixture(name: &str) -> serde_json::Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_slice(&std::fs::read(&p).expect("fixture exists")).expect("fixture is JSON")
}

/// Same weights as `tests/fixtures/common_ref.py`.
pub fn col_weight(j: u64, k: u64) -> f64 {
    ((j * 2654435761 + k * 40503) % 1000003) as f64 / 1000003.0
}

pub fn row_weight(i: u64, k: u64) -> f64 {
    ((i * 2246822519 + k * 3266489917) % 999983) as f64 / 999983.0
}

/// The embedded tour paragraphs as documents `p0`, `p1`, ... titled "Paragraph N".
pub fn tour_docs() -> Vec<Document> {
    towel_data::embedded::tour_paragraphs()
        .enumerate()
        .map(|(i, p)| Document {
            id: format!("p{i}"),
            title: format!("Paragraph {i}"),
            text: p.to_string(),
        })
        .collect()
}

/// Every method: the five BM25 variants (default parameters) and TF-IDF.
pub fn all_methods() -> Vec<Method> {
    let mut m: Vec<Method> = Bm25Variant::ALL
        .iter()
        .map(|&v| {
            Method::Bm25(Bm25Params {
                variant: v,
                ..Bm25Params::default()
            })
        })
        .collect();
    m.push(Method::tfidf());
    m
}

/// A retriever over [`tour_docs`] with the bm25s analyzer and `method`.
pub fn tour_retriever(method: &Method) -> Retriever {
    Retriever::build(
        &tour_docs(),
        AnalyzerConfig::bm25s_english(),
        method.clone(),
    )
    .unwrap()
}
