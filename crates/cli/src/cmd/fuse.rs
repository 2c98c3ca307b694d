//! `towel fuse`: combine TREC runs (BM25 and a dense model, say) into one,
//! by reciprocal rank fusion or a convex combination of normalized scores.
//!
//! ```sh
//! towel fuse bm25.run lsa.run --out hybrid.run
//! towel fuse bm25.run lsa.run --method convex --weights 0.7,0.3 --out hybrid.run
//! ```

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use serde_json::json;
use towel_data::WritePlan;
use towel_retrieval::eval::{check_finite_scores, fuse, read_trec_run, write_trec_run, Fusion};

use crate::files::{ForceArg, RUN};
use crate::output::{outln, Output};

/// `--method`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodArg {
    /// Reciprocal rank fusion: Σ w / (k + rank).
    Rrf,
    /// Weighted sum of min-max normalized scores (weights scaled to sum to 1).
    Convex,
}

#[derive(Args, Debug)]
pub struct FuseArgs {
    /// The runs to combine (TREC format `qid Q0 docid rank score tag`), two or more.
    #[arg(required = true, num_args = 2..)]
    pub runs: Vec<PathBuf>,
    /// The fused run to write (TREC format), atomically.
    #[arg(long)]
    pub out: PathBuf,
    /// How runs are combined.
    #[arg(long, value_enum, default_value_t = MethodArg::Rrf)]
    pub method: MethodArg,
    /// The RRF constant k (rank r counts 1 / (k + r)).
    #[arg(long, default_value_t = 60.0)]
    pub k: f64,
    /// One weight per run, comma-separated (default: equal weights).
    #[arg(long, value_delimiter = ',')]
    pub weights: Vec<f64>,
    /// Documents kept per query in the fused run.
    #[arg(long, default_value_t = 1000)]
    pub depth: usize,
    /// The tag (last column) of the fused run.
    #[arg(long, default_value = "towel-fuse")]
    pub tag: String,
    #[command(flatten)]
    pub force: ForceArg,
}

/// `towel fuse`.
pub fn run(args: &FuseArgs, out: &Output) -> anyhow::Result<()> {
    if args.depth == 0 {
        bail!("--depth must be at least 1");
    }
    if args.k != 60.0 && args.method != MethodArg::Rrf {
        bail!("--k is the RRF constant; it does not apply to --method convex");
    }
    let plan = WritePlan::new()
        .inputs(&args.runs)
        .output(&args.out, RUN)
        .force(args.force.force);
    plan.check()?;
    // Fusion refuses infinite scores, which the reader accepts (as
    // trec_eval does); checked here too, to name the file, not `run 2`.
    let runs = args
        .runs
        .iter()
        .map(|p| {
            let run = read_trec_run(p)?;
            check_finite_scores(&run, &p.display().to_string())?;
            Ok(run)
        })
        .collect::<Result<Vec<_>, towel_retrieval::RetrievalError>>()?;
    let method = match args.method {
        MethodArg::Rrf => Fusion::Rrf { k: args.k },
        MethodArg::Convex => Fusion::Convex,
    };
    let weights = (!args.weights.is_empty()).then_some(args.weights.as_slice());
    let fused = fuse(&runs, &method, weights, Some(args.depth))?;
    // The run writer writes atomically through towel_data::write itself.
    write_trec_run(&args.out, &fused, &args.tag)?;
    let lines: usize = fused.values().map(Vec::len).sum();
    if out.json {
        return out.print_json(&json!({
            "out": args.out,
            "method": match method { Fusion::Rrf { .. } => "rrf", Fusion::Convex => "convex" },
            "k": matches!(method, Fusion::Rrf { .. }).then_some(args.k),
            "weights": weights,
            "runs": args.runs,
            "queries": fused.len(),
            "lines": lines,
        }));
    }
    outln!(
        "fused {} runs ({}) into {}: {} queries, {lines} lines",
        runs.len(),
        match method {
            Fusion::Rrf { k } => format!("reciprocal rank fusion, k = {k}"),
            Fusion::Convex => "convex combination of min-max scores".into(),
        },
        args.out.display(),
        fused.len()
    )
}
