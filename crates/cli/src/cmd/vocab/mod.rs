//! `towel vocab`: vocabulary files.

pub mod convert;

use clap::Subcommand;

use crate::output::Output;

/// `towel vocab ...`.
#[derive(Subcommand, Debug)]
pub enum VocabCommand {
    /// Convert a vocabulary between .tiktoken, GPT-2 (encoder.json + vocab.bpe) and towel files.
    Convert(convert::ConvertArgs),
}

/// Run `towel vocab ...`.
pub fn run(cmd: VocabCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        VocabCommand::Convert(args) => convert::run(args, out),
    }
}
