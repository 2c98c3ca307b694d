//! `towel`: the command-line face of the towel crates.
//!
//! Layout: `cmd/` has one file per subcommand; what several commands share
//! is in `input.rs` (files, stdin, tokenizers by name or file), `display.rs`
//! (sizes, titles, token bytes for people), `output.rs` (text or `--json`,
//! progress bars, errors) and `plot.rs` (the tour's PNG charts). `main` only
//! parses arguments, runs the command and turns any error into one line on
//! stderr with exit code 1 (2 for usage errors).
//!
//! Dependencies: `clap` (derive-based parsing, help and completions), `anyhow`
//! (error context chains for one-line messages), `indicatif` (progress bars on
//! stderr, hidden with `--json` or when stderr is not a terminal), `plotters`
//! with the `dejavu` font (PNG plots with no system font lookup, so the tour
//! draws the same on any machine).
//!
//! Standard output only through `output::outln!` and friends, which return
//! errors: a closed pipe is a quiet end, a full disk a one-line error.
#![deny(clippy::print_stdout)]
// Argument docs are clap help text, printed as written: `<UNK>` there is the
// token a user sees, not an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

mod cmd;
mod display;
mod files;
mod input;
mod output;
mod plot;
mod values;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cmd::{
    bpe, data, decode, encode, eval, explain, fuse, grad, index, profile, sample, search, tokenize,
    tour, train, vectors, vocab,
};

/// towel: tokenizers, sparse retrieval, vectors and autograd, tested against
/// the tools people use (tiktoken, scikit-learn, bm25s, faiss, PyTorch).
///
/// Start with `towel tour`: it walks through every part and writes a report
/// with plots, on real data embedded in towel (OpenAI's gpt2 and cl100k_base
/// vocabularies, tiny shakespeare, Cranfield) when nothing else is there. Point
/// `towel explain "TEXT"` and `towel bpe trace WORD` at your own text.
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
    Data(data::DataCommand),
    /// Encode text to token ids (JSON array) with a tiktoken encoding or a vocabulary file.
    Encode(encode::EncodeArgs),
    /// Decode a JSON array of token ids back to raw bytes on stdout.
    Decode(decode::DecodeArgs),
    /// Convert vocabularies between .tiktoken, GPT-2 and towel tokenizer files.
    #[command(subcommand)]
    Vocab(vocab::VocabCommand),
    /// Build a TF-IDF or BM25 index from a corpus (BEIR folder, JSONL, or folder of .txt files).
    Index(index::IndexArgs),
    /// Search an index: ranked document ids, scores and titles.
    Search(search::SearchArgs),
    /// Evaluate an index on judged queries: nDCG@10, Recall@100, MAP, MRR@10, queries/s.
    Eval(eval::EvalArgs),
    /// Your text through every tokenizer family and encoding side by side: pieces, counts, bytes per token.
    Explain(explain::ExplainArgs),
    /// Fuse TREC runs into one (hybrid search): reciprocal rank fusion or a convex combination of scores.
    Fuse(fuse::FuseArgs),
    /// Tokenize with a simple family (bytes, char, word, regex): ids, pieces, counts, or --decode.
    Tokenize(tokenize::TokenizeArgs),
    /// Train byte-level BPE tokenizers (faster than HF tokenizers' trainer) and inspect them.
    #[command(subcommand)]
    Bpe(bpe::BpeCommand),
    /// Value and gradient of an expression (scalar autograd), with --trace of backward or --dot graph.
    Grad(grad::GradArgs),
    /// Exact vector search over .npy files (faiss's ids and order) and random vectors.
    #[command(subcommand)]
    Vectors(vectors::VectorsCommand),
    /// Train the digits MLP or a character language model (PyTorch's settings; safetensors out).
    #[command(subcommand)]
    Train(train::TrainCommand),
    /// Generate text from a character model written by `towel train charlm --out`.
    Sample(sample::SampleArgs),
    /// Per-op profile of a training step (forward/backward, kernel vs overhead), like torch.profiler.
    Profile(profile::ProfileArgs),
    /// Every leaf command, one a line (`data fetch`), for the tests that must
    /// cover each command.
    #[command(name = "__commands", hide = true)]
    ListCommands,
}

/// The paths of the visible leaf commands under `cmd`, such as `data fetch`.
fn leaf_commands(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let path = format!("{prefix}{}", sub.get_name());
        if sub.has_subcommands() {
            leaf_commands(sub, &format!("{path} "), out);
        } else {
            out.push(path);
        }
    }
}

/// The command line, parsed with negative numbers taken as values in every
/// subcommand: `--k1 -1` then reaches the option's own check ("must be a
/// finite number >= 0") instead of clap's "unexpected argument '-1'".
fn parse() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    fn negatives(c: clap::Command) -> clap::Command {
        c.allow_negative_numbers(true).mut_subcommands(negatives)
    }
    let mut matches = negatives(Cli::command()).try_get_matches()?;
    Cli::from_arg_matches_mut(&mut matches)
}

fn main() -> ExitCode {
    // Ctrl-C, SIGTERM, SIGHUP: remove the temp files of writes in progress,
    // exit with 130, 143, 129.
    if let Err(e) = towel_data::write::remove_temps_on_signal() {
        eprintln!("warning: cannot watch for Ctrl-C ({e}); an interrupted write may leave a temp file, which the next write to its folder removes");
    }
    let cli = match parse() {
        Ok(cli) => cli,
        Err(err) => return output::report_usage_error(err),
    };
    let out = output::Output::new(cli.json);
    let result = match cli.command {
        Command::Tour(args) => tour::run(&args, &out),
        Command::Data(cmd) => data::run(cmd, &out),
        Command::Encode(args) => encode::run(args, &out),
        Command::Decode(args) => decode::run(args, &out),
        Command::Vocab(cmd) => vocab::run(cmd, &out),
        Command::Index(args) => index::run(&args, &out),
        Command::Search(args) => search::run(&args, &out),
        Command::Eval(args) => eval::run(&args, &out),
        Command::Fuse(args) => fuse::run(&args, &out),
        Command::Tokenize(args) => tokenize::run(&args, &out),
        Command::Explain(args) => explain::run(&args, &out),
        Command::Bpe(cmd) => bpe::run(cmd, &out),
        Command::Grad(args) => grad::run(&args, &out),
        Command::Vectors(cmd) => vectors::run(cmd, &out),
        Command::Train(cmd) => train::run(cmd, &out),
        Command::Sample(args) => sample::run(&args, &out),
        Command::Profile(args) => profile::run(&args, &out),
        Command::ListCommands => {
            let mut names = Vec::new();
            leaf_commands(&<Cli as clap::CommandFactory>::command(), "", &mut names);
            output::write_stdout(format!("{}\n", names.join("\n")).as_bytes())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            output::report_error(&err);
            ExitCode::FAILURE
        }
    }
}
