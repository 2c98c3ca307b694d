//! Writing a trained tokenizer: tiktoken ranks, HF `tokenizer.json`, and
//! towel's own file (through [`crate::file::TokenizerFile`], the one
//! reader and writer of that format; `.tiktoken` text through
//! [`Ranks::to_tiktoken`]). Every file is written atomically (temp file + rename).
//!
//! ```
//! use towel_tokenizer::train::{export, BpeTrainer};
//! let bpe = BpeTrainer::new(260).train_texts(["aaab aaab"]).unwrap();
//! let tt = export::tiktoken_string(&bpe);
//! assert!(tt.starts_with("AA== 0\n")); // base64 of byte 0, rank 0
//! let towel: serde_json::Value = serde_json::from_str(&export::towel_json(&bpe)).unwrap();
//! assert_eq!(towel["format"], "towel-tokenizer");
//! ```

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

use crate::file::TokenizerFile;
use crate::vocab::Ranks;

use super::byte_level::{bytes_to_string, string_to_bytes};
use super::TrainedBpe;
use crate::{Builtin, TokenizerError};

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// towel's JSON tokenizer file.
    Towel,
    /// tiktoken's `.tiktoken` ranks file (`base64(bytes) rank` per line).
    Tiktoken,
    /// HF tokenizers' `tokenizer.json`.
    Hf,
}

impl Format {
    /// Parse `towel`, `tiktoken` or `hf`.
    pub fn from_name(s: &str) -> Option<Format> {
        match s {
            "towel" => Some(Format::Towel),
            "tiktoken" => Some(Format::Tiktoken),
            "hf" | "huggingface" | "tokenizers" => Some(Format::Hf),
            _ => None,
        }
    }
}

/// tiktoken ranks: one `base64(token bytes) rank` line per rank. Special
/// tokens are not part of a `.tiktoken` file (tiktoken takes them separately).
pub fn tiktoken_string(bpe: &TrainedBpe) -> String {
    let tiktoken = tiktoken_ranks(bpe).to_tiktoken();
    String::from_utf8(tiktoken).expect("base64 and digits are ASCII")
}

/// The trained ranks as [`Ranks`] (dense by construction: rank = index).
fn tiktoken_ranks(bpe: &TrainedBpe) -> Ranks {
    Ranks::from_dense(bpe.ranks.clone(), "trained tokenizer")
        .expect("a trainer's ranks are distinct, non-empty byte strings")
}

/// The trained tokenizer as a towel tokenizer file ([`TokenizerFile`]):
/// pattern, special tokens, ranks and the merge that made each rank.
pub fn towel_file(bpe: &TrainedBpe) -> TokenizerFile {
    TokenizerFile {
        pattern: bpe.pattern.clone(),
        special_tokens: bpe.special_tokens.iter().cloned().collect(),
        ranks: tiktoken_ranks(bpe),
        merges: Some(bpe.rank_merges()),
    }
}

/// The merges for HF's BPE model, as byte-level string pairs: the merge that
/// created each rank, in rank order, each followed by the later merges that
/// re-created the same token (so HF applies them at about the priority that
/// tiktoken's rank order gives them). A pair is listed once.
pub fn hf_merges(bpe: &TrainedBpe) -> Vec<(u32, u32)> {
    let mut by_result: Vec<Vec<(u32, u32)>> = vec![Vec::new(); bpe.ranks.len()];
    let mut seen = std::collections::HashSet::new();
    for m in &bpe.merges {
        if seen.insert((m.left, m.right)) {
            by_result[m.result as usize].push((m.left, m.right));
        }
    }
    by_result.into_iter().flatten().collect()
}

/// HF `tokenizer.json`. The pre-tokenizer is `ByteLevel` with its built-in
/// (GPT-2) regex when the pattern is GPT-2's; otherwise a `Sequence` of a
/// `Split` on the pattern (behaviour `Isolated`) and `ByteLevel` with
/// `use_regex: false`. Ids equal the ranks; special tokens are added tokens.
pub fn hf_json(bpe: &TrainedBpe) -> String {
    let mut vocab = serde_json::Map::new();
    for (r, b) in bpe.ranks.iter().enumerate() {
        vocab.insert(bytes_to_string(b), json!(r));
    }
    for (s, id) in &bpe.special_tokens {
        vocab.insert(s.clone(), json!(id));
    }
    let merges: Vec<Value> = hf_merges(bpe)
        .into_iter()
        .map(|(l, r)| {
            json!([
                bytes_to_string(&bpe.ranks[l as usize]),
                bytes_to_string(&bpe.ranks[r as usize])
            ])
        })
        .collect();
    let byte_level = |use_regex: bool| json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": use_regex});
    let is_gpt2 = crate::Pattern::new(&bpe.pattern)
        .ok()
        .and_then(|p| p.builtin_kind())
        == Some(Builtin::Gpt2);
    let pre = if is_gpt2 {
        byte_level(true)
    } else {
        json!({"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": bpe.pattern}, "behavior": "Isolated", "invert": false},
            byte_level(false),
        ]})
    };
    let added: Vec<Value> = bpe
        .special_tokens
        .iter()
        .map(|(s, id)| {
            json!({"id": id, "content": s, "single_word": false, "lstrip": false,
                   "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    let doc = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": pre,
        "post_processor": null,
        "decoder": byte_level(true),
        "model": {
            "type": "BPE", "dropout": null, "unk_token": null,
            "continuing_subword_prefix": null, "end_of_word_suffix": null,
            "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
            "vocab": vocab, "merges": merges,
        }
    });
    serde_json::to_string_pretty(&doc).expect("JSON values serialize")
}

/// towel's tokenizer file (see [`crate::file`]): `{"format":"towel-tokenizer",
/// "version":1,"pattern":…,"special_tokens":{token:id},"ranks":[base64 by
/// rank],"merges":[[left,right],…]}` where merge `i` created rank `256 + i`.
pub fn towel_json(bpe: &TrainedBpe) -> String {
    let json = towel_file(bpe)
        .to_json()
        .expect("a trainer's ranks are dense");
    String::from_utf8(json).expect("JSON is UTF-8")
}

/// The file contents for `format`.
pub fn render(bpe: &TrainedBpe, format: Format) -> String {
    match format {
        Format::Towel => towel_json(bpe),
        Format::Tiktoken => tiktoken_string(bpe),
        Format::Hf => hf_json(bpe),
    }
}

/// Write `bpe` to `path` in `format`, atomically.
pub fn write(bpe: &TrainedBpe, format: Format, path: &Path) -> Result<(), TokenizerError> {
    towel_data::write_atomic(path, render(bpe, format).as_bytes()).map_err(|e| TokenizerError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })
}

/// What [`read`] found in a tokenizer file.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// Which format it was.
    pub format: Format,
    /// Token bytes by rank (id).
    pub ranks: Vec<Vec<u8>>,
    /// Merges as `(left, right)` ranks, in priority order (for tiktoken
    /// files: the split of each rank above 255 that reproduces it).
    pub merges: Vec<(u32, u32)>,
    /// The pattern, when the file has one.
    pub pattern: Option<String>,
    /// Special tokens.
    pub special_tokens: Vec<(String, u32)>,
}

fn bad(path: &Path, reason: impl Into<String>) -> TokenizerError {
    TokenizerError::TokenizerFile {
        file: path.display().to_string(),
        reason: format!("not a tokenizer file towel can read: {}", reason.into()),
    }
}

/// Read a tokenizer file written by [`write()`] (any of the three formats;
/// the format is recognised from the content).
pub fn read(path: &Path) -> Result<Loaded, TokenizerError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            bad(path, "not UTF-8 text")
        } else {
            TokenizerError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })?;
    if text.trim_start().starts_with('{') {
        let v: Value = serde_json::from_str(&text).map_err(|e| bad(path, e.to_string()))?;
        if v["format"] == crate::file::FORMAT {
            return read_towel(path, text.as_bytes());
        }
        if v["model"]["type"] == "BPE" {
            return read_hf(path, &v);
        }
        return Err(bad(
            path,
            "JSON, but neither a towel nor an HF BPE tokenizer",
        ));
    }
    read_tiktoken(path, &text)
}

/// Through [`TokenizerFile::parse`], the one reader of towel files (it
/// checks the header, the ranks and the merges).
fn read_towel(path: &Path, data: &[u8]) -> Result<Loaded, TokenizerError> {
    let file = TokenizerFile::parse(data, &path.display().to_string())?;
    let merges = match file.merges {
        Some(m) => m,
        None => file.ranks.merges(&path.display().to_string())?,
    };
    let mut special_tokens: Vec<(String, u32)> = file.special_tokens.into_iter().collect();
    special_tokens.sort_by_key(|s| s.1);
    Ok(Loaded {
        format: Format::Towel,
        ranks: file.ranks.iter().map(|(b, _)| b.to_vec()).collect(),
        merges,
        pattern: Some(file.pattern),
        special_tokens,
    })
}

fn read_hf(path: &Path, v: &Value) -> Result<Loaded, TokenizerError> {
    let vocab = v["model"]["vocab"]
        .as_object()
        .ok_or_else(|| bad(path, "no model.vocab"))?;
    let specials: Vec<(String, u32)> = v["added_tokens"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some((t["content"].as_str()?.to_string(), t["id"].as_u64()? as u32))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut ranks: Vec<Option<Vec<u8>>> = vec![None; vocab.len()];
    for (tok, id) in vocab {
        if specials.iter().any(|(s, _)| s == tok) {
            continue;
        }
        let id = id
            .as_u64()
            .ok_or_else(|| bad(path, "a vocab id is not a number"))? as usize;
        let bytes = string_to_bytes(tok)
            .ok_or_else(|| bad(path, format!("token {tok:?} is not byte-level")))?;
        if id >= ranks.len() {
            ranks.resize(id + 1, None);
        }
        ranks[id] = Some(bytes);
    }
    let ranks: Vec<Vec<u8>> = ranks.into_iter().flatten().collect();
    let index = rank_index(&ranks);
    let mut merges = Vec::new();
    for m in v["model"]["merges"].as_array().into_iter().flatten() {
        let (l, r) = match m {
            Value::Array(a) if a.len() == 2 => (a[0].as_str(), a[1].as_str()),
            Value::String(s) => {
                let mut it = s.splitn(2, ' ');
                (it.next(), it.next())
            }
            _ => (None, None),
        };
        let id = |s: Option<&str>| {
            s.and_then(string_to_bytes)
                .and_then(|b| index.get(b.as_slice()).copied())
                .ok_or_else(|| bad(path, "a merge names a token not in the vocab"))
        };
        merges.push((id(l)?, id(r)?));
    }
    let pattern = match &v["pre_tokenizer"] {
        p if p["type"] == "ByteLevel" => Some(crate::pretok::GPT2_PATTERN.to_string()),
        p => p["pretokenizers"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["type"] == "Split"))
            .and_then(|s| s["pattern"]["Regex"].as_str())
            .map(String::from),
    };
    Ok(Loaded {
        format: Format::Hf,
        ranks,
        merges,
        pattern,
        special_tokens: specials,
    })
}

/// Token bytes -> rank, for ranks given as token bytes in rank order.
fn rank_index(ranks: &[Vec<u8>]) -> std::collections::HashMap<&[u8], u32> {
    ranks
        .iter()
        .enumerate()
        .map(|(i, b)| (b.as_slice(), i as u32))
        .collect()
}

fn read_tiktoken(path: &Path, text: &str) -> Result<Loaded, TokenizerError> {
    let mut ranks: Vec<Vec<u8>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let mut it = line.split(' ');
        let (Some(tok), Some(rank), None) = (it.next(), it.next(), it.next()) else {
            return Err(bad(path, format!("line {}: expected `base64 rank`", i + 1)));
        };
        let bytes = B64
            .decode(tok)
            .map_err(|_| bad(path, format!("line {}: not base64", i + 1)))?;
        let rank: usize = rank
            .parse()
            .map_err(|_| bad(path, format!("line {}: rank is not a number", i + 1)))?;
        if rank != ranks.len() {
            return Err(bad(path, format!("line {}: ranks are not dense", i + 1)));
        }
        ranks.push(bytes);
    }
    // Recover the merge of each rank: the split into two existing tokens
    // with the lowest larger rank (the one BPE would have made last).
    let index = rank_index(&ranks);
    let mut merges = Vec::new();
    for (r, b) in ranks.iter().enumerate().skip(256) {
        let best = (1..b.len())
            .filter_map(|k| {
                let (l, rr) = (index.get(&b[..k])?, index.get(&b[k..])?);
                ((*l as usize) < r && (*rr as usize) < r).then_some((*l.max(rr), *l, *rr))
            })
            .min();
        match best {
            Some((_, l, rr)) => merges.push((l, rr)),
            None => {
                return Err(bad(
                    path,
                    format!("rank {r} is not a merge of two earlier ranks"),
                ))
            }
        }
    }
    Ok(Loaded {
        format: Format::Tiktoken,
        ranks,
        merges,
        pattern: None,
        special_tokens: Vec::new(),
    })
}
