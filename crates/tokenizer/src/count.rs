//! [`PieceCounts`]: how often each distinct piece of a corpus occurs, the one
//! counter behind BPE training (step 1: count the pre-tokenization pieces)
//! and the word and regex families' vocabularies (count once, then build
//! vocabularies of several sizes from the same counts).
//!
//! A corpus is read in blocks (default 16 MB), never as one string. Each
//! block ends at a *safe cut* (see [`safe_cut`]), is checked for UTF-8, split
//! into ~1 MB sub-chunks at safe cuts, and the sub-chunks are pre-tokenized
//! and counted in parallel with rayon. Each distinct piece is stored once.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::{Pattern, TokenizerError};

/// Sub-chunk size for parallel pre-tokenization.
const SUB_CHUNK: usize = 1 << 20;

/// Default block size for reading files.
pub const DEFAULT_BLOCK: usize = 16 << 20;

/// Distinct pieces of a corpus with how often each occurs.
///
/// ```
/// use towel_tokenizer::{Pattern, PieceCounts};
/// let mut counts = PieceCounts::new();
/// counts.add_text(&Pattern::gpt2(), "the cat the")?;
/// counts.add(" cat");
/// assert_eq!(counts.get(" cat"), 2);
/// assert_eq!(counts.ranked(), [(" cat", 2), (" the", 1), ("the", 1)]);
/// # Ok::<(), towel_tokenizer::TokenizerError>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct PieceCounts {
    map: FxHashMap<Box<str>, u64>,
    bytes: u64,
    pieces: u64,
    per_line: bool,
}

/// Where a block can be cut so that pre-tokenizing the two halves separately
/// gives the same pieces as pre-tokenizing the whole: just after a `\n` that
/// follows a printable ASCII character and precedes an ASCII letter or digit.
///
/// For the GPT-2, cl100k and o200k patterns no piece spans such a newline
/// (the newline ends a piece on its own or after punctuation, and a letter
/// or digit after it starts a new piece), and the newline is a complete
/// piece whether or not the text ends after it (so `\s++$` and `\s+(?!\S)`
/// give the same answer as in the whole text). A user pattern whose matches
/// can run across such a newline may see different pieces at the few block
/// boundaries (one every ~1 MB).
///
/// Returns the largest such cut in `lo..=hi` (positions in `buf`), if any.
pub fn safe_cut(buf: &[u8], lo: usize, hi: usize) -> Option<usize> {
    let hi = hi.min(buf.len().saturating_sub(1));
    let lo = lo.max(2);
    if lo > hi {
        return None;
    }
    (lo..=hi).rev().find(|&p| {
        buf[p - 1] == b'\n' && buf[p].is_ascii_alphanumeric() && (0x21..=0x7E).contains(&buf[p - 2])
    })
}

/// Cut of last resort: after the last `\n` in `lo..hi`, else at the last
/// UTF-8 character boundary before `hi`.
fn fallback_cut(buf: &[u8], lo: usize, hi: usize) -> usize {
    if let Some(p) = buf[lo..hi].iter().rposition(|&b| b == b'\n') {
        return lo + p + 1;
    }
    let mut p = hi;
    while p > lo + 1 && (buf[p] & 0xC0) == 0x80 {
        p -= 1;
    }
    p
}

/// Split `text` into sub-chunks of about `size` bytes at safe cuts.
fn sub_chunks(text: &str, size: usize) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    while b.len() - start > size + size / 2 {
        let target = start + size;
        let cut =
            safe_cut(b, start + size / 2, target).or_else(|| safe_cut(b, target, start + 4 * size));
        match cut {
            Some(c) => {
                out.push(&text[start..c]);
                start = c;
            }
            None => break,
        }
    }
    out.push(&text[start..]);
    out
}

/// Count the pieces of `text`; a pattern failure names its offset in `text`.
fn count_chunk<'t>(
    pattern: &Pattern,
    text: &'t str,
    per_line: bool,
) -> Result<(FxHashMap<&'t str, u64>, u64), TokenizerError> {
    let mut m: FxHashMap<&str, u64> = FxHashMap::default();
    let mut n = 0u64;
    let mut count = |t: &'t str| -> Result<(), TokenizerError> {
        pattern
            .for_each_piece(t, |piece| {
                *m.entry(piece).or_insert(0) += 1;
                n += 1;
            })
            .map_err(|e| e.offset_by(t.as_ptr() as usize - text.as_ptr() as usize))
    };
    if per_line {
        text.split_inclusive('\n').try_for_each(&mut count)?;
    } else {
        count(text)?;
    }
    Ok((m, n))
}

impl PieceCounts {
    /// No pieces yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Like [`PieceCounts::new`], but every line (with its `\n`) is
    /// pre-tokenized on its own, the way HF tokenizers' `train(files)` reads
    /// files. Whitespace runs then never span a line break (`"\n    x"`
    /// gives `"\n"`, `"   "`, `" x"` instead of `"\n   "`, `" x"`), which
    /// is what HF learns from, but not how text is split at encode time.
    pub fn per_line() -> Self {
        PieceCounts {
            per_line: true,
            ..Self::default()
        }
    }

    /// Count the pieces of `text` (in parallel for large texts).
    pub fn add_text(&mut self, pattern: &Pattern, text: &str) -> Result<(), TokenizerError> {
        self.bytes += text.len() as u64;
        if text.len() <= SUB_CHUNK + SUB_CHUNK / 2 {
            let (m, n) = count_chunk(pattern, text, self.per_line)?;
            self.absorb(m, n);
            return Ok(());
        }
        let chunks = sub_chunks(text, SUB_CHUNK);
        let per_line = self.per_line;
        let (m, n) = chunks
            .par_iter()
            .map(|c| {
                count_chunk(pattern, c, per_line)
                    .map_err(|e| e.offset_by(c.as_ptr() as usize - text.as_ptr() as usize))
            })
            .try_reduce(
                || (FxHashMap::default(), 0),
                |(a, na), (b, nb)| {
                    let (mut big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
                    for (k, v) in small {
                        *big.entry(k).or_insert(0) += v;
                    }
                    Ok((big, na + nb))
                },
            )?;
        self.absorb(m, n);
        Ok(())
    }

    fn absorb(&mut self, m: FxHashMap<&str, u64>, n: u64) {
        self.pieces += n;
        self.map.reserve(m.len() / 4);
        for (k, v) in m {
            match self.map.get_mut(k) {
                Some(c) => *c += v,
                None => {
                    self.map.insert(k.into(), v);
                }
            }
        }
    }

    /// Count the pieces of everything `reader` yields, reading blocks of
    /// about `block` bytes. `name` names the source in errors; with `lossy`,
    /// invalid UTF-8 becomes U+FFFD instead of an error. `progress` gets the
    /// number of bytes consumed after each block.
    pub fn add_reader(
        &mut self,
        pattern: &Pattern,
        mut reader: impl Read,
        name: &Path,
        lossy: bool,
        block: usize,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), TokenizerError> {
        let io_err = |e| TokenizerError::io("read", name, e);
        let block = block.max(64);
        let mut buf: Vec<u8> = Vec::with_capacity(block + block / 4);
        let mut consumed: u64 = 0;
        let mut eof = false;
        while !eof || !buf.is_empty() {
            // Fill up to `block` bytes (more if no safe cut was found yet).
            let want = if buf.len() >= block {
                buf.len() + block
            } else {
                block
            };
            while !eof && buf.len() < want {
                let old = buf.len();
                buf.resize(want, 0);
                match reader.read(&mut buf[old..]) {
                    Ok(0) => {
                        buf.truncate(old);
                        eof = true;
                    }
                    Ok(k) => buf.truncate(old + k),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(old),
                    Err(e) => return Err(io_err(e)),
                }
            }
            let cut = if eof {
                buf.len()
            } else {
                match safe_cut(&buf, buf.len() / 2, buf.len() - 1) {
                    Some(c) => c,
                    None if buf.len() < 4 * block => continue,
                    None => fallback_cut(&buf, 0, buf.len() - 1),
                }
            };
            let text = match std::str::from_utf8(&buf[..cut]) {
                Ok(t) => Cow::Borrowed(t),
                Err(_) if lossy => String::from_utf8_lossy(&buf[..cut]),
                Err(e) => {
                    return Err(TokenizerError::NotUtf8 {
                        path: name.to_path_buf(),
                        offset: consumed + e.valid_up_to() as u64,
                    })
                }
            };
            self.add_text(pattern, &text)
                .map_err(|e| e.offset_by(consumed as usize))?;
            // add_text counted the (possibly lossy) text length; count raw bytes instead.
            self.bytes = self.bytes - text.len() as u64 + cut as u64;
            drop(text);
            consumed += cut as u64;
            buf.drain(..cut);
            progress(consumed);
        }
        Ok(())
    }

    /// Count the pieces of a file, streaming it in blocks of `block` bytes.
    pub fn add_file(
        &mut self,
        pattern: &Pattern,
        path: &Path,
        lossy: bool,
        block: usize,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), TokenizerError> {
        let f = File::open(path).map_err(|e| TokenizerError::io("open", path, e))?;
        self.add_reader(pattern, f, path, lossy, block, progress)
    }

    /// Number of distinct pieces.
    pub fn distinct(&self) -> usize {
        self.map.len()
    }

    /// Total number of pieces counted.
    pub fn total_pieces(&self) -> u64 {
        self.pieces
    }

    /// Total bytes of text counted.
    pub fn total_bytes(&self) -> u64 {
        self.bytes
    }

    /// How often `piece` occurred.
    pub fn get(&self, piece: &str) -> u64 {
        self.map.get(piece).copied().unwrap_or(0)
    }

    /// Count one occurrence of `piece`.
    pub fn add(&mut self, piece: &str) {
        self.add_piece(piece, 1);
    }

    /// Number of pieces counted (with repetitions); the same as
    /// [`PieceCounts::total_pieces`].
    pub fn total(&self) -> u64 {
        self.pieces
    }

    /// Pieces by decreasing count, ties in byte order of the piece: the order
    /// in which the word and regex vocabularies take them.
    pub fn ranked(&self) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.iter().collect();
        v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v
    }

    /// Add `count` occurrences of `piece` directly (for callers that
    /// pre-tokenize themselves).
    pub fn add_piece(&mut self, piece: &str, count: u64) {
        self.bytes += piece.len() as u64 * count;
        self.pieces += count;
        match self.map.get_mut(piece) {
            Some(c) => *c += count,
            None => {
                self.map.insert(piece.into(), count);
            }
        }
    }

    /// The distinct pieces and their counts, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.map.iter().map(|(k, &v)| (&**k, v))
    }

    pub(crate) fn into_map(self) -> FxHashMap<Box<str>, u64> {
        self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_cuts_only_after_newline_before_alnum() {
        let b = b"ab.\nCd  \nx\n\ny";
        assert_eq!(safe_cut(b, 0, b.len()), Some(4));
        assert_eq!(safe_cut(b, 5, b.len()), None);
    }
}
