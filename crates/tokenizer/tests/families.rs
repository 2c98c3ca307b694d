//! The simple tokenizer families: round trips, `<UNK>`, vocabularies on real
//! text checked against Python (fixtures/gen_families.py), save/load, and
//! every bad input with its message.

use proptest::prelude::*;
use serde_json::Value;
use towel_data::{data_or_skip, registry, DataDirs};
use towel_tokenizer::{
    build_family, escape_bytes, families::word, ByteTokenizer, CharTokenizer, Family,
    FamilyOptions, Pattern, RegexSplitTokenizer, Tokenizer, TokenizerError, Unknown, VocabOptions,
    WordTokenizer, UNK,
};

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/families.json")).unwrap()
}

fn shakespeare(dir: &std::path::Path) -> String {
    let bytes = DataDirs::with_data_dir(dir)
        .read(registry::by_name("tinyshakespeare").unwrap())
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

fn opts(min_count: u64, max_size: Option<usize>) -> VocabOptions {
    VocabOptions {
        min_count,
        max_size,
    }
}

// ---------------------------------------------------------------- bytes

#[test]
fn bytes_has_exactly_256_ids_and_each_is_its_byte() {
    let t = ByteTokenizer;
    assert_eq!(t.vocab_size(), 256);
    for id in 0..256u32 {
        assert_eq!(t.token_bytes(id).unwrap(), [id as u8]);
    }
    let err = t.token_bytes(256).unwrap_err().to_string();
    assert_eq!(
        err,
        "token id 256 is not in the vocabulary of bytes (valid ids are 0..=255)"
    );
}

#[test]
fn bytes_encodes_an_emoji_as_its_four_utf8_bytes() {
    let ids = ByteTokenizer.encode("🦀").unwrap();
    assert_eq!(ids, [0xF0, 0x9F, 0xA6, 0x80]);
    assert_eq!(ByteTokenizer.decode(&ids).unwrap(), "🦀");
    // Any prefix is not text: strict decoding names the offset, lossy replaces.
    let err = ByteTokenizer.decode(&ids[..3]).unwrap_err();
    assert!(matches!(err, TokenizerError::InvalidUtf8 { offset: 0, .. }));
    assert_eq!(
        err.to_string(),
        "invalid UTF-8 at byte offset 0 in the decoded tokens; use decode_lossy (or decode_bytes) to accept it"
    );
    assert_eq!(ByteTokenizer.decode_lossy(&ids[..3]).unwrap(), "\u{FFFD}");
}

#[test]
fn bytes_accepts_invalid_utf8_input_text_families_name_the_offset() {
    let input = b"ok \xC3\x28 bad";
    assert_eq!(
        ByteTokenizer.encode_input(input).unwrap(),
        input.iter().map(|&b| b as u32).collect::<Vec<_>>()
    );
    let chars = CharTokenizer::from_corpus("ok bad", Unknown::Unk).unwrap();
    let err = chars.encode_input(input).unwrap_err();
    assert!(matches!(err, TokenizerError::InvalidUtf8 { offset: 3, .. }));
    assert!(err
        .to_string()
        .starts_with("invalid UTF-8 at byte offset 3 in the input"));
    let words = WordTokenizer::from_corpus("ok bad", VocabOptions::default()).unwrap();
    assert!(matches!(
        words.encode_input(input),
        Err(TokenizerError::InvalidUtf8 { offset: 3, .. })
    ));
}

proptest! {
    #[test]
    fn bytes_round_trip_any_string(s in any::<String>()) {
        let ids = ByteTokenizer.encode(&s).unwrap();
        prop_assert_eq!(ids.len(), s.len());
        prop_assert_eq!(ByteTokenizer.count(&s).unwrap(), s.len());
        prop_assert_eq!(ByteTokenizer.decode(&ids).unwrap(), s);
    }

    #[test]
    fn bytes_round_trip_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let ids = ByteTokenizer.encode_bytes(&b);
        prop_assert!(ids.iter().all(|&i| i < 256));
        prop_assert_eq!(ByteTokenizer.decode_bytes(&ids).unwrap(), b.clone());
        prop_assert_eq!(ByteTokenizer.encode_input(&b).unwrap(), ids);
    }

    #[test]
    fn char_round_trips_strings_over_its_vocab(
        corpus in "\\PC{1,40}",
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..60),
    ) {
        let t = CharTokenizer::from_corpus(&corpus, Unknown::Error).unwrap();
        let s: String = picks.iter().map(|i| t.chars()[i.index(t.chars().len())]).collect();
        let ids = t.encode(&s).unwrap();
        prop_assert_eq!(ids.len(), s.chars().count());
        prop_assert_eq!(t.decode(&ids).unwrap(), s);
    }

    #[test]
    fn regex_split_round_trips_its_training_text(s in "\\PC{1,80}") {
        // GPT-2's pieces cover the whole text, so with every piece known,
        // decoding restores it exactly.
        let t = RegexSplitTokenizer::from_corpus(Pattern::gpt2(), &s, VocabOptions::default()).unwrap();
        let ids = t.encode(&s).unwrap();
        prop_assert!(!ids.contains(&t.unk_id()));
        prop_assert_eq!(t.decode(&ids).unwrap(), s);
    }

    #[test]
    fn word_decode_is_the_words_joined_by_spaces(s in "[a-z ,.!]{0,60}") {
        let t = WordTokenizer::from_corpus("a", VocabOptions::default()).unwrap();
        let t = if s.trim().is_empty() { t } else {
            WordTokenizer::from_corpus(&s, VocabOptions::default()).unwrap()
        };
        let ids = t.encode(&s).unwrap();
        let expected: Vec<&str> = word::words(&s).collect();
        prop_assert_eq!(t.decode(&ids).unwrap(), expected.join(" "));
        prop_assert_eq!(t.count(&s).unwrap(), ids.len());
    }
}

// ---------------------------------------------------------------- char

#[test]
fn char_vocab_is_sorted_unique_chars() {
    let t = CharTokenizer::from_corpus("banana ß€", Unknown::Error).unwrap();
    assert_eq!(t.chars(), [' ', 'a', 'b', 'n', 'ß', '€']);
    assert_eq!(t.vocab_size(), 6);
    assert_eq!(t.name(), "char (6 symbols)");
    assert_eq!(t.unk_id(), None);
}

#[test]
fn char_unknown_is_an_error_naming_char_and_offset() {
    let t = CharTokenizer::from_corpus("abc", Unknown::Error).unwrap();
    let err = t.encode("abé!").unwrap_err();
    assert!(matches!(
        err,
        TokenizerError::UnknownChar {
            ch: 'é', offset: 2
        }
    ));
    assert_eq!(
        err.to_string(),
        "character 'é' (U+00E9) at byte offset 2 is not in the vocabulary; train on a corpus that contains it, or enable <UNK>"
    );
    assert!(t.count("abz").is_err());
}

#[test]
fn char_unknown_maps_to_unk_after_the_learned_chars() {
    let t = CharTokenizer::from_corpus("abc", Unknown::Unk).unwrap();
    assert_eq!(t.unk_id(), Some(3));
    assert_eq!(t.vocab_size(), 4);
    assert_eq!(t.name(), "char (3 symbols + <UNK>)");
    assert_eq!(t.encode("a🦀c").unwrap(), [0, 3, 2]);
    assert_eq!(t.count("a🦀c").unwrap(), 3);
    assert_eq!(t.decode(&[0, 3, 2]).unwrap(), "a<UNK>c");
    assert_eq!(t.token_bytes(3).unwrap(), UNK.as_bytes());
    assert_eq!(
        t.decode(&[4]).unwrap_err().to_string(),
        "token id 4 is not in the vocabulary of char (3 symbols + <UNK>) (valid ids are 0..=3)"
    );
}

#[test]
fn char_vocab_of_tinyshakespeare_is_nanogpts_65_symbols() {
    let dir = data_or_skip!();
    let text = shakespeare(&dir);
    let fx = fixture();
    let t = CharTokenizer::from_corpus(&text, Unknown::Error).unwrap();
    assert_eq!(t.vocab_size(), 65);
    assert_eq!(t.name(), "char (65 symbols)");
    let vocab: String = t.chars().iter().collect();
    assert_eq!(vocab, fx["char"]["vocab"].as_str().unwrap());
    let ids = t.encode(&text).unwrap();
    assert_eq!(ids.len(), 1_115_394);
    let expected: Vec<u32> = serde_json::from_value(fx["char"]["ids_first_200"].clone()).unwrap();
    assert_eq!(ids[..200], expected[..]);
    assert_eq!(t.decode(&ids).unwrap(), text);
}

// ---------------------------------------------------------------- word

#[test]
fn word_split_rule_and_ranking() {
    let t = WordTokenizer::from_corpus("b a, a! b a", VocabOptions::default()).unwrap();
    // a:3, b:2, then ",", "!" (count 1, byte order).
    assert_eq!(t.tokens(), [UNK, "a", "b", "!", ","]);
    assert_eq!(t.encode("a b c!").unwrap(), [1, 2, 0, 3]);
    assert_eq!(t.decode(&[1, 2, 0, 3]).unwrap(), "a b <UNK> !");
    assert_eq!(t.name(), "word (4 words + <UNK>)");
}

#[test]
fn word_min_count_and_max_size() {
    let corpus = "x x x y y z";
    let t = WordTokenizer::from_corpus(corpus, opts(2, None)).unwrap();
    assert_eq!(t.tokens(), [UNK, "x", "y"]);
    let t = WordTokenizer::from_corpus(corpus, opts(1, Some(2))).unwrap();
    assert_eq!(t.tokens(), [UNK, "x"]);
    assert_eq!(t.vocab_size(), 2);
    let t = WordTokenizer::from_corpus(corpus, opts(1, Some(1))).unwrap();
    assert_eq!(t.tokens(), [UNK]);
}

#[test]
fn word_emoji_is_unk_but_bytes_round_trip_it() {
    let t = WordTokenizer::from_corpus("I love rust and tea", VocabOptions::default()).unwrap();
    let ids = t.encode("I love 🦀").unwrap();
    assert_eq!(ids[2], t.unk_id());
    assert_eq!(t.decode(&ids).unwrap(), "I love <UNK>");
    let b = ByteTokenizer.encode("🦀").unwrap();
    assert_eq!(b.len(), 4);
    assert_eq!(ByteTokenizer.decode(&b).unwrap(), "🦀");
}

#[test]
fn word_and_regex_counts_on_tinyshakespeare_match_python() {
    let dir = data_or_skip!();
    let text = shakespeare(&dir);
    let fx = fixture();
    let split = fx["split_at_char"].as_u64().unwrap() as usize; // ASCII text: chars = bytes
    let (train, test) = text.split_at(split);

    let check = |name: &str,
                 counts: &towel_tokenizer::PieceCounts,
                 build: &dyn Fn(usize) -> Box<dyn Tokenizer>,
                 test_pieces: usize| {
        let f = &fx[name];
        assert_eq!(counts.total(), f["total"].as_u64().unwrap(), "{name} total");
        assert_eq!(
            counts.distinct() as u64,
            f["distinct"].as_u64().unwrap(),
            "{name} distinct"
        );
        let top: Vec<(String, u64)> = serde_json::from_value(f["top"].clone()).unwrap();
        let ours: Vec<(String, u64)> = counts
            .ranked()
            .iter()
            .take(top.len())
            .map(|&(p, n)| (p.to_string(), n))
            .collect();
        assert_eq!(ours, top, "{name} top pieces");
        assert_eq!(test_pieces as u64, f["test_total"].as_u64().unwrap());
        for (m, unk) in f["test_unk"].as_object().unwrap() {
            let t = build(m.parse().unwrap());
            assert_eq!(t.vocab_size(), m.parse::<usize>().unwrap());
            let ids = t.encode(test).unwrap();
            let n_unk = ids.iter().filter(|&&i| i == 0).count();
            assert_eq!(n_unk as u64, unk.as_u64().unwrap(), "{name} max_size {m}");
        }
    };

    let word_counts = WordTokenizer::count_corpus(&text);
    let train_words = WordTokenizer::count_corpus(train);
    check(
        "word",
        &word_counts,
        &|m| Box::new(WordTokenizer::from_counts(&train_words, opts(1, Some(m))).unwrap()),
        word::words(test).count(),
    );

    let gpt2 = Pattern::gpt2();
    let piece_counts = RegexSplitTokenizer::count_corpus(&gpt2, &text).unwrap();
    let train_pieces = RegexSplitTokenizer::count_corpus(&gpt2, train).unwrap();
    check(
        "regex_gpt2",
        &piece_counts,
        &|m| {
            Box::new(
                RegexSplitTokenizer::from_counts(Pattern::gpt2(), &train_pieces, opts(1, Some(m)))
                    .unwrap(),
            )
        },
        gpt2.pieces(test).count(),
    );
}

// ---------------------------------------------------------------- regex

#[test]
fn regex_split_keeps_spaces_where_word_split_drops_them() {
    let text = "Hello  world, don't!";
    let r =
        RegexSplitTokenizer::from_corpus(Pattern::gpt2(), text, VocabOptions::default()).unwrap();
    assert_eq!(r.decode(&r.encode(text).unwrap()).unwrap(), text);
    let w = WordTokenizer::from_corpus(text, VocabOptions::default()).unwrap();
    assert_eq!(
        w.decode(&w.encode(text).unwrap()).unwrap(),
        "Hello world , don ' t !"
    );
    // `\w+` as a pre-tokenizer silently drops everything between words.
    let p = Pattern::new(r"\w+").unwrap();
    let r = RegexSplitTokenizer::from_corpus(p, text, VocabOptions::default()).unwrap();
    assert_eq!(
        r.decode(&r.encode(text).unwrap()).unwrap(),
        "Helloworlddont"
    );
    assert_eq!(r.name(), "regex custom (4 pieces + <UNK>)");
}

// ---------------------------------------------------------------- save / load

#[test]
fn save_load_round_trips_every_family() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = "The quick brown fox, the lazy dog. Ünïcödé 🦀!";
    let probe = "the brown dog 🦀 jumps";

    let c = CharTokenizer::from_corpus(corpus, Unknown::Unk).unwrap();
    let p = dir.path().join("sub/char.json");
    c.save(&p).unwrap();
    let c2 = CharTokenizer::load(&p).unwrap();
    assert_eq!(c2.chars(), c.chars());
    assert_eq!(c2.unk_id(), c.unk_id());
    assert_eq!(c2.encode(probe).unwrap(), c.encode(probe).unwrap());
    let strict = CharTokenizer::from_corpus(corpus, Unknown::Error).unwrap();
    strict.save(&p).unwrap();
    assert_eq!(CharTokenizer::load(&p).unwrap().unk_id(), None);

    let w = WordTokenizer::from_corpus(corpus, VocabOptions::default()).unwrap();
    let p = dir.path().join("word.json");
    w.save(&p).unwrap();
    let w2 = WordTokenizer::load(&p).unwrap();
    assert_eq!(w2.tokens(), w.tokens());
    assert_eq!(w2.encode(probe).unwrap(), w.encode(probe).unwrap());

    let r = RegexSplitTokenizer::from_corpus(Pattern::cl100k(), corpus, VocabOptions::default())
        .unwrap();
    let p = dir.path().join("regex.json");
    r.save(&p).unwrap();
    let r2 = RegexSplitTokenizer::load(&p).unwrap();
    assert_eq!(r2.tokens(), r.tokens());
    assert_eq!(r2.pattern().builtin_kind(), r.pattern().builtin_kind());
    assert_eq!(r2.encode(probe).unwrap(), r.encode(probe).unwrap());
    // No temp files left behind.
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["regex.json", "sub", "word.json"]);
}

#[test]
fn loading_bad_files_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v.json");
    let load_char = |body: &str| {
        std::fs::write(&p, body).unwrap();
        CharTokenizer::load(&p).unwrap_err().to_string()
    };
    let prefix = format!("{}: not a valid towel vocabulary file: ", p.display());
    let cases = [
        ("not json", "expected ident"),
        (
            r#"{"format":"x","version":1,"family":"char","unk_id":null,"tokens":["a"]}"#,
            r#"format is "x", expected "towel-vocab""#,
        ),
        (
            r#"{"format":"towel-vocab","version":2,"family":"char","unk_id":null,"tokens":["a"]}"#,
            "version 2 is newer",
        ),
        (
            r#"{"format":"towel-vocab","version":1,"family":"word","unk_id":0,"tokens":["<UNK>"]}"#,
            "this is a word vocabulary, not a char one",
        ),
        (
            r#"{"format":"towel-vocab","version":1,"family":"char","unk_id":null,"tokens":[]}"#,
            "the token list is empty",
        ),
        (
            r#"{"format":"towel-vocab","version":1,"family":"char","unk_id":null,"tokens":["ab"]}"#,
            r#"token 0 ("ab") is not a single character"#,
        ),
        (
            r#"{"format":"towel-vocab","version":1,"family":"char","unk_id":null,"tokens":["b","a"]}"#,
            "sorted and distinct",
        ),
        (
            r#"{"format":"towel-vocab","version":1,"family":"char","unk_id":0,"tokens":["a"]}"#,
            "unk_id 0 does not point at <UNK>",
        ),
    ];
    for (body, want) in cases {
        let err = load_char(body);
        assert!(err.starts_with(&prefix), "{err}");
        assert!(err.contains(want), "{body}: {err}");
    }
    std::fs::write(&p, r#"{"format":"towel-vocab","version":1,"family":"word","unk_id":0,"tokens":["<UNK>","a","a"]}"#).unwrap();
    assert!(WordTokenizer::load(&p)
        .unwrap_err()
        .to_string()
        .ends_with(r#"token "a" appears twice"#));
    std::fs::write(
        &p,
        r#"{"format":"towel-vocab","version":1,"family":"regex","unk_id":0,"tokens":["<UNK>"]}"#,
    )
    .unwrap();
    assert!(RegexSplitTokenizer::load(&p)
        .unwrap_err()
        .to_string()
        .ends_with(r#"the regex family needs a "pattern""#));
    std::fs::write(&p, r#"{"format":"towel-vocab","version":1,"family":"regex","pattern":"(","unk_id":0,"tokens":["<UNK>"]}"#).unwrap();
    assert!(RegexSplitTokenizer::load(&p)
        .unwrap_err()
        .to_string()
        .contains("invalid pre-tokenization pattern"));

    let missing = dir.path().join("nope.json");
    // The path in the message, the OS's reason as its source (printed once
    // by a caller that shows the chain).
    let e = WordTokenizer::load(&missing).unwrap_err();
    let err = e.to_string();
    assert!(err.contains(&missing.display().to_string()), "{err}");
    let source = std::error::Error::source(&e).unwrap().to_string();
    assert!(source.contains("No such file"), "{source}");
}

// ---------------------------------------------------------------- bad input

#[test]
fn empty_corpus_and_bad_settings_are_clear_errors() {
    let e = CharTokenizer::from_corpus("", Unknown::Unk).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the training corpus is empty; a char vocabulary needs some text to learn from"
    );
    let e = WordTokenizer::from_corpus("  \n ", VocabOptions::default()).unwrap_err();
    assert!(matches!(e, TokenizerError::EmptyCorpus { family: "word" }));
    let e =
        RegexSplitTokenizer::from_corpus(Pattern::gpt2(), "", VocabOptions::default()).unwrap_err();
    assert!(matches!(e, TokenizerError::EmptyCorpus { family: "regex" }));
    let e = WordTokenizer::from_corpus("a", opts(0, None)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid tokenizer settings: min_count must be at least 1"
    );
    let e = WordTokenizer::from_corpus("a", opts(1, Some(0))).unwrap_err();
    assert!(e.to_string().contains("max_size must be at least 1"));
    let e = WordTokenizer::from_corpus("a b", opts(5, None)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid tokenizer settings: no word piece occurs at least 5 times in the corpus; lower min_count"
    );
}

#[test]
fn ids_outside_the_vocab_are_named() {
    let w = WordTokenizer::from_corpus("a b", VocabOptions::default()).unwrap();
    let e = w.decode(&[1, 3]).unwrap_err();
    assert!(matches!(
        e,
        TokenizerError::UnknownId {
            id: 3,
            vocab_size: 3,
            ..
        }
    ));
    assert_eq!(
        e.to_string(),
        "token id 3 is not in the vocabulary of word (2 words + <UNK>) (valid ids are 0..=2)"
    );
    assert!(w.token_bytes(99).is_err());
    let r =
        RegexSplitTokenizer::from_corpus(Pattern::gpt2(), "a b", VocabOptions::default()).unwrap();
    assert!(r
        .decode_lossy(&[u32::MAX])
        .unwrap_err()
        .to_string()
        .contains("token id 4294967295"));
    assert!(ByteTokenizer
        .decode(&[65, 1000])
        .unwrap_err()
        .to_string()
        .contains("token id 1000"));
}

#[test]
fn build_family_by_name() {
    assert_eq!("word".parse::<Family>().unwrap(), Family::Word);
    assert_eq!(
        "bpe".parse::<Family>().unwrap_err().to_string(),
        "unknown tokenizer family `bpe`; families are: bytes, char, word, regex"
    );
    let o = FamilyOptions::default();
    for f in Family::ALL {
        let t = build_family(f, Some("hi there"), &o).unwrap();
        assert_eq!(
            t.decode(&t.encode("hi there").unwrap()).unwrap(),
            "hi there",
            "{f}"
        );
    }
    let e = build_family(Family::Word, None, &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid tokenizer settings: the word family learns its vocabulary from a corpus, and none was given"
    );
    assert!(build_family(Family::Bytes, None, &o).is_ok());
    let o = FamilyOptions {
        pattern: Some(towel_tokenizer::Builtin::O200k),
        ..FamilyOptions::default()
    };
    assert!(build_family(Family::Regex, Some("x"), &o)
        .unwrap()
        .name()
        .starts_with("regex o200k"));
}

#[test]
fn escape_bytes_is_readable_and_unambiguous() {
    assert_eq!(escape_bytes("é"), "é");
    assert_eq!(escape_bytes([0xC3]), "\\xC3");
    assert_eq!(escape_bytes("\u{7}"), "\\u{0007}");
}

// ---------------------------------------------------------------- why 256 (examples/why_256.rs)

proptest! {
    #[test]
    fn utf8_text_never_uses_13_byte_values(s in any::<String>()) {
        prop_assert!(s.bytes().all(|b| !matches!(b, 0xC0 | 0xC1 | 0xF5..=0xFF)));
    }
}

#[test]
fn gpt2_first_256_ids_are_the_single_bytes() {
    use base64::Engine;
    let dir = data_or_skip!();
    let bytes = DataDirs::with_data_dir(&dir)
        .read(registry::by_name("r50k_base").unwrap())
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut singles = std::collections::BTreeSet::new();
    let mut t256 = Vec::new();
    for line in text.lines() {
        let (b64, rank) = line.split_once(' ').unwrap();
        let rank: u32 = rank.parse().unwrap();
        let token = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        if rank < 256 {
            assert_eq!(token.len(), 1, "rank {rank}");
            singles.insert(token[0]);
        } else {
            assert!(token.len() >= 2, "rank {rank} is a merge");
        }
        if rank == 256 {
            t256 = token;
        }
    }
    assert_eq!(singles.len(), 256);
    assert_eq!(t256, b" t");
}

#[test]
fn family_tokenizer_loads_any_family_and_rejects_others() {
    use towel_tokenizer::FamilyTokenizer;
    let dir = tempfile::tempdir().unwrap();
    let o = FamilyOptions::default();
    for f in [Family::Char, Family::Word, Family::Regex] {
        let p = dir.path().join(format!("{f}.json"));
        let t = FamilyTokenizer::learn(f, Some("one two, three"), &o).unwrap();
        t.save(&p).unwrap();
        let back = FamilyTokenizer::load(&p).unwrap();
        assert_eq!(back.family(), f);
        assert_eq!(
            back.as_dyn().encode("two, one").unwrap(),
            t.as_dyn().encode("two, one").unwrap()
        );
    }
    let p = dir.path().join("x.json");
    std::fs::write(
        &p,
        r#"{"format":"towel-vocab","version":1,"family":"bpe","unk_id":null,"tokens":["a"]}"#,
    )
    .unwrap();
    let e = FamilyTokenizer::load(&p).unwrap_err().to_string();
    assert!(
        e.ends_with(r#"unknown family "bpe" (expected char, word or regex)"#),
        "{e}"
    );
    let e = FamilyTokenizer::learn(Family::Bytes, None, &o)
        .unwrap()
        .save(&p)
        .unwrap_err();
    assert!(e.to_string().contains("no vocabulary file"));
}
