//! What the encode benches and profiling harnesses share (a module of the
//! examples, not an example itself).

/// Cut `text` into (at most) 64 chunks, after the first newline at or past
/// each 1/64 of its bytes: `bench/tokenizer_encode.py` cuts the same way.
pub fn chunks64(text: &str) -> Vec<&str> {
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

/// CPU time of every live thread of this process, in seconds (Linux; 0
/// elsewhere). The pools' threads live as long as the pools.
pub fn cpu_secs() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let ns: u64 = dir
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    ns as f64 * 1e-9
}
