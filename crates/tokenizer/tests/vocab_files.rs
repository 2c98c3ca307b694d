//! Vocabulary files: every malformed input has a test with its message, the
//! GPT-2 files agree with r50k_base, conversions round-trip, and no file
//! content makes a loader panic.

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use towel_data::DataDirs;
use towel_tokenizer::format::{self, Format, Gpt2Vocab};
use towel_tokenizer::vocab::Ranks;
use towel_tokenizer::{CoreBpe, Encoding, EncodingName, Pattern, TokenizerError, TokenizerFile};

fn tiktoken_err(data: &str) -> String {
    Ranks::parse_tiktoken(data.as_bytes(), "t.tiktoken")
        .unwrap_err()
        .to_string()
}

#[test]
fn tiktoken_malformed_lines_name_the_line() {
    let cases = [
        // (content, expected fragments)
        (
            "IQ== 0\nIg==",
            vec!["t.tiktoken, line 2", "missing rank", "truncated"],
        ),
        ("IQ== 0\nIg== 1\nIw", vec!["line 3", "missing rank"]),
        ("IQ== 0\nIg 1\n", vec!["line 2", "not valid base64"]),
        ("IQ== 0\n!!!! 1\n", vec!["line 2", "not valid base64"]),
        (
            "IQ== 0\nIg== one\n",
            vec!["line 2", "rank \"one\" is not a number"],
        ),
        ("IQ== 0\nIg== -1\n", vec!["line 2", "not a number"]),
        ("IQ== 0\nIg== 99999999999\n", vec!["line 2", "not a number"]),
        ("IQ== 0\nIg== 1 2\n", vec!["line 2", "two fields"]),
        (
            "IQ== 0\nIg== 0\n",
            vec!["line 2", "duplicate rank 0", "line 1"],
        ),
        (
            "IQ== 0\nIg== 1\nIQ== 2\n",
            vec!["line 3", "duplicate token \"!\"", "line 1"],
        ),
        ("IQ== 0\n 1\n", vec!["line 2", "missing rank"]),
    ];
    for (data, want) in cases {
        let msg = tiktoken_err(data);
        for w in want {
            assert!(msg.contains(w), "{data:?}: {msg:?} lacks {w:?}");
        }
    }
    // Blank lines and CRLF are accepted, as tiktoken does.
    let r = Ranks::parse_tiktoken(b"IQ== 0\r\n\nIg== 1\r\n", "t").unwrap();
    assert_eq!(r.len(), 2);
}

#[test]
fn tiny_vocab_needs_every_byte() {
    let ranks = Ranks::parse_tiktoken(b"YQ== 0\n", "t").unwrap();
    let err = CoreBpe::new(&ranks, [], Pattern::gpt2())
        .unwrap_err()
        .to_string();
    assert!(err.contains("byte 0x00 has no rank"), "{err}");
}

#[test]
fn special_token_collisions_are_errors() {
    let tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    let ranks = Ranks::from_dense(tokens, "t").unwrap();
    let err = CoreBpe::new(&ranks, [("<|x|>".to_string(), 65)], Pattern::gpt2())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("special token \"<|x|>\" has id 65, which is already the token \"A\""),
        "{err}"
    );
    // Two special tokens may share an id (tiktoken's o200k_harmony does):
    // both encode to it, and it decodes to the first one given.
    let bpe = CoreBpe::new(
        &ranks,
        [("<|x|>".to_string(), 300), ("<|y|>".to_string(), 300)],
        Pattern::gpt2(),
    )
    .unwrap();
    assert_eq!(bpe.encode_with_special_tokens("<|y|><|x|>"), vec![300, 300]);
    assert_eq!(bpe.decode(&[300]).unwrap(), "<|x|>");
    // A special id far above the ranks is fine (no huge table), and decodes.
    let big = u32::MAX - 1;
    let bpe = CoreBpe::new(&ranks, [("<|x|>".to_string(), big)], Pattern::gpt2()).unwrap();
    assert_eq!(bpe.encode_with_special_tokens("A<|x|>"), vec![65, big]);
    assert_eq!(bpe.decode(&[65, big]).unwrap(), "A<|x|>");
    assert_eq!(bpe.n_vocab(), u32::MAX);
    let err = CoreBpe::new(&ranks, [("<|x|>".to_string(), u32::MAX)], Pattern::gpt2())
        .unwrap_err()
        .to_string();
    assert!(err.contains("id 4294967295 is too large"), "{err}");
}

/// Ranks with gaps, even huge ones, work as in tiktoken (issue #10): they
/// encode, and an id in a gap is an unknown id.
#[test]
fn sparse_ranks_encode_and_a_gap_id_is_unknown() {
    let mut tiktoken: Vec<u8> = Vec::new();
    let b64 = |b: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(b)
    };
    for b in 0..=255u8 {
        tiktoken.extend_from_slice(format!("{} {b}\n", b64(&[b])).as_bytes());
    }
    tiktoken.extend_from_slice(format!("{} 4000000000\n", b64(b"ab")).as_bytes());
    tiktoken.extend_from_slice(format!("{} 300\n", b64(b"cd")).as_bytes());
    let sparse = Ranks::parse_tiktoken(&tiktoken, "sparse.tiktoken").unwrap();
    assert!(!sparse.is_dense());
    let bpe = CoreBpe::new(&sparse, [("<|x|>".to_string(), 500)], Pattern::gpt2()).unwrap();
    assert_eq!(bpe.encode_ordinary("abcd"), vec![4_000_000_000, 300]);
    assert_eq!(
        bpe.encode_ordinary(&"ab".repeat(200)),
        vec![4_000_000_000; 200]
    );
    assert_eq!(bpe.decode(&[4_000_000_000, 300, 500]).unwrap(), "abcd<|x|>");
    let err = bpe.decode(&[97, 299]).unwrap_err();
    assert!(
        matches!(
            err,
            TokenizerError::UnknownId {
                id: 299,
                position: Some(1),
                ..
            }
        ),
        "{err}"
    );
}

fn gpt2_files() -> Option<(Vec<u8>, Vec<u8>)> {
    let dirs = common::dirs()?;
    Some((
        dirs.read_named("gpt2-encoder-json").unwrap(),
        dirs.read_named("gpt2-vocab-bpe").unwrap(),
    ))
}

#[test]
fn gpt2_files_equal_r50k_and_convert_both_ways() {
    let Some((enc, bpe)) = gpt2_files() else {
        return;
    };
    let dirs = common::dirs().unwrap();
    let v = Gpt2Vocab::parse(&enc, &bpe).unwrap();
    assert_eq!(
        v.special_tokens,
        BTreeMap::from([("<|endoftext|>".to_string(), 50256)])
    );
    let r50k_file = dirs.read_named("r50k_base").unwrap();
    let r50k = Ranks::parse_tiktoken(&r50k_file, "r50k").unwrap();
    assert_eq!(v.ranks, r50k);
    // gpt2 -> .tiktoken gives the official r50k_base file byte for byte.
    assert_eq!(v.ranks.to_tiktoken(), r50k_file);
    // .tiktoken -> gpt2 files -> back gives the same ranks; the merges are
    // GPT-2's own, in order.
    let (enc2, bpe2) = Gpt2Vocab::to_files(&r50k, &v.special_tokens).unwrap();
    let v2 = Gpt2Vocab::parse(&enc2, &bpe2).unwrap();
    assert_eq!(v2.ranks, r50k);
    let merges_of = |b: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(b)
            .lines()
            .skip(1)
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect()
    };
    assert_eq!(merges_of(&bpe2), merges_of(&bpe));
    // Written atomically and read back.
    let tmp = tempfile::tempdir().unwrap();
    let (pe, pb) = (
        tmp.path().join("encoder.json"),
        tmp.path().join("vocab.bpe"),
    );
    Gpt2Vocab::write(&r50k, &v.special_tokens, &pe, &pb).unwrap();
    assert_eq!(Gpt2Vocab::load(&pe, &pb).unwrap().ranks, r50k);
    let pt = tmp.path().join("r50k.tiktoken");
    r50k.write_tiktoken(&pt).unwrap();
    assert_eq!(Ranks::load_tiktoken(&pt).unwrap(), r50k);
}

#[test]
fn gpt2_inconsistent_files_are_errors() {
    let Some((enc, bpe)) = gpt2_files() else {
        return;
    };
    let bpe_text = String::from_utf8(bpe.clone()).unwrap();
    let mut lines: Vec<&str> = bpe_text.lines().collect();
    // Swap two merges: ranks no longer agree with encoder.json.
    lines.swap(1, 2);
    let swapped = lines.join("\n");
    let msg = Gpt2Vocab::parse(&enc, swapped.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("vocab.bpe, line 2"), "{msg}");
    assert!(msg.contains("do not belong together"), "{msg}");
    // Truncated merge list.
    let short = bpe_text.lines().take(1000).collect::<Vec<_>>().join("\n");
    let msg = Gpt2Vocab::parse(&enc, short.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("999 merges for 50256 tokens in encoder.json (expected 50000)"),
        "{msg}"
    );
    // A malformed merge line.
    let bad = bpe_text.replacen("\u{120}t", "\u{120}t x", 1);
    let msg = Gpt2Vocab::parse(&enc, bad.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("vocab.bpe, line 8") && msg.contains("expected a merge"),
        "{msg}"
    );
    // Truncated encoder.json.
    let msg = Gpt2Vocab::parse(&enc[..enc.len() / 2], &bpe)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("encoder.json") && msg.contains("truncated"),
        "{msg}"
    );
    // A token outside the byte table.
    let msg = Gpt2Vocab::parse(br#"{"\u0000": 0}"#, b"#version: 0.2\n")
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("outside GPT-2's byte-to-unicode table"),
        "{msg}"
    );
}

fn tiny_file(merges: Option<Vec<(u32, u32)>>) -> TokenizerFile {
    let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    tokens.push(b"ab".to_vec());
    tokens.push(b"abc".to_vec());
    TokenizerFile {
        pattern: Some(Pattern::gpt2().as_str().to_string()),
        special_tokens: BTreeMap::from([("<|endoftext|>".to_string(), 258)]),
        ranks: Ranks::from_dense(tokens, "tiny").unwrap(),
        merges,
    }
}

#[test]
fn towel_file_round_trips_and_encodes() {
    let f = tiny_file(Some(vec![(97, 98), (256, 99)]));
    let json = f.to_json().unwrap();
    let text = String::from_utf8(json.clone()).unwrap();
    assert!(
        text.starts_with(r#"{"format":"towel-tokenizer","version":1,"pattern":"#),
        "{text}"
    );
    assert!(text.contains(r#""merges":[[97,98],[256,99]]"#), "{text}");
    let back = TokenizerFile::parse(&json, "t.json").unwrap();
    assert_eq!(back, f);
    let bpe = back.to_bpe().unwrap();
    assert_eq!(
        bpe.encode_with_special_tokens("abcab<|endoftext|>"),
        vec![257, 256, 258]
    );
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("tok.json");
    f.write(&p).unwrap();
    assert_eq!(TokenizerFile::load(&p).unwrap(), f);
    // Without merges it is still valid.
    let f2 = tiny_file(None);
    assert_eq!(
        TokenizerFile::parse(&f2.to_json().unwrap(), "t").unwrap(),
        f2
    );
}

#[test]
fn towel_file_errors() {
    let good = String::from_utf8(
        tiny_file(Some(vec![(97, 98), (256, 99)]))
            .to_json()
            .unwrap(),
    )
    .unwrap();
    let cases = [
        (
            good.replace("towel-tokenizer", "hf-tokenizer"),
            "format is \"hf-tokenizer\", not \"towel-tokenizer\"",
        ),
        (
            good.replace(r#""version":1"#, r#""version":2"#),
            "version 2 is not supported",
        ),
        (
            good.replace(r#""format":"towel-tokenizer","#, ""),
            "no \"format\"",
        ),
        (good[..good.len() - 10].to_string(), "not valid JSON"),
        (
            good.replace(r#""YWI=""#, r#""YWI""#),
            "ranks[256] = \"YWI\" is not valid base64",
        ),
        (
            good.replace(r#""YWI=""#, r#""YQ==""#),
            "token \"a\" has two ranks",
        ),
        (
            good.replace("258", "12"),
            "special token \"<|endoftext|>\" has id 12, which is also a rank",
        ),
        (
            good.replace("[256,99]", "[98,99]"),
            "merges[1] = [98, 99] does not concatenate",
        ),
        (
            good.replace("[256,99]", "[257,99]"),
            "merges[1] = [257, 99] uses a rank not made before",
        ),
        (good.replace(",[256,99]", ""), "1 merges for 258 ranks"),
        (
            good.replace(r#""ranks":"#, r#""rank":"#),
            "missing field `ranks`",
        ),
    ];
    for (data, want) in cases {
        let msg = TokenizerFile::parse(data.as_bytes(), "t.json")
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("t.json: "), "{msg}");
        assert!(msg.contains(want), "{msg:?} lacks {want:?}");
    }
}

#[test]
fn unknown_encoding_lists_known_ones() {
    let dirs = towel_data::DataDirs::with_data_dir("/nonexistent");
    let msg = Encoding::load("cl200k", &dirs).unwrap_err().to_string();
    assert_eq!(
        msg,
        "unknown encoding \"cl200k\"; known encodings: gpt2, r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base, o200k_harmony"
    );
    let msg = Encoding::load("cl100k_base", &dirs)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("not found"), "{msg}");
}

#[test]
fn merges_of_real_vocabularies() {
    let dirs = DataDirs::with_data_dir(towel_data::data_or_skip!());
    let ranks = Encoding::load_ranks(EncodingName::R50kBase, &dirs).unwrap();
    let merges = ranks.merges("r50k").unwrap();
    assert_eq!(merges.len(), 50000);
    // " t" + "he" ... the first GPT-2 merge is "Ġ t".
    assert_eq!(ranks.token(merges[0].0), Some(&b" "[..]));
    assert_eq!(ranks.token(merges[0].1), Some(&b"t"[..]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn tiktoken_parser_never_panics(data in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = Ranks::parse_tiktoken(&data, "fuzz");
    }

    #[test]
    fn tiktoken_parser_on_mutated_files(
        cut in 0usize..200,
        flips in prop::collection::vec((0usize..200, any::<u8>()), 0..4),
    ) {
        let mut data = b"IQ== 0\nIg== 1\nIw== 2\nJA== 3\nJCQ= 4\nISE= 5\nIiI= 6\n".to_vec();
        for (i, b) in flips {
            let n = data.len();
            data[i % n] = b;
        }
        data.truncate(cut.min(data.len()));
        match Ranks::parse_tiktoken(&data, "fuzz") {
            Ok(r) => prop_assert!(r.len() <= 7),
            Err(e) => {
                let ok = matches!(e, TokenizerError::Format { .. });
                prop_assert!(ok, "unexpected error {}", e);
            }
        }
    }

    #[test]
    fn gpt2_and_towel_parsers_never_panic(
        a in prop::collection::vec(any::<u8>(), 0..300),
        b in "[#a-zĠ \n]{0,200}",
    ) {
        let _ = Gpt2Vocab::parse(&a, b.as_bytes());
        let _ = Gpt2Vocab::parse(br#"{"a": 0, "b": 1, "ab": 2}"#, b.as_bytes());
        let _ = TokenizerFile::parse(&a, "fuzz");
    }

    #[test]
    fn towel_parser_on_mutated_files(cut in 0usize..3000, flip in (0usize..3000, any::<u8>())) {
        let mut data = tiny_file(Some(vec![(97, 98), (256, 99)])).to_json().unwrap();
        let n = data.len();
        data[flip.0 % n] = flip.1;
        data.truncate(cut.min(n));
        if let Ok(f) = TokenizerFile::parse(&data, "fuzz") {
            // Whatever loads must build or fail cleanly.
            let _ = f.to_bpe();
        }
    }
}

/// A tiny byte-level vocabulary: the 256 bytes (in GPT-2's order, so every
/// format can hold it), then "ab", with a pattern and a special token.
fn tiny_gpt2_order() -> TokenizerFile {
    let mut tokens: Vec<Vec<u8>> = format::gpt2::gpt2_byte_order()
        .into_iter()
        .map(|b| vec![b])
        .collect();
    tokens.push(b"ab".to_vec());
    TokenizerFile {
        pattern: Some(Pattern::gpt2().as_str().to_string()),
        special_tokens: [("<|endoftext|>".to_string(), 257)].into(),
        ranks: Ranks::from_dense(tokens, "tiny").unwrap(),
        merges: None,
    }
}

/// Every tokenizer text input accepts a leading UTF-8 byte-order mark
/// (issue #10): towel JSON, .tiktoken, encoder.json, vocab.bpe, HF JSON.
#[test]
fn every_reader_accepts_a_byte_order_mark() {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let file = tiny_gpt2_order();
    let tmp = tempfile::tempdir().unwrap();
    for f in Format::ALL {
        let paths: Vec<std::path::PathBuf> = match f {
            Format::Gpt2 => vec![
                tmp.path().join("encoder.json"),
                tmp.path().join("vocab.bpe"),
            ],
            _ => vec![tmp.path().join(format!("tok.{f}"))],
        };
        let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
        format::write(&file, f, &refs).unwrap();
        for p in &paths {
            let data = std::fs::read(p).unwrap();
            std::fs::write(p, [BOM, &data].concat()).unwrap();
        }
        let (found, back) = format::read(&paths[0]).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(found, f);
        assert_eq!(back.ranks, file.ranks, "{f}");
        let rank = |t: &[u8]| file.ranks.iter().find(|e| e.0 == t).unwrap().1;
        assert_eq!(
            back.merges().unwrap().to_vec(),
            [(rank(b"a"), rank(b"b"))],
            "{f}"
        );
        if f != Format::Tiktoken {
            assert_eq!(back.special_tokens, file.special_tokens, "{f}");
            assert_eq!(back.pattern, file.pattern, "{f}");
        }
    }
    // The individual readers too.
    let towel = [BOM, &file.to_json().unwrap()].concat();
    assert_eq!(TokenizerFile::parse(&towel, "t").unwrap().ranks, file.ranks);
    let tt = [BOM, &file.ranks.to_tiktoken()].concat();
    assert_eq!(Ranks::parse_tiktoken(&tt, "t").unwrap(), file.ranks);
}

/// GPT-2 errors name the files' real paths, not "encoder.json" (issue #10).
#[test]
fn gpt2_errors_name_the_real_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let enc = tmp.path().join("my-encoder.json");
    let bpe = tmp.path().join("my-merges.txt");
    std::fs::write(&enc, "{\"a\": ").unwrap();
    std::fs::write(&bpe, "#version: 0.2\n").unwrap();
    let err = Gpt2Vocab::load(&enc, &bpe).unwrap_err().to_string();
    assert!(err.starts_with(&enc.display().to_string()), "{err}");
    let (e, b) = Gpt2Vocab::to_files(&tiny_gpt2_order().ranks, &BTreeMap::new()).unwrap();
    std::fs::write(&enc, e).unwrap();
    std::fs::write(&bpe, [&b[..], b"a c\n"].concat()).unwrap();
    let err = Gpt2Vocab::load(&enc, &bpe).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}, line 3:", bpe.display())),
        "{err}"
    );
}

/// `.tiktoken` cannot hold special tokens: the writer says which it left out
/// (issue #10); the formats that can hold them drop nothing.
#[test]
fn writing_tiktoken_reports_dropped_special_tokens() {
    let file = tiny_gpt2_order();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("t.tiktoken");
    let w = format::write(&file, Format::Tiktoken, &[p.as_path()]).unwrap();
    assert_eq!(
        w.dropped_special_tokens,
        [("<|endoftext|>".to_string(), 257)]
    );
    assert_eq!(Ranks::load_tiktoken(&p).unwrap().len(), 257);
    for f in [Format::Towel, Format::Hf] {
        let p = tmp.path().join(format!("t.{f}"));
        let w = format::write(&file, f, &[p.as_path()]).unwrap();
        assert!(w.dropped_special_tokens.is_empty(), "{f}");
    }
}

/// The embedded ranks build gpt2, r50k_base and cl100k_base without any
/// data folder, and give tiktoken's ids (from the reference tokenizations).
#[test]
fn embedded_encodings_need_no_data() {
    let nowhere = DataDirs::with_data_dir("/nonexistent");
    for (name, text, ids) in [
        (EncodingName::Gpt2, "hello world", vec![31373u32, 995]),
        (EncodingName::R50kBase, "hello world", vec![31373, 995]),
        (EncodingName::Cl100kBase, "hello world", vec![15339, 1917]),
    ] {
        let e = Encoding::load_or_embedded(name, &nowhere).unwrap();
        assert_eq!(e.encode_ordinary(text), ids, "{name}");
        assert_eq!(e.n_vocab(), name.n_vocab());
    }
    assert!(Encoding::embedded(EncodingName::O200kBase).is_none());
    // o200k is not embedded: still the clear not-found error.
    let msg = Encoding::load_or_embedded(EncodingName::O200kBase, &nowhere)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("not found"), "{msg}");
}

/// With the data present, the embedded gpt2 (r50k) ranks equal GPT-2's own
/// encoder.json + vocab.bpe ranks, token for token.
#[test]
fn embedded_ranks_equal_the_files() {
    let dirs = DataDirs::with_data_dir(towel_data::data_or_skip!());
    for name in [EncodingName::Gpt2, EncodingName::Cl100kBase] {
        let files = Encoding::load_ranks(name, &dirs).unwrap();
        let emb = Encoding::embedded(name).unwrap().unwrap();
        for rank in 0..files.len() as u32 {
            assert_eq!(
                files.token(rank),
                emb.bpe().token_bytes(rank),
                "{name} {rank}"
            );
        }
    }
}

/// An HF `tokenizer.json` is read only when towel's merge order (by id)
/// is HF's (by position in `model.merges`): with no merges HF merges
/// nothing, and with merges out of id order it merges in another order.
#[test]
fn hf_files_whose_merges_towel_cannot_follow_are_errors() {
    let f = tiny_file(None);
    let merges = [(97, 98), (256, 99)];
    let good = format::hf::to_json(&f, &merges).unwrap();
    let (found, back) = format::parse(good.as_bytes(), "t.json").unwrap();
    assert_eq!(found, Format::Hf);
    assert_eq!(back.ranks, f.ranks);
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    let err = |v: &serde_json::Value| {
        format::parse(v.to_string().as_bytes(), "t.json")
            .unwrap_err()
            .to_string()
    };
    v["model"]["merges"] = serde_json::json!([]);
    let msg = err(&v);
    assert!(msg.contains("model.merges is missing or empty"), "{msg}");
    v["model"].as_object_mut().unwrap().remove("merges");
    assert_eq!(err(&v), msg);
    // "ab c" (id 257) listed before "a b" (id 256).
    v["model"]["merges"] = serde_json::json!(["ab c", "a b"]);
    let msg = err(&v);
    assert!(
        msg.contains("merge 1 (\"a b\") makes id 256, after merge 0 made id 257"),
        "{msg}"
    );
}
