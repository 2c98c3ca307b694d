//! [`Explanation`]: why a document has its score for a query, as Lucene's
//! and tantivy's `explain` give it, and its plain-text form, which `towel
//! search --explain` prints and Python's `str(index.explain(...))` returns.
//!
//! ```
//! use towel_retrieval::{Retriever, Method, corpus::Document};
//! use towel_retrieval::analyzer::AnalyzerConfig;
//! let docs: Vec<Document> = ["the cat purrs", "a dog barks at the cat", "cats and dogs play"]
//!     .iter().enumerate()
//!     .map(|(i, t)| Document { id: format!("d{i}"), title: String::new(), text: t.to_string() })
//!     .collect();
//! let r = Retriever::build(&docs, AnalyzerConfig::bm25s_english(), Method::bm25()).unwrap();
//! let e = r.explain("cat purrs", 0);
//! assert_eq!(e.score, r.search("cat purrs", 1)[0].score);
//! assert_eq!(e.terms[0].term, "purr");
//! assert_eq!(e.terms[0].tf, Some(1));
//! let sum: f64 = e.terms.iter().map(|t| t.score).sum();
//! assert!((sum - e.score).abs() < 1e-6);
//! assert!(r.method().formula().starts_with("part = idf x tfc"));
//! assert!(e.length_line(&r.method()).starts_with("length factor L = 1 - 0.75 + 0.75 x 2/"));
//! assert!(e.terms[0].line().starts_with("purr: idf "));
//! ```

use serde::Serialize;

use crate::retriever::Method;
use crate::tfidf::Norm;

/// Why a document has its score for a query (as Lucene's and tantivy's
/// `explain`): the score, what the document's length does to it, and each
/// known query term's part. The parts sum to the score (up to float rounding:
/// BM25 adds float32 values).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The document index.
    pub doc: u32,
    /// The score, exactly as [`Retriever::search`](crate::Retriever::search) gives it (0 when the
    /// document has none of the query's terms).
    pub score: f64,
    /// BM25: the document's length |d| (terms after stopword removal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_len: Option<u32>,
    /// BM25: the mean document length avgdl.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_doc_len: Option<f64>,
    /// The document's length factor. BM25: `L = 1 − b + b·|d|/avgdl`, by
    /// which k1 is scaled in every tf component (1 for a document of average
    /// length). TF-IDF: the norm ‖d‖ the document's weights were divided by.
    pub length_factor: f64,
    /// TF-IDF: the norm ‖q‖ the query's weights were divided by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_norm: Option<f64>,
    /// One entry per distinct query term the vocabulary knows, largest part first.
    pub terms: Vec<TermScore>,
}

/// One query term's part of a document's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermScore {
    /// The term as indexed (after lowercasing and stemming).
    pub term: String,
    /// How many times the query has it.
    pub query_count: u32,
    /// Whether the document contains it.
    pub in_doc: bool,
    /// Its part of the score. BM25: `idf · tfc` once per query occurrence;
    /// TF-IDF: the query's weight times the document's weight.
    pub score: f64,
    /// How many documents contain the term.
    pub df: u32,
    /// The term's idf as the model computes it (BM25: the variant's formula
    /// of `df` and N, in float64; the stored scores use it rounded to
    /// float32. TF-IDF: the fitted idf).
    pub idf: f64,
    /// The term's count in the document (0 when absent). Index files keep
    /// weights, not counts: it is the count whose recomputed weight equals
    /// the stored one bit for bit (`None` if several counts give the same
    /// weight, as BM25 with k1 = 0 does).
    pub tf: Option<u32>,
    /// BM25: the tf component `tfc(tf, L)` (lucene: `tf / (tf + k1·L)`), for
    /// a term in the document (bm25l/bm25+: for every term, as an absent
    /// term still scores `idf · tfc(0)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tf_component: Option<f64>,
    /// The document's length factor (the same for every term; see
    /// [`Explanation::length_factor`]).
    pub length_factor: f64,
    /// TF-IDF only: the term's weight in the normalised query vector,
    /// `qtf · idf / ‖q‖` (qtf sublinear if set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_weight: Option<f64>,
    /// TF-IDF only, for a term in the document: its weight in the
    /// normalised document vector, `tf · idf / ‖d‖` (tf sublinear if set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_weight: Option<f64>,
}

impl Method {
    /// The scoring formula with this method's parameters, one line (`towel
    /// search --explain` prints it above the hits).
    pub fn formula(&self) -> String {
        match self {
            Method::Bm25(p) => {
                let (idf, tfc) = p.variant.formulas();
                format!("part = idf x tfc; idf = {idf}; tfc = {tfc}; L = 1 - b + b x |d|/avgdl")
            }
            Method::Tfidf(p) => {
                let tf = if p.sublinear_tf { "(1 + ln tf)" } else { "tf" };
                let idf = match (p.use_idf, p.smooth_idf) {
                    (false, _) => "1 (no idf)",
                    (true, true) => "ln((1 + N)/(1 + df)) + 1",
                    (true, false) => "ln(N/df) + 1",
                };
                let norm = match p.norm {
                    Norm::L2 => "|d| = the l2 norm of the document's tf x idf row (likewise |q|)",
                    Norm::L1 => "|d| = the l1 norm of the document's tf x idf row (likewise |q|)",
                    Norm::None => "|d| = |q| = 1 (no normalization)",
                };
                format!("part = query weight x document weight; document weight = {tf} x idf / |d|; idf = {idf}; {norm}")
            }
        }
    }
}

impl Explanation {
    /// The document's length factor, worked out, one line (`method` is the
    /// retriever's, which holds BM25's `b`).
    pub fn length_line(&self, method: &Method) -> String {
        match (method, self.doc_len, self.avg_doc_len, self.query_norm) {
            (Method::Bm25(p), Some(len), Some(avg), _) => format!(
                "length factor L = 1 - {b} + {b} x {len}/{avg:.2} = {:.4} ({len} terms, {})",
                self.length_factor,
                if self.length_factor > 1.0 {
                    "longer than average: each tf counts less"
                } else if self.length_factor < 1.0 {
                    "shorter than average: each tf counts more"
                } else {
                    "as long as average"
                },
                b = p.b,
            ),
            (_, _, _, Some(q)) => format!(
                "length factor |d| = {:.4}; query norm |q| = {q:.4}",
                self.length_factor
            ),
            _ => format!("length factor {:.4}", self.length_factor),
        }
    }

    /// The whole explanation as text: the formula, the score, the length
    /// line, then one line per term with its part of the score.
    pub fn to_text(&self, method: &Method) -> String {
        let mut s = format!(
            "{}: {}\ndocument {}: score {:.4}\n  {}\n",
            method.describe(),
            method.formula(),
            self.doc,
            self.score,
            self.length_line(method)
        );
        for t in &self.terms {
            s.push_str(&format!("  {:>9.4}  {}\n", t.score, t.line()));
        }
        s
    }
}

impl TermScore {
    /// This term's part of the score, worked out, one line.
    pub fn line(&self) -> String {
        let docs = format!(
            "{} document{}",
            self.df,
            if self.df == 1 { "" } else { "s" }
        );
        let times = if self.query_count > 1 {
            format!(
                " x{} (in the query {} times)",
                self.query_count, self.query_count
            )
        } else {
            String::new()
        };
        let tf = self
            .tf
            .map_or("tf unknown".to_string(), |tf| format!("tf {tf}"));
        let how = match (self.tf_component, self.query_weight, self.doc_weight) {
            (Some(tfc), ..) if self.in_doc => {
                format!("idf {:.4} x tfc {tfc:.4}{times} ({tf})", self.idf)
            }
            (Some(tfc), ..) => format!(
                "not in the document, still idf {:.4} x tfc(0) {tfc:.4}{times}",
                self.idf
            ),
            (None, Some(q), Some(d)) => format!(
                "query weight {q:.4} x document weight {d:.4} ({tf}, idf {:.4})",
                self.idf
            ),
            (None, _, _) if self.in_doc => format!("idf {:.4}{times} ({tf})", self.idf),
            (None, _, _) => format!("not in the document (idf {:.4})", self.idf),
        };
        format!("{}: {how}; in {docs}", self.term)
    }
}
