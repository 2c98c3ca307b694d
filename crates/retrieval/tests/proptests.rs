//! Property tests: arbitrary text never panics the analyzer, the indexer, the
//! searcher or the index loader, and the analyzer's tokens are what the
//! definition says.

use std::path::Path;

use proptest::prelude::*;
use towel_retrieval::analyzer::{is_word_char, Analyzer, AnalyzerConfig};
use towel_retrieval::corpus::Document;
use towel_retrieval::index::{from_bytes, to_bytes};
use towel_retrieval::{Method, Retriever};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn analyzer_tokens_are_runs_of_word_chars(text in "\\PC{0,80}|[a-zA-Z_ ²é\u{301}İ.]{0,40}") {
        let a = Analyzer::new(AnalyzerConfig::default()).unwrap();
        let lowered = text.to_lowercase();
        for t in a.analyze(&text) {
            prop_assert!(t.chars().count() >= 2);
            prop_assert!(t.chars().all(is_word_char));
            prop_assert!(lowered.contains(&t));
        }
        let b = Analyzer::new(AnalyzerConfig::bm25s_english()).unwrap();
        let _ = b.analyze(&text);
    }

    #[test]
    fn index_build_search_save_load_never_panic(
        texts in proptest::collection::vec("\\PC{0,60}", 1..8),
        query in "\\PC{0,30}",
        tfidf in any::<bool>(),
    ) {
        let docs: Vec<Document> = texts.iter().enumerate().map(|(i, t)| Document {
            id: format!("d{i}"), title: String::new(), text: t.clone() }).collect();
        let method = if tfidf { Method::tfidf() } else { Method::bm25() };
        // TF-IDF on documents without a single term is an error, not a panic.
        if let Ok(r) = Retriever::build(&docs, AnalyzerConfig::bm25s_english(), method) {
            let hits = r.search(&query, 3);
            prop_assert!(hits.len() <= 3);
            prop_assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
            let bytes = to_bytes(&r);
            let back = from_bytes(&bytes, Path::new("m")).unwrap();
            prop_assert_eq!(back.search(&query, 3), hits);
        }
    }

    #[test]
    fn loader_never_panics_on_damaged_bytes(pos in 0usize..4096, byte in any::<u8>(), cut in 0usize..4096) {
        let docs: Vec<Document> = ["alpha beta", "beta gamma delta", "delta"].iter().enumerate()
            .map(|(i, t)| Document { id: i.to_string(), title: String::new(), text: t.to_string() }).collect();
        let r = Retriever::build(&docs, AnalyzerConfig::default(), Method::bm25()).unwrap();
        let mut b = to_bytes(&r);
        let p = pos % b.len();
        b[p] ^= byte;
        let _ = from_bytes(&b, Path::new("m"));
        let c = cut % b.len();
        prop_assert!(from_bytes(&b[..c], Path::new("m")).is_err());
    }
}

/// Words of the tour paragraphs (and one unknown), for queries that hit.
const WORDS: &[&str] = &[
    "the",
    "tour",
    "tokens",
    "retrieval",
    "bpe",
    "merge",
    "vectors",
    "search",
    "index",
    "zzzq",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A batch on any number of threads (the calling thread plus helpers
    /// claiming runs of queries that shrink as the batch ends) returns, in
    /// order, what searching each query alone returns: any batch length,
    /// repeated queries (the shared memo), loaded index or built.
    #[test]
    fn batches_on_any_threads_equal_single_searches(
        picks in proptest::collection::vec(proptest::collection::vec(0..WORDS.len(), 0..5), 0..300),
        threads in 1usize..5,
        k in 1usize..20,
        tfidf in any::<bool>(),
    ) {
        let method = if tfidf { Method::tfidf() } else { Method::bm25() };
        let docs = towel_data::embedded::tour_paragraphs()
            .enumerate()
            .map(|(i, p)| Document { id: format!("p{i}"), title: String::new(), text: p.to_string() })
            .collect::<Vec<_>>();
        let built = Retriever::build(&docs, AnalyzerConfig::bm25s_english(), method).unwrap();
        let loaded = from_bytes(&to_bytes(&built), Path::new("mem")).unwrap();
        let queries: Vec<String> = picks
            .iter()
            .map(|p| p.iter().map(|&w| WORDS[w]).collect::<Vec<_>>().join(" "))
            .collect();
        let want: Vec<_> = queries.iter().map(|q| built.search(q, k)).collect();
        prop_assert_eq!(&built.search_batch(&queries, k, Some(threads)), &want);
        prop_assert_eq!(&loaded.search_batch(&queries, k, Some(threads)), &want);
    }
}
