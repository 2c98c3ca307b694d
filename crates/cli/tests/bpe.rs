//! `towel bpe train` / `towel bpe show` end to end, including bad input.

use std::fs;

use predicates::prelude::*;

mod common;
use common::towel;

fn corpus(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("corpus.txt");
    fs::write(&p, towel_data::embedded::TOUR_TEXT).unwrap();
    p
}

#[test]
fn train_writes_each_format_and_show_lists_merges() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(tmp.path());
    for format in ["towel", "tiktoken", "hf"] {
        let out = tmp.path().join(format!("tok.{format}"));
        let o = towel()
            .args([
                "--json",
                "bpe",
                "train",
                "--vocab-size",
                "400",
                "--special",
                "<|endoftext|>",
            ])
            .args(["--pattern", "cl100k", "--format", format, "--out"])
            .arg(&out)
            .arg(&c)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["vocab_size"], 400);
        assert_eq!(v["merges"], 143);
        assert!(v["bytes_per_token"].as_f64().unwrap() > 1.5);
        assert_eq!(v["corpus_bytes"], towel_data::embedded::TOUR_TEXT.len());
        let o = towel()
            .args(["--json", "bpe", "show", "-n", "3"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success());
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["merges"], 143);
        assert_eq!(v["first"].as_array().unwrap().len(), 3);
        assert_eq!(v["first"][0]["rank"], 256);
        assert_eq!(v["last"][2]["rank"], 398);
    }
    towel()
        .args(["bpe", "show"])
        .arg(tmp.path().join("tok.towel"))
        .assert()
        .success()
        .stdout(predicate::str::contains("first merges:").and(predicate::str::contains("256  ")));
    towel()
        .args(["bpe", "train", "--vocab-size", "300", "--out"])
        .arg(tmp.path().join("t.json"))
        .arg(&c)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("trained 300 tokens")
                .and(predicate::str::contains("bytes per token")),
        );
}

#[test]
fn bad_input_gets_one_line_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(tmp.path());
    let out = tmp.path().join("out.json");
    let one_line = |s: &str| s.lines().count() == 1 && s.starts_with("error: ");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--vocab-size".into(), "200".into(), c.display().to_string()],
            "at least 256",
        ),
        (
            vec![
                "--vocab-size".into(),
                "256".into(),
                "--special".into(),
                "<s>".into(),
                c.display().to_string(),
            ],
            "at least 257",
        ),
        (
            vec![
                "--vocab-size".into(),
                "300".into(),
                "/no/such/file.txt".into(),
            ],
            "/no/such/file.txt",
        ),
        (
            vec![
                "--vocab-size".into(),
                "300".into(),
                "--pattern".into(),
                "(".into(),
                c.display().to_string(),
            ],
            "pattern",
        ),
        (
            vec![
                "--vocab-size".into(),
                "300".into(),
                "--format".into(),
                "xml".into(),
                c.display().to_string(),
            ],
            "--format",
        ),
    ];
    for (args, want) in cases {
        let o = towel()
            .args(["bpe", "train", "--out"])
            .arg(&out)
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success());
        assert!(one_line(&err) && err.contains(want), "{args:?}: {err}");
    }
    let empty = tmp.path().join("empty.txt");
    fs::write(&empty, "").unwrap();
    towel()
        .args(["bpe", "train", "--vocab-size", "300", "--out"])
        .arg(&out)
        .arg(&empty)
        .assert()
        .failure()
        .stderr(predicate::str::contains("corpus is empty"));
    let bad = tmp.path().join("latin1.txt");
    fs::write(&bad, b"caf\xe9 au lait\n").unwrap();
    towel()
        .args(["bpe", "train", "--vocab-size", "300", "--out"])
        .arg(&out)
        .arg(&bad)
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("not valid UTF-8 at byte offset 3")
                .and(predicate::str::contains("latin1.txt")),
        );
    towel()
        .args(["bpe", "train", "--lossy", "--vocab-size", "300", "--out"])
        .arg(&out)
        .arg(&bad)
        .assert()
        .success();
    assert!(!tmp.path().join("never.json").exists());
    towel()
        .args(["bpe", "show"])
        .arg(&bad)
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a tokenizer file"));
}

/// A trained tokenizer file is usable by `towel encode` / `towel decode`:
/// `bpe train --format towel` or `hf` (and `--format tiktoken` with `--pattern`)
/// round-trips a text through ids and back, byte for byte.
#[test]
fn trained_file_round_trips_through_encode_and_decode() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(tmp.path());
    let text = tmp.path().join("text.txt");
    let sample = "The cat sat on the mat, 12345 times. Héllo 🦀 wörld!\n";
    fs::write(&text, sample).unwrap();
    for (format, extra) in [
        ("towel", vec![]),
        ("hf", vec![]),
        ("tiktoken", vec!["--pattern", "cl100k"]),
    ] {
        let tok = tmp.path().join(format!("T.{format}"));
        towel()
            .args(["bpe", "train", "--vocab-size", "400", "--pattern", "cl100k"])
            .args(["--format", format, "--out"])
            .arg(&tok)
            .arg(&c)
            .assert()
            .success();
        let enc = towel()
            .args(["encode", "--tokenizer"])
            .arg(&tok)
            .args(&extra)
            .arg(&text)
            .output()
            .unwrap();
        assert!(enc.status.success(), "{format}: {enc:?}");
        let ids: Vec<u32> = serde_json::from_slice(&enc.stdout).unwrap();
        // Merges were learned: fewer ids than bytes.
        assert!(ids.len() < sample.len(), "{format}: {} ids", ids.len());
        assert!(ids.iter().all(|&id| id < 400), "{format}: {ids:?}");
        let dec = towel()
            .args(["decode", "--tokenizer"])
            .arg(&tok)
            .args(&extra)
            .write_stdin(enc.stdout.clone())
            .output()
            .unwrap();
        assert!(dec.status.success(), "{format}: {dec:?}");
        assert_eq!(String::from_utf8(dec.stdout).unwrap(), sample, "{format}");
    }
}

/// `towel GLOBAL... bpe train ARGS... --out OUT CORPUS`.
fn train(
    global: &[&str],
    args: &[&str],
    out: &std::path::Path,
    corpus: &std::path::Path,
) -> assert_cmd::Command {
    let mut c = towel();
    c.args(global)
        .args(["bpe", "train"])
        .args(args)
        .arg("--out")
        .arg(out)
        .arg(corpus);
    c
}

/// `.tiktoken` cannot hold special tokens: `bpe train` says on stderr which
/// ones the file lacks and how to keep them (issue #10).
#[test]
fn tiktoken_output_reports_dropped_special_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(tmp.path());
    let out = tmp.path().join("t.tiktoken");
    let args = ["--vocab-size", "300", "--special", "<|x|>"];
    let o = train(
        &["--json"],
        &[&args[..], &["--format", "tiktoken"]].concat(),
        &out,
        &c,
    )
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("<|x|> (299)"), "{stderr}");
    assert!(stderr.contains("towel or HF format"), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["dropped_special_tokens"][0][0], "<|x|>");
    assert_eq!(fs::read_to_string(&out).unwrap().lines().count(), 299);
    // The towel format keeps them, and says nothing.
    let o = train(&[], &args, &tmp.path().join("t.json"), &c)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("note:"));
}

/// An empty --pattern is a configuration error, not a vocabulary trained on
/// nothing (issue #10).
#[test]
fn empty_pattern_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(tmp.path());
    let out = tmp.path().join("t.json");
    train(&[], &["--vocab-size", "300", "--pattern", ""], &out, &c)
        .assert()
        .failure()
        .stderr(predicate::str::contains("pattern is empty"));
    assert!(!out.exists());
}

/// When the regex engine gives up on a user pattern, `encode` fails naming
/// the byte offset, as `bpe train` does; nothing is merged as one piece
/// with exit 0 (issue #10).
#[test]
fn regex_engine_failure_is_an_error_in_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let args = ["--vocab-size", "260", "--pattern", "(?:(a|a)+(?=c))|."];
    let small = tmp.path().join("small.txt");
    fs::write(&small, "xyz xyz abc").unwrap();
    let tok = tmp.path().join("t.json");
    train(&[], &args, &tok, &small).assert().success();
    let bad = format!("xy{}b", "a".repeat(30));
    towel()
        .args(["encode", "--tokenizer"])
        .arg(&tok)
        .write_stdin(bad.clone())
        .assert()
        .failure()
        .stdout("")
        .stderr(predicate::str::contains(
            "pattern failed on the input at byte 2",
        ));
    let big = tmp.path().join("big.txt");
    fs::write(&big, &bad).unwrap();
    train(&[], &args, &tmp.path().join("t2.json"), &big)
        .assert()
        .failure()
        .stderr(predicate::str::contains("at byte 2"));
}

/// `bpe show` and `encode --tokenizer` read a towel file that starts with a
/// UTF-8 byte-order mark (issue #10), and `bpe show` reads an HF file.
#[test]
fn byte_order_mark_and_hf_files_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(tmp.path());
    for format in ["towel", "hf"] {
        let tok = tmp.path().join(format!("t.{format}"));
        train(&[], &["--vocab-size", "300", "--format", format], &tok, &c)
            .assert()
            .success();
        let data = fs::read(&tok).unwrap();
        fs::write(&tok, [&b"\xEF\xBB\xBF"[..], &data].concat()).unwrap();
        let v = common::json_of(towel().args(["--json", "bpe", "show"]).arg(&tok));
        assert_eq!(v["format"], format);
        assert_eq!(v["merges"], 44);
        towel()
            .args(["encode", "--tokenizer"])
            .arg(&tok)
            .write_stdin("the cat")
            .assert()
            .success();
    }
}
