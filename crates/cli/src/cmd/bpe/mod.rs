//! `towel bpe`: train byte-level BPE tokenizers and look inside them.

pub mod show;
pub mod trace;
pub mod train;

use clap::Subcommand;

use crate::output::Output;

/// `towel bpe ...`.
#[derive(Subcommand, Debug)]
pub enum BpeCommand {
    /// Learn a byte-level BPE vocabulary from text files and write it.
    Train(train::TrainArgs),
    /// List the first and last merges of a tokenizer file (towel, .tiktoken or HF tokenizer.json).
    Show(show::ShowArgs),
    /// Show the merges that turn a word's bytes into its tokens, step by step with ranks.
    Trace(trace::TraceArgs),
}

/// Run `towel bpe ...`.
pub fn run(cmd: BpeCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        BpeCommand::Train(args) => train::run(args, out),
        BpeCommand::Show(args) => show::run(&args, out),
        BpeCommand::Trace(args) => trace::run(&args, out),
    }
}
