//! towel's side of `bench/tokenizer_encode.py`: encode one input file with
//! towel, tiktoken-rs and (for cl100k/o200k) the `bpe-openai` crate, and print
//! one JSON line with median times and a sha256 of each implementation's ids.
//!
//! ```sh
//! cargo run --release -p towel-tokenizer --example bench_encode -- ENCODING FILE [RUNS [serve]]
//! ```
//!
//! Times exclude loading. Each time is a median over at least RUNS timed
//! runs after one warm-up, and over at least [`MIN_SECS`] of runs (at most
//! [`MAX_RUNS`]): a 1 MB input encodes in 3-5 ms, and a median of three such
//! runs moved by a third between two runs of the script on this 2-core VM.
//!
//! towel's single-thread time is taken in rotation with tiktoken-rs's
//! (round after round), and again with bpe-openai's; each peer's ratio
//! compares times from the same rounds.
//!
//! The 2-thread figure is `encode_ordinary_batch` over 64 chunks cut after
//! the first newline at or past each 1/64 of the bytes (the Python script
//! cuts the same way), timed as the API returns it (one vector per chunk,
//! freed in the timed loop). The 1- and 2-thread batches are timed in
//! rotation, round after round for at least [`ROTATION_MIN_SECS`] in all,
//! so that a slow moment of the shared machine falls on both sides alike
//! rather than on one side's whole series. Their CPU time (all threads,
//! the process's CPU clock) is reported too, so that the extra work of the
//! second thread shows on a busy machine. In the same rotation, the whole
//! text is encoded on one thread alone and on each of two threads at once
//! (the second thread's copy starts from the middle, so that the two are
//! never at the same place): `2 x alone / together` is what the machine's
//! two cores give this work at that moment without any coordination
//! between the threads (on this VM it moves between about
//! 1.6x and 2.1x from one minute to the next), the ceiling the 2-thread
//! batch is to be read against.
//!
//! With `serve`, it then stays up for a peer in another process: for each
//! line read from its input it encodes the file once more (one thread) and
//! prints that run's wall and CPU seconds and its number of ids, until the
//! input ends; on a line `warm` it first encodes once untimed.
//! `bench/tokenizer_encode.py` uses it to time Python tiktoken in rotation
//! with towel: each waits on the pipe while the other runs. The warm-up is
//! there because a process that has just waited is slow at first: on tiny
//! shakespeare (o200k_base; cl100k_base) towel took 12.80 ms (7.94 ms)
//! right after a tiktoken run, 12.86 ms (7.95 ms) after 60 ms asleep,
//! 10.77 ms (6.34 ms) right after another encode, and 11.05 ms (6.61 ms)
//! warmed up after a tiktoken run (medians of about 200 rounds each).

use std::time::Instant;

#[path = "common/mod.rs"]
mod common;
use common::{chunks64, cpu_secs, rotated_half};

use towel_data::DataDirs;
use towel_tokenizer::{Encoding, EncodingName};

/// Median wall-clock seconds of `f` (after one warm-up), over at least
/// `runs` runs and [`MIN_SECS`] of runs, and its last result.
fn median_secs<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let ([(s, _)], _, [out]) = rotated_wall_cpu(runs, MIN_SECS, [&mut f]);
    (s, out)
}

/// Timed runs of one measure last at least this long in all (unless
/// [`MAX_RUNS`] come first).
const MIN_SECS: f64 = 0.5;
/// The same for a rotation of several measures (towel with a peer, the
/// batches and the ceiling), all counted: a ratio is a quotient of two noisy
/// times, and SciFact's four batch measures take about 0.2 s a round.
const ROTATION_MIN_SECS: f64 = 3.0;
/// At most this many timed runs of one measure.
const MAX_RUNS: usize = 200;

/// Whether another timed run is due after `done` runs that took `spent`
/// seconds in all.
fn more_runs(done: usize, runs: usize, spent: f64, min_secs: f64) -> bool {
    done < runs || (spent < min_secs && done < MAX_RUNS)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One timed run of `f`: its result, wall-clock and CPU seconds.
fn timed<T>(f: &mut impl FnMut() -> T) -> (T, f64, f64) {
    let c = cpu_secs();
    let t = Instant::now();
    let out = f();
    (out, t.elapsed().as_secs_f64(), cpu_secs() - c)
}

/// The functions `fs` (all of the same output type) timed in rotation:
/// one warm-up each, then rounds of one run of each, round `r` starting
/// with function `r mod N`, until [`more_runs`] says enough, counting the
/// time of all of them against `min_secs`. Returns the median wall and CPU
/// seconds of each, the number of rounds, and each one's last result.
#[allow(clippy::type_complexity)]
fn rotated_wall_cpu<T, const N: usize>(
    runs: usize,
    min_secs: f64,
    mut fs: [&mut dyn FnMut() -> T; N],
) -> ([(f64, f64); N], usize, [T; N]) {
    let mut outs = fs.each_mut().map(|f| f());
    let mut t: [(Vec<f64>, Vec<f64>); N] = std::array::from_fn(|_| Default::default());
    let mut rounds = 0;
    while more_runs(rounds, runs, t.iter().flat_map(|s| &s.0).sum(), min_secs) {
        for k in 0..N {
            let i = (rounds + k) % N;
            let (o, s, c) = timed(&mut fs[i]);
            outs[i] = o;
            t[i].0.push(s);
            t[i].1.push(c);
        }
        rounds += 1;
    }
    (t.map(|(w, c)| (median(w), median(c))), rounds, outs)
}

/// "panic: " and the message of a caught panic.
fn panic_message(e: Box<dyn std::any::Any + Send>) -> String {
    let msg = e
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    format!("panic: {msg}")
}

fn sha(ids: &[u32]) -> String {
    let bytes: Vec<u8> = ids.iter().flat_map(|i| i.to_le_bytes()).collect();
    towel_data::sha256_hex(&bytes)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: bench_encode ENCODING FILE [RUNS [serve]]");
        std::process::exit(2);
    }
    let name = EncodingName::from_name(&args[1]).unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(&args[2]).expect("readable UTF-8 input file");
    let runs: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(5);
    let t = Instant::now();
    let enc = Encoding::load_named(name, &DataDirs::from_env()).expect("encoding loads");
    let load_s = t.elapsed().as_secs_f64();

    let tk = match name {
        EncodingName::Gpt2 | EncodingName::R50kBase => tiktoken_rs::r50k_base(),
        EncodingName::P50kBase => tiktoken_rs::p50k_base(),
        EncodingName::P50kEdit => tiktoken_rs::p50k_edit(),
        EncodingName::Cl100kBase => tiktoken_rs::cl100k_base(),
        EncodingName::O200kBase | EncodingName::O200kHarmony => tiktoken_rs::o200k_base(),
    }
    .expect("tiktoken-rs loads");
    // towel and tiktoken-rs in rotation, round after round: a slow peer
    // spreads towel's runs over seconds, so one slow moment of this VM does
    // not make towel's whole median (a 0.5 s window of 3-60 ms runs once
    // measured 1.6x slower than the rounds right after it). tiktoken-rs
    // panics on some pathological inputs (fancy-regex's stack): towel is
    // then timed alone, and the panic reported.
    let rotation = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rotated_wall_cpu(
            runs,
            ROTATION_MIN_SECS,
            [&mut || enc.encode_ordinary(&text), &mut || {
                tk.encode_ordinary(&text)
            }],
        )
    }));
    let (towel_s, towel_ids, tk_json) = match rotation {
        Ok(([(towel_s, _), (s, _)], rounds, [ours, ids])) => {
            let tk_json = serde_json::json!({"seconds": s, "towel_seconds_same_rounds": towel_s,
                "rounds": rounds, "n_tokens": ids.len(), "sha256": sha(&ids)});
            (towel_s, ours, tk_json)
        }
        Err(e) => {
            let (towel_s, ours) = median_secs(runs, || enc.encode_ordinary(&text));
            (
                towel_s,
                ours,
                serde_json::json!({"error": panic_message(e)}),
            )
        }
    };
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
    // The batches on 1 and 2 threads, and beside them what this machine's
    // two cores give this work with no coordination at all: the whole text
    // encoded on one thread, then on each of two threads at once, the
    // second one starting from the middle (`rotated_half`): `2 x alone /
    // together`. All four in rotation, so that each round's conditions fall
    // on all four alike.
    let rotated = rotated_half(&text);
    let (times, batch_rounds, [b1, b2, c1, c2]) = rotated_wall_cpu(
        runs,
        ROTATION_MIN_SECS,
        [
            &mut || pool1.install(|| enc.encode_ordinary_batch(&chunks)),
            &mut || pool2.install(|| enc.encode_ordinary_batch(&chunks)),
            &mut || pool1.broadcast(|_| enc.encode_ordinary(&text)),
            &mut || {
                pool2.broadcast(|c| match c.index() {
                    0 => enc.encode_ordinary(&text),
                    _ => enc.encode_ordinary(&rotated),
                })
            },
        ],
    );
    let [(towel_b1, cpu_b1), (towel_b2, cpu_b2), (alone, _), (together, _)] = times;
    assert_eq!(b1, b2);
    assert!(c1.iter().chain(&c2[..1]).all(|ids| *ids == towel_ids));
    assert_eq!(c2[1], enc.encode_ordinary(&rotated));
    let b1 = b1.concat();

    let gh = match name {
        EncodingName::Cl100kBase => Some(bpe_openai::cl100k_base()),
        EncodingName::O200kBase => Some(bpe_openai::o200k_base()),
        _ => None,
    };
    // Peers may panic on pathological inputs: report that instead of dying.
    let peer = |f: &dyn Fn() -> serde_json::Value| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .unwrap_or_else(|e| serde_json::json!({"error": panic_message(e)}))
    };
    // bpe-openai and towel in rotation: the ratio the bench's 1.5x goal is
    // about compares times taken in the same rounds, not seconds apart (a
    // 1 MB row is a few milliseconds, and this VM's speed drifts by a third
    // from one minute to the next).
    let gh_json = gh.map(|tok| {
        peer(&|| {
            let ([(towel_s, _), (s, _)], rounds, [_, ids]) = rotated_wall_cpu(
                runs,
                ROTATION_MIN_SECS,
                [&mut || enc.encode_ordinary(&text), &mut || {
                    tok.encode(text.as_str())
                }],
            );
            serde_json::json!({"seconds": s, "towel_seconds_same_rounds": towel_s, "rounds": rounds,
                               "n_tokens": ids.len(), "sha256": sha(&ids)})
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
            "batch_rounds": batch_rounds,
            "two_cores_alone_seconds": alone,
            "two_cores_together_seconds": together,
            "batch_sha256": sha(&b1),
            "n_tokens": towel_ids.len(),
            "sha256": sha(&towel_ids),
        },
        "tiktoken_rs": tk_json,
        "bpe_openai": gh_json,
    });
    println!("{line}");
    if args.get(4).is_some_and(|a| a == "serve") {
        serve(&enc, &text);
    }
}

/// towel's side of a rotation with a peer in another process (see the
/// module docs): one timed `encode_ordinary` of `text` per line of input,
/// answered with `WALL CPU N_IDS`.
fn serve(enc: &Encoding, text: &str) {
    use std::io::{BufRead, Write};
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("bench_encode serve: reading its input");
        // "warm": one untimed encode first (see the module docs).
        if line.trim() == "warm" {
            enc.encode_ordinary(text);
        }
        let (ids, s, c) = timed(&mut || enc.encode_ordinary(text));
        writeln!(out, "{s} {c} {}", ids.len())
            .and_then(|()| out.flush())
            .expect("bench_encode serve: writing its answer");
    }
}
