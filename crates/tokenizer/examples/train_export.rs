//! Train small tokenizers on the first 200 KB of tiny shakespeare (one per
//! built-in pattern) and export each in all three formats, for
//! `tests/fixtures/gen_train.py`, which loads them into tiktoken and HF
//! tokenizers. `tests/train_peers.rs` trains the same tokenizers again and
//! checks towel's ids against the ids those libraries produced.
//!
//! ```sh
//! TOWEL_DATA_DIR=/path/to/data cargo run -p towel-tokenizer --example train_export -- OUT_DIR
//! ```

use std::path::PathBuf;

use towel_tokenizer::train::{export, BpeTrainer, TrainedBpe};
use towel_tokenizer::Pattern;

/// The training run the fixtures are made from (shared with the test).
pub fn train(text: &str, pattern: Pattern) -> TrainedBpe {
    BpeTrainer::new(1000)
        .pattern(pattern)
        .special_tokens(["<|endoftext|>"])
        .train_texts([text])
        .expect("training")
}

fn main() {
    let out: PathBuf = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/train_export".into())
        .into();
    let data = std::env::var("TOWEL_DATA_DIR").expect("set TOWEL_DATA_DIR to the reference data");
    let text = std::fs::read(PathBuf::from(data).join("text/tinyshakespeare.txt")).unwrap();
    let text = std::str::from_utf8(&text[..200_000]).unwrap();
    for (name, pattern) in [
        ("gpt2", Pattern::gpt2()),
        ("cl100k", Pattern::cl100k()),
        ("o200k", Pattern::o200k()),
    ] {
        let bpe = train(text, pattern);
        export::write(
            &bpe,
            towel_tokenizer::Format::Tiktoken,
            &out.join(format!("{name}.tiktoken")),
        )
        .unwrap();
        export::write(
            &bpe,
            towel_tokenizer::Format::Hf,
            &out.join(format!("{name}.tokenizer.json")),
        )
        .unwrap();
        export::write(
            &bpe,
            towel_tokenizer::Format::Towel,
            &out.join(format!("{name}.towel.json")),
        )
        .unwrap();
        println!(
            "{name}: {} ranks, {} merges",
            bpe.ranks.len(),
            bpe.merges.len()
        );
    }
}
