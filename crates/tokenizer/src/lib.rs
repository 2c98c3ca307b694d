//! # towel-tokenizer
//!
//! Text to integer ids and back: the first step of every language model.
//!
//! - [`pretok`]: regex pre-tokenization, the split of text into pieces that
//!   byte-pair merges never cross (GPT-2's, cl100k's and o200k's patterns on
//!   dedicated scanners, or your own regex).
//! - [`Tokenizer`]: the one interface of every tokenizer (encode, decode to
//!   bytes, strict and lossy text decoding, vocabulary size, token bytes).
//!
//! ## The simple families
//!
//! Four tokenizers that show, side by side, the trade-off every tokenizer
//! makes between vocabulary size, sequence length and unknown input
//! (`towel tour --only tokenizers` measures them on real text):
//!
//! | family | unit | vocabulary | unknown input |
//! | --- | --- | --- | --- |
//! | [`ByteTokenizer`] | one UTF-8 byte | exactly 256 | impossible |
//! | [`CharTokenizer`] | one character | the corpus's characters (65 on tiny shakespeare) | error or `<UNK>` |
//! | [`WordTokenizer`] | a word or punctuation run (`\w+\|[^\w\s]+`) | frequent corpus words | `<UNK>` |
//! | [`RegexSplitTokenizer`] | a GPT pre-tokenization piece (`" world"`) | frequent corpus pieces | `<UNK>` |
//!
//! ```
//! use towel_tokenizer::{ByteTokenizer, Tokenizer, VocabOptions, WordTokenizer};
//! let corpus = "the cat sat on the mat";
//! let words = WordTokenizer::from_corpus(corpus, VocabOptions::default())?;
//! // An emoji was never seen: the word tokenizer can only say <UNK> ...
//! assert_eq!(words.decode(&words.encode("the 🦀 sat")?)?, "the <UNK> sat");
//! // ... while the byte tokenizer spells it out in 4 bytes and gets it back.
//! let ids = ByteTokenizer.encode("🦀")?;
//! assert_eq!(ids.len(), 4);
//! assert_eq!(ByteTokenizer.decode(&ids)?, "🦀");
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```
//!
//! [`build_family`] picks one by name (for the CLI), and the learned
//! vocabularies save to and load from a small JSON file (written atomically).
//!
//! Dependencies: `fancy-regex` (the regex engine tiktoken uses, with the
//! look-ahead and possessive quantifiers that GPT patterns need) for
//! user-supplied patterns and as the reference the scanners are tested
//! against; `regex-syntax` (the parser behind fancy-regex and the `regex`
//! crate) for the Unicode class tables of the scanners, so that they agree
//! with fancy-regex on every code point by construction; `regex` (linear-time matching for the word split,
//! which needs no look-around); `serde`/`serde_json` (the vocabulary files);
//! `towel-data` (atomic file writes, and the reference data in tests).

pub mod bytes;
pub mod char;
pub mod error;
pub mod family;
pub mod pretok;
pub mod regex_split;
mod simple;
pub mod tokenizer;
pub mod word;

pub use bytes::ByteTokenizer;
pub use char::{CharTokenizer, Unknown};
pub use error::TokenizerError;
pub use family::{build_family, escape_bytes, Family, FamilyOptions, FamilyTokenizer};
pub use pretok::{Builtin, Pattern};
pub use regex_split::RegexSplitTokenizer;
pub use simple::{PieceCounts, VocabOptions, UNK};
pub use tokenizer::{utf8_input, Tokenizer};
pub use word::{WordTokenizer, WORD_PATTERN};
