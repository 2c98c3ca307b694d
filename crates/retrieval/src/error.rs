//! The one error type of this crate, for retrieval and evaluation alike.
//!
//! | kind | variants | what the user does |
//! | --- | --- | --- |
//! | I/O | [`Io`](RetrievalError::Io), [`Data`](RetrievalError::Data) | check the path, its permissions, the disk |
//! | format | [`Format`](RetrievalError::Format): origin (path or label), optional 1-based line, reason | fix the named line |
//! | configuration | [`Config`](RetrievalError::Config) | change the named parameter |
//! | domain | the others: an empty or unsuitable input, a duplicate id, a damaged index, ... | as each variant's message says |
//!
//! A variant that carries a `#[source]` does not repeat it in its own
//! message: shown as a chain (`anyhow`'s `{:#}`, as the CLI prints errors),
//! `cannot read x.tsv: No such file or directory` names the cause once.

use std::path::PathBuf;

/// Everything that can go wrong reading a corpus, queries, qrels or a run,
/// building, saving or loading an index, or writing a run. Messages say what
/// is wrong and, where it helps, what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RetrievalError {
    /// A file or folder could not be read. Check the path and its permissions.
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An output file (index, run) could not be written; a file already at
    /// that path was left as it was. Check that the folder exists, is
    /// writable and has room.
    #[error(transparent)]
    Data(#[from] towel_data::DataError),

    /// A line (or the whole input, `line: None`) that is not in the expected
    /// format: fix it as the reason says.
    #[error("{origin}{}: {reason}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
    Format {
        origin: String,
        line: Option<usize>,
        reason: String,
    },

    /// A parameter out of its range or a name that is not known: give one of
    /// the values the message lists.
    #[error("invalid {what}: {detail}")]
    Config { what: &'static str, detail: String },

    /// A corpus with no documents: check the path and the file format.
    #[error("{path}: the corpus has no documents; check the path and the file format")]
    EmptyCorpus { path: PathBuf },

    /// A path that is none of the corpus layouts: give a BEIR folder, a JSONL
    /// file or a folder of `.txt` files.
    #[error("{path}: {found}; give a folder of .txt files (one document each), a BEIR folder (with corpus.jsonl) or a JSONL file (one {{\"_id\": ..., \"text\": ...}} object a line)")]
    NotACorpus { path: PathBuf, found: &'static str },

    /// Two documents or two queries with the same id: keep one of them.
    #[error("{path}: duplicate {kind} id `{id}` ({where_}); {kind} ids must be unique")]
    DuplicateId {
        path: PathBuf,
        kind: &'static str,
        id: String,
        where_: String,
    },

    /// TF-IDF pruning (`min_df` / `max_df`) left no term, or the corpus has
    /// none: lower min_df, raise max_df, or check the stopwords and documents.
    #[error(
        "no terms remain{detail}; lower min_df, raise max_df, or check the stopwords and documents"
    )]
    NoTerms { detail: String },

    /// A file that is not a towel index at all: give an index written by
    /// `towel index`.
    #[error("{path}: not a towel index (bad magic bytes); build one with `towel index`")]
    NotAnIndex { path: PathBuf },

    /// An index written by another format version: rebuild it.
    #[error("{path}: index format version {found}, this towel reads version {supported}; rebuild the index with `towel index`")]
    IndexVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    /// An index file shorter than its header says (an interrupted copy):
    /// rebuild it.
    #[error("{path}: index is truncated ({actual} bytes, the header says {expected}); rebuild it with `towel index`")]
    IndexTruncated {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },

    /// An index whose checksum or structure is wrong: rebuild it.
    #[error("{path}: index is corrupted ({detail}); rebuild it with `towel index`")]
    IndexCorrupt { path: PathBuf, detail: String },

    /// A qrels or run file without a single data line: check that it is the
    /// right file.
    #[error(
        "{origin}: no {what} in the file (it is empty or has only a header); expected {expected}"
    )]
    Empty {
        origin: String,
        what: &'static str,
        expected: &'static str,
    },

    /// The same (query, doc) pair judged twice with different grades: keep
    /// the right one.
    #[error("{origin}:{line}: query `{qid}` judges doc `{docid}` as {second}, but line {first_line} judged it {first}; keep one judgment per query and doc")]
    ConflictingJudgment {
        origin: String,
        line: usize,
        first_line: usize,
        qid: String,
        docid: String,
        first: i32,
        second: i32,
    },

    /// The same (query, doc) pair judged twice with the same grade: delete
    /// one of the lines. trec_eval refuses such a qrels file too
    /// (`form_res_rels: duplicate docs`); pytrec_eval reads qrels into a dict,
    /// where the last line would silently win.
    #[error("{origin}:{line}: query `{qid}` judges doc `{docid}` again (first on line {first_line}); keep one judgment per query and doc")]
    DuplicateJudgment {
        origin: String,
        line: usize,
        first_line: usize,
        qid: String,
        docid: String,
    },

    /// A run names the same doc twice for a query (trec_eval refuses this
    /// too): keep its first, best-ranked line.
    #[error("{origin}:{line}: query `{qid}` retrieves doc `{docid}` again (first on line {first_line}); a run lists each doc at most once per query")]
    DuplicateDoc {
        origin: String,
        line: usize,
        first_line: usize,
        qid: String,
        docid: String,
    },

    /// A value that cannot be written into a whitespace-separated run file:
    /// rename the id or tag, or give the doc a score.
    #[error("cannot write a TREC run: {what} `{value}` {problem}")]
    InvalidRunField {
        what: &'static str,
        value: String,
        problem: &'static str,
    },

    /// A BEIR dataset folder lacks a file: point at the folder that has
    /// `queries.jsonl` and `qrels/test.tsv`.
    #[error("{dir}: not a BEIR dataset folder: `{missing}` is missing (expected queries.jsonl and qrels/test.tsv, as BEIR's downloads have)")]
    MissingBeirFile { dir: PathBuf, missing: PathBuf },
}

impl RetrievalError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RetrievalError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn param(what: &'static str, detail: impl Into<String>) -> Self {
        RetrievalError::Config {
            what,
            detail: detail.into(),
        }
    }

    /// A [`RetrievalError::Format`] error at a line of `origin`.
    pub(crate) fn format(origin: &str, line: usize, reason: impl Into<String>) -> Self {
        RetrievalError::Format {
            origin: origin.to_string(),
            line: Some(line),
            reason: reason.into(),
        }
    }
}
