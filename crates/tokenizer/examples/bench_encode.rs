//! towel's side of `bench/tokenizer_encode.py`: encode one input file with
//! towel, tiktoken-rs and (for cl100k/o200k) the `bpe-openai` crate, and print
//! one JSON line with median times and a sha256 of each implementation's ids.
//!
//! ```sh
//! cargo run --release -p towel-tokenizer --example bench_encode -- ENCODING FILE [RUNS]
//! ```
//!
//! Times exclude loading. The 2-thread figure is `encode_ordinary_batch` over
//! 64 chunks cut after the first newline at or past each 1/64 of the bytes
//! (the Python script cuts the same way), timed as the API returns it (one
//! vector per chunk, freed in the timed loop); the batches' CPU time (all
//! threads, from /proc/self/task/*/schedstat) is reported too, so that the
//! extra work of the second thread shows on a busy machine.

use std::time::Instant;

use towel_data::DataDirs;
use towel_tokenizer::{Encoding, EncodingName};

fn median_secs<T>(runs: usize, f: impl FnMut() -> T) -> (f64, T) {
    let (s, _, out) = median_wall_cpu(runs, f);
    (s, out)
}

/// Median wall-clock and median CPU seconds of `f` (after one warm-up).
fn median_wall_cpu<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let mut out = f(); // warm-up
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..runs {
        let c = cpu_secs();
        let t = Instant::now();
        out = f();
        times.push(t.elapsed().as_secs_f64());
        cpus.push(cpu_secs() - c);
    }
    times.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    (times[times.len() / 2], cpus[cpus.len() / 2], out)
}

/// CPU time of every live thread of this process, in seconds (Linux; 0
/// elsewhere). The pools' threads live as long as the pools.
fn cpu_secs() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let ns: u64 = dir
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    ns as f64 * 1e-9
}

fn sha(ids: &[u32]) -> String {
    let bytes: Vec<u8> = ids.iter().flat_map(|i| i.to_le_bytes()).collect();
    towel_data::sha256_hex(&bytes)
}

fn chunks64(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut cuts = vec![0];
    for k in 1..64 {
        let target = (k * b.len() / 64).max(*cuts.last().unwrap());
        match b[target..].iter().position(|&c| c == b'\n') {
            Some(p) => cuts.push(target + p + 1),
            None => break,
        }
    }
    cuts.push(b.len());
    cuts.dedup();
    cuts.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: bench_encode ENCODING FILE [RUNS]");
        std::process::exit(2);
    }
    let name = EncodingName::from_name(&args[1]).unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(&args[2]).expect("readable UTF-8 input file");
    let runs: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(5);
    let t = Instant::now();
    let enc = Encoding::load_named(name, &DataDirs::from_env()).expect("encoding loads");
    let load_s = t.elapsed().as_secs_f64();

    let (towel_s, towel_ids) = median_secs(runs, || enc.encode_ordinary(&text));
    // Pre-tokenization alone (the part of towel's time that is not BPE).
    // The same path `encode_ordinary` takes: the built-in pattern's scanner.
    let scanner = enc
        .pattern()
        .builtin_kind()
        .filter(|_| enc.pattern().uses_scanner())
        .expect("named encodings use a built-in pattern on its scanner");
    let (pretok_s, _) = median_secs(runs, || {
        let mut n = 0u32;
        scanner.for_each_piece(&text, |_| n += 1);
        vec![n]
    });
    let pieces: Vec<&[u8]> = enc
        .pattern()
        .pieces(&text)
        .filter_map(Result::ok)
        .map(str::as_bytes)
        .collect();
    let (bpe_s, _) = median_secs(runs, || enc.encode_pieces(pieces.iter().copied()));
    let chunks = chunks64(&text);
    let pool1 = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let pool2 = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let (towel_b1, cpu_b1, b1) = median_wall_cpu(runs, || {
        pool1.install(|| enc.encode_ordinary_batch(&chunks))
    });
    let (towel_b2, cpu_b2, b2) = median_wall_cpu(runs, || {
        pool2.install(|| enc.encode_ordinary_batch(&chunks))
    });
    assert_eq!(b1, b2);
    let b1 = b1.concat();

    let tk = match name {
        EncodingName::Gpt2 | EncodingName::R50kBase => tiktoken_rs::r50k_base(),
        EncodingName::P50kBase => tiktoken_rs::p50k_base(),
        EncodingName::P50kEdit => tiktoken_rs::p50k_edit(),
        EncodingName::Cl100kBase => tiktoken_rs::cl100k_base(),
        EncodingName::O200kBase | EncodingName::O200kHarmony => tiktoken_rs::o200k_base(),
    }
    .expect("tiktoken-rs loads");
    // Peers may panic on pathological inputs (fancy-regex stack overflow):
    // report that instead of dying.
    let peer = |f: &dyn Fn() -> serde_json::Value| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|e| {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            serde_json::json!({"error": format!("panic: {msg}")})
        })
    };
    let tk_json = peer(&|| {
        let (s, ids) = median_secs(runs, || tk.encode_ordinary(&text));
        serde_json::json!({"seconds": s, "n_tokens": ids.len(), "sha256": sha(&ids)})
    });

    let gh = match name {
        EncodingName::Cl100kBase => Some(bpe_openai::cl100k_base()),
        EncodingName::O200kBase => Some(bpe_openai::o200k_base()),
        _ => None,
    };
    let gh_json = gh.map(|tok| {
        peer(&|| {
            let (s, ids) = median_secs(runs, || tok.encode(text.as_str()));
            serde_json::json!({"seconds": s, "n_tokens": ids.len(), "sha256": sha(&ids)})
        })
    });

    let line = serde_json::json!({
        "encoding": name.as_str(),
        "bytes": text.len(),
        "runs": runs,
        "load_seconds": load_s,
        "n_chunks": chunks.len(),
        "towel": {
            "seconds": towel_s,
            "pretok_seconds": pretok_s,
            "bpe_only_seconds": bpe_s,
            "batch64_1thread_seconds": towel_b1,
            "batch64_2threads_seconds": towel_b2,
            "batch64_1thread_cpu_seconds": cpu_b1,
            "batch64_2threads_cpu_seconds": cpu_b2,
            "batch_sha256": sha(&b1),
            "n_tokens": towel_ids.len(),
            "sha256": sha(&towel_ids),
        },
        "tiktoken_rs": tk_json,
        "bpe_openai": gh_json,
    });
    println!("{line}");
}
