//! `towel tokenize`: the simple families end to end, and every error as one line.

use std::fs;

use serde_json::Value;

mod common;
use common::{json_of, towel};

fn stdout_of(args: &[&str], stdin: &[u8]) -> String {
    let out = towel().args(args).write_stdin(stdin).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail and returns its one-line error.
fn error_of(args: &[&str], stdin: &[u8]) -> String {
    let out = towel().args(args).write_stdin(stdin).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} should fail with exit 1"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout after an error");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn bytes_ids_from_stdin() {
    assert_eq!(
        stdout_of(&["tokenize", "--family", "bytes"], "hé🦀".as_bytes()),
        "[104,195,169,240,159,166,128]\n"
    );
}

#[test]
fn bytes_accepts_invalid_utf8_and_shows_escaped_pieces() {
    assert_eq!(
        stdout_of(&["tokenize", "-f", "bytes"], b"a\xFF"),
        "[97,255]\n"
    );
    assert_eq!(
        stdout_of(&["tokenize", "-f", "bytes", "--pieces"], "a é".as_bytes()),
        r#"["a"," ","\\xC3","\\xA9"]"#.to_string() + "\n"
    );
}

#[test]
fn char_from_file_with_corpus_and_decode_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.txt");
    fs::write(&corpus, "hello world").unwrap();
    let input = dir.path().join("in.txt");
    fs::write(&input, "hello").unwrap();
    let c = corpus.to_str().unwrap();
    let ids = stdout_of(
        &[
            "tokenize",
            "-f",
            "char",
            "--corpus",
            c,
            input.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(ids, "[3,2,4,4,5]\n");
    let text = stdout_of(
        &["tokenize", "-f", "char", "--corpus", c, "--decode"],
        ids.as_bytes(),
    );
    assert_eq!(text, "hello");
    // An unseen character: an error naming it, or <UNK> with --unk.
    let err = error_of(&["tokenize", "-f", "char", "--corpus", c], b"help");
    assert_eq!(
        err,
        "error: stdin: character 'p' (U+0070) at byte offset 3 is not in the vocabulary; train on a corpus that contains it, or enable <UNK>\n"
    );
    assert_eq!(
        stdout_of(&["tokenize", "-f", "char", "--corpus", c, "--unk"], b"help"),
        "[3,2,4,8]\n"
    );
}

#[test]
fn word_pieces_count_and_json() {
    let corpus_dir = tempfile::tempdir().unwrap();
    let corpus = corpus_dir.path().join("c.txt");
    fs::write(&corpus, "the cat sat on the mat.").unwrap();
    let c = corpus.to_str().unwrap();
    assert_eq!(
        stdout_of(
            &["tokenize", "-f", "word", "--corpus", c, "--pieces"],
            "the 🦀 sat.".as_bytes()
        ),
        "[\"the\",\"<UNK>\",\"sat\",\".\"]\n"
    );
    assert_eq!(
        stdout_of(&["tokenize", "-f", "word", "--count"], b"a b, c"),
        "4\n"
    );
    let v: Value = serde_json::from_str(&stdout_of(
        &[
            "tokenize",
            "-f",
            "word",
            "--corpus",
            c,
            "--max-size",
            "3",
            "--json",
        ],
        b"the cat",
    ))
    .unwrap();
    assert_eq!(v["tokenizer"], "word (2 words + <UNK>)");
    assert_eq!(v["vocab_size"], 3);
    assert_eq!(v["ids"], serde_json::json!([1, 0]));
}

#[test]
fn regex_family_without_corpus_round_trips_its_input() {
    let text = "Hello  world, don't panic!\n";
    for pattern in ["gpt2", "cl100k", "o200k"] {
        let ids = stdout_of(
            &["tokenize", "-f", "regex", "--pattern", pattern],
            text.as_bytes(),
        );
        let pieces: Vec<String> = serde_json::from_str(&stdout_of(
            &["tokenize", "-f", "regex", "--pattern", pattern, "--pieces"],
            text.as_bytes(),
        ))
        .unwrap();
        let ids: Vec<u32> = serde_json::from_str(&ids).unwrap();
        assert_eq!(ids.len(), pieces.len());
        assert_eq!(pieces.concat().replace("\\n", "\n"), text, "{pattern}");
    }
    let pieces = stdout_of(&["tokenize", "-f", "regex", "--pieces"], b"don't 42");
    assert_eq!(pieces, "[\"don\",\"'t\",\" 42\"]\n");
}

#[test]
fn decode_json_output_and_lossy() {
    let v: Value = serde_json::from_str(&stdout_of(
        &["tokenize", "-f", "bytes", "--decode", "--json"],
        b"[104, 105]",
    ))
    .unwrap();
    assert_eq!(v["text"], "hi");
    assert_eq!(
        stdout_of(
            &["tokenize", "-f", "bytes", "--decode", "--lossy"],
            b"[104,195]"
        ),
        "h\u{FFFD}"
    );
}

#[test]
fn errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    fs::write(&bad, b"ok\xC3(").unwrap();
    let b = bad.to_str().unwrap();

    let e = error_of(&["tokenize", "-f", "word", b], b"");
    assert_eq!(
        e,
        format!("error: {b}: invalid UTF-8 at byte offset 2 in the input; this tokenizer needs UTF-8 text (the byte tokenizer takes any bytes)\n")
    );
    let e = error_of(&["tokenize", "-f", "char", "--corpus", b], b"ok");
    assert!(
        e.starts_with(&format!(
            "error: corpus {b}: invalid UTF-8 at byte offset 2"
        )),
        "{e}"
    );
    let e = error_of(
        &["tokenize", "-f", "char", "--corpus", "/no/such/corpus"],
        b"ok",
    );
    assert!(
        e.starts_with("error: reading corpus /no/such/corpus: "),
        "{e}"
    );
    let e = error_of(&["tokenize", "-f", "bytes", "/no/such/file"], b"");
    assert!(e.starts_with("error: reading /no/such/file: "), "{e}");

    let e = error_of(&["tokenize", "-f", "char"], b"");
    assert_eq!(e, "error: learning the vocabulary from the input (no --corpus given): the training corpus is empty; a char vocabulary needs some text to learn from\n");
    let e = error_of(&["tokenize", "-f", "word", "--min-count", "0"], b"a");
    assert_eq!(e, "error: learning the vocabulary from the input (no --corpus given): invalid tokenizer settings: min_count must be at least 1\n");

    let e = error_of(&["tokenize", "-f", "bytes", "--decode"], b"[1, 256]");
    assert_eq!(
        e,
        "error: token id 256 is not in the vocabulary of bytes (valid ids are 0..=255)\n"
    );
    let e = error_of(&["tokenize", "-f", "bytes", "--decode"], b"[104, 195]");
    assert!(
        e == "error: the ids decode to invalid UTF-8 at byte offset 1; pass --lossy to replace it with U+FFFD\n",
        "{e}"
    );
    let e = error_of(&["tokenize", "-f", "bytes", "--decode"], b"[1, -2]");
    assert!(
        e.starts_with("error: stdin: expected a JSON array of token ids (integers 0..256): "),
        "{e}"
    );
    let e = error_of(&["tokenize", "-f", "bytes", "--decode"], b"hello");
    assert!(
        e.starts_with("error: stdin: expected a JSON array of token ids"),
        "{e}"
    );
    let e = error_of(&["tokenize", "-f", "word", "--decode"], b"[0]");
    assert_eq!(e, "error: decoding with the word family needs --corpus FILE (the text its vocabulary was learned from) or --vocab FILE\n");
}

#[test]
fn usage_errors_come_from_clap() {
    let out = towel()
        .args(["tokenize", "-f", "bpe"])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("invalid value 'bpe'"), "{err}");
    assert!(
        err.contains("[possible values: bytes, char, word, regex]"),
        "{err}"
    );
}

fn tour_chapter(data: Option<&std::path::Path>) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = towel();
    if let Some(d) = data {
        cmd.env("TOWEL_DATA_DIR", d);
    }
    let v = json_of(
        cmd.args(["--json", "tour", "--only", "tokenizers", "--out"])
            .arg(tmp.path()),
    );
    let c = v["chapters"][0].clone();
    assert_eq!(c["id"], "tokenizers");
    assert!(c["error"].is_null(), "{c}");
    let plots = c["plots"].as_array().unwrap();
    assert_eq!(plots.len(), 2);
    for p in plots {
        let png = fs::read(tmp.path().join(p.as_str().unwrap())).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
    let md = fs::read_to_string(tmp.path().join("README.md")).unwrap();
    assert!(md.contains("## Tokenizer families"));
    c["facts"].clone()
}

fn family<'a>(facts: &'a Value, prefix: &str) -> &'a Value {
    facts["families"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["family"].as_str().unwrap().starts_with(prefix))
        .unwrap()
}

#[test]
fn tour_chapter_on_embedded_text() {
    let f = tour_chapter(None);
    // tiny shakespeare is embedded: the same text as the reference file.
    assert_eq!(f["source"], "tiny shakespeare (towel's embedded copy)");
    assert_eq!(f["train_bytes"], 1_003_854);
    let bytes = family(&f, "bytes");
    assert_eq!(bytes["vocab_size"], 256);
    assert_eq!(bytes["tokens_per_1000_bytes"], 1000.0);
    assert_eq!(bytes["unknown_rate"], 0.0);
    assert_eq!(bytes["exact"], true);
    assert_eq!(family(&f, "word")["exact"], false);
    // The prose's "N times fewer tokens" is the table's ratio.
    let word_kb = family(&f, "word")["tokens_per_1000_bytes"]
        .as_f64()
        .unwrap();
    let ratio = f["bytes_per_word_token_ratio"].as_f64().unwrap();
    assert!((ratio - 1000.0 / word_kb).abs() < 1e-9, "{ratio}");
    // The emoji: "I" "love" "🦀" "and" "🎉!" (a punctuation run); Shakespeare
    // has the words but not the emoji, and the prose names exactly those.
    let word_ids = f["emoji_ids"]["word"].as_array().unwrap();
    assert_eq!(word_ids.len(), 5);
    let unk: Vec<usize> = (0..5).filter(|&i| word_ids[i] == 0).collect();
    assert_eq!(unk, [2, 4]);
    assert_eq!(
        f["emoji_word_unknown"],
        serde_json::json!(["`🦀`", "`🎉!`"])
    );
    assert_eq!(
        f["emoji_ids"]["bytes"].as_array().unwrap().len(),
        "I love 🦀 and 🎉!".len()
    );
    assert_eq!(f["regex_lossless"], serde_json::json!([false, false, true]));
    // The embedded BPE encodings have their rows.
    for (name, n_vocab) in [("gpt2", 50_257), ("cl100k_base", 100_277)] {
        let r = family(&f, name);
        assert_eq!(r["vocab_size"], n_vocab, "{name}");
        assert_eq!(r["exact"], true, "{name}");
    }
}

#[test]
fn tour_chapter_on_tinyshakespeare() {
    let dir = towel_data::data_or_skip!();
    let f = tour_chapter(Some(&dir));
    assert_eq!(f["source"], "tiny shakespeare");
    assert_eq!(f["train_bytes"], 1_003_854);
    assert_eq!(f["char_vocab_size"], 65);
    let char = family(&f, "char");
    assert_eq!(char["unknown_rate"], 0.0);
    assert_eq!(char["exact"], true);
    // The GPT-2 pieces lose nothing but unseen pieces: exact decoding fails only through <UNK>.
    let gpt2 = family(&f, "regex gpt2");
    assert!(gpt2["unknown_rate"].as_f64().unwrap() > 0.0);
    let word = family(&f, "word");
    let w = word["tokens_per_1000_bytes"].as_f64().unwrap();
    assert!((150.0..300.0).contains(&w), "{w}");
    // Unknown rate falls as the word vocabulary grows (figures checked
    // against Python in crates/tokenizer/tests/families.rs).
    let curve = f["word_unknown_rate_by_size"].as_array().unwrap();
    let rates: Vec<f64> = curve.iter().map(|p| p[1].as_f64().unwrap()).collect();
    assert!(rates.windows(2).all(|w| w[0] >= w[1]), "{rates:?}");
    // The real BPE encodings: large vocabularies, nothing unknown, exact,
    // and far fewer tokens than characters (one per byte here).
    for (name, n_vocab) in [
        ("gpt2", 50_257),
        ("cl100k_base", 100_277),
        ("o200k_base", 200_019),
    ] {
        let r = family(&f, name);
        assert_eq!(r["vocab_size"], n_vocab, "{name}");
        assert_eq!(r["unknown_rate"], 0.0, "{name}");
        assert_eq!(r["exact"], true, "{name}");
        let t = r["tokens_per_1000_bytes"].as_f64().unwrap();
        assert!((w..500.0).contains(&t), "{name}: {t} tokens/KB, words {w}");
    }
}

#[test]
fn save_vocab_then_use_it_to_encode_and_decode() {
    let dir = tempfile::tempdir().unwrap();
    let vocab = dir.path().join("v/words.json");
    let v = vocab.to_str().unwrap();
    let ids = stdout_of(
        &[
            "tokenize",
            "-f",
            "regex",
            "--pattern",
            "cl100k",
            "--save-vocab",
            v,
        ],
        b"to be or not to be",
    );
    let saved: Value = serde_json::from_slice(&fs::read(&vocab).unwrap()).unwrap();
    assert_eq!(saved["family"], "regex");
    assert_eq!(saved["tokens"][0], "<UNK>");
    // --vocab knows its family; the same ids come out, and decode back.
    assert_eq!(
        stdout_of(&["tokenize", "--vocab", v], b"to be or not to be"),
        ids
    );
    assert_eq!(
        stdout_of(&["tokenize", "--vocab", v, "--decode"], ids.as_bytes()),
        "to be or not to be"
    );
    let e = error_of(&["tokenize", "-f", "char", "--vocab", v], b"x");
    assert_eq!(
        e,
        format!("error: {v} is a regex vocabulary, but --family char was given\n")
    );
    let e = error_of(&["tokenize", "-f", "bytes", "--save-vocab", v], b"x");
    assert_eq!(e, "error: --save-vocab: invalid tokenizer settings: the bytes family has no vocabulary file: its 256 ids are fixed\n");
    fs::write(&vocab, "{}").unwrap();
    let e = error_of(&["tokenize", "--vocab", v], b"x");
    assert!(
        e.starts_with(&format!(
            "error: {v}: not a valid towel vocabulary file: missing field"
        )),
        "{e}"
    );
}
