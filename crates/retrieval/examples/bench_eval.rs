//! Times `towel_retrieval::eval::evaluate` for `bench/retrieval_eval.py`.
//!
//! `cargo run --release -p towel-retrieval --example bench_eval -- QRELS RUN [REPEATS]`
//!
//! Reads the qrels and the TREC run (timed separately, as `load_s`), then
//! evaluates REPEATS times after one warm-up and prints one JSON line with the
//! median time, the mean metrics and the per-query values (for the script to
//! compare with pytrec_eval's).

use std::path::PathBuf;
use std::time::Instant;

use towel_retrieval::eval::{evaluate, read_qrels, read_trec_run};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        return Err("usage: bench_eval QRELS RUN [REPEATS]".into());
    }
    let repeats: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(20);

    let t = Instant::now();
    let qrels = read_qrels(&PathBuf::from(&args[0]))?;
    let run = read_trec_run(&PathBuf::from(&args[1]))?;
    let load_s = t.elapsed().as_secs_f64();

    let mut ev = evaluate(&qrels, &run); // warm-up
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        ev = std::hint::black_box(evaluate(&qrels, &run));
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];

    let per_query: serde_json::Map<String, serde_json::Value> = ev
        .per_query
        .iter()
        .map(|(q, m)| {
            let v = [m.ndcg_at_10, m.recall_at_100, m.map, m.mrr_at_10];
            (q.clone(), serde_json::json!(v))
        })
        .collect();
    let line = serde_json::json!({
        "impl": "towel",
        "load_s": load_s,
        "evaluate_s": median,
        "repeats": times.len(),
        "queries": ev.queries,
        "run_docs": run.values().map(Vec::len).sum::<usize>(),
        "mean": ev.mean,
        "per_query": per_query,
    });
    println!("{line}");
    Ok(())
}
