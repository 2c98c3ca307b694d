//! tiktoken's `.tiktoken` rank files: one `base64(token bytes) rank` line
//! per token, nothing else (no pattern, no special tokens: tiktoken takes
//! those separately, so writing a tokenizer in this format drops its special
//! tokens, and [`super::write`] says which).
//!
//! ```
//! use towel_tokenizer::vocab::Ranks;
//! let ranks = Ranks::parse_tiktoken(b"YQ== 0\nYg== 1\nYWI= 2\n", "tiny.tiktoken")?;
//! assert_eq!(ranks.len(), 3);
//! assert_eq!(ranks.token(2), Some(&b"ab"[..]));
//! assert_eq!(ranks.to_tiktoken(), b"YQ== 0\nYg== 1\nYWI= 2\n");
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rustc_hash::FxHashMap;

use crate::error::read_file;
use crate::vocab::{Rank, Ranks};
use crate::{escape_bytes, TokenizerError};

/// Bytes of `.tiktoken` text per token, on average (to size buffers).
const BYTES_PER_LINE: usize = 12;

impl Ranks {
    /// Parse a `.tiktoken` file: one `base64 rank` per line (blank lines are
    /// skipped and a leading byte-order mark is ignored, as tiktoken does).
    /// Ranks may have gaps. Errors name the line.
    pub fn parse_tiktoken(data: &[u8], label: &str) -> Result<Ranks, TokenizerError> {
        let data = towel_data::text::strip_bom_bytes(data);
        let mut pairs = Vec::with_capacity(data.len() / BYTES_PER_LINE);
        for (i, raw) in data.split(|&b| b == b'\n').enumerate() {
            let line_no = i + 1;
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.is_empty() {
                continue;
            }
            let bad = |reason: String| TokenizerError::format_at(label, line_no, reason);
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
        Ranks::from_pairs(pairs.into_iter().map(|(b, r, _)| (b, r)), label)
    }

    /// Read a `.tiktoken` file.
    pub fn load_tiktoken(path: &Path) -> Result<Ranks, TokenizerError> {
        Ranks::parse_tiktoken(&read_file(path)?, &path.display().to_string())
    }

    /// The `.tiktoken` text of these ranks (rank order, `\n` after each line).
    pub fn to_tiktoken(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len() * 16);
        for (bytes, rank) in self.iter() {
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
            return Err(TokenizerError::format_at(
                label,
                *line,
                format!("duplicate rank {rank} (already given on line {first})"),
            ));
        }
        if let Some(first) = by_token.insert(bytes, *line) {
            return Err(TokenizerError::format_at(
                label,
                *line,
                format!(
                    "duplicate token \"{}\" (already on line {first})",
                    escape_bytes(bytes)
                ),
            ));
        }
    }
    Ok(())
}
