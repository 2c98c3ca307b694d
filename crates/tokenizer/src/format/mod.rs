//! Tokenizer files: detect the format, read it into one in-memory
//! [`TokenizerFile`], write it in any format. One file per format:
//!
//! | format | file(s) | pattern | special tokens | merges |
//! | --- | --- | --- | --- | --- |
//! | [`Format::Towel`] ([`towel`]) | one JSON file | yes | yes | yes |
//! | [`Format::Tiktoken`] ([`tiktoken`]) | `.tiktoken` ranks | no | no (dropped on write) | recovered |
//! | [`Format::Gpt2`] ([`gpt2`]) | `encoder.json` + `vocab.bpe` | GPT-2's | `<\|endoftext\|>` | yes |
//! | [`Format::Hf`] ([`hf`]) | HF `tokenizer.json` (byte-level BPE) | yes | yes | yes |
//!
//! Every reader accepts a leading UTF-8 byte-order mark.
//!
//! ```
//! use towel_tokenizer::format::{self, Format};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("tiny.tiktoken");
//! let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
//! tokens.push(b"ab".to_vec());
//! let file = towel_tokenizer::TokenizerFile {
//!     pattern: Some(towel_tokenizer::pretok::GPT2_PATTERN.into()),
//!     special_tokens: [("<|end|>".to_string(), 257)].into(),
//!     ranks: towel_tokenizer::Ranks::from_dense(tokens, "tiny")?,
//!     merges: None,
//! };
//! // A .tiktoken file cannot hold the special token: the writer says so.
//! let written = format::write(&file, Format::Tiktoken, &[path.as_path()])?;
//! assert_eq!(written.dropped_special_tokens, [("<|end|>".to_string(), 257)]);
//! let (found, back) = format::read(&path)?;
//! assert_eq!(found, Format::Tiktoken);
//! assert_eq!(back.ranks, file.ranks);
//! assert_eq!(back.merges()?.to_vec(), [(97, 98)]);
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

pub mod gpt2;
pub mod hf;
pub mod tiktoken;
pub mod towel;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::bpe::CoreBpe;
use crate::error::read_file;
use crate::pretok::Pattern;
use crate::vocab::{Rank, Ranks};
use crate::TokenizerError;

pub use gpt2::Gpt2Vocab;

/// A tokenizer file to [`towel_data::WritePlan`]: towel's JSON, HF
/// `tokenizer.json` or `.tiktoken` ranks, recognised from its first bytes.
/// Writers of a tokenizer (`towel bpe train`, `towel vocab convert`, Python's
/// `train_bpe`) replace an existing tokenizer file and refuse any other file
/// unless forced.
pub const KIND: towel_data::Kind = towel_data::Kind {
    name: "tokenizer file (towel, HF tokenizer.json or .tiktoken)",
    sniff: |h| {
        towel_data::write::json_object_with(
            h,
            &[
                &format!("\"{}\"", towel::FORMAT),
                "\"added_tokens\"",
                "\"model\"",
            ],
        ) || looks_tiktoken(h)
    },
};

/// `.tiktoken`: each line `BASE64 RANK`; the first three lines are checked.
fn looks_tiktoken(h: &[u8]) -> bool {
    let lines: Vec<&[u8]> = h.split(|&b| b == b'\n').take(4).collect();
    // The last piece may be cut by the sniff window; judge complete lines.
    let complete = &lines[..lines.len().saturating_sub(1).max(1)];
    complete.iter().all(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(space) = line.iter().position(|&b| b == b' ') else {
            return false;
        };
        let (b64, rank) = (&line[..space], &line[space + 1..]);
        !b64.is_empty()
            && b64.len() % 4 == 0
            && b64
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
            && !rank.is_empty()
            && rank.iter().all(u8::is_ascii_digit)
    })
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// towel's JSON tokenizer file.
    Towel,
    /// tiktoken's `.tiktoken` ranks file (`base64(bytes) rank` per line).
    Tiktoken,
    /// GPT-2's `encoder.json` + `vocab.bpe` (two files).
    Gpt2,
    /// HF tokenizers' `tokenizer.json` (a byte-level BPE model).
    Hf,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Towel, Format::Tiktoken, Format::Gpt2, Format::Hf];

    /// Parse `towel`, `tiktoken`, `gpt2` or `hf` (also `huggingface`, `tokenizers`).
    pub fn from_name(s: &str) -> Option<Format> {
        match s {
            "towel" => Some(Format::Towel),
            "tiktoken" => Some(Format::Tiktoken),
            "gpt2" => Some(Format::Gpt2),
            "hf" | "huggingface" | "tokenizers" => Some(Format::Hf),
            _ => None,
        }
    }

    /// The short name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Towel => "towel",
            Format::Tiktoken => "tiktoken",
            Format::Gpt2 => "gpt2",
            Format::Hf => "hf",
        }
    }

    /// How many files the format is written to (GPT-2's is two).
    pub fn file_count(self) -> usize {
        if self == Format::Gpt2 {
            2
        } else {
            1
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A byte-level BPE tokenizer as files hold it, whatever the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerFile {
    /// Pre-tokenization regex source; `None` when the format has none
    /// (`.tiktoken`): then give one before encoding.
    pub pattern: Option<String>,
    /// Special tokens and their ids.
    pub special_tokens: BTreeMap<String, Rank>,
    /// Mergeable ranks.
    pub ranks: Ranks,
    /// `merges[i]` = (left, right) ranks that made rank `256 + i`, if the
    /// file says (else [`TokenizerFile::merges`] recovers them).
    pub merges: Option<Vec<(Rank, Rank)>>,
}

impl TokenizerFile {
    /// The merge that made each rank from 256 on: the file's, or recovered
    /// from the ranks ([`Ranks::merges`]).
    pub fn merges(&self) -> Result<Cow<'_, [(Rank, Rank)]>, TokenizerError> {
        Ok(match &self.merges {
            Some(m) => Cow::Borrowed(m),
            None => Cow::Owned(self.ranks.merges("the vocabulary")?),
        })
    }

    /// The pre-tokenization pattern, compiled.
    pub fn compiled_pattern(&self) -> Result<Pattern, TokenizerError> {
        match &self.pattern {
            Some(p) => Pattern::new(p),
            None => Err(TokenizerError::Config(
                "this tokenizer has no pre-tokenization pattern (a .tiktoken file has none): give one (CLI: --pattern gpt2|cl100k|o200k|REGEX)".into(),
            )),
        }
    }

    /// Build the encoder this file describes.
    pub fn to_bpe(&self) -> Result<CoreBpe, TokenizerError> {
        CoreBpe::new(
            &self.ranks,
            self.special_tokens.iter().map(|(s, &r)| (s.clone(), r)),
            self.compiled_pattern()?,
        )
    }
}

/// Which format `data` (the contents of one file) is in, if towel can
/// tell: a JSON object is a towel file when its `"format"` is a string, an
/// HF file when it has a `"model"` object, GPT-2's `encoder.json` when every
/// value is an integer; text whose first line is `<base64> <rank>` is
/// `.tiktoken`.
pub fn detect(data: &[u8]) -> Option<Format> {
    let data = towel_data::text::strip_bom_bytes(data);
    let first = data.iter().position(|b| !b.is_ascii_whitespace())?;
    if data[first] == b'{' {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
            // Damaged JSON: let the towel reader say what is wrong when the
            // file says it is one.
            let head = &data[..data.len().min(DETECT_WINDOW)];
            let towel = head
                .windows(towel::FORMAT.len())
                .any(|w| w == towel::FORMAT.as_bytes());
            return towel.then_some(Format::Towel);
        };
        let obj = value.as_object()?;
        // (GPT-2's vocabulary has tokens spelled "format" and "model",
        // with integer values.)
        return if obj.get("format").is_some_and(|f| f.is_string()) {
            Some(Format::Towel)
        } else if obj.get("model").is_some_and(|m| m.is_object()) {
            Some(Format::Hf)
        } else if obj.values().all(|v| v.is_u64()) {
            Some(Format::Gpt2)
        } else {
            None
        };
    }
    let line = data[first..].split(|&b| b == b'\n').next()?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut fields = line.split(|&b| b == b' ').filter(|f| !f.is_empty());
    let base64 = |f: &[u8]| {
        f.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    };
    match (fields.next(), fields.next()) {
        (Some(token), rank) if base64(token) && rank.is_none_or(base64) => Some(Format::Tiktoken),
        _ => None,
    }
}

/// How much of damaged JSON [`detect`] looks at.
const DETECT_WINDOW: usize = 4096;

/// Read one file of any single-file format (towel, HF, `.tiktoken`; the
/// format is detected from the contents). `origin` names it in errors.
pub fn parse(data: &[u8], origin: &str) -> Result<(Format, TokenizerFile), TokenizerError> {
    let Some(format) = detect(data) else {
        return Err(TokenizerError::format(
            origin,
            "not a tokenizer file towel can read: neither JSON (a towel or HF tokenizer file, GPT-2's encoder.json) nor .tiktoken lines (`<base64 token> <rank>`)",
        ));
    };
    let file = match format {
        Format::Towel => TokenizerFile::parse(data, origin)?,
        Format::Hf => hf::parse(data, origin)?,
        Format::Tiktoken => TokenizerFile {
            pattern: None,
            special_tokens: BTreeMap::new(),
            ranks: Ranks::parse_tiktoken(data, origin)?,
            merges: None,
        },
        Format::Gpt2 => {
            return Err(TokenizerError::format(
                origin,
                "this looks like GPT-2's encoder.json, which needs its vocab.bpe: read the two together",
            ))
        }
    };
    Ok((format, file))
}

/// The files [`read`] reads for `path`: `path`, and for GPT-2's
/// `encoder.json` the `vocab.bpe` beside it, so that a command that also
/// writes files can refuse to overwrite either (`towel vocab convert --from
/// g/encoder.json --to-tiktoken g/vocab.bpe --force` replaced the merges
/// it had just read).
pub fn files_read(path: &Path) -> Vec<PathBuf> {
    let mut files = vec![path.to_path_buf()];
    let bpe = path.with_file_name("vocab.bpe");
    if bpe != path
        && path.is_file()
        && bpe.is_file()
        && std::fs::read(path).ok().and_then(|d| detect(&d)) == Some(Format::Gpt2)
    {
        files.push(bpe);
    }
    files
}

/// Read a tokenizer file of any format, detected from its contents. GPT-2's
/// `encoder.json` is read with the `vocab.bpe` beside it.
pub fn read(path: &Path) -> Result<(Format, TokenizerFile), TokenizerError> {
    let data = read_file(path)?;
    let origin = path.display().to_string();
    if detect(&data) != Some(Format::Gpt2) {
        return parse(&data, &origin);
    }
    let bpe = path.with_file_name("vocab.bpe");
    if !bpe.is_file() {
        return Err(TokenizerError::format(
            origin,
            format!(
                "this looks like GPT-2's encoder.json, whose merges are in vocab.bpe, but there is no {}",
                bpe.display()
            ),
        ));
    }
    let vocab_bpe = read_file(&bpe)?;
    Ok((
        Format::Gpt2,
        gpt2_file(Gpt2Vocab::parse_named(
            &data,
            &origin,
            &vocab_bpe,
            &bpe.display().to_string(),
        )?),
    ))
}

/// Read GPT-2's two files.
pub fn read_gpt2(encoder_json: &Path, vocab_bpe: &Path) -> Result<TokenizerFile, TokenizerError> {
    Ok(gpt2_file(Gpt2Vocab::load(encoder_json, vocab_bpe)?))
}

fn gpt2_file(v: Gpt2Vocab) -> TokenizerFile {
    TokenizerFile {
        pattern: Some(crate::pretok::GPT2_PATTERN.into()),
        special_tokens: v.special_tokens,
        ranks: v.ranks,
        merges: None,
    }
}

/// The contents of a tokenizer in one format, before writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One file's bytes (two for GPT-2: `encoder.json`, `vocab.bpe`).
    pub files: Vec<Vec<u8>>,
    /// Special tokens the format cannot hold, left out (`.tiktoken`).
    pub dropped_special_tokens: Vec<(String, Rank)>,
}

/// `file` in `format`. `hf_merges` is the merge list for HF's model, in
/// priority order, when the caller has a better one than the rank merges
/// (a trainer's, with re-created tokens).
pub fn render(
    file: &TokenizerFile,
    format: Format,
    hf_merges: Option<&[(Rank, Rank)]>,
) -> Result<Rendered, TokenizerError> {
    let mut dropped = Vec::new();
    let files = match format {
        Format::Towel => vec![file.to_json()?],
        Format::Tiktoken => {
            dropped = file
                .special_tokens
                .iter()
                .map(|(s, &r)| (s.clone(), r))
                .collect();
            dropped.sort_by_key(|d| d.1);
            vec![file.ranks.to_tiktoken()]
        }
        Format::Gpt2 => {
            let (enc, bpe) = Gpt2Vocab::to_files(&file.ranks, &file.special_tokens)?;
            vec![enc, bpe]
        }
        Format::Hf => {
            let merges = match hf_merges {
                Some(m) => Cow::Borrowed(m),
                None => file.merges()?,
            };
            vec![hf::to_json(file, &merges)?.into_bytes()]
        }
    };
    Ok(Rendered {
        files,
        dropped_special_tokens: dropped,
    })
}

/// What [`write`](fn@write) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The files written.
    pub paths: Vec<PathBuf>,
    /// Special tokens the format cannot hold and that are therefore not in
    /// the file (`.tiktoken`). Keep them with the towel or HF format.
    pub dropped_special_tokens: Vec<(String, Rank)>,
}

/// Write `file` in `format` to `paths` (one path; two for GPT-2:
/// `encoder.json`, `vocab.bpe`), atomically, all or none.
pub fn write(
    file: &TokenizerFile,
    format: Format,
    paths: &[&Path],
) -> Result<Written, TokenizerError> {
    write_rendered(render(file, format, None)?, format, paths)
}

/// Write contents made by [`render`].
pub fn write_rendered(
    rendered: Rendered,
    format: Format,
    paths: &[&Path],
) -> Result<Written, TokenizerError> {
    if paths.len() != format.file_count() {
        return Err(TokenizerError::Config(format!(
            "the {format} format is written to {} file(s), but {} path(s) were given",
            format.file_count(),
            paths.len()
        )));
    }
    let files: Vec<(&Path, &[u8])> = paths
        .iter()
        .copied()
        .zip(rendered.files.iter().map(Vec::as_slice))
        .collect();
    towel_data::write_all_atomic(&files)?;
    Ok(Written {
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        dropped_special_tokens: rendered.dropped_special_tokens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_its_contents() {
        assert_eq!(
            detect(br#"{"format":"towel-tokenizer","version":1}"#),
            Some(Format::Towel)
        );
        assert_eq!(
            detect(br#"{"version":"1.0","model":{"type":"BPE"}}"#),
            Some(Format::Hf)
        );
        // GPT-2's vocabulary has tokens spelled "format" and "model".
        assert_eq!(
            detect(br#"{"!": 0, "format": 1, "model": 2}"#),
            Some(Format::Gpt2)
        );
        assert_eq!(
            detect(b"\xEF\xBB\xBFIQ== 0\nIg== 1\n"),
            Some(Format::Tiktoken)
        );
        assert_eq!(detect(b"caf\xE9 au lait\n"), None);
        assert_eq!(
            detect(br#"{"format":"towel-tokenizer", "ranks": ["#),
            Some(Format::Towel)
        );
    }
}
