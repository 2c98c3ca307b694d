//! BM25 scores against bm25s 0.3.16 for each variant on SciFact's 300 test
//! queries (`tests/fixtures/bm25_ref.json`, written by `gen_bm25.py`).

mod common;

use towel_retrieval::analyzer::{Analyzer, AnalyzerConfig};
use towel_retrieval::bm25::{Bm25Index, Bm25Params, Bm25Variant};
use towel_retrieval::terms::{count_corpus, Vocabulary};
use towel_retrieval::topk::Accumulator;

#[test]
fn every_variant_matches_bm25s_on_scifact() {
    let data = towel_data::data_or_skip!();
    let want = common::fixture("bm25_ref.json");
    let beir = common::load_beir(&data, "scifact");
    let qids: Vec<&str> = want["qids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q.as_str().unwrap())
        .collect();
    assert_eq!(beir.qids, qids, "query order");
    let analyzer = Analyzer::new(AnalyzerConfig::bm25s_english()).unwrap();
    let texts: Vec<String> = beir.docs.iter().map(|d| d.full_text()).collect();
    let counts = count_corpus(&analyzer, &texts);
    let queries: Vec<Vec<u32>> = beir
        .queries
        .iter()
        .map(|q| counts.vocab.query_terms(&analyzer, q))
        .collect();
    // The corpus word cache gives the same terms as stemming every query word.
    let uncached = Vocabulary::from_terms(counts.vocab.terms().to_vec());
    for (q, terms) in beir.queries.iter().zip(&queries) {
        assert_eq!(&uncached.query_terms(&analyzer, q), terms, "query {q:?}");
    }
    for v in Bm25Variant::ALL {
        let w = &want["variants"][v.name()];
        assert_eq!(
            counts.vocab.len() as u64,
            w["vocab"].as_u64().unwrap(),
            "{v} vocabulary"
        );
        let params = Bm25Params {
            variant: v,
            ..Bm25Params::default()
        };
        let index = Bm25Index::build(&counts.tf, &counts.doc_len, params).unwrap();
        assert!((index.avg_doc_len - w["avg_doc_len"].as_f64().unwrap()).abs() < 1e-9);
        let mut acc = Accumulator::new(index.n_docs());
        let mut search_acc = Accumulator::new(index.n_docs());
        let mut exact = 0usize;
        let mut total = 0usize;
        for (qi, (terms, wq)) in queries
            .iter()
            .zip(w["queries"].as_array().unwrap())
            .enumerate()
        {
            index.score(terms, &mut acc);
            let cands: Vec<(u32, f32)> = acc.candidates().collect();
            assert_eq!(
                cands.len() as u64,
                wq["matched"].as_u64().unwrap(),
                "{v} q{qi} matched"
            );
            let sum: f64 = cands.iter().map(|c| c.1 as f64).sum();
            let want_sum = wq["sum"].as_f64().unwrap();
            assert!(
                (sum - want_sum).abs() <= 1e-5 * want_sum.abs().max(1.0),
                "{v} q{qi}: sum of scores {sum} vs bm25s {want_sum}"
            );
            let top = acc.top_k(10);
            // `search` (dense path for lucene/atire, bitset path otherwise)
            // gives the very same top 10 as score + top_k.
            assert_eq!(
                index.search(terms, 10, &mut search_acc),
                top,
                "{v} q{qi}: search vs score + top_k"
            );
            let wtop = wq["top"].as_array().unwrap();
            for (rank, (got, exp)) in top.iter().zip(wtop).enumerate() {
                let (ed, es) = (
                    exp[0].as_u64().unwrap() as u32,
                    exp[1].as_f64().unwrap() as f32,
                );
                assert!(
                    (got.1 - es).abs() <= 1e-5,
                    "{v} q{qi} rank {rank}: score {} vs bm25s {es}",
                    got.1
                );
                // Documents may only differ where bm25s has a tie.
                if got.0 != ed {
                    assert_eq!(got.1, es, "{v} q{qi} rank {rank}: doc {} vs {ed}", got.0);
                }
                total += 1;
                exact += (got.1 == es) as usize;
            }
        }
        eprintln!("{v}: {exact}/{total} top-10 scores bit-identical to bm25s");
        // Same float32 steps as bm25s: the scores are the same float32 values.
        assert_eq!(
            exact, total,
            "{v}: only {exact}/{total} scores bit-identical"
        );
    }
}
