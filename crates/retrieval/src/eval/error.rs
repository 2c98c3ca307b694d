//! What can go wrong reading qrels and runs or writing runs.

use std::path::PathBuf;

/// An error reading or writing evaluation files. Messages name the file and
/// line, say what is wrong and what is expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The run file could not be written (nothing was replaced).
    #[error("{path}: cannot write the run: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: Box<towel_data::DataError>,
    },
    /// The file has no data lines.
    #[error(
        "{origin}: no {what} in the file (it is empty or has only a header); expected {expected}"
    )]
    Empty {
        origin: String,
        what: &'static str,
        expected: &'static str,
    },
    /// A line does not have the expected shape.
    #[error("{origin}:{line}: {message}")]
    Malformed {
        origin: String,
        line: usize,
        message: String,
    },
    /// A relevance grade that is not an integer.
    #[error("{origin}:{line}: relevance `{value}` is not an integer; qrels grades are whole numbers (> 0 relevant, 0 or negative non-relevant)")]
    BadRelevance {
        origin: String,
        line: usize,
        value: String,
    },
    /// A score that is not a number (or is NaN).
    #[error("{origin}:{line}: score `{value}` is not a number; the 5th column of a TREC run is the retrieval score")]
    BadScore {
        origin: String,
        line: usize,
        value: String,
    },
    /// The same (query, doc) pair judged twice with different grades.
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
    /// A run names the same doc twice for a query (trec_eval refuses this too).
    #[error("{origin}:{line}: query `{qid}` retrieves doc `{docid}` again (first on line {first_line}); a run lists each doc at most once per query")]
    DuplicateDoc {
        origin: String,
        line: usize,
        first_line: usize,
        qid: String,
        docid: String,
    },
    /// A value that cannot be written into a whitespace-separated run file.
    #[error("cannot write a TREC run: {what} `{value}` {problem}")]
    InvalidRunField {
        what: &'static str,
        value: String,
        problem: &'static str,
    },
    /// A BEIR dataset folder lacks a file.
    #[error("{dir}: not a BEIR dataset folder: `{missing}` is missing (expected queries.jsonl and qrels/test.tsv, as BEIR's downloads have)")]
    MissingBeirFile { dir: PathBuf, missing: PathBuf },
}

/// Read a whole text file, naming it in the error.
pub(crate) fn read_text(path: &std::path::Path) -> Result<String, EvalError> {
    std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    })
}
