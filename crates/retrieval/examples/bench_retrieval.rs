//! towel's side of `bench/retrieval_bm25.py`: index and query timings on a
//! BEIR collection, printed as one JSON line; the runs go to a JSON file so the
//! script can compare them with the peers' and evaluate them.
//!
//! ```sh
//! cargo run --release -p towel-retrieval --example bench_retrieval -- \
//!     --beir ../shared/data/ir/scifact --repeats 5 --runs-out /tmp/runs.json
//! ```
//!
//! Timed (median of `--repeats` after one warm-up), documents already in memory
//! as `title + " " + text` strings, as the Python side has them:
//! - BM25 index: analyze (lowercase, tokens, bm25s stopwords, Snowball stemmer)
//!   + eager BM25 scoring (lucene, k1 1.2, b 0.75);
//! - BM25 queries, top-10, query analysis included, on 1 thread and on 2;
//! - TF-IDF (scikit-learn defaults) fit_transform (vocabulary, idf, document
//!   matrix; the inverted postings for search are not counted), and queries
//!   (transform + cosine top-100) on 1 thread.

use std::path::PathBuf;
use std::time::Instant;

use towel_retrieval::analyzer::Analyzer;
use towel_retrieval::bm25::{Bm25Index, Bm25Params, Bm25Variant};
use towel_retrieval::corpus::{load_corpus, read_queries, Fields};
use towel_retrieval::eval::{judged_queries, read_qrels};
use towel_retrieval::terms::count_corpus;
use towel_retrieval::tfidf::{TfidfModel, TfidfParams};
use towel_retrieval::{Baseline, Method, Retriever};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn time<T>(repeats: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut out = f(); // warm-up
    let mut t = Vec::new();
    for _ in 0..repeats {
        let s = Instant::now();
        out = f();
        t.push(s.elapsed().as_secs_f64());
    }
    (median(t), out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut beir: Option<PathBuf> = None;
    let mut repeats = 5usize;
    let mut runs_out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--beir" => beir = args.next().map(PathBuf::from),
            "--repeats" => repeats = args.next().ok_or("--repeats N")?.parse()?,
            "--runs-out" => runs_out = args.next().map(PathBuf::from),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let beir = beir.ok_or("--beir DIR is required")?;
    let docs = load_corpus(&beir, &Fields::beir())?;
    let all_queries = read_queries(&beir.join("queries.jsonl"))?;
    // The queries with judgments in qrels/test.tsv, as the peers use them.
    let mut qrels = read_qrels(&beir.join("qrels/test.tsv"))?;
    let (judged, _) = judged_queries(&all_queries, &mut qrels);
    let queries: Vec<&str> = judged.iter().map(|q| q.text.as_str()).collect();
    let texts: Vec<String> = docs.iter().map(|d| d.full_text()).collect();
    let corpus_bytes: usize = texts.iter().map(|t| t.len()).sum();

    let bm25_analyzer = Analyzer::new(Baseline::Bm25s.analyzer())?;
    let (index_s, _) = time(repeats, || {
        let counts = count_corpus(&bm25_analyzer, &texts);
        Bm25Index::build(&counts.tf, &counts.doc_len, Bm25Params::default()).unwrap()
    });
    let bm25 = Baseline::Bm25s.build(&docs)?;
    let (q1_s, _) = time(repeats, || bm25.search_batch(&queries, 10, Some(1)));
    let (q2_s, _) = time(repeats, || bm25.search_batch(&queries, 10, Some(2)));

    let tfidf_analyzer = Analyzer::new(Baseline::Sklearn.analyzer())?;
    // fit_transform: vocabulary, idf and the documents x terms matrix (as scikit-learn).
    let (fit_s, _) = time(repeats, || {
        TfidfModel::fit(&tfidf_analyzer, &texts, &TfidfParams::default()).unwrap()
    });
    let tfidf = Baseline::Sklearn.build(&docs)?;
    let (tq_s, _) = time(repeats, || tfidf.search_batch(&queries, 100, Some(1)));

    if let Some(path) = runs_out {
        // Top-100 runs for every BM25 variant and TF-IDF, for evaluation and comparison.
        let mut runs = std::collections::BTreeMap::new();
        let mut put = |name: String, r: &Retriever| {
            runs.insert(name, r.run(&judged, 100));
        };
        for v in Bm25Variant::ALL {
            let p = Bm25Params {
                variant: v,
                ..Bm25Params::default()
            };
            let r = Retriever::build(&docs, Baseline::Bm25s.analyzer(), Method::Bm25(p))?;
            put(format!("bm25_{}", v.name()), &r);
        }
        put("tfidf".into(), &tfidf);
        std::fs::write(&path, serde_json::to_vec(&runs)?)?;
    }

    let n = queries.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "docs": docs.len(),
            "queries": queries.len(),
            "corpus_bytes": corpus_bytes,
            "repeats": repeats,
            "bm25_index_s": index_s,
            "bm25_qps_1t": n / q1_s,
            "bm25_qps_2t": n / q2_s,
            "bm25_vocab": bm25.vocab().len(),
            "tfidf_fit_s": fit_s,
            "tfidf_query_s_top100": tq_s,
            "tfidf_qps_1t": n / tq_s,
            "tfidf_vocab": tfidf.vocab().len(),
        })
    );
    Ok(())
}
