//! Properties on arbitrary input: decode(encode(s)) == s, counts agree,
//! decoding random ids never panics, the two merge strategies agree, and
//! pathological inputs (megabyte-long pieces) encode like tiktoken-rs.

mod common;

use proptest::prelude::*;
use towel_tokenizer::{AllowedSpecial, CoreBpe, DisallowedSpecial, EncodingName, Pattern, Ranks};

/// A small hand-made vocabulary whose merges make long and overlapping tokens.
fn tiny() -> CoreBpe {
    let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    for t in [
        "aa", "aaaa", "ab", "ba", "aab", "abab", "bab", "aaaaaaaa", "  ", "    ", " a",
    ] {
        tokens.push(t.as_bytes().to_vec());
    }
    let ranks = Ranks::from_dense(tokens, "tiny").unwrap();
    CoreBpe::new(
        &ranks,
        [("<|s|>".to_string(), 300)],
        Pattern::new(r"\S+|\s+").unwrap(),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn roundtrip_tiny(text in "[ab <|s>]{0,300}") {
        let bpe = tiny();
        let ids = bpe.encode_ordinary(&text);
        prop_assert_eq!(bpe.decode(&ids).unwrap(), text.clone());
        prop_assert_eq!(bpe.count(&text), ids.len());
        let with = bpe.encode_with_special_tokens(&text);
        prop_assert_eq!(bpe.decode(&with).unwrap(), text.clone());
    }

    #[test]
    fn roundtrip_real(text in common::mixed_text()) {
        if common::dirs().is_none() {
            return Ok(());
        }
        for name in [EncodingName::Gpt2, EncodingName::Cl100kBase, EncodingName::O200kBase] {
            let enc = common::encoding(name);
            let ids = enc.encode_ordinary(&text);
            prop_assert_eq!(enc.decode(&ids).unwrap(), text.clone());
            let ids = enc.encode(&text, &AllowedSpecial::All, &DisallowedSpecial::All).unwrap();
            prop_assert_eq!(enc.decode(&ids).unwrap(), text.clone());
        }
    }

    #[test]
    fn decoding_random_ids_never_panics(ids in prop::collection::vec(any::<u32>(), 0..50), small in prop::collection::vec(0u32..310, 0..50)) {
        let bpe = tiny();
        for list in [&ids, &small] {
            match bpe.decode_bytes(list) {
                Ok(bytes) => {
                    let _ = bpe.decode(list);
                    prop_assert_eq!(bpe.decode_lossy(list).unwrap(), String::from_utf8_lossy(&bytes).into_owned());
                }
                Err(e) => prop_assert!(e.to_string().contains("is not in the vocabulary")),
            }
        }
        if let Some(dirs) = common::dirs() {
            let _ = dirs;
            let enc = common::encoding(EncodingName::O200kBase);
            let _ = enc.decode(&ids);
            let _ = enc.decode_lossy(&small);
        }
    }

    /// Long pieces take the heap merge, short ones the array scan: a piece
    /// and the same piece split at no boundary must agree with tiktoken-rs.
    #[test]
    fn long_pieces_match_peer(unit in "[a-z0-9+/]{1,6}", reps in 20usize..200) {
        if common::dirs().is_none() {
            return Ok(());
        }
        let text = unit.repeat(reps);
        let enc = common::encoding(EncodingName::Cl100kBase);
        let peer = tiktoken_rs::cl100k_base_singleton();
        prop_assert_eq!(enc.encode_ordinary(&text), peer.encode_ordinary(&text));
    }
}

#[test]
fn pathological_inputs_match_tiktoken_rs() {
    towel_data::data_or_skip!();
    let mb = 1_000_000;
    let mut rng = 12345u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let b64: String = (0..mb)
        .map(|_| {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                [(next() % 64) as usize] as char
        })
        .collect();
    let lower: String = (0..mb)
        .map(|_| (b'a' + (next() % 26) as u8) as char)
        .collect();
    let inputs = [
        ("a", "a".repeat(mb)),
        ("base64", b64),
        ("a-z", lower),
        ("cjk", "日".repeat(mb / 3)),
    ];
    let peers = [
        (EncodingName::R50kBase, tiktoken_rs::r50k_base_singleton()),
        (
            EncodingName::Cl100kBase,
            tiktoken_rs::cl100k_base_singleton(),
        ),
        (EncodingName::O200kBase, tiktoken_rs::o200k_base_singleton()),
    ];
    for (name, peer) in peers {
        let enc = common::encoding(name);
        for (what, text) in &inputs {
            let ours = enc.encode_ordinary(text);
            assert_eq!(ours, peer.encode_ordinary(text), "{name} {what}");
            assert_eq!(enc.decode(&ours).unwrap(), *text);
        }
    }
}

#[test]
fn megabyte_of_spaces_never_panics() {
    towel_data::data_or_skip!();
    // tiktoken 0.14 panics on o200k_base here (fancy-regex stack overflow);
    // towel must give ids that decode back.
    let text = " ".repeat(1_000_000);
    for name in EncodingName::ALL {
        let enc = common::encoding(name);
        let ids = enc.encode_ordinary(&text);
        assert!(!ids.is_empty());
        assert_eq!(enc.decode(&ids).unwrap(), text, "{name}");
        let with_specials = enc
            .encode(&text, &AllowedSpecial::All, &DisallowedSpecial::All)
            .unwrap();
        assert_eq!(with_specials, ids, "{name}");
    }
}
