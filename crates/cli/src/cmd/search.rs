//! `towel search`: ranked document ids, scores and titles from an index file.
//!
//! ```sh
//! towel search scifact.idx "coronavirus transmission" -k 5
//! towel search scifact.idx "coronavirus transmission" -k 3 --explain
//! ```
//!
//! `--explain` adds each query term's part of every score (the parts sum to
//! the score; see `towel_retrieval::Explanation`), with what makes it up:
//! for BM25 `idf × tfc` (the tf component holds the term frequency and the
//! length normalization), for TF-IDF `query weight × document weight`, and
//! each term's df and idf, as Lucene's and tantivy's explain do.

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
    if out.json {
        let hits: Vec<_> = hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let mut hit = json!({"rank": i + 1, "id": r.doc_id(h.doc), "score": h.score, "title": r.title(h.doc)});
                if args.explain {
                    hit["explanation"] = json!(r.explain(&args.query, h.doc).terms);
                }
                hit
            })
            .collect();
        out.print_json(&json!({"query": args.query, "hits": hits}))?;
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
    outln!("{:>4}  {:<idw$}  {:>9}  title", "rank", "id", "score")?;
    for (i, h) in hits.iter().enumerate() {
        outln!(
            "{:>4}  {:<idw$}  {:>9.4}  {}",
            i + 1,
            r.doc_id(h.doc),
            h.score,
            shorten(r.title(h.doc), 70)
        )?;
        if args.explain {
            for t in r.explain(&args.query, h.doc).terms {
                let times = if t.query_count > 1 {
                    format!(" x{} (in the query {} times)", t.query_count, t.query_count)
                } else {
                    String::new()
                };
                let how = match (t.in_doc, t.tf_component, t.query_weight, t.doc_weight) {
                    (false, ..) => "not in the document".to_string(),
                    (true, Some(tfc), ..) => format!("idf {:.4} x tfc {tfc:.4}{times}", t.idf),
                    (true, None, Some(q), Some(d)) => {
                        format!("query weight {q:.4} x document weight {d:.4}")
                    }
                    (true, ..) => format!("idf {:.4}", t.idf),
                };
                let idf = if t.in_doc && t.tf_component.is_some() {
                    String::new()
                } else {
                    format!(", idf {:.4}", t.idf)
                };
                outln!(
                    "{:>4}  {:<idw$}  {:>9.4}  {}: {how}; in {} documents{idf}",
                    "",
                    "",
                    t.score,
                    t.term,
                    t.df,
                )?;
            }
        }
    }
    Ok(())
}
