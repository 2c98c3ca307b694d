//! Writing a trained tokenizer, through [`crate::format`] (the one reader
//! and writer of every format): towel's file, tiktoken ranks and HF
//! `tokenizer.json`. Every file is written atomically (temp file + rename).
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

use super::TrainedBpe;
use crate::format::{self, Format, Rendered, TokenizerFile, Written};
use crate::vocab::{Rank, Ranks};
use crate::TokenizerError;

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

/// The trained tokenizer as a [`TokenizerFile`]: pattern, special tokens,
/// ranks and the merge that made each rank.
pub fn towel_file(bpe: &TrainedBpe) -> TokenizerFile {
    TokenizerFile {
        pattern: Some(bpe.pattern.clone()),
        special_tokens: bpe.special_tokens.iter().cloned().collect(),
        ranks: tiktoken_ranks(bpe),
        merges: Some(bpe.rank_merges()),
    }
}

/// The merges for HF's BPE model: the merge that created each rank, in rank
/// order, each followed by the later merges that re-created the same token
/// (so HF applies them at about the priority that tiktoken's rank order
/// gives them). A pair is listed once.
pub fn hf_merges(bpe: &TrainedBpe) -> Vec<(Rank, Rank)> {
    let mut by_result: Vec<Vec<(Rank, Rank)>> = vec![Vec::new(); bpe.ranks.len()];
    let mut seen = std::collections::HashSet::new();
    for m in &bpe.merges {
        if seen.insert((m.left, m.right)) {
            by_result[m.result as usize].push((m.left, m.right));
        }
    }
    by_result.into_iter().flatten().collect()
}

/// HF `tokenizer.json` (see [`format::hf`]), with [`hf_merges`].
pub fn hf_json(bpe: &TrainedBpe) -> String {
    format::hf::to_json(&towel_file(bpe), &hf_merges(bpe)).expect("a trainer's file has a pattern")
}

/// towel's tokenizer file (see [`format::towel`]): `{"format":"towel-tokenizer",
/// "version":1,"pattern":…,"special_tokens":{token:id},"ranks":[base64 by
/// rank],"merges":[[left,right],…]}` where merge `i` created rank `256 + i`.
pub fn towel_json(bpe: &TrainedBpe) -> String {
    let json = towel_file(bpe)
        .to_json()
        .expect("a trainer's ranks are dense");
    String::from_utf8(json).expect("JSON is UTF-8")
}

/// The file contents for `format` (HF files get [`hf_merges`]).
pub fn render(bpe: &TrainedBpe, format: Format) -> Result<Rendered, TokenizerError> {
    let merges = (format == Format::Hf).then(|| hf_merges(bpe));
    format::render(&towel_file(bpe), format, merges.as_deref())
}

/// Write `bpe` to `path` in `format`, atomically. The result lists the
/// special tokens the format could not hold (`.tiktoken`).
pub fn write(bpe: &TrainedBpe, format: Format, path: &Path) -> Result<Written, TokenizerError> {
    format::write_rendered(render(bpe, format)?, format, &[path])
}
