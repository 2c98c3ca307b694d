//! `towel vectors`: exact vector search over `.npy` files, random vectors,
//! the low-rank experiments and the high-dimensional playground.

pub mod experiment;
pub mod random;
pub mod search;
pub mod svd;

use clap::Subcommand;

use crate::output::Output;

/// `towel vectors ...`.
#[derive(Subcommand, Debug)]
pub enum VectorsCommand {
    /// Exact top-k search of query vectors in base vectors (.npy files): faiss IndexFlatIP/L2's ids and order.
    Search(search::SearchArgs),
    /// Write random standard normal vectors (optionally normalized) to an .npy file.
    Random(random::RandomArgs),
    /// The high-dimensional playground: cosine, norm and distance concentration vs dimension, cosine vs dot; PNG plots.
    Experiment(experiment::ExperimentArgs),
    /// Low rank: Eckart–Young on a random matrix, and latent semantic analysis on SciFact (--lsa).
    Svd(svd::SvdArgs),
}

/// Run `towel vectors ...`.
pub fn run(cmd: VectorsCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        VectorsCommand::Search(args) => search::run(&args, out),
        VectorsCommand::Random(args) => random::run(&args, out),
        VectorsCommand::Experiment(args) => experiment::run(&args, out),
        VectorsCommand::Svd(args) => svd::run(&args, out),
    }
}
