//! Profiling harness (not part of the bench):
//! `prof_batch ENCODING FILE SECS [ceiling | ceiling-same]` times `encode_ordinary_batch`
//! over the file cut into 64 chunks (as `bench_encode` cuts it) on 1 and 2
//! threads, in alternation, for about SECS seconds, and prints the median
//! of the per-round ratios of 1-thread to 2-thread wall time, with its
//! quartiles, and the same for CPU time (2 threads over 1: 1.00 means the
//! second thread added no work). With `ceiling`, it times instead the
//! whole file encoded on one thread, then on each of two threads at once
//! (the second from the middle of the text on, see `rotated_half`; with
//! `ceiling-same`, both from the start), and prints `2 x alone /
//! together`: what the machine's two cores give this work with no
//! coordination between the threads.
//! Rounds that alternate make two builds comparable on a noisy machine:
//! run each build in turn, several times.
use std::time::Instant;

#[path = "common/mod.rs"]
mod common;
use common::{chunks64, cpu_secs, rotated_half};

use towel_data::DataDirs;
use towel_tokenizer::{Encoding, EncodingName};

fn quartiles(mut v: Vec<f64>) -> [f64; 3] {
    v.sort_by(f64::total_cmp);
    [v[v.len() / 4], v[v.len() / 2], v[3 * v.len() / 4]]
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let name = EncodingName::from_name(&a[1]).unwrap();
    let text = std::fs::read_to_string(&a[2]).unwrap();
    let secs: f64 = a[3].parse().unwrap();
    let enc = Encoding::load_named(name, &DataDirs::from_env()).unwrap();
    let chunks = chunks64(&text);
    let pools = [1, 2].map(|n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    });
    let ceiling = a.get(4).is_some_and(|s| s.starts_with("ceiling"));
    let same = a.get(4).is_some_and(|s| s == "ceiling-same");
    let rotated = rotated_half(&text);
    let run = |p: usize| {
        let c = cpu_secs();
        let t = Instant::now();
        let n = if ceiling {
            // Each thread encodes the whole text on its own: no
            // coordination at all, so 2 x one-thread time / this is what the
            // machine's 2 cores give this work.
            pools[p]
                .broadcast(|c| match (c.index(), same) {
                    (0, _) | (_, true) => enc.encode_ordinary(&text).len(),
                    _ => enc.encode_ordinary(&rotated).len(),
                })
                .len()
        } else {
            pools[p]
                .install(|| enc.encode_ordinary_batch(&chunks))
                .len()
        };
        (t.elapsed().as_secs_f64(), cpu_secs() - c, n)
    };
    run(0);
    run(1);
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < secs {
        let order = if wall.len() % 2 == 0 { [0, 1] } else { [1, 0] };
        let mut t = [(0.0, 0.0, 0); 2];
        for p in order {
            t[p] = run(p);
        }
        wall.push(t[0].0 / t[1].0 * if ceiling { 2.0 } else { 1.0 });
        cpu.push(t[1].1 / t[0].1 / if ceiling { 2.0 } else { 1.0 });
    }
    let n = wall.len();
    let [w1, w2, w3] = quartiles(wall);
    let [c1, c2, c3] = quartiles(cpu);
    println!(
        "{n} rounds: 2 thr / 1 thr speed {w2:.2}x ({w1:.2}-{w3:.2}), CPU time {c2:.2} ({c1:.2}-{c3:.2})"
    );
}
