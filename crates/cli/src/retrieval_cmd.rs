//! `towel index`, `towel search`, `towel eval`: sparse retrieval from the
//! command line (crate `towel-retrieval`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::bail;
use clap::Args;
use indicatif::ProgressStyle;
use serde_json::json;
use towel_retrieval::analyzer::{AnalyzerConfig, StemmerKind, Stopwords};
use towel_retrieval::bm25::{Bm25Params, Bm25Variant};
use towel_retrieval::corpus::{load_corpus, Fields};
use towel_retrieval::tfidf::{DfLimit, Norm, TfidfParams};
use towel_retrieval::{Method, Retriever};

use crate::output::Output;

/// Which scoring model an index uses.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodArg {
    Bm25,
    Tfidf,
}

#[derive(Args, Debug)]
pub struct IndexArgs {
    /// The documents: a BEIR folder (with corpus.jsonl), a JSONL file, or a folder of .txt files.
    #[arg(long)]
    pub corpus: PathBuf,
    /// Where to write the index file.
    #[arg(long)]
    pub out: PathBuf,
    /// Scoring model.
    #[arg(long, value_enum, default_value = "bm25")]
    pub method: MethodArg,
    /// BM25 variant (as bm25s names them): lucene, robertson, atire, bm25l, bm25+.
    #[arg(long)]
    pub variant: Option<String>,
    /// BM25 k1 (term frequency saturation) [default: 1.2].
    #[arg(long)]
    pub k1: Option<f64>,
    /// BM25 b (length normalization, 0..1) [default: 0.75].
    #[arg(long)]
    pub b: Option<f64>,
    /// BM25L / BM25+ delta [default: 0.5].
    #[arg(long)]
    pub delta: Option<f64>,
    /// Stemmer: english (Snowball) or none [default: english for bm25, none for tfidf].
    #[arg(long)]
    pub stemmer: Option<String>,
    /// Stopwords: sklearn (318 words), bm25s (33 words) or none [default: bm25s for bm25, none for tfidf].
    #[arg(long)]
    pub stopwords: Option<String>,
    /// JSONL field holding the document id.
    #[arg(long, default_value = "_id")]
    pub id_field: String,
    /// JSONL field holding the document text.
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// JSONL field holding the title (indexed as `title + " " + text`; absent is fine).
    #[arg(long, default_value = "title")]
    pub title_field: String,
    /// TF-IDF: use 1 + ln(tf) instead of tf.
    #[arg(long)]
    pub sublinear_tf: bool,
    /// TF-IDF: row normalization, l2, l1 or none [default: l2].
    #[arg(long)]
    pub norm: Option<String>,
    /// TF-IDF: idf ln(n/df) + 1 instead of ln((1+n)/(1+df)) + 1.
    #[arg(long)]
    pub no_smooth_idf: bool,
    /// TF-IDF: ignore terms in fewer documents (a count like 2, or a fraction like 0.01).
    #[arg(long)]
    pub min_df: Option<String>,
    /// TF-IDF: ignore terms in more documents (a count, or a fraction like 0.9).
    #[arg(long)]
    pub max_df: Option<String>,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// An index file written by `towel index`.
    pub index: PathBuf,
    /// The query text.
    pub query: String,
    /// Number of results.
    #[arg(short, long, default_value_t = 10)]
    pub k: usize,
}

fn method_from(args: &IndexArgs) -> anyhow::Result<(Method, AnalyzerConfig)> {
    let bm25_only = [
        ("--variant", args.variant.is_some()),
        ("--k1", args.k1.is_some()),
        ("--b", args.b.is_some()),
        ("--delta", args.delta.is_some()),
    ];
    let tfidf_only = [
        ("--sublinear-tf", args.sublinear_tf),
        ("--norm", args.norm.is_some()),
        ("--no-smooth-idf", args.no_smooth_idf),
        ("--min-df", args.min_df.is_some()),
        ("--max-df", args.max_df.is_some()),
    ];
    let method = match args.method {
        MethodArg::Bm25 => {
            if let Some((flag, _)) = tfidf_only.iter().find(|(_, set)| *set) {
                bail!("{flag} applies to --method tfidf only");
            }
            let d = Bm25Params::default();
            let variant: Bm25Variant = match &args.variant {
                Some(v) => v.parse()?,
                None => d.variant,
            };
            let p = Bm25Params {
                variant,
                k1: args.k1.unwrap_or(d.k1),
                b: args.b.unwrap_or(d.b),
                delta: args.delta.unwrap_or(d.delta),
            };
            p.validate()?;
            Method::Bm25(p)
        }
        MethodArg::Tfidf => {
            if let Some((flag, _)) = bm25_only.iter().find(|(_, set)| *set) {
                bail!("{flag} applies to --method bm25 only");
            }
            let d = TfidfParams::default();
            let parse_df = |s: &Option<String>, default: DfLimit| -> anyhow::Result<DfLimit> {
                Ok(match s {
                    Some(s) => s.parse()?,
                    None => default,
                })
            };
            Method::Tfidf(TfidfParams {
                sublinear_tf: args.sublinear_tf,
                smooth_idf: !args.no_smooth_idf,
                norm: match &args.norm {
                    Some(n) => n.parse::<Norm>()?,
                    None => d.norm,
                },
                min_df: parse_df(&args.min_df, d.min_df)?,
                max_df: parse_df(&args.max_df, d.max_df)?,
                ..d
            })
        }
    };
    let bm25 = args.method == MethodArg::Bm25;
    let stemmer = match &args.stemmer {
        Some(s) => s.parse::<StemmerKind>()?,
        None if bm25 => StemmerKind::English,
        None => StemmerKind::None,
    };
    let stopwords = match &args.stopwords {
        Some(s) => s.parse::<Stopwords>()?,
        None if bm25 => Stopwords::Bm25s,
        None => Stopwords::None,
    };
    Ok((
        method,
        AnalyzerConfig {
            stopwords,
            stemmer,
            ..AnalyzerConfig::default()
        },
    ))
}

/// `towel index`.
pub fn index(args: &IndexArgs, out: &Output) -> anyhow::Result<()> {
    let (method, analyzer) = method_from(args)?;
    let fields = Fields {
        id: args.id_field.clone(),
        text: args.text_field.clone(),
        title: Some(args.title_field.clone()),
    };
    let start = Instant::now();
    let docs = load_corpus(&args.corpus, &fields)?;
    let read_s = start.elapsed().as_secs_f64();
    let bar = out.progress(Some(docs.len() as u64), "indexing");
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {pos}/{len} documents ({per_sec}, eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let t = Instant::now();
    let mut last = 0usize;
    let r = Retriever::build_with_progress(&docs, analyzer, method, &mut |n| {
        if n - last >= 256 || n == docs.len() {
            bar.set_position(n as u64);
            last = n;
        }
    })?;
    let index_s = t.elapsed().as_secs_f64();
    bar.finish_and_clear();
    r.save(&args.out)?;
    let bytes = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    if out.json {
        out.print_json(&json!({
            "index": args.out.display().to_string(),
            "documents": r.n_docs(),
            "terms": r.vocab().len(),
            "method": r.method(),
            "analyzer": r.analyzer().config(),
            "read_seconds": read_s,
            "index_seconds": index_s,
            "bytes": bytes,
        }))?;
    } else {
        println!(
            "indexed {} documents, {} terms, with {} (stopwords {}, stemmer {}) in {:.2} s",
            r.n_docs(),
            r.vocab().len(),
            r.method().describe(),
            r.analyzer().config().stopwords,
            r.analyzer().config().stemmer,
            index_s
        );
        println!(
            "wrote {} ({})",
            args.out.display(),
            crate::tour::human_bytes(bytes)
        );
    }
    Ok(())
}

pub fn load_index(path: &Path) -> anyhow::Result<Retriever> {
    Ok(Retriever::load(path)?)
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// `towel search`.
pub fn search(args: &SearchArgs, out: &Output) -> anyhow::Result<()> {
    let r = load_index(&args.index)?;
    let hits = r.search(&args.query, args.k);
    if out.json {
        let hits: Vec<_> = hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                json!({"rank": i + 1, "id": r.doc_id(h.doc), "score": h.score, "title": r.title(h.doc)})
            })
            .collect();
        out.print_json(&json!({"query": args.query, "hits": hits}))?;
        return Ok(());
    }
    if hits.is_empty() {
        println!("no document contains a term of this query");
        return Ok(());
    }
    let idw = hits
        .iter()
        .map(|h| r.doc_id(h.doc).chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    println!("{:>4}  {:<idw$}  {:>9}  title", "rank", "id", "score");
    for (i, h) in hits.iter().enumerate() {
        println!(
            "{:>4}  {:<idw$}  {:>9.4}  {}",
            i + 1,
            r.doc_id(h.doc),
            h.score,
            shorten(r.title(h.doc), 70)
        );
    }
    Ok(())
}

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
    /// Run depth: documents retrieved per query.
    #[arg(short, long, default_value_t = 100)]
    pub k: usize,
    /// Search threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// `towel eval`.
pub fn eval(args: &EvalArgs, out: &Output) -> anyhow::Result<()> {
    use std::collections::HashSet;
    use towel_retrieval::corpus::read_queries;
    use towel_retrieval::eval::{
        beir_paths, evaluate_with_corpus, read_qrels, write_trec_run, Run,
    };

    let (qpath, rpath) = match (&args.beir, &args.queries, &args.qrels) {
        (Some(dir), _, _) => beir_paths(dir)?,
        (None, Some(q), Some(r)) => (q.clone(), r.clone()),
        _ => bail!("give --queries and --qrels, or --beir DIR"),
    };
    if args.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    let r = load_index(&args.index)?;
    let queries = read_queries(&qpath)?;
    let mut qrels = read_qrels(&rpath)?;
    // Evaluate the judged queries that have a text, as the BEIR peers do.
    let texts: std::collections::HashMap<&str, &str> = queries
        .iter()
        .map(|q| (q.id.as_str(), q.text.as_str()))
        .collect();
    let before = qrels.len();
    qrels.retain(|qid, _| texts.contains_key(qid.as_str()));
    if qrels.len() < before {
        eprintln!(
            "warning: {} judged queries have no text in {} and are not evaluated",
            before - qrels.len(),
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
    let qids: Vec<&String> = qrels.keys().collect();
    let qtexts: Vec<&str> = qids.iter().map(|q| texts[q.as_str()]).collect();
    let t = Instant::now();
    let hits = r.search_batch(&qtexts, args.k, args.threads);
    let secs = t.elapsed().as_secs_f64();
    let qps = qtexts.len() as f64 / secs.max(1e-9);
    let run: Run = qids
        .iter()
        .zip(&hits)
        .map(|(q, h)| {
            let ranked = h
                .iter()
                .map(|h| (r.doc_id(h.doc).to_string(), h.score))
                .collect();
            ((*q).clone(), ranked)
        })
        .collect();
    let known: HashSet<String> = r.doc_ids().iter().cloned().collect();
    let ev = evaluate_with_corpus(&qrels, &run, &known);
    if ev.unknown_qrels_docs > 0 {
        eprintln!(
            "warning: {} qrels entries name documents that are not in the index (they count as unretrieved)",
            ev.unknown_qrels_docs
        );
    }
    if let Some(path) = &args.run {
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
        }))?;
    } else {
        println!(
            "{} on {} queries (top-{}):",
            r.method().describe(),
            ev.queries,
            args.k
        );
        println!("  nDCG@10     {:.4}", m.ndcg_at_10);
        println!("  Recall@100  {:.4}", m.recall_at_100);
        println!("  MAP         {:.4}", m.map);
        println!("  MRR@10      {:.4}", m.mrr_at_10);
        println!("  {:.0} queries/s ({:.3} s)", qps, secs);
        if let Some(path) = &args.run {
            println!("run written to {}", path.display());
        }
    }
    Ok(())
}
