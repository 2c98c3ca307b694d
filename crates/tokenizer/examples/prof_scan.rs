//! The pre-tokenization scanner alone, for `bench/profile_encode.sh`:
//! `prof_scan ENCODING FILE N` walks the pieces of FILE with the scanner
//! of ENCODING's pattern (no BPE), N timed times after one warm-up.
//! Under callgrind, `--toggle-collect=*measured_encode*` (the name the
//! script expects) counts one warm walk:
//!
//! ```sh
//! cargo build --release -p towel-tokenizer --example prof_scan
//! bench/profile_encode.sh o200k_base FILE target/release/examples/prof_scan
//! ```
use towel_tokenizer::Builtin;

/// The number of pieces and a checksum of their ends (so the walk is not
/// optimized away).
#[inline(never)]
fn measured_encode(kind: Builtin, text: &str) -> (usize, usize) {
    let (mut n, mut sum) = (0usize, 0usize);
    kind.for_each_piece_range(text, |_, e| {
        n += 1;
        sum = sum.wrapping_add(e);
    });
    (n, sum)
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let kind = Builtin::from_name(&a[1]).expect("gpt2, r50k_base, cl100k_base or o200k_base");
    let text = std::fs::read_to_string(&a[2]).unwrap();
    let n: usize = a[3].parse().unwrap();
    kind.pieces(&text).count(); // warm-up, not counted
    let mut best = f64::MAX;
    let mut pieces = 0;
    for _ in 0..n {
        let t = std::time::Instant::now();
        pieces = measured_encode(kind, &text).0;
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{pieces} pieces, {:.1} MB/s",
        text.len() as f64 / 1e6 / best
    );
}
