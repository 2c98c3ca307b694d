//! The one interface every tokenizer in towel implements.
//!
//! A tokenizer turns text into a sequence of integer ids (`encode`) and ids
//! back into bytes (`decode_bytes`). Decoding works on bytes first because a
//! byte-level tokenizer's tokens need not be whole characters: an emoji is four
//! byte tokens, and a prefix of them is not valid UTF-8. [`Tokenizer::decode`]
//! is strict (it says where the UTF-8 breaks), [`Tokenizer::decode_lossy`]
//! replaces broken sequences with U+FFFD, as tiktoken's `decode` does.
//!
//! ```
//! use towel_tokenizer::{ByteTokenizer, Tokenizer};
//! let t: Box<dyn Tokenizer> = Box::new(ByteTokenizer);
//! let ids = t.encode("hé")?;
//! assert_eq!(ids, [104, 195, 169]);
//! assert_eq!(t.decode(&ids)?, "hé");
//! // Half of "é" is not text: strict decoding says where, lossy decoding replaces it.
//! assert!(t.decode(&ids[..2]).unwrap_err().to_string().contains("byte offset 1"));
//! assert_eq!(t.decode_lossy(&ids[..2])?, "h\u{FFFD}");
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use crate::TokenizerError;

/// Text to ids and back. Object safe: families are used as `Box<dyn Tokenizer>`.
pub trait Tokenizer: Send + Sync {
    /// A short human-readable name, e.g. `"bytes"` or `"char (65 symbols)"`.
    fn name(&self) -> String;

    /// The ids of ordinary text (for BPE: `encode_ordinary` semantics, no
    /// special tokens are recognised).
    fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizerError>;

    /// The bytes that `ids` stand for, concatenated. An id outside the
    /// vocabulary is an error naming it.
    fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>, TokenizerError>;

    /// The text that `ids` stand for. Fails, with the byte offset, when the
    /// bytes are not valid UTF-8 (e.g. a multi-byte character cut in half).
    fn decode(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        let bytes = self.decode_bytes(ids)?;
        String::from_utf8(bytes).map_err(|e| TokenizerError::InvalidUtf8 {
            offset: e.utf8_error().valid_up_to(),
            context: " in the decoded tokens; use decode_lossy (or decode_bytes) to accept it",
        })
    }

    /// The text that `ids` stand for, with invalid UTF-8 replaced by U+FFFD
    /// (what tiktoken's `decode` does by default).
    fn decode_lossy(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        let bytes = self.decode_bytes(ids)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Number of ids: every id in `0..vocab_size()` decodes.
    fn vocab_size(&self) -> usize;

    /// The bytes of one token.
    fn token_bytes(&self, id: u32) -> Result<Vec<u8>, TokenizerError>;

    /// Number of tokens in `text` (the length of `encode(text)`).
    fn count(&self, text: &str) -> Result<usize, TokenizerError> {
        Ok(self.encode(text)?.len())
    }

    /// Encode raw input bytes, e.g. a file. Text-level tokenizers require
    /// valid UTF-8 and report the byte offset of the first invalid sequence;
    /// byte-level tokenizers may accept anything (see
    /// [`ByteTokenizer`](crate::ByteTokenizer)).
    fn encode_input(&self, input: &[u8]) -> Result<Vec<u32>, TokenizerError> {
        self.encode(utf8_input(input)?)
    }
}

/// `bytes` as text, or an [`TokenizerError::InvalidUtf8`] with the byte offset
/// of the first invalid sequence.
///
/// ```
/// use towel_tokenizer::utf8_input;
/// assert_eq!(utf8_input(b"ok")?, "ok");
/// let err = utf8_input(b"ab\xFFc").unwrap_err();
/// assert!(err.to_string().starts_with("invalid UTF-8 at byte offset 2 in the input"));
/// # Ok::<(), towel_tokenizer::TokenizerError>(())
/// ```
pub fn utf8_input(bytes: &[u8]) -> Result<&str, TokenizerError> {
    std::str::from_utf8(bytes).map_err(|e| TokenizerError::InvalidUtf8 {
        offset: e.valid_up_to(),
        context:
            " in the input; this tokenizer needs UTF-8 text (the byte tokenizer takes any bytes)",
    })
}

/// Shows the tokenizer's [`name`](Tokenizer::name), so `Box<dyn Tokenizer>`
/// works with `{:?}`, `unwrap_err` and friends.
impl std::fmt::Debug for dyn Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokenizer({})", self.name())
    }
}
