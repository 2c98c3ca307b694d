//! The regex-split tokenizer: one token per pre-tokenization piece. For teaching.
//!
//! This is what a GPT tokenizer looks like *before* byte-pair merges: the text
//! is cut by a [`Pattern`] (GPT-2's by default) and each whole piece is one
//! token of a vocabulary learned from a corpus, with `<UNK>` (id 0) for pieces
//! never seen. Unlike the word tokenizer, nothing is thrown away: GPT-2's
//! pattern keeps the space in front of a word (`" world"`) and gives runs of
//! whitespace their own pieces, so the pieces concatenate back to the text, and
//! decoding is exact whenever no piece is `<UNK>`.
//!
//! A pattern like `\w+` shows why GPT-2's regex is what it is: it matches only
//! words, so punctuation and spaces fall between matches and are lost
//! (text the pattern does not match is dropped; see `examples/why_gpt2_regex.rs`).
//!
//! ```
//! use towel_tokenizer::{Pattern, RegexSplitTokenizer, Tokenizer, VocabOptions};
//! let t = RegexSplitTokenizer::from_corpus(Pattern::gpt2(), "hello world, hello world!", VocabOptions::default())?;
//! let ids = t.encode("hello world!")?;
//! assert_eq!(t.decode(&ids)?, "hello world!");
//! let ids = t.encode("hello there!")?;
//! assert_eq!(t.decode(&ids)?, "hello<UNK>!");
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use std::path::Path;

use super::simple::{bad_vocab_file, PieceVocab, VocabFile, VocabOptions};
use crate::{Pattern, PieceCounts, Tokenizer, TokenizerError};

/// One id per known piece of a pre-tokenization pattern; `<UNK>` for the rest.
#[derive(Debug, Clone)]
pub struct RegexSplitTokenizer {
    pattern: Pattern,
    vocab: PieceVocab,
}

impl RegexSplitTokenizer {
    /// Count the pieces of a corpus under `pattern`.
    pub fn count_corpus(pattern: &Pattern, corpus: &str) -> Result<PieceCounts, TokenizerError> {
        let mut counts = PieceCounts::default();
        for piece in pattern.pieces(corpus) {
            counts.add(piece?);
        }
        Ok(counts)
    }

    /// Learn a vocabulary of pieces from a corpus.
    pub fn from_corpus(
        pattern: Pattern,
        corpus: &str,
        opts: VocabOptions,
    ) -> Result<Self, TokenizerError> {
        let counts = Self::count_corpus(&pattern, corpus)?;
        Self::from_counts(pattern, &counts, opts)
    }

    /// Build a vocabulary from piece counts (made with the same pattern).
    pub fn from_counts(
        pattern: Pattern,
        counts: &PieceCounts,
        opts: VocabOptions,
    ) -> Result<Self, TokenizerError> {
        Ok(RegexSplitTokenizer {
            pattern,
            vocab: PieceVocab::learn(counts, opts, "regex")?,
        })
    }

    /// The pattern.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// The pieces, id = position; `tokens()[0]` is `<UNK>`.
    pub fn tokens(&self) -> &[String] {
        self.vocab.tokens()
    }

    /// The id of `<UNK>`: always 0.
    pub fn unk_id(&self) -> u32 {
        0
    }

    /// Save the pattern and vocabulary as JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<(), TokenizerError> {
        VocabFile::new(
            "regex",
            Some(self.pattern.as_str().to_string()),
            Some(0),
            self.tokens().to_vec(),
        )
        .save(path)
    }

    /// Load a vocabulary written by [`RegexSplitTokenizer::save`].
    pub fn load(path: &Path) -> Result<Self, TokenizerError> {
        let file = VocabFile::load(path, "regex")?;
        let bad = |message: String| bad_vocab_file(path, message);
        let source = file
            .pattern
            .ok_or_else(|| bad("the regex family needs a \"pattern\"".into()))?;
        let pattern = Pattern::new(&source).map_err(|e| bad(e.to_string()))?;
        let vocab = PieceVocab::from_tokens(file.tokens).map_err(bad)?;
        Ok(RegexSplitTokenizer { pattern, vocab })
    }

    fn pattern_name(&self) -> &str {
        self.pattern.builtin_kind().map_or("custom", |b| b.name())
    }
}

impl Tokenizer for RegexSplitTokenizer {
    fn name(&self) -> String {
        format!(
            "regex {} ({} pieces + <UNK>)",
            self.pattern_name(),
            self.vocab.len() - 1
        )
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        self.pattern
            .pieces(text)
            .map(|p| p.map(|p| self.vocab.id(p)))
            .collect()
    }

    fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>, TokenizerError> {
        self.vocab.join(ids, b"", || self.name())
    }

    fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    fn token_bytes(&self, id: u32) -> Result<Vec<u8>, TokenizerError> {
        Ok(self.vocab.token(id, || self.name())?.as_bytes().to_vec())
    }
}
