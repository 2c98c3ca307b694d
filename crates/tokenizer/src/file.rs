//! The towel tokenizer file: one JSON file with everything a byte-level BPE
//! tokenizer needs (pattern, special tokens, ranks, optionally merges).
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
//! checked against the ranks on load.
//!
//! ```
//! use towel_tokenizer::file::TokenizerFile;
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

use crate::bpe::CoreBpe;
use crate::pretok::Pattern;
use crate::vocab::{read_file, Rank, Ranks};
use crate::TokenizerError;

/// The `format` value of a towel tokenizer file.
pub const FORMAT: &str = "towel-tokenizer";
/// The schema version this crate reads and writes.
pub const VERSION: u64 = 1;

/// A parsed towel tokenizer file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerFile {
    /// Pre-tokenization regex source.
    pub pattern: String,
    /// Special tokens and their ids.
    pub special_tokens: BTreeMap<String, Rank>,
    /// Mergeable ranks (dense).
    pub ranks: Ranks,
    /// `merges[i]` = (left, right) ranks that made rank `256 + i`, if known.
    pub merges: Option<Vec<(Rank, Rank)>>,
}

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
    /// Parse and check a tokenizer file's bytes. `label` names it in errors.
    pub fn parse(data: &[u8], label: &str) -> Result<TokenizerFile, TokenizerError> {
        let bad = |reason: String| TokenizerError::TokenizerFile {
            file: label.to_string(),
            reason,
        };
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
            pattern: raw.pattern,
            special_tokens: raw.special_tokens,
            ranks,
            merges: raw.merges,
        })
    }

    /// Read a tokenizer file.
    pub fn load(path: &Path) -> Result<TokenizerFile, TokenizerError> {
        TokenizerFile::parse(&read_file(path)?, &path.display().to_string())
    }

    /// The JSON text of this file.
    pub fn to_json(&self) -> Result<Vec<u8>, TokenizerError> {
        if !self.ranks.is_dense() {
            return Err(TokenizerError::TokenizerFile {
                file: "tokenizer export".into(),
                reason: "ranks have gaps; the towel format needs dense ranks 0..n".into(),
            });
        }
        let raw = Raw {
            format: FORMAT.into(),
            version: VERSION,
            pattern: self.pattern.clone(),
            special_tokens: self.special_tokens.clone(),
            ranks: self.ranks.iter().map(|(b, _)| BASE64.encode(b)).collect(),
            merges: self.merges.clone(),
        };
        Ok(serde_json::to_vec(&raw).expect("plain data serializes"))
    }

    /// Write the file atomically.
    pub fn write(&self, path: &Path) -> Result<(), TokenizerError> {
        Ok(towel_data::write_atomic(path, &self.to_json()?)?)
    }

    /// Build the encoder this file describes.
    pub fn to_bpe(&self) -> Result<CoreBpe, TokenizerError> {
        let pattern = Pattern::new(&self.pattern)?;
        CoreBpe::new(
            &self.ranks,
            self.special_tokens.iter().map(|(s, &r)| (s.clone(), r)),
            pattern,
        )
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
