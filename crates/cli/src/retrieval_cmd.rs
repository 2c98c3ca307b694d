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
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} documents ({per_sec}, eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let t = Instant::now();
    let mut last = 0usize;
    let r = Retriever::build(&docs, analyzer, method, &mut |n| {
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
        println!("wrote {} ({})", args.out.display(), crate::tour::human_bytes(bytes));
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
