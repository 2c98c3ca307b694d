//! The byte-level tokenizer: one token per byte, exactly 256 ids.
//!
//! Every string is a sequence of UTF-8 bytes, and every byte value 0..=255 has
//! an id, so nothing is ever unknown: an emoji becomes its four bytes and
//! comes back intact. That is why byte-level BPE (GPT-2 and later) starts from
//! exactly these 256 tokens and only *adds* merges on top. The price is length:
//! one token per byte is the longest sequence of any family.
//!
//! ```
//! use towel_tokenizer::{ByteTokenizer, Tokenizer};
//! let ids = ByteTokenizer.encode("🦀")?;
//! assert_eq!(ids, [0xF0, 0x9F, 0xA6, 0x80]);
//! assert_eq!(ByteTokenizer.decode(&ids)?, "🦀");
//! assert_eq!(ByteTokenizer.vocab_size(), 256);
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use crate::{Tokenizer, TokenizerError};

/// One id per byte: id = byte value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByteTokenizer;

impl ByteTokenizer {
    /// The ids of arbitrary bytes, valid UTF-8 or not. Never fails.
    ///
    /// ```
    /// use towel_tokenizer::ByteTokenizer;
    /// assert_eq!(ByteTokenizer.encode_bytes(b"\xFF\x00"), [255, 0]);
    /// ```
    pub fn encode_bytes(&self, bytes: &[u8]) -> Vec<u32> {
        bytes.iter().map(|&b| u32::from(b)).collect()
    }
}

fn byte_of(id: u32) -> Result<u8, TokenizerError> {
    u8::try_from(id).map_err(|_| TokenizerError::UnknownId {
        id,
        position: None,
        tokenizer: "bytes".into(),
        vocab_size: 256,
    })
}

impl Tokenizer for ByteTokenizer {
    fn name(&self) -> String {
        "bytes".into()
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        Ok(self.encode_bytes(text.as_bytes()))
    }

    fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>, TokenizerError> {
        ids.iter().map(|&id| byte_of(id)).collect()
    }

    fn vocab_size(&self) -> usize {
        256
    }

    fn token_bytes(&self, id: u32) -> Result<Vec<u8>, TokenizerError> {
        Ok(vec![byte_of(id)?])
    }

    fn count(&self, text: &str) -> Result<usize, TokenizerError> {
        Ok(text.len())
    }

    /// Any bytes at all: the byte tokenizer has no notion of invalid input.
    fn encode_input(&self, input: &[u8]) -> Result<Vec<u32>, TokenizerError> {
        Ok(self.encode_bytes(input))
    }
}
