//! The errors of this crate: each says what is wrong and, where it can, what to do.

/// Everything that can go wrong building or using a tokenizer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenizerError {
    /// A user-supplied pre-tokenization regex did not compile.
    #[error("invalid pre-tokenization pattern: {0}")]
    BadPattern(String),
    /// The regex engine gave up on an input (backtracking or stack limit).
    #[error("the pre-tokenization pattern failed on this input: {0}")]
    PatternFailed(String),
    /// Decoded bytes (or input bytes for a text-level tokenizer) are not valid UTF-8.
    #[error("invalid UTF-8 at byte offset {offset}{context}")]
    InvalidUtf8 {
        /// Offset of the first byte that is not part of a valid UTF-8 sequence.
        offset: usize,
        /// Where the bytes came from and what to do, e.g. `" in the decoded tokens; use decode_lossy ..."`.
        context: &'static str,
    },
    /// A token id that the vocabulary does not have.
    #[error("token id {id} is not in the vocabulary of {tokenizer} (valid ids are 0..={max})", max = vocab_size.saturating_sub(1))]
    UnknownId {
        /// The offending id.
        id: u32,
        /// The tokenizer's name.
        tokenizer: String,
        /// Its vocabulary size.
        vocab_size: usize,
    },
    /// A character that a character vocabulary without `<UNK>` has never seen.
    #[error("character {ch:?} (U+{code:04X}) at byte offset {offset} is not in the vocabulary; train on a corpus that contains it, or enable <UNK>", code = *ch as u32)]
    UnknownChar {
        /// The unseen character.
        ch: char,
        /// Its byte offset in the input.
        offset: usize,
    },
    /// A vocabulary was to be learned from an empty corpus.
    #[error("the training corpus is empty; a {family} vocabulary needs some text to learn from")]
    EmptyCorpus {
        /// The tokenizer family.
        family: &'static str,
    },
    /// A tokenizer was configured with settings that cannot work.
    #[error("invalid tokenizer settings: {0}")]
    InvalidConfig(String),
    /// A saved vocabulary file is malformed or of another family.
    #[error("{path}: not a valid towel vocabulary file: {message}")]
    BadVocabFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Reading or writing a vocabulary file failed.
    #[error("{path}: {message}")]
    VocabIo {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        message: String,
    },
    /// An unknown tokenizer family name.
    #[error("unknown tokenizer family `{0}`; families are: bytes, char, word, regex")]
    UnknownFamily(String),
}
