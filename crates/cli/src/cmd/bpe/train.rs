//! `towel bpe train`: learn a byte-level BPE vocabulary from text files.
//!
//! ```sh
//! towel bpe train --vocab-size 1024 --out shakespeare.json tinyshakespeare.txt
//! towel bpe train --vocab-size 32768 --pattern o200k --format hf --out tok.json books/*.txt
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use serde::Serialize;
use towel_data::WritePlan;
use towel_tokenizer::train::{export, BpeTrainer, Progress};
use towel_tokenizer::Format;

use crate::display::{dropped_specials_note, human_bytes};
use crate::files::{ForceArg, TOKENIZER};
use crate::input::parse_pattern;
use crate::output::{outln, Output};

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Total vocabulary size: 256 byte tokens + merges + special tokens.
    #[arg(long)]
    vocab_size: u32,
    /// Pre-tokenization: gpt2, cl100k, o200k, or a regex.
    #[arg(long, default_value = "gpt2")]
    pattern: String,
    /// A special token (repeatable); ids follow the learned tokens.
    #[arg(long = "special")]
    special: Vec<String>,
    /// Stop when the most frequent pair occurs fewer times than this.
    #[arg(long, default_value_t = 0)]
    min_frequency: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Towel)]
    format: FormatArg,
    /// Where to write the tokenizer (atomically).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    force: ForceArg,
    /// Replace invalid UTF-8 with U+FFFD instead of failing.
    #[arg(long)]
    lossy: bool,
    /// Pre-tokenize each line on its own, as HF tokenizers' trainer reads files
    /// (then the merges equal HF's exactly); by default the whole text is split,
    /// as tiktoken does when encoding.
    #[arg(long)]
    per_line: bool,
    /// UTF-8 text files to learn from.
    #[arg(required = true)]
    corpus: Vec<PathBuf>,
}

/// The file formats `bpe train` writes.
#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum FormatArg {
    /// towel's tokenizer file (JSON: pattern, special tokens, ranks, merges).
    Towel,
    /// A `.tiktoken` rank file (ranks only: no pattern, no special tokens).
    Tiktoken,
    /// Hugging Face `tokenizer.json`.
    Hf,
}

impl FormatArg {
    fn name(self) -> &'static str {
        match self {
            FormatArg::Towel => "towel",
            FormatArg::Tiktoken => "tiktoken",
            FormatArg::Hf => "hf",
        }
    }
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Towel => Format::Towel,
            FormatArg::Tiktoken => Format::Tiktoken,
            FormatArg::Hf => Format::Hf,
        }
    }
}

/// How much of each corpus file the compression figure reads (to stay quick).
const COMPRESSION_SAMPLE: usize = 4 << 20;

#[derive(Serialize)]
struct Summary {
    out: String,
    format: String,
    pattern: String,
    vocab_size: usize,
    merges: u64,
    repeated_merges: u64,
    special_tokens: Vec<(String, u32)>,
    /// Special tokens the output format cannot hold (not in the file).
    dropped_special_tokens: Vec<(String, u32)>,
    corpus_bytes: u64,
    pieces: u64,
    distinct_pieces: u64,
    count_seconds: f64,
    merge_seconds: f64,
    seconds: f64,
    tokens: u64,
    bytes_per_token: f64,
}

pub fn run(args: TrainArgs, out: &Output) -> anyhow::Result<()> {
    let format = args.format.into();
    let trainer = BpeTrainer::new(args.vocab_size)
        .pattern(parse_pattern(&args.pattern)?)
        .special_tokens(args.special.clone())
        .min_frequency(args.min_frequency)
        .lossy(args.lossy)
        .per_line(args.per_line);
    trainer.validate()?;
    let plan = WritePlan::new()
        .inputs(&args.corpus)
        .output(&args.out, TOKENIZER)
        .force(args.force.force);
    plan.check()?;
    for f in &args.corpus {
        let meta = std::fs::metadata(f).with_context(|| format!("cannot read {}", f.display()))?;
        if meta.is_dir() {
            bail!("{} is a folder: give text files", f.display());
        }
    }
    let t0 = Instant::now();
    let total: u64 = args
        .corpus
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let count_bar = out.progress(Some(total), "counting");
    let merge_bar = out.counter(0, "merging", "merges");
    let mut started_merging = false;
    let bpe = trainer.train_files(&args.corpus, &mut |p| match p {
        Progress::Counting { done, .. } => count_bar.set_position(done),
        Progress::Merging { done, total } => {
            if !started_merging {
                count_bar.finish_and_clear();
                merge_bar.set_length(total);
                started_merging = true;
            }
            merge_bar.set_position(done);
        }
    })?;
    count_bar.finish_and_clear();
    merge_bar.finish_and_clear();
    let rendered = export::render(&bpe, format)?;
    plan.write(&[&rendered.files[0]])?;
    if let Some(note) = dropped_specials_note(&args.out, &rendered.dropped_special_tokens) {
        eprintln!("{note}");
    }
    let seconds = t0.elapsed().as_secs_f64();

    // Compression on the training corpus (the start of each file).
    let enc = bpe.encoder()?;
    let (mut bytes, mut tokens) = (0u64, 0u64);
    for f in &args.corpus {
        let mut buf = Vec::new();
        use std::io::Read;
        std::fs::File::open(f)?
            .take(COMPRESSION_SAMPLE as u64)
            .read_to_end(&mut buf)?;
        let text = String::from_utf8_lossy(&buf);
        let text = match text.char_indices().last() {
            Some((i, c)) if c == '\u{FFFD}' && buf.len() == COMPRESSION_SAMPLE => &text[..i],
            _ => &text[..],
        };
        bytes += text.len() as u64;
        tokens += enc
            .try_count(text)
            .with_context(|| format!("{}: measuring compression", f.display()))?
            as u64;
    }
    let s = &bpe.stats;
    let summary = Summary {
        out: args.out.display().to_string(),
        format: args.format.name().to_string(),
        pattern: bpe.pattern.clone(),
        vocab_size: bpe.vocab_size(),
        merges: s.merges,
        repeated_merges: s.repeated_merges,
        special_tokens: bpe.special_tokens.clone(),
        dropped_special_tokens: rendered.dropped_special_tokens,
        corpus_bytes: s.bytes,
        pieces: s.pieces,
        distinct_pieces: s.distinct_pieces,
        count_seconds: s.count_seconds,
        merge_seconds: s.merge_seconds,
        seconds,
        tokens,
        bytes_per_token: if tokens == 0 {
            0.0
        } else {
            bytes as f64 / tokens as f64
        },
    };
    if out.json {
        return out.print_json(&summary);
    }
    outln!(
        "trained {} tokens ({} merges{}) on {} in {:.2} s (counting {:.2} s, merging {:.2} s)",
        summary.vocab_size,
        summary.merges,
        if summary.repeated_merges > 0 {
            format!(", {} re-created an existing token", summary.repeated_merges)
        } else {
            String::new()
        },
        human_bytes(summary.corpus_bytes),
        seconds,
        s.count_seconds,
        s.merge_seconds
    )?;
    outln!(
        "{} pieces, {} distinct; {:.3} bytes per token on the corpus{}",
        summary.pieces,
        summary.distinct_pieces,
        summary.bytes_per_token,
        if total > COMPRESSION_SAMPLE as u64 {
            " (first 4 MB of each file)"
        } else {
            ""
        }
    )?;
    if bpe.vocab_size() < args.vocab_size as usize {
        outln!(
            "note: stopped at {} of {} tokens: no pair left{}",
            bpe.vocab_size(),
            args.vocab_size,
            if args.min_frequency > 0 {
                format!(" with at least {} occurrences", args.min_frequency)
            } else {
                String::new()
            }
        )?;
    }
    outln!("wrote {} ({})", summary.out, summary.format)?;
    Ok(())
}
