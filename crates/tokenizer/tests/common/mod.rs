//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use proptest::prelude::*;
use towel_data::DataDirs;
use towel_tokenizer::{Encoding, EncodingName};

/// The data folders, or None (the caller skips) when the data is absent.
pub fn dirs() -> Option<DataDirs> {
    towel_data::testing::data_dir().map(DataDirs::with_data_dir)
}

/// Each encoding loaded once per test binary.
pub fn encoding(name: EncodingName) -> &'static Encoding {
    static CACHE: OnceLock<Mutex<HashMap<EncodingName, &'static Encoding>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap();
    map.entry(name).or_insert_with(|| {
        let dirs = dirs().expect("reference data (checked by the caller)");
        Box::leak(Box::new(Encoding::load_named(name, &dirs).unwrap()))
    })
}

/// SciFact corpus text as the peers build it: each document `title + "\n" +
/// text`, joined with blank lines.
pub fn scifact_text(dirs: &DataDirs) -> String {
    let data = dirs.read_named("scifact-corpus").unwrap();
    let mut docs = Vec::new();
    for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        let title = v["title"].as_str().unwrap_or("");
        let text = v["text"].as_str().unwrap_or("");
        docs.push(if title.is_empty() {
            text.to_string()
        } else {
            format!("{title}\n{text}")
        });
    }
    docs.join("\n\n")
}

/// Text atoms that stress pre-tokenization and merging.
const ATOMS: &[&str] = &[
    "a",
    "Hello",
    " world",
    "DON'T",
    "don't",
    "it's",
    "we'll",
    "I'M",
    "'s",
    "'re",
    "’s",
    "'",
    " ",
    "  ",
    "   ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\u{a0}",
    "\u{3000}",
    "\u{2028}",
    "\u{200b}",
    "0",
    "12",
    "1234567",
    "٣٤",
    "１２３",
    "½",
    "Ⅻ",
    "3.14",
    "-42",
    "日本語",
    "中文字符",
    "한국어",
    "Привет",
    "Ελληνικά",
    "مرحبا",
    "שלום",
    "हिन्दी",
    "ไทย",
    "😀",
    "👍🏽",
    "👨‍👩‍👧",
    "❤️",
    "🇫🇷",
    "é",
    "e\u{301}",
    "ǅ",
    "ᾈ",
    "ß",
    "İ",
    "!",
    "...",
    "?!",
    "{}",
    "()",
    "//",
    "/*",
    "->",
    "::",
    "==",
    "#",
    "@user",
    "http://x.y/z?q=1",
    "<|endoftext|>",
    "<|fim_prefix|>",
    "<|endofprompt|>",
    "<|",
    "|>",
    "\\",
    "\"",
    "$",
    "\u{fffd}",
    "\u{0}",
    "\u{7f}",
    "\u{85}",
    "\u{feff}",
    "aaaaaaaaaaaaaaaaaaaa",
    "                ",
];

/// Strings mixing scripts, emoji, whitespace kinds, digits and apostrophes.
pub fn mixed_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(ATOMS), 0..24).prop_map(|v| v.concat()),
        1 => any::<String>(),
        1 => "[a-z' \n0-9]{0,40}",
    ]
}
