//! `towel search`: ranked document ids, scores and titles from an index file.
//!
//! ```sh
//! towel search scifact.idx "coronavirus transmission" -k 5
//! towel search scifact.idx "coronavirus transmission" -k 3 --explain
//! ```
//!
//! `--explain` adds each query term's part of every score (the parts sum to
//! the score; see `towel_retrieval::Explanation`).

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
                    format!(" (x{} in the query)", t.query_count)
                } else {
                    String::new()
                };
                let absent = if t.in_doc {
                    ""
                } else {
                    " (not in the document)"
                };
                outln!(
                    "{:>4}  {:<idw$}  {:>9.4}  {}{times}{absent}",
                    "",
                    "",
                    t.score,
                    t.term
                )?;
            }
        }
    }
    Ok(())
}
