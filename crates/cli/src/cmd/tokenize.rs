//! `towel tokenize`: the simple tokenizer families (bytes, char, word, regex)
//! on a file or stdin.
//!
//! ```text
//! towel tokenize --family word --corpus train.txt text.txt      # ids as a JSON array
//! towel tokenize --family bytes --pieces <<< "héllo"            # pieces, bytes escaped
//! towel tokenize --family regex --pattern cl100k --count f.txt  # number of tokens
//! echo '[104,105]' | towel tokenize --family bytes --decode     # ids back to text
//! ```
//!
//! The char, word and regex families learn their vocabulary from `--corpus`,
//! or from the input itself when no corpus is given (as a char-level model
//! does with its training text). Learning is deterministic, so the same
//! `--corpus` decodes what it encoded; `--save-vocab FILE` keeps a learned
//! vocabulary and `--vocab FILE` uses it again.

use std::path::PathBuf;

use anyhow::{bail, Context};
use serde_json::json;
use towel_tokenizer::{
    escape_bytes, utf8_input, Builtin, Family, FamilyOptions, FamilyTokenizer, TokenizerError,
    Unknown, VocabOptions,
};

use towel_data::WritePlan;

use crate::files::{ForceArg, FAMILY_VOCAB};
use crate::input::{input_name, read_input};
use crate::output::{outln, Output};

#[derive(clap::Args, Debug)]
pub struct TokenizeArgs {
    /// Tokenizer family (optional with --vocab, which knows its family).
    #[arg(long, short, value_enum, required_unless_present = "vocab")]
    pub family: Option<FamilyArg>,
    /// Text to learn the vocabulary from (char, word, regex). Default: the input itself.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Use a vocabulary saved with --save-vocab instead of learning one.
    #[arg(long, conflicts_with = "corpus")]
    pub vocab: Option<PathBuf>,
    /// Save the learned vocabulary as JSON (char, word, regex).
    #[arg(long)]
    pub save_vocab: Option<PathBuf>,
    #[command(flatten)]
    pub force: ForceArg,
    /// Pre-tokenization pattern of the regex family.
    #[arg(long, value_enum, default_value_t = PatternArg::Gpt2)]
    pub pattern: PatternArg,
    /// Word and regex families: keep pieces seen at least this many times.
    #[arg(long, default_value_t = 1)]
    pub min_count: u64,
    /// Word and regex families: at most this many ids, <UNK> included.
    #[arg(long)]
    pub max_size: Option<usize>,
    /// Char family: map unseen characters to <UNK> instead of failing.
    #[arg(long)]
    pub unk: bool,
    /// Print the tokens' text (bytes that are not UTF-8 as \xNN) instead of ids.
    #[arg(long, conflicts_with_all = ["count", "decode"])]
    pub pieces: bool,
    /// Print only the number of tokens.
    #[arg(long, conflicts_with = "decode")]
    pub count: bool,
    /// Read a JSON array of ids and print the text they stand for.
    #[arg(long)]
    pub decode: bool,
    /// With --decode: replace invalid UTF-8 with U+FFFD instead of failing.
    #[arg(long, requires = "decode")]
    pub lossy: bool,
    /// Input file (default: stdin).
    pub file: Option<PathBuf>,
}

/// `--family`: the simple tokenizer families.
#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum FamilyArg {
    /// One id per UTF-8 byte (256 ids, no unknown input).
    Bytes,
    /// One id per character seen in the corpus.
    Char,
    /// One id per frequent word or punctuation run, <UNK> for the rest.
    Word,
    /// One id per frequent GPT pre-tokenization piece, <UNK> for the rest.
    Regex,
}

impl From<FamilyArg> for Family {
    fn from(f: FamilyArg) -> Family {
        match f {
            FamilyArg::Bytes => Family::Bytes,
            FamilyArg::Char => Family::Char,
            FamilyArg::Word => Family::Word,
            FamilyArg::Regex => Family::Regex,
        }
    }
}

/// `--pattern`: the built-in pre-tokenization patterns.
#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum PatternArg {
    /// GPT-2's (r50k, p50k).
    Gpt2,
    /// cl100k_base's (GPT-4).
    Cl100k,
    /// o200k_base's (GPT-4o).
    O200k,
}

impl From<PatternArg> for Builtin {
    fn from(p: PatternArg) -> Builtin {
        match p {
            PatternArg::Gpt2 => Builtin::Gpt2,
            PatternArg::Cl100k => Builtin::Cl100k,
            PatternArg::O200k => Builtin::O200k,
        }
    }
}

pub fn run(args: &TokenizeArgs, out: &Output) -> anyhow::Result<()> {
    let family: Option<Family> = args.family.map(Family::from);
    let opts = FamilyOptions {
        pattern: Some(args.pattern.into()),
        vocab: VocabOptions {
            min_count: args.min_count,
            max_size: args.max_size,
        },
        char_unknown: if args.unk {
            Unknown::Unk
        } else {
            Unknown::Error
        },
    };
    let mut plan = WritePlan::new()
        .inputs(&args.file)
        .inputs(&args.corpus)
        .inputs(&args.vocab)
        .force(args.force.force);
    if let Some(path) = &args.save_vocab {
        plan = plan.output(path, FAMILY_VOCAB);
    }
    plan.check()?;
    let input = read_input(args.file.as_deref())?;
    let name = input_name(args.file.as_deref());
    let corpus = match &args.corpus {
        Some(p) => {
            Some(std::fs::read(p).with_context(|| format!("reading corpus {}", p.display()))?)
        }
        None => None,
    };
    let corpus_text = match (&corpus, &args.corpus) {
        (Some(bytes), Some(p)) => Some(
            utf8_input(bytes)
                .map(str::to_owned)
                .with_context(|| format!("corpus {}", p.display()))?,
        ),
        _ => None,
    };

    let learned = match (&args.vocab, family) {
        (Some(path), family) => {
            let t = FamilyTokenizer::load(path)?;
            if let Some(f) = family.filter(|&f| f != t.family()) {
                bail!(
                    "{} is a {} vocabulary, but --family {f} was given",
                    path.display(),
                    t.family()
                );
            }
            t
        }
        (None, None) => unreachable!("clap requires --family or --vocab"),
        (None, Some(family)) => match corpus_text.as_deref() {
            Some(c) => FamilyTokenizer::learn(family, Some(c), &opts)?,
            None if !family.needs_corpus() => FamilyTokenizer::learn(family, None, &opts)?,
            None if args.decode => bail!(
                "decoding with the {family} family needs --corpus FILE (the text its vocabulary was learned from) or --vocab FILE"
            ),
            None => {
                let text = utf8_input(&input).with_context(|| name.clone())?;
                FamilyTokenizer::learn(family, Some(text), &opts)
                    .context("learning the vocabulary from the input (no --corpus given)")?
            }
        },
    };
    if let Some(path) = &args.save_vocab {
        // The vocabulary writer writes atomically through towel_data::write.
        plan.check()?;
        learned.save(path).context("--save-vocab")?;
    }
    let tok = learned.as_dyn();

    if args.decode {
        let ids: Vec<u32> = serde_json::from_slice(&input).with_context(|| {
            format!(
                "{name}: expected a JSON array of token ids (integers 0..{})",
                tok.vocab_size()
            )
        })?;
        let text = if args.lossy {
            tok.decode_lossy(&ids)?
        } else {
            match tok.decode(&ids) {
                Err(TokenizerError::InvalidUtf8 { offset, .. }) => bail!(
                    "the ids decode to invalid UTF-8 at byte offset {offset}; pass --lossy to replace it with U+FFFD"
                ),
                other => other?,
            }
        };
        if out.json {
            out.print_json(&json!({ "tokenizer": tok.name(), "tokens": ids.len(), "text": text }))?;
        } else {
            crate::output::write_stdout(text.as_bytes())?;
        }
        return Ok(());
    }

    let ids = tok.encode_input(&input).with_context(|| name.clone())?;

    if args.count {
        if out.json {
            out.print_json(&json!({
                "tokenizer": tok.name(),
                "vocab_size": tok.vocab_size(),
                "bytes": input.len(),
                "tokens": ids.len(),
            }))?;
        } else {
            outln!("{}", ids.len())?;
        }
        return Ok(());
    }
    let value = if args.pieces {
        let pieces = ids
            .iter()
            .map(|&id| tok.token_bytes(id).map(escape_bytes))
            .collect::<Result<Vec<_>, _>>()?;
        json!(pieces)
    } else {
        json!(ids)
    };
    if out.json {
        let key = if args.pieces { "pieces" } else { "ids" };
        out.print_json(&json!({
            "tokenizer": tok.name(),
            "vocab_size": tok.vocab_size(),
            "tokens": ids.len(),
            key: value,
        }))?;
    } else {
        let mut line = serde_json::to_vec(&value)?;
        line.push(b'\n');
        crate::output::write_stdout(&line)?;
    }
    Ok(())
}
