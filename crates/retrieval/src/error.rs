//! The one error type of this crate.
//!
//! Each message already names the underlying cause (I/O error, JSON error), so
//! the variants carry it as a plain field rather than as `source()`: printed
//! as a chain (`anyhow`'s `{:#}`) the cause would otherwise appear twice.

use std::path::PathBuf;

/// Everything that can go wrong reading a corpus, building, saving or loading
/// an index. Messages say what is wrong and, where it helps, what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RetrievalError {
    /// A parameter out of its range or a name that is not known.
    #[error("invalid {what}: {detail}")]
    InvalidParam { what: &'static str, detail: String },

    /// A custom token pattern that does not compile.
    #[error("token pattern `{pattern}` is not a valid regex: {err}")]
    BadPattern {
        pattern: String,
        err: Box<regex::Error>,
    },

    /// A corpus with no documents.
    #[error("{path}: the corpus has no documents; check the path and the file format")]
    EmptyCorpus { path: PathBuf },

    /// Two documents with the same id.
    #[error("{path}: duplicate document id `{id}` ({where_}); document ids must be unique")]
    DuplicateId {
        path: PathBuf,
        id: String,
        where_: String,
    },

    /// A JSONL record without a required field (or with one of the wrong type).
    #[error("{path}:{line}: {detail}")]
    MissingField {
        path: PathBuf,
        line: usize,
        detail: String,
    },

    /// A JSONL line that is not a JSON object.
    #[error("{path}:{line}: not a valid JSON object ({err}); every line of a JSONL file must be one JSON object")]
    MalformedJson {
        path: PathBuf,
        line: usize,
        err: serde_json::Error,
    },

    /// Input bytes that are not UTF-8.
    #[error("{path}{}: not valid UTF-8 (at byte {offset}); convert the file to UTF-8 first", .line.map(|l| format!(":{l}")).unwrap_or_default())]
    NotUtf8 {
        path: PathBuf,
        line: Option<usize>,
        offset: usize,
    },

    /// A malformed line in a TSV file.
    #[error("{path}:{line}: {detail}")]
    BadTsv {
        path: PathBuf,
        line: usize,
        detail: String,
    },

    /// TF-IDF pruning (`min_df` / `max_df`) left no term, or the corpus has none.
    #[error(
        "no terms remain{detail}; lower min_df, raise max_df, or check the stopwords and documents"
    )]
    NoTerms { detail: String },

    /// A file that is not a towel index at all.
    #[error("{path}: not a towel index (bad magic bytes); build one with `towel index`")]
    NotAnIndex { path: PathBuf },

    /// An index written by another format version.
    #[error("{path}: index format version {found}, this towel reads version {supported}; rebuild the index with `towel index`")]
    IndexVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    /// An index file shorter than its header says.
    #[error("{path}: index is truncated ({actual} bytes, the header says {expected}); rebuild it with `towel index`")]
    IndexTruncated {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },

    /// An index whose checksum or structure is wrong.
    #[error("{path}: index is corrupted ({detail}); rebuild it with `towel index`")]
    IndexCorrupt { path: PathBuf, detail: String },

    /// Any other I/O error, with the path it happened on.
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },
}

impl RetrievalError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RetrievalError::Io {
            path: path.into(),
            err: source,
        }
    }

    pub(crate) fn param(what: &'static str, detail: impl Into<String>) -> Self {
        RetrievalError::InvalidParam {
            what,
            detail: detail.into(),
        }
    }
}

impl From<towel_data::DataError> for RetrievalError {
    fn from(e: towel_data::DataError) -> Self {
        match e {
            towel_data::DataError::Io { path, source } => RetrievalError::Io { path, err: source },
            other => RetrievalError::Io {
                path: PathBuf::new(),
                err: std::io::Error::other(other.to_string()),
            },
        }
    }
}
