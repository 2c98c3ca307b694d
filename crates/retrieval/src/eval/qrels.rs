//! Reading relevance judgments: BEIR TSV or TREC qrels, detected from the file.

use std::collections::btree_map::Entry;
use std::path::{Path, PathBuf};

use super::{EvalError, Qrels};

/// The two qrels layouts [`parse_qrels`] understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// BEIR: `query-id<TAB>corpus-id<TAB>score`, usually with that header.
    Beir,
    /// TREC: `qid iter docid rel`, whitespace separated, no header.
    Trec,
}

const EXPECTED: &str =
    "BEIR TSV lines `query-id<TAB>corpus-id<TAB>score` or TREC lines `qid iter docid rel`";

/// Read a qrels file; the layout is detected (see [`parse_qrels`]).
pub fn read_qrels(path: &Path) -> Result<Qrels, EvalError> {
    let text = super::error::read_text(path)?;
    parse_qrels(&text, &path.display().to_string())
}

/// Parse qrels text. `origin` names the source in error messages.
///
/// The first data line decides the layout: three TAB-separated fields (or
/// three whitespace-separated ones) is BEIR, four whitespace-separated fields
/// is TREC (`qid iter docid rel`, `iter` ignored). In BEIR files a first line
/// whose score is not an integer is the header (`query-id corpus-id score`).
/// CRLF line ends, a UTF-8 BOM and blank lines are accepted. A pair judged
/// twice with the same grade is kept once; with different grades it is an
/// error.
///
/// ```
/// let q = towel_retrieval::eval::parse_qrels("301 0 FBIS3-10082 1\n301 0 FBIS3-10169 0\n", "trec")?;
/// assert_eq!(q["301"]["FBIS3-10082"], 1);
/// # Ok::<(), towel_retrieval::eval::EvalError>(())
/// ```
pub fn parse_qrels(text: &str, origin: &str) -> Result<Qrels, EvalError> {
    let text = towel_data::text::strip_bom(text);
    let mut qrels = Qrels::new();
    let mut layout = None;
    let malformed = |line: usize, message: String| EvalError::Malformed {
        origin: origin.to_string(),
        line,
        message,
    };
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let first_data_line = layout.is_none();
        let this_layout = *layout.get_or_insert_with(|| detect(line));
        let (qid, docid, rel) = match this_layout {
            Layout::Beir => {
                let fields = beir_fields(line);
                if fields.len() != 3 {
                    return Err(malformed(
                        line_no,
                        format!(
                            "expected 3 columns `query-id<TAB>corpus-id<TAB>score` (BEIR qrels, as the first line), found {}",
                            fields.len()
                        ),
                    ));
                }
                if first_data_line && fields[2].parse::<i32>().is_err() {
                    continue; // the header
                }
                (fields[0], fields[1], fields[2])
            }
            Layout::Trec => {
                let fields: Vec<&str> = line.split_ascii_whitespace().collect();
                if fields.len() != 4 {
                    return Err(malformed(
                        line_no,
                        format!(
                            "expected 4 columns `qid iter docid rel` (TREC qrels, as the first line), found {}",
                            fields.len()
                        ),
                    ));
                }
                (fields[0], fields[2], fields[3])
            }
        };
        if qid.is_empty() || docid.is_empty() {
            return Err(malformed(line_no, "empty query id or doc id".to_string()));
        }
        let rel: i32 = rel.parse().map_err(|_| EvalError::BadRelevance {
            origin: origin.to_string(),
            line: line_no,
            value: rel.to_string(),
        })?;
        match qrels
            .entry(qid.to_string())
            .or_default()
            .entry(docid.to_string())
        {
            Entry::Vacant(v) => {
                v.insert(rel);
            }
            Entry::Occupied(o) if *o.get() == rel => {}
            Entry::Occupied(o) => {
                return Err(EvalError::ConflictingJudgment {
                    origin: origin.to_string(),
                    line: line_no,
                    first_line: first_judgment_line(text, this_layout, qid, docid).unwrap_or(0),
                    qid: qid.to_string(),
                    docid: docid.to_string(),
                    first: *o.get(),
                    second: rel,
                });
            }
        }
    }
    if qrels.is_empty() {
        return Err(EvalError::Empty {
            origin: origin.to_string(),
            what: "judgments",
            expected: EXPECTED,
        });
    }
    Ok(qrels)
}

fn detect(line: &str) -> Layout {
    if beir_fields(line).len() == 3 || line.split_ascii_whitespace().count() == 3 {
        Layout::Beir
    } else {
        Layout::Trec
    }
}

/// BEIR fields: split on TABs when there are any (ids may contain spaces),
/// else on whitespace.
fn beir_fields(line: &str) -> Vec<&str> {
    if line.contains('\t') {
        line.split('\t').map(str::trim).collect()
    } else {
        line.split_ascii_whitespace().collect()
    }
}

/// Line number of the first judgment of (qid, docid); only for error messages.
fn first_judgment_line(text: &str, layout: Layout, qid: &str, docid: &str) -> Option<usize> {
    text.lines().enumerate().find_map(|(i, raw)| {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let hit = match layout {
            Layout::Beir => {
                let f = beir_fields(line);
                f.len() == 3 && f[0] == qid && f[1] == docid
            }
            Layout::Trec => {
                let f: Vec<&str> = line.split_ascii_whitespace().collect();
                f.len() == 4 && f[0] == qid && f[2] == docid
            }
        };
        hit.then_some(i + 1)
    })
}

/// The queries and test qrels of a BEIR dataset folder:
/// `(dir/queries.jsonl, dir/qrels/test.tsv)`, or an error naming the missing file.
pub fn beir_paths(dir: &Path) -> Result<(PathBuf, PathBuf), EvalError> {
    let queries = dir.join("queries.jsonl");
    let qrels = dir.join("qrels").join("test.tsv");
    for p in [&queries, &qrels] {
        if !p.is_file() {
            return Err(EvalError::MissingBeirFile {
                dir: dir.to_path_buf(),
                missing: p.strip_prefix(dir).unwrap_or(p).to_path_buf(),
            });
        }
    }
    Ok((queries, qrels))
}
