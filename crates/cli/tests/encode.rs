//! `towel encode`, `towel decode` and `towel vocab convert` end to end.

use std::fs;

use predicates::prelude::*;
use towel_data::data_or_skip;

mod common;
use common::{one_line_error, towel, towel_with_data};

fn ids(out: &[u8]) -> Vec<u32> {
    serde_json::from_slice(out).unwrap()
}

#[test]
fn encode_stdin_and_file_give_tiktoken_ids() {
    let dir = data_or_skip!();
    let out = towel_with_data(&dir)
        .args(["encode", "-e", "cl100k_base"])
        .write_stdin("hello world")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(ids(&out.stdout), vec![15339, 1917]);
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("in.txt");
    fs::write(&p, "hello world").unwrap();
    let out = towel_with_data(&dir)
        .args(["encode", "-e", "o200k_base"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(ids(&out.stdout), vec![24912, 2375]);
}

#[test]
fn encode_count_matches_reference() {
    let dir = data_or_skip!();
    towel_with_data(&dir)
        .args(["encode", "-e", "gpt2", "--count"])
        .arg(dir.join("text/tinyshakespeare.txt"))
        .assert()
        .success()
        .stdout("338025\n");
    towel_with_data(&dir)
        .args(["--json", "encode", "-e", "cl100k_base", "--count"])
        .write_stdin("hello world")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"tokens\": 2"));
}

#[test]
fn encode_pieces_escapes_bytes() {
    let dir = data_or_skip!();
    towel_with_data(&dir)
        .args(["encode", "-e", "cl100k_base", "--pieces"])
        .write_stdin("don't 👍\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("15357\t\"don\"\n"))
        .stdout(predicate::str::contains("\\xF0\\x9F"))
        .stdout(predicate::str::contains("\"\\n\""));
}

#[test]
fn special_tokens_rules() {
    let dir = data_or_skip!();
    towel_with_data(&dir)
        .args(["encode", "-e", "cl100k_base"])
        .write_stdin("hi <|endoftext|>")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "error: stdin: the text contains the special token \"<|endoftext|>\" at byte 3, which is disallowed",
        ))
        .stderr(predicate::str::contains("--allowed-special"));
    let out = towel_with_data(&dir)
        .args(["encode", "-e", "cl100k_base", "--allowed-special", "all"])
        .write_stdin("hi<|endoftext|>")
        .output()
        .unwrap();
    assert_eq!(ids(&out.stdout), vec![6151, 100257]);
    let out = towel_with_data(&dir)
        .args([
            "encode",
            "-e",
            "cl100k_base",
            "--allowed-special",
            "<|endoftext|>",
        ])
        .write_stdin("hi<|endoftext|>")
        .output()
        .unwrap();
    assert_eq!(ids(&out.stdout), vec![6151, 100257]);
    let out = towel_with_data(&dir)
        .args([
            "encode",
            "-e",
            "cl100k_base",
            "--disallowed-special",
            "none",
        ])
        .write_stdin("<|endoftext|>")
        .output()
        .unwrap();
    assert_eq!(ids(&out.stdout), vec![27, 91, 8862, 728, 428, 91, 29]);
    towel_with_data(&dir)
        .args([
            "encode",
            "-e",
            "gpt2",
            "--allowed-special",
            "<|fim_prefix|>",
        ])
        .write_stdin("x")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "\"<|fim_prefix|>\" is not a special token of this tokenizer (it has: <|endoftext|>)",
        ));
}

#[test]
fn invalid_utf8_names_the_offset() {
    let dir = data_or_skip!();
    towel_with_data(&dir)
        .args(["encode", "-e", "gpt2"])
        .write_stdin(&b"abc\xffdef"[..])
        .assert()
        .failure()
        .stderr("error: stdin: not valid UTF-8 at byte 3 (towel encode reads UTF-8 text)\n");
}

#[test]
fn unknown_encoding_lists_the_known_ones() {
    let dir = data_or_skip!();
    towel_with_data(&dir)
        .args(["encode", "-e", "gpt5"])
        .write_stdin("x")
        .assert()
        .failure()
        .stderr(predicate::str::contains("possible values: gpt2, r50k_base"));
}

#[test]
fn decode_writes_raw_bytes_and_rejects_bad_ids() {
    let dir = data_or_skip!();
    towel_with_data(&dir)
        .args(["decode", "-e", "cl100k_base"])
        .write_stdin("[15339, 1917, 9468]")
        .assert()
        .success()
        .stdout(predicate::eq(&b"hello world\xf0\x9f"[..]));
    towel_with_data(&dir)
        .args(["decode", "-e", "cl100k_base"])
        .write_stdin("[15339, 100256]")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "token id 100256 (at position 1) is not in the vocabulary",
        ));
    towel_with_data(&dir)
        .args(["decode", "-e", "cl100k_base"])
        .write_stdin("[1, -2]")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "expected a JSON array of token ids",
        ));
}

#[test]
fn tiktoken_file_needs_a_pattern_and_towel_file_works() {
    let dir = data_or_skip!();
    let vocab = dir.join("vocab/r50k_base.tiktoken");
    towel_with_data(&dir)
        .args(["encode", "--tokenizer"])
        .arg(&vocab)
        .write_stdin("x")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "pass --pattern gpt2|cl100k|o200k|REGEX",
        ));
    let out = towel_with_data(&dir)
        .args(["encode", "--pattern", "gpt2", "--tokenizer"])
        .arg(&vocab)
        .write_stdin("hello world")
        .output()
        .unwrap();
    assert_eq!(ids(&out.stdout), vec![31373, 995]);

    // Convert gpt2's files to a towel file and a .tiktoken file, then use them.
    let tmp = tempfile::tempdir().unwrap();
    let towel_file = tmp.path().join("gpt2.json");
    let tt = tmp.path().join("gpt2.tiktoken");
    towel_with_data(&dir)
        .args(["vocab", "convert", "--from-gpt2"])
        .arg(dir.join("vocab/gpt2/encoder.json"))
        .arg(dir.join("vocab/gpt2/vocab.bpe"))
        .arg("--to-towel")
        .arg(&towel_file)
        .arg("--to-tiktoken")
        .arg(&tt)
        .assert()
        .success()
        .stdout(predicate::str::contains("50256 tokens"));
    assert_eq!(fs::read(&tt).unwrap(), fs::read(&vocab).unwrap());
    let out = towel_with_data(&dir)
        .args(["encode", "--allowed-special", "all", "--tokenizer"])
        .arg(&towel_file)
        .write_stdin("hello world<|endoftext|>")
        .output()
        .unwrap();
    assert_eq!(ids(&out.stdout), vec![31373, 995, 50256]);
    // And back to GPT-2's files.
    let (e, b) = (
        tmp.path().join("encoder.json"),
        tmp.path().join("vocab.bpe"),
    );
    towel_with_data(&dir)
        .args(["vocab", "convert", "--from-towel"])
        .arg(&towel_file)
        .arg("--to-gpt2")
        .arg(&e)
        .arg(&b)
        .assert()
        .success();
    let out = towel_with_data(&dir)
        .args(["encode", "-e", "gpt2", "--pieces"])
        .write_stdin("x")
        .output()
        .unwrap();
    assert!(out.status.success());

    // A bad tokenizer file is one clear line.
    let bad = tmp.path().join("bad.json");
    fs::write(&bad, r#"{"format":"towel-tokenizer","version":9}"#).unwrap();
    towel_with_data(&dir)
        .args(["encode", "--tokenizer"])
        .arg(&bad)
        .write_stdin("x")
        .assert()
        .failure()
        .stderr(predicate::str::contains("version 9 is not supported"));
    let bad = tmp.path().join("bad.tiktoken");
    fs::write(&bad, "IQ== 0\nIg==\n").unwrap();
    towel_with_data(&dir)
        .args(["encode", "--pattern", "gpt2", "--tokenizer"])
        .arg(&bad)
        .write_stdin("x")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "bad.tiktoken, line 2: missing rank",
        ));
}

/// `-e bytes` needs no data: one id per byte, invalid UTF-8 included, and
/// `decode -e bytes` gives the same bytes back.
#[test]
fn bytes_encoding_takes_any_bytes_and_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let no_data = tmp.path().join("no-data");
    let input: &[u8] = b"h\xC3\xA9 \xFF\x00\xF0\x9F";
    let file = tmp.path().join("in.bin");
    fs::write(&file, input).unwrap();
    let out = towel_with_data(&no_data)
        .args(["encode", "-e", "bytes"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let got = ids(&out.stdout);
    assert_eq!(got, input.iter().map(|&b| u32::from(b)).collect::<Vec<_>>());
    let back = towel_with_data(&no_data)
        .args(["decode", "-e", "bytes"])
        .write_stdin(out.stdout.clone())
        .output()
        .unwrap();
    assert!(back.status.success(), "{back:?}");
    assert_eq!(back.stdout, input);
    towel_with_data(&no_data)
        .args(["--json", "encode", "-e", "bytes", "--count"])
        .write_stdin("héllo")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"tokens\": 6"));
    towel_with_data(&no_data)
        .args(["encode", "-e", "bytes", "--pieces"])
        .write_stdin("a\u{e9}")
        .assert()
        .success()
        .stdout("97\t\"a\"\n195\t\"\\xC3\"\n169\t\"\\xA9\"\n");
    // An id above 255 is not a byte: one clear error line.
    towel_with_data(&no_data)
        .args(["decode", "-e", "bytes"])
        .write_stdin("[104, 256]")
        .assert()
        .failure()
        .stderr(predicate::str::contains("256").and(predicate::str::contains("bytes")));
    towel_with_data(&no_data)
        .args(["encode", "-e", "bytes", "--allowed-special", "all"])
        .write_stdin("x")
        .assert()
        .failure()
        .stderr(predicate::str::contains("no special tokens"));
}

/// Every command that takes a tokenizer file takes every format: GPT-2's
/// encoder.json (with vocab.bpe beside it), a .tiktoken file and an HF file
/// made by `vocab convert` give the ids of `-e gpt2`; `bpe show` reads them
/// all; converting to .tiktoken says which special tokens it drops (issue #10).
#[test]
fn every_tokenizer_format_is_accepted_everywhere() {
    let dir = data_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let enc_json = dir.join("vocab/gpt2/encoder.json");
    let tt = tmp.path().join("gpt2.tiktoken");
    let hf = tmp.path().join("gpt2-hf.json");
    let o = towel_with_data(&dir)
        .args(["vocab", "convert", "-e", "gpt2", "--to-tiktoken"])
        .arg(&tt)
        .arg("--to-hf")
        .arg(&hf)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("<|endoftext|> (50256)"), "{stderr}");
    assert!(stderr.contains("towel or HF format"), "{stderr}");
    let expected = vec![31373, 995];
    for (file, extra) in [
        (&enc_json, vec![]),
        (&hf, vec![]),
        (&tt, vec!["--pattern", "gpt2"]),
    ] {
        let out = towel_with_data(&dir)
            .args(["encode", "--tokenizer"])
            .arg(file)
            .args(&extra)
            .write_stdin("hello world")
            .output()
            .unwrap();
        assert!(out.status.success(), "{file:?}: {out:?}");
        assert_eq!(ids(&out.stdout), expected, "{file:?}");
        let out = towel_with_data(&dir)
            .args(["--json", "bpe", "show", "-n", "1"])
            .arg(file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{file:?}: {out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["merges"], 50000, "{file:?}");
        assert_eq!(v["first"][0]["token"], " t", "{file:?}");
    }
    // Decoding with the HF file gives the text back.
    towel_with_data(&dir)
        .args(["decode", "--tokenizer"])
        .arg(&hf)
        .write_stdin("[31373, 995]")
        .assert()
        .success()
        .stdout("hello world");
}

/// `vocab convert -e` reads the embedded ranks when no data folder has the
/// files, as `encode -e` does; the result encodes as `-e` does.
#[test]
fn vocab_convert_uses_the_embedded_ranks() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["gpt2", "cl100k_base"] {
        let out = tmp.path().join(format!("{name}.towel.json"));
        towel()
            .args(["vocab", "convert", "-e", name, "--to-towel"])
            .arg(&out)
            .assert()
            .success();
        let by_file = towel()
            .args(["encode", "--tokenizer"])
            .arg(&out)
            .write_stdin("hello world, it's me")
            .output()
            .unwrap();
        let by_name = towel()
            .args(["encode", "-e", name])
            .write_stdin("hello world, it's me")
            .output()
            .unwrap();
        assert!(by_file.status.success(), "{by_file:?}");
        assert_eq!(ids(&by_file.stdout), ids(&by_name.stdout), "{name}");
    }
    // o200k_base is not embedded: the error says which file is missing.
    let err = one_line_error(
        towel()
            .args(["vocab", "convert", "-e", "o200k_base", "--to-towel"])
            .arg(tmp.path().join("o.towel.json")),
    );
    assert!(err.contains("o200k_base"), "{err}");
}

/// An HF file without a usable pre-tokenizer is not called a .tiktoken file.
#[test]
fn hf_file_without_pattern_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let hf = tmp.path().join("tokenizer.json");
    towel()
        .args(["vocab", "convert", "-e", "gpt2", "--to-hf"])
        .arg(&hf)
        .assert()
        .success();
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&hf).unwrap()).unwrap();
    v["pre_tokenizer"] = serde_json::Value::Null;
    std::fs::write(&hf, v.to_string()).unwrap();
    let err = one_line_error(
        towel()
            .args(["encode", "--tokenizer"])
            .arg(&hf)
            .write_stdin("hi"),
    );
    assert!(
        err.contains("this hf tokenizer file names no pre-tokenization pattern"),
        "{err}"
    );
    assert!(!err.contains(".tiktoken"), "{err}");
}

/// A special-token list that names nothing is an error, not "none".
#[test]
fn empty_special_token_lists_are_errors() {
    for (flag, want) in [
        (
            "--allowed-special",
            "--allowed-special \",\" names no token",
        ),
        (
            "--disallowed-special",
            "--disallowed-special \",\" names no token",
        ),
    ] {
        let err = one_line_error(
            towel()
                .args(["encode", "-e", "gpt2", flag, ","])
                .write_stdin("hi"),
        );
        assert!(err.contains(want), "{err}");
    }
}

/// A pattern that does not match every character leaves the rest out of
/// the ids (as tiktoken does), and now says so on stderr (`--pattern ''`
/// encoded any text to `[]` without a word).
#[test]
fn a_pattern_that_leaves_text_out_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    // 256 single bytes, ranks 0..=255, in .tiktoken form (base64 by hand).
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let ranks: String = (0..=255u8)
        .map(|b| {
            let (c0, c1) = (
                B64[(b >> 2) as usize] as char,
                B64[((b & 3) << 4) as usize] as char,
            );
            format!("{c0}{c1}== {b}\n")
        })
        .collect();
    fs::write(tmp.path().join("bytes.tiktoken"), ranks).unwrap();
    fs::write(tmp.path().join("in.txt"), "hello world").unwrap();
    let run = |pattern: &str| {
        towel()
            .current_dir(tmp.path())
            .args([
                "encode",
                "--tokenizer",
                "bytes.tiktoken",
                "--pattern",
                pattern,
                "in.txt",
            ])
            .output()
            .unwrap()
    };
    for (pattern, ids, warning) in [
        ("", "[]", Some("the ids spell 0 of the input's 11 bytes")),
        (
            r"\S+",
            "[104,101,108,108,111,119,111,114,108,100]",
            Some("spell 10 of the input's 11"),
        ),
        (
            r"\S+|\s+",
            "[104,101,108,108,111,32,119,111,114,108,100]",
            None,
        ),
    ] {
        let out = run(pattern);
        assert!(out.status.success(), "{pattern:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            ids,
            "{pattern:?}"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        match warning {
            Some(w) => assert!(
                err.starts_with("warning: ") && err.contains(w),
                "{pattern:?}: {err}"
            ),
            None => assert!(err.is_empty(), "{pattern:?}: {err}"),
        }
    }
}
