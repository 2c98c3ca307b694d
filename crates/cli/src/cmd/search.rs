//! `towel search`: ranked document ids, scores and titles from an index file.
//!
//! ```sh
//! towel search scifact.idx "coronavirus transmission" -k 5
//! towel search scifact.idx "coronavirus transmission" -k 3 --explain
//! ```
//!
//! `--explain` shows why each hit scores what it does, as Lucene's and
//! tantivy's explain do: the formula with this index's parameters, the
//! document's length factor, and each query term's part of the score (the
//! parts sum to the score; see `towel_retrieval::Explanation`). For BM25 a
//! part is `idf x tfc`, where the tf component `tfc` holds the term's count tf
//! in the document and the length factor `L = 1 - b + b x |d|/avgdl`; for
//! TF-IDF it is `query weight x document weight`, where the document weight is
//! `tf x idf / |d|` and the norm `|d|` is the length factor. Index files keep
//! the scores, not the counts: tf is the count whose recomputed score is the
//! stored one bit for bit.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use towel_retrieval::tfidf::Norm;
use towel_retrieval::{Explanation, Method, Retriever, TermScore};

use crate::display::{count, shorten};
use crate::output::{outln, Output};

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// An index file written by `towel index`.
    pub index: PathBuf,
    /// The query text.
    pub query: String,
    /// Number of results.
    #[arg(short, long, default_value_t = NonZeroUsize::new(10).expect("10 > 0"))]
    pub k: NonZeroUsize,
    /// Show each query term's part of every score (the parts sum to the score).
    #[arg(long)]
    pub explain: bool,
}

/// `towel search`.
pub fn run(args: &SearchArgs, out: &Output) -> anyhow::Result<()> {
    let r = Retriever::load(&args.index)?;
    let hits = r.search(&args.query, args.k.get());
    let method = r.method();
    if out.json {
        let hits: Vec<_> = hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let mut hit = json!({"rank": i + 1, "id": r.doc_id(h.doc), "score": h.score, "title": r.title(h.doc)});
                if args.explain {
                    let e = r.explain(&args.query, h.doc);
                    hit["length_factor"] = json!(e.length_factor);
                    if let Some(l) = e.doc_len {
                        hit["doc_len"] = json!(l);
                    }
                    if let Some(a) = e.avg_doc_len {
                        hit["avg_doc_len"] = json!(a);
                    }
                    if let Some(q) = e.query_norm {
                        hit["query_norm"] = json!(q);
                    }
                    hit["explanation"] = json!(e.terms);
                }
                hit
            })
            .collect();
        let mut v = json!({"query": args.query, "hits": hits});
        if args.explain {
            v["method"] = json!(method);
            v["formula"] = json!(formula(&method));
        }
        out.print_json(&v)?;
        return Ok(());
    }
    if hits.is_empty() {
        outln!("no document contains a term of this query")?;
        return Ok(());
    }
    let idw = hits
        .iter()
        .map(|h| r.doc_id(h.doc).chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    if args.explain {
        outln!("{}: {}", method.describe(), formula(&method))?;
    }
    outln!("{:>4}  {:<idw$}  {:>9}  title", "rank", "id", "score")?;
    // The explanation lines: score column, then the text.
    let line = |score: Option<f64>, text: &str| {
        let score = score.map_or(String::new(), |s| format!("{s:.4}"));
        outln!("{:>4}  {:<idw$}  {score:>9}  {text}", "", "")
    };
    for (i, h) in hits.iter().enumerate() {
        outln!(
            "{:>4}  {:<idw$}  {:>9.4}  {}",
            i + 1,
            r.doc_id(h.doc),
            h.score,
            shorten(r.title(h.doc), 70)
        )?;
        if args.explain {
            let e = r.explain(&args.query, h.doc);
            line(None, &length_line(&method, &e))?;
            for t in &e.terms {
                line(Some(t.score), &term_line(t))?;
            }
        }
    }
    Ok(())
}

/// The scoring formula with this index's parameters, one line.
fn formula(method: &Method) -> String {
    match method {
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

/// The document's length factor, worked out.
fn length_line(method: &Method, e: &Explanation) -> String {
    match (method, e.doc_len, e.avg_doc_len, e.query_norm) {
        (Method::Bm25(p), Some(len), Some(avg), _) => format!(
            "length factor L = 1 - {b} + {b} x {len}/{avg:.2} = {:.4} ({len} terms, {})",
            e.length_factor,
            if e.length_factor > 1.0 {
                "longer than average: each tf counts less"
            } else if e.length_factor < 1.0 {
                "shorter than average: each tf counts more"
            } else {
                "as long as average"
            },
            b = p.b,
        ),
        (_, _, _, Some(q)) => format!(
            "length factor |d| = {:.4}; query norm |q| = {q:.4}",
            e.length_factor
        ),
        _ => format!("length factor {:.4}", e.length_factor),
    }
}

/// One query term's part, worked out.
fn term_line(t: &TermScore) -> String {
    let docs = count(t.df as usize, "document");
    let times = if t.query_count > 1 {
        format!(" x{} (in the query {} times)", t.query_count, t.query_count)
    } else {
        String::new()
    };
    let tf =
        t.tf.map_or("tf unknown".to_string(), |tf| format!("tf {tf}"));
    let how = match (t.tf_component, t.query_weight, t.doc_weight) {
        (Some(tfc), ..) if t.in_doc => format!("idf {:.4} x tfc {tfc:.4}{times} ({tf})", t.idf),
        (Some(tfc), ..) => format!(
            "not in the document, still idf {:.4} x tfc(0) {tfc:.4}{times}",
            t.idf
        ),
        (None, Some(q), Some(d)) => format!(
            "query weight {q:.4} x document weight {d:.4} ({tf}, idf {:.4})",
            t.idf
        ),
        (None, _, _) if t.in_doc => format!("idf {:.4}{times} ({tf})", t.idf),
        (None, _, _) => format!("not in the document (idf {:.4})", t.idf),
    };
    format!("{}: {how}; in {docs}", t.term)
}
