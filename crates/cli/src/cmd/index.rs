//! `towel index`: build a TF-IDF or BM25 index file from a corpus (crate
//! `towel-retrieval`).
//!
//! ```sh
//! towel index --corpus scifact/ --out scifact.idx                  # BM25 (lucene), a BEIR folder
//! towel index --corpus docs.jsonl --out docs.idx --method tfidf   # scikit-learn's TfidfVectorizer
//! towel index --corpus notes/ --out notes.idx --variant bm25+     # a folder of .txt files
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use clap::Args;
use serde_json::json;
use towel_data::WritePlan;
use towel_retrieval::analyzer::{AnalyzerConfig, StemmerKind, Stopwords};
use towel_retrieval::bm25::{Bm25Params, Bm25Variant};
use towel_retrieval::corpus::{corpus_files, index_output_problem, load_corpus, Fields};
use towel_retrieval::tfidf::{DfLimit, Norm, TfidfParams};
use towel_retrieval::{Method, Retriever};

use crate::display::human_bytes;
use crate::files::{ForceArg, INDEX};
use crate::output::{outln, Output};

/// Which scoring model an index uses.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodArg {
    Bm25,
    Tfidf,
}

/// A closed set of names on the command line, each standing for a value of
/// a library type.
macro_rules! value_enum {
    ($(#[$doc:meta])* $name:ident => $target:ty { $($(#[$vdoc:meta])* $variant:ident $(= $alias:literal)? => $value:expr),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($(#[$vdoc])* $(#[value(name = $alias)])? $variant),+ }
        impl From<$name> for $target {
            fn from(v: $name) -> $target {
                match v { $($name::$variant => $value),+ }
            }
        }
    };
}

value_enum! {
    /// `--variant`: the BM25 variants, as bm25s names them.
    VariantArg => Bm25Variant {
        /// Lucene's BM25 (bm25s's default): idf ln(1 + …), never negative.
        Lucene => Bm25Variant::Lucene,
        /// Robertson et al.: idf floored at 0.
        Robertson => Bm25Variant::Robertson,
        /// ATIRE: idf ln(N/df), tf part scaled by k1 + 1.
        Atire => Bm25Variant::Atire,
        /// BM25L (Lv & Zhai): a shift delta on the normalized tf.
        Bm25l => Bm25Variant::Bm25L,
        /// BM25+ (Lv & Zhai): a lower bound delta on the tf part.
        Bm25Plus = "bm25+" => Bm25Variant::Bm25Plus,
    }
}

value_enum! {
    /// `--stemmer`.
    StemmerArg => StemmerKind {
        /// Snowball English (Porter 2), equal to PyStemmer.
        English => StemmerKind::English,
        /// No stemming.
        None => StemmerKind::None,
    }
}

value_enum! {
    /// `--stopwords`.
    StopwordsArg => Stopwords {
        /// scikit-learn's English list (318 words).
        Sklearn => Stopwords::Sklearn,
        /// bm25s's English list (33 words).
        Bm25s => Stopwords::Bm25s,
        /// Keep every word.
        None => Stopwords::None,
    }
}

value_enum! {
    /// `--norm`.
    NormArg => Norm {
        /// Unit Euclidean length (scikit-learn's default).
        L2 => Norm::L2,
        /// Unit sum of absolute values.
        L1 => Norm::L1,
        /// Raw tf-idf weights.
        None => Norm::None,
    }
}

#[derive(Args, Debug)]
pub struct IndexArgs {
    /// The documents: a BEIR folder (with corpus.jsonl), a JSONL file, or a folder of .txt files.
    #[arg(long)]
    pub corpus: PathBuf,
    /// Where to write the index file.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub force: ForceArg,
    /// Scoring model.
    #[arg(long, value_enum, default_value = "bm25")]
    pub method: MethodArg,
    /// BM25 variant (as bm25s names them) [default: lucene].
    #[arg(long, value_enum)]
    pub variant: Option<VariantArg>,
    /// BM25 k1 (term frequency saturation) [default: 1.2].
    #[arg(long)]
    pub k1: Option<f64>,
    /// BM25 b (length normalization, 0..1) [default: 0.75].
    #[arg(long)]
    pub b: Option<f64>,
    /// BM25L / BM25+ delta [default: 0.5].
    #[arg(long)]
    pub delta: Option<f64>,
    /// Stemmer [default: english for bm25, none for tfidf].
    #[arg(long, value_enum)]
    pub stemmer: Option<StemmerArg>,
    /// Stopwords [default: bm25s for bm25, none for tfidf].
    #[arg(long, value_enum)]
    pub stopwords: Option<StopwordsArg>,
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
    /// TF-IDF: row normalization [default: l2].
    #[arg(long, value_enum)]
    pub norm: Option<NormArg>,
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
            let variant: Bm25Variant = args.variant.map_or(d.variant, Into::into);
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
                norm: args.norm.map_or(d.norm, Into::into),
                min_df: parse_df(&args.min_df, d.min_df)?,
                max_df: parse_df(&args.max_df, d.max_df)?,
                ..d
            })
        }
    };
    let bm25 = args.method == MethodArg::Bm25;
    let stemmer = match args.stemmer {
        Some(s) => s.into(),
        None if bm25 => StemmerKind::English,
        None => StemmerKind::None,
    };
    let stopwords = match args.stopwords {
        Some(s) => s.into(),
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
pub fn run(args: &IndexArgs, out: &Output) -> anyhow::Result<()> {
    let (method, analyzer) = method_from(args)?;
    let plan = WritePlan::new()
        .inputs(corpus_files(&args.corpus))
        .output(&args.out, INDEX)
        .force(args.force.force);
    plan.check()?;
    // (After the plan: an output that is one of the documents is named as such.)
    if let Some(reason) = index_output_problem(&args.corpus, &args.out) {
        bail!("{reason}");
    }
    let fields = Fields {
        id: args.id_field.clone(),
        text: args.text_field.clone(),
        title: Some(args.title_field.clone()),
    };
    let start = Instant::now();
    let docs = load_corpus(&args.corpus, &fields)?;
    let read_s = start.elapsed().as_secs_f64();
    let bar = out.counter(docs.len() as u64, "indexing", "documents");
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
    let file = towel_retrieval::index::to_bytes(&r);
    plan.write(&[&file])?;
    let bytes = file.len() as u64;
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
        outln!(
            "indexed {} documents, {} terms, with {} (stopwords {}, stemmer {}) in {:.2} s",
            r.n_docs(),
            r.vocab().len(),
            r.method().describe(),
            r.analyzer().config().stopwords,
            r.analyzer().config().stemmer,
            index_s
        )?;
        outln!("wrote {} ({})", args.out.display(), human_bytes(bytes))?;
    }
    Ok(())
}
