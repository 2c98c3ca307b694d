//! Data the project ships inside the binary, so `towel tour`, the examples and
//! the explorers always have real data to run on, with no download.
//!
//! | what | registry name | size | compressed | why it may be shipped |
//! | --- | --- | --- | --- | --- |
//! | [`TOUR_TEXT`]: 3 KB of prose written for towel | (none) | 3.3 KB | (plain) | written for towel, CC0 |
//! | tiny shakespeare ([`book`]) | `tinyshakespeare` | 1.1 MB | 434 KB | Shakespeare's text is public domain; Karpathy's char-rnn compilation is MIT |
//! | GPT-2 / GPT-3 BPE ranks | `r50k_base` | 836 KB | 212 KB | published by OpenAI for use with tiktoken (MIT); the MIT crates tiktoken-rs and bpe-openai redistribute them |
//! | GPT-3.5 / GPT-4 BPE ranks | `cl100k_base` | 1.7 MB | 456 KB | as r50k_base |
//! | Cranfield 1400 (BEIR layout): docs, queries, graded test qrels | `cranfield-corpus`, `cranfield-queries`, `cranfield-qrels-test` | 1.7 MB | 480 KB | distributed freely for research since 1968 by the Glasgow IR group with no licence terms; copied in many public repositories and test suites (see `assets/README.md`) |
//!
//! Every embedded registry file is stored zlib-compressed (see
//! `assets/make_embedded.py`, which rebuilds them from the reference data) and
//! inflated once, on first use. [`file`](fn@file) gives back the exact bytes of the
//! registry file: a test checks each one's sha256 against the registry, so
//! the embedded copies are the verified files byte for byte, whether or not
//! the reference data is on the machine.
//!
//! The `.tiktoken` files are stored as their tokens in rank order (a length
//! byte, then the bytes) and written back as tiktoken text (base64, space,
//! rank, newline) when inflated; that is 2.2x smaller than compressing the
//! base64 text.

use std::sync::OnceLock;

use base64::Engine;

/// About 3 KB of English prose written for towel (CC0), with a little code,
/// numbers, punctuation and non-English text so every tokenizer family has
/// something to show. Paragraphs are separated by blank lines.
pub const TOUR_TEXT: &str = include_str!("../assets/tour.txt");

/// The paragraphs of [`TOUR_TEXT`]: a tiny document collection.
pub fn tour_paragraphs() -> impl Iterator<Item = &'static str> {
    TOUR_TEXT
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// How an embedded file is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Packing {
    /// zlib of the file's bytes.
    Plain,
    /// zlib of the tokens in rank order (length byte + bytes); inflated back
    /// to the `.tiktoken` text.
    Ranks,
}

/// One registry file that towel embeds.
#[derive(Debug)]
pub struct EmbeddedFile {
    /// The registry name (see [`crate::registry`]).
    pub name: &'static str,
    /// What it is, in a few words.
    pub what: &'static str,
    /// Why towel may redistribute it.
    pub licence: &'static str,
    packing: Packing,
    packed: &'static [u8],
    cell: OnceLock<Vec<u8>>,
}

impl EmbeddedFile {
    /// Size of the compressed copy inside the binary.
    pub fn packed_len(&self) -> usize {
        self.packed.len()
    }

    /// The file's exact bytes (inflated on first use).
    pub fn bytes(&'static self) -> &'static [u8] {
        self.cell.get_or_init(|| self.inflate())
    }

    /// Inflate the file again, bypassing the cache (what the first
    /// [`EmbeddedFile::bytes`] costs; for benchmarks).
    pub fn inflate_uncached(&self) -> Vec<u8> {
        self.inflate()
    }

    fn inflate(&self) -> Vec<u8> {
        let raw = miniz_oxide::inflate::decompress_to_vec_zlib(self.packed)
            .expect("the embedded data is valid zlib (checked by the embedded tests)");
        match self.packing {
            Packing::Plain => raw,
            Packing::Ranks => ranks_to_tiktoken(&raw),
        }
    }
}

/// Tokens in rank order (length byte + bytes) to `.tiktoken` text.
fn ranks_to_tiktoken(raw: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::with_capacity(raw.len() * 3);
    let (mut i, mut rank) = (0usize, 0u32);
    while i < raw.len() {
        let len = raw[i] as usize;
        let token = &raw[i + 1..i + 1 + len];
        out.extend_from_slice(b64.encode(token).as_bytes());
        out.push(b' ');
        out.extend_from_slice(rank.to_string().as_bytes());
        out.push(b'\n');
        i += 1 + len;
        rank += 1;
    }
    out
}

const CRANFIELD_LICENCE: &str =
    "Cranfield 1400 has been distributed freely for research since 1968 \
     (Glasgow IR group) with no licence terms; it is copied in many public repositories";
const OPENAI_LICENCE: &str =
    "published by OpenAI for public use with tiktoken (MIT); redistributed by the MIT crates tiktoken-rs and bpe-openai";

/// Every registry file that towel embeds.
pub static FILES: [EmbeddedFile; 6] = [
    EmbeddedFile {
        name: "tinyshakespeare",
        what: "tiny shakespeare: 40,000 lines of Shakespeare's plays (Karpathy's char-rnn)",
        licence: "Shakespeare's text is public domain; the char-rnn compilation is MIT",
        packing: Packing::Plain,
        packed: include_bytes!("../assets/tinyshakespeare.txt.z"),
        cell: OnceLock::new(),
    },
    EmbeddedFile {
        name: "r50k_base",
        what: "the BPE ranks of GPT-2 and GPT-3 (r50k_base; gpt2 has the same ranks)",
        licence: OPENAI_LICENCE,
        packing: Packing::Ranks,
        packed: include_bytes!("../assets/r50k_base.bin.z"),
        cell: OnceLock::new(),
    },
    EmbeddedFile {
        name: "cl100k_base",
        what: "the BPE ranks of GPT-3.5 and GPT-4 (cl100k_base)",
        licence: OPENAI_LICENCE,
        packing: Packing::Ranks,
        packed: include_bytes!("../assets/cl100k_base.bin.z"),
        cell: OnceLock::new(),
    },
    EmbeddedFile {
        name: "cranfield-corpus",
        what: "Cranfield 1400 abstracts on aeronautics (BEIR corpus.jsonl)",
        licence: CRANFIELD_LICENCE,
        packing: Packing::Plain,
        packed: include_bytes!("../assets/cranfield-corpus.jsonl.z"),
        cell: OnceLock::new(),
    },
    EmbeddedFile {
        name: "cranfield-queries",
        what: "Cranfield's 225 queries (BEIR queries.jsonl)",
        licence: CRANFIELD_LICENCE,
        packing: Packing::Plain,
        packed: include_bytes!("../assets/cranfield-queries.jsonl.z"),
        cell: OnceLock::new(),
    },
    EmbeddedFile {
        name: "cranfield-qrels-test",
        what: "Cranfield's graded relevance judgments (BEIR qrels/test.tsv)",
        licence: CRANFIELD_LICENCE,
        packing: Packing::Plain,
        packed: include_bytes!("../assets/cranfield-qrels-test.tsv.z"),
        cell: OnceLock::new(),
    },
];

/// The embedded copy of a registry file, if towel embeds it.
pub fn entry(name: &str) -> Option<&'static EmbeddedFile> {
    FILES.iter().find(|f| f.name == name)
}

/// The exact bytes of a registry file that towel embeds (the same sha256 as
/// the registry's), or `None` for a file it does not embed.
pub fn file(name: &str) -> Option<&'static [u8]> {
    entry(name).map(EmbeddedFile::bytes)
}

/// The embedded public-domain book: tiny shakespeare (1,115,394 bytes of
/// ASCII, 40,000 lines), the text of nanoGPT's and makemore's character
/// models. Inflated on first call.
pub fn book() -> &'static str {
    static BOOK: OnceLock<&'static str> = OnceLock::new();
    BOOK.get_or_init(|| {
        std::str::from_utf8(file("tinyshakespeare").expect("tinyshakespeare is embedded"))
            .expect("tiny shakespeare is ASCII")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;

    /// Each embedded file is the registry file byte for byte: same sha256 and
    /// size, whether or not the reference data is on this machine.
    #[test]
    fn embedded_files_match_the_registry_hashes() {
        for f in &FILES {
            let reg = registry::by_name(f.name).expect("embedded files are registry files");
            let bytes = f.bytes();
            assert_eq!(bytes.len() as u64, reg.size, "{}", f.name);
            assert_eq!(crate::sha256_hex(bytes), reg.sha256, "{}", f.name);
        }
    }

    #[test]
    fn book_is_tiny_shakespeare() {
        let b = book();
        assert_eq!(b.len(), 1_115_394);
        assert!(b.starts_with("First Citizen:\nBefore we proceed any further, hear me speak."));
        assert_eq!(b.lines().count(), 40_000);
    }

    #[test]
    fn ranks_round_trip() {
        let raw = [1, b'a', 2, b'a', b'b', 1, 0xff];
        assert_eq!(
            ranks_to_tiktoken(&raw),
            b"YQ== 0\nYWI= 1\n/w== 2\n".to_vec()
        );
        assert!(entry("gpt2-encoder-json").is_none());
    }

    /// With the reference data present, the embedded copies equal the files there.
    #[test]
    fn embedded_files_equal_the_reference_data() {
        let dir = crate::data_or_skip!();
        let dirs = crate::DataDirs::with_data_dir(dir);
        for f in &FILES {
            let reg = registry::by_name(f.name).unwrap();
            assert!(dirs.read(reg).unwrap() == f.bytes(), "{}", f.name);
        }
    }
}
