//! The character-level tokenizer: one token per Unicode character.
//!
//! The vocabulary is learned from a corpus exactly as Karpathy's char-level
//! models do it (`chars = sorted(list(set(text)))`): the distinct characters,
//! sorted by code point, id = position. On tiny shakespeare that is 65 symbols
//! and the same ids as nanoGPT's `data/shakespeare_char/prepare.py`.
//!
//! A character the corpus never showed is either an error naming it and its
//! byte offset ([`Unknown::Error`]) or the extra token `<UNK>`, placed after the
//! learned characters so their ids do not move ([`Unknown::Unk`]).
//!
//! ```
//! use towel_tokenizer::{CharTokenizer, Tokenizer, Unknown};
//! let t = CharTokenizer::from_corpus("hello world", Unknown::Error)?;
//! assert_eq!(t.chars(), [' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
//! assert_eq!(t.encode("hello")?, [3, 2, 4, 4, 5]);
//! let err = t.encode("help").unwrap_err().to_string();
//! assert!(err.starts_with("character 'p' (U+0070) at byte offset 3 is not in the vocabulary"));
//!
//! let t = CharTokenizer::from_corpus("hello world", Unknown::Unk)?;
//! assert_eq!(t.encode("help")?, [3, 2, 4, 8]);
//! assert_eq!(t.decode(&[3, 2, 4, 8])?, "hel<UNK>");
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use std::collections::HashMap;
use std::path::Path;

use super::simple::{bad_vocab_file, VocabFile, UNK};
use crate::{Tokenizer, TokenizerError};

/// What a vocabulary-learning tokenizer does with input it has never seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unknown {
    /// Fail, naming the character and its byte offset.
    #[default]
    Error,
    /// Map it to the `<UNK>` token.
    Unk,
}

const NONE: u32 = u32::MAX;

/// One id per distinct character of the training corpus.
#[derive(Debug, Clone)]
pub struct CharTokenizer {
    chars: Vec<char>,
    ascii: [u32; 128],
    other: HashMap<char, u32>,
    unknown: Unknown,
}

impl CharTokenizer {
    /// The sorted distinct characters of `corpus`; fails on an empty corpus.
    pub fn from_corpus(corpus: &str, unknown: Unknown) -> Result<Self, TokenizerError> {
        if corpus.is_empty() {
            return Err(TokenizerError::EmptyCorpus { family: "char" });
        }
        // A bitmap for ASCII keeps the pass over a large corpus cheap.
        let mut seen_ascii = [false; 128];
        let mut seen = std::collections::HashSet::new();
        for c in corpus.chars() {
            if c.is_ascii() {
                seen_ascii[c as usize] = true;
            } else {
                seen.insert(c);
            }
        }
        let ascii = (0u8..128)
            .filter(|&b| seen_ascii[b as usize])
            .map(char::from);
        Self::from_chars(ascii.chain(seen), unknown) // from_chars sorts
    }

    /// A vocabulary of exactly these characters (sorted and deduplicated).
    pub fn from_chars(
        chars: impl IntoIterator<Item = char>,
        unknown: Unknown,
    ) -> Result<Self, TokenizerError> {
        let mut chars: Vec<char> = chars.into_iter().collect();
        chars.sort_unstable();
        chars.dedup();
        if chars.is_empty() {
            return Err(TokenizerError::EmptyCorpus { family: "char" });
        }
        let mut ascii = [NONE; 128];
        let mut other = HashMap::new();
        for (i, &c) in chars.iter().enumerate() {
            if c.is_ascii() {
                ascii[c as usize] = i as u32;
            } else {
                other.insert(c, i as u32);
            }
        }
        Ok(CharTokenizer {
            chars,
            ascii,
            other,
            unknown,
        })
    }

    /// The learned characters; the id of `chars()[i]` is `i`.
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The id of `<UNK>` (one past the last character), if enabled.
    pub fn unk_id(&self) -> Option<u32> {
        match self.unknown {
            Unknown::Unk => Some(self.chars.len() as u32),
            Unknown::Error => None,
        }
    }

    /// The id of one character, if it is in the vocabulary.
    #[inline]
    pub fn id_of(&self, c: char) -> Option<u32> {
        let id = if c.is_ascii() {
            self.ascii[c as usize]
        } else {
            self.other.get(&c).copied().unwrap_or(NONE)
        };
        (id != NONE).then_some(id)
    }

    /// Save the vocabulary as JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<(), TokenizerError> {
        self.to_file().save(path)
    }

    /// The vocabulary as a JSON string (the format [`CharTokenizer::save`] writes).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_file()).expect("vocab serialises")
    }

    fn to_file(&self) -> VocabFile {
        let mut tokens: Vec<String> = self.chars.iter().map(|c| c.to_string()).collect();
        if self.unknown == Unknown::Unk {
            tokens.push(UNK.into());
        }
        VocabFile::new("char", None, self.unk_id(), tokens)
    }

    /// Load a vocabulary written by [`CharTokenizer::save`].
    pub fn load(path: &Path) -> Result<Self, TokenizerError> {
        let file = VocabFile::load(path, "char")?;
        Self::from_file(file).map_err(|message| bad_vocab_file(path, message))
    }

    fn from_file(file: VocabFile) -> Result<Self, String> {
        let n_chars = file.tokens.len() - usize::from(file.unk_id.is_some());
        if let Some(u) = file.unk_id {
            if u as usize != n_chars {
                return Err(format!("unk_id must be the last id ({n_chars}), not {u}"));
            }
        }
        let mut chars = Vec::with_capacity(n_chars);
        for (i, t) in file.tokens[..n_chars].iter().enumerate() {
            let mut it = t.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => chars.push(c),
                _ => return Err(format!("token {i} ({t:?}) is not a single character")),
            }
        }
        if chars.windows(2).any(|w| w[0] >= w[1]) {
            return Err("the characters must be sorted and distinct".into());
        }
        let unknown = if file.unk_id.is_some() {
            Unknown::Unk
        } else {
            Unknown::Error
        };
        Self::from_chars(chars, unknown).map_err(|e| e.to_string())
    }
}

impl Tokenizer for CharTokenizer {
    fn name(&self) -> String {
        match self.unknown {
            Unknown::Error => format!("char ({} symbols)", self.chars.len()),
            Unknown::Unk => format!("char ({} symbols + <UNK>)", self.chars.len()),
        }
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        let mut ids = Vec::with_capacity(text.len());
        for (offset, c) in text.char_indices() {
            match (self.id_of(c), self.unknown) {
                (Some(id), _) => ids.push(id),
                (None, Unknown::Unk) => ids.push(self.chars.len() as u32),
                (None, Unknown::Error) => {
                    return Err(TokenizerError::UnknownChar { ch: c, offset })
                }
            }
        }
        Ok(ids)
    }

    fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>, TokenizerError> {
        let mut out = Vec::with_capacity(ids.len());
        let mut buf = [0u8; 4];
        for &id in ids {
            match self.chars.get(id as usize) {
                Some(c) => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
                None if Some(id) == self.unk_id() => out.extend_from_slice(UNK.as_bytes()),
                None => return Err(self.unknown_id(id)),
            }
        }
        Ok(out)
    }

    fn vocab_size(&self) -> usize {
        self.chars.len() + usize::from(self.unknown == Unknown::Unk)
    }

    fn token_bytes(&self, id: u32) -> Result<Vec<u8>, TokenizerError> {
        self.decode_bytes(&[id])
    }

    fn count(&self, text: &str) -> Result<usize, TokenizerError> {
        if self.unknown == Unknown::Unk {
            Ok(text.chars().count())
        } else {
            Ok(self.encode(text)?.len())
        }
    }
}

impl CharTokenizer {
    fn unknown_id(&self, id: u32) -> TokenizerError {
        TokenizerError::UnknownId {
            id,
            position: None,
            tokenizer: self.name(),
            vocab_size: self.vocab_size(),
        }
    }
}
