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
    /// Decoded bytes (or input bytes for a text-level tokenizer) are not valid UTF-8.
    #[error("invalid UTF-8 at byte offset {offset}{context}")]
    InvalidUtf8 {
        /// Offset of the first byte that is not part of a valid UTF-8 sequence.
        offset: usize,
        /// Where the bytes came from and what to do, e.g. `" in the decoded tokens; use decode_lossy ..."`.
        context: &'static str,
    },
    /// A token id that the vocabulary does not have (`decode`, or one id).
    #[error("token id {id}{at} is not in the vocabulary of {tokenizer} (valid ids are 0..={max})",
        at = position.map(|p| format!(" (at position {p})")).unwrap_or_default(),
        max = vocab_size.saturating_sub(1))]
    UnknownId {
        /// The offending id.
        id: u32,
        /// Its index in the id list, when decoding a list.
        position: Option<usize>,
        /// The tokenizer's name.
        tokenizer: String,
        /// Its vocabulary size (highest id + 1).
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
    /// A special token is empty or given twice.
    #[error("bad special token {0:?}: special tokens must be non-empty and distinct")]
    BadSpecialToken(String),
    /// A corpus file is not valid UTF-8.
    #[error("{path}: not valid UTF-8 at byte offset {offset}; convert the file to UTF-8 (or pass --lossy to replace invalid bytes with U+FFFD)")]
    NotUtf8 {
        /// The file.
        path: std::path::PathBuf,
        /// Byte offset of the first invalid byte.
        offset: u64,
    },
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
    /// An encoding name that is not built in.
    #[error("unknown encoding {name:?}; known encodings: {known}")]
    UnknownEncoding {
        /// The name given.
        name: String,
        /// The known names, comma separated.
        known: String,
    },
    /// A tokenizer file (towel's JSON, or one to export from: HF
    /// `tokenizer.json`, `.tiktoken`) that cannot be read or used.
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
