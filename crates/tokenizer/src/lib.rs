//! # towel-tokenizer
//!
//! Text to integer ids and back: the first step of every language model.
//!
//! - [`pretok`]: regex pre-tokenization, the split of text into pieces that
//!   byte-pair merges never cross (GPT-2's, cl100k's and o200k's patterns, or
//!   your own).
//! - [`train`]: byte-level BPE training (faster than HF tokenizers'
//!   BpeTrainer), with export to tiktoken, HF `tokenizer.json` and towel
//!   tokenizer files.
//!
//! Dependencies: `fancy-regex` (the regex engine tiktoken uses, with the
//! look-ahead and possessive quantifiers that GPT patterns need) for
//! user-supplied patterns; `rayon` (data-parallel piece counting over
//! corpus chunks); `rustc-hash` (FxHash: the fastest hasher for the short
//! keys of the trainer's maps: pieces and packed `u32` pairs); `base64` (the
//! token encoding of `.tiktoken` and towel files); `serde_json` (the JSON
//! tokenizer files); `towel-data` (atomic file writes).

pub mod error;
pub mod pretok;
pub mod train;

pub use error::TokenizerError;
pub use pretok::{Builtin, Pattern};
