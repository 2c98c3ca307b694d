//! The errors of this crate: each says what is wrong and, where it can, what to do.
//!
//! Three general kinds, then the few errors that are particular to tokenizers:
//!
//! - [`TokenizerError::Io`]: a file could not be read or written (path + the
//!   operating system's error as the `source`);
//! - [`TokenizerError::Format`]: the contents of a file (or of in-memory
//!   data named by a label) are not what its format requires, with the line
//!   when there is one;
//! - [`TokenizerError::Config`]: settings that cannot work.
//!
//! A variant with a `#[source]` does not repeat the source in its own
//! message: a caller that prints the whole chain (`{:#}` with anyhow, as the
//! CLI does) shows `cannot read x.json: No such file or directory` once.

use std::path::PathBuf;

/// Everything that can go wrong building or using a tokenizer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenizerError {
    /// Reading or writing a file failed. Check the path, that it exists, and
    /// its permissions; the source is the operating system's error.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done: `read`, `open` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The contents of a file, or of data named by a label, break the rules of
    /// its format (a `.tiktoken` line, GPT-2's `encoder.json`/`vocab.bpe`, a
    /// towel or HF tokenizer file, a vocabulary that is inconsistent as a
    /// whole). Fix or re-create the file; the reason says what is wrong.
    #[error("{origin}{}: {reason}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Format {
        /// The file's path, or a label for in-memory data.
        origin: String,
        /// The 1-based line, when the problem is on one line.
        line: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// Settings that cannot work (a size of 0, a missing corpus, an empty
    /// pattern, ...). Change the settings as the message says.
    #[error("invalid tokenizer settings: {0}")]
    Config(String),
    /// Finding, verifying or writing a data file failed (see
    /// [`towel_data::DataError`], whose message says what to do).
    #[error(transparent)]
    Data(#[from] towel_data::DataError),
    /// A user-supplied pre-tokenization regex did not compile: fix the regex.
    #[error("invalid pre-tokenization pattern: {0}")]
    BadPattern(String),
    /// The regex engine gave up on an input (backtracking or stack limit) at
    /// this byte offset. Simplify the pattern (avoid nested repetition and
    /// look-around over long runs), or use a built-in pattern.
    #[error("the pre-tokenization pattern failed on the input at byte {offset}: {reason}; simplify the pattern or use a built-in one (gpt2, cl100k, o200k)")]
    PatternFailed {
        /// Byte offset in the text where the engine gave up.
        offset: usize,
        /// The engine's message.
        reason: String,
    },
    /// Decoded bytes (or input bytes for a text-level tokenizer) are not valid UTF-8.
    #[error("invalid UTF-8 at byte offset {offset}{context}")]
    InvalidUtf8 {
        /// Offset of the first byte that is not part of a valid UTF-8 sequence.
        offset: usize,
        /// Where the bytes came from and what to do, e.g. `" in the decoded tokens; use decode_lossy ..."`.
        context: &'static str,
    },
    /// A corpus file is not valid UTF-8: convert it, or read it lossily.
    #[error("{}: not valid UTF-8 at byte offset {offset}; convert the file to UTF-8 (or pass --lossy to replace invalid bytes with U+FFFD)", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first invalid byte.
        offset: u64,
    },
    /// A token id that the vocabulary does not have (`decode`, or one id):
    /// the ids were made by another tokenizer, or damaged.
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
    /// Text given to `encode` contains a special token that is not allowed:
    /// allow it, or encode it as ordinary text.
    #[error("the text contains the special token {token:?} at byte {offset}, which is disallowed: allow it to encode it as its id (allowed_special; CLI: --allowed-special {token}), or disallow none to encode it as ordinary text (CLI: --disallowed-special none)")]
    DisallowedSpecial {
        /// The special token found.
        token: String,
        /// Its byte offset in the text.
        offset: usize,
    },
    /// A vocabulary was to be learned from an empty corpus: give some text.
    #[error("the training corpus is empty; a {family} vocabulary needs some text to learn from")]
    EmptyCorpus {
        /// The tokenizer family.
        family: &'static str,
    },
    /// BPE training: the target vocabulary cannot hold the 256 byte tokens
    /// plus the special tokens. Ask for a larger size.
    #[error("vocab size {vocab_size} is too small: it must be at least {min} (256 byte tokens + {specials} special tokens)")]
    VocabTooSmall {
        /// The requested size.
        vocab_size: u32,
        /// 256 + number of special tokens.
        min: u32,
        /// Number of special tokens.
        specials: usize,
    },
    /// A special token is empty or given twice: give distinct, non-empty ones.
    #[error("bad special token {0:?}: special tokens must be non-empty and distinct")]
    BadSpecialToken(String),
    /// An encoding name that is not built in: use one of those listed.
    #[error("unknown encoding {name:?}; known encodings: {known}")]
    UnknownEncoding {
        /// The name given.
        name: String,
        /// The known names, comma separated.
        known: String,
    },
    /// A tokenizer family name that is not built in: use one of those listed.
    #[error("unknown tokenizer family `{0}`; families are: bytes, char, word, regex")]
    UnknownFamily(String),
}

impl TokenizerError {
    /// A [`TokenizerError::Format`] error for the whole of `origin`.
    pub(crate) fn format(origin: impl std::fmt::Display, reason: impl Into<String>) -> Self {
        TokenizerError::Format {
            origin: origin.to_string(),
            line: None,
            reason: reason.into(),
        }
    }

    /// A [`TokenizerError::Format`] error on one line of `origin`.
    pub(crate) fn format_at(
        origin: impl std::fmt::Display,
        line: usize,
        reason: impl Into<String>,
    ) -> Self {
        TokenizerError::Format {
            origin: origin.to_string(),
            line: Some(line),
            reason: reason.into(),
        }
    }

    /// The error of data now known by name (a file, a named encoding): a
    /// [`TokenizerError::Format`] or [`TokenizerError::Config`] error about
    /// its contents becomes a format error of `origin`.
    pub(crate) fn with_origin(self, origin: impl std::fmt::Display) -> Self {
        match self {
            TokenizerError::Format { line, reason, .. } => TokenizerError::Format {
                origin: origin.to_string(),
                line,
                reason,
            },
            TokenizerError::Config(reason) => TokenizerError::format(origin, reason),
            other => other,
        }
    }

    /// A [`TokenizerError::PatternFailed`] in a stretch of text that starts
    /// at byte `base` of the whole text, with the offset made absolute.
    pub(crate) fn offset_by(self, base: usize) -> Self {
        match self {
            TokenizerError::PatternFailed { offset, reason } => TokenizerError::PatternFailed {
                offset: offset + base,
                reason,
            },
            other => other,
        }
    }

    /// A [`TokenizerError::Io`] error.
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        TokenizerError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Read a whole file, naming it in the error.
pub(crate) fn read_file(path: &std::path::Path) -> Result<Vec<u8>, TokenizerError> {
    std::fs::read(path).map_err(|e| TokenizerError::io("read", path, e))
}
