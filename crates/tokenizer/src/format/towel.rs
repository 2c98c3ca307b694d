//! The towel tokenizer file: one JSON file with everything a byte-level BPE
//! tokenizer needs (pattern, special tokens, ranks, optionally merges), read
//! into and written from [`TokenizerFile`].
//!
//! ```json
//! {"format":"towel-tokenizer","version":1,
//!  "pattern":"<regex source>",
//!  "special_tokens":{"<|endoftext|>":1024},
//!  "ranks":["<base64 of the bytes of rank 0>", "...rank 1", ...],
//!  "merges":[[left_rank,right_rank], ...]}
//! ```
//!
//! `ranks` is dense (index = rank). `merges` is optional; when present,
//! merge `i` makes rank `256 + i` (as BPE training writes it), and it is
//! checked against the ranks on load. A leading UTF-8 byte-order mark is
//! ignored.
//!
//! ```
//! use towel_tokenizer::TokenizerFile;
//! let json = br#"{"format":"towel-tokenizer","version":1,"pattern":"\\S+|\\s+",
//!   "special_tokens":{},"ranks":["YQ==","Yg==","YWI="]}"#;
//! let file = TokenizerFile::parse(json, "tiny.json")?;
//! assert_eq!(file.ranks.token(2), Some(&b"ab"[..]));
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::TokenizerFile;
use crate::error::read_file;
use crate::vocab::{Rank, Ranks};
use crate::TokenizerError;

/// The `format` value of a towel tokenizer file.
pub const FORMAT: &str = "towel-tokenizer";
/// The schema version this crate reads and writes.
pub const VERSION: u64 = 1;

#[derive(Serialize, Deserialize)]
struct Raw {
    format: String,
    version: u64,
    pattern: String,
    #[serde(default)]
    special_tokens: BTreeMap<String, Rank>,
    ranks: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    merges: Option<Vec<(Rank, Rank)>>,
}

impl TokenizerFile {
    /// Parse and check a towel tokenizer file's bytes. `label` names it in errors.
    pub fn parse(data: &[u8], label: &str) -> Result<TokenizerFile, TokenizerError> {
        let data = towel_data::text::strip_bom_bytes(data);
        let bad = |reason: String| TokenizerError::format(label, reason);
        // Check the header first, so an unknown format gets a clear message
        // rather than a complaint about some field.
        let value: serde_json::Value = serde_json::from_slice(data)
            .map_err(|e| bad(format!("not valid JSON ({e}); is the file truncated?")))?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(bad(format!(
                    "format is {other:?}, not {FORMAT:?}; this is not a towel tokenizer file"
                )))
            }
            None => {
                return Err(bad(format!(
                    "no \"format\": {FORMAT:?} field; this is not a towel tokenizer file"
                )))
            }
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(VERSION) => {}
            Some(v) => {
                return Err(bad(format!(
                    "version {v} is not supported (this towel reads version {VERSION}); upgrade towel or re-export the tokenizer"
                )))
            }
            None => return Err(bad("missing or non-integer \"version\"".into())),
        }
        let raw: Raw = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        let mut tokens = Vec::with_capacity(raw.ranks.len());
        for (i, s) in raw.ranks.iter().enumerate() {
            let bytes = BASE64
                .decode(s)
                .map_err(|e| bad(format!("ranks[{i}] = {s:?} is not valid base64 ({e})")))?;
            if bytes.is_empty() {
                return Err(bad(format!("ranks[{i}] is the empty string")));
            }
            tokens.push(bytes);
        }
        let ranks = Ranks::from_dense(tokens, label)?;
        for (token, &id) in &raw.special_tokens {
            if (id as usize) < ranks.len() {
                return Err(bad(format!(
                    "special token {token:?} has id {id}, which is also a rank (ranks go up to {})",
                    ranks.len() - 1
                )));
            }
        }
        if let Some(merges) = &raw.merges {
            check_merges(&ranks, merges).map_err(bad)?;
        }
        Ok(TokenizerFile {
            pattern: Some(raw.pattern),
            special_tokens: raw.special_tokens,
            ranks,
            merges: raw.merges,
        })
    }

    /// Read a towel tokenizer file.
    pub fn load(path: &Path) -> Result<TokenizerFile, TokenizerError> {
        TokenizerFile::parse(&read_file(path)?, &path.display().to_string())
    }

    /// The towel JSON text of this tokenizer.
    pub fn to_json(&self) -> Result<Vec<u8>, TokenizerError> {
        if !self.ranks.is_dense() {
            return Err(TokenizerError::format(
                "tokenizer export",
                "ranks have gaps; the towel format needs dense ranks 0..n (write .tiktoken instead)",
            ));
        }
        let Some(pattern) = &self.pattern else {
            return Err(TokenizerError::Config(
                "a towel tokenizer file needs a pre-tokenization pattern; give one (CLI: --pattern gpt2|cl100k|o200k|REGEX)".into(),
            ));
        };
        let raw = Raw {
            format: FORMAT.into(),
            version: VERSION,
            pattern: pattern.clone(),
            special_tokens: self.special_tokens.clone(),
            ranks: self.ranks.iter().map(|(b, _)| BASE64.encode(b)).collect(),
            merges: self.merges.clone(),
        };
        Ok(serde_json::to_vec(&raw).expect("plain data serializes"))
    }

    /// Write a towel tokenizer file atomically.
    pub fn write(&self, path: &Path) -> Result<(), TokenizerError> {
        Ok(towel_data::write_atomic(path, &self.to_json()?)?)
    }
}

fn check_merges(ranks: &Ranks, merges: &[(Rank, Rank)]) -> Result<(), String> {
    let expected = ranks.len().saturating_sub(256);
    if merges.len() != expected {
        return Err(format!(
            "{} merges for {} ranks; merge i makes rank 256+i, so there should be {expected}",
            merges.len(),
            ranks.len()
        ));
    }
    for (i, &(l, r)) in merges.iter().enumerate() {
        let made = 256 + i as Rank;
        let (Some(lb), Some(rb)) = (ranks.token(l), ranks.token(r)) else {
            return Err(format!("merges[{i}] = [{l}, {r}] refers to a missing rank"));
        };
        if l >= made || r >= made {
            return Err(format!(
                "merges[{i}] = [{l}, {r}] uses a rank not made before rank {made}"
            ));
        }
        let token = ranks.token(made).unwrap_or_default();
        if token.len() != lb.len() + rb.len() || !token.starts_with(lb) || !token.ends_with(rb) {
            return Err(format!(
                "merges[{i}] = [{l}, {r}] does not concatenate to rank {made}'s bytes"
            ));
        }
    }
    Ok(())
}
