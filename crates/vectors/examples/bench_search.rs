//! Times exact top-k batch search for `bench/vectors_search.py`.
//!
//! ```sh
//! cargo run --release -p towel-vectors --example bench_search -- BASE.npy QUERIES.npy K THREADS RUNS IDS_OUT.npy
//! ```
//!
//! Loads both files (not timed), builds an inner-product [`FlatIndex`] (timed
//! as `add_s`), runs one warm-up search of all queries and then `RUNS` timed
//! ones on a pool of `THREADS` threads, writes the ids of the last run to
//! `IDS_OUT.npy` (as float32, exact below 2²⁴) and prints one JSON line with
//! the times in seconds.

use std::path::PathBuf;
use std::time::Instant;

use towel_vectors::{read_npy, write_npy, FlatIndex, Metric, Vectors};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() != 6 {
        return Err("usage: bench_search BASE.npy QUERIES.npy K THREADS RUNS IDS_OUT.npy".into());
    }
    let (base, queries) = (
        read_npy(&PathBuf::from(&a[0]))?,
        read_npy(&PathBuf::from(&a[1]))?,
    );
    let (k, threads, runs): (usize, usize, usize) = (a[2].parse()?, a[3].parse()?, a[4].parse()?);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let t = Instant::now();
    let index = FlatIndex::from_vectors(&base, Metric::InnerProduct)?;
    let add_s = t.elapsed().as_secs_f64();
    let mut times = Vec::new();
    let mut hits = pool.install(|| index.search_batch(&queries, k))?;
    for _ in 0..runs {
        let t = Instant::now();
        hits = pool.install(|| index.search_batch(&queries, k))?;
        times.push(t.elapsed().as_secs_f64());
    }
    let ids: Vec<f32> = hits
        .iter()
        .flat_map(|h| h.iter().map(|h| h.id as f32))
        .collect();
    write_npy(&PathBuf::from(&a[5]), &Vectors::new(ids, k)?)?;
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{{\"add_s\": {add_s}, \"median_s\": {}, \"times_s\": {times:?}, \"threads\": {threads}, \"n\": {}, \"dim\": {}, \"queries\": {}, \"k\": {k}}}",
        sorted[sorted.len() / 2],
        base.len(),
        base.dim(),
        queries.len()
    );
    Ok(())
}
