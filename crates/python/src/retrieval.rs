//! `towel.BM25` and `towel.TfIdf`: a `towel-retrieval` index (the same file
//! as `towel index` writes) behind a small Python class.
//!
//! Search results cross into Python as raw little-endian bytes that the
//! Python layer views with `numpy.frombuffer` (no numpy build dependency).

use std::path::{Path, PathBuf};

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use towel_retrieval::analyzer::{AnalyzerConfig, StemmerKind, Stopwords};
use towel_retrieval::bm25::{Bm25Params, Bm25Variant};
use towel_retrieval::corpus::{load_corpus, Document, Fields};
use towel_retrieval::tfidf::{Norm, TfidfParams};
use towel_retrieval::{index, Method, RetrievalError, Retriever};

fn ret_err(e: RetrievalError) -> PyErr {
    let msg = e.to_string();
    match e {
        RetrievalError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(msg)
        }
        RetrievalError::Io { .. } => PyOSError::new_err(msg),
        _ => PyValueError::new_err(msg),
    }
}

fn parse<T: std::str::FromStr<Err = RetrievalError>>(s: &str) -> PyResult<T> {
    s.parse().map_err(ret_err)
}

/// A BM25 or TF-IDF index.
#[pyclass(frozen, module = "towel._towel")]
pub struct Index {
    r: Retriever,
}

/// `(ids, scores)` of hits, padded to `k` with id -1 and score 0.
fn pack(hits: &[towel_retrieval::Hit], k: usize, ids: &mut Vec<u8>, scores: &mut Vec<u8>) {
    for i in 0..k {
        let (d, s) = hits
            .get(i)
            .map_or((-1i64, 0.0f64), |h| (h.doc as i64, h.score));
        ids.extend_from_slice(&d.to_le_bytes());
        scores.extend_from_slice(&s.to_le_bytes());
    }
}

#[pymethods]
impl Index {
    /// Build from documents (`texts`, with optional `ids` and `titles`) or a
    /// corpus path (BEIR folder, JSONL file, folder of .txt files).
    #[staticmethod]
    #[pyo3(signature = (method, texts=None, ids=None, titles=None, path=None, *,
        variant=None, k1=None, b=None, delta=None, norm=None, sublinear_tf=false,
        stemmer=None, stopwords=None))]
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
        let docs: Vec<Document> = match (texts, path) {
            (Some(texts), None) => {
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
                texts
                    .into_iter()
                    .zip(ids)
                    .zip(titles)
                    .map(|((text, id), title)| Document { id, title, text })
                    .collect()
            }
            (None, Some(path)) => py
                .detach(|| load_corpus(&path, &Fields::beir()))
                .map_err(ret_err)?,
            _ => {
                return Err(PyValueError::new_err(
                    "give either a list of texts or a corpus path",
                ))
            }
        };
        let r = py
            .detach(|| Retriever::build(&docs, analyzer, method))
            .map_err(ret_err)?;
        Ok(Index { r })
    }

    /// Load an index file written by `save` or `towel index`.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Index> {
        let r = py.detach(|| index::load(&path)).map_err(ret_err)?;
        Ok(Index { r })
    }

    /// Write the index file (atomically), as `towel index` does.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| index::save(&self.r, &path)).map_err(ret_err)
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
        Ok(Index { r })
    }

    /// `(ids as int64 LE bytes, scores as float64 LE bytes)` of the top `k`.
    fn search<'py>(
        &self,
        py: Python<'py>,
        query: &str,
        k: usize,
    ) -> (Bound<'py, PyBytes>, Bound<'py, PyBytes>) {
        let query = query.to_string();
        let hits = py.detach(|| self.r.search(&query, k));
        let k = hits.len();
        let (mut ids, mut scores) = (Vec::new(), Vec::new());
        pack(&hits, k, &mut ids, &mut scores);
        (PyBytes::new(py, &ids), PyBytes::new(py, &scores))
    }

    /// Top `k` of each query, row after row, padded with id -1 and score 0.
    #[pyo3(signature = (queries, k, num_threads=None))]
    fn search_batch<'py>(
        &self,
        py: Python<'py>,
        queries: Vec<String>,
        k: usize,
        num_threads: Option<usize>,
    ) -> (Bound<'py, PyBytes>, Bound<'py, PyBytes>) {
        let all = py.detach(|| self.r.search_batch(&queries, k, num_threads));
        let (mut ids, mut scores) = (Vec::new(), Vec::new());
        for hits in &all {
            pack(hits, k, &mut ids, &mut scores);
        }
        (PyBytes::new(py, &ids), PyBytes::new(py, &scores))
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
