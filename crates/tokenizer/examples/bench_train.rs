//! towel's side of `bench/bpe_train.py`: train byte-level BPE on files and
//! print one JSON line with the timings, sizes and peak memory.
//!
//! ```sh
//! cargo run --release -p towel-tokenizer --example bench_train -- \
//!     --vocab 8192 [--pattern gpt2] [--special '<|endoftext|>'] [--tie hf|bytes] \
//!     [--per-line] [--out FILE --format tiktoken|hf|towel] FILE...
//! ```
//! Threads: `RAYON_NUM_THREADS`.

use std::path::PathBuf;
use std::time::Instant;

use towel_tokenizer::train::{export, BpeTrainer, TieBreak};
use towel_tokenizer::{Builtin, Pattern};

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut vocab = 8192u32;
    let mut pattern = Pattern::gpt2();
    let mut specials: Vec<String> = Vec::new();
    let mut out: Option<PathBuf> = None;
    let mut format = towel_tokenizer::Format::Tiktoken;
    let mut tie = TieBreak::HfByteLevel;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut per_line = false;
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("missing value");
        match a.as_str() {
            "--vocab" => vocab = val().parse().expect("vocab size"),
            "--pattern" => {
                let v = val();
                pattern = match Builtin::from_name(&v) {
                    Some(b) => Pattern::builtin(b),
                    None => Pattern::new(&v).expect("pattern"),
                }
            }
            "--special" => specials.push(val()),
            "--per-line" => per_line = true,
            "--out" => out = Some(val().into()),
            "--format" => format = towel_tokenizer::Format::from_name(&val()).expect("format"),
            "--tie" => {
                tie = match val().as_str() {
                    "bytes" => TieBreak::ByteOrder,
                    _ => TieBreak::HfByteLevel,
                }
            }
            _ => files.push(a.into()),
        }
    }
    let trainer = BpeTrainer::new(vocab)
        .pattern(pattern)
        .special_tokens(specials)
        .tie_break(tie)
        .per_line(per_line);
    let t0 = Instant::now();
    let bpe = trainer.train_files(&files, &mut |_| {}).expect("training");
    let secs = t0.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    if let Some(out) = &out {
        export::write(&bpe, format, out).expect("writing");
    }
    let s = &bpe.stats;
    println!(
        "{}",
        serde_json::json!({
            "seconds": secs,
            "count_seconds": s.count_seconds,
            "merge_seconds": s.merge_seconds,
            "bytes": s.bytes,
            "pieces": s.pieces,
            "distinct_pieces": s.distinct_pieces,
            "merges": s.merges,
            "repeated_merges": s.repeated_merges,
            "vocab_size": bpe.vocab_size(),
            "peak_rss_mib": peak,
            "threads": rayon::current_num_threads(),
        })
    );
}
