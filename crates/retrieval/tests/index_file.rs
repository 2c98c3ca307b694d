//! The index file: round trips, and every kind of damage is a clear error.

mod common;

use std::path::Path;

use towel_retrieval::analyzer::AnalyzerConfig;
use towel_retrieval::index::{from_bytes, to_bytes, FORMAT_VERSION};
use towel_retrieval::{Method, RetrievalError, Retriever};

#[test]
fn round_trip_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let queries = ["the tour", "tokens and retrieval", "zzz unknown", ""];
    for method in common::all_methods() {
        let r = common::tour_retriever(&method);
        let path = dir.path().join("x.idx");
        r.save(&path).unwrap();
        let back = Retriever::load(&path).unwrap();
        assert_eq!(back.method(), method);
        assert_eq!(back.doc_ids(), r.doc_ids());
        assert_eq!(back.title(1), r.title(1));
        assert_eq!(back.vocab(), r.vocab());
        assert_eq!(back.model(), r.model());
        assert_eq!(back.analyzer().config(), r.analyzer().config());
        for q in queries {
            assert_eq!(back.search(q, 5), r.search(q, 5), "{q}");
        }
        // Writing the loaded index gives the same bytes.
        assert_eq!(to_bytes(&back), std::fs::read(&path).unwrap());
    }
}

#[test]
fn scifact_round_trip() {
    let data = towel_data::data_or_skip!();
    let beir = common::load_beir(&data, "scifact");
    let r = Retriever::build(&beir.docs, AnalyzerConfig::bm25s_english(), Method::bm25()).unwrap();
    let bytes = to_bytes(&r);
    let back = from_bytes(&bytes, Path::new("mem")).unwrap();
    for q in beir.queries.iter().take(50) {
        assert_eq!(back.search(q, 10), r.search(q, 10));
    }
    // A loaded index has no corpus word cache: its searchers stem query
    // words and remember them (the memo). Every query twice, so the second
    // pass takes its words from the memo; batches on 1 and 2 threads reuse
    // searchers across queries. All must equal fresh single searches on the
    // built index, at the depth `towel eval` uses.
    let twice: Vec<&str> = beir
        .queries
        .iter()
        .chain(beir.queries.iter())
        .map(|q| q.as_str())
        .collect();
    let want: Vec<_> = twice.iter().map(|q| r.search(q, 100)).collect();
    for threads in [Some(1), Some(2), None] {
        assert_eq!(back.search_batch(&twice, 100, threads), want, "{threads:?}");
    }
}

fn index_bytes() -> Vec<u8> {
    let r = Retriever::build(
        &common::tour_docs(),
        AnalyzerConfig::default(),
        Method::bm25(),
    )
    .unwrap();
    to_bytes(&r)
}

fn err(bytes: &[u8]) -> RetrievalError {
    from_bytes(bytes, Path::new("t.idx")).unwrap_err()
}

#[test]
fn truncated_index_is_an_error() {
    let b = index_bytes();
    for cut in [4, 20, 40, b.len() / 2, b.len() - 1] {
        let e = err(&b[..cut]);
        assert!(
            matches!(e, RetrievalError::IndexTruncated { .. }),
            "cut {cut}: {e}"
        );
        assert!(e.to_string().contains("truncated"), "{e}");
    }
}

#[test]
fn corrupted_index_is_an_error() {
    let b = index_bytes();
    for pos in [40, b.len() / 3, b.len() - 1] {
        let mut c = b.clone();
        c[pos] ^= 0x5a;
        let e = err(&c);
        assert!(matches!(e, RetrievalError::IndexCorrupt { .. }), "{e}");
        assert!(e.to_string().contains("checksum"), "{e}");
    }
    let mut longer = b.clone();
    longer.extend_from_slice(b"junk");
    assert!(matches!(err(&longer), RetrievalError::IndexCorrupt { .. }));
}

#[test]
fn wrong_version_is_an_error() {
    let mut b = index_bytes();
    b[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let e = err(&b);
    assert!(matches!(e, RetrievalError::IndexVersion { found, .. } if found == FORMAT_VERSION + 1));
    assert!(e.to_string().contains("rebuild"), "{e}");
}

#[test]
fn other_files_are_not_indexes() {
    for bytes in [
        &b""[..],
        b"{\"_id\": 1}",
        b"TOWELIDY and more bytes than a header needs.....",
    ] {
        assert!(matches!(err(bytes), RetrievalError::NotAnIndex { .. }));
    }
    let e = Retriever::load(Path::new("/nonexistent/dir/x.idx")).unwrap_err();
    assert!(matches!(e, RetrievalError::Io { .. }), "{e}");
}
