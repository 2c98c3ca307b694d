//! Reading relevance judgments: BEIR TSV or TREC qrels, detected from the file.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use super::Qrels;
use crate::error::RetrievalError;
use crate::text::{data_lines, read_text};

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
pub fn read_qrels(path: &Path) -> Result<Qrels, RetrievalError> {
    let text = read_text(path)?;
    parse_qrels(&text, &path.display().to_string())
}

/// Parse qrels text. `origin` names the source in error messages.
///
/// The first data line decides the layout: three TAB-separated fields (or
/// three whitespace-separated ones) is BEIR, four whitespace-separated fields
/// is TREC (`qid iter docid rel`, `iter` ignored). In BEIR files a first line
/// whose score is not an integer is the header (`query-id corpus-id score`).
/// CRLF line ends, a UTF-8 BOM and blank lines are accepted. A pair judged
/// twice is an error naming both lines, as trec_eval refuses it
/// (`form_res_rels: duplicate docs`): [`RetrievalError::ConflictingJudgment`]
/// with different grades, [`RetrievalError::DuplicateJudgment`] with the same.
///
/// ```
/// let q = towel_retrieval::eval::parse_qrels("301 0 FBIS3-10082 1\n301 0 FBIS3-10169 0\n", "trec")?;
/// assert_eq!(q["301"]["FBIS3-10082"], 1);
/// # Ok::<(), towel_retrieval::RetrievalError>(())
/// ```
pub fn parse_qrels(text: &str, origin: &str) -> Result<Qrels, RetrievalError> {
    let mut qrels = Qrels::new();
    // (qid, docid) -> (line, grade) of its judgment.
    let mut seen: FxHashMap<(&str, &str), (usize, i32)> = FxHashMap::default();
    let mut layout = None;
    for (line_no, line) in data_lines(text) {
        let first_data_line = layout.is_none();
        let (qid, docid, rel) = match *layout.get_or_insert_with(|| detect(line)) {
            Layout::Beir => {
                let fields = beir_fields(line);
                if fields.len() != 3 {
                    return Err(RetrievalError::format(
                        origin,
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
                    return Err(RetrievalError::format(
                        origin,
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
            return Err(RetrievalError::format(
                origin,
                line_no,
                "empty query id or doc id",
            ));
        }
        let rel: i32 = rel.parse().map_err(|_| {
            RetrievalError::format(
                origin,
                line_no,
                format!("relevance `{rel}` is not an integer; qrels grades are whole numbers (> 0 relevant, 0 or negative non-relevant)"),
            )
        })?;
        if let Some(&(first_line, first)) = seen.get(&(qid, docid)) {
            let (qid, docid, origin) = (qid.to_string(), docid.to_string(), origin.to_string());
            return Err(if first == rel {
                RetrievalError::DuplicateJudgment {
                    origin,
                    line: line_no,
                    first_line,
                    qid,
                    docid,
                }
            } else {
                RetrievalError::ConflictingJudgment {
                    origin,
                    line: line_no,
                    first_line,
                    qid,
                    docid,
                    first,
                    second: rel,
                }
            });
        }
        seen.insert((qid, docid), (line_no, rel));
        qrels
            .entry(qid.to_string())
            .or_default()
            .insert(docid.to_string(), rel);
    }
    if qrels.is_empty() {
        return Err(RetrievalError::Empty {
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

/// The queries and test qrels of a BEIR dataset folder:
/// `(dir/queries.jsonl, dir/qrels/test.tsv)`, or an error naming the missing file.
pub fn beir_paths(dir: &Path) -> Result<(PathBuf, PathBuf), RetrievalError> {
    let queries = dir.join("queries.jsonl");
    let qrels = dir.join("qrels").join("test.tsv");
    for p in [&queries, &qrels] {
        if !p.is_file() {
            return Err(RetrievalError::MissingBeirFile {
                dir: dir.to_path_buf(),
                missing: p.strip_prefix(dir).unwrap_or(p).to_path_buf(),
            });
        }
    }
    Ok((queries, qrels))
}
