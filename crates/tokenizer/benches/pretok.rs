//! Pre-tokenization throughput: the dedicated scanners against fancy-regex
//! (the engine tiktoken uses) on the same text, for each built-in pattern.
//!
//! Text: tinyshakespeare from the reference data folder when present
//! (`TOWEL_DATA_DIR`), else the embedded tour text repeated to ~1 MB.
//! Run: `cargo bench -p towel-tokenizer --bench pretok`.
//! Criterion prints throughput in MiB/s for `scanner` and `fancy-regex`.
//! The pathological group times the scanners on 1 MB inputs that are hard
//! for backtracking engines.

#[path = "../tests/common/pathological.rs"]
mod pathological;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use towel_tokenizer::pretok::{Builtin, Pattern};

fn english_text() -> (String, &'static str) {
    let dirs = towel_data::DataDirs::from_env();
    if let Ok(bytes) = dirs.read_named("tinyshakespeare") {
        if let Ok(text) = String::from_utf8(bytes) {
            return (text, "tinyshakespeare");
        }
    }
    let tour = towel_data::embedded::TOUR_TEXT;
    (tour.repeat((1 << 20) / tour.len() + 1), "tour-text")
}

fn count_pieces(p: &Pattern, text: &str) -> usize {
    let mut n = 0;
    p.for_each_piece(text, |s| n += s.len()).unwrap();
    n
}

fn bench_english(c: &mut Criterion) {
    let (text, name) = english_text();
    let mut group = c.benchmark_group(format!("pretok/{name}"));
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    for b in Builtin::ALL {
        let scanner = Pattern::builtin(b);
        let regex = Pattern::regex_only(b);
        assert_eq!(count_pieces(&scanner, &text), text.len());
        group.bench_with_input(BenchmarkId::new("scanner", b.name()), &text, |bench, t| {
            bench.iter(|| count_pieces(&scanner, black_box(t)))
        });
        group.bench_with_input(
            BenchmarkId::new("fancy-regex", b.name()),
            &text,
            |bench, t| bench.iter(|| count_pieces(&regex, black_box(t))),
        );
    }
    group.finish();
}

fn bench_pathological(c: &mut Criterion) {
    let inputs = pathological::pathological();
    let mut group = c.benchmark_group("pretok/pathological-scanner");
    group.sample_size(10);
    for (name, text) in &inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        for b in Builtin::ALL {
            let scanner = Pattern::builtin(b);
            group.bench_with_input(BenchmarkId::new(b.name(), name), text, |bench, t| {
                bench.iter(|| count_pieces(&scanner, black_box(t)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_english, bench_pathological);
criterion_main!(benches);
