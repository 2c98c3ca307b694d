//! Reading documents and queries: BEIR folders, JSONL files, folders of text
//! files, query JSONL/TSV files.
//!
//! Every reader checks what the indexer and the evaluation rely on and says
//! where it failed: an empty corpus, a duplicate or empty document or query
//! id, a missing field, a line that is not a JSON object (with its line
//! number), bytes that are not UTF-8. A leading UTF-8 byte-order mark is
//! accepted everywhere.
//!
//! ```
//! use towel_retrieval::corpus::{parse_jsonl_docs, Fields};
//! let docs = parse_jsonl_docs(
//!     br#"{"_id": "d1", "title": "Cats", "text": "They purr."}"#,
//!     "mem.jsonl".as_ref(),
//!     &Fields::beir(),
//! ).unwrap();
//! assert_eq!(docs[0].full_text(), "Cats They purr.");
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;
use serde_json::Value;

use crate::error::RetrievalError;
use crate::text::{data_lines, read_bytes, utf8};

/// One document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub text: String,
}

impl Document {
    /// What gets indexed: `title + " " + text`, or just `text` without a
    /// title (as the peer baselines build BEIR documents).
    pub fn full_text(&self) -> String {
        if self.title.is_empty() {
            self.text.clone()
        } else {
            format!("{} {}", self.title, self.text)
        }
    }
}

/// One query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub id: String,
    pub text: String,
}

/// Which JSON fields hold the id, the text and (optionally) the title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub id: String,
    pub text: String,
    /// `None`: no title. A title field that is absent or null in a record is an empty title.
    pub title: Option<String>,
}

impl Fields {
    /// BEIR's `_id`, `text`, `title`.
    pub fn beir() -> Self {
        Fields {
            id: "_id".into(),
            text: "text".into(),
            title: Some("title".into()),
        }
    }
}

/// Load a corpus from `path`:
/// - a folder with `corpus.jsonl` (BEIR layout);
/// - any other folder: every `*.txt` file is a document, id = file name
///   without `.txt`, sorted by name;
/// - a file: JSONL with `fields`. A single `.txt` file is refused with a
///   message that says which layouts are expected.
pub fn load_corpus(path: &Path, fields: &Fields) -> Result<Vec<Document>, RetrievalError> {
    if path.is_dir() {
        let beir = path.join("corpus.jsonl");
        return if beir.is_file() {
            read_jsonl_docs(&beir, fields)
        } else {
            read_text_dir(path)
        };
    }
    if has_extension(path, "txt") {
        return Err(RetrievalError::NotACorpus {
            path: path.to_path_buf(),
            found: "a single .txt file is not a corpus",
        });
    }
    read_jsonl_docs(path, fields)
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|x| x.eq_ignore_ascii_case(ext))
}

/// Read a JSONL corpus file.
pub fn read_jsonl_docs(path: &Path, fields: &Fields) -> Result<Vec<Document>, RetrievalError> {
    parse_jsonl_docs(&read_bytes(path)?, path, fields)
}

/// Why `id` cannot be the id of a `kind` ("document", "query"), if it
/// cannot: it is empty (or only white space), or it holds a tab, a line
/// break or another control character, which would split the lines and
/// columns of what names it (`towel search`'s table, runs, qrels). Every
/// reader of documents and queries checks its ids with this, and so do the
/// callers that build an index from ids they were given (Python's `BM25`).
///
/// ```
/// use towel_retrieval::corpus::id_problem;
/// assert_eq!(id_problem("doc-1", "document"), None);
/// assert_eq!(
///     id_problem(" ", "document").unwrap(),
///     "empty document id; every document needs an id"
/// );
/// assert!(id_problem("a\tb", "document").unwrap().contains("a tab"));
/// ```
pub fn id_problem(id: &str, kind: &str) -> Option<String> {
    if id.trim().is_empty() {
        return Some(format!("empty {kind} id; every {kind} needs an id"));
    }
    let c = id.chars().find(|c| c.is_control())?;
    let what = match c {
        '\t' => "a tab".to_string(),
        '\n' | '\r' => "a line break".to_string(),
        c => format!("the control character U+{:04X}", c as u32),
    };
    Some(format!(
        "{kind} id {id:?} contains {what}, which would split the lines and columns of runs and search results; remove it from the id"
    ))
}

/// The files [`load_corpus`] reads for `path`: a BEIR folder's
/// `corpus.jsonl`, another folder's `*.txt` files, or the file itself. These
/// are the inputs an index built from `path` must not be written over.
pub fn corpus_files(path: &Path) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let beir = path.join("corpus.jsonl");
    if beir.is_file() {
        return vec![beir];
    }
    fs::read_dir(path)
        .into_iter()
        .flatten()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| has_extension(p, "txt"))
        .collect()
}

/// Why an index built from the corpus at `corpus` must not be written to
/// `out`, if it must not: `out` is a `.txt` file in the folder of `.txt`
/// documents it indexes, so the next index of that folder would read the
/// binary index as a document (and stop on its bytes). (An output that is
/// one of the documents is refused by `towel_data::WritePlan` with
/// [`corpus_files`] as its inputs.)
pub fn index_output_problem(corpus: &Path, out: &Path) -> Option<String> {
    let txt = has_extension(out, "txt");
    let folder = out.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    });
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    (txt && corpus.is_dir()
        && !corpus.join("corpus.jsonl").is_file()
        && folder.is_some_and(|f| same(f, corpus)))
    .then(|| {
        format!(
            "refusing to write the index {} into the folder of .txt documents it indexes: it would be read as a document next time; name it .idx or write it elsewhere",
            out.display()
        )
    })
}

/// Where each id was first seen, to reject a second one naming both lines.
struct Ids<'a> {
    path: &'a Path,
    kind: &'static str,
    first_line: FxHashMap<String, usize>,
}

impl<'a> Ids<'a> {
    fn new(path: &'a Path, kind: &'static str) -> Self {
        Ids {
            path,
            kind,
            first_line: FxHashMap::default(),
        }
    }

    /// Record `id` at `line`: an error if it is not a valid id
    /// ([`id_problem`]) or was seen before.
    fn check(&mut self, id: &str, line: usize) -> Result<(), RetrievalError> {
        if let Some(reason) = id_problem(id, self.kind) {
            return Err(RetrievalError::format(
                &self.path.display().to_string(),
                line,
                reason,
            ));
        }
        if let Some(first) = self.first_line.insert(id.to_string(), line) {
            return Err(RetrievalError::DuplicateId {
                path: self.path.to_path_buf(),
                kind: self.kind,
                id: id.to_string(),
                where_: format!("lines {first} and {line}"),
            });
        }
        Ok(())
    }
}

fn string_field(
    obj: &serde_json::Map<String, Value>,
    name: &str,
    required: bool,
    path: &Path,
    line: usize,
) -> Result<String, RetrievalError> {
    let missing =
        |reason: String| RetrievalError::format(&path.display().to_string(), line, reason);
    match obj.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Null) | None if !required => Ok(String::new()),
        None => Err(missing(format!(
            "no `{name}` field (fields present: {})",
            obj.keys()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        Some(other) => Err(missing(format!(
            "field `{name}` must be a string, found {}",
            match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
                _ => "something else",
            }
        ))),
    }
}

/// Parse JSONL corpus bytes (`path` is only for messages).
pub fn parse_jsonl_docs(
    bytes: &[u8],
    path: &Path,
    fields: &Fields,
) -> Result<Vec<Document>, RetrievalError> {
    let text = utf8(bytes, &path.display().to_string())?;
    let mut docs = Vec::new();
    let mut ids = Ids::new(path, "document");
    for (line, l) in data_lines(text) {
        let obj = parse_object(l, path, line)?;
        let id = string_field(&obj, &fields.id, true, path, line)?;
        let body = string_field(&obj, &fields.text, true, path, line)?;
        let title = match &fields.title {
            Some(t) => string_field(&obj, t, false, path, line)?,
            None => String::new(),
        };
        ids.check(&id, line)?;
        docs.push(Document {
            id,
            title,
            text: body,
        });
    }
    if docs.is_empty() {
        return Err(RetrievalError::EmptyCorpus {
            path: path.to_path_buf(),
        });
    }
    Ok(docs)
}

fn parse_object(
    l: &str,
    path: &Path,
    line: usize,
) -> Result<serde_json::Map<String, Value>, RetrievalError> {
    let reason = match serde_json::from_str::<Value>(l) {
        Ok(Value::Object(o)) => return Ok(o),
        Ok(_) => {
            "the line is valid JSON but not an object; each line must be one JSON object".into()
        }
        Err(err) => format!(
            "not a valid JSON object ({err}); every line of a JSONL file must be one JSON object"
        ),
    };
    Err(RetrievalError::format(
        &path.display().to_string(),
        line,
        reason,
    ))
}

/// Read a folder of `*.txt` files, one document each (id = file name without
/// `.txt`), in name order. Sub-folders and other files are ignored.
pub fn read_text_dir(dir: &Path) -> Result<Vec<Document>, RetrievalError> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| RetrievalError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && has_extension(p, "txt"))
        .collect();
    files.sort();
    let mut docs = Vec::with_capacity(files.len());
    for f in files {
        let bytes = read_bytes(&f)?;
        let text = utf8(&bytes, &f.display().to_string())?.to_string();
        let id = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(reason) = id_problem(&id, "document") {
            return Err(RetrievalError::Format {
                origin: f.display().to_string(),
                line: None,
                reason: format!("{reason} (the id is the file name without .txt; rename the file)"),
            });
        }
        docs.push(Document {
            id,
            title: String::new(),
            text,
        });
    }
    if docs.is_empty() {
        return Err(RetrievalError::EmptyCorpus {
            path: dir.to_path_buf(),
        });
    }
    Ok(docs)
}

/// Read queries: JSONL with `_id` and `text` (BEIR `queries.jsonl`), or, for a
/// `.tsv` file, `id<TAB>text` lines (a first line `query-id`/`id`/`qid` … is a
/// header). A query id given twice or empty is an error naming the lines.
pub fn read_queries(path: &Path) -> Result<Vec<Query>, RetrievalError> {
    let bytes = read_bytes(path)?;
    if has_extension(path, "tsv") {
        parse_tsv_queries(&bytes, path)
    } else {
        parse_jsonl_queries(&bytes, path)
    }
}

/// Parse JSONL query lines (`_id` and `text`; other fields are ignored).
pub fn parse_jsonl_queries(bytes: &[u8], path: &Path) -> Result<Vec<Query>, RetrievalError> {
    let text = utf8(bytes, &path.display().to_string())?;
    let mut out = Vec::new();
    let mut ids = Ids::new(path, "query");
    for (line, l) in data_lines(text) {
        let obj = parse_object(l, path, line)?;
        let id = string_field(&obj, "_id", true, path, line)?;
        let text = string_field(&obj, "text", true, path, line)?;
        ids.check(&id, line)?;
        out.push(Query { id, text });
    }
    Ok(out)
}

/// Parse `id<TAB>text` query lines.
pub fn parse_tsv_queries(bytes: &[u8], path: &Path) -> Result<Vec<Query>, RetrievalError> {
    let text = utf8(bytes, &path.display().to_string())?;
    let mut out = Vec::new();
    let mut ids = Ids::new(path, "query");
    for (line, l) in data_lines(text) {
        let Some((id, q)) = l.split_once('\t') else {
            return Err(RetrievalError::format(
                &path.display().to_string(),
                line,
                "expected `query-id<TAB>query text`",
            ));
        };
        let id = id.trim();
        if out.is_empty()
            && line == 1
            && matches!(
                id.to_ascii_lowercase().as_str(),
                "query-id" | "id" | "qid" | "_id" | "query_id"
            )
        {
            continue;
        }
        ids.check(id, line)?;
        out.push(Query {
            id: id.to_string(),
            text: q.to_string(),
        });
    }
    Ok(out)
}
