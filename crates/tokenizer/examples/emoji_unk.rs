//! An emoji through a word tokenizer (it becomes `<UNK>`) and through the
//! byte-level tokenizer (four bytes that come back intact).
//!
//! Run: `cargo run -p towel-tokenizer --example emoji_unk`
//!
//! A word vocabulary only knows what its training corpus contained; anything
//! else collapses to one `<UNK>` id and the information is gone. A byte-level
//! vocabulary has an id for each of the 256 byte values, and every string is
//! a sequence of UTF-8 bytes, so nothing is ever unknown: the crab emoji is
//! U+1F980, four bytes in UTF-8 (F0 9F A6 80), so four ids.
//!
//! The claims are checked in `tests/families.rs`
//! (`word_emoji_is_unk_but_bytes_round_trip_it`, `bytes_encodes_an_emoji_as_its_four_utf8_bytes`).

use towel_tokenizer::{
    escape_bytes, ByteTokenizer, Tokenizer, TokenizerError, VocabOptions, WordTokenizer,
};

fn main() -> Result<(), TokenizerError> {
    let corpus = "I love rust and I love tea! You love cake and coffee.";
    println!("corpus: {corpus:?}");
    let words = WordTokenizer::from_corpus(corpus, VocabOptions::default())?;
    let text = "I love 🦀 and 🎉!";
    println!("word tokenizer learned from it: {}", words.name());
    println!("text: {text}\n");

    let ids = words.encode(text)?;
    println!("word ids:     {ids:?}");
    println!("word decode:  {:?}", words.decode(&ids)?);
    println!(
        "  the emoji are <UNK> (id {}): the word tokenizer cannot tell 🦀 from 🎉\n",
        words.unk_id()
    );

    let ids = ByteTokenizer.encode(text)?;
    println!("byte ids:     {ids:?}");
    let crab = ByteTokenizer.encode("🦀")?;
    let shown: Vec<String> = crab
        .iter()
        .map(|&id| escape_bytes(ByteTokenizer.token_bytes(id).unwrap_or_default()))
        .collect();
    println!("🦀 alone:     {crab:?} = {}", shown.join(" "));
    println!("byte decode:  {:?}", ByteTokenizer.decode(&ids)?);
    assert_eq!(ByteTokenizer.decode(&ids)?, text);
    println!(
        "  {} bytes, {} ids, and the text comes back exactly.\n\
         The price: {} tokens where the word tokenizer used {}.",
        text.len(),
        ids.len(),
        ids.len(),
        words.count(text)?
    );
    println!(
        "\nHalf an emoji is not text: decoding the first 2 of its 4 bytes strictly fails with\n  {}",
        ByteTokenizer.decode(&crab[..2]).unwrap_err()
    );
    Ok(())
}
