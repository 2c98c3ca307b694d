//! Why GPT-2 pre-tokenizes with its odd-looking regex and not with `\w+`.
//!
//! Run: `cargo run -p towel-tokenizer --example why_gpt2_regex`
//!
//! A pre-tokenizer cuts text into pieces that later merges never cross. Three
//! candidates on the same sentence:
//! - `\w+` matches only words: spaces, punctuation and the apostrophe fall
//!   *between* matches and are lost, so the text cannot be rebuilt;
//! - `\w+|[^\w\s]+` (the word tokenizer's split) keeps punctuation but drops
//!   whitespace, so "a  b" and "a b" look the same;
//! - GPT-2's pattern gives every character to exactly one piece and keeps the
//!   space *in front of* a word (`" world"`), so the pieces concatenate back to
//!   the text, byte for byte, and `" world"` and `"world"` can be different tokens.
//!
//! The claims are checked in `tests/families.rs`
//! (`regex_split_keeps_spaces_where_word_split_drops_them`).

use towel_tokenizer::{escape_bytes, Pattern, WORD_PATTERN};

fn main() -> Result<(), towel_tokenizer::TokenizerError> {
    let text = "Hello  world, don't panic! It's 2024:\tcode = 42;\n";
    println!("text: {:?}\n", text);
    let candidates = [
        (r"\w+", Pattern::new(r"\w+")?),
        (WORD_PATTERN, Pattern::new(WORD_PATTERN)?),
        ("GPT-2", Pattern::gpt2()),
    ];
    for (name, pattern) in &candidates {
        let pieces: Vec<&str> = pattern.pieces(text).collect::<Result<_, _>>()?;
        let rebuilt = pieces.concat();
        let shown: Vec<String> = pieces
            .iter()
            .map(|p| format!("'{}'", escape_bytes(p)))
            .collect();
        println!("{name}");
        println!("  {} pieces: {}", pieces.len(), shown.join(" "));
        if rebuilt == text {
            println!("  concatenated: identical to the text (lossless)\n");
        } else {
            let lost = text.len() - rebuilt.len();
            println!("  concatenated: {:?}", rebuilt);
            println!("  -> {lost} bytes of the text are in no piece: lossy\n");
        }
    }
    println!(
        "GPT-2's pattern also splits contractions ('t, 's) off their words and keeps\n\
         numbers, letters and punctuation in separate pieces, so merges learn\n\
         \" world\" once instead of \"world,\", \"world!\", \"world.\" separately."
    );
    Ok(())
}
