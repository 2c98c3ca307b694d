//! `towel explain`: your text through every tokenizer family and encoding,
//! side by side: the pieces (alternating colours on a terminal, `|` between
//! them otherwise), the token count, bytes per token and unknown tokens.
//!
//! ```sh
//! towel explain "How many r's are in strawberry?"
//! towel explain -f notes.txt --json
//! printf 'caf\xe9' | towel explain        # not UTF-8: BPE and bytes see the raw bytes
//! ```
//!
//! The families that learn a vocabulary (char, word, regex pieces) learn it
//! from tiny shakespeare, embedded in towel, so anything Shakespeare never
//! wrote is `<UNK>` there. The byte-level BPE encodings are gpt2 and
//! cl100k_base (embedded) and o200k_base when its file is in the data
//! folders. Input that is not UTF-8 is encoded as bytes by `bytes` and by
//! the BPE encodings (its valid runs pre-tokenized as usual, each invalid run
//! a piece of its own); the char, word and regex families, which work on
//! text, see it with U+FFFD in place of the invalid bytes, and say so.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use towel_data::{embedded, DataDirs};
use towel_tokenizer::{
    ByteTokenizer, CharTokenizer, CoreBpe, Encoding, EncodingName, Pattern, RegexSplitTokenizer,
    Tokenizer, Unknown, VocabOptions, WordTokenizer,
};

use crate::display::token_md;
use crate::input::read_input;
use crate::output::{outln, Output};

/// `towel explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The text to explain (default: stdin).
    text: Option<String>,
    /// Read the text from this file instead (any bytes).
    #[arg(long, short = 'f', conflicts_with = "text")]
    file: Option<PathBuf>,
}

/// One tokenizer's view of the input.
#[derive(Debug, Serialize)]
pub struct View {
    pub name: String,
    pub family: &'static str,
    pub vocab_size: usize,
    pub tokens: usize,
    /// Input bytes per token (None for empty input).
    pub bytes_per_token: Option<f64>,
    /// Tokens that are `<UNK>`.
    pub unknown: usize,
    /// Whether decoding gives the input back.
    pub exact: bool,
    /// Whether this tokenizer saw the input with U+FFFD for invalid bytes.
    pub lossy_input: bool,
    pub ids: Vec<u32>,
    /// Each token's bytes, shown with ␠ for a space and \xNN for a byte that is not a whole character.
    pub pieces: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    bytes: usize,
    chars: usize,
    valid_utf8: bool,
    vocabularies_learned_from: &'static str,
    tokenizers: Vec<View>,
}

/// Encode raw bytes with a byte-level BPE: valid runs pre-tokenized, invalid runs as pieces.
fn bpe_encode_bytes(bpe: &CoreBpe, input: &[u8]) -> Vec<u32> {
    let mut pieces: Vec<&[u8]> = Vec::new();
    for chunk in input.utf8_chunks() {
        pieces.extend(
            bpe.pattern()
                .pieces(chunk.valid())
                .flatten()
                .map(str::as_bytes),
        );
        if !chunk.invalid().is_empty() {
            pieces.push(chunk.invalid());
        }
    }
    bpe.encode_pieces(pieces)
}

fn view(
    t: &dyn Tokenizer,
    family: &'static str,
    ids: Vec<u32>,
    unk: Option<u32>,
    input: &[u8],
    lossy_input: bool,
) -> Result<View> {
    let pieces = ids
        .iter()
        .map(|&id| t.token_bytes(id).map(|b| token_md(&b)))
        .collect::<Result<Vec<_>, _>>()?;
    let decoded = t.decode_bytes(&ids).unwrap_or_default();
    Ok(View {
        name: t.name(),
        family,
        vocab_size: t.vocab_size(),
        tokens: ids.len(),
        bytes_per_token: (!ids.is_empty()).then(|| input.len() as f64 / ids.len() as f64),
        unknown: unk.map_or(0, |u| ids.iter().filter(|&&i| i == u).count()),
        exact: decoded == input,
        lossy_input,
        ids,
        pieces,
    })
}

/// The char, word and regex vocabularies learned from the embedded book, once.
fn families() -> Result<&'static (CharTokenizer, WordTokenizer, RegexSplitTokenizer)> {
    static FAMILIES: OnceLock<(CharTokenizer, WordTokenizer, RegexSplitTokenizer)> =
        OnceLock::new();
    if let Some(f) = FAMILIES.get() {
        return Ok(f);
    }
    let book = embedded::book();
    let f = (
        CharTokenizer::from_corpus(book, Unknown::Unk)?,
        WordTokenizer::from_corpus(book, VocabOptions::default())?,
        RegexSplitTokenizer::from_corpus(Pattern::gpt2(), book, VocabOptions::default())?,
    );
    Ok(FAMILIES.get_or_init(|| f))
}

/// Every tokenizer's view of `input`.
pub fn explain(input: &[u8], encodings: &[Encoding]) -> Result<Vec<View>> {
    let text = String::from_utf8_lossy(input);
    let lossy = std::str::from_utf8(input).is_err();
    let (chars, words, regex) = families()?;
    let mut views = vec![view(
        &ByteTokenizer,
        "bytes",
        input.iter().map(|&b| u32::from(b)).collect(),
        None,
        input,
        false,
    )?];
    views.push(view(
        chars,
        "char",
        chars.encode(&text)?,
        chars.unk_id(),
        input,
        lossy,
    )?);
    views.push(view(
        words,
        "word",
        words.encode(&text)?,
        Some(words.unk_id()),
        input,
        lossy,
    )?);
    views.push(view(
        regex,
        "regex",
        regex.encode(&text)?,
        Some(regex.unk_id()),
        input,
        lossy,
    )?);
    for e in encodings {
        let ids = bpe_encode_bytes(e, input);
        views.push(view(e, "byte-level BPE", ids, None, input, false)?);
    }
    Ok(views)
}

/// gpt2, cl100k_base and o200k_base, each from the data folders or the
/// embedded ranks; the ones that cannot be had are left out.
pub fn load_encodings(dirs: &DataDirs) -> Vec<Encoding> {
    [
        EncodingName::Gpt2,
        EncodingName::Cl100kBase,
        EncodingName::O200kBase,
    ]
    .into_iter()
    .filter_map(|name| Encoding::load_or_embedded(name, dirs).ok())
    .collect()
}

/// Run `towel explain`.
pub fn run(args: &ExplainArgs, out: &Output) -> Result<()> {
    let input = match (&args.text, &args.file) {
        (Some(t), _) => t.as_bytes().to_vec(),
        (None, f) => read_input(f.as_deref())?,
    };
    let views = explain(&input, &load_encodings(&DataDirs::from_env()))?;
    let valid = std::str::from_utf8(&input).is_ok();
    let chars = String::from_utf8_lossy(&input).chars().count();
    if out.json {
        return out.print_json(&Report {
            bytes: input.len(),
            chars,
            valid_utf8: valid,
            vocabularies_learned_from: "tiny shakespeare (embedded in towel)",
            tokenizers: views,
        });
    }
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    outln!(
        "{} bytes, {chars} characters{}. char, word and regex vocabularies learned from tiny shakespeare.",
        input.len(),
        if valid { "" } else { ", not valid UTF-8 (char, word and regex see U+FFFD in place of the invalid bytes)" }
    )?;
    outln!()?;
    outln!(
        "{:<40} {:>8} {:>7} {:>11} {:>7} {:>6}",
        "tokenizer",
        "vocab",
        "tokens",
        "bytes/token",
        "unknown",
        "exact"
    )?;
    for v in &views {
        outln!(
            "{:<40} {:>8} {:>7} {:>11} {:>7} {:>6}",
            v.name,
            v.vocab_size,
            v.tokens,
            v.bytes_per_token
                .map_or("–".to_string(), |b| format!("{b:.2}")),
            v.unknown,
            if v.exact { "yes" } else { "no" }
        )?;
    }
    // Alternating background colours on a terminal; `|` between pieces otherwise.
    const BG: [&str; 2] = ["\x1b[30;46m", "\x1b[30;43m"];
    for v in &views {
        outln!()?;
        outln!(
            "{} ({} token{}):",
            v.name,
            v.tokens,
            if v.tokens == 1 { "" } else { "s" }
        )?;
        let line = if color {
            v.pieces
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{}{p}\x1b[0m", BG[i % 2]))
                .collect::<String>()
        } else {
            v.pieces.join("|")
        };
        outln!("  {line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// gpt2 and cl100k_base from the embedded ranks, loaded once.
    fn nowhere() -> &'static [Encoding] {
        static E: OnceLock<Vec<Encoding>> = OnceLock::new();
        E.get_or_init(|| load_encodings(&DataDirs::with_data_dir("/nonexistent")))
    }

    #[test]
    fn every_family_on_a_sentence() {
        let input = "I love 🦀 and strawberries.".as_bytes();
        let v = explain(input, nowhere()).unwrap();
        let names: Vec<&str> = v.iter().map(|v| v.family).collect();
        assert_eq!(
            names,
            [
                "bytes",
                "char",
                "word",
                "regex",
                "byte-level BPE",
                "byte-level BPE"
            ]
        );
        assert_eq!(v[0].tokens, input.len());
        for e in &v[4..] {
            assert!(e.exact, "{}", e.name);
            assert_eq!(e.unknown, 0);
            assert_eq!(
                e.bytes_per_token,
                Some(input.len() as f64 / e.tokens as f64)
            );
        }
        // The crab is unknown to the word vocabulary learned from Shakespeare.
        assert!(v[2].unknown >= 1);
        assert!(!v[2].exact);
    }

    #[test]
    fn empty_input() {
        let v = explain(b"", nowhere()).unwrap();
        for t in &v {
            assert_eq!(t.tokens, 0, "{}", t.name);
            assert_eq!(t.bytes_per_token, None);
            assert!(t.exact);
        }
    }

    #[test]
    fn invalid_utf8_round_trips_through_bytes_and_bpe() {
        let input = b"caf\xe9 \xff\xfe ok";
        let v = explain(input, nowhere()).unwrap();
        for t in &v {
            match t.family {
                "bytes" | "byte-level BPE" => {
                    assert!(t.exact, "{}", t.name);
                    assert!(!t.lossy_input);
                }
                _ => {
                    assert!(t.lossy_input);
                    assert!(!t.exact, "{}", t.name);
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Any bytes: bytes and the BPE encodings give them back exactly, and
        /// every view's numbers agree with its ids.
        #[test]
        fn any_bytes(input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let v = explain(&input, nowhere()).unwrap();
            for t in &v {
                proptest::prop_assert_eq!(t.tokens, t.ids.len());
                proptest::prop_assert_eq!(t.pieces.len(), t.ids.len());
                if matches!(t.family, "bytes" | "byte-level BPE") {
                    proptest::prop_assert!(t.exact, "{}", t.name);
                }
            }
        }
    }
}
