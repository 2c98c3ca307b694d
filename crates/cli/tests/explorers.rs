//! `towel explain` and `towel bpe trace` end to end: any input (empty, not
//! UTF-8, from an argument, a file or stdin), text and `--json`, no colour
//! codes when stdout is not a terminal, and no data folder needed.

mod common;

use common::{json_of, one_line_error, stdout_of, towel};

#[test]
fn explain_any_input() {
    let v = json_of(towel().args(["--json", "explain", "I love 🦀"]));
    let names: Vec<&str> = v["tokenizers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"gpt2") && names.contains(&"cl100k_base"),
        "{names:?}"
    );
    // Not UTF-8, from stdin: bytes and BPE decode it exactly.
    let v = json_of(
        towel()
            .args(["--json", "explain"])
            .write_stdin(&b"caf\xe9"[..]),
    );
    assert_eq!(v["valid_utf8"], false);
    for t in v["tokenizers"].as_array().unwrap() {
        if t["family"] == "bytes" || t["family"] == "byte-level BPE" {
            assert_eq!(t["exact"], true, "{}", t["name"]);
        }
    }
    // Empty input.
    let v = json_of(towel().args(["--json", "explain"]).write_stdin(""));
    assert!(v["tokenizers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["tokens"] == 0));
    // Text output: a table and the pieces, and no escape codes off a terminal.
    let out = stdout_of(towel().args(["explain", "don't panic"]));
    assert!(out.contains("cl100k_base"));
    assert!(out.contains("don|'t|␠panic"), "{out}");
    assert!(!out.contains('\x1b'));
}

#[test]
fn bpe_trace_any_input() {
    let v = json_of(towel().args(["--json", "bpe", "trace", "strawberry"]));
    assert_eq!(v["ids"], serde_json::json!([301, 1831, 8396]));
    let steps = v["pieces"][0]["steps"].as_array().unwrap();
    assert_eq!(
        steps.last().unwrap()["parts"],
        serde_json::json!(["st", "raw", "berry"])
    );
    let v = json_of(
        towel()
            .args(["--json", "bpe", "trace", "-e", "cl100k_base"])
            .write_stdin(&b"\xff\xfe hi"[..]),
    );
    assert!(v["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["invalid_utf8"] == true));
    let out = stdout_of(towel().args(["bpe", "trace"]).write_stdin(""));
    assert!(out.contains("empty input"));
    let out = stdout_of(towel().args(["bpe", "trace", "strawberry"]));
    assert!(out.contains("rank 1831") && !out.contains('\x1b'), "{out}");
    let e = one_line_error(towel().args(["bpe", "trace", "-e", "bytes", "x"]));
    assert!(e.contains("no merges to trace"), "{e}");
}

/// Hostile input for every explorer: an empty file, a file that is not
/// UTF-8, a very long input. Each gives a result or a one-line error, never a
/// panic.
#[test]
fn explorers_take_hostile_files() {
    let d = tempfile::tempdir().unwrap();
    let empty = d.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let latin1 = d.path().join("latin1.txt");
    std::fs::write(&latin1, b"na\xefve caf\xe9 \xff\xfe\n").unwrap();
    // A long run of letters: one pre-tokenized piece of 100 KB (a pasted
    // hash or a line with no spaces), plus ordinary text.
    let long = d.path().join("long.txt");
    let mut text = "x".repeat(100_000);
    text.push_str(" and then some words");
    std::fs::write(&long, &text).unwrap();

    let v = json_of(towel().args(["--json", "explain", "-f"]).arg(&empty));
    assert!(v["tokenizers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["tokens"] == 0));
    let v = json_of(towel().args(["--json", "explain", "-f"]).arg(&latin1));
    assert_eq!(v["valid_utf8"], false);
    assert_eq!(v["bytes"], 14);
    let out = stdout_of(towel().args(["explain", "-f"]).arg(&latin1));
    assert!(out.contains("\\xEF") || out.contains("\\xE9"), "{out}");
    let v = json_of(towel().args(["--json", "explain", "-f"]).arg(&long));
    assert_eq!(v["bytes"], text.len());
    for t in v["tokenizers"].as_array().unwrap() {
        assert!(t["tokens"].as_u64().unwrap() > 0, "{}", t["name"]);
        if t["family"] == "bytes" || t["family"] == "byte-level BPE" {
            assert_eq!(t["exact"], true, "{}", t["name"]);
        }
    }
    let e = one_line_error(towel().args(["explain", "-f", "/nonexistent/x.txt"]));
    assert!(e.contains("/nonexistent/x.txt"), "{e}");

    let out = stdout_of(towel().args(["bpe", "trace", "-f"]).arg(&empty));
    assert!(out.contains("empty input"), "{out}");
    let v = json_of(towel().args(["--json", "bpe", "trace", "-f"]).arg(&latin1));
    let pieces = v["pieces"].as_array().unwrap();
    assert!(pieces.iter().any(|p| p["invalid_utf8"] == true));
    assert!(pieces.iter().all(|p| p["matches_encoder"] == true));
    // 100 KB is over the input limit: one line that says what to do.
    let e = one_line_error(towel().args(["bpe", "trace", "-f"]).arg(&long));
    assert!(
        e.contains("at most 64 KiB") && e.contains("towel encode"),
        "{e}"
    );
    // A 10 KB piece is under it: shown with its tokens, not merge by merge.
    let v = json_of(
        towel()
            .args(["--json", "bpe", "trace"])
            .arg(&text[..10_000]),
    );
    let p = &v["pieces"][0];
    assert_eq!(p["traced"], false);
    assert_eq!(p["bytes"], 10_000);
    assert!(p["steps"].as_array().unwrap().is_empty());
    assert!(!p["ids"].as_array().unwrap().is_empty());
    let out = stdout_of(towel().args(["bpe", "trace"]).arg(&text[..10_000]));
    assert!(out.contains("not traced merge by merge"), "{out}");
}

/// `towel search --explain` on hostile queries: empty, no known term, not
/// UTF-8 is impossible on the command line (clap refuses it in one line),
/// very long; and an index of the previous format version says to rebuild.
#[test]
fn search_explain_takes_hostile_queries() {
    let d = tempfile::tempdir().unwrap();
    let corpus = d.path().join("c.jsonl");
    std::fs::write(
        &corpus,
        "{\"_id\": \"a\", \"title\": \"Cats\", \"text\": \"Cats purr.\"}\n{\"_id\": \"b\", \"text\": \"Dogs bark at cats.\"}\n",
    )
    .unwrap();
    let idx = d.path().join("x.idx");
    towel()
        .args(["index", "--corpus"])
        .arg(&corpus)
        .arg("--out")
        .arg(&idx)
        .assert()
        .success();
    let long = "cats ".repeat(20_000);
    for q in ["", "zebra qwerty", "the and of", long.as_str()] {
        let v = json_of(
            towel()
                .args(["--json", "search", "--explain"])
                .arg(&idx)
                .arg(q),
        );
        let hits = v["hits"].as_array().unwrap();
        if q.starts_with("cats") {
            assert_eq!(hits.len(), 2);
            let t = &hits[0]["explanation"][0];
            assert_eq!(t["query_count"], 20_000);
        } else {
            assert!(hits.is_empty(), "{q:?}");
            let out = stdout_of(towel().args(["search", "--explain"]).arg(&idx).arg(q));
            // A query of unknown words names its terms; one of stopwords
            // (or nothing) has none.
            let want = if q.starts_with("zebra") {
                "no document contains a term of this query (its terms: zebra qwerti)"
            } else {
                "the query has no terms once analyzed"
            };
            assert!(out.contains(want), "{q:?}: {out}");
        }
    }
    // An index written by format version 1 (before document lengths).
    let mut b = std::fs::read(&idx).unwrap();
    b[8..12].copy_from_slice(&1u32.to_le_bytes());
    std::fs::write(&idx, &b).unwrap();
    let e = one_line_error(towel().args(["search", "--explain"]).arg(&idx).arg("cats"));
    assert!(
        e.contains("version 1") && e.contains("rebuild the index with `towel index`"),
        "{e}"
    );
}
