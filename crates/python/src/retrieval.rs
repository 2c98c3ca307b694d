//! `towel.BM25` and `towel.TfIdf`: a `towel-retrieval` index (the same file
//! as `towel index` writes) behind a small Python class.
//!
//! Search results cross into Python as little-endian `bytearray`s, filled in
//! place, that the Python layer views with `numpy.frombuffer` (writable
//! arrays, no copy, no numpy build dependency).

use std::path::{Path, PathBuf};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};
use towel_data::WritePlan;
use towel_retrieval::analyzer::{AnalyzerConfig, StemmerKind, Stopwords};
use towel_retrieval::bm25::{Bm25Params, Bm25Variant};
use towel_retrieval::corpus::{
    corpus_files, id_problem, index_output_problem, load_corpus, Document, Fields,
};
use towel_retrieval::tfidf::{Norm, TfidfParams};
use towel_retrieval::{index, Method, RetrievalError, Retriever};

use crate::errors::{extra_err, extra_err_hint};

fn ret_err(e: RetrievalError) -> PyErr {
    extra_err(&e)
}

fn parse<T: std::str::FromStr<Err = RetrievalError>>(s: &str) -> PyResult<T> {
    s.parse().map_err(ret_err)
}

/// The corpus at `path`, read with `fields`; the errors say what the Python
/// caller can do.
fn read_corpus(path: &Path, fields: &Fields, class: &str) -> PyResult<Vec<Document>> {
    // A towel index, which the corpus reader would call "not valid UTF-8".
    if path.is_file() && index::KIND.sniff_file(path).is_ok_and(|k| k == Some(true)) {
        return Err(PyValueError::new_err(format!(
            "{} is a towel index, not a corpus: open it with towel.{class}.load({:?})",
            path.display(),
            path.display().to_string()
        )));
    }
    load_corpus(path, fields).map_err(|e| {
        let no_field = matches!(&e, RetrievalError::Format { reason, .. }
            if reason.starts_with("no `") && reason.contains("(fields present:"));
        let hint = "name the JSONL fields with id_field=, text_field= and title_field=";
        extra_err_hint(&e, no_field.then_some(hint))
    })
}

/// A BM25 or TF-IDF index.
#[pyclass(frozen, module = "towel._towel")]
pub struct Index {
    r: Retriever,
    /// The corpus path it was built from, and that path's files, which
    /// `save` refuses to write over (as `towel index` does).
    corpus: Option<(PathBuf, Vec<PathBuf>)>,
}

/// `(ids, scores)` of `rows` rows of `k` hits each, as int64 and float64
/// little-endian `bytearray`s filled in place, padded with id -1 and score 0.
fn pack<'py>(
    py: Python<'py>,
    rows: &[Vec<towel_retrieval::Hit>],
    k: usize,
) -> PyResult<(Bound<'py, PyByteArray>, Bound<'py, PyByteArray>)> {
    let len = rows.len().checked_mul(k * 8).ok_or_else(|| {
        PyValueError::new_err("the result is too large: ask for fewer hits (a smaller k)")
    })?;
    let fill = |buf: &mut [u8], value: &dyn Fn(Option<&towel_retrieval::Hit>) -> [u8; 8]| {
        let mut chunks = buf.chunks_exact_mut(8);
        for hits in rows {
            for (i, chunk) in chunks.by_ref().take(k).enumerate() {
                chunk.copy_from_slice(&value(hits.get(i)));
            }
        }
    };
    let ids = PyByteArray::new_with(py, len, |buf| {
        fill(buf, &|h| h.map_or(-1i64, |h| h.doc as i64).to_le_bytes());
        Ok(())
    })?;
    let scores = PyByteArray::new_with(py, len, |buf| {
        fill(buf, &|h| h.map_or(0.0f64, |h| h.score).to_le_bytes());
        Ok(())
    })?;
    Ok((ids, scores))
}

#[pymethods]
impl Index {
    /// Build from documents (`texts`, with optional `ids` and `titles`) or a
    /// corpus path (BEIR folder, JSONL file, folder of .txt files).
    #[staticmethod]
    #[pyo3(signature = (method, texts=None, ids=None, titles=None, path=None, *,
        variant=None, k1=None, b=None, delta=None, norm=None, sublinear_tf=false,
        stemmer=None, stopwords=None, id_field=None, text_field=None, title_field=None))]
    #[allow(clippy::too_many_arguments)]
    fn build(
        py: Python<'_>,
        method: &str,
        texts: Option<Vec<String>>,
        ids: Option<Vec<String>>,
        titles: Option<Vec<String>>,
        path: Option<PathBuf>,
        variant: Option<&str>,
        k1: Option<f64>,
        b: Option<f64>,
        delta: Option<f64>,
        norm: Option<&str>,
        sublinear_tf: bool,
        stemmer: Option<&str>,
        stopwords: Option<&str>,
        id_field: Option<String>,
        text_field: Option<String>,
        title_field: Option<String>,
    ) -> PyResult<Index> {
        let bm25 = match method {
            "bm25" => true,
            "tfidf" => false,
            m => {
                return Err(PyValueError::new_err(format!(
                    "unknown method {m:?}: use \"bm25\" or \"tfidf\""
                )))
            }
        };
        let method = if bm25 {
            let d = Bm25Params::default();
            Method::Bm25(Bm25Params {
                variant: variant.map_or(Ok(d.variant), parse::<Bm25Variant>)?,
                k1: k1.unwrap_or(d.k1),
                b: b.unwrap_or(d.b),
                delta: delta.unwrap_or(d.delta),
            })
        } else {
            let d = TfidfParams::default();
            Method::Tfidf(TfidfParams {
                norm: norm.map_or(Ok(d.norm), parse::<Norm>)?,
                sublinear_tf,
                ..d
            })
        };
        // The `towel index` defaults: bm25s's stopwords and the English
        // stemmer for BM25, neither for TF-IDF (scikit-learn's defaults).
        let analyzer = AnalyzerConfig {
            stemmer: match stemmer {
                Some(s) => parse::<StemmerKind>(s)?,
                None if bm25 => StemmerKind::English,
                None => StemmerKind::None,
            },
            stopwords: match stopwords {
                Some(s) => parse::<Stopwords>(s)?,
                None if bm25 => Stopwords::Bm25s,
                None => Stopwords::None,
            },
            ..AnalyzerConfig::default()
        };
        let named_fields = id_field.is_some() || text_field.is_some() || title_field.is_some();
        let beir = Fields::beir();
        let fields = Fields {
            id: id_field.unwrap_or(beir.id),
            text: text_field.unwrap_or(beir.text),
            title: title_field.or(beir.title),
        };
        let class = if bm25 { "BM25" } else { "TfIdf" };
        let (docs, corpus) = match (texts, path) {
            (Some(texts), None) => {
                if named_fields {
                    return Err(PyTypeError::new_err(
                        "id_field, text_field and title_field name the fields of a JSONL corpus \
                         path; with a list of texts, give ids= and titles=",
                    ));
                }
                let n = texts.len();
                let ids = ids.unwrap_or_else(|| (0..n).map(|i| i.to_string()).collect());
                let titles = titles.unwrap_or_else(|| vec![String::new(); n]);
                if ids.len() != n || titles.len() != n {
                    return Err(PyValueError::new_err(format!(
                        "{n} texts but {} ids and {} titles: give one per text",
                        ids.len(),
                        titles.len()
                    )));
                }
                // The corpus readers' rule for ids (`towel index` reads the
                // same ids from a JSONL file).
                for (i, id) in ids.iter().enumerate() {
                    if let Some(reason) = id_problem(id, "document") {
                        return Err(PyValueError::new_err(format!("ids[{i}]: {reason}")));
                    }
                }
                let docs = texts
                    .into_iter()
                    .zip(ids)
                    .zip(titles)
                    .map(|((text, id), title)| Document { id, title, text })
                    .collect();
                (docs, None)
            }
            (None, Some(path)) => {
                if ids.is_some() || titles.is_some() {
                    return Err(PyTypeError::new_err(
                        "ids and titles go with a list of texts; a corpus path has its own \
                         (name its JSONL fields with id_field=, text_field= and title_field=)",
                    ));
                }
                let docs = py.detach(|| read_corpus(&path, &fields, class))?;
                let files = corpus_files(&path);
                (docs, Some((path, files)))
            }
            _ => {
                return Err(PyValueError::new_err(
                    "give either a list of texts or a corpus path",
                ))
            }
        };
        let r = py
            .detach(|| Retriever::build(&docs, analyzer, method))
            .map_err(ret_err)?;
        Ok(Index { r, corpus })
    }

    /// Load an index file written by `save` or `towel index`.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Index> {
        let r = py.detach(|| index::load(&path)).map_err(ret_err)?;
        Ok(Index { r, corpus: None })
    }

    /// Write the index file (atomically), as `towel index` does, refusing
    /// what it refuses: a file the index was built from, and an existing
    /// file that is not a towel index unless `force`.
    #[pyo3(signature = (path, *, force=false))]
    fn save(&self, py: Python<'_>, path: PathBuf, force: bool) -> PyResult<()> {
        let (corpus, inputs) = match &self.corpus {
            Some((corpus, files)) => (Some(corpus), files.as_slice()),
            None => (None, &[][..]),
        };
        let plan = WritePlan::new()
            .inputs(inputs)
            .output(&path, index::KIND)
            .force(force);
        py.detach(|| plan.check()).map_err(|e| extra_err(&e))?;
        // (After the plan: an output that is one of the documents is named as such.)
        if let Some(reason) = corpus.and_then(|c| index_output_problem(c, &path)) {
            return Err(PyValueError::new_err(reason));
        }
        py.detach(|| plan.write(&[&index::to_bytes(&self.r)]))
            .map_err(|e| extra_err(&e))
    }

    /// The index file's bytes (what `save` writes), for pickling.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| index::to_bytes(&self.r));
        PyBytes::new(py, &bytes)
    }

    /// An index from the bytes `to_bytes` gives (validated as a file is).
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Index> {
        let r = py
            .detach(|| index::from_bytes(data, Path::new("<pickled index>")))
            .map_err(ret_err)?;
        Ok(Index { r, corpus: None })
    }

    /// `(ids as int64 LE bytes, scores as float64 LE bytes)` of the top `k`.
    fn search<'py>(
        &self,
        py: Python<'py>,
        query: &str,
        k: usize,
    ) -> PyResult<(Bound<'py, PyByteArray>, Bound<'py, PyByteArray>)> {
        let query = query.to_string();
        let hits = py.detach(|| self.r.search(&query, k));
        let k = hits.len();
        pack(py, &[hits], k)
    }

    /// Top `k` of each query, row after row, padded with id -1 and score 0.
    #[pyo3(signature = (queries, k, num_threads=None))]
    fn search_batch<'py>(
        &self,
        py: Python<'py>,
        queries: Vec<String>,
        k: usize,
        num_threads: Option<usize>,
    ) -> PyResult<(Bound<'py, PyByteArray>, Bound<'py, PyByteArray>)> {
        let all = py.detach(|| self.r.search_batch(&queries, k, num_threads));
        pack(py, &all, k)
    }

    /// Number of documents.
    fn __len__(&self) -> usize {
        self.r.n_docs()
    }

    /// The documents' ids, by index.
    fn doc_ids(&self) -> Vec<String> {
        self.r.doc_ids().to_vec()
    }

    /// Title of document `doc`.
    fn title(&self, doc: u32) -> PyResult<String> {
        if (doc as usize) < self.r.n_docs() {
            Ok(self.r.title(doc).to_string())
        } else {
            Err(PyValueError::new_err(format!(
                "document {doc} out of range (the index has {})",
                self.r.n_docs()
            )))
        }
    }

    /// `bm25 lucene k1=1.2 b=0.75`, ...
    fn describe(&self) -> String {
        self.r.method().describe()
    }

    /// `"bm25"` or `"tfidf"`.
    fn method(&self) -> &'static str {
        match self.r.method() {
            Method::Bm25(_) => "bm25",
            Method::Tfidf(_) => "tfidf",
        }
    }

    /// Why `doc` has its score for `query`: the `Explanation` as JSON (the
    /// fields `towel search --explain --json` gives) and as the text `towel
    /// search --explain` prints.
    fn explain(&self, query: &str, doc: u32) -> PyResult<(String, String)> {
        if doc as usize >= self.r.n_docs() {
            return Err(PyValueError::new_err(format!(
                "document {doc} out of range (the index has {})",
                self.r.n_docs()
            )));
        }
        let e = self.r.explain(query, doc);
        let json = serde_json::to_string(&e).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok((json, e.to_text(&self.r.method())))
    }
}
