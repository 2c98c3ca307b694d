//! [`Retriever`]: a searchable collection (analyzer + documents + TF-IDF or
//! BM25 postings), built from documents or loaded from an index file.
//!
//! ```
//! use towel_retrieval::{Retriever, Method, corpus::Document};
//! use towel_retrieval::analyzer::AnalyzerConfig;
//! let docs: Vec<Document> = ["the cat purrs", "a dog barks", "cats and dogs play"]
//!     .iter().enumerate()
//!     .map(|(i, t)| Document { id: format!("d{i}"), title: String::new(), text: t.to_string() })
//!     .collect();
//! let r = Retriever::build(&docs, AnalyzerConfig::bm25s_english(), Method::bm25(), &mut |_| {}).unwrap();
//! let hits = r.search("cat", 10);
//! assert_eq!(r.doc_id(hits[0].doc), "d0");
//! assert_eq!(hits.len(), 2); // "cat" and "cats" share the stem
//! assert!(r.search("zebra", 10).is_empty());
//! ```

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analyzer::{Analyzer, AnalyzerConfig};
use crate::bm25::{Bm25Index, Bm25Params};
use crate::corpus::Document;
use crate::error::RetrievalError;
use crate::terms::{count_corpus, Vocabulary};
use crate::tfidf::{TfidfIndex, TfidfModel, TfidfParams};
use crate::topk::Accumulator;

/// How documents are scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum Method {
    Bm25(Bm25Params),
    Tfidf(TfidfParams),
}

impl Method {
    /// BM25 with the defaults (lucene, k1 1.2, b 0.75).
    pub fn bm25() -> Self {
        Method::Bm25(Bm25Params::default())
    }

    /// TF-IDF with scikit-learn's defaults.
    pub fn tfidf() -> Self {
        Method::Tfidf(TfidfParams::default())
    }

    /// A short description, e.g. `bm25 lucene k1=1.2 b=0.75`.
    pub fn describe(&self) -> String {
        match self {
            Method::Bm25(p) => {
                let mut s = format!("bm25 {} k1={} b={}", p.variant, p.k1, p.b);
                if matches!(
                    p.variant,
                    crate::bm25::Bm25Variant::Bm25L | crate::bm25::Bm25Variant::Bm25Plus
                ) {
                    s.push_str(&format!(" delta={}", p.delta));
                }
                s
            }
            Method::Tfidf(p) => format!(
                "tfidf norm={}{}{}",
                p.norm,
                if p.sublinear_tf { " sublinear_tf" } else { "" },
                if p.smooth_idf { "" } else { " no-smooth-idf" }
            ),
        }
    }
}

/// The scoring structure of a [`Retriever`].
#[derive(Debug, Clone, PartialEq)]
pub enum Scorer {
    Bm25 { vocab: Vocabulary, index: Bm25Index },
    Tfidf(TfidfIndex),
}

/// One search result: document index and score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub doc: u32,
    pub score: f64,
}

/// A searchable collection.
#[derive(Debug, Clone)]
pub struct Retriever {
    pub(crate) analyzer: Analyzer,
    pub(crate) doc_ids: Vec<String>,
    pub(crate) titles: Vec<String>,
    pub(crate) scorer: Scorer,
}

impl Retriever {
    /// Index `docs` (each as `title + " " + text`). `progress(n)` is called with
    /// the number of documents analyzed so far. Document ids must be unique.
    pub fn build(
        docs: &[Document],
        analyzer: AnalyzerConfig,
        method: Method,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Self, RetrievalError> {
        if docs.is_empty() {
            return Err(RetrievalError::EmptyCorpus {
                path: "<documents>".into(),
            });
        }
        let mut seen = rustc_hash::FxHashSet::default();
        for d in docs {
            if !seen.insert(d.id.as_str()) {
                return Err(RetrievalError::DuplicateId {
                    path: "<documents>".into(),
                    id: d.id.clone(),
                    where_: "given twice".into(),
                });
            }
        }
        let texts: Vec<String> = docs.iter().map(Document::full_text).collect();
        let analyzer = Analyzer::new(analyzer)?;
        let scorer = Self::build_scorer(&analyzer, &texts, method, progress)?;
        Ok(Retriever {
            analyzer,
            doc_ids: docs.iter().map(|d| d.id.clone()).collect(),
            titles: docs.iter().map(|d| d.title.clone()).collect(),
            scorer,
        })
    }

    /// The scoring structure for already-joined document texts.
    pub fn build_scorer<S: AsRef<str>>(
        analyzer: &Analyzer,
        texts: &[S],
        method: Method,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Scorer, RetrievalError> {
        Ok(match method {
            Method::Bm25(p) => {
                p.validate()?;
                let counts = count_corpus(analyzer, texts, progress);
                let index = Bm25Index::build(&counts.tf, &counts.doc_len, p)?;
                Scorer::Bm25 {
                    vocab: counts.vocab,
                    index,
                }
            }
            Method::Tfidf(p) => {
                let (model, m) = TfidfModel::fit(analyzer, texts, &p, progress)?;
                Scorer::Tfidf(TfidfIndex::new(model, &m))
            }
        })
    }

    /// Number of documents.
    pub fn n_docs(&self) -> usize {
        self.doc_ids.len()
    }

    /// Id of document `doc`.
    pub fn doc_id(&self, doc: u32) -> &str {
        &self.doc_ids[doc as usize]
    }

    /// Title of document `doc` (empty when it has none).
    pub fn title(&self, doc: u32) -> &str {
        &self.titles[doc as usize]
    }

    /// All document ids, by index.
    pub fn doc_ids(&self) -> &[String] {
        &self.doc_ids
    }

    /// The analyzer.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The scoring structure.
    pub fn scorer(&self) -> &Scorer {
        &self.scorer
    }

    /// The vocabulary (term id = position).
    pub fn vocab(&self) -> &Vocabulary {
        match &self.scorer {
            Scorer::Bm25 { vocab, .. } => vocab,
            Scorer::Tfidf(t) => &t.model.vocab,
        }
    }

    /// The scoring method and its parameters.
    pub fn method(&self) -> Method {
        match &self.scorer {
            Scorer::Bm25 { index, .. } => Method::Bm25(index.params),
            Scorer::Tfidf(t) => Method::Tfidf(t.model.params.clone()),
        }
    }

    /// Scratch space for searching this collection from one thread.
    pub fn searcher(&self) -> Searcher<'_> {
        Searcher {
            retriever: self,
            acc32: Accumulator::new(if self.is_bm25() { self.n_docs() } else { 0 }),
            acc64: Accumulator::new(if self.is_bm25() { 0 } else { self.n_docs() }),
            terms: Vec::new(),
        }
    }

    fn is_bm25(&self) -> bool {
        matches!(self.scorer, Scorer::Bm25 { .. })
    }

    /// The `k` best documents for `query`, best first. A query with no known
    /// term gives an empty list.
    pub fn search(&self, query: &str, k: usize) -> Vec<Hit> {
        self.searcher().search(query, k)
    }

    /// Search many queries. `threads`: `Some(1)` runs on the calling thread;
    /// `Some(n)` uses a pool of n threads; `None` uses rayon's global pool.
    pub fn search_batch<S: AsRef<str> + Sync>(
        &self,
        queries: &[S],
        k: usize,
        threads: Option<usize>,
    ) -> Vec<Vec<Hit>> {
        match threads {
            Some(1) => {
                let mut s = self.searcher();
                queries.iter().map(|q| s.search(q.as_ref(), k)).collect()
            }
            Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
                Ok(pool) => pool.install(|| self.par_search(queries, k)),
                Err(_) => self.par_search(queries, k),
            },
            None => self.par_search(queries, k),
        }
    }

    /// Queries in coarse chunks (a few per thread), one [`Searcher`] per
    /// chunk: a query takes tens of microseconds, so per-query scheduling and
    /// per-split scratch allocations would cost as much as the work.
    fn par_search<S: AsRef<str> + Sync>(&self, queries: &[S], k: usize) -> Vec<Vec<Hit>> {
        let chunk = queries
            .len()
            .div_ceil(rayon::current_num_threads() * 4)
            .max(16);
        let parts: Vec<Vec<Vec<Hit>>> = queries
            .par_chunks(chunk)
            .map(|qs| {
                let mut s = self.searcher();
                qs.iter().map(|q| s.search(q.as_ref(), k)).collect()
            })
            .collect();
        parts.into_iter().flatten().collect()
    }
}

/// A retriever plus per-thread scratch space; reuse one per thread.
pub struct Searcher<'a> {
    retriever: &'a Retriever,
    acc32: Accumulator<f32>,
    acc64: Accumulator<f64>,
    terms: Vec<u32>,
}

impl Searcher<'_> {
    /// The `k` best documents for `query`, best first.
    pub fn search(&mut self, query: &str, k: usize) -> Vec<Hit> {
        let r = self.retriever;
        match &r.scorer {
            Scorer::Bm25 { vocab, index } => {
                vocab.query_terms_into(&r.analyzer, query, &mut self.terms);
                index
                    .search(&self.terms, k, &mut self.acc32)
                    .into_iter()
                    .map(|(doc, s)| Hit {
                        doc,
                        score: s as f64,
                    })
                    .collect()
            }
            Scorer::Tfidf(t) => {
                let q = t.model.transform(&r.analyzer, query);
                t.search(&q, k, &mut self.acc64)
                    .into_iter()
                    .map(|(doc, score)| Hit { doc, score })
                    .collect()
            }
        }
    }
}
