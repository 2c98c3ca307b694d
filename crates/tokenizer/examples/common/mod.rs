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

/// CPU time of this process (all its threads), in seconds; 0 where the
/// clock is missing.
pub fn cpu_secs() -> f64 {
    cpu_clock_secs(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// CPU time of the calling thread, in seconds; 0 where the clock is missing.
#[allow(dead_code)] // used by some of the examples that include this module
pub fn thread_cpu_secs() -> f64 {
    cpu_clock_secs(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// One of the kernel's CPU-time clocks. Not `/proc/.../schedstat`: read
/// by a thread that is running, its figure only moves at the scheduler's
/// tick (every 4 ms on this VM: a thread reading it in a loop for 50 ms
/// saw 0, 4.02, 8.03, 11.96, ... ms), so a few runs of a 7 ms encode came
/// out in steps of about 13% (12 processes of 4 runs each: 8 distinct
/// speeds). These clocks add the time since the last tick.
fn cpu_clock_secs(clock: libc::clockid_t) -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec for the call's duration.
    if unsafe { libc::clock_gettime(clock, &mut t) } != 0 {
        return 0.0;
    }
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}
