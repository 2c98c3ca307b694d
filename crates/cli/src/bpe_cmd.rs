//! `towel bpe`: train byte-level BPE tokenizers and look inside them.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Subcommand;
use indicatif::ProgressStyle;
use serde::Serialize;
use towel_tokenizer::train::{export, BpeTrainer, Progress};
use towel_tokenizer::{Builtin, Pattern};

use crate::output::Output;

#[derive(Subcommand, Debug)]
pub enum BpeCommand {
    /// Learn a byte-level BPE vocabulary from text files and write it.
    Train(TrainArgs),
    /// List the first and last merges of a tokenizer file (towel, .tiktoken or HF tokenizer.json).
    Show {
        /// The tokenizer file.
        file: PathBuf,
        /// How many merges to show at each end.
        #[arg(long, short, default_value_t = 10)]
        n: usize,
    },
}

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
    /// Output format: towel, tiktoken or hf.
    #[arg(long, default_value = "towel")]
    format: String,
    /// Where to write the tokenizer (atomically).
    #[arg(long)]
    out: PathBuf,
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

#[derive(Serialize)]
struct Summary {
    out: String,
    format: String,
    pattern: String,
    vocab_size: usize,
    merges: u64,
    repeated_merges: u64,
    special_tokens: Vec<(String, u32)>,
    corpus_bytes: u64,
    pieces: u64,
    distinct_pieces: u64,
    count_seconds: f64,
    merge_seconds: f64,
    seconds: f64,
    tokens: u64,
    bytes_per_token: f64,
}

pub fn run(cmd: BpeCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        BpeCommand::Train(args) => train(args, out),
        BpeCommand::Show { file, n } => show(&file, n, out),
    }
}

fn parse_pattern(s: &str) -> anyhow::Result<Pattern> {
    Ok(match Builtin::from_name(s) {
        Some(b) => Pattern::builtin(b),
        None => Pattern::new(s).context("--pattern is not gpt2, cl100k, o200k or a valid regex")?,
    })
}

fn train(args: TrainArgs, out: &Output) -> anyhow::Result<()> {
    let format = export::Format::from_name(&args.format).with_context(|| {
        format!(
            "unknown --format `{}`: use towel, tiktoken or hf",
            args.format
        )
    })?;
    let trainer = BpeTrainer::new(args.vocab_size)
        .pattern(parse_pattern(&args.pattern)?)
        .special_tokens(args.special.clone())
        .min_frequency(args.min_frequency)
        .lossy(args.lossy)
        .per_line(args.per_line);
    trainer.validate()?;
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
    let merge_bar = out.progress(None, "merging");
    merge_bar.set_style(
        ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {pos}/{len} merges ({per_sec}, eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
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
    export::write(&bpe, format, &args.out)?;
    let seconds = t0.elapsed().as_secs_f64();

    // Compression on the training corpus (first 4 MB of each file, to stay quick).
    let enc = bpe.encoder()?;
    let (mut bytes, mut tokens) = (0u64, 0u64);
    for f in &args.corpus {
        let mut buf = Vec::new();
        use std::io::Read;
        std::fs::File::open(f)?
            .take(4 << 20)
            .read_to_end(&mut buf)?;
        let text = String::from_utf8_lossy(&buf);
        let text = match text.char_indices().last() {
            Some((i, c)) if c == '\u{FFFD}' && buf.len() == 4 << 20 => &text[..i],
            _ => &text[..],
        };
        bytes += text.len() as u64;
        tokens += enc.count(text) as u64;
    }
    let s = &bpe.stats;
    let summary = Summary {
        out: args.out.display().to_string(),
        format: args.format.clone(),
        pattern: bpe.pattern.clone(),
        vocab_size: bpe.vocab_size(),
        merges: s.merges,
        repeated_merges: s.repeated_merges,
        special_tokens: bpe.special_tokens.clone(),
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
    println!(
        "trained {} tokens ({} merges{}) on {} in {:.2} s (counting {:.2} s, merging {:.2} s)",
        summary.vocab_size,
        summary.merges,
        if summary.repeated_merges > 0 {
            format!(", {} re-created an existing token", summary.repeated_merges)
        } else {
            String::new()
        },
        crate::tour::human_bytes(summary.corpus_bytes),
        seconds,
        s.count_seconds,
        s.merge_seconds
    );
    println!(
        "{} pieces, {} distinct; {:.3} bytes per token on the corpus{}",
        summary.pieces,
        summary.distinct_pieces,
        summary.bytes_per_token,
        if total > 4 << 20 {
            " (first 4 MB of each file)"
        } else {
            ""
        }
    );
    if bpe.vocab_size() < args.vocab_size as usize {
        println!(
            "note: stopped at {} of {} tokens: no pair left{}",
            bpe.vocab_size(),
            args.vocab_size,
            if args.min_frequency > 0 {
                format!(" with at least {} occurrences", args.min_frequency)
            } else {
                String::new()
            }
        );
    }
    println!("wrote {} ({})", summary.out, summary.format);
    Ok(())
}

/// A token's bytes, readable: printable ASCII as is, the rest escaped.
pub fn escape_token(bytes: &[u8]) -> String {
    let mut s = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                '\r' => s.push_str("\\r"),
                ' ' => s.push('␣'),
                '\\' => s.push_str("\\\\"),
                c if c.is_control() => s.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => s.push(c),
            }
        }
        for b in chunk.invalid() {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

#[derive(Serialize)]
struct ShownMerge {
    rank: usize,
    left: String,
    right: String,
    token: String,
}

fn show(file: &std::path::Path, n: usize, out: &Output) -> anyhow::Result<()> {
    let t = export::read(file)?;
    let row = |i: usize| {
        let (l, r) = t.merges[i];
        let tok = [t.ranks[l as usize].clone(), t.ranks[r as usize].clone()].concat();
        ShownMerge {
            rank: 256 + i,
            left: escape_token(&t.ranks[l as usize]),
            right: escape_token(&t.ranks[r as usize]),
            token: escape_token(&tok),
        }
    };
    let m = t.merges.len();
    let first: Vec<ShownMerge> = (0..n.min(m)).map(row).collect();
    let last: Vec<ShownMerge> = (m.saturating_sub(n).max(n.min(m))..m).map(row).collect();
    if out.json {
        return out.print_json(&serde_json::json!({
            "file": file.display().to_string(),
            "format": format!("{:?}", t.format).to_lowercase(),
            "ranks": t.ranks.len(),
            "merges": m,
            "pattern": t.pattern,
            "special_tokens": t.special_tokens,
            "first": first,
            "last": last,
        }));
    }
    println!(
        "{}: {:?} format, {} tokens ({} merges), {} special tokens",
        file.display(),
        t.format,
        t.ranks.len(),
        m,
        t.special_tokens.len()
    );
    if let Some(p) = &t.pattern {
        println!("pattern: {p}");
    }
    let print = |rows: &[ShownMerge]| {
        for r in rows {
            println!("{:>7}  {} + {} -> {}", r.rank, r.left, r.right, r.token);
        }
    };
    println!("first merges:");
    print(&first);
    if !last.is_empty() {
        println!("last merges:");
        print(&last);
    }
    for (s, id) in &t.special_tokens {
        println!("special {id}: {s}");
    }
    Ok(())
}
