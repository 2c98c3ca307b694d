//! Pick a tokenizer family by name: what `towel tokenize --family` uses.
//!
//! ```
//! use towel_tokenizer::{build_family, Family, FamilyOptions};
//! let t = build_family(Family::Char, Some("abc"), &FamilyOptions::default())?;
//! assert_eq!(t.name(), "char (3 symbols)");
//! assert_eq!(t.encode("cab")?, [2, 0, 1]);
//! let bytes = build_family("bytes".parse()?, None, &FamilyOptions::default())?;
//! assert_eq!(bytes.vocab_size(), 256);
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::{
    Builtin, ByteTokenizer, CharTokenizer, Pattern, RegexSplitTokenizer, Tokenizer, TokenizerError,
    Unknown, VocabOptions, WordTokenizer,
};

/// The simple tokenizer families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// [`ByteTokenizer`]: 256 ids, one per byte.
    Bytes,
    /// [`CharTokenizer`]: one id per character of the corpus.
    Char,
    /// [`WordTokenizer`]: one id per word or punctuation run of the corpus.
    Word,
    /// [`RegexSplitTokenizer`]: one id per pre-tokenization piece of the corpus.
    Regex,
}

impl Family {
    /// Every family, in order from smallest to largest unit.
    pub const ALL: [Family; 4] = [Family::Bytes, Family::Char, Family::Word, Family::Regex];

    /// The short name: `bytes`, `char`, `word`, `regex`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Bytes => "bytes",
            Family::Char => "char",
            Family::Word => "word",
            Family::Regex => "regex",
        }
    }

    /// Whether this family learns its vocabulary from a corpus.
    pub fn needs_corpus(self) -> bool {
        self != Family::Bytes
    }
}

impl FromStr for Family {
    type Err = TokenizerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| TokenizerError::UnknownFamily(s.to_string()))
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Settings for [`build_family`]; each family uses the ones that apply to it.
#[derive(Debug, Clone, Default)]
pub struct FamilyOptions {
    /// Pre-tokenization pattern of the regex family (default GPT-2's).
    pub pattern: Option<Builtin>,
    /// Vocabulary cut of the word and regex families.
    pub vocab: VocabOptions,
    /// What the char family does with unseen characters.
    pub char_unknown: Unknown,
}

/// A tokenizer of `family`, learned from `corpus` when the family needs one
/// (the byte family ignores it).
pub fn build_family(
    family: Family,
    corpus: Option<&str>,
    opts: &FamilyOptions,
) -> Result<Box<dyn Tokenizer>, TokenizerError> {
    let corpus = || {
        corpus.ok_or_else(|| {
            TokenizerError::InvalidConfig(format!(
                "the {family} family learns its vocabulary from a corpus, and none was given"
            ))
        })
    };
    Ok(match family {
        Family::Bytes => Box::new(ByteTokenizer),
        Family::Char => Box::new(CharTokenizer::from_corpus(corpus()?, opts.char_unknown)?),
        Family::Word => Box::new(WordTokenizer::from_corpus(corpus()?, opts.vocab)?),
        Family::Regex => Box::new(RegexSplitTokenizer::from_corpus(
            Pattern::builtin(opts.pattern.unwrap_or(Builtin::Gpt2)),
            corpus()?,
            opts.vocab,
        )?),
    })
}

/// Token bytes as readable text: valid UTF-8 as is (with `\` doubled and
/// control characters escaped), every other byte as `\xNN`.
///
/// ```
/// use towel_tokenizer::escape_bytes;
/// assert_eq!(escape_bytes(" world"), " world");
/// assert_eq!(escape_bytes(b"\xF0\x9F"), "\\xF0\\x9F");
/// assert_eq!(escape_bytes("a\\b\n"), "a\\\\b\\n");
/// ```
pub fn escape_bytes(bytes: impl AsRef<[u8]>) -> String {
    let mut out = String::new();
    for chunk in bytes.as_ref().utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => out.push_str(&format!("\\u{{{:04X}}}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}
