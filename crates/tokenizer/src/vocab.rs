//! A byte-level BPE vocabulary in memory: [`Ranks`].
//!
//! A byte-level BPE vocabulary is a list of byte strings, each with a rank:
//! the rank is the token id and also the merge priority (lower merges first).
//! [`Ranks`] holds such a list and guarantees that no rank and no byte string
//! appears twice. The files it is read from and written to are in
//! [`crate::format`].
//!
//! ```
//! use towel_tokenizer::vocab::Ranks;
//! let ranks = Ranks::from_dense(vec![b"a".to_vec(), b"b".to_vec(), b"ab".to_vec()], "tiny")?;
//! assert_eq!(ranks.len(), 3);
//! assert_eq!(ranks.token(2), Some(&b"ab"[..]));
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use rustc_hash::FxHashMap;

use crate::bpe::short_merge;
use crate::{escape_bytes, TokenizerError};

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
                return Err(TokenizerError::format(
                    label,
                    format!(
                        "rank {} is given to two tokens (\"{}\" and \"{}\")",
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
                return Err(TokenizerError::format(
                    label,
                    format!(
                        "token \"{}\" has two ranks ({first} and {rank})",
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

    /// True when the ranks are exactly `0..len` (sorted and distinct, so
    /// the last one tells).
    pub fn is_dense(&self) -> bool {
        self.entries
            .last()
            .is_none_or(|e| e.1 as usize + 1 == self.entries.len())
    }

    /// The bytes of the token with this rank.
    pub fn token(&self, rank: Rank) -> Option<&[u8]> {
        if self.is_dense() {
            return self.entries.get(rank as usize).map(|e| e.0.as_slice());
        }
        self.entries
            .binary_search_by_key(&rank, |e| e.1)
            .ok()
            .map(|i| self.entries[i].0.as_slice())
    }

    /// The merge that creates each token, for a vocabulary whose first 256
    /// ranks are the 256 single bytes: `(left rank, right rank)` for every
    /// rank from 256 on, found by byte-pair encoding the token with only the
    /// lower ranks (as HF's tiktoken converter does; the encoder's own short
    /// merge, `short_merge` in `bpe/apply.rs`). Fails when a token cannot be made by
    /// merging two lower-ranked tokens.
    pub fn merges(&self, label: &str) -> Result<Vec<(Rank, Rank)>, TokenizerError> {
        let invalid = |reason: String| TokenizerError::format(label, reason);
        if !self.is_dense() {
            return Err(invalid(
                "ranks have gaps; merges need dense ranks 0..n".into(),
            ));
        }
        for (i, (bytes, _)) in self.entries.iter().take(256).enumerate() {
            if bytes.len() != 1 {
                return Err(invalid(format!(
                    "rank {i} is \"{}\" but ranks 0..256 must be the 256 single bytes",
                    escape_bytes(bytes)
                )));
            }
        }
        if self.entries.len() < 256 {
            return Err(invalid(format!(
                "only {} tokens; the 256 single bytes come first",
                self.len()
            )));
        }
        let table = crate::bpe::table::RankTable::new(self.iter());
        let pairs = crate::bpe::table::PairTable::new(self.iter(), &table);
        let mut parts = Vec::new();
        let mut out = Vec::with_capacity(self.len() - 256);
        for (bytes, rank) in &self.entries[256..] {
            let rank = *rank;
            // Only merges into lower ranks count.
            let n = short_merge::<2>(bytes, &table.byte_rank, &mut parts, |l, r| {
                let m = pairs.get(l, r);
                if m < rank {
                    m
                } else {
                    Rank::MAX
                }
            });
            if n != 2 {
                return Err(invalid(format!(
                    "token \"{}\" (rank {rank}) is not the merge of two lower-ranked tokens (BPE with the lower ranks gives {n} parts)",
                    escape_bytes(bytes),
                )));
            }
            out.push((parts[0].0, parts[1].0));
        }
        Ok(out)
    }
}
