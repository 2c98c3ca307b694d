//! # towel-tokenizer
//!
//! Text to integer ids and back: the first step of every language model.
//!
//! - [`pretok`]: regex pre-tokenization, the split of text into pieces that
//!   byte-pair merges never cross (GPT-2's, cl100k's and o200k's patterns, or
//!   your own).
//!
//! Dependencies: `fancy-regex` (the regex engine tiktoken uses, with the
//! look-ahead and possessive quantifiers that GPT patterns need) for
//! user-supplied patterns.

pub mod error;
pub mod pretok;

pub use error::TokenizerError;
pub use pretok::{Builtin, Pattern};
