//! # towel-tokenizer
//!
//! Text to integer ids and back: the first step of every language model.
//!
//! - [`pretok`]: regex pre-tokenization, the split of text into pieces that
//!   byte-pair merges never cross (GPT-2's, cl100k's and o200k's patterns on
//!   dedicated scanners, or your own regex).
//!
//! Dependencies: `fancy-regex` (the regex engine tiktoken uses, with the
//! look-ahead and possessive quantifiers that GPT patterns need) for
//! user-supplied patterns and as the reference the scanners are tested
//! against; `regex-syntax` (the parser behind fancy-regex and the `regex`
//! crate) for the Unicode class tables of the scanners, so that they agree
//! with fancy-regex on every code point by construction.

pub mod error;
pub mod pretok;

pub use error::TokenizerError;
pub use pretok::{Builtin, Pattern};
