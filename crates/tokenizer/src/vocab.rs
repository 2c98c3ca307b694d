//! BPE vocabularies on disk: tiktoken's `.tiktoken` rank files and GPT-2's
//! `encoder.json` + `vocab.bpe`, read, checked, converted and written.
//!
//! A byte-level BPE vocabulary is a list of byte strings, each with a rank:
//! the rank is the token id and also the merge priority (lower merges first).
//! [`Ranks`] holds such a list and guarantees that no rank and no byte string
//! appears twice.
//!
//! ```
//! use towel_tokenizer::vocab::Ranks;
//! let ranks = Ranks::parse_tiktoken(b"YQ== 0\nYg== 1\nYWI= 2\n", "tiny.tiktoken")?;
//! assert_eq!(ranks.len(), 3);
//! assert_eq!(ranks.token(2), Some(&b"ab"[..]));
//! assert_eq!(ranks.to_tiktoken(), b"YQ== 0\nYg== 1\nYWI= 2\n");
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rustc_hash::FxHashMap;

use crate::TokenizerError;

/// A token id / merge priority.
pub type Rank = u32;

/// Byte strings and their ranks; no rank and no byte string twice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ranks {
    /// Sorted by rank.
    entries: Vec<(Vec<u8>, Rank)>,
}

impl Ranks {
    /// Ranks from `(bytes, rank)` pairs in any order. `label` names the source
    /// in error messages. Fails on a duplicate rank or duplicate byte string.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (Vec<u8>, Rank)>,
        label: &str,
    ) -> Result<Ranks, TokenizerError> {
        let mut entries: Vec<(Vec<u8>, Rank)> = pairs.into_iter().collect();
        entries.sort_by_key(|e| e.1);
        for w in entries.windows(2) {
            if w[0].1 == w[1].1 {
                return Err(invalid(
                    label,
                    format!(
                        "rank {} is given to two tokens ({} and {})",
                        w[0].1,
                        escape_bytes(&w[0].0),
                        escape_bytes(&w[1].0)
                    ),
                ));
            }
        }
        let mut seen: FxHashMap<&[u8], Rank> = FxHashMap::default();
        for (bytes, rank) in &entries {
            if let Some(first) = seen.insert(bytes, *rank) {
                return Err(invalid(
                    label,
                    format!(
                        "token {} has two ranks ({first} and {rank})",
                        escape_bytes(bytes)
                    ),
                ));
            }
        }
        Ok(Ranks { entries })
    }

    /// Dense ranks: `tokens[i]` has rank `i`.
    pub fn from_dense(tokens: Vec<Vec<u8>>, label: &str) -> Result<Ranks, TokenizerError> {
        Ranks::from_pairs(tokens.into_iter().zip(0..), label)
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `(bytes, rank)` in rank order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Rank)> + Clone + '_ {
        self.entries.iter().map(|(b, r)| (b.as_slice(), *r))
    }

    /// The highest rank, if any.
    pub fn max_rank(&self) -> Option<Rank> {
        self.entries.last().map(|e| e.1)
    }

    /// True when the ranks are exactly `0..len`.
    pub fn is_dense(&self) -> bool {
        self.entries
            .iter()
            .enumerate()
            .all(|(i, e)| e.1 as usize == i)
    }

    /// The bytes of the token with this rank.
    pub fn token(&self, rank: Rank) -> Option<&[u8]> {
        if self.is_dense_fast() {
            return self.entries.get(rank as usize).map(|e| e.0.as_slice());
        }
        self.entries
            .binary_search_by_key(&rank, |e| e.1)
            .ok()
            .map(|i| self.entries[i].0.as_slice())
    }

    fn is_dense_fast(&self) -> bool {
        self.entries
            .last()
            .is_some_and(|e| e.1 as usize + 1 == self.entries.len())
    }

    /// Parse a `.tiktoken` file: one `base64 rank` per line (blank lines are
    /// skipped, as tiktoken does). Errors name the line.
    pub fn parse_tiktoken(data: &[u8], label: &str) -> Result<Ranks, TokenizerError> {
        let mut pairs = Vec::with_capacity(data.len() / 12);
        for (i, raw) in data.split(|&b| b == b'\n').enumerate() {
            let line_no = i + 1;
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.is_empty() {
                continue;
            }
            let bad = |reason: String| TokenizerError::VocabLine {
                file: label.to_string(),
                line: line_no,
                reason,
            };
            let mut fields = line.split(|&b| b == b' ').filter(|f| !f.is_empty());
            let token = fields.next().unwrap_or(b"");
            let Some(rank) = fields.next() else {
                return Err(bad(format!(
                    "missing rank: expected `<base64 token> <rank>`, found {:?} (is the file truncated?)",
                    String::from_utf8_lossy(line)
                )));
            };
            if fields.next().is_some() {
                return Err(bad(format!(
                    "expected two fields `<base64 token> <rank>`, found {:?}",
                    String::from_utf8_lossy(line)
                )));
            }
            let bytes = BASE64.decode(token).map_err(|e| {
                bad(format!(
                    "token {:?} is not valid base64 ({e}); is the file truncated or damaged?",
                    String::from_utf8_lossy(token)
                ))
            })?;
            if bytes.is_empty() {
                return Err(bad("empty token".to_string()));
            }
            let rank: Rank = std::str::from_utf8(rank)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| {
                    bad(format!(
                        "rank {:?} is not a number between 0 and {}",
                        String::from_utf8_lossy(rank),
                        Rank::MAX
                    ))
                })?;
            pairs.push((bytes, rank, line_no));
        }
        check_duplicates_by_line(&pairs, label)?;
        let mut entries: Vec<(Vec<u8>, Rank)> = pairs.into_iter().map(|(b, r, _)| (b, r)).collect();
        entries.sort_unstable_by_key(|e| e.1);
        Ok(Ranks { entries })
    }

    /// Read a `.tiktoken` file.
    pub fn load_tiktoken(path: &Path) -> Result<Ranks, TokenizerError> {
        let data = read_file(path)?;
        Ranks::parse_tiktoken(&data, &path.display().to_string())
    }

    /// The `.tiktoken` text of these ranks (rank order, `\n` after each line).
    pub fn to_tiktoken(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * 16);
        for (bytes, rank) in &self.entries {
            out.extend_from_slice(BASE64.encode(bytes).as_bytes());
            out.push(b' ');
            out.extend_from_slice(rank.to_string().as_bytes());
            out.push(b'\n');
        }
        out
    }

    /// Write a `.tiktoken` file atomically.
    pub fn write_tiktoken(&self, path: &Path) -> Result<(), TokenizerError> {
        Ok(towel_data::write_atomic(path, &self.to_tiktoken())?)
    }

    /// The merge that creates each token, for a vocabulary whose first 256
    /// ranks are the 256 single bytes: `(left rank, right rank)` for every
    /// rank from 256 on, found by byte-pair encoding the token with only the
    /// lower ranks (as HF's tiktoken converter does). Fails when a token
    /// cannot be made by merging two lower-ranked tokens.
    pub fn merges(&self, label: &str) -> Result<Vec<(Rank, Rank)>, TokenizerError> {
        if !self.is_dense() {
            return Err(invalid(
                label,
                "ranks have gaps; merges need dense ranks 0..n".into(),
            ));
        }
        for (i, (bytes, _)) in self.entries.iter().take(256).enumerate() {
            if bytes.len() != 1 {
                return Err(invalid(
                    label,
                    format!(
                        "rank {i} is {} but ranks 0..256 must be the 256 single bytes",
                        escape_bytes(bytes)
                    ),
                ));
            }
        }
        if self.entries.len() < 256 {
            return Err(invalid(
                label,
                format!(
                    "only {} tokens; the 256 single bytes come first",
                    self.len()
                ),
            ));
        }
        let map: FxHashMap<&[u8], Rank> = self.iter().collect();
        let mut out = Vec::with_capacity(self.len() - 256);
        for (bytes, rank) in &self.entries[256..] {
            let parts = bpe_parts(&map, bytes, *rank);
            if parts.len() != 2 {
                return Err(invalid(
                    label,
                    format!(
                        "token {} (rank {rank}) is not the merge of two lower-ranked tokens (BPE with the lower ranks gives {} parts)",
                        escape_bytes(bytes),
                        parts.len()
                    ),
                ));
            }
            out.push((map[parts[0]], map[parts[1]]));
        }
        Ok(out)
    }
}

/// Find duplicate ranks / tokens and name both lines.
fn check_duplicates_by_line(
    pairs: &[(Vec<u8>, Rank, usize)],
    label: &str,
) -> Result<(), TokenizerError> {
    let mut by_rank: FxHashMap<Rank, usize> = FxHashMap::default();
    let mut by_token: FxHashMap<&[u8], usize> = FxHashMap::default();
    for (bytes, rank, line) in pairs {
        if let Some(first) = by_rank.insert(*rank, *line) {
            return Err(TokenizerError::VocabLine {
                file: label.to_string(),
                line: *line,
                reason: format!("duplicate rank {rank} (already given on line {first})"),
            });
        }
        if let Some(first) = by_token.insert(bytes, *line) {
            return Err(TokenizerError::VocabLine {
                file: label.to_string(),
                line: *line,
                reason: format!(
                    "duplicate token {} (already on line {first})",
                    escape_bytes(bytes)
                ),
            });
        }
    }
    Ok(())
}

/// Plain byte-pair encoding of `piece` using only ranks below `max_rank`
/// (a simple O(n²) version, for vocabulary conversion only).
fn bpe_parts<'a>(map: &FxHashMap<&[u8], Rank>, piece: &'a [u8], max_rank: Rank) -> Vec<&'a [u8]> {
    let mut bounds: Vec<usize> = (0..=piece.len()).collect();
    loop {
        let mut best: Option<(Rank, usize)> = None;
        for i in 0..bounds.len().saturating_sub(2) {
            if let Some(&r) = map.get(&piece[bounds[i]..bounds[i + 2]]) {
                if r < max_rank && best.map_or(true, |(b, _)| r < b) {
                    best = Some((r, i));
                }
            }
        }
        match best {
            Some((_, i)) => {
                bounds.remove(i + 1);
            }
            None => break,
        }
    }
    bounds.windows(2).map(|w| &piece[w[0]..w[1]]).collect()
}

/// GPT-2's `bytes_to_unicode` table: the printable character that stands
/// for each byte in `encoder.json` and `vocab.bpe`. Index = byte.
pub fn bytes_to_unicode() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut n = 0u32;
    for b in 0..=255u8 {
        let printable = (b'!'..=b'~').contains(&b) || (0xA1..=0xAC).contains(&b) || b >= 0xAE;
        table[b as usize] = if printable {
            char::from(b)
        } else {
            n += 1;
            char::from_u32(255 + n).expect("valid code point")
        };
    }
    table
}

/// The bytes in the order GPT-2 gives them ranks 0..256: printable ones
/// first, then the rest (tiktoken's `rank_to_intbyte`).
pub fn gpt2_byte_order() -> Vec<u8> {
    let table = bytes_to_unicode();
    let mut order: Vec<u8> = (0..=255u8).collect();
    order.sort_by_key(|&b| table[b as usize] as u32);
    order
}

fn unicode_to_bytes(s: &str, decoder: &FxHashMap<char, u8>) -> Option<Vec<u8>> {
    s.chars().map(|c| decoder.get(&c).copied()).collect()
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
    /// Parse and cross-check the two files: ranks come from `encoder.json`;
    /// the first 256 must be the single bytes, and merge `i` of `vocab.bpe`
    /// must make the token that `encoder.json` ranks `256 + i`.
    pub fn parse(encoder_json: &[u8], vocab_bpe: &[u8]) -> Result<Gpt2Vocab, TokenizerError> {
        const ENC: &str = "encoder.json";
        const BPE: &str = "vocab.bpe";
        let table = bytes_to_unicode();
        let decoder: FxHashMap<char, u8> = (0..=255u8).map(|b| (table[b as usize], b)).collect();
        let map: BTreeMap<String, u64> = serde_json::from_slice(encoder_json).map_err(|e| {
            invalid(
                ENC,
                format!("not a JSON object of token -> id ({e}); is the file truncated?"),
            )
        })?;
        let mut pairs = Vec::with_capacity(map.len());
        let mut special_tokens = BTreeMap::new();
        for (token, id) in map {
            let id = Rank::try_from(id)
                .map_err(|_| invalid(ENC, format!("id {id} of {token:?} is too large")))?;
            if GPT2_SPECIALS.contains(&token.as_str()) {
                special_tokens.insert(token, id);
                continue;
            }
            let bytes = unicode_to_bytes(&token, &decoder).ok_or_else(|| {
                invalid(
                    ENC,
                    format!(
                        "token {token:?} has a character outside GPT-2's byte-to-unicode table"
                    ),
                )
            })?;
            pairs.push((bytes, id));
        }
        let ranks = Ranks::from_pairs(pairs, ENC)?;

        // vocab.bpe: merges must agree with the ranks.
        let text = std::str::from_utf8(vocab_bpe).map_err(|e| {
            invalid(
                BPE,
                format!("not UTF-8 at byte {}: damaged file?", e.valid_up_to()),
            )
        })?;
        let by_bytes: FxHashMap<&[u8], Rank> = ranks.iter().collect();
        let order = gpt2_byte_order();
        for (rank, &b) in order.iter().enumerate() {
            match by_bytes.get(&[b][..]) {
                Some(&r) if r as usize == rank => {}
                other => {
                    return Err(invalid(
                        ENC,
                        format!(
                            "byte {b:#04x} should have rank {rank} (GPT-2's byte order), found {}",
                            other.map_or("no rank".to_string(), |r| r.to_string())
                        ),
                    ))
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
            let bad = |reason: String| TokenizerError::VocabLine {
                file: BPE.to_string(),
                line: line_no,
                reason,
            };
            let mut it = line.split(' ');
            let (Some(left), Some(right), None) = (it.next(), it.next(), it.next()) else {
                return Err(bad(format!(
                    "expected a merge `<left> <right>`, found {line:?}"
                )));
            };
            let (Some(mut merged), Some(right_b)) = (
                unicode_to_bytes(left, &decoder),
                unicode_to_bytes(right, &decoder),
            ) else {
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
                        "merge {line:?} makes {} which encoder.json ranks {r}, but as merge number {} it should be rank {next_rank}; the two files do not belong together",
                        escape_bytes(&merged),
                        next_rank - 256
                    )))
                }
                None => {
                    return Err(bad(format!(
                        "merge {line:?} makes {}, which encoder.json does not have; the two files do not belong together",
                        escape_bytes(&merged)
                    )))
                }
            }
            next_rank += 1;
        }
        if next_rank as usize != ranks.len() {
            return Err(invalid(
                BPE,
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

    /// Read `encoder.json` and `vocab.bpe` from disk.
    pub fn load(encoder_json: &Path, vocab_bpe: &Path) -> Result<Gpt2Vocab, TokenizerError> {
        Gpt2Vocab::parse(&read_file(encoder_json)?, &read_file(vocab_bpe)?)
    }

    /// `(encoder.json, vocab.bpe)` contents for these ranks and special
    /// tokens. Ranks 0..256 must be the single bytes in GPT-2's order.
    pub fn to_files(
        ranks: &Ranks,
        special_tokens: &BTreeMap<String, Rank>,
    ) -> Result<(Vec<u8>, Vec<u8>), TokenizerError> {
        let label = "GPT-2 export";
        let order = gpt2_byte_order();
        for (rank, &b) in order.iter().enumerate() {
            if ranks.token(rank as Rank) != Some(&[b][..]) {
                return Err(invalid(
                    label,
                    format!("GPT-2's format needs rank {rank} to be byte {b:#04x} (bytes_to_unicode order)"),
                ));
            }
        }
        let merges = ranks.merges(label)?;
        let table = bytes_to_unicode();
        let uni = |bytes: &[u8]| -> String { bytes.iter().map(|&b| table[b as usize]).collect() };
        let mut enc = String::from("{");
        let mut first = true;
        let mut all: Vec<(String, Rank)> = ranks.iter().map(|(b, r)| (uni(b), r)).collect();
        all.extend(special_tokens.iter().map(|(s, &r)| (s.clone(), r)));
        all.sort_by_key(|e| e.1);
        for (token, rank) in all {
            if !first {
                enc.push_str(", ");
            }
            first = false;
            enc.push_str(&serde_json::to_string(&token).expect("strings serialize"));
            enc.push_str(": ");
            enc.push_str(&rank.to_string());
        }
        enc.push('}');
        let mut bpe = String::from("#version: 0.2\n");
        for (l, r) in merges {
            let (l, r) = (ranks.token(l).unwrap_or(b""), ranks.token(r).unwrap_or(b""));
            bpe.push_str(&uni(l));
            bpe.push(' ');
            bpe.push_str(&uni(r));
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

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, TokenizerError> {
    std::fs::read(path).map_err(|source| TokenizerError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn invalid(label: &str, reason: String) -> TokenizerError {
    TokenizerError::InvalidVocab {
        file: label.to_string(),
        reason,
    }
}

/// Bytes shown for people: printable ASCII as is, the rest `\xNN`, in quotes.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                '\t' => s.push_str("\\t"),
                c if c.is_control() => s.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => s.push(c),
            }
        }
        for b in chunk.invalid() {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_order_matches_gpt2() {
        let t = bytes_to_unicode();
        assert_eq!(t[b'!' as usize], '!');
        assert_eq!(t[0], 'Ā');
        assert_eq!(t[b' ' as usize], 'Ġ');
        let order = gpt2_byte_order();
        assert_eq!(order[0], b'!');
        assert_eq!(order[188], 0);
    }

    #[test]
    fn escape() {
        assert_eq!(escape_bytes(b"a\n\xff"), "\"a\\n\\xff\"");
    }
}
