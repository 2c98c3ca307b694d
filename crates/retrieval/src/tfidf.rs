//! TF-IDF with scikit-learn's `TfidfVectorizer` options and formulas.
//!
//! - tf: raw counts, or `1 + ln(tf)` with `sublinear_tf`;
//! - idf: `ln((1 + n) / (1 + df)) + 1` with `smooth_idf` (the default),
//!   `ln(n / df) + 1` without; or no idf at all with `use_idf = false`;
//! - rows normalized to unit l2 (default) or l1 norm, or not at all;
//! - `min_df` / `max_df` as a document count or a fraction of documents;
//! - features (columns) numbered in sorted term order, as scikit-learn does,
//!   unless a fixed vocabulary is given (then its order).
//!
//! Everything is float64, like scikit-learn's default `dtype`. Search is the
//! dot product of the query's TF-IDF vector with each document's, which is the
//! cosine similarity when rows are l2-normalized (the default).
//!
//! ```
//! use towel_retrieval::analyzer::{Analyzer, AnalyzerConfig};
//! use towel_retrieval::tfidf::{TfidfParams, TfidfModel};
//! let a = Analyzer::new(AnalyzerConfig::default()).unwrap();
//! let docs = ["the cat sat", "the dog sat down", "cats and dogs"];
//! let (vocab, model, m) = TfidfModel::fit(&a, &docs, &TfidfParams::default()).unwrap();
//! assert_eq!(vocab.terms()[0], "and");
//! assert_eq!(m.rows(), 3);
//! // idf("the") = ln(4/3) + 1
//! let the = vocab.id("the").unwrap() as usize;
//! assert!((model.idf[the] - ((4.0f64 / 3.0).ln() + 1.0)).abs() < 1e-12);
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::analyzer::Analyzer;
use crate::error::RetrievalError;
use crate::index::{Cursor, Sections};
use crate::sparse::CsrMatrix;
use crate::terms::{count_corpus, document_frequency, Counts, Vocabulary};
use crate::topk::Accumulator;

/// Row normalization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// Unit Euclidean length (scikit-learn's default).
    #[default]
    L2,
    /// Unit sum of absolute values.
    L1,
    /// Leave rows as they are.
    None,
}

impl FromStr for Norm {
    type Err = RetrievalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "l2" => Ok(Norm::L2),
            "l1" => Ok(Norm::L1),
            "none" => Ok(Norm::None),
            _ => Err(RetrievalError::param(
                "norm",
                format!("`{s}`; use l2, l1 or none"),
            )),
        }
    }
}

impl fmt::Display for Norm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Norm::L2 => "l2",
            Norm::L1 => "l1",
            Norm::None => "none",
        })
    }
}

/// A document-frequency limit: an absolute count (int in scikit-learn) or a
/// fraction of the documents (float in scikit-learn).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DfLimit {
    Count(u64),
    Fraction(f64),
}

impl DfLimit {
    fn threshold(self, n_docs: usize) -> f64 {
        match self {
            DfLimit::Count(c) => c as f64,
            DfLimit::Fraction(f) => f * n_docs as f64,
        }
    }

    fn validate(self, what: &'static str) -> Result<(), RetrievalError> {
        match self {
            DfLimit::Fraction(f) if !(0.0..=1.0).contains(&f) => Err(RetrievalError::param(
                what,
                format!("{f} (a fraction must be between 0.0 and 1.0; use an integer for a count)"),
            )),
            _ => Ok(()),
        }
    }
}

impl FromStr for DfLimit {
    type Err = RetrievalError;
    /// `"5"` is a count, `"0.5"` or `"1.0"` a fraction (as int vs float in scikit-learn).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(c) = s.parse::<u64>() {
            return Ok(DfLimit::Count(c));
        }
        match s.parse::<f64>() {
            Ok(f) => Ok(DfLimit::Fraction(f)),
            Err(_) => Err(RetrievalError::param(
                "document frequency limit",
                format!("`{s}` (give a count like 2 or a fraction like 0.9)"),
            )),
        }
    }
}

/// `TfidfVectorizer` options (the ones that change the numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TfidfParams {
    pub sublinear_tf: bool,
    pub use_idf: bool,
    pub smooth_idf: bool,
    pub norm: Norm,
    pub min_df: DfLimit,
    pub max_df: DfLimit,
    /// A fixed vocabulary: feature i is `vocabulary[i]`; min_df/max_df are then ignored.
    pub vocabulary: Option<Vec<String>>,
}

impl Default for TfidfParams {
    /// scikit-learn's defaults.
    fn default() -> Self {
        TfidfParams {
            sublinear_tf: false,
            use_idf: true,
            smooth_idf: true,
            norm: Norm::L2,
            min_df: DfLimit::Count(1),
            max_df: DfLimit::Fraction(1.0),
            vocabulary: None,
        }
    }
}

/// A fitted TF-IDF model: the options and the idf of each feature (the
/// features are the terms of the vocabulary that [`TfidfModel::fit`] returns
/// with it).
#[derive(Debug, Clone, PartialEq)]
pub struct TfidfModel {
    pub params: TfidfParams,
    /// idf per feature (all 1.0 with `use_idf = false`).
    pub idf: Vec<f64>,
}

impl TfidfParams {
    /// Check `min_df` and `max_df`.
    pub fn validate(&self) -> Result<(), RetrievalError> {
        self.min_df.validate("min_df")?;
        self.max_df.validate("max_df")
    }
}

impl TfidfModel {
    /// `fit_transform`: learn vocabulary and idf from `docs` and return them
    /// with the documents × features matrix.
    pub fn fit<S: AsRef<str>>(
        analyzer: &Analyzer,
        docs: &[S],
        params: &TfidfParams,
    ) -> Result<(Vocabulary, TfidfModel, CsrMatrix<f64>), RetrievalError> {
        params.validate()?;
        TfidfModel::fit_counts(count_corpus(analyzer, docs), params)
    }

    /// [`TfidfModel::fit`] from the corpus's term counts.
    pub fn fit_counts(
        counts: Counts,
        params: &TfidfParams,
    ) -> Result<(Vocabulary, TfidfModel, CsrMatrix<f64>), RetrievalError> {
        let (vocab, model, m, _) = TfidfModel::fit_counts_norms(counts, params)?;
        Ok((vocab, model, m))
    }

    /// [`TfidfModel::fit_counts`], also returning each document's norm (what
    /// its tf-idf row was divided by; see [`TfidfIndex::norms`]).
    #[allow(clippy::type_complexity)]
    pub fn fit_counts_norms(
        counts: Counts,
        params: &TfidfParams,
    ) -> Result<(Vocabulary, TfidfModel, CsrMatrix<f64>, Vec<f64>), RetrievalError> {
        params.validate()?;
        let n = counts.tf.rows();
        let (vocab, tf) = match &params.vocabulary {
            Some(fixed) => remap_to_fixed(&counts.vocab, &counts.tf, fixed)?,
            None => {
                if counts.vocab.is_empty() {
                    return Err(RetrievalError::NoTerms {
                        detail: ": empty vocabulary, perhaps the documents only contain stopwords"
                            .into(),
                    });
                }
                prune(counts.vocab, counts.tf, params, n)?
            }
        };
        let df = document_frequency(&tf);
        let idf: Vec<f64> = if params.use_idf {
            let s = params.smooth_idf as u32;
            df.iter()
                .map(|&d| ((n as f64 + s as f64) / (d + s) as f64).ln() + 1.0)
                .collect()
        } else {
            vec![1.0; vocab.len()]
        };
        let model = TfidfModel {
            params: params.clone(),
            idf,
        };
        let mut m = CsrMatrix::<f64> {
            cols: tf.cols,
            indptr: tf.indptr,
            indices: tf.indices,
            data: tf.data.iter().map(|&c| c as f64).collect(),
        };
        let norms = (0..m.rows())
            .map(|r| {
                let (a, b) = (m.indptr[r], m.indptr[r + 1]);
                model.weigh(&m.indices[a..b], &mut m.data[a..b])
            })
            .collect();
        Ok((vocab, model, m, norms))
    }

    /// The weight of a term with count `tf` and idf `idf` in a row whose norm
    /// is `norm`, computed as `TfidfModel::weigh` does (the same float64
    /// steps, so the same bits).
    pub fn weight(&self, tf: u32, idf: f64, norm: f64) -> f64 {
        let mut v = tf as f64;
        if self.params.sublinear_tf {
            v = v.ln() + 1.0;
        }
        if self.params.use_idf {
            v *= idf;
        }
        if self.params.norm != Norm::None && norm != 0.0 {
            v /= norm;
        }
        v
    }

    /// tf → tf-idf, normalized, for one row given as columns and raw counts;
    /// returns the norm the row was divided by (1 when it was not).
    fn weigh(&self, cols: &[u32], vals: &mut [f64]) -> f64 {
        if self.params.sublinear_tf {
            for v in vals.iter_mut() {
                *v = v.ln() + 1.0;
            }
        }
        if self.params.use_idf {
            for (v, &c) in vals.iter_mut().zip(cols) {
                *v *= self.idf[c as usize];
            }
        }
        match self.params.norm {
            Norm::L2 => {
                let mut s = 0.0;
                for v in vals.iter() {
                    s += v * v;
                }
                if s != 0.0 {
                    let s = s.sqrt();
                    vals.iter_mut().for_each(|v| *v /= s);
                    return s;
                }
                1.0
            }
            Norm::L1 => {
                let mut s = 0.0;
                for v in vals.iter() {
                    s += v.abs();
                }
                if s != 0.0 {
                    vals.iter_mut().for_each(|v| *v /= s);
                    return s;
                }
                1.0
            }
            Norm::None => 1.0,
        }
    }

    /// `transform` of one text: its TF-IDF row as `(feature, value)` sorted
    /// by feature. `vocab` and `analyzer` are the ones the model was fitted with.
    pub fn transform(
        &self,
        vocab: &Vocabulary,
        analyzer: &Analyzer,
        text: &str,
    ) -> Vec<(u32, f64)> {
        self.query_vector(&vocab.query_terms(analyzer, text))
    }

    /// The TF-IDF row of a text given as its feature ids (repeats counted),
    /// as `(feature, value)` sorted by feature.
    pub fn query_vector(&self, terms: &[u32]) -> Vec<(u32, f64)> {
        let (cols, mut vals) = query_counts(terms);
        self.weigh(&cols, &mut vals);
        cols.into_iter().zip(vals).collect()
    }

    /// The norm of the query row of `terms` (what [`TfidfModel::query_vector`]
    /// divides by; 1 with `norm = none`).
    pub fn query_norm(&self, terms: &[u32]) -> f64 {
        let (cols, mut vals) = query_counts(terms);
        self.weigh(&cols, &mut vals)
    }
}

/// A query's features and counts, sorted by feature.
fn query_counts(terms: &[u32]) -> (Vec<u32>, Vec<f64>) {
    let mut ids = terms.to_vec();
    ids.sort_unstable();
    let mut cols: Vec<u32> = Vec::new();
    let mut vals: Vec<f64> = Vec::new();
    for id in ids {
        if cols.last() == Some(&id) {
            *vals.last_mut().expect("same length") += 1.0;
        } else {
            cols.push(id);
            vals.push(1.0);
        }
    }
    (cols, vals)
}

/// Keep the columns whose df passes min_df/max_df (scikit-learn's `_limit_features`).
fn prune(
    vocab: Vocabulary,
    tf: CsrMatrix<u32>,
    params: &TfidfParams,
    n: usize,
) -> Result<(Vocabulary, CsrMatrix<u32>), RetrievalError> {
    let hi = params.max_df.threshold(n);
    let lo = params.min_df.threshold(n);
    if hi < lo {
        return Err(RetrievalError::param(
            "max_df",
            "max_df corresponds to fewer documents than min_df",
        ));
    }
    let df = document_frequency(&tf);
    let keep: Vec<bool> = df
        .iter()
        .map(|&d| (d as f64) <= hi && (d as f64) >= lo)
        .collect();
    if keep.iter().all(|&k| k) {
        return Ok((vocab, tf));
    }
    if !keep.iter().any(|&k| k) {
        return Err(RetrievalError::NoTerms {
            detail: " after pruning with min_df/max_df".into(),
        });
    }
    let mut new_id = vec![u32::MAX; keep.len()];
    let mut terms = Vec::new();
    for (i, &k) in keep.iter().enumerate() {
        if k {
            new_id[i] = terms.len() as u32;
            terms.push(vocab.term(i as u32).to_string());
        }
    }
    let mut out = CsrMatrix::<u32>::new(terms.len());
    for r in 0..tf.rows() {
        let (c, v) = tf.row(r);
        for (&c, &v) in c.iter().zip(v) {
            let id = new_id[c as usize];
            if id != u32::MAX {
                out.indices.push(id);
                out.data.push(v);
            }
        }
        out.indptr.push(out.indices.len());
    }
    Ok((Vocabulary::from_terms(terms), out))
}

/// Re-number columns to a fixed vocabulary, dropping terms not in it.
fn remap_to_fixed(
    vocab: &Vocabulary,
    tf: &CsrMatrix<u32>,
    fixed: &[String],
) -> Result<(Vocabulary, CsrMatrix<u32>), RetrievalError> {
    if fixed.is_empty() {
        return Err(RetrievalError::param(
            "vocabulary",
            "the fixed vocabulary is empty",
        ));
    }
    let fixed_vocab = Vocabulary::from_terms(fixed.to_vec());
    if fixed_vocab.len() != fixed.len() {
        return Err(RetrievalError::param(
            "vocabulary",
            "the fixed vocabulary repeats a term",
        ));
    }
    let map: Vec<Option<u32>> = vocab.terms().iter().map(|t| fixed_vocab.id(t)).collect();
    let mut out = CsrMatrix::<u32>::new(fixed.len());
    let mut row = Vec::new();
    for r in 0..tf.rows() {
        let (c, v) = tf.row(r);
        row.clear();
        row.extend(
            c.iter()
                .zip(v)
                .filter_map(|(&c, &v)| map[c as usize].map(|id| (id, v))),
        );
        out.push_row(&mut row);
    }
    Ok((fixed_vocab, out))
}

/// A TF-IDF model plus the documents' vectors, inverted for search.
#[derive(Debug, Clone, PartialEq)]
pub struct TfidfIndex {
    pub model: TfidfModel,
    /// Features × documents: each feature's posting list of document weights.
    pub postings: CsrMatrix<f64>,
    /// Each document's norm: what its tf-idf row was divided by (its l2 or
    /// l1 norm; 1 with `norm = none` or an empty row). It is TF-IDF's length
    /// factor: a longer document has a larger norm, so each term weighs less.
    /// Kept so that an explanation can show it and recover each term frequency.
    pub norms: Vec<f64>,
}

/// One query term's part of a TF-IDF score (see [`TfidfIndex::explain`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TfidfPart {
    /// Whether the document contains the term.
    pub in_doc: bool,
    /// The part, `query weight · document weight`, as search multiplies it.
    pub score: f64,
    /// The term's weight in the query row.
    pub query_weight: f64,
    /// Its weight in the document row (`None` when the document lacks it).
    pub doc_weight: Option<f64>,
    /// The term's count in the document, recovered from the stored weight
    /// (0 when the document lacks the term).
    pub tf: Option<u32>,
}

impl TfidfIndex {
    /// Invert a documents × features matrix and its rows' norms from
    /// [`TfidfModel::fit_counts_norms`].
    pub fn new(model: TfidfModel, docs: &CsrMatrix<f64>, norms: Vec<f64>) -> Self {
        TfidfIndex {
            model,
            postings: docs.transpose(),
            norms,
        }
    }

    /// Number of documents.
    pub fn n_docs(&self) -> usize {
        self.postings.cols
    }

    /// Dot products of a query row with every document sharing a feature.
    pub fn score(&self, query: &[(u32, f64)], acc: &mut Accumulator<f64>) {
        acc.reset();
        for &(t, w) in query {
            let (docs, vals) = self.postings.row(t as usize);
            acc.add_postings_map(docs, vals, |v| w * v);
        }
    }

    /// Why `doc` scores what it does for the query row `query`: the score
    /// exactly as [`TfidfIndex::search`] adds it up (the same float64
    /// additions in the same order), and for each query feature its part,
    /// `w_query · w_doc`, with the count whose recomputed weight
    /// ([`TfidfModel::weight`]) equals the stored one bit for bit. `None`
    /// when the document has none of the features (search does not return it).
    pub fn explain(&self, query: &[(u32, f64)], doc: u32) -> Option<(f64, Vec<TfidfPart>)> {
        let norm = self.norms[doc as usize];
        let mut score = 0f64;
        let mut parts = Vec::with_capacity(query.len());
        for &(t, w) in query {
            let v = self.postings.get(t as usize, doc);
            if let Some(v) = v {
                score += w * v;
            }
            let idf = self.model.idf[t as usize];
            let tf = match v {
                Some(v) => {
                    // An upper bound on the count from the weight, then the
                    // exact count by recomputing.
                    let mut x = v * norm / if self.model.params.use_idf { idf } else { 1.0 };
                    if self.model.params.sublinear_tf {
                        x = (x - 1.0).exp();
                    }
                    let hi = (x * 2.0 + 2.0).clamp(1.0, u32::MAX as f64) as u32;
                    crate::terms::recover_tf(hi, v, |tf| self.model.weight(tf, idf, norm))
                }
                None => Some(0),
            };
            parts.push(TfidfPart {
                in_doc: v.is_some(),
                score: v.map_or(0.0, |v| w * v),
                query_weight: w,
                doc_weight: v,
                tf,
            });
        }
        parts.iter().any(|p| p.in_doc).then_some((score, parts))
    }

    /// This model's sections of an index file (see [`crate::index`]): the
    /// float64 idf per feature, the float64 norm per document, then the
    /// postings with float64 weights. The options are in the file's metadata.
    pub(crate) fn write_sections(&self, out: &mut Sections) {
        out.array(self.model.idf.iter().copied());
        out.array(self.norms.iter().copied());
        out.postings(&self.postings);
    }

    /// Read what [`TfidfIndex::write_sections`] wrote, checked against the
    /// number of features and documents.
    pub(crate) fn read_sections(
        params: TfidfParams,
        c: &mut Cursor,
        n_terms: usize,
        n_docs: usize,
    ) -> Result<Self, RetrievalError> {
        let idf: Vec<f64> = c.array("idf")?;
        if idf.len() != n_terms {
            return Err(c.corrupt("idf array has the wrong length"));
        }
        let norms: Vec<f64> = c.array("document norms")?;
        if norms.len() != n_docs {
            return Err(c.corrupt("document norms do not match the number of documents"));
        }
        if !norms.iter().all(|&v| v.is_finite() && v > 0.0) {
            return Err(c.corrupt("a document norm is not a positive finite number"));
        }
        let postings = c.postings::<f64>(n_terms, n_docs)?;
        // Every TF-IDF weight is > 0 (tf >= 1, idf >= 1, positive norms), which
        // the dense search path relies on.
        if !idf.iter().all(|&v| v.is_finite() && v > 0.0)
            || !postings.data.iter().all(|&v| v.is_finite() && v > 0.0)
        {
            return Err(c.corrupt("a TF-IDF weight is not a positive finite number"));
        }
        Ok(TfidfIndex {
            model: TfidfModel { params, idf },
            postings,
            norms,
        })
    }

    /// Top-k by cosine (dot product of TF-IDF rows), best first.
    pub fn search(
        &self,
        query: &[(u32, f64)],
        k: usize,
        acc: &mut Accumulator<f64>,
    ) -> Vec<(u32, f64)> {
        if self.dense(query) {
            // Same additions in the same order as `score`, so the same f64
            // scores; every weight is > 0, so a matched document is one
            // whose score is > 0 (see `Accumulator::take_top_k_dense`).
            acc.reset();
            for &(t, w) in query {
                let (docs, vals) = self.postings.row(t as usize);
                acc.add_postings_map_dense(docs, vals, |v| w * v);
            }
            return acc.take_top_k_dense(k);
        }
        self.score(query, acc);
        acc.take_top_k(k)
    }

    /// Whether the query should use the dense path: positive weights and
    /// enough postings that scanning every document's score costs little next
    /// to adding them up ([`crate::topk::dense_pays`], as for BM25).
    fn dense(&self, query: &[(u32, f64)]) -> bool {
        let mut postings = 0usize;
        for &(t, w) in query {
            if w.is_nan() || w <= 0.0 {
                return false;
            }
            let t = t as usize;
            postings += self.postings.indptr[t + 1] - self.postings.indptr[t];
        }
        crate::topk::dense_pays(postings, self.n_docs())
    }
}
