//! The errors of this crate: each says what is wrong and, where it can, what to do.

use std::path::PathBuf;

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
    /// A vocabulary file has a bad line (`.tiktoken` ranks, GPT-2 `vocab.bpe`).
    #[error("{file}, line {line}: {reason}")]
    VocabLine {
        /// The file (path or label).
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },
    /// A vocabulary is inconsistent as a whole (files disagree, ranks missing).
    #[error("{file}: {reason}")]
    InvalidVocab {
        /// The file (path or label).
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// Text given to `encode` contains a special token that is not allowed.
    #[error("the text contains the special token {token:?} at byte {offset}, which is disallowed: allow it to encode it as its id (allowed_special; CLI: --allowed-special {token}), or disallow none to encode it as ordinary text (CLI: --disallowed-special none)")]
    DisallowedSpecial {
        /// The special token found.
        token: String,
        /// Its byte offset in the text.
        offset: usize,
    },
    /// `decode` was given an id that is neither a rank nor a special token.
    #[error(
        "unknown token id {id} (at position {position}); this vocabulary has ids below {n_vocab}"
    )]
    UnknownToken {
        /// The bad id.
        id: u32,
        /// Its index in the id list.
        position: usize,
        /// The vocabulary size (max id + 1).
        n_vocab: u32,
    },
    /// Decoded bytes are not valid UTF-8 (use `decode_bytes` or `decode_lossy`).
    #[error("the decoded bytes are not valid UTF-8 at byte {offset}; use decode_bytes for raw bytes or decode_lossy to replace bad sequences")]
    InvalidUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// An encoding name that is not built in.
    #[error("unknown encoding {name:?}; known encodings: {known}")]
    UnknownEncoding {
        /// The name given.
        name: String,
        /// The known names, comma separated.
        known: String,
    },
    /// A towel tokenizer file (JSON) that cannot be used.
    #[error("{file}: {reason}")]
    TokenizerFile {
        /// The file (path or label).
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Finding, verifying or writing a data file failed.
    #[error(transparent)]
    Data(#[from] towel_data::DataError),
}
