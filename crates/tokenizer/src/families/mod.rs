//! The teaching families: tokenizers that show, side by side, the trade-off
//! every tokenizer makes between vocabulary size, sequence length and
//! unknown input (see the crate docs). Production byte-level BPE is
//! [`crate::bpe`]; these are for comparison and teaching.
//!
//! - [`bytes`]: one id per UTF-8 byte;
//! - [`char`](mod@char): one id per character of the corpus;
//! - [`word`]: one id per word or punctuation run;
//! - [`regex_split`]: one id per GPT pre-tokenization piece;
//! - [`family`]: pick one by name, save and load their vocabularies.

pub mod bytes;
pub mod char;
pub mod family;
pub mod regex_split;
mod simple;
pub mod word;

pub use simple::{VocabOptions, UNK};
