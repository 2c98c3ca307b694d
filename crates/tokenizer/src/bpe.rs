//! The byte-level BPE encoder: [`CoreBpe`], tiktoken's `CoreBPE` with the
//! same ids, faster.
//!
//! Encoding a text:
//! 1. split it at the allowed special tokens (each becomes its id);
//! 2. split each stretch between them into pieces with the
//!    pre-tokenization [`Pattern`] (`$` anchors at the end of the stretch);
//! 3. a piece that is a token is one lookup; any other piece is merged from
//!    its bytes in rank order (see `apply.rs`), or, when longer than 128
//!    bytes, encoded by a linear-time search that gives the same tokens
//!    (see `backtrack.rs`; built on the first long piece).
//!
//! ```
//! use towel_tokenizer::{CoreBpe, Pattern, vocab::Ranks};
//! // 256 single bytes, then "ab" (256) and "abc" (257).
//! let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
//! tokens.push(b"ab".to_vec());
//! tokens.push(b"abc".to_vec());
//! let ranks = Ranks::from_dense(tokens, "tiny")?;
//! let bpe = CoreBpe::new(&ranks, [("<|end|>".to_string(), 258)], Pattern::gpt2())?;
//! assert_eq!(bpe.encode_ordinary("abc abd"), vec![257, 32, 256, 100]);
//! assert_eq!(bpe.encode_with_special_tokens("abc<|end|>"), vec![257, 258]);
//! assert_eq!(bpe.decode(&[257, 32, 256, 100])?, "abc abd");
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

mod apply;
mod backtrack;
mod batch;
pub use batch::map_in_order;
mod cache;
pub(crate) mod table;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, Input, MatchKind};

use rustc_hash::FxHashMap;

use crate::pretok::{Builtin, Pattern};
use crate::vocab::{Rank, Ranks};
use crate::{escape_bytes, TokenizerError};
pub(crate) use apply::short_merge;
use apply::Scratch;
use backtrack::Backtrack;
use table::{Packed, PairTable, RankTable};

/// Ranks are decoded through a dense table when the highest rank is at most
/// this many times the number of ranks (plus [`DENSE_SLACK`]); sparser
/// vocabularies decode through a hash map, so a vocabulary with huge gaps
/// costs no huge table.
const DENSE_FACTOR: usize = 2;
/// See [`DENSE_FACTOR`].
const DENSE_SLACK: usize = 1024;

/// Pieces are looked up this many pieces after the scanner finds them and
/// prefetches their table slot (see [`CoreBpe::encode_segment`]).
const AHEAD: usize = 8;

/// Texts have about this many bytes per token or more; the output vector is
/// sized for that, so it rarely grows.
const BYTES_PER_TOKEN_GUESS: usize = 3;

/// Capacity for the ids of a text of `len` bytes.
#[inline]
fn ids_capacity(len: usize) -> usize {
    len / BYTES_PER_TOKEN_GUESS + 1
}

/// Where the token bytes of each rank are: `(start, len)` in the arena.
#[derive(Clone)]
enum Decoder {
    /// Indexed by rank; `len == u32::MAX` for unused ranks.
    Dense(Vec<(u32, u32)>),
    /// Ranks with large gaps.
    Sparse(FxHashMap<Rank, (u32, u32)>),
}

impl Decoder {
    #[inline]
    fn get(&self, rank: Rank) -> Option<(u32, u32)> {
        match self {
            Decoder::Dense(v) => v.get(rank as usize).copied().filter(|d| d.1 != u32::MAX),
            Decoder::Sparse(m) => m.get(&rank).copied(),
        }
    }
}

/// Which special tokens `encode` turns into their ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AllowedSpecial {
    /// None: special tokens are ordinary text (or an error, see [`DisallowedSpecial`]).
    #[default]
    None,
    /// Every special token of the encoding (`allowed_special="all"`).
    All,
    /// Only these.
    Only(BTreeSet<String>),
}

impl AllowedSpecial {
    /// Allow only these tokens.
    pub fn only<S: Into<String>>(tokens: impl IntoIterator<Item = S>) -> AllowedSpecial {
        AllowedSpecial::Only(tokens.into_iter().map(Into::into).collect())
    }
}

/// Which special tokens make `encode` fail when they appear in the text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DisallowedSpecial {
    /// Every special token that is not allowed (tiktoken's default).
    #[default]
    All,
    /// None: special tokens that are not allowed are encoded as ordinary text.
    None,
    /// Only these strings.
    Only(BTreeSet<String>),
}

impl DisallowedSpecial {
    /// Disallow only these strings.
    pub fn only<S: Into<String>>(tokens: impl IntoIterator<Item = S>) -> DisallowedSpecial {
        DisallowedSpecial::Only(tokens.into_iter().map(Into::into).collect())
    }
}

/// A byte-level BPE encoder: ranks, special tokens and a pre-tokenization
/// pattern. Cheap to share between threads (`&CoreBpe` is `Sync`).
#[derive(Clone)]
pub struct CoreBpe {
    table: RankTable,
    pairs: PairTable,
    /// Token bytes of every rank, in one buffer.
    arena: Vec<u8>,
    /// `(start, len)` in `arena` per rank.
    decoder: Decoder,
    /// Every rank, in rank order (for building the long-piece search).
    ranks: Vec<Rank>,
    /// Special tokens, in the order of `special_ac`'s pattern ids.
    specials: Vec<(String, Rank)>,
    special_ac: Option<AhoCorasick>,
    pattern: Pattern,
    /// The pattern's dedicated scanner, when it runs on one (the fast path:
    /// no `Result` per piece, no fallback needed).
    scanner: Option<Builtin>,
    n_vocab: u32,
    /// The linear-time encoder of long pieces, built on the first long
    /// piece (`None` inside: this vocabulary does not fit it).
    backtrack: OnceLock<Option<Box<Backtrack>>>,
}

impl std::fmt::Debug for CoreBpe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreBpe")
            .field("n_vocab", &self.n_vocab)
            .field("specials", &self.specials)
            .field("pattern", &self.pattern.as_str())
            .finish_non_exhaustive()
    }
}

impl CoreBpe {
    /// An encoder from mergeable ranks, special tokens (`(text, id)`) and a
    /// pattern. Every one of the 256 bytes must have a rank (so any text can
    /// be encoded), and special ids must not collide with ranks. Ranks may
    /// have gaps, as tiktoken allows; an id in a gap decodes to an
    /// [`TokenizerError::UnknownId`] error.
    ///
    /// Errors are [`TokenizerError::Config`] errors (these ranks and special
    /// tokens cannot make an encoder); a caller that read them from a file
    /// says which.
    pub fn new(
        ranks: &Ranks,
        special_tokens: impl IntoIterator<Item = (String, Rank)>,
        pattern: Pattern,
    ) -> Result<CoreBpe, TokenizerError> {
        let bad = TokenizerError::Config;
        let table = RankTable::new(ranks.iter());
        if let Some(b) = table.byte_rank.iter().position(|&r| r == Rank::MAX) {
            return Err(bad(format!(
                "byte {b:#04x} has no rank; byte-level BPE needs all 256 single bytes as tokens"
            )));
        }
        let pairs = PairTable::new(ranks.iter(), &table);
        let mut specials: Vec<(String, Rank)> = special_tokens.into_iter().collect();
        specials.sort_by_key(|s| s.1);
        let max_rank = ranks.max_rank().unwrap_or(0);
        let max_id = specials.iter().map(|s| s.1).fold(max_rank, Rank::max);
        if max_id == Rank::MAX {
            return Err(bad(format!(
                "id {} is too large (n_vocab = highest id + 1 must fit in 32 bits)",
                Rank::MAX
            )));
        }
        // Ranks decode through a table; special tokens (whose ids may be
        // anywhere) through the short `specials` list.
        let mut arena = Vec::new();
        let mut spans = Vec::with_capacity(ranks.len());
        for (bytes, rank) in ranks.iter() {
            spans.push((rank, (arena.len() as u32, bytes.len() as u32)));
            arena.extend_from_slice(bytes);
        }
        let decoder = if max_rank as usize <= DENSE_FACTOR * ranks.len() + DENSE_SLACK {
            let mut dense = vec![(0u32, u32::MAX); max_rank as usize + 1];
            for &(rank, span) in &spans {
                dense[rank as usize] = span;
            }
            Decoder::Dense(dense)
        } else {
            Decoder::Sparse(spans.iter().copied().collect())
        };
        for (i, (text, id)) in specials.iter().enumerate() {
            if text.is_empty() {
                return Err(bad(format!("special token {id} is the empty string")));
            }
            // Two special tokens may share an id, as tiktoken allows
            // (o200k_harmony has `<|endofprompt|>` and `<|reserved_200018|>`):
            // both encode to it, and it decodes to the first one given.
            if decoder.get(*id).is_some() {
                return Err(bad(format!(
                    "special token {text:?} has id {id}, which is already the token \"{}\"",
                    escape_bytes(ranks.token(*id).unwrap_or_default())
                )));
            }
            if let Some(j) = specials[..i].iter().position(|s| s.0 == *text) {
                return Err(bad(format!(
                    "special token {text:?} is given two ids ({} and {id})",
                    specials[j].1
                )));
            }
        }
        let special_ac = if specials.is_empty() {
            None
        } else {
            Some(special_matcher(specials.iter().map(|s| s.0.as_str()))?)
        };
        Ok(CoreBpe {
            table,
            pairs,
            arena,
            decoder,
            ranks: spans.iter().map(|s| s.0).collect(),
            specials,
            special_ac,
            scanner: pattern
                .uses_scanner()
                .then(|| pattern.builtin_kind())
                .flatten(),
            pattern,
            n_vocab: max_id + 1,
            backtrack: OnceLock::new(),
        })
    }

    /// Vocabulary size as tiktoken counts it: the highest id + 1.
    pub fn n_vocab(&self) -> u32 {
        self.n_vocab
    }

    /// The pre-tokenization pattern.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// The special tokens and their ids, by id.
    pub fn special_tokens(&self) -> &[(String, Rank)] {
        &self.specials
    }

    /// The id of a special token.
    pub fn special_token_id(&self, token: &str) -> Option<Rank> {
        self.specials.iter().find(|s| s.0 == token).map(|s| s.1)
    }

    /// The rank of a byte string, if it is one (mergeable) token.
    pub fn rank_of(&self, bytes: &[u8]) -> Option<Rank> {
        self.table.get(bytes)
    }

    /// Encode text with no special-token handling: `<|endoftext|>` in the
    /// text is ordinary text. Same ids as tiktoken's `encode_ordinary`.
    ///
    /// This is the infallible fast path for the built-in patterns, which run
    /// on scanners that cannot fail (every named [`Encoding`](crate::Encoding)).
    ///
    /// # Panics
    /// With a user regex that fancy-regex gives up on for this text
    /// (backtracking limit); use [`CoreBpe::try_encode_ordinary`] with
    /// user patterns, which reports it as an error.
    pub fn encode_ordinary(&self, text: &str) -> Vec<Rank> {
        self.try_encode_ordinary(text)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Byte-pair encode pieces that are already pre-tokenized (each piece is
    /// merged on its own; no pattern, no special tokens).
    pub fn encode_pieces<'a>(&self, pieces: impl IntoIterator<Item = &'a [u8]>) -> Vec<Rank> {
        let mut out = Vec::new();
        let mut scratch = Scratch::for_text_len(usize::MAX);
        for piece in pieces {
            self.encode_piece(piece, &mut out, &mut scratch);
        }
        out
    }

    /// [`CoreBpe::encode_ordinary`] that fails, with
    /// [`TokenizerError::PatternFailed`] naming the byte offset, when the
    /// pattern's regex engine gives up on the text.
    pub fn try_encode_ordinary(&self, text: &str) -> Result<Vec<Rank>, TokenizerError> {
        let mut out = Vec::with_capacity(ids_capacity(text.len()));
        let mut scratch = Scratch::for_text_len(text.len());
        self.encode_segment(text, &mut out, &mut scratch)?;
        Ok(out)
    }

    /// The number of tokens `encode_ordinary` gives, without keeping them.
    ///
    /// # Panics
    /// As [`CoreBpe::encode_ordinary`]; [`CoreBpe::try_count`] reports the
    /// error instead.
    pub fn count(&self, text: &str) -> usize {
        self.try_count(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`CoreBpe::count`] that fails when the pattern's engine fails.
    pub fn try_count(&self, text: &str) -> Result<usize, TokenizerError> {
        let mut buf = Vec::with_capacity(64);
        let mut scratch = Scratch::for_text_len(text.len());
        let mut n = 0;
        let mut count = |t: &[u8], s: usize, e: usize| {
            self.encode_piece_at(t, s, e, &mut buf, &mut scratch);
            n += buf.len();
            buf.clear();
        };
        if let Some(b) = self.scanner {
            let t = text.as_bytes();
            b.for_each_piece_range(text, |s, e| count(t, s, e));
        } else {
            self.pattern
                .for_each_piece(text, |p| count(p.as_bytes(), 0, p.len()))?;
        }
        Ok(n)
    }

    /// Encode with tiktoken's special-token rules.
    ///
    /// - A special token in `allowed` becomes its id.
    /// - If the text contains a `disallowed` one, this is an error naming the
    ///   token and its byte offset ([`DisallowedSpecial::All`], the default,
    ///   means every special token not allowed).
    /// - Anything else is ordinary text.
    ///
    /// - If the pattern's regex engine gives up on the text, this is a
    ///   [`TokenizerError::PatternFailed`] error naming the byte offset.
    pub fn encode(
        &self,
        text: &str,
        allowed: &AllowedSpecial,
        disallowed: &DisallowedSpecial,
    ) -> Result<Vec<Rank>, TokenizerError> {
        self.encode_with(
            text,
            allowed,
            disallowed,
            &mut Scratch::for_text_len(text.len()),
        )
    }

    /// [`CoreBpe::encode`] with the caller's scratch buffers.
    fn encode_with(
        &self,
        text: &str,
        allowed: &AllowedSpecial,
        disallowed: &DisallowedSpecial,
        scratch: &mut Scratch,
    ) -> Result<Vec<Rank>, TokenizerError> {
        let allowed_mask: Vec<bool> = self
            .specials
            .iter()
            .map(|(s, _)| match allowed {
                AllowedSpecial::None => false,
                AllowedSpecial::All => true,
                AllowedSpecial::Only(set) => set.contains(s),
            })
            .collect();
        self.check_disallowed(text, &allowed_mask, disallowed)?;
        let mut out = Vec::with_capacity(ids_capacity(text.len()));
        let Some(ac) = self
            .special_ac
            .as_ref()
            .filter(|_| allowed_mask.contains(&true))
        else {
            self.encode_segment(text, &mut out, scratch)?;
            return Ok(out);
        };
        let mut start = 0;
        loop {
            // The next allowed special token at or after `start`.
            let mut from = start;
            let mut next = None;
            while let Some(m) = ac.find(Input::new(text).span(from..text.len())) {
                if allowed_mask[m.pattern().as_usize()] {
                    next = Some(m);
                    break;
                }
                from = m.start() + 1;
            }
            let end = next.map_or(text.len(), |m| m.start());
            self.encode_segment(&text[start..end], &mut out, scratch)
                .map_err(|e| e.offset_by(start))?;
            match next {
                Some(m) => {
                    out.push(self.specials[m.pattern().as_usize()].1);
                    start = m.end();
                }
                None => break,
            }
        }
        Ok(out)
    }

    fn check_disallowed(
        &self,
        text: &str,
        allowed_mask: &[bool],
        disallowed: &DisallowedSpecial,
    ) -> Result<(), TokenizerError> {
        let found = match disallowed {
            DisallowedSpecial::None => None,
            DisallowedSpecial::All => self.special_ac.as_ref().and_then(|ac| {
                if allowed_mask.iter().all(|&a| a) {
                    return None;
                }
                let mut from = 0;
                while let Some(m) = ac.find(Input::new(text).span(from..text.len())) {
                    if !allowed_mask[m.pattern().as_usize()] {
                        return Some((m.start(), self.specials[m.pattern().as_usize()].0.clone()));
                    }
                    from = m.start() + 1;
                }
                None
            }),
            DisallowedSpecial::Only(set) => {
                let tokens: Vec<&String> = set.iter().filter(|s| !s.is_empty()).collect();
                if tokens.is_empty() {
                    None
                } else {
                    let ac = special_matcher(tokens.iter().map(|t| t.as_str()))?;
                    ac.find(text)
                        .map(|m| (m.start(), tokens[m.pattern().as_usize()].clone()))
                }
            }
        };
        match found {
            Some((offset, token)) => Err(TokenizerError::DisallowedSpecial { token, offset }),
            None => Ok(()),
        }
    }

    /// Encode with every special token allowed (tiktoken-rs's
    /// `encode_with_special_tokens`, Python's `allowed_special="all"`).
    ///
    /// # Panics
    /// As [`CoreBpe::encode_ordinary`]; [`CoreBpe::encode`] reports the
    /// error instead.
    pub fn encode_with_special_tokens(&self, text: &str) -> Vec<Rank> {
        self.encode(text, &AllowedSpecial::All, &DisallowedSpecial::None)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Encode many texts in parallel (the current rayon pool's threads,
    /// the calling thread among them; see [`CoreBpe::encode_batch_in_order`]).
    ///
    /// # Panics
    /// As [`CoreBpe::encode_ordinary`]; [`CoreBpe::encode_batch`] reports
    /// the error instead.
    ///
    /// Each thread keeps one piece cache for all the texts it encodes (ids
    /// do not depend on where a text ends, so this changes nothing but
    /// speed): a batch of short texts merges each distinct word about once
    /// per thread, not once per text.
    pub fn encode_ordinary_batch(&self, texts: &[&str]) -> Vec<Vec<Rank>> {
        let mut out = Vec::with_capacity(texts.len());
        let none = (&AllowedSpecial::None, &DisallowedSpecial::None);
        let r: Result<(), TokenizerError> =
            self.encode_batch_in_order(texts, none.0, none.1, None, 0, |_, block| {
                for ids in block {
                    out.push(ids?);
                }
                Ok(())
            });
        r.unwrap_or_else(|e| panic!("{e}"));
        out
    }

    /// [`CoreBpe::encode`] on many texts in parallel (as
    /// [`CoreBpe::encode_ordinary_batch`]); the error is the first failing
    /// text's, in order.
    pub fn encode_batch(
        &self,
        texts: &[&str],
        allowed: &AllowedSpecial,
        disallowed: &DisallowedSpecial,
    ) -> Result<Vec<Vec<Rank>>, TokenizerError> {
        let mut out = Vec::with_capacity(texts.len());
        self.encode_batch_in_order(texts, allowed, disallowed, None, 0, |_, block| {
            for ids in block {
                out.push(ids?);
            }
            Ok::<(), TokenizerError>(())
        })?;
        Ok(out)
    }

    /// [`CoreBpe::encode`] on many texts on `threads` threads, handing the
    /// results to `sink` in order while the rest are being encoded: the
    /// batch is cut into blocks of consecutive texts, claimed in order by
    /// the calling thread and `threads - 1` tasks spawned on `pool` (the
    /// current rayon pool when `None`; `threads == 0` means as many threads
    /// as that pool has); `sink(first, results)` runs on the calling thread
    /// with each block's results (`results[k]` is text `first + k`'s), in
    /// order, as soon as the block and all before it are done, so that
    /// converting the results overlaps the encoding of the rest (the
    /// algorithm and why: `bpe/batch.rs`). An error returned by `sink`
    /// stops the batch (no more blocks are started) and is returned.
    ///
    /// With `threads == 1` nothing is spawned: the calling thread encodes
    /// and hands over alone.
    pub fn encode_batch_in_order<E>(
        &self,
        texts: &[&str],
        allowed: &AllowedSpecial,
        disallowed: &DisallowedSpecial,
        pool: Option<&rayon::ThreadPool>,
        threads: usize,
        sink: impl FnMut(usize, Vec<Result<Vec<Rank>, TokenizerError>>) -> Result<(), E>,
    ) -> Result<(), E> {
        let threads = batch::threads_of(pool, threads);
        let lens: Vec<usize> = texts.iter().map(|t| t.len()).collect();
        let total: usize = lens.iter().sum();
        let starts = batch::block_starts(&lens, threads);
        let ordinary = matches!(allowed, AllowedSpecial::None)
            && matches!(disallowed, DisallowedSpecial::None);
        batch::run_ordered(
            pool,
            threads,
            &starts,
            || Scratch::for_text_len(total),
            |scratch, i| {
                if ordinary {
                    let mut out = Vec::with_capacity(ids_capacity(texts[i].len()));
                    self.encode_segment(texts[i], &mut out, scratch)?;
                    Ok(out)
                } else {
                    self.encode_with(texts[i], allowed, disallowed, scratch)
                }
            },
            sink,
        )
    }

    /// Pre-tokenize one stretch of text (no special tokens) and merge each
    /// piece: on the pattern's scanner when it has one (which cannot fail),
    /// else through the regex engine, whose failure is the error.
    ///
    /// On the scanner, each piece's table slot is prefetched when the piece
    /// is found and the piece is encoded [`AHEAD`] pieces later, from a
    /// ring, so the slot has arrived by then (base64 1.39-1.44x faster,
    /// real text unchanged within the noise: see "Prefetching each piece's
    /// slot" in `bpe/table.rs`). The ring carries the slot with the key,
    /// so that the lookup does not hash the key again: 59.6M -> 58.1M
    /// instructions on tiny shakespeare and 351.0M -> 342.4M on SciFact
    /// (o200k_base, `bench/profile_encode.sh`).
    #[inline]
    fn encode_segment(
        &self,
        text: &str,
        out: &mut Vec<Rank>,
        scratch: &mut Scratch,
    ) -> Result<(), TokenizerError> {
        if let Some(b) = self.scanner {
            let t = text.as_bytes();
            // The ring starts with empty pieces, which encode to nothing.
            let key = Packed::of(t, 0, 0);
            let empty = (0usize, 0usize, key, self.table.locate(key));
            let mut ring = [empty; AHEAD];
            let mut i = 0usize;
            b.for_each_piece_range(
                text,
                #[inline(always)]
                |s, e| {
                    let key = Packed::of(t, s, e);
                    let slot = self.table.locate(key);
                    let (ps, pe, pk, pslot) = std::mem::replace(&mut ring[i], (s, e, key, slot));
                    i = (i + 1) % AHEAD;
                    match self.table.get_short_at(pk, pslot) {
                        Some(rank) => out.push(rank),
                        None => self.encode_piece_rest(&t[ps..pe], pk, out, scratch),
                    }
                },
            );
            for k in 0..AHEAD {
                let (s, e, key, _) = ring[(i + k) % AHEAD];
                self.encode_piece_keyed(t, s, e, key, out, scratch);
            }
            return Ok(());
        }
        self.pattern
            .for_each_piece(text, |p| self.encode_piece(p.as_bytes(), out, scratch))
    }

    #[inline]
    fn encode_piece(&self, piece: &[u8], out: &mut Vec<Rank>, scratch: &mut Scratch) {
        self.encode_piece_at(piece, 0, piece.len(), out, scratch)
    }

    /// Encode the piece `text[s..e]` (reading its key from `text` in whole
    /// words, see [`Packed::of`]): one lookup when it is a token (most
    /// pieces), else from the piece cache, else by merging.
    #[inline]
    fn encode_piece_at(
        &self,
        text: &[u8],
        s: usize,
        e: usize,
        out: &mut Vec<Rank>,
        scratch: &mut Scratch,
    ) {
        self.encode_piece_keyed(text, s, e, Packed::of(text, s, e), out, scratch)
    }

    /// [`CoreBpe::encode_piece_at`] with the piece's key already computed.
    ///
    /// Only the common case is inlined into the scanner's loop: a piece of
    /// up to 15 bytes that is one token, one lookup and a push. Everything
    /// else (longer pieces, the piece cache, merging) is a call to
    /// [`CoreBpe::encode_piece_rest`]. When all of it was one function,
    /// the compiler left it out of line, and every piece paid for the call
    /// and its register saves and restores. Callgrind
    /// (`bench/profile_encode.sh`): tiny shakespeare 66.0M -> 59.6M
    /// instructions (o200k_base) and 62.5M -> 55.3M (cl100k_base), SciFact
    /// 385.1M -> 351.0M, 1 MB of base64 158.0M -> 150.6M (o200k_base),
    /// misses unchanged. Wall clock, alternating builds (`bench/ab_encode.py
    /// --wall`, load average 1.1): tiny shakespeare 1.023x (100 pairs,
    /// quartiles 0.93-1.12), SciFact 1.007x (40 pairs, 0.96-1.10).
    #[inline(always)]
    fn encode_piece_keyed(
        &self,
        text: &[u8],
        s: usize,
        e: usize,
        key: Packed,
        out: &mut Vec<Rank>,
        scratch: &mut Scratch,
    ) {
        match self.table.get_short(key) {
            Some(rank) => out.push(rank),
            None => self.encode_piece_rest(&text[s..e], key, out, scratch),
        }
    }

    /// [`CoreBpe::encode_piece_keyed`] for a piece that is not a token of
    /// up to 15 bytes: a longer token, or from the piece cache, or merged.
    #[inline(never)]
    fn encode_piece_rest(
        &self,
        piece: &[u8],
        key: Packed,
        out: &mut Vec<Rank>,
        scratch: &mut Scratch,
    ) {
        if key == Packed::Long {
            if let Some(rank) = self.table.get_packed(key, piece) {
                out.push(rank);
                return;
            }
        }
        if piece.is_empty() {
            return;
        }
        if scratch.cache.as_ref().is_some_and(|c| c.get_into(key, out)) {
            return;
        }
        let start = out.len();
        apply::merge(
            piece,
            &self.table,
            &self.pairs,
            || self.backtrack(),
            scratch,
            out,
        );
        if let Some(cache) = scratch.cache.as_mut() {
            cache.put(key, &out[start..]);
        }
    }

    /// The error for an id this vocabulary does not have.
    pub(crate) fn unknown_id(&self, id: Rank, position: Option<usize>) -> TokenizerError {
        TokenizerError::UnknownId {
            id,
            position,
            // An id below the size that is not a token is in a gap (cl100k
            // has one between its ranks and its special tokens).
            tokenizer: if id < self.n_vocab {
                "this byte-level BPE (some ids below its size are unused)".into()
            } else {
                "this byte-level BPE".into()
            },
            vocab_size: self.n_vocab as usize,
        }
    }

    /// The backtracking encoder, built on first use (see `bpe/backtrack.rs`);
    /// not for sparse vocabularies (its tables are indexed by rank).
    fn backtrack(&self) -> Option<&Backtrack> {
        self.backtrack
            .get_or_init(|| {
                if matches!(self.decoder, Decoder::Sparse(_)) {
                    return None;
                }
                let tokens = self.ranks.iter().filter_map(|&rank| {
                    let (start, len) = self.decoder.get(rank)?;
                    Some((&self.arena[start as usize..(start + len) as usize], rank))
                });
                Backtrack::new(tokens, &self.table, &self.pairs).map(Box::new)
            })
            .as_deref()
    }

    /// The bytes of one token (rank or special token).
    pub fn token_bytes(&self, id: Rank) -> Option<&[u8]> {
        match self.decoder.get(id) {
            Some((start, len)) => Some(&self.arena[start as usize..(start + len) as usize]),
            None => self
                .specials
                .iter()
                .find(|s| s.1 == id)
                .map(|s| s.0.as_bytes()),
        }
    }

    /// The bytes of these ids; an unknown id is an error naming it.
    pub fn decode_bytes(&self, ids: &[Rank]) -> Result<Vec<u8>, TokenizerError> {
        let mut out = Vec::with_capacity(ids.len() * 4);
        for (position, &id) in ids.iter().enumerate() {
            match self.token_bytes(id) {
                Some(b) => out.extend_from_slice(b),
                None => return Err(self.unknown_id(id, Some(position))),
            }
        }
        Ok(out)
    }

    /// The text of these ids; fails on an unknown id or when the bytes are
    /// not valid UTF-8 (a multi-byte character split across a cut, say).
    pub fn decode(&self, ids: &[Rank]) -> Result<String, TokenizerError> {
        let bytes = self.decode_bytes(ids)?;
        String::from_utf8(bytes).map_err(|e| TokenizerError::InvalidUtf8 {
            offset: e.utf8_error().valid_up_to(),
            context: " in the decoded tokens; use decode_bytes for raw bytes or decode_lossy to replace bad sequences",
        })
    }

    /// The text of these ids with invalid UTF-8 replaced by U+FFFD (what
    /// tiktoken's `decode(errors="replace")` gives).
    pub fn decode_lossy(&self, ids: &[Rank]) -> Result<String, TokenizerError> {
        let bytes = self.decode_bytes(ids)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The Aho-Corasick automaton that finds these special tokens (leftmost
/// longest match).
fn special_matcher<'a>(
    tokens: impl IntoIterator<Item = &'a str>,
) -> Result<AhoCorasick, TokenizerError> {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(tokens)
        .map_err(|e| TokenizerError::Config(format!("the special tokens cannot be matched: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encoding through the look-ahead ring (pieces looked up [`AHEAD`]
    /// pieces after the scanner finds them) gives the ids of encoding the
    /// pieces one by one, in order, for every count of pieces around the
    /// ring's size, including none.
    #[test]
    fn lookahead_ring_keeps_every_piece_in_order() {
        let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        tokens.extend([b"ab".to_vec(), b"abc".to_vec(), b" ab".to_vec()]);
        let ranks = Ranks::from_dense(tokens, "tiny").unwrap();
        let bpe = CoreBpe::new(&ranks, [], Pattern::gpt2()).unwrap();
        let words = ["abc", " abd", " x", "!!", " abcab", " 12", "\n"];
        for n in 0..=3 * AHEAD + 1 {
            let text: String = (0..n).map(|i| words[i % words.len()]).collect();
            let mut pieces = Vec::new();
            Pattern::gpt2()
                .for_each_piece(&text, |p| pieces.push(p.as_bytes()))
                .unwrap();
            assert_eq!(
                bpe.encode_ordinary(&text),
                bpe.encode_pieces(pieces),
                "{n} pieces"
            );
        }
    }
}
