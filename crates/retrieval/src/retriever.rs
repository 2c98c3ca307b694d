//! [`Retriever`]: a searchable collection (analyzer, documents, vocabulary
//! and a [`Model`], BM25 or TF-IDF postings), built from documents or loaded
//! from an index file.
//!
//! The vocabulary is shared: a query is analyzed into term ids once, here,
//! and handed to the model. Everything particular to a model (its formulas,
//! search, explanation and its sections of the index file) lives in its own
//! module, [`crate::bm25`] or [`crate::tfidf`]; [`Model`] only dispatches.
//!
//! ```
//! use towel_retrieval::{Retriever, Method, corpus::Document};
//! use towel_retrieval::analyzer::AnalyzerConfig;
//! let docs: Vec<Document> = ["the cat purrs", "a dog barks", "cats and dogs play"]
//!     .iter().enumerate()
//!     .map(|(i, t)| Document { id: format!("d{i}"), title: String::new(), text: t.to_string() })
//!     .collect();
//! let r = Retriever::build(&docs, AnalyzerConfig::bm25s_english(), Method::bm25()).unwrap();
//! let hits = r.search("cat", 10);
//! assert_eq!(r.doc_id(hits[0].doc), "d0");
//! assert_eq!(hits.len(), 2); // "cat" and "cats" share the stem
//! assert!(r.search("zebra", 10).is_empty());
//! ```

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::analyzer::{Analyzer, AnalyzerConfig};
use crate::bm25::{Bm25Index, Bm25Params, Bm25Variant};
use crate::corpus::{Document, Query};
use crate::error::RetrievalError;
use crate::eval::Run;
pub use crate::explain::{Explanation, TermScore};
use crate::index::{Cursor, Sections};
use crate::terms::{count_corpus_with_progress, Counts, QueryMemo, Vocabulary};
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

    /// Check the parameters' ranges.
    pub fn validate(&self) -> Result<(), RetrievalError> {
        match self {
            Method::Bm25(p) => p.validate(),
            Method::Tfidf(p) => p.validate(),
        }
    }

    /// A short description, e.g. `bm25 lucene k1=1.2 b=0.75`.
    pub fn describe(&self) -> String {
        match self {
            Method::Bm25(p) => {
                let mut s = format!("bm25 {} k1={} b={}", p.variant, p.k1, p.b);
                if matches!(p.variant, Bm25Variant::Bm25L | Bm25Variant::Bm25Plus) {
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

/// The scoring model of a [`Retriever`]. Each variant's module holds its
/// formulas, search, explanation and index-file sections; this enum only
/// dispatches to them.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    Bm25(Bm25Index),
    Tfidf(TfidfIndex),
}

impl Model {
    /// The method and parameters the model was built with.
    pub fn method(&self) -> Method {
        match self {
            Model::Bm25(m) => Method::Bm25(m.params),
            Model::Tfidf(m) => Method::Tfidf(m.model.params.clone()),
        }
    }

    /// Number of stored postings.
    pub fn nnz(&self) -> usize {
        match self {
            Model::Bm25(m) => m.postings.nnz(),
            Model::Tfidf(m) => m.postings.nnz(),
        }
    }

    /// The mean document length BM25 normalizes by (0 for TF-IDF), as the
    /// index file's metadata records it.
    pub(crate) fn avg_doc_len(&self) -> f64 {
        match self {
            Model::Bm25(m) => m.avg_doc_len,
            Model::Tfidf(_) => 0.0,
        }
    }

    /// The model's sections of an index file.
    pub(crate) fn write_sections(&self, out: &mut Sections) {
        match self {
            Model::Bm25(m) => m.write_sections(out),
            Model::Tfidf(m) => m.write_sections(out),
        }
    }

    /// Read the model's sections of an index file, for `method` (from the
    /// file's metadata).
    pub(crate) fn read_sections(
        method: Method,
        avg_doc_len: f64,
        c: &mut Cursor,
        n_terms: usize,
        n_docs: usize,
    ) -> Result<Self, RetrievalError> {
        Ok(match method {
            Method::Bm25(p) => Model::Bm25(Bm25Index::read_sections(
                p,
                avg_doc_len,
                c,
                n_terms,
                n_docs,
            )?),
            Method::Tfidf(p) => Model::Tfidf(TfidfIndex::read_sections(p, c, n_terms, n_docs)?),
        })
    }

    /// Per-thread scratch space for searching this model over `n_docs` documents.
    fn scratch(&self, n_docs: usize) -> Scratch {
        match self {
            Model::Bm25(_) => Scratch::Bm25(Accumulator::new(n_docs)),
            Model::Tfidf(_) => Scratch::Tfidf(Accumulator::new(n_docs)),
        }
    }
}

/// The two configurations towel is measured against its peers with
/// (`bench/retrieval_bm25.py`); the benchmark example and the tour build them
/// from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// bm25s as the benchmark runs it: lucene, k1 1.2, b 0.75, bm25s's
    /// English stopwords, the Snowball stemmer.
    Bm25s,
    /// scikit-learn's `TfidfVectorizer()`: its defaults, no stopwords, no stemmer.
    Sklearn,
}

impl Baseline {
    /// The analyzer settings.
    pub fn analyzer(self) -> AnalyzerConfig {
        match self {
            Baseline::Bm25s => AnalyzerConfig::bm25s_english(),
            Baseline::Sklearn => AnalyzerConfig::default(),
        }
    }

    /// The method and its parameters.
    pub fn method(self) -> Method {
        match self {
            Baseline::Bm25s => Method::bm25(),
            Baseline::Sklearn => Method::tfidf(),
        }
    }

    /// A retriever over `docs` with this configuration.
    pub fn build(self, docs: &[Document]) -> Result<Retriever, RetrievalError> {
        Retriever::build(docs, self.analyzer(), self.method())
    }
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
    pub(crate) vocab: Vocabulary,
    pub(crate) model: Model,
}

impl Retriever {
    /// Index `docs` (each as `title + " " + text`). Document ids must be unique.
    pub fn build(
        docs: &[Document],
        analyzer: AnalyzerConfig,
        method: Method,
    ) -> Result<Self, RetrievalError> {
        Self::build_with_progress(docs, analyzer, method, &mut |_| {})
    }

    /// [`Retriever::build`] for several methods over the same documents and
    /// analyzer: the documents are analyzed and counted once, which is most
    /// of the work, then each method builds its model from the counts.
    pub fn build_many(
        docs: &[Document],
        analyzer: AnalyzerConfig,
        methods: &[Method],
    ) -> Result<Vec<Self>, RetrievalError> {
        for m in methods {
            m.validate()?;
        }
        let (analyzer, counts) = Self::count(docs, analyzer, &mut |_| {})?;
        methods
            .iter()
            .map(|method| {
                let (vocab, model) = Self::model_from_counts(counts.clone(), method.clone())?;
                Ok(Retriever {
                    analyzer: analyzer.clone(),
                    doc_ids: docs.iter().map(|d| d.id.clone()).collect(),
                    titles: docs.iter().map(|d| d.title.clone()).collect(),
                    vocab,
                    model,
                })
            })
            .collect()
    }

    /// Check the documents (some, unique ids) and count their terms.
    fn count(
        docs: &[Document],
        analyzer: AnalyzerConfig,
        progress: &mut dyn FnMut(usize),
    ) -> Result<(Analyzer, Counts), RetrievalError> {
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
                    kind: "document",
                    id: d.id.clone(),
                    where_: "given twice".into(),
                });
            }
        }
        let analyzer = Analyzer::new(analyzer)?;
        let texts: Vec<String> = docs.iter().map(Document::full_text).collect();
        let counts = count_corpus_with_progress(&analyzer, &texts, progress);
        Ok((analyzer, counts))
    }

    fn model_from_counts(
        counts: Counts,
        method: Method,
    ) -> Result<(Vocabulary, Model), RetrievalError> {
        Ok(match method {
            Method::Bm25(p) => {
                let index = Bm25Index::build(&counts.tf, &counts.doc_len, p)?;
                (counts.vocab, Model::Bm25(index))
            }
            Method::Tfidf(p) => {
                let (vocab, model, m, norms) = TfidfModel::fit_counts_norms(counts, &p)?;
                (vocab, Model::Tfidf(TfidfIndex::new(model, &m, norms)))
            }
        })
    }

    /// [`Retriever::build`], calling `progress(n)` with the number of
    /// documents analyzed so far.
    pub fn build_with_progress(
        docs: &[Document],
        analyzer: AnalyzerConfig,
        method: Method,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Self, RetrievalError> {
        method.validate()?;
        let (analyzer, counts) = Self::count(docs, analyzer, progress)?;
        let (vocab, model) = Self::model_from_counts(counts, method)?;
        Ok(Retriever {
            analyzer,
            doc_ids: docs.iter().map(|d| d.id.clone()).collect(),
            titles: docs.iter().map(|d| d.title.clone()).collect(),
            vocab,
            model,
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

    /// The scoring model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The vocabulary (term id = position).
    pub fn vocab(&self) -> &Vocabulary {
        &self.vocab
    }

    /// The scoring method and its parameters.
    pub fn method(&self) -> Method {
        self.model.method()
    }

    /// Scratch space for searching this collection from one thread.
    pub fn searcher(&self) -> Searcher<'_> {
        Searcher {
            retriever: self,
            scratch: self.model.scratch(self.n_docs()),
            terms: Vec::new(),
            memo: QueryMemo::default(),
        }
    }

    /// The `k` best documents for `query`, best first. A query with no known
    /// term gives an empty list.
    pub fn search(&self, query: &str, k: usize) -> Vec<Hit> {
        self.searcher().search(query, k)
    }

    /// Why document `doc` has its score for `query`: each query term's part
    /// and what makes it up (see [`Explanation`]).
    pub fn explain(&self, query: &str, doc: u32) -> Explanation {
        let terms = self.vocab.query_terms(&self.analyzer, query);
        let n = self.n_docs();
        let mut rows: Vec<TermScore> = Vec::new();
        let mut e = match &self.model {
            Model::Bm25(m) => {
                let length_factor = m.length_factor(doc);
                let score = m.explain(&terms, doc).map(|(score, parts)| {
                    for (&t, p) in terms.iter().zip(parts) {
                        if let Some(r) = rows.iter_mut().find(|r| self.vocab.id(&r.term) == Some(t))
                        {
                            r.query_count += 1;
                            r.score += p.score;
                            continue;
                        }
                        let df = m.postings.row(t as usize).0.len() as u32;
                        rows.push(TermScore {
                            term: self.vocab.term(t).to_string(),
                            query_count: 1,
                            in_doc: p.in_doc,
                            score: p.score,
                            df,
                            idf: m.params.variant.idf(df.max(1), n),
                            tf: p.tf,
                            tf_component: p.tfc,
                            length_factor,
                            query_weight: None,
                            doc_weight: None,
                        });
                    }
                    score as f64
                });
                Explanation {
                    doc,
                    score: score.unwrap_or(0.0),
                    doc_len: Some(m.doc_len[doc as usize]),
                    avg_doc_len: Some(m.avgdl()),
                    length_factor,
                    query_norm: None,
                    terms: Vec::new(),
                }
            }
            Model::Tfidf(m) => {
                let q = m.model.query_vector(&terms);
                let length_factor = m.norms[doc as usize];
                let score = m.explain(&q, doc).map(|(score, parts)| {
                    for (&(t, _), p) in q.iter().zip(parts) {
                        rows.push(TermScore {
                            term: self.vocab.term(t).to_string(),
                            query_count: terms.iter().filter(|&&x| x == t).count() as u32,
                            in_doc: p.in_doc,
                            score: p.score,
                            df: m.postings.row(t as usize).0.len() as u32,
                            idf: m.model.idf[t as usize],
                            tf: p.tf,
                            tf_component: None,
                            length_factor,
                            query_weight: Some(p.query_weight),
                            doc_weight: p.doc_weight,
                        });
                    }
                    score
                });
                Explanation {
                    doc,
                    score: score.unwrap_or(0.0),
                    doc_len: None,
                    avg_doc_len: None,
                    length_factor,
                    query_norm: Some(m.model.query_norm(&terms)),
                    terms: Vec::new(),
                }
            }
        };
        rows.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.term.cmp(&b.term)));
        e.terms = rows;
        e
    }

    /// Search many queries. `threads`: `Some(1)` runs on the calling thread;
    /// `Some(n)` uses a pool of n threads; `None` uses rayon's global pool.
    /// A caller that times the search starts the threads first with
    /// [`SearchThreads`] and [`Retriever::search_batch_on`].
    pub fn search_batch<S: AsRef<str> + Sync>(
        &self,
        queries: &[S],
        k: usize,
        threads: Option<usize>,
    ) -> Vec<Vec<Hit>> {
        self.search_batch_on(&SearchThreads::new(threads), queries, k)
    }

    /// [`Retriever::search_batch`] on threads already started.
    pub fn search_batch_on<S: AsRef<str> + Sync>(
        &self,
        threads: &SearchThreads,
        queries: &[S],
        k: usize,
    ) -> Vec<Vec<Hit>> {
        match &threads.0 {
            Pool::Caller => {
                let mut s = self.searcher();
                queries.iter().map(|q| s.search(q.as_ref(), k)).collect()
            }
            Pool::Global => self.par_search(None, rayon::current_num_threads(), queries, k),
            Pool::Own(pool, n) => self.par_search(Some(pool.as_ref()), *n, queries, k),
        }
    }

    /// The run of `queries` (the top `k` of each, by document id), for
    /// [`crate::eval::evaluate`] or [`crate::eval::write_trec_run`]; on
    /// rayon's global pool.
    pub fn run(&self, queries: &[Query], k: usize) -> Run {
        self.run_with_threads(queries, k, None)
    }

    /// [`Retriever::run`] with `threads` as in [`Retriever::search_batch`].
    pub fn run_with_threads(&self, queries: &[Query], k: usize, threads: Option<usize>) -> Run {
        let texts: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
        let hits = self.search_batch(&texts, k, threads);
        self.hits_to_run(queries, hits)
    }

    /// The [`Run`] of `queries` from their hits (one list per query, in the
    /// same order, as [`Retriever::search_batch`] returns them): document
    /// indices become document ids. Separate from the search so a caller can
    /// time the search alone, as the peers time theirs (bm25s's `retrieve`
    /// returns document indices).
    pub fn hits_to_run(&self, queries: &[Query], hits: Vec<Vec<Hit>>) -> Run {
        queries
            .iter()
            .zip(hits)
            .map(|(q, hits)| {
                let ranked = hits
                    .iter()
                    .map(|h| (self.doc_id(h.doc).to_string(), h.score))
                    .collect();
                (q.id.clone(), ranked)
            })
            .collect()
    }

    /// `threads` searchers, each for the whole batch: the calling thread
    /// and `threads - 1` tasks spawned on `pool` (rayon's global pool when
    /// `None`), claiming runs of queries from a shared counter until none
    /// are left, each run a share of the queries left (1/(8 x threads) of
    /// them, at most 32), so runs shrink to single queries at the end.
    ///
    /// Why so: a query takes a few microseconds, so per-query scheduling
    /// and per-run scratch would cost as much as the work; a searcher that
    /// lives for the batch stems each repeated query word once (with one
    /// searcher per rayon split, 2 threads stemmed 2,296 words where 1
    /// thread stems 1,578; each searcher keeps its own memo, see
    /// [`Vocabulary::query_terms_memo`]); runs claimed as they come keep
    /// both threads busy to the end even when the machine is shared and one
    /// of them is descheduled, and shrinking runs make them finish together:
    /// with runs of a fixed 9 queries (300 / (2 x 16)), timed per thread in
    /// a few SciFact passes, one thread ended 30-300 us before the other (a
    /// run is about 120 us), with shrinking runs a median of 14 us (96
    /// passes). The calling thread
    /// searches too, instead of handing the whole batch to the pool and
    /// sleeping until it is done: a SciFact pass is 1-4 ms, and each
    /// hand-over (waking a sleeping thread, then waking the caller at the
    /// end) costs tens of microseconds on a virtual machine, all of it
    /// serial. After the batch the helpers spin for up to [`LINGER`]
    /// ([`towel_data::threads::keep_awake`]), so a next batch that follows
    /// at once (a caller searching batch after batch) does not wait for a
    /// sleeping helper to wake.
    ///
    /// Counted without the noise of a shared machine (callgrind
    /// `--separate-threads=yes --fair-sched=yes`, `towel eval`'s pass:
    /// SciFact's 300 judged queries over an index file, k = 100, cold
    /// memo): 1 thread executes 41.47 M instructions; 2 threads with a
    /// memo shared behind a lock 20.58 M on the calling thread and 21.65 M
    /// on the other, 1.8% more in all (stemming 5.03 M in both); with a memo
    /// per thread, as now, 2.7% more (stemming 5.95 M), which was faster in
    /// wall time than taking the lock.
    fn par_search<S: AsRef<str> + Sync>(
        &self,
        pool: Option<&rayon::ThreadPool>,
        threads: usize,
        queries: &[S],
        k: usize,
    ) -> Vec<Vec<Hit>> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let n = queries.len();
        let helpers = threads.min(n).saturating_sub(1);
        if helpers == 0 {
            let mut s = self.searcher();
            return queries.iter().map(|q| s.search(q.as_ref(), k)).collect();
        }
        let next = AtomicUsize::new(0);
        // The next run of queries: a share of those left.
        let claim = || {
            let mut at = next.load(Ordering::Relaxed);
            while at < n {
                let size = ((n - at) / (threads * CLAIM_SHARE)).clamp(1, MAX_CLAIM);
                match next.compare_exchange_weak(
                    at,
                    at + size,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Some(at..at + size),
                    Err(now) => at = now,
                }
            }
            None
        };
        let done: std::sync::Mutex<Vec<(usize, Vec<Vec<Hit>>)>> = Default::default();
        let work = || {
            let mut s = self.searcher();
            let mut mine = Vec::new();
            while let Some(run) = claim() {
                let at = run.start;
                mine.push((
                    at,
                    queries[run]
                        .iter()
                        .map(|q| s.search(q.as_ref(), k))
                        .collect(),
                ));
            }
            // Once per thread, at its end.
            done.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
        };
        // A helper that woke on the calling thread's CPU moves off it.
        let cpu = towel_data::threads::current_cpu();
        let helper = || {
            let _off = towel_data::threads::OffCpu::new(cpu);
            work();
        };
        towel_data::threads::in_scope(pool, helpers, &helper, work);
        towel_data::threads::keep_awake(pool, LINGER);
        let mut runs = done.into_inner().unwrap_or_else(|e| e.into_inner());
        runs.sort_unstable_by_key(|r| r.0);
        runs.into_iter().flat_map(|r| r.1).collect()
    }
}

/// A thread of a batch claims 1/(CLAIM_SHARE x threads) of the queries
/// left, at most [`MAX_CLAIM`] ([`Retriever::par_search`]).
const CLAIM_SHARE: usize = 8;
/// The most queries a thread of a batch claims at once.
const MAX_CLAIM: usize = 32;
/// How long the helpers of a batch stay awake after it, for the next one.
const LINGER: std::time::Duration = std::time::Duration::from_millis(1);
/// How long [`SearchThreads::warm_up`] holds the helpers awake for a
/// batch; longer than loading a SciFact index file (about 10 ms).
const WARM: std::time::Duration = std::time::Duration::from_millis(50);

/// The threads a batch search runs on ([`Retriever::search_batch_on`]),
/// started before the first batch. Starting threads costs as much as
/// hundreds of queries (rayon's global pool starts on first use), so a
/// caller that times its searches, as `towel eval` does, starts them before
/// the clock, as the peers' thread pools (numba's) are warm when timed.
pub struct SearchThreads(Pool);

enum Pool {
    /// One thread: the calling one.
    Caller,
    /// The calling thread and workers of rayon's global pool (when no pool
    /// of helpers could be started).
    Global,
    /// The calling thread and a pool of `n - 1` helpers.
    Own(Arc<rayon::ThreadPool>, usize),
}

impl SearchThreads {
    /// `Some(1)`: the calling thread; `Some(n)`: n threads, the calling one
    /// and `n - 1` helpers, but at most one per core
    /// ([`towel_data::threads::at_most_cores`]); `None` (or `Some(0)`): as
    /// many as rayon's global pool has (the number of cores unless
    /// configured otherwise).
    pub fn new(threads: Option<usize>) -> Self {
        let n = match threads {
            Some(0) | None => rayon::current_num_threads(),
            Some(n) => towel_data::threads::at_most_cores(n),
        };
        SearchThreads(match n {
            0 | 1 => Pool::Caller,
            // The batch's own pool of helpers rather than rayon's global
            // one: on 2 cores the global pool has 2 workers, and with the
            // calling thread searching too the worker left without work
            // spun for a core while the other two searched (timed at load
            // 1.4, a cold 2-thread pass of `towel eval` used 6.3 ms of CPU
            // where 1 thread uses 4.0 ms).
            n => match towel_data::threads::pool(n - 1) {
                Ok(pool) => Pool::Own(pool, n),
                Err(_) => Pool::Global,
            },
        })
    }

    /// Wake the helpers and hold them awake, spinning, until the next
    /// batch starts or for at most 50 ms ([`towel_data::threads::keep_awake`]);
    /// returns at once. A caller that times its batches calls it before the
    /// clock, best before other work it does anyway (`towel eval` calls it
    /// before loading the index, and again before the clock), so the
    /// helpers' wake-up overlaps that work.
    ///
    /// Why not wait for the helpers, as this did before: a caller waiting
    /// for its helper and the helper spinning afterwards ended up sharing
    /// one core (the helper woke on the sleeping caller's core and the
    /// caller woke beside the spinning helper), until the scheduler moved
    /// one of them a few milliseconds later: a 2-thread pass then waited
    /// for a core about 5 ms of its 3-6 ms (schedstat, bench_threads).
    pub fn warm_up(&self) {
        match &self.0 {
            Pool::Caller => {}
            Pool::Global => towel_data::threads::keep_awake(None, WARM),
            Pool::Own(pool, _) => towel_data::threads::keep_awake(Some(pool), WARM),
        }
    }
}

/// Score accumulators of the precision each model adds up in.
enum Scratch {
    Bm25(Accumulator<f32>),
    Tfidf(Accumulator<f64>),
}

/// A retriever plus per-thread scratch space; reuse one per thread.
pub struct Searcher<'a> {
    retriever: &'a Retriever,
    scratch: Scratch,
    terms: Vec<u32>,
    /// Query words already stemmed by this searcher.
    memo: QueryMemo,
}

impl Searcher<'_> {
    /// The `k` best documents for `query`, best first.
    pub fn search(&mut self, query: &str, k: usize) -> Vec<Hit> {
        let r = self.retriever;
        r.vocab
            .query_terms_memo(&r.analyzer, query, &mut self.terms, &mut self.memo);
        match (&r.model, &mut self.scratch) {
            (Model::Bm25(m), Scratch::Bm25(acc)) => m
                .search(&self.terms, k, acc)
                .into_iter()
                .map(|(doc, s)| Hit {
                    doc,
                    score: s as f64,
                })
                .collect(),
            (Model::Tfidf(m), Scratch::Tfidf(acc)) => {
                let q = m.model.query_vector(&self.terms);
                m.search(&q, k, acc)
                    .into_iter()
                    .map(|(doc, score)| Hit { doc, score })
                    .collect()
            }
            _ => unreachable!("a searcher's scratch is made for its retriever's model"),
        }
    }
}
