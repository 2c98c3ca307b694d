//! `towel vectors random`: reproducible standard normal vectors as `.npy`.
//!
//! ```sh
//! towel vectors random --n 100000 --dim 384 --normalize --seed 0 --out base.npy
//! ```

use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use towel_data::WritePlan;
use towel_vectors::{normalize_rows, npy::write_npy_to, random::gaussian};

use crate::files::{ForceArg, NPY};
use crate::output::{outln, Output};

#[derive(Args, Debug)]
pub struct RandomArgs {
    /// Number of vectors.
    #[arg(long)]
    pub n: usize,
    /// Dimension of each vector.
    #[arg(long)]
    pub dim: usize,
    /// Scale every vector to unit length (then inner product is cosine).
    #[arg(long)]
    pub normalize: bool,
    /// Seed: the same seed gives the same vectors on every machine.
    #[arg(long)]
    pub seed: u64,
    /// The .npy file to write (float32, C order), atomically.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub force: ForceArg,
}

/// `towel vectors random`.
pub fn run(args: &RandomArgs, out: &Output) -> anyhow::Result<()> {
    let plan = WritePlan::new()
        .output(&args.out, NPY)
        .force(args.force.force);
    plan.check()?;
    let mut v = gaussian(args.n, args.dim, args.seed)?;
    if args.normalize {
        normalize_rows(&mut v)?;
    }
    plan.write_with(|_, w| write_npy_to(w, &v))?;
    if out.json {
        return out.print_json(&json!({
            "path": args.out, "n": v.len(), "dim": v.dim(), "normalized": args.normalize, "seed": args.seed,
        }));
    }
    outln!(
        "wrote {} {}vectors of dimension {} to {}",
        v.len(),
        if args.normalize { "unit " } else { "" },
        v.dim(),
        args.out.display()
    )
}
