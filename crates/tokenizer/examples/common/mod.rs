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

/// `text` from the first newline at or past its middle on, then its start:
/// as much work as `text`, for the second thread of a ceiling measure, so
/// that the two threads are never at the same place in the same text
/// (they would share the table lines each one fetches: two copies of the
/// same text encoded at once measured up to 2.2x one copy alone).
pub fn rotated_half(text: &str) -> String {
    let b = text.as_bytes();
    let cut = b[b.len() / 2..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(0, |p| b.len() / 2 + p + 1);
    format!("{}{}", &text[cut..], &text[..cut])
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
