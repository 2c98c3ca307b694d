//! Why byte-level tokenizers start from exactly 256 tokens.
//!
//! Run: `cargo run -p towel-tokenizer --example why_256`
//! (with `TOWEL_DATA_DIR` set, it also looks at GPT-2's real vocabulary).
//!
//! - A byte has 2^8 = 256 values. Give each one an id and every input encodes,
//!   valid UTF-8 or not: there is no `<UNK>`, ever.
//! - Fewer would not do: with 255 ids some byte could not be written. (UTF-8
//!   text alone uses only 243 values: 0xC0, 0xC1 and 0xF5..=0xFF never occur;
//!   byte-level BPE keeps all 256 anyway so that any bytes encode.)
//! - More are not needed at the start: everything longer is a *merge* of
//!   tokens that already exist. In GPT-2 (r50k_base) ids 0..=255 are the 256
//!   single bytes, and the first merge, id 256, is `" t"`.
//!
//! The claims are checked in `tests/families.rs` (`bytes_has_exactly_256_ids_and_each_is_its_byte`,
//! `utf8_text_never_uses_13_byte_values`, `gpt2_first_256_ids_are_the_single_bytes`).

use std::collections::BTreeSet;

use towel_tokenizer::{ByteTokenizer, CharTokenizer, Tokenizer, TokenizerError, Unknown};

fn main() -> Result<(), TokenizerError> {
    println!(
        "ByteTokenizer: {} ids, id = byte value",
        ByteTokenizer.vocab_size()
    );
    let binary = [0x00u8, 0xFF, 0xC0, 0x80];
    println!(
        "  arbitrary bytes {binary:02X?} -> {:?} (not UTF-8, still encodes)",
        ByteTokenizer.encode_bytes(&binary)
    );

    let text = towel_data::embedded::TOUR_TEXT;
    let chars = CharTokenizer::from_corpus(text, Unknown::Error)?;
    println!(
        "\nA character vocabulary learned from the tour text has {} symbols,",
        chars.vocab_size()
    );
    println!(
        "  and fails on the first character it has not seen: {}",
        chars.encode("naïve 🦀").unwrap_err()
    );
    println!("  (Unicode has ~150,000 characters: far too many ids, and new ones keep coming.)");

    let used: BTreeSet<u8> = text.bytes().collect();
    println!(
        "\nThe tour text uses {} distinct byte values; UTF-8 text can use at most 243:",
        used.len()
    );
    let never: Vec<String> = (0u8..=255)
        .filter(|&b| matches!(b, 0xC0 | 0xC1 | 0xF5..=0xFF))
        .map(|b| format!("{b:02X}"))
        .collect();
    println!("  never in UTF-8: {}", never.join(" "));

    match gpt2_first_tokens() {
        Some((singles, t256)) => {
            println!(
                "\nGPT-2 (r50k_base): ids 0..=255 are {singles} distinct single bytes; id 256 is {t256:?}."
            );
        }
        None => println!("\n(Set TOWEL_DATA_DIR to also check GPT-2's vocabulary, r50k_base.)"),
    }
    Ok(())
}

/// The number of distinct single-byte tokens among r50k_base's ids 0..=255,
/// and the text of id 256, when the reference data is present.
fn gpt2_first_tokens() -> Option<(usize, String)> {
    use base64::Engine;
    let dirs = towel_data::DataDirs::from_env();
    let bytes = dirs
        .read(towel_data::registry::by_name("r50k_base")?)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut singles = BTreeSet::new();
    let mut t256 = None;
    for line in text.lines() {
        let (b64, rank) = line.split_once(' ')?;
        let rank: u32 = rank.parse().ok()?;
        let token = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
        if rank < 256 && token.len() == 1 {
            singles.insert(token[0]);
        }
        if rank == 256 {
            t256 = Some(String::from_utf8_lossy(&token).into_owned());
        }
    }
    Some((singles.len(), t256?))
}
