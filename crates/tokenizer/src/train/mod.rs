//! Byte-level BPE training, as in GPT-2 and tiktoken: learn which byte pairs
//! to merge from a corpus.
//!
//! ```
//! use towel_tokenizer::train::BpeTrainer;
//! use towel_tokenizer::Pattern;
//!
//! let text = "the cat sat on the mat; the cat ate the rat";
//! let bpe = BpeTrainer::new(262)
//!     .pattern(Pattern::gpt2())
//!     .special_tokens(["<|endoftext|>"])
//!     .train_texts([text])
//!     .unwrap();
//! assert_eq!(bpe.ranks.len(), 261); // 256 bytes + 5 merges; the special token has id 261
//! assert_eq!(bpe.ranks[256], b"at"); // 6 times: cat, sat, mat, cat, ate, rat
//! assert_eq!(bpe.ranks[257], b"he"); // 4 times, tied with "th": 'h' sorts before 't'
//! assert_eq!(bpe.ranks[258], b"the");
//! assert_eq!(bpe.ranks[259], b" the");
//! assert_eq!(bpe.special_tokens, [("<|endoftext|>".to_string(), 261)]);
//! assert_eq!(bpe.encode_ordinary(" the rat").unwrap(), [259, 32, 114, 256]);
//! ```
//!
//! # How it works
//!
//! 1. **Count pieces** ([`PieceCounts`]): the corpus is split into pieces by the
//!    pre-tokenization [`Pattern`] (merges never cross a piece boundary), and
//!    each distinct piece is counted once. Files are streamed in blocks and
//!    counted in parallel with rayon.
//! 2. **Learn merges** ([`learn`]): each distinct piece becomes a sequence of byte
//!    symbols with its count. The pair with the highest count is merged into
//!    a new token, over and over, with incremental pair-count updates and a
//!    lazy-deletion max-heap, until the vocabulary is full or no pair has at
//!    least `min_frequency` occurrences.
//!
//! # Tie-breaking
//!
//! When several pairs have the same highest count, the default
//! ([`TieBreak::HfByteLevel`]) picks the pair whose tokens come first in HF
//! tokenizers' id order, comparing the left tokens first, then the right
//! ones. In that order single bytes are sorted by their GPT-2 byte-level
//! character (`!`..`~`, `¡`..`¬`, `®`..`ÿ`, then the other bytes, which HF
//! spells U+0100 onwards, in byte order), and merged tokens come after all
//! bytes in the order they were created. This is exactly HF's `BpeTrainer`
//! rule (its heap orders equal counts by ascending pair of ids, and it numbers
//! the initial alphabet by code point), so on the same pieces towel learns the
//! same merges as HF. HF's `train(files)` pre-tokenizes each line on its own;
//! [`BpeTrainer::per_line`] does the same, and then the merges are identical
//! (tested on tiny shakespeare, checked on SciFact and Gutenberg by
//! `bench/bpe_train.py`). By default towel splits the whole text, as tiktoken
//! does when it encodes, so whitespace runs that span a line break
//! (`"\n    "` before an indented line) are learned the way they will be
//! encoded. [`TieBreak::ByteOrder`] compares single bytes by byte
//! value instead, which is rustbpe's rule (ids are bytes, then merges).
//! minbpe breaks ties by first occurrence in the text, which no
//! counts-based trainer reproduces.
//!
//! Like HF, a pair whose merged bytes already have a token (`ab`+`c` after
//! `a`+`bc`) is merged into that existing token, and the vocabulary does not
//! grow; such merges are kept in [`TrainedBpe::merges`] with that token as
//! `result`.

pub mod export;
pub mod learn;

use std::path::Path;
use std::time::Instant;

pub use learn::Merge;

use crate::count::DEFAULT_BLOCK;
use crate::vocab::{Rank, Ranks};
use crate::{CoreBpe, Pattern, PieceCounts, TokenizerError};

/// How count ties between pairs are broken; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TieBreak {
    /// HF tokenizers' BpeTrainer order (the default).
    #[default]
    HfByteLevel,
    /// Byte value order for single bytes (rustbpe's order).
    ByteOrder,
}

/// What the trainer reports while it runs.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// `done` bytes of the corpus counted so far (of `total` when known).
    Counting {
        /// Bytes done.
        done: u64,
        /// All bytes.
        total: Option<u64>,
    },
    /// `done` of at most `total` new tokens learned.
    Merging {
        /// Tokens learned.
        done: u64,
        /// Tokens wanted.
        total: u64,
    },
}

/// Settings of a training run; build with [`BpeTrainer::new`] and the
/// builder methods, then call one of the `train_*` methods.
#[derive(Debug, Clone)]
pub struct BpeTrainer {
    vocab_size: u32,
    pattern: Pattern,
    special_tokens: Vec<String>,
    min_frequency: u64,
    tie_break: TieBreak,
    lossy: bool,
    block_size: usize,
    per_line: bool,
}

/// Statistics of a training run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainStats {
    /// Bytes of corpus text read.
    pub bytes: u64,
    /// Pieces after pre-tokenization.
    pub pieces: u64,
    /// Distinct pieces.
    pub distinct_pieces: u64,
    /// Merges done (including those that re-created an existing token).
    pub merges: u64,
    /// Merges that re-created an existing token.
    pub repeated_merges: u64,
    /// Seconds spent counting pieces.
    pub count_seconds: f64,
    /// Seconds spent merging.
    pub merge_seconds: f64,
}

/// A trained byte-level BPE tokenizer.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedBpe {
    /// The pre-tokenization regex source.
    pub pattern: String,
    /// Token bytes by rank: ranks 0..=255 are the single bytes in byte order,
    /// then one rank per new token in the order they were learned. Ranks are
    /// also the token ids.
    pub ranks: Vec<Vec<u8>>,
    /// Every merge in the order it was learned.
    pub merges: Vec<Merge>,
    /// Special tokens and their ids (after all ranks).
    pub special_tokens: Vec<(String, Rank)>,
    /// How the run went.
    pub stats: TrainStats,
}

impl BpeTrainer {
    /// A trainer for a vocabulary of `vocab_size` ids in total (256 bytes +
    /// merges + special tokens), with GPT-2's pattern, no special tokens,
    /// `min_frequency` 0 and HF's tie-breaking.
    pub fn new(vocab_size: u32) -> BpeTrainer {
        BpeTrainer {
            vocab_size,
            pattern: Pattern::gpt2(),
            special_tokens: Vec::new(),
            min_frequency: 0,
            tie_break: TieBreak::default(),
            lossy: false,
            block_size: DEFAULT_BLOCK,
            per_line: false,
        }
    }

    /// The pre-tokenization pattern.
    pub fn pattern(mut self, pattern: Pattern) -> Self {
        self.pattern = pattern;
        self
    }

    /// Special tokens, given ids after the learned tokens, in this order.
    pub fn special_tokens<S: Into<String>>(mut self, tokens: impl IntoIterator<Item = S>) -> Self {
        self.special_tokens = tokens.into_iter().map(Into::into).collect();
        self
    }

    /// Stop when the best pair occurs fewer than `f` times.
    pub fn min_frequency(mut self, f: u64) -> Self {
        self.min_frequency = f;
        self
    }

    /// How to break count ties.
    pub fn tie_break(mut self, t: TieBreak) -> Self {
        self.tie_break = t;
        self
    }

    /// Replace invalid UTF-8 in files with U+FFFD instead of failing.
    pub fn lossy(mut self, lossy: bool) -> Self {
        self.lossy = lossy;
        self
    }

    /// Pre-tokenize each line on its own, as HF tokenizers' `train(files)`
    /// does (see [`PieceCounts::per_line`]). Off by default: towel splits
    /// the whole text, as tiktoken does when it encodes. With it on, towel
    /// learns exactly HF's merges.
    pub fn per_line(mut self, on: bool) -> Self {
        self.per_line = on;
        self
    }

    fn new_counts(&self) -> PieceCounts {
        if self.per_line {
            PieceCounts::per_line()
        } else {
            PieceCounts::new()
        }
    }

    /// Read files in blocks of about this many bytes (default 16 MB).
    pub fn block_size(mut self, bytes: usize) -> Self {
        self.block_size = bytes;
        self
    }

    /// Check the settings: vocabulary size, pattern and special tokens.
    pub fn validate(&self) -> Result<(), TokenizerError> {
        if self.pattern.as_str().is_empty() {
            return Err(TokenizerError::Config(
                "the pre-tokenization pattern is empty, so it finds no pieces to learn from; give a pattern (gpt2, cl100k, o200k or a regex)".into(),
            ));
        }
        let min = 256 + self.special_tokens.len() as u32;
        if self.vocab_size < min {
            return Err(TokenizerError::VocabTooSmall {
                vocab_size: self.vocab_size,
                min,
                specials: self.special_tokens.len(),
            });
        }
        for (i, s) in self.special_tokens.iter().enumerate() {
            if s.is_empty() || self.special_tokens[..i].contains(s) {
                return Err(TokenizerError::BadSpecialToken(s.clone()));
            }
        }
        Ok(())
    }

    /// Count the pieces of files, streaming each in blocks.
    pub fn count_files<P: AsRef<Path>>(
        &self,
        files: &[P],
        progress: &mut dyn FnMut(Progress),
    ) -> Result<PieceCounts, TokenizerError> {
        let total: u64 = files
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
            .sum();
        let mut counts = self.new_counts();
        let mut before = 0u64;
        for f in files {
            let f = f.as_ref();
            counts.add_file(&self.pattern, f, self.lossy, self.block_size, &mut |done| {
                progress(Progress::Counting {
                    done: before + done,
                    total: Some(total),
                })
            })?;
            before = counts.total_bytes();
        }
        Ok(counts)
    }

    /// Train on in-memory texts.
    pub fn train_texts<S: AsRef<str>>(
        &self,
        texts: impl IntoIterator<Item = S>,
    ) -> Result<TrainedBpe, TokenizerError> {
        self.validate()?;
        let t0 = Instant::now();
        let mut counts = self.new_counts();
        for t in texts {
            counts.add_text(&self.pattern, t.as_ref())?;
        }
        let secs = t0.elapsed().as_secs_f64();
        self.train_counts(counts, secs, &mut |_| {})
    }

    /// Train on files (UTF-8 text, streamed).
    pub fn train_files<P: AsRef<Path>>(
        &self,
        files: &[P],
        progress: &mut dyn FnMut(Progress),
    ) -> Result<TrainedBpe, TokenizerError> {
        self.validate()?;
        let t0 = Instant::now();
        let counts = self.count_files(files, progress)?;
        let secs = t0.elapsed().as_secs_f64();
        self.train_counts(counts, secs, progress)
    }

    /// Learn merges from piece counts (from [`BpeTrainer::count_files`] or
    /// built by hand). `count_seconds` is recorded in the stats.
    pub fn train_counts(
        &self,
        counts: PieceCounts,
        count_seconds: f64,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<TrainedBpe, TokenizerError> {
        self.validate()?;
        if counts.total_bytes() == 0 {
            return Err(TokenizerError::EmptyCorpus { family: "BPE" });
        }
        let t0 = Instant::now();
        let mut stats = TrainStats {
            bytes: counts.total_bytes(),
            pieces: counts.total_pieces(),
            distinct_pieces: counts.distinct() as u64,
            count_seconds,
            ..TrainStats::default()
        };
        let map = counts.into_map();
        let mut merger =
            learn::Merger::new(map.iter().map(|(k, &v)| (k.as_bytes(), v)), self.tie_break);
        drop(map);
        let target = (self.vocab_size - self.special_tokens.len() as u32) as usize;
        let wanted = (target - 256) as u64;
        let mut merges = Vec::new();
        let every = (wanted / 200).max(1);
        while merger.tokens.len() < target {
            let Some(m) = merger.step(self.min_frequency) else {
                break;
            };
            if (m.result as usize) < merger.tokens.len() - 1 {
                stats.repeated_merges += 1;
            }
            merges.push(m);
            let done = (merger.tokens.len() - 256) as u64;
            if done.is_multiple_of(every) {
                progress(Progress::Merging {
                    done,
                    total: wanted,
                });
            }
        }
        let ranks = merger.tokens;
        let special_tokens = self
            .special_tokens
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), (ranks.len() + i) as Rank))
            .collect();
        stats.merges = merges.len() as u64;
        stats.merge_seconds = t0.elapsed().as_secs_f64();
        progress(Progress::Merging {
            done: (ranks.len() - 256) as u64,
            total: wanted,
        });
        Ok(TrainedBpe {
            pattern: self.pattern.as_str().to_string(),
            ranks,
            merges,
            special_tokens,
            stats,
        })
    }
}

impl TrainedBpe {
    /// Number of ids: ranks plus special tokens.
    pub fn vocab_size(&self) -> usize {
        self.ranks.len() + self.special_tokens.len()
    }

    /// The merges that created each rank above 255, in rank order:
    /// element `i` is the `(left, right)` pair that created rank `256 + i`.
    pub fn rank_merges(&self) -> Vec<(Rank, Rank)> {
        let mut out = vec![None; self.ranks.len() - 256];
        for m in &self.merges {
            let slot = &mut out[(m.result - 256) as usize];
            if slot.is_none() {
                *slot = Some((m.left, m.right));
            }
        }
        out.into_iter()
            .map(|p| p.expect("every rank above 255 was created by a merge"))
            .collect()
    }

    /// towel's encoder ([`CoreBpe`], the one the named encodings use) for
    /// these ranks, pattern and special tokens.
    pub fn encoder(&self) -> Result<CoreBpe, TokenizerError> {
        self.encoder_with_ranks(self.ranks.len())
    }

    /// The encoder for the first `n` ranks only (no special tokens): the
    /// vocabulary as it was when training had learned `n - 256` merges, to
    /// measure how compression grows with vocabulary size.
    pub fn encoder_with_ranks(&self, n: usize) -> Result<CoreBpe, TokenizerError> {
        let n = n.clamp(256, self.ranks.len());
        let ranks = Ranks::from_dense(self.ranks[..n].to_vec(), "trained vocabulary")?;
        let specials = if n == self.ranks.len() {
            self.special_tokens.clone()
        } else {
            Vec::new()
        };
        CoreBpe::new(&ranks, specials, Pattern::new(&self.pattern)?)
    }

    /// Encode text without special tokens (via [`TrainedBpe::encoder`]).
    pub fn encode_ordinary(&self, text: &str) -> Result<Vec<Rank>, TokenizerError> {
        self.encoder()?.try_encode_ordinary(text)
    }

    /// Bytes per token of `text` with the first `n` ranks (higher is better
    /// compression; 0 for an empty text).
    pub fn bytes_per_token(&self, n: usize, text: &str) -> Result<f64, TokenizerError> {
        let tokens = self.encoder_with_ranks(n)?.try_count(text)?;
        Ok(if tokens == 0 {
            0.0
        } else {
            text.len() as f64 / tokens as f64
        })
    }
}
