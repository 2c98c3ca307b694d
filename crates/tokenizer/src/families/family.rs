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
use std::path::Path;
use std::str::FromStr;

use super::simple::{bad_vocab_file, VocabFile};
use crate::error::read_file;
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
    Ok(FamilyTokenizer::learn(family, corpus, opts)?.into_boxed())
}

/// A tokenizer of one of the simple families, with its concrete type kept so
/// that its vocabulary can be saved and loaded without knowing the family
/// in advance.
///
/// ```
/// use towel_tokenizer::{Family, FamilyOptions, FamilyTokenizer, Tokenizer};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("words.json");
/// let t = FamilyTokenizer::learn(Family::Word, Some("to be or not to be"), &FamilyOptions::default())?;
/// t.save(&path)?;
/// let back = FamilyTokenizer::load(&path)?;
/// assert_eq!(back.family(), Family::Word);
/// assert_eq!(back.as_dyn().encode("not to be")?, t.as_dyn().encode("not to be")?);
/// # Ok::<(), towel_tokenizer::TokenizerError>(())
/// ```
#[derive(Debug, Clone)]
pub enum FamilyTokenizer {
    /// The byte family.
    Bytes(ByteTokenizer),
    /// The char family (boxed: its ASCII lookup table makes it large).
    Char(Box<CharTokenizer>),
    /// The word family.
    Word(WordTokenizer),
    /// The regex-split family.
    Regex(RegexSplitTokenizer),
}

impl FamilyTokenizer {
    /// Learn a tokenizer of `family` from `corpus` (the byte family ignores it).
    pub fn learn(
        family: Family,
        corpus: Option<&str>,
        opts: &FamilyOptions,
    ) -> Result<Self, TokenizerError> {
        let corpus = || {
            corpus.ok_or_else(|| {
                TokenizerError::Config(format!(
                    "the {family} family learns its vocabulary from a corpus, and none was given"
                ))
            })
        };
        Ok(match family {
            Family::Bytes => FamilyTokenizer::Bytes(ByteTokenizer),
            Family::Char => FamilyTokenizer::Char(Box::new(CharTokenizer::from_corpus(
                corpus()?,
                opts.char_unknown,
            )?)),
            Family::Word => {
                FamilyTokenizer::Word(WordTokenizer::from_corpus(corpus()?, opts.vocab)?)
            }
            Family::Regex => FamilyTokenizer::Regex(RegexSplitTokenizer::from_corpus(
                Pattern::builtin(opts.pattern.unwrap_or(Builtin::Gpt2)),
                corpus()?,
                opts.vocab,
            )?),
        })
    }

    /// The family.
    pub fn family(&self) -> Family {
        match self {
            FamilyTokenizer::Bytes(_) => Family::Bytes,
            FamilyTokenizer::Char(_) => Family::Char,
            FamilyTokenizer::Word(_) => Family::Word,
            FamilyTokenizer::Regex(_) => Family::Regex,
        }
    }

    /// The tokenizer behind the common interface.
    pub fn as_dyn(&self) -> &dyn Tokenizer {
        match self {
            FamilyTokenizer::Bytes(t) => t,
            FamilyTokenizer::Char(t) => t.as_ref(),
            FamilyTokenizer::Word(t) => t,
            FamilyTokenizer::Regex(t) => t,
        }
    }

    /// The tokenizer as a `Box<dyn Tokenizer>`.
    pub fn into_boxed(self) -> Box<dyn Tokenizer> {
        match self {
            FamilyTokenizer::Bytes(t) => Box::new(t),
            FamilyTokenizer::Char(t) => t,
            FamilyTokenizer::Word(t) => Box::new(t),
            FamilyTokenizer::Regex(t) => Box::new(t),
        }
    }

    /// Save the learned vocabulary as JSON, atomically. The byte family has
    /// nothing to save (its 256 ids are fixed) and says so.
    pub fn save(&self, path: &Path) -> Result<(), TokenizerError> {
        match self {
            FamilyTokenizer::Bytes(_) => Err(TokenizerError::Config(
                "the bytes family has no vocabulary file: its 256 ids are fixed".into(),
            )),
            FamilyTokenizer::Char(t) => t.save(path),
            FamilyTokenizer::Word(t) => t.save(path),
            FamilyTokenizer::Regex(t) => t.save(path),
        }
    }

    /// Load a vocabulary file of any family (its `"family"` field decides).
    pub fn load(path: &Path) -> Result<Self, TokenizerError> {
        let bytes = read_file(path)?;
        let family =
            VocabFile::peek_family(&bytes).map_err(|message| bad_vocab_file(path, message))?;
        Ok(match family.as_str() {
            "char" => FamilyTokenizer::Char(Box::new(CharTokenizer::load(path)?)),
            "word" => FamilyTokenizer::Word(WordTokenizer::load(path)?),
            "regex" => FamilyTokenizer::Regex(RegexSplitTokenizer::load(path)?),
            other => {
                return Err(bad_vocab_file(
                    path,
                    format!("unknown family {other:?} (expected char, word or regex)"),
                ))
            }
        })
    }
}
