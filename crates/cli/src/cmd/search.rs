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
use towel_retrieval::Retriever;

use crate::display::shorten;
use crate::output::{outln, Output};

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// An index file written by `towel index`.
    pub index: PathBuf,
    /// The query text.
    pub query: String,
    /// Number of results.
    #[arg(short, long, default_value_t = NonZeroUsize::new(10).expect("10 > 0"), value_parser = crate::values::nonzero)]
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
            v["formula"] = json!(method.formula());
        }
        out.print_json(&v)?;
        return Ok(());
    }
    if hits.is_empty() {
        let terms = r.analyzer().analyze(&args.query);
        if terms.is_empty() {
            outln!("the query has no terms once analyzed (the index's analyzer drops stopwords, punctuation and one-letter words)")?;
        } else {
            outln!(
                "no document contains a term of this query (its terms: {})",
                terms.join(" ")
            )?;
        }
        return Ok(());
    }
    let idw = hits
        .iter()
        .map(|h| r.doc_id(h.doc).chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    if args.explain {
        outln!("{}: {}", method.describe(), method.formula())?;
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
            line(None, &e.length_line(&method))?;
            for t in &e.terms {
                line(Some(t.score), &t.line())?;
            }
        }
    }
    Ok(())
}
