//! `towel eval`: nDCG@10, Recall@100, MAP, MRR@10 and queries/s of an index
//! on judged queries, equal to trec_eval. Queries/s times query analysis,
//! scoring and top-k on the judged queries (as bm25s times `retrieve`), and
//! handing the queries to the search threads; not reading the files,
//! starting and waking the search threads (they start and wake while the
//! index loads, as the peers' pools are warm when timed) or turning document
//! indices into ids.
//!
//! ```sh
//! towel eval scifact.idx --beir scifact/ --run scifact.run
//! towel eval my.idx --queries q.tsv --qrels qrels.txt -k 1000
//! ```

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use clap::Args;
use serde_json::json;
use towel_data::WritePlan;
use towel_retrieval::corpus::read_queries;
use towel_retrieval::eval::{
    beir_paths, evaluate_with_corpus, judged_queries, read_qrels, write_trec_run,
};
use towel_retrieval::retriever::SearchThreads;
use towel_retrieval::Retriever;

use crate::files::{ForceArg, RUN};
use crate::output::{outln, Output};

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// An index file written by `towel index`.
    pub index: PathBuf,
    /// Queries: JSONL with `_id`/`text` (BEIR queries.jsonl) or a TSV `id<TAB>text`.
    #[arg(long, required_unless_present = "beir", conflicts_with = "beir")]
    pub queries: Option<PathBuf>,
    /// Relevance judgments: BEIR TSV (with header) or TREC 4-column qrels.
    #[arg(long, required_unless_present = "beir", conflicts_with = "beir")]
    pub qrels: Option<PathBuf>,
    /// A BEIR folder: shortcut for --queries DIR/queries.jsonl --qrels DIR/qrels/test.tsv.
    #[arg(long)]
    pub beir: Option<PathBuf>,
    /// Also write the run (TREC format) to this file.
    #[arg(long)]
    pub run: Option<PathBuf>,
    #[command(flatten)]
    pub force: ForceArg,
    /// Run depth: documents retrieved per query.
    #[arg(short, long, default_value_t = NonZeroUsize::new(100).expect("100 > 0"), value_parser = crate::values::nonzero)]
    pub k: NonZeroUsize,
    /// Search threads (default: all cores; at most one per core).
    #[arg(long, value_parser = crate::values::nonzero)]
    pub threads: Option<NonZeroUsize>,
}

/// `towel eval`.
pub fn run(args: &EvalArgs, out: &Output) -> anyhow::Result<()> {
    let (qpath, rpath) = match (&args.beir, &args.queries, &args.qrels) {
        (Some(dir), _, _) => beir_paths(dir)?,
        (None, Some(q), Some(r)) => (q.clone(), r.clone()),
        _ => unreachable!("clap requires --beir, or --queries with --qrels"),
    };
    let mut plan = WritePlan::new()
        .input(&args.index)
        .inputs([&qpath, &rpath])
        .force(args.force.force);
    if let Some(path) = &args.run {
        plan = plan.output(path, RUN);
    }
    plan.check()?;
    // The search threads start, and wake, while the index loads (`warm_up`
    // holds them awake until the batch), as the peers are timed with warm
    // pools; waking them again before the clock covers a slow load.
    if let Some(t) = args.threads {
        let n = towel_data::threads::at_most_cores(t.get());
        if n < t.get() {
            eprintln!("warning: --threads {t} is more than the {n} cores here; searching on {n}");
        }
    }
    let threads = SearchThreads::new(args.threads.map(NonZeroUsize::get));
    threads.warm_up();
    let r = Retriever::load(&args.index)?;
    let queries = read_queries(&qpath)?;
    if queries.is_empty() {
        bail!("{} has no queries", qpath.display());
    }
    let mut qrels = read_qrels(&rpath)?;
    // Evaluate the judged queries that have a text, as the BEIR peers do.
    let (judged, without_text) = judged_queries(&queries, &mut qrels);
    if without_text > 0 {
        eprintln!(
            "warning: {without_text} judged queries have no text in {} and are not evaluated",
            qpath.display()
        );
    }
    if qrels.is_empty() {
        bail!(
            "no query of {} is judged in {}; check that the files belong together",
            qpath.display(),
            rpath.display()
        );
    }
    // Timed: query analysis, scoring and top-k, the work bm25s's `retrieve`
    // does (it returns document indices); turning indices into document ids
    // for the run and the evaluation is not.
    let texts: Vec<&str> = judged.iter().map(|q| q.text.as_str()).collect();
    threads.warm_up();
    let t = Instant::now();
    let hits = r.search_batch_on(&threads, &texts, args.k.get());
    let secs = t.elapsed().as_secs_f64();
    let run = r.hits_to_run(&judged, hits);
    let qps = judged.len() as f64 / secs.max(1e-9);
    let known: HashSet<String> = r.doc_ids().iter().cloned().collect();
    let ev = evaluate_with_corpus(&qrels, &run, &known);
    if ev.unknown_qrels_docs > 0 {
        eprintln!(
            "warning: {} qrels entries name documents that are not in the index (they count as unretrieved)",
            ev.unknown_qrels_docs
        );
    }
    if let Some(path) = &args.run {
        // The run writer writes atomically through towel_data::write itself.
        plan.check()?;
        write_trec_run(path, &run, "towel")?;
    }
    let m = &ev.mean;
    if out.json {
        out.print_json(&json!({
            "ndcg@10": m.ndcg_at_10,
            "recall@100": m.recall_at_100,
            "map": m.map,
            "mrr@10": m.mrr_at_10,
            "queries": ev.queries,
            "qps": qps,
            "unknown_qrels_docs": ev.unknown_qrels_docs,
            "method": r.method(),
            "search_seconds": secs,
            "k": args.k.get(),
        }))?;
    } else {
        outln!(
            "{} on {} queries (top-{}):",
            r.method().describe(),
            ev.queries,
            args.k
        )?;
        outln!("  nDCG@10     {:.4}", m.ndcg_at_10)?;
        outln!("  Recall@100  {:.4}", m.recall_at_100)?;
        outln!("  MAP         {:.4}", m.map)?;
        outln!("  MRR@10      {:.4}", m.mrr_at_10)?;
        if args.k.get() < 100 {
            // As trec_eval labels a measure by its cutoff whatever the run's depth.
            outln!(
                "  (a top-{} run: the measures at cutoffs above {} see only its {} documents a query)",
                args.k,
                args.k,
                args.k
            )?;
        }
        outln!("  {:.0} queries/s ({:.3} s)", qps, secs)?;
        if let Some(path) = &args.run {
            outln!("run written to {}", path.display())?;
        }
    }
    Ok(())
}
