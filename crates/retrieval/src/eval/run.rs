//! TREC run files: `qid Q0 docid rank score tag`, one retrieved doc a line.

use std::path::Path;

use rustc_hash::FxHashMap;

use super::Run;
use crate::error::RetrievalError;
use crate::text::{data_lines, read_text};

const EXPECTED: &str = "TREC run lines `qid Q0 docid rank score tag`";

/// Read a TREC run file (see [`parse_trec_run`]).
pub fn read_trec_run(path: &Path) -> Result<Run, RetrievalError> {
    let text = read_text(path)?;
    parse_trec_run(&text, &path.display().to_string())
}

/// Parse TREC run text: six whitespace-separated columns `qid Q0 docid rank
/// score tag`. The second and last columns are not used; the rank must be an
/// integer but, as in trec_eval, only the score orders the docs. Each query's
/// docs keep the file order. A doc listed twice for a query, a NaN score, or
/// a file without lines is an error. `origin` names the source in messages.
///
/// ```
/// let run = towel_retrieval::eval::parse_trec_run("q1 Q0 d3 1 7.5 bm25\nq1 Q0 d1 2 6 bm25\n", "run")?;
/// assert_eq!(run["q1"], vec![("d3".to_string(), 7.5), ("d1".to_string(), 6.0)]);
/// # Ok::<(), towel_retrieval::RetrievalError>(())
/// ```
pub fn parse_trec_run(text: &str, origin: &str) -> Result<Run, RetrievalError> {
    let mut run = Run::new();
    // (qid, docid) -> line, to report duplicates as trec_eval would refuse them.
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    let mut seen: FxHashMap<(&str, &str), usize> =
        FxHashMap::with_capacity_and_hasher(lines, Default::default());
    // Lines of one query are usually together: collect them, then move them
    // into `run` when the query changes (one map lookup per query, not per line).
    let mut cur_qid = "";
    let mut cur: Vec<(String, f64)> = Vec::new();
    for (line_no, raw) in data_lines(text) {
        // Columns are split on ASCII whitespace, as trec_eval's reader does.
        let mut fields = [""; 6];
        let mut n = 0;
        for tok in raw.split_ascii_whitespace() {
            if n < fields.len() {
                fields[n] = tok;
            }
            n += 1;
        }
        if n == 0 {
            continue;
        }
        if n != 6 {
            return Err(RetrievalError::format(
                origin,
                line_no,
                format!("expected 6 columns `qid Q0 docid rank score tag` (TREC run), found {n}"),
            ));
        }
        let [qid, _, docid, rank, score, _] = fields;
        if rank.parse::<i64>().is_err() {
            return Err(RetrievalError::format(
                origin,
                line_no,
                format!(
                    "rank `{rank}` is not an integer (4th column of `qid Q0 docid rank score tag`)"
                ),
            ));
        }
        let score: f64 = match score.parse::<f64>() {
            Ok(s) if !s.is_nan() => s,
            _ => {
                return Err(RetrievalError::format(
                    origin,
                    line_no,
                    format!("score `{score}` is not a number; the 5th column of a TREC run is the retrieval score"),
                ))
            }
        };
        if let Some(&first_line) = seen.get(&(qid, docid)) {
            return Err(RetrievalError::DuplicateDoc {
                origin: origin.to_string(),
                line: line_no,
                first_line,
                qid: qid.to_string(),
                docid: docid.to_string(),
            });
        }
        seen.insert((qid, docid), line_no);
        if qid != cur_qid {
            flush(&mut run, cur_qid, &mut cur);
            cur_qid = qid;
        }
        cur.push((docid.to_string(), score));
    }
    flush(&mut run, cur_qid, &mut cur);
    if run.is_empty() {
        return Err(RetrievalError::Empty {
            origin: origin.to_string(),
            what: "retrieved docs",
            expected: EXPECTED,
        });
    }
    Ok(run)
}

fn flush(run: &mut Run, qid: &str, docs: &mut Vec<(String, f64)>) {
    if !docs.is_empty() {
        run.entry(qid.to_string()).or_default().append(docs);
    }
}

/// Write `run` as a TREC run file, atomically (a reader sees the old file or
/// the complete new one). Queries in id order; each query's docs in vector
/// order, ranked 1, 2, ...; scores in Rust's shortest round-trip form, so
/// [`read_trec_run`] gives back exactly the same scores. Ids and the tag
/// must be non-empty without whitespace, and scores must not be NaN; this is
/// checked before anything is written.
pub fn write_trec_run(path: &Path, run: &Run, tag: &str) -> Result<(), RetrievalError> {
    check_token("tag", tag)?;
    for (qid, ranking) in run {
        check_token("query id", qid)?;
        for (docid, score) in ranking {
            check_token("doc id", docid)?;
            if score.is_nan() {
                return Err(RetrievalError::InvalidRunField {
                    what: "score of doc",
                    value: format!("{docid}` for query `{qid}"),
                    problem: "is NaN; give every doc a number",
                });
            }
        }
    }
    towel_data::write_atomic_with(path, |w| {
        for (qid, ranking) in run {
            for (rank, (docid, score)) in ranking.iter().enumerate() {
                writeln!(w, "{qid} Q0 {docid} {} {} {tag}", rank + 1, Score(*score))?;
            }
        }
        Ok(())
    })
    .map_err(RetrievalError::from)
}

/// A run's score as written: Rust's shortest round-trip form, in exponent
/// form from 10^16 on and below 10^-5 (RRF with k = 1e308 wrote scores of
/// 300 digits).
struct Score(f64);

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0.abs();
        if a >= 1e16 || (a != 0.0 && a < 1e-5) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

fn check_token(what: &'static str, value: &str) -> Result<(), RetrievalError> {
    let problem = if value.is_empty() {
        "is empty"
    } else if value.chars().any(char::is_whitespace) {
        "contains whitespace, which would split the run's columns"
    } else {
        return Ok(());
    };
    Err(RetrievalError::InvalidRunField {
        what,
        value: value.to_string(),
        problem,
    })
}
