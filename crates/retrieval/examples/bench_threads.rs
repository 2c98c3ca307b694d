//! How a batch search scales from 1 thread to more, on a shared machine:
//! one pass of the judged queries of a BEIR folder over an index file (as
//! `towel eval` runs it: a fresh process, cold query memo, threads started
//! before the clock), timed by the wall clock and by the CPU time of every
//! thread of the process (`/proc/self/task/*/schedstat`, in nanoseconds).
//! CPU time does not count waiting for a core, so `cpu 2 threads / cpu 1
//! thread` shows extra work (cold caches, page faults, duplicated stemming)
//! even when the load average makes the wall clock lie.
//!
//! ```sh
//! towel index --corpus scifact --out /tmp/bm25.idx
//! cargo run --release -p towel-retrieval --example bench_threads -- \
//!     --index /tmp/bm25.idx --beir scifact --threads 2 --k 100 --passes 1
//! ```
//!
//! Prints one JSON line per pass: wall seconds, the process's CPU seconds
//! during the pass and those of its busiest thread (a wall time near the sum
//! rather than the busiest means the threads did not get a core each), the
//! time its threads waited, runnable, for a core held by another process,
//! queries/s. `--passes N` runs N passes in one process (the
//! first is cold, as `towel eval`'s only pass; the others warm, as the
//! library bench's).

use std::path::PathBuf;
use std::time::Instant;

use towel_retrieval::corpus::read_queries;
use towel_retrieval::eval::{judged_queries, read_qrels};
use towel_retrieval::retriever::SearchThreads;
use towel_retrieval::Retriever;

/// Nanoseconds each live thread of this process has run so far and has
/// waited, runnable, for a core (the first two fields of schedstat), by
/// thread id (the search threads live as long as the pool).
fn cpu_ns() -> std::collections::BTreeMap<String, (u64, u64)> {
    let mut out = std::collections::BTreeMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for e in dir.flatten() {
            if let Ok(s) = std::fs::read_to_string(e.path().join("schedstat")) {
                let mut f = s.split_whitespace().map(|x| x.parse().unwrap_or(0));
                let (run, wait) = (f.next().unwrap_or(0), f.next().unwrap_or(0));
                out.insert(e.file_name().to_string_lossy().into_owned(), (run, wait));
            }
        }
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut index, mut beir) = (None::<PathBuf>, None::<PathBuf>);
    let (mut threads, mut k, mut passes) = (1usize, 100usize, 1usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--index" => index = Some(val()?.into()),
            "--beir" => beir = Some(val()?.into()),
            "--threads" => threads = val()?.parse()?,
            "--k" => k = val()?.parse()?,
            "--passes" => passes = val()?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let beir = beir.ok_or("--beir DIR is required")?;
    // As `towel eval`: the helpers wake while the index loads.
    let pool = SearchThreads::new(Some(threads));
    pool.warm_up();
    let r = Retriever::load(&index.ok_or("--index FILE is required")?)?;
    let queries = read_queries(&beir.join("queries.jsonl"))?;
    let mut qrels = read_qrels(&beir.join("qrels/test.tsv"))?;
    let (judged, _) = judged_queries(&queries, &mut qrels);
    let texts: Vec<&str> = judged.iter().map(|q| q.text.as_str()).collect();
    pool.warm_up();
    for pass in 0..passes {
        let (c, t) = (cpu_ns(), Instant::now());
        let hits = r.search_batch_on(&pool, &texts, k);
        let wall = t.elapsed().as_secs_f64();
        let after = cpu_ns();
        let delta = |tid: &String, now: u64, field: fn(&(u64, u64)) -> u64| {
            (now - c.get(tid).map(field).unwrap_or(0)) as f64 * 1e-9
        };
        let per: Vec<f64> = after
            .iter()
            .map(|(tid, ns)| delta(tid, ns.0, |x| x.0))
            .collect();
        // Time a thread was ready to run but had no core (other processes).
        let waited: f64 = after
            .iter()
            .map(|(tid, ns)| delta(tid, ns.1, |x| x.1))
            .sum();
        let cpu: f64 = per.iter().sum();
        let busiest = per.iter().copied().fold(0.0, f64::max);
        assert_eq!(hits.len(), texts.len());
        println!(
            "{}",
            serde_json::json!({
                "pass": pass, "threads": threads, "k": k, "wall_s": wall, "cpu_s": cpu,
                "busiest_thread_cpu_s": busiest, "waited_for_core_s": waited,
                "qps": texts.len() as f64 / wall,
            })
        );
    }
    Ok(())
}
