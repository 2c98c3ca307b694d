//! Same ids as tiktoken-rs (the Rust port of tiktoken's core, with its own
//! copy of the vocabulary files) for every encoding, on whole real texts and
//! on generated strings.

mod common;

use proptest::prelude::*;
use tiktoken_rs::CoreBPE;
use towel_tokenizer::{AllowedSpecial, DisallowedSpecial, EncodingName};

fn peer(name: EncodingName) -> &'static CoreBPE {
    use std::sync::OnceLock;
    static R50K: OnceLock<CoreBPE> = OnceLock::new();
    static P50K: OnceLock<CoreBPE> = OnceLock::new();
    static P50K_EDIT: OnceLock<CoreBPE> = OnceLock::new();
    static CL100K: OnceLock<CoreBPE> = OnceLock::new();
    static O200K: OnceLock<CoreBPE> = OnceLock::new();
    match name {
        EncodingName::Gpt2 | EncodingName::R50kBase => {
            R50K.get_or_init(|| tiktoken_rs::r50k_base().unwrap())
        }
        EncodingName::P50kBase => P50K.get_or_init(|| tiktoken_rs::p50k_base().unwrap()),
        EncodingName::P50kEdit => P50K_EDIT.get_or_init(|| tiktoken_rs::p50k_edit().unwrap()),
        EncodingName::Cl100kBase => CL100K.get_or_init(|| tiktoken_rs::cl100k_base().unwrap()),
        EncodingName::O200kBase | EncodingName::O200kHarmony => {
            O200K.get_or_init(|| tiktoken_rs::o200k_base().unwrap())
        }
    }
}

fn check_text(name: EncodingName, text: &str) {
    let enc = common::encoding(name);
    let ours = enc.encode_ordinary(text);
    let theirs = peer(name).encode_ordinary(text);
    if ours != theirs {
        let i = ours
            .iter()
            .zip(&theirs)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{name}: ids differ from tiktoken-rs at token {i}: ours {:?} theirs {:?}",
            &ours[i..(i + 8).min(ours.len())],
            &theirs[i..(i + 8).min(theirs.len())]
        );
    }
}

fn whole_texts(name: EncodingName) {
    let dirs = towel_data::DataDirs::with_data_dir(towel_data::data_or_skip!());
    let shakespeare = String::from_utf8(dirs.read_named("tinyshakespeare").unwrap()).unwrap();
    check_text(name, &shakespeare);
    check_text(name, &common::scifact_text(&dirs));
}

#[test]
fn gpt2_whole_texts() {
    whole_texts(EncodingName::Gpt2);
}
#[test]
fn r50k_whole_texts() {
    whole_texts(EncodingName::R50kBase);
}
#[test]
fn p50k_whole_texts() {
    whole_texts(EncodingName::P50kBase);
}
#[test]
fn p50k_edit_whole_texts() {
    whole_texts(EncodingName::P50kEdit);
}
#[test]
fn cl100k_whole_texts() {
    whole_texts(EncodingName::Cl100kBase);
}
#[test]
fn o200k_whole_texts() {
    whole_texts(EncodingName::O200kBase);
}

const PEERS: [EncodingName; 5] = [
    EncodingName::R50kBase,
    EncodingName::P50kBase,
    EncodingName::P50kEdit,
    EncodingName::Cl100kBase,
    EncodingName::O200kBase,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn generated_strings_match(text in common::mixed_text()) {
        if common::dirs().is_none() {
            return Ok(());
        }
        for name in PEERS {
            let enc = common::encoding(name);
            prop_assert_eq!(enc.encode_ordinary(&text), peer(name).encode_ordinary(&text), "{} {:?}", name, text);
            prop_assert_eq!(
                enc.encode(&text, &AllowedSpecial::All, &DisallowedSpecial::None).unwrap(),
                peer(name).encode_with_special_tokens(&text),
                "{} specials {:?}", name, text
            );
            let ids = enc.encode_ordinary(&text);
            prop_assert_eq!(enc.count(&text), ids.len());
            prop_assert_eq!(enc.decode(&ids).unwrap(), text.clone());
        }
    }
}

/// Batch encoding (parallel, with a piece cache shared by the texts of a
/// worker thread) gives each text tiktoken-rs's ids for it alone, with and
/// without special tokens: tiny shakespeare cut into its 7,222 paragraphs.
#[test]
fn batches_of_paragraphs_match() {
    let dirs = towel_data::DataDirs::with_data_dir(towel_data::data_or_skip!());
    let shakespeare = String::from_utf8(dirs.read_named("tinyshakespeare").unwrap()).unwrap();
    let mut paragraphs: Vec<String> = shakespeare.split("\n\n").map(str::to_string).collect();
    paragraphs[1].push_str("<|endoftext|>");
    let texts: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    for name in [EncodingName::Cl100kBase, EncodingName::O200kBase] {
        let enc = common::encoding(name);
        let ordinary = enc.encode_ordinary_batch(&texts);
        let special = enc
            .encode_batch(&texts, &AllowedSpecial::All, &DisallowedSpecial::None)
            .unwrap();
        assert_eq!(ordinary.len(), texts.len());
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(
                ordinary[i],
                peer(name).encode_ordinary(t),
                "{name} paragraph {i}"
            );
            assert_eq!(
                special[i],
                peer(name).encode_with_special_tokens(t),
                "{name} paragraph {i}"
            );
        }
        assert!(enc
            .encode_batch(&texts, &AllowedSpecial::None, &DisallowedSpecial::All)
            .is_err());
    }
}
