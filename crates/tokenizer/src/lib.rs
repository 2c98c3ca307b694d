//! # towel-tokenizer
//!
//! Text to integer ids and back: the first step of every language model.
//!
//! - [`pretok`]: regex pre-tokenization, the split of text into pieces that
//!   byte-pair merges never cross (GPT-2's, cl100k's and o200k's patterns, or
//!   your own).
//! - [`bpe`]: the byte-level BPE encoder [`CoreBpe`], the same ids as
//!   OpenAI's tiktoken, faster.
//! - [`encodings`]: tiktoken's named encodings (gpt2, r50k_base, p50k_base,
//!   p50k_edit, cl100k_base, o200k_base) from the verified vocabulary files.
//! - [`vocab`]: `.tiktoken` rank files and GPT-2's `encoder.json` +
//!   `vocab.bpe`, with line-numbered errors and conversion between them.
//! - [`file`]: the towel tokenizer file (JSON: pattern, special tokens, ranks, merges).
//!
//! ## How byte-level BPE works
//!
//! A vocabulary ranks byte strings; the 256 single bytes are always in it,
//! so any text can be encoded. To encode, the text is first cut into pieces
//! by a regex (words with their leading space, numbers, punctuation runs,
//! whitespace). Each piece starts as its bytes; then, again and again, the
//! adjacent pair whose concatenation has the lowest rank is merged, until no
//! adjacent pair is in the vocabulary. The ranks of what is left are the ids.
//! Special tokens such as `<|endoftext|>` are matched before all that, and
//! only when the caller allows them.
//!
//! A tiny vocabulary, made by hand:
//!
//! ```
//! use towel_tokenizer::{CoreBpe, Pattern, vocab::Ranks};
//! let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
//! for t in ["lo", "low", "er", " low", "es", "est"] {
//!     tokens.push(t.as_bytes().to_vec()); // ranks 256, 257, ...
//! }
//! let bpe = CoreBpe::new(&Ranks::from_dense(tokens, "hand-made")?, [], Pattern::gpt2())?;
//! let ids = bpe.encode_ordinary("lower lowest");
//! assert_eq!(ids, vec![257, 258, 259, 261]); // "low" "er" " low" "est"
//! assert_eq!(bpe.decode(&ids)?, "lower lowest");
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```
//!
//! A real one, cl100k_base (GPT-4), from the data folders:
//!
//! ```no_run
//! use towel_tokenizer::{AllowedSpecial, DisallowedSpecial, Encoding};
//! let enc = Encoding::load("cl100k_base", &towel_data::DataDirs::from_env())?;
//! assert_eq!(enc.encode_ordinary("hello world"), vec![15339, 1917]);
//! let ids = enc.encode("hi<|endoftext|>", &AllowedSpecial::All, &DisallowedSpecial::All)?;
//! assert_eq!(ids, vec![6151, 100257]);
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```
//!
//! ## Dependencies
//!
//! - `fancy-regex`: the regex engine tiktoken uses, with the look-ahead and
//!   possessive quantifiers that GPT patterns need (user-supplied patterns).
//! - `rustc-hash`: FxHash, the fastest hash for the short byte strings of a
//!   vocabulary (the hot tables are towel's own open-addressing maps).
//! - `aho-corasick`: finds all special tokens in one pass over the text.
//! - `base64`: the token encoding of `.tiktoken` files and towel files.
//! - `rayon`: batch encoding on all cores.
//! - `serde` / `serde_json`: towel tokenizer files and GPT-2's `encoder.json`.
//! - `towel-data`: finds and sha256-checks the vocabulary files; atomic writes.
//! - `thiserror`: typed errors whose messages say what to do.

pub mod bpe;
pub mod encodings;
pub mod error;
pub mod file;
pub mod pretok;
pub mod vocab;

pub use bpe::{AllowedSpecial, CoreBpe, DisallowedSpecial};
pub use encodings::{Encoding, EncodingName};
pub use error::TokenizerError;
pub use file::TokenizerFile;
pub use pretok::{Builtin, Pattern};
pub use vocab::{Rank, Ranks};
