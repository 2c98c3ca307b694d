//! [`CoreBpe`] and [`Encoding`] behind the common [`Tokenizer`] interface,
//! so byte-level BPE sits next to the simple families (`Box<dyn Tokenizer>`).
//!
//! The trait's `encode` is [`CoreBpe::try_encode_ordinary`]: special tokens such
//! as `<|endoftext|>` are ordinary text (use the inherent
//! [`CoreBpe::encode`] to allow them). `decode_bytes` fails on an unknown id,
//! naming it, and `vocab_size` is tiktoken's `n_vocab` (highest id + 1).
//!
//! ```
//! use towel_tokenizer::{CoreBpe, Pattern, Tokenizer, vocab::Ranks};
//! let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
//! tokens.push(b"lo".to_vec()); // 256
//! tokens.push(b"low".to_vec()); // 257
//! let bpe = CoreBpe::new(&Ranks::from_dense(tokens, "hand-made")?, [], Pattern::gpt2())?;
//! let t: Box<dyn Tokenizer> = Box::new(bpe);
//! assert_eq!(t.encode("low")?, [257]);
//! assert_eq!(t.vocab_size(), 258);
//! assert_eq!(t.token_bytes(257)?, b"low");
//! assert!(t.decode(&[999]).is_err());
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use crate::{CoreBpe, Encoding, Tokenizer, TokenizerError};

impl Tokenizer for CoreBpe {
    fn name(&self) -> String {
        format!("bpe ({} tokens)", self.n_vocab())
    }

    /// [`CoreBpe::try_encode_ordinary`]: the same ids as tiktoken's
    /// `encode_ordinary`, and an error when a user pattern's engine fails.
    fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        self.try_encode_ordinary(text)
    }

    fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>, TokenizerError> {
        CoreBpe::decode_bytes(self, ids)
    }

    /// `n_vocab`: the highest id + 1. (A vocabulary with gaps, such as a
    /// special token far above the ranks, has ids below this that do not
    /// decode; the built-in encodings have none.)
    fn vocab_size(&self) -> usize {
        self.n_vocab() as usize
    }

    fn token_bytes(&self, id: u32) -> Result<Vec<u8>, TokenizerError> {
        CoreBpe::token_bytes(self, id)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| self.unknown_id(id, None))
    }

    fn count(&self, text: &str) -> Result<usize, TokenizerError> {
        self.try_count(text)
    }
}

/// A named encoding is its [`CoreBpe`] with the encoding's name.
impl Tokenizer for Encoding {
    fn name(&self) -> String {
        self.name().as_str().to_string()
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        Tokenizer::encode(self.bpe(), text)
    }

    fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>, TokenizerError> {
        Tokenizer::decode_bytes(self.bpe(), ids)
    }

    fn vocab_size(&self) -> usize {
        Tokenizer::vocab_size(self.bpe())
    }

    fn token_bytes(&self, id: u32) -> Result<Vec<u8>, TokenizerError> {
        Tokenizer::token_bytes(self.bpe(), id)
    }

    fn count(&self, text: &str) -> Result<usize, TokenizerError> {
        Tokenizer::count(self.bpe(), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{vocab::Ranks, AllowedSpecial, DisallowedSpecial, Pattern};

    fn tiny() -> CoreBpe {
        let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        for t in ["lo", "low", "er", " low", "es", "est"] {
            tokens.push(t.as_bytes().to_vec());
        }
        let ranks = Ranks::from_dense(tokens, "tiny").unwrap();
        CoreBpe::new(
            &ranks,
            [("<|endoftext|>".to_string(), 262)],
            Pattern::gpt2(),
        )
        .unwrap()
    }

    #[test]
    fn trait_encode_is_encode_ordinary() {
        let bpe = tiny();
        let text = "lower lowest<|endoftext|>";
        let via_trait = Tokenizer::encode(&bpe, text).unwrap();
        assert_eq!(via_trait, bpe.encode_ordinary(text));
        // The special token is ordinary text through the trait ...
        assert!(!via_trait.contains(&262));
        // ... but an id when the inherent encode allows it.
        let with = bpe
            .encode(text, &AllowedSpecial::All, &DisallowedSpecial::All)
            .unwrap();
        assert_eq!(with.last(), Some(&262));
        assert_eq!(Tokenizer::count(&bpe, text).unwrap(), via_trait.len());
    }

    #[test]
    fn decode_round_trips_and_unknown_id_is_an_error() {
        let t: Box<dyn Tokenizer> = Box::new(tiny());
        let text = "lowest 🦀 lower";
        let ids = t.encode(text).unwrap();
        assert_eq!(t.decode(&ids).unwrap(), text);
        assert_eq!(t.vocab_size(), 263);
        assert_eq!(t.token_bytes(259).unwrap(), b" low");
        assert_eq!(t.token_bytes(262).unwrap(), b"<|endoftext|>");
        let err = t.decode_bytes(&[104, 263]).unwrap_err().to_string();
        assert!(err.contains("263") && err.contains("position 1"), "{err}");
        let err = t.token_bytes(5000).unwrap_err().to_string();
        assert!(err.contains("5000"), "{err}");
        // Half of the crab is not text: strict decode fails, lossy replaces.
        let crab = t.encode("🦀").unwrap();
        assert!(t.decode(&crab[..2]).is_err());
        assert_eq!(t.decode_lossy(&crab[..2]).unwrap(), "\u{FFFD}");
    }

    #[test]
    fn encoding_is_a_tokenizer_with_its_name() {
        let dir = towel_data::data_or_skip!();
        let dirs = towel_data::DataDirs::with_data_dir(&dir);
        let enc = Encoding::load("gpt2", &dirs).unwrap();
        let t: &dyn Tokenizer = &enc;
        assert_eq!(t.name(), "gpt2");
        assert_eq!(t.vocab_size(), 50257);
        assert_eq!(t.encode("hello world").unwrap(), [31373, 995]);
        assert_eq!(t.decode(&[31373, 995]).unwrap(), "hello world");
        assert_eq!(t.token_bytes(50256).unwrap(), b"<|endoftext|>");
    }
}
