//! Time towel's loading of an encoding, for `bench/tokenizer_load.py`:
//! from the ranks embedded in towel (inflate, write the tiktoken text back,
//! parse, build) and from the verified file in the data folder (read,
//! sha256, parse, build). Prints one JSON line of medians in milliseconds.
//!
//! ```sh
//! cargo run --release -p towel-tokenizer --example bench_load -- cl100k_base 7
//! ```

use std::time::Instant;

use towel_data::DataDirs;
use towel_tokenizer::vocab::Ranks;
use towel_tokenizer::{Encoding, EncodingName};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = EncodingName::from_name(args.get(1).map_or("cl100k_base", String::as_str))
        .expect("an encoding name");
    let runs: usize = args
        .get(2)
        .map_or(7, |r| r.parse().expect("a number of runs"));
    let file = match name {
        EncodingName::Gpt2 | EncodingName::R50kBase => "r50k_base",
        _ => name.as_str(),
    };
    let entry = towel_data::embedded::entry(file).expect("an embedded encoding");
    let inflate = time(runs, || {
        std::hint::black_box(entry.inflate_uncached());
    });
    let text = entry.inflate_uncached();
    let build = time(runs, || {
        let ranks = Ranks::parse_tiktoken(&text, file).unwrap();
        std::hint::black_box(Encoding::from_ranks(name, &ranks).unwrap());
    });
    let dirs = DataDirs::from_env();
    let from_file = time(runs, || {
        std::hint::black_box(Encoding::load_named(name, &dirs).unwrap());
    });
    // The ids agree whichever way it was loaded.
    let probe = "How many r's are in strawberry? 1234567 🦀";
    let ids = Encoding::load_named(name, &dirs)
        .unwrap()
        .encode_ordinary(probe);
    assert_eq!(
        Encoding::embedded(name)
            .unwrap()
            .unwrap()
            .encode_ordinary(probe),
        ids
    );
    println!(
        "{}",
        serde_json::json!({
            "encoding": name.as_str(),
            "runs": runs,
            "embedded_inflate_ms": inflate,
            "embedded_parse_build_ms": build,
            "embedded_total_ms": inflate + build,
            "file_read_verify_parse_build_ms": from_file,
            "probe_ids": ids,
        })
    );
}
