//! `towel`: the command-line face of the towel crates.
//!
//! Every subcommand lives in its own module; `main` only parses arguments,
//! runs the command and turns any error into one line on stderr and exit
//! code 1 (2 for usage errors, which clap reports itself).
//!
//! Dependencies: `clap` (derive-based parsing, help and completions), `anyhow`
//! (error context chains for one-line messages), `indicatif` (progress bars on
//! stderr, hidden with `--json` or when stderr is not a terminal), `plotters`
//! with the `dejavu` font (PNG plots with no system font lookup, so the tour
//! draws the same on any machine).

mod bpe_cmd;
mod data_cmd;
mod encode_cmd;
mod output;
#[allow(dead_code)] // line charts are for the part chapters
mod plot;
mod retrieval_cmd;
mod tokenize_cmd;
mod tour;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// towel: tokenizers, sparse retrieval, vectors and autograd, tested against
/// the tools people use (tiktoken, scikit-learn, bm25s, faiss, PyTorch).
///
/// Start with `towel tour`: it walks through every part on data it can always
/// reach and writes a report with plots.
#[derive(Parser, Debug)]
#[command(name = "towel", version, propagate_version = true)]
pub struct Cli {
    /// Print machine-readable JSON on stdout instead of text (for commands that report results).
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the guided tour of every part and write a report folder (Markdown + PNG plots).
    Tour(tour::TourArgs),
    /// Find, verify and download the reference data (vocabularies, corpora, test collections).
    #[command(subcommand)]
    Data(data_cmd::DataCommand),
    /// Encode text to token ids (JSON array) with a tiktoken encoding or a vocabulary file.
    Encode(encode_cmd::EncodeArgs),
    /// Decode a JSON array of token ids back to raw bytes on stdout.
    Decode(encode_cmd::DecodeArgs),
    /// Convert vocabularies between .tiktoken, GPT-2 and towel tokenizer files.
    #[command(subcommand)]
    Vocab(encode_cmd::VocabCommand),
    /// Build a TF-IDF or BM25 index from a corpus (BEIR folder, JSONL, or folder of .txt files).
    Index(retrieval_cmd::IndexArgs),
    /// Search an index: ranked document ids, scores and titles.
    Search(retrieval_cmd::SearchArgs),
    /// Evaluate an index on judged queries: nDCG@10, Recall@100, MAP, MRR@10, queries/s.
    Eval(retrieval_cmd::EvalArgs),
    /// Tokenize with a simple family (bytes, char, word, regex): ids, pieces, counts, or --decode.
    Tokenize(tokenize_cmd::TokenizeArgs),
    /// Train byte-level BPE tokenizers (faster than HF tokenizers' trainer) and inspect them.
    #[command(subcommand)]
    Bpe(bpe_cmd::BpeCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = output::Output::new(cli.json);
    let result = match cli.command {
        Command::Tour(args) => tour::run(&args, &out),
        Command::Data(cmd) => data_cmd::run(cmd, &out),
        Command::Encode(args) => encode_cmd::run_encode(args, &out),
        Command::Decode(args) => encode_cmd::run_decode(args, &out),
        Command::Vocab(cmd) => encode_cmd::run_vocab(cmd, &out),
        Command::Index(args) => retrieval_cmd::index(&args, &out),
        Command::Search(args) => retrieval_cmd::search(&args, &out),
        Command::Eval(args) => retrieval_cmd::eval(&args, &out),
        Command::Tokenize(args) => tokenize_cmd::run(&args, &out),
        Command::Bpe(cmd) => bpe_cmd::run(cmd, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output::report_error(&err);
            ExitCode::FAILURE
        }
    }
}
