//! BM25 in the five variants bm25s implements, with bm25s's numbers.
//!
//! Like bm25s, towel scores eagerly: at index time every (term, document)
//! pair gets its full score contribution `idf(term) · tfc(tf, |d|)`, stored in
//! the term's posting list; a query is then the sum of its terms' posting
//! lists (repeated query terms count again, as in bm25s), and top-k is a
//! partial selection over the documents touched.
//!
//! **Two query paths, one result.** When every stored score is > 0 (lucene and
//! atire on ordinary corpora) and a query's posting lists hold at least one
//! entry per 16 documents, [`Bm25Index::search`] adds them into a dense score
//! array with no touched-document bookkeeping and scans all documents in
//! blocks for the top k (a document is matched exactly when its score is > 0).
//! Otherwise it marks touched documents in a bitset and visits only those.
//! Both add the same values in the same order, so scores and ranking are the
//! same (tested against each other on SciFact for all five variants).
//!
//! | variant | idf | tf component |
//! | --- | --- | --- |
//! | robertson | `ln(max(1, (N−df+0.5)/(df+0.5)))` | `tf / (k1·(1−b+b·|d|/avgdl) + tf)` |
//! | lucene | `ln(1 + (N−df+0.5)/(df+0.5))` | same as robertson |
//! | atire | `ln(N/df)` | `tf·(k1+1) / (tf + k1·(1−b+b·|d|/avgdl))` |
//! | bm25l | `ln((N+1)/(df+0.5))` | `(k1+1)(c+δ)/(k1+c+δ)`, `c = tf/(1−b+b·|d|/avgdl)` |
//! | bm25+ | `ln((N+1)/df)` | `(k1+1)·tf/(k1·(1−b+b·|d|/avgdl)+tf) + δ` |
//!
//! For bm25l and bm25+ a term that a document lacks still scores
//! `idf · tfc(0)`: each posting stores its score minus that non-occurrence
//! score, and a query adds the sum of its terms' non-occurrence scores to
//! every matched document (bm25s's `nonoccurrence_array`).
//!
//! **Precision.** bm25s keeps idf and the stored scores in float32 and adds up
//! a query in float32, with some intermediate steps in float64 (NumPy 2
//! promotion rules). towel follows the same steps in the same precision, so its
//! scores are the same float32 values, not just close (the tests check 1e-5).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::RetrievalError;
use crate::index::{Cursor, Sections};
use crate::sparse::CsrMatrix;
use crate::terms::document_frequency;
use crate::topk::Accumulator;

/// The BM25 variants of bm25s (`method=` there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Bm25Variant {
    /// Robertson et al.: idf floored at 0.
    Robertson,
    /// Lucene's BM25 (bm25s's default): idf `ln(1 + …)`, never negative.
    #[default]
    Lucene,
    /// ATIRE: idf `ln(N/df)`, tf part scaled by `k1 + 1`.
    Atire,
    /// BM25L (Lv & Zhai), with a shift δ on the normalized tf.
    #[serde(rename = "bm25l")]
    Bm25L,
    /// BM25+ (Lv & Zhai), with a lower bound δ on the tf part.
    #[serde(rename = "bm25+")]
    Bm25Plus,
}

impl Bm25Variant {
    /// All variants, in bm25s's order.
    pub const ALL: [Bm25Variant; 5] = [
        Bm25Variant::Robertson,
        Bm25Variant::Lucene,
        Bm25Variant::Atire,
        Bm25Variant::Bm25L,
        Bm25Variant::Bm25Plus,
    ];

    /// The name bm25s uses (`method=`).
    pub fn name(self) -> &'static str {
        match self {
            Bm25Variant::Robertson => "robertson",
            Bm25Variant::Lucene => "lucene",
            Bm25Variant::Atire => "atire",
            Bm25Variant::Bm25L => "bm25l",
            Bm25Variant::Bm25Plus => "bm25+",
        }
    }

    /// The idf and tf-component formulas, as plain text (`L` is the length
    /// factor `1 − b + b·|d|/avgdl`; see the table in this module's docs).
    pub fn formulas(self) -> (&'static str, &'static str) {
        match self {
            Bm25Variant::Robertson => (
                "ln(max(1, (N - df + 0.5)/(df + 0.5)))",
                "tf / (tf + k1 x L)",
            ),
            Bm25Variant::Lucene => ("ln(1 + (N - df + 0.5)/(df + 0.5))", "tf / (tf + k1 x L)"),
            Bm25Variant::Atire => ("ln(N/df)", "tf x (k1 + 1) / (tf + k1 x L)"),
            Bm25Variant::Bm25L => (
                "ln((N + 1)/(df + 0.5))",
                "(k1 + 1)(c + delta) / (k1 + c + delta), c = tf/L",
            ),
            Bm25Variant::Bm25Plus => ("ln((N + 1)/df)", "(k1 + 1) x tf / (tf + k1 x L) + delta"),
        }
    }

    fn uses_nonoccurrence(self) -> bool {
        matches!(self, Bm25Variant::Bm25L | Bm25Variant::Bm25Plus)
    }

    /// The idf of a term in `df` of `n` documents, as bm25s computes it (float64).
    pub fn idf(self, df: u32, n: usize) -> f64 {
        let (df, n) = (df as f64, n as f64);
        match self {
            Bm25Variant::Robertson => {
                let inner = (n - df + 0.5) / (df + 0.5);
                inner.max(1.0).ln()
            }
            Bm25Variant::Lucene => (1.0 + (n - df + 0.5) / (df + 0.5)).ln(),
            Bm25Variant::Atire => (n / df).ln(),
            Bm25Variant::Bm25L => ((n + 1.0) / (df + 0.5)).ln(),
            Bm25Variant::Bm25Plus => ((n + 1.0) / df).ln(),
        }
    }

    /// The tf component for term frequency `tf` in a document of `len` terms,
    /// following bm25s's float32/float64 steps.
    pub fn tfc(self, tf: u32, len: f64, avg_len: f64, p: &Bm25Params) -> f64 {
        let (k1, b, delta) = (p.k1, p.b, p.delta);
        let tf32 = tf as f32;
        let tf64 = tf32 as f64;
        let norm = b * len / avg_len;
        match self {
            Bm25Variant::Robertson | Bm25Variant::Lucene => tf64 / (k1 * ((1.0 - b) + norm) + tf64),
            Bm25Variant::Atire => {
                // `tf_array * (k1 + 1)` stays float32 in NumPy.
                let num = (tf32 * (k1 + 1.0) as f32) as f64;
                num / (tf64 + k1 * (1.0 - b + norm))
            }
            Bm25Variant::Bm25L => {
                let c = tf64 / (1.0 - b + norm);
                ((k1 + 1.0) * (c + delta)) / (k1 + c + delta)
            }
            Bm25Variant::Bm25Plus => {
                let num = ((k1 + 1.0) as f32 * tf32) as f64;
                num / (k1 * (1.0 - b + norm) + tf64) + delta
            }
        }
    }
}

impl FromStr for Bm25Variant {
    type Err = RetrievalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "robertson" => Ok(Bm25Variant::Robertson),
            "lucene" => Ok(Bm25Variant::Lucene),
            "atire" => Ok(Bm25Variant::Atire),
            "bm25l" => Ok(Bm25Variant::Bm25L),
            "bm25+" | "bm25plus" => Ok(Bm25Variant::Bm25Plus),
            _ => Err(RetrievalError::param(
                "BM25 variant",
                format!("`{s}`; use lucene, robertson, atire, bm25l or bm25+"),
            )),
        }
    }
}

impl fmt::Display for Bm25Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// BM25 parameters. Defaults: lucene, k1 = 1.2, b = 0.75, δ = 0.5 (bm25s's
/// default δ, used by bm25l and bm25+ only). Note bm25s's own default k1 is 1.5;
/// towel uses the 1.2 that the peer measurements and most systems use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bm25Params {
    pub variant: Bm25Variant,
    pub k1: f64,
    pub b: f64,
    pub delta: f64,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Bm25Params {
            variant: Bm25Variant::Lucene,
            k1: 1.2,
            b: 0.75,
            delta: 0.5,
        }
    }
}

impl Bm25Params {
    /// Check the ranges: k1 ≥ 0, 0 ≤ b ≤ 1, δ ≥ 0, all finite.
    pub fn validate(&self) -> Result<(), RetrievalError> {
        if !(self.k1.is_finite() && self.k1 >= 0.0) {
            return Err(RetrievalError::param(
                "k1",
                format!("{} (must be a finite number >= 0)", self.k1),
            ));
        }
        if !(0.0..=1.0).contains(&self.b) {
            return Err(RetrievalError::param(
                "b",
                format!("{} (must be between 0 and 1)", self.b),
            ));
        }
        if !(self.delta.is_finite() && self.delta >= 0.0) {
            return Err(RetrievalError::param(
                "delta",
                format!("{} (must be a finite number >= 0)", self.delta),
            ));
        }
        Ok(())
    }
}

/// An eager BM25 index: per-term posting lists of score contributions.
#[derive(Debug, Clone, PartialEq)]
pub struct Bm25Index {
    /// The parameters it was built with.
    pub params: Bm25Params,
    /// Mean document length (terms after stopword removal).
    pub avg_doc_len: f64,
    /// Terms × documents; each value is the posting's score (minus the
    /// non-occurrence score for bm25l/bm25+).
    pub postings: CsrMatrix<f32>,
    /// Per-term non-occurrence score (bm25l/bm25+), else empty.
    pub nonoccurrence: Vec<f32>,
    /// Each document's length |d| (terms after stopword removal), which the
    /// scores were normalized by; kept so that an explanation can show the
    /// length factor `1 − b + b·|d|/avgdl` and recover each term frequency.
    pub doc_len: Vec<u32>,
    /// Every stored posting score is > 0 and there are no non-occurrence
    /// scores, so a document was matched exactly when its score is > 0 (see
    /// [`Bm25Index::from_parts`]). Then a query that touches many documents can
    /// skip the touched-document bookkeeping (the dense path of [`Bm25Index::score`]).
    positive: bool,
}

impl Bm25Index {
    /// Build from a documents × terms count matrix and document lengths.
    pub fn build(
        tf: &CsrMatrix<u32>,
        doc_len: &[u32],
        params: Bm25Params,
    ) -> Result<Self, RetrievalError> {
        params.validate()?;
        let n = tf.rows();
        let total: u64 = doc_len.iter().map(|&l| l as u64).sum();
        let avg = if n == 0 { 0.0 } else { total as f64 / n as f64 };
        // An all-empty corpus would divide by zero: treat every length as average.
        let avg_doc_len = if avg > 0.0 { avg } else { 1.0 };
        let v = params.variant;
        let df = document_frequency(tf);
        let idf64: Vec<f64> = df.iter().map(|&d| v.idf(d.max(1), n)).collect();
        let idf32: Vec<f32> = idf64.iter().map(|&x| x as f32).collect();
        let nonoccurrence: Vec<f32> = if v.uses_nonoccurrence() {
            let t0 = v.tfc(0, avg_doc_len, avg_doc_len, &params);
            idf64.iter().map(|&i| (i * t0) as f32).collect()
        } else {
            Vec::new()
        };
        let doc_len = &doc_len[..n];
        let mut scored = CsrMatrix::<f32> {
            cols: tf.cols,
            indptr: tf.indptr.clone(),
            indices: tf.indices.clone(),
            data: Vec::with_capacity(tf.nnz()),
        };
        for (d, &len) in doc_len.iter().enumerate() {
            let (terms, counts) = tf.row(d);
            for (&t, &c) in terms.iter().zip(counts) {
                let t = t as usize;
                let non = nonoccurrence.get(t).copied();
                let s = posting_value(&params, idf32[t], non, c, len, avg_doc_len);
                scored.data.push(s);
            }
        }
        Ok(Bm25Index::from_parts(
            params,
            avg,
            scored.transpose(),
            nonoccurrence,
            doc_len.to_vec(),
        ))
    }

    /// The mean length the scores were normalized by: the stored mean, or 1
    /// for a corpus whose documents are all empty (see [`Bm25Index::build`]).
    pub fn avgdl(&self) -> f64 {
        if self.avg_doc_len > 0.0 {
            self.avg_doc_len
        } else {
            1.0
        }
    }

    /// Document `doc`'s length factor `1 − b + b·|d|/avgdl`: 1 for a document
    /// of average length, larger for a longer one. The tf component divides
    /// the term frequency by it (times k1), so a term counts less in a long
    /// document; b sets how much (b = 0: not at all).
    pub fn length_factor(&self, doc: u32) -> f64 {
        let b = self.params.b;
        (1.0 - b) + b * self.doc_len[doc as usize] as f64 / self.avgdl()
    }

    /// Term `t`'s idf from its posting list's length (its df), in the float32
    /// the stored scores were computed with.
    fn idf32(&self, t: u32) -> f32 {
        let df = self.postings.row(t as usize).0.len() as u32;
        self.params.variant.idf(df.max(1), self.n_docs()) as f32
    }

    /// An index from its stored parts (as an index file holds them).
    fn from_parts(
        params: Bm25Params,
        avg_doc_len: f64,
        postings: CsrMatrix<f32>,
        nonoccurrence: Vec<f32>,
        doc_len: Vec<u32>,
    ) -> Self {
        let positive = nonoccurrence.is_empty() && postings.data.iter().all(|&v| v > 0.0);
        Bm25Index {
            params,
            avg_doc_len,
            postings,
            nonoccurrence,
            doc_len,
            positive,
        }
    }

    /// This model's sections of an index file (see [`crate::index`]): the
    /// float32 non-occurrence scores (empty unless bm25l/bm25+), the u32
    /// document lengths, then the postings with float32 scores. The
    /// parameters and the mean document length are in the file's metadata.
    pub(crate) fn write_sections(&self, out: &mut Sections) {
        out.array(self.nonoccurrence.iter().copied());
        out.array(self.doc_len.iter().copied());
        out.postings(&self.postings);
    }

    /// Read what [`Bm25Index::write_sections`] wrote, checked against the
    /// number of terms and documents.
    pub(crate) fn read_sections(
        params: Bm25Params,
        avg_doc_len: f64,
        c: &mut Cursor,
        n_terms: usize,
        n_docs: usize,
    ) -> Result<Self, RetrievalError> {
        let nonoccurrence: Vec<f32> = c.array("non-occurrence scores")?;
        if !nonoccurrence.is_empty() && nonoccurrence.len() != n_terms {
            return Err(c.corrupt("non-occurrence array has the wrong length"));
        }
        if !nonoccurrence.iter().all(|v| v.is_finite()) {
            return Err(c.corrupt("a non-occurrence score is not a finite number"));
        }
        let doc_len: Vec<u32> = c.array("document lengths")?;
        if doc_len.len() != n_docs {
            return Err(c.corrupt("document lengths do not match the number of documents"));
        }
        // The mean is computed as `build` computes it, so it must be the
        // metadata's value bit for bit.
        let total: u64 = doc_len.iter().map(|&l| l as u64).sum();
        let avg = if n_docs == 0 {
            0.0
        } else {
            total as f64 / n_docs as f64
        };
        if avg.to_bits() != avg_doc_len.to_bits() {
            return Err(c.corrupt(format!(
                "document lengths average {avg}, the metadata says {avg_doc_len}"
            )));
        }
        let postings = c.postings::<f32>(n_terms, n_docs)?;
        // Scores add up: one NaN or inf would score every document that
        // has the term NaN or inf (negative scores are fine: Robertson's
        // idf can be).
        if !postings.data.iter().all(|v| v.is_finite()) {
            return Err(c.corrupt("a BM25 posting score is not a finite number"));
        }
        // A document holds at least as many terms as it has postings.
        let mut distinct = vec![0u32; n_docs];
        for &d in &postings.indices {
            distinct[d as usize] += 1;
        }
        if let Some(d) = (0..n_docs).find(|&d| distinct[d] > doc_len[d]) {
            return Err(c.corrupt(format!(
                "document {d} has {} distinct terms but length {}",
                distinct[d], doc_len[d]
            )));
        }
        Ok(Bm25Index::from_parts(
            params,
            avg_doc_len,
            postings,
            nonoccurrence,
            doc_len,
        ))
    }

    /// Whether a query over `terms` should use the dense path: every score
    /// positive, and enough postings that scanning all documents for the top k
    /// costs little next to adding them up ([`crate::topk::dense_pays`]).
    fn dense(&self, terms: &[u32]) -> bool {
        if !self.positive {
            return false;
        }
        let mut postings = 0usize;
        for &t in terms {
            let t = t as usize;
            postings += self.postings.indptr[t + 1] - self.postings.indptr[t];
        }
        crate::topk::dense_pays(postings, self.n_docs())
    }

    /// Number of documents.
    pub fn n_docs(&self) -> usize {
        self.postings.cols
    }

    /// Score the documents matching `terms` (term ids, repeats counted) into
    /// `acc`; afterwards `acc` holds every matched document's BM25 score.
    pub fn score(&self, terms: &[u32], acc: &mut Accumulator<f32>) {
        acc.reset();
        for &t in terms {
            let (docs, vals) = self.postings.row(t as usize);
            acc.add_postings(docs, vals);
        }
        if !self.nonoccurrence.is_empty() && !terms.is_empty() {
            let per_term: Vec<f32> = terms
                .iter()
                .map(|&t| self.nonoccurrence[t as usize])
                .collect();
            acc.add_to_touched(numpy_sum_f32(&per_term));
        }
    }

    /// The `k` best documents for `terms`, best first: `(doc index, score)`.
    /// Only documents containing at least one query term are returned.
    pub fn search(&self, terms: &[u32], k: usize, acc: &mut Accumulator<f32>) -> Vec<(u32, f32)> {
        if self.dense(terms) {
            // Dense path: plain `scores[d] += v` adds (no touched-document
            // bits), then one scan of all scores; a matched document is one
            // whose score is > 0. Same additions in the same order, so the
            // same float32 scores and the same ranking as the sparse path.
            acc.reset();
            for &t in terms {
                let (docs, vals) = self.postings.row(t as usize);
                acc.add_postings_dense(docs, vals);
            }
            return acc.take_top_k_dense(k);
        }
        self.score(terms, acc);
        acc.take_top_k(k)
    }
}

/// One query occurrence's part of a BM25 score (see [`Bm25Index::explain`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Part {
    /// Whether the document contains the term.
    pub in_doc: bool,
    /// The part: the stored float32 posting score search adds (plus, for
    /// bm25l/bm25+, the term's float32 non-occurrence score).
    pub score: f64,
    /// The term's count in the document, recovered from the stored score
    /// (0 when the document lacks the term; `None` when several counts give
    /// this same score, as with k1 = 0).
    pub tf: Option<u32>,
    /// The idf the score was computed with (float32, as stored).
    pub idf: f32,
    /// The tf component `tfc(tf, |d|)` for that count (`None` with no count).
    pub tfc: Option<f64>,
}

impl Bm25Index {
    /// Why `doc` scores what it does for `terms` (term ids, repeats
    /// counted): the score exactly as [`Bm25Index::search`] adds it up (the
    /// same float32 additions in the same order), and one part per query
    /// term occurrence, `idf · tfc(tf, |d|)` (for bm25l/bm25+ a term the
    /// document lacks still gives its non-occurrence score). Each part's tf
    /// is the count whose recomputed score equals the stored one bit for bit.
    /// `None` when the document has none of the terms (search does not
    /// return it).
    pub fn explain(&self, terms: &[u32], doc: u32) -> Option<(f32, Vec<Bm25Part>)> {
        let len = self.doc_len[doc as usize];
        let avgdl = self.avgdl();
        let mut score = 0f32;
        let mut parts: Vec<Bm25Part> = Vec::with_capacity(terms.len());
        for &t in terms {
            let idf = self.idf32(t);
            let non = self.nonoccurrence.get(t as usize).copied();
            let stored = self.postings.get(t as usize, doc);
            if let Some(v) = stored {
                score += v;
            }
            let tf = match stored {
                Some(v) => crate::terms::recover_tf(len, v, |tf| {
                    posting_value(&self.params, idf, non, tf, len, avgdl)
                }),
                None => Some(0),
            };
            let part = stored.unwrap_or(0.0) as f64 + non.unwrap_or(0.0) as f64;
            let tfc = match tf {
                Some(0) if non.is_none() => None,
                Some(tf) => Some(self.params.variant.tfc(tf, len as f64, avgdl, &self.params)),
                // Several counts give this score (k1 = 0): the tf component
                // is the same for all of them.
                None => (idf != 0.0).then(|| part / idf as f64),
            };
            parts.push(Bm25Part {
                in_doc: stored.is_some(),
                score: part,
                tf,
                idf,
                tfc,
            });
        }
        if !parts.iter().any(|p| p.in_doc) {
            return None;
        }
        if !self.nonoccurrence.is_empty() {
            let per_term: Vec<f32> = terms
                .iter()
                .map(|&t| self.nonoccurrence[t as usize])
                .collect();
            score += numpy_sum_f32(&per_term);
        }
        Some((score, parts))
    }
}

/// The score stored for a posting of a term with float32 idf `idf`, count
/// `tf`, in a document of `len` terms: `idf · tfc(tf, |d|)`, minus the
/// term's non-occurrence score `non` (bm25l/bm25+), in float32 as bm25s
/// stores it. [`Bm25Index::build`] stores it; [`Bm25Index::explain`]
/// recomputes it to recover `tf`.
fn posting_value(p: &Bm25Params, idf: f32, non: Option<f32>, tf: u32, len: u32, avgdl: f64) -> f32 {
    let mut s = idf as f64 * p.variant.tfc(tf, len as f64, avgdl, p);
    if let Some(n) = non {
        s -= n as f64;
    }
    s as f32
}

/// NumPy's float32 `sum` (pairwise summation with 8 accumulators, blocks of
/// 128), so the non-occurrence total rounds as in bm25s.
pub fn numpy_sum_f32(a: &[f32]) -> f32 {
    fn pairwise(a: &[f32]) -> f32 {
        let n = a.len();
        if n < 8 {
            let mut res = 0.0f32;
            for &x in a {
                res += x;
            }
            res
        } else if n <= 128 {
            let mut r = [0f32; 8];
            r.copy_from_slice(&a[..8]);
            let mut i = 8;
            while i < n - (n % 8) {
                for j in 0..8 {
                    r[j] += a[i + j];
                }
                i += 8;
            }
            let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            while i < n {
                res += a[i];
                i += 1;
            }
            res
        } else {
            let mut n2 = n / 2;
            n2 -= n2 % 8;
            pairwise(&a[..n2]) + pairwise(&a[n2..])
        }
    }
    pairwise(a)
}
