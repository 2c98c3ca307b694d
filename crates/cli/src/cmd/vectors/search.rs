//! `towel vectors search`: exact top-k of each query among the base vectors.
//!
//! ```sh
//! towel vectors search --base base.npy --queries q.npy -k 10 --metric cosine --json
//! ```

use std::num::NonZeroUsize;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::json;
use towel_vectors::{read_npy, FlatIndex, Metric};

use crate::output::{outln, Output};

/// `--metric`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricArg {
    /// Inner product, highest first (faiss IndexFlatIP).
    Ip,
    /// Cosine similarity, highest first (IndexFlatIP on vectors divided by their norms, as numpy rounds x / norm(x)).
    Cosine,
    /// Squared L2 distance, lowest first (faiss IndexFlatL2).
    L2,
}

impl From<MetricArg> for Metric {
    fn from(m: MetricArg) -> Metric {
        match m {
            MetricArg::Ip => Metric::InnerProduct,
            MetricArg::Cosine => Metric::Cosine,
            MetricArg::L2 => Metric::L2,
        }
    }
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The vectors to search: a 2-D float32 .npy file (C or Fortran order); ids are row numbers.
    #[arg(long)]
    pub base: PathBuf,
    /// The query vectors: a 2-D float32 .npy file of the same dimension.
    #[arg(long)]
    pub queries: PathBuf,
    /// Number of results per query.
    #[arg(short, long, default_value_t = NonZeroUsize::new(10).expect("10 > 0"), value_parser = crate::values::nonzero)]
    pub k: NonZeroUsize,
    /// How vectors are compared.
    #[arg(long, value_enum, default_value_t = MetricArg::Ip)]
    pub metric: MetricArg,
}

/// `towel vectors search`.
pub fn run(args: &SearchArgs, out: &Output) -> anyhow::Result<()> {
    let base = read_npy(&args.base)?;
    let queries = read_npy(&args.queries)?;
    if queries.dim() != base.dim() {
        bail!(
            "{}: dimension {}, but the base vectors ({}) have dimension {}",
            args.queries.display(),
            queries.dim(),
            args.base.display(),
            base.dim()
        );
    }
    if base.is_empty() {
        bail!(
            "{} holds no vectors: there is nothing to search",
            args.base.display()
        );
    }
    // The library names its inputs "vectors" and "queries"; say which file.
    let index = FlatIndex::from_vectors(&base, args.metric.into())
        .with_context(|| format!("in {}", args.base.display()))?;
    let results = index
        .search_batch(&queries, args.k.get())
        .with_context(|| format!("in {}", args.queries.display()))?;
    if out.json {
        let list: Vec<_> = results
            .iter()
            .map(|hits| {
                json!({
                    "ids": hits.iter().map(|h| h.id).collect::<Vec<_>>(),
                    "scores": hits.iter().map(|h| h.score).collect::<Vec<_>>(),
                })
            })
            .collect();
        return out.print_json(&list);
    }
    let what = match args.metric {
        MetricArg::L2 => "squared L2 distance",
        MetricArg::Ip => "inner product",
        MetricArg::Cosine => "cosine",
    };
    outln!(
        "{} queries, {} base vectors of dimension {}, top {} by {what}",
        queries.len(),
        base.len(),
        base.dim(),
        args.k.get().min(base.len())
    )?;
    for (q, hits) in results.iter().enumerate() {
        let line: Vec<String> = hits
            .iter()
            .map(|h| format!("{} ({:.4})", h.id, h.score))
            .collect();
        outln!("{q:>5}: {}", line.join("  "))?;
    }
    Ok(())
}
