//! The word-level tokenizer: one token per word or run of punctuation.
//!
//! **Split rule:** the regex [`WORD_PATTERN`], `\w+|[^\w\s]+` (Unicode-aware,
//! the rule of NLTK's `wordpunct_tokenize`): runs of word characters (letters,
//! digits, marks, `_`), and runs of anything that is neither a word character
//! nor whitespace. Whitespace separates pieces and is dropped.
//!
//! **Vocabulary:** `<UNK>` (id 0), then the pieces of the training corpus seen
//! at least `min_count` times, most frequent first (ties in byte order), at
//! most `max_size` ids in all. Anything else (a misspelling, a name, an emoji)
//! becomes `<UNK>`: the fundamental weakness that subword tokenizers fix.
//!
//! **Decoding is lossy:** pieces are joined with single spaces, so the
//! original whitespace is not restored (`"Hi, you"` decodes as `"Hi , you"`),
//! and `<UNK>` decodes to the text `<UNK>`.
//!
//! ```
//! use towel_tokenizer::{Tokenizer, VocabOptions, WordTokenizer};
//! let t = WordTokenizer::from_corpus("the cat, the hat", VocabOptions::default())?;
//! assert_eq!(t.tokens(), ["<UNK>", "the", ",", "cat", "hat"]);
//! let ids = t.encode("the dog, the cat")?;
//! assert_eq!(ids, [1, 0, 2, 1, 3]);
//! assert_eq!(t.decode(&ids)?, "the <UNK> , the cat");
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use super::simple::{bad_vocab_file, PieceVocab, VocabFile, VocabOptions};
use crate::{PieceCounts, Tokenizer, TokenizerError};

/// The word split: `\w+|[^\w\s]+`.
pub const WORD_PATTERN: &str = r"\w+|[^\w\s]+";

fn word_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(WORD_PATTERN).expect("word pattern compiles"))
}

/// The words of `text` under [`WORD_PATTERN`].
///
/// ```
/// let words: Vec<&str> = towel_tokenizer::families::word::words("Don't panic!!  42").collect();
/// assert_eq!(words, ["Don", "'", "t", "panic", "!!", "42"]);
/// ```
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    word_regex().find_iter(text).map(|m| m.as_str())
}

/// One id per known word; `<UNK>` for the rest.
#[derive(Debug, Clone)]
pub struct WordTokenizer {
    vocab: PieceVocab,
}

impl WordTokenizer {
    /// Count the words of a corpus (to build several vocabularies from one pass).
    pub fn count_corpus(corpus: &str) -> PieceCounts {
        let mut counts = PieceCounts::default();
        for w in words(corpus) {
            counts.add(w);
        }
        counts
    }

    /// Learn a vocabulary from a corpus.
    pub fn from_corpus(corpus: &str, opts: VocabOptions) -> Result<Self, TokenizerError> {
        Self::from_counts(&Self::count_corpus(corpus), opts)
    }

    /// Build a vocabulary from word counts.
    pub fn from_counts(counts: &PieceCounts, opts: VocabOptions) -> Result<Self, TokenizerError> {
        Ok(WordTokenizer {
            vocab: PieceVocab::learn(counts, opts, "word")?,
        })
    }

    /// The words, id = position; `tokens()[0]` is `<UNK>`.
    pub fn tokens(&self) -> &[String] {
        self.vocab.tokens()
    }

    /// The id of `<UNK>`: always 0.
    pub fn unk_id(&self) -> u32 {
        0
    }

    /// Save the vocabulary as JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<(), TokenizerError> {
        VocabFile::new("word", None, Some(0), self.tokens().to_vec()).save(path)
    }

    /// Load a vocabulary written by [`WordTokenizer::save`].
    pub fn load(path: &Path) -> Result<Self, TokenizerError> {
        let file = VocabFile::load(path, "word")?;
        let vocab = PieceVocab::from_tokens(file.tokens)
            .map_err(|message| bad_vocab_file(path, message))?;
        Ok(WordTokenizer { vocab })
    }
}

impl Tokenizer for WordTokenizer {
    fn name(&self) -> String {
        format!("word ({} words + <UNK>)", self.vocab.len() - 1)
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        Ok(words(text).map(|w| self.vocab.id(w)).collect())
    }

    /// The words, separated by single spaces.
    fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>, TokenizerError> {
        self.vocab.join(ids, b" ", || self.name())
    }

    fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    fn token_bytes(&self, id: u32) -> Result<Vec<u8>, TokenizerError> {
        Ok(self.vocab.token(id, || self.name())?.as_bytes().to_vec())
    }

    fn count(&self, text: &str) -> Result<usize, TokenizerError> {
        Ok(words(text).count())
    }
}
