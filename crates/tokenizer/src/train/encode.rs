//! A small rank-based BPE encoder, to measure what a trained vocabulary
//! achieves (bytes per token on held-out text) and to check exports.
//!
//! It is tiktoken's algorithm: within each pre-tokenization piece, start
//! from single bytes and repeatedly merge the adjacent pair whose
//! concatenated bytes have the lowest rank (leftmost on ties), until no
//! adjacent pair forms a known token. It is clear rather than fast; towel's
//! production encoder lives elsewhere.

use rustc_hash::FxHashMap;

use crate::{Pattern, TokenizerError};

/// Encodes text with a list of ranks (token bytes by rank).
#[derive(Debug, Clone)]
pub struct RankEncoder {
    pattern: Pattern,
    ranks: FxHashMap<Vec<u8>, u32>,
}

impl RankEncoder {
    /// An encoder for `ranks` (which must include the 256 single bytes)
    /// and the pattern with regex source `pattern`.
    pub fn new(pattern: &str, ranks: &[Vec<u8>]) -> Result<RankEncoder, TokenizerError> {
        Ok(RankEncoder {
            pattern: Pattern::new(pattern)?,
            ranks: ranks
                .iter()
                .enumerate()
                .map(|(r, b)| (b.clone(), r as u32))
                .collect(),
        })
    }

    /// The ids of one piece.
    pub fn encode_piece(&self, piece: &[u8]) -> Vec<u32> {
        if let Some(&r) = self.ranks.get(piece) {
            return vec![r];
        }
        let rank = |s: &[u8]| self.ranks.get(s).copied().unwrap_or(u32::MAX);
        // parts[i] = (start of part i, rank of part i joined with part i+1)
        let n = piece.len();
        let mut parts: Vec<(usize, u32)> = (0..n)
            .map(|i| {
                (
                    i,
                    if i + 1 < n {
                        rank(&piece[i..i + 2])
                    } else {
                        u32::MAX
                    },
                )
            })
            .collect();
        parts.push((n, u32::MAX));
        loop {
            let mut best = (u32::MAX, 0);
            for (i, &(_, r)) in parts[..parts.len() - 1].iter().enumerate() {
                if r < best.0 {
                    best = (r, i);
                }
            }
            if best.0 == u32::MAX {
                break;
            }
            let i = best.1;
            parts.remove(i + 1);
            let joined = |j: usize, parts: &[(usize, u32)]| {
                if j + 2 < parts.len() {
                    rank(&piece[parts[j].0..parts[j + 2].0])
                } else {
                    u32::MAX
                }
            };
            parts[i].1 = joined(i, &parts);
            if i > 0 {
                parts[i - 1].1 = joined(i - 1, &parts);
            }
        }
        parts
            .windows(2)
            .map(|w| rank(&piece[w[0].0..w[1].0]))
            .collect()
    }

    /// The ids of `text` (no special tokens).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        let mut out = Vec::new();
        for piece in self.pattern.pieces(text) {
            out.extend(self.encode_piece(piece?.as_bytes()));
        }
        Ok(out)
    }

    /// Number of tokens of `text`, caching each distinct piece.
    pub fn count_tokens(&self, text: &str) -> Result<u64, TokenizerError> {
        let mut cache: FxHashMap<&str, u32> = FxHashMap::default();
        let mut n = 0u64;
        for piece in self.pattern.pieces(text) {
            let piece = piece?;
            n += *cache
                .entry(piece)
                .or_insert_with(|| self.encode_piece(piece.as_bytes()).len() as u32)
                as u64;
        }
        Ok(n)
    }

    /// Bytes per token on `text` (higher is better compression).
    pub fn bytes_per_token(&self, text: &str) -> Result<f64, TokenizerError> {
        let n = self.count_tokens(text)?;
        Ok(if n == 0 {
            0.0
        } else {
            text.len() as f64 / n as f64
        })
    }
}
