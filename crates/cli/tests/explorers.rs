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
