//! Profiling harness (not part of the bench): `prof_encode ENCODING FILE N`
//! prints the best of N timed `encode_ordinary` runs after one warm-up run.
//! Under callgrind, `--toggle-collect=*measured_encode*` counts one warm run.
//! It also prints the speed in on-CPU time (the thread's CPU clock over
//! the N runs, see `common::thread_cpu_secs`), which time spent
//! waiting for a core on a loaded machine does not inflate.
#[path = "common/mod.rs"]
#[allow(dead_code)] // this harness needs only the CPU clock
mod common;

use towel_data::DataDirs;
use towel_tokenizer::{Encoding, EncodingName};

#[inline(never)]
fn measured_encode(enc: &Encoding, text: &str) -> usize {
    enc.encode_ordinary(text).len()
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let name = EncodingName::from_name(&a[1]).unwrap();
    let text = std::fs::read_to_string(&a[2]).unwrap();
    let n: usize = a[3].parse().unwrap();
    let enc = Encoding::load_named(name, &DataDirs::from_env()).unwrap();
    enc.encode_ordinary(&text);
    let mut best = f64::MAX;
    let mut tot = 0;
    let cpu0 = common::thread_cpu_secs();
    for _ in 0..n {
        let t = std::time::Instant::now();
        tot = measured_encode(&enc, &text);
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = text.len() as f64 / 1e6;
    print!("{} tokens, {:.1} MB/s", tot, mb / best);
    let cpu = common::thread_cpu_secs() - cpu0;
    if cpu > 0.0 {
        print!(", on-CPU {:.1} MB/s", mb * n as f64 / cpu);
    }
    println!();
}
