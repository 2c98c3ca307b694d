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
    /// BPE training: the target vocabulary cannot hold the 256 byte tokens
    /// plus the special tokens.
    #[error("vocab size {vocab_size} is too small: it must be at least {min} (256 byte tokens + {specials} special tokens)")]
    VocabTooSmall {
        /// The requested size.
        vocab_size: u32,
        /// 256 + number of special tokens.
        min: u32,
        /// Number of special tokens.
        specials: usize,
    },
    /// BPE training: the corpus had no text to learn from.
    #[error("the training corpus is empty: give at least one non-empty text file")]
    EmptyCorpus,
    /// A special token is empty or given twice.
    #[error("bad special token {0:?}: special tokens must be non-empty and distinct")]
    BadSpecialToken(String),
    /// A corpus or tokenizer file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        error: std::io::Error,
    },
    /// A corpus file is not valid UTF-8.
    #[error("{path}: not valid UTF-8 at byte offset {offset}; convert the file to UTF-8 (or pass --lossy to replace invalid bytes with U+FFFD)")]
    NotUtf8 {
        /// The file.
        path: std::path::PathBuf,
        /// Byte offset of the first invalid byte.
        offset: u64,
    },
    /// A tokenizer file could not be understood.
    #[error("{path}: not a tokenizer file towel can read: {reason}")]
    BadTokenizerFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
}
