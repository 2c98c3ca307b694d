//! GPT-2's vocabulary files, `encoder.json` + `vocab.bpe`, and GPT-2's
//! byte-to-character table (`bytes_to_unicode`), the one spelling of token
//! bytes as printable strings that GPT-2's files and HF's ByteLevel
//! tokenizers (see [`super::hf`]) share.
//!
//! Printable bytes (`!`..=`~`, `¡`..=`¬`, `®`..=`ÿ`) stand for themselves;
//! the other 68 bytes (controls, space, DEL, NBSP, soft hyphen, ...) map to
//! U+0100 upwards in byte order. So the space byte is spelled `Ġ` and the
//! newline `Ċ`.
//!
//! ```
//! use towel_tokenizer::format::gpt2::{byte_char, bytes_to_string, string_to_bytes};
//! assert_eq!(byte_char(b' '), 'Ġ');
//! assert_eq!(bytes_to_string(b" the\n"), "Ġthe\u{010a}");
//! assert_eq!(string_to_bytes("Ġthe").unwrap(), b" the");
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use rustc_hash::FxHashMap;

use crate::error::read_file;
use crate::vocab::{Rank, Ranks};
use crate::{escape_bytes, TokenizerError};

/// Is `b` one of the bytes that GPT-2 spells as itself?
const fn printable(b: u8) -> bool {
    matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

/// How many bytes GPT-2 does not spell as themselves (they map to U+0100..).
const N_MAPPED: usize = 68;

/// The character of each byte (index = byte).
const BYTE_CHARS: [char; 256] = {
    let mut t = ['\0'; 256];
    let mut n = 0u32;
    let mut b = 0;
    while b < 256 {
        t[b] = if printable(b as u8) {
            b as u8 as char
        } else {
            let Some(c) = char::from_u32(256 + n) else {
                panic!("U+0100..U+0143 are chars")
            };
            n += 1;
            c
        };
        b += 1;
    }
    t
};

/// The bytes spelled U+0100, U+0101, ... (index = code point - 256).
const MAPPED_BYTES: [u8; N_MAPPED] = {
    let mut t = [0u8; N_MAPPED];
    let mut n = 0;
    let mut b = 0;
    while b < 256 {
        if !printable(b as u8) {
            t[n] = b as u8;
            n += 1;
        }
        b += 1;
    }
    t
};

/// The character that stands for byte `b`.
pub fn byte_char(b: u8) -> char {
    BYTE_CHARS[b as usize]
}

/// The byte that character `c` stands for, if it is in the table.
pub fn char_byte(c: char) -> Option<u8> {
    let code = c as u32;
    if code < 256 && printable(code as u8) {
        Some(code as u8)
    } else {
        code.checked_sub(256)
            .and_then(|i| MAPPED_BYTES.get(i as usize).copied())
    }
}

/// All 256 characters, indexed by byte (GPT-2's `bytes_to_unicode`).
pub fn bytes_to_unicode() -> [char; 256] {
    BYTE_CHARS
}

/// The byte-level spelling of a byte string.
pub fn bytes_to_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| byte_char(b)).collect()
}

/// The bytes a byte-level string stands for, or `None` if it has a character
/// outside the table.
pub fn string_to_bytes(s: &str) -> Option<Vec<u8>> {
    s.chars().map(char_byte).collect()
}

/// The bytes in the order GPT-2 gives them ranks 0..256 (the 256 characters
/// sorted by code point: printable bytes first, then the rest; tiktoken's
/// `rank_to_intbyte`).
pub fn gpt2_byte_order() -> Vec<u8> {
    let mut order: Vec<u8> = (0..=255u8).collect();
    order.sort_by_key(|&b| byte_char(b) as u32);
    order
}

/// The position of each byte in [`gpt2_byte_order`]: the order in which HF's
/// BpeTrainer numbers its initial alphabet.
pub fn hf_alphabet_order() -> [u32; 256] {
    let mut pos = [0u32; 256];
    for (i, b) in gpt2_byte_order().into_iter().enumerate() {
        pos[b as usize] = i as u32;
    }
    pos
}

/// Special tokens that GPT-2's `encoder.json` contains (tiktoken drops them
/// from the mergeable ranks).
const GPT2_SPECIALS: [&str; 2] = ["<|endoftext|>", "<|startoftext|>"];

/// A vocabulary read from GPT-2's `encoder.json` + `vocab.bpe`.
#[derive(Debug, Clone)]
pub struct Gpt2Vocab {
    /// Mergeable ranks (ids from `encoder.json`).
    pub ranks: Ranks,
    /// Special tokens found in `encoder.json` (`<|endoftext|>`).
    pub special_tokens: BTreeMap<String, Rank>,
}

impl Gpt2Vocab {
    /// Parse and cross-check the two files, named `encoder.json` and
    /// `vocab.bpe` in errors; see [`Gpt2Vocab::parse_named`].
    pub fn parse(encoder_json: &[u8], vocab_bpe: &[u8]) -> Result<Gpt2Vocab, TokenizerError> {
        Gpt2Vocab::parse_named(encoder_json, "encoder.json", vocab_bpe, "vocab.bpe")
    }

    /// Parse and cross-check the two files (`enc_origin` and `bpe_origin`
    /// name them in errors): ranks come from `encoder.json`; the first 256
    /// must be the single bytes, and merge `i` of `vocab.bpe` must make the
    /// token that `encoder.json` ranks `256 + i`. A leading UTF-8 byte-order
    /// mark is ignored in both.
    pub fn parse_named(
        encoder_json: &[u8],
        enc_origin: &str,
        vocab_bpe: &[u8],
        bpe_origin: &str,
    ) -> Result<Gpt2Vocab, TokenizerError> {
        let encoder_json = towel_data::text::strip_bom_bytes(encoder_json);
        let vocab_bpe = towel_data::text::strip_bom_bytes(vocab_bpe);
        let bad_enc = |reason: String| TokenizerError::format(enc_origin, reason);
        let map: BTreeMap<String, u64> = serde_json::from_slice(encoder_json).map_err(|e| {
            bad_enc(format!(
                "not a JSON object of token -> id ({e}); is the file truncated?"
            ))
        })?;
        let mut pairs = Vec::with_capacity(map.len());
        let mut special_tokens = BTreeMap::new();
        for (token, id) in map {
            let id = Rank::try_from(id)
                .map_err(|_| bad_enc(format!("id {id} of {token:?} is too large")))?;
            if GPT2_SPECIALS.contains(&token.as_str()) {
                special_tokens.insert(token, id);
                continue;
            }
            let bytes = string_to_bytes(&token).ok_or_else(|| {
                bad_enc(format!(
                    "token {token:?} has a character outside GPT-2's byte-to-unicode table"
                ))
            })?;
            pairs.push((bytes, id));
        }
        let ranks = Ranks::from_pairs(pairs, enc_origin)?;

        // vocab.bpe: merges must agree with the ranks.
        let text = std::str::from_utf8(vocab_bpe).map_err(|e| {
            TokenizerError::format(
                bpe_origin,
                format!("not UTF-8 at byte {}: damaged file?", e.valid_up_to()),
            )
        })?;
        let by_bytes: FxHashMap<&[u8], Rank> = ranks.iter().collect();
        for (rank, b) in gpt2_byte_order().into_iter().enumerate() {
            match by_bytes.get(&[b][..]) {
                Some(&r) if r as usize == rank => {}
                other => {
                    return Err(bad_enc(format!(
                        "byte {b:#04x} should have rank {rank} (GPT-2's byte order), found {}",
                        other.map_or("no rank".to_string(), |r| r.to_string())
                    )))
                }
            }
        }
        let mut next_rank: Rank = 256;
        for (i, line) in text.split('\n').enumerate() {
            let line_no = i + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() || (i == 0 && line.starts_with("#version")) {
                continue;
            }
            let bad = |reason: String| TokenizerError::format_at(bpe_origin, line_no, reason);
            let mut it = line.split(' ');
            let (Some(left), Some(right), None) = (it.next(), it.next(), it.next()) else {
                return Err(bad(format!(
                    "expected a merge `<left> <right>`, found {line:?}"
                )));
            };
            let (Some(mut merged), Some(right_b)) = (string_to_bytes(left), string_to_bytes(right))
            else {
                return Err(bad(format!(
                    "merge {line:?} has a character outside GPT-2's byte-to-unicode table"
                )));
            };
            if left.is_empty() || right.is_empty() {
                return Err(bad(format!("merge {line:?} has an empty side")));
            }
            merged.extend_from_slice(&right_b);
            match by_bytes.get(merged.as_slice()) {
                Some(&r) if r == next_rank => {}
                Some(&r) => {
                    return Err(bad(format!(
                        "merge {line:?} makes \"{}\" which encoder.json ranks {r}, but as merge number {} it should be rank {next_rank}; the two files do not belong together",
                        escape_bytes(&merged),
                        next_rank - 256
                    )))
                }
                None => {
                    return Err(bad(format!(
                        "merge {line:?} makes \"{}\", which encoder.json does not have; the two files do not belong together",
                        escape_bytes(&merged)
                    )))
                }
            }
            next_rank += 1;
        }
        if next_rank as usize != ranks.len() {
            return Err(TokenizerError::format(
                bpe_origin,
                format!(
                    "{} merges for {} tokens in encoder.json (expected {}); is vocab.bpe truncated?",
                    next_rank - 256,
                    ranks.len(),
                    ranks.len().saturating_sub(256)
                ),
            ));
        }
        Ok(Gpt2Vocab {
            ranks,
            special_tokens,
        })
    }

    /// Read `encoder.json` and `vocab.bpe` from disk (errors name the paths).
    pub fn load(encoder_json: &Path, vocab_bpe: &Path) -> Result<Gpt2Vocab, TokenizerError> {
        Gpt2Vocab::parse_named(
            &read_file(encoder_json)?,
            &encoder_json.display().to_string(),
            &read_file(vocab_bpe)?,
            &vocab_bpe.display().to_string(),
        )
    }

    /// `(encoder.json, vocab.bpe)` contents for these ranks and special
    /// tokens. Ranks 0..256 must be the single bytes in GPT-2's order.
    pub fn to_files(
        ranks: &Ranks,
        special_tokens: &BTreeMap<String, Rank>,
    ) -> Result<(Vec<u8>, Vec<u8>), TokenizerError> {
        let label = "GPT-2 export";
        for (rank, b) in gpt2_byte_order().into_iter().enumerate() {
            if ranks.token(rank as Rank) != Some(&[b][..]) {
                return Err(TokenizerError::format(
                    label,
                    format!("GPT-2's format needs rank {rank} to be byte {b:#04x} (bytes_to_unicode order)"),
                ));
            }
        }
        let merges = ranks.merges(label)?;
        let mut enc = String::from("{");
        let mut all: Vec<(String, Rank)> =
            ranks.iter().map(|(b, r)| (bytes_to_string(b), r)).collect();
        all.extend(special_tokens.iter().map(|(s, &r)| (s.clone(), r)));
        all.sort_by_key(|e| e.1);
        for (i, (token, rank)) in all.into_iter().enumerate() {
            if i > 0 {
                enc.push_str(", ");
            }
            enc.push_str(&serde_json::to_string(&token).expect("strings serialize"));
            enc.push_str(": ");
            enc.push_str(&rank.to_string());
        }
        enc.push('}');
        let mut bpe = String::from("#version: 0.2\n");
        for (l, r) in merges {
            let (l, r) = (ranks.token(l).unwrap_or(b""), ranks.token(r).unwrap_or(b""));
            bpe.push_str(&bytes_to_string(l));
            bpe.push(' ');
            bpe.push_str(&bytes_to_string(r));
            bpe.push('\n');
        }
        Ok((enc.into_bytes(), bpe.into_bytes()))
    }

    /// Write `encoder.json` and `vocab.bpe` atomically, both or neither.
    pub fn write(
        ranks: &Ranks,
        special_tokens: &BTreeMap<String, Rank>,
        encoder_json: &Path,
        vocab_bpe: &Path,
    ) -> Result<(), TokenizerError> {
        let (enc, bpe) = Gpt2Vocab::to_files(ranks, special_tokens)?;
        towel_data::write_all_atomic(&[(encoder_json, &enc), (vocab_bpe, &bpe)])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_a_bijection_with_gpt2_spellings() {
        let t = bytes_to_unicode();
        let mut seen = std::collections::HashSet::new();
        for (b, c) in t.into_iter().enumerate() {
            assert!(seen.insert(c));
            assert_eq!(char_byte(c), Some(b as u8));
        }
        assert_eq!(char_byte('\u{0144}'), None);
        assert_eq!(char_byte(' '), None);
        assert_eq!(byte_char(b'\n'), 'Ċ');
        assert_eq!(byte_char(0), 'Ā');
        assert_eq!(byte_char(0xAD), 'Ń');
        assert_eq!(byte_char(b'a'), 'a');
        assert_eq!(t[b' ' as usize], 'Ġ');
        let order = gpt2_byte_order();
        assert_eq!(order[0], b'!');
        assert_eq!(order[188], 0);
        let pos = hf_alphabet_order();
        assert_eq!(pos[b'!' as usize], 0);
        assert_eq!(pos[0], 188);
        assert_eq!(pos[0xAD], 255);
    }
}
