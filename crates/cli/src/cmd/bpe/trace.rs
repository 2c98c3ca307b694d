//! `towel bpe trace`: the merges that turn a word's bytes into its tokens,
//! step by step with their ranks.
//!
//! ```sh
//! towel bpe trace strawberry                 # gpt2: s|t|r|a|w|... -> st|raw|berry
//! towel bpe trace " strawberry" -e cl100k_base
//! towel bpe trace hello --tokenizer my.json --json
//! printf 'caf\xe9' | towel bpe trace          # invalid UTF-8: the bytes are traced as they are
//! ```
//!
//! Byte-level BPE encodes a piece by starting from its bytes and repeatedly
//! merging the adjacent pair whose merged token has the lowest rank, until no
//! adjacent pair is a token (tiktoken's rule). The trace runs exactly that,
//! one merge a line, on each piece of the encoder's pre-tokenization, and
//! checks that it ends with the encoder's own ids. Input that is not UTF-8 is
//! split into its valid runs (pre-tokenized as usual) and its invalid bytes,
//! which are traced as a piece of their own.
//!
//! The trace is for reading: every merge is a line showing all the parts, so
//! a piece of n bytes prints up to n lines of n parts (the plain merge loop
//! is O(n²) too). A piece longer than [`MAX_TRACED_PIECE`] bytes (a long run
//! of letters or digits, as in a pasted hash) is shown with its tokens but
//! not merge by merge, and an input longer than [`MAX_INPUT`] is refused
//! with a one-line error that points to `towel encode`.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use towel_tokenizer::{CoreBpe, EncodingName};

use crate::display::token_md;
use crate::input::{read_input, EncodingChoice, TokenizerArgs};
use crate::output::{outln, Output};

/// `towel bpe trace`.
#[derive(Args, Debug)]
pub struct TraceArgs {
    /// The text to trace (default: stdin). Give a leading space (" strawberry")
    /// to see a word as it appears inside a sentence.
    text: Option<String>,
    /// A named encoding (default: gpt2, which is embedded in towel).
    #[arg(
        short = 'e',
        long,
        value_name = "ENCODING",
        conflicts_with = "tokenizer"
    )]
    encoding: Option<EncodingChoice>,
    /// A tokenizer file (towel JSON, HF tokenizer.json, GPT-2 encoder.json, or .tiktoken with --pattern).
    #[arg(long, value_name = "PATH")]
    tokenizer: Option<PathBuf>,
    /// Pre-tokenization pattern for a `.tiktoken` file: gpt2, cl100k, o200k or a regex.
    #[arg(long, requires = "tokenizer")]
    pattern: Option<String>,
    /// Read the text from this file instead.
    #[arg(long, short = 'f', conflicts_with = "text")]
    file: Option<PathBuf>,
}

/// Pieces longer than this many bytes are not traced merge by merge.
pub const MAX_TRACED_PIECE: usize = 256;
/// The longest input `towel bpe trace` takes, in bytes.
pub const MAX_INPUT: usize = 64 * 1024;

/// One merge.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Step {
    pub rank: u32,
    pub left: String,
    pub right: String,
    pub merged: String,
    /// The parts after this merge.
    pub parts: Vec<String>,
}

/// The trace of one pre-tokenized piece.
#[derive(Debug, Clone, Serialize)]
pub struct PieceTrace {
    pub piece: String,
    pub bytes: usize,
    /// Whether this piece is bytes that are not valid UTF-8.
    pub invalid_utf8: bool,
    /// Whether the merges are shown (the piece is at most
    /// [`MAX_TRACED_PIECE`] bytes); else `start` and `steps` are empty.
    pub traced: bool,
    pub start: Vec<String>,
    pub steps: Vec<Step>,
    /// The ids the encoder gives this piece.
    pub ids: Vec<u32>,
    pub tokens: Vec<String>,
    /// Whether the merges end with the encoder's ids.
    /// `None` for a piece not traced.
    pub matches_encoder: Option<bool>,
}

/// Merge the bytes of `piece` by lowest rank until no adjacent pair is a token.
pub fn trace_piece(bpe: &CoreBpe, piece: &[u8]) -> (Vec<Vec<u8>>, Vec<(u32, usize)>) {
    let mut parts: Vec<Vec<u8>> = piece.iter().map(|&b| vec![b]).collect();
    let mut steps = Vec::new();
    loop {
        let best = parts
            .windows(2)
            .enumerate()
            .filter_map(|(i, w)| {
                let joined = [w[0].as_slice(), w[1].as_slice()].concat();
                bpe.rank_of(&joined).map(|r| (r, i))
            })
            .min();
        let Some((rank, i)) = best else {
            break;
        };
        let right = parts.remove(i + 1);
        parts[i].extend_from_slice(&right);
        steps.push((rank, i));
    }
    (parts, steps)
}

/// Trace every piece of `input` under `bpe`.
pub fn trace(bpe: &CoreBpe, input: &[u8]) -> Vec<PieceTrace> {
    let mut pieces: Vec<(&[u8], bool)> = Vec::new();
    for chunk in input.utf8_chunks() {
        for p in bpe.pattern().pieces(chunk.valid()).flatten() {
            pieces.push((p.as_bytes(), false));
        }
        if !chunk.invalid().is_empty() {
            pieces.push((chunk.invalid(), true));
        }
    }
    pieces
        .into_iter()
        .map(|(piece, invalid)| {
            let show = |b: &[u8]| token_md(b);
            let traced = piece.len() <= MAX_TRACED_PIECE;
            let mut parts: Vec<Vec<u8>> = piece.iter().map(|&b| vec![b]).collect();
            let start = if traced {
                parts.iter().map(|p| show(p)).collect()
            } else {
                Vec::new()
            };
            let merges = if traced {
                trace_piece(bpe, piece).1
            } else {
                Vec::new()
            };
            let mut steps = Vec::new();
            for (rank, i) in merges {
                let right = parts.remove(i + 1);
                let left = parts[i].clone();
                parts[i].extend_from_slice(&right);
                steps.push(Step {
                    rank,
                    left: show(&left),
                    right: show(&right),
                    merged: show(&parts[i]),
                    parts: parts.iter().map(|p| show(p)).collect(),
                });
            }
            let ids = bpe.encode_pieces([piece]);
            let merged: Option<Vec<u32>> = parts.iter().map(|p| bpe.rank_of(p)).collect();
            PieceTrace {
                piece: show(piece),
                bytes: piece.len(),
                invalid_utf8: invalid,
                traced,
                start,
                steps,
                tokens: ids
                    .iter()
                    .map(|&id| show(bpe.token_bytes(id).unwrap_or_default()))
                    .collect(),
                matches_encoder: traced.then(|| merged.as_ref() == Some(&ids)),
                ids,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct Report<'a> {
    tokenizer: String,
    bytes: usize,
    ids: Vec<u32>,
    pieces: &'a [PieceTrace],
}

/// Run `towel bpe trace`.
pub fn run(args: &TraceArgs, out: &Output) -> Result<()> {
    let (bpe, name) = match (&args.tokenizer, args.encoding) {
        (Some(path), _) => {
            let t = TokenizerArgs {
                encoding: None,
                tokenizer: Some(path.clone()),
                pattern: args.pattern.clone(),
            };
            (t.load()?, path.display().to_string())
        }
        (None, Some(EncodingChoice::Bytes)) => {
            anyhow::bail!("`bytes` has no merges to trace: every byte is its own token")
        }
        (None, choice) => {
            let name = match choice {
                Some(EncodingChoice::Bpe(n)) => n,
                _ => EncodingName::Gpt2,
            };
            let t = TokenizerArgs {
                encoding: Some(EncodingChoice::Bpe(name)),
                tokenizer: None,
                pattern: None,
            };
            (t.load()?, name.to_string())
        }
    };
    let input = match (&args.text, &args.file) {
        (Some(t), _) => t.as_bytes().to_vec(),
        (None, f) => read_input(f.as_deref())?,
    };
    if input.len() > MAX_INPUT {
        anyhow::bail!(
            "the input is {} bytes; `towel bpe trace` prints every merge and takes at most {} KiB: trace a word or a sentence (`towel encode` tokenizes any length)",
            input.len(),
            MAX_INPUT / 1024
        );
    }
    let traces = trace(&bpe, &input);
    let ids: Vec<u32> = traces.iter().flat_map(|t| t.ids.iter().copied()).collect();
    if out.json {
        return out.print_json(&Report {
            tokenizer: name,
            bytes: input.len(),
            ids,
            pieces: &traces,
        });
    }
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let hi = |s: &str| {
        if color {
            format!("\x1b[1;33m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    if input.is_empty() {
        outln!("(empty input: no pieces, no tokens)")?;
        return Ok(());
    }
    outln!(
        "{name}: {} byte{} -> {} token{} (␠ is a space; \\xNN a byte that is not a whole character)",
        input.len(),
        if input.len() == 1 { "" } else { "s" },
        ids.len(),
        if ids.len() == 1 { "" } else { "s" }
    )?;
    let width = traces
        .iter()
        .flat_map(|t| &t.steps)
        .map(|s| s.left.chars().count() + s.right.chars().count() + s.merged.chars().count() + 7)
        .max()
        .unwrap_or(0);
    for t in &traces {
        outln!()?;
        outln!(
            "piece `{}` ({} byte{}{})",
            t.piece,
            t.bytes,
            if t.bytes == 1 { "" } else { "s" },
            if t.invalid_utf8 {
                ", not valid UTF-8"
            } else {
                ""
            }
        )?;
        if !t.traced {
            outln!(
                "  (longer than {MAX_TRACED_PIECE} bytes: not traced merge by merge, only its tokens)"
            )?;
        } else {
            outln!("  {:<10} {}", "bytes", t.start.join("|"))?;
        }
        for s in &t.steps {
            let parts: Vec<String> = s
                .parts
                .iter()
                .map(|p| if *p == s.merged { hi(p) } else { p.clone() })
                .collect();
            let merge = format!("{} + {} -> {}", s.left, s.right, s.merged);
            let pad = width.saturating_sub(merge.chars().count());
            outln!(
                "  rank {:<6} {merge}{}   {}",
                s.rank,
                " ".repeat(pad),
                parts.join("|")
            )?;
        }
        if t.traced && t.steps.is_empty() {
            outln!("  (no adjacent pair is a token)")?;
        }
        outln!(
            "  {:<10} {}  ids {:?}{}",
            "tokens",
            t.tokens.join("|"),
            t.ids,
            if t.matches_encoder != Some(false) {
                ""
            } else {
                "  (the encoder's result differs from the plain merge loop: this tokenizer's vocabulary is not merge-closed)"
            }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use towel_tokenizer::Encoding;

    /// The embedded gpt2, built once.
    fn gpt2() -> &'static CoreBpe {
        static BPE: std::sync::OnceLock<CoreBpe> = std::sync::OnceLock::new();
        BPE.get_or_init(|| {
            Encoding::embedded(EncodingName::Gpt2)
                .unwrap()
                .unwrap()
                .into_bpe()
        })
    }

    #[test]
    fn strawberry_is_st_raw_berry() {
        let bpe = gpt2();
        let t = trace(bpe, b"strawberry");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].tokens, ["st", "raw", "berry"]);
        assert_eq!(t[0].matches_encoder, Some(true));
        assert_eq!(t[0].start.len(), 10);
        // Every merge lowers the part count by one; ranks are the merged tokens' ids.
        assert_eq!(t[0].steps.len(), 10 - 3);
        for s in &t[0].steps {
            assert_eq!(bpe.rank_of(s.merged.as_bytes()), Some(s.rank));
        }
        assert_eq!(t[0].ids, bpe.encode_ordinary("strawberry"));
    }

    #[test]
    fn empty_and_invalid_input() {
        let bpe = gpt2();
        assert!(trace(bpe, b"").is_empty());
        let t = trace(bpe, b"caf\xe9 ok");
        assert!(t.iter().any(|p| p.invalid_utf8 && p.piece == "\\xE9"));
        assert!(t.iter().all(|p| p.matches_encoder == Some(true)));
    }

    /// A piece longer than the limit keeps its tokens but is not traced (the
    /// merge loop would print n lines of n parts); one at the limit is.
    #[test]
    fn long_pieces_are_not_traced_merge_by_merge() {
        let bpe = gpt2();
        let long = "a".repeat(MAX_TRACED_PIECE + 1);
        let t = trace(bpe, long.as_bytes());
        assert_eq!(t.len(), 1);
        assert!(!t[0].traced && t[0].steps.is_empty() && t[0].start.is_empty());
        assert_eq!(t[0].matches_encoder, None);
        assert_eq!(t[0].ids, bpe.encode_ordinary(&long));
        let t = trace(bpe, &long.as_bytes()[1..]);
        assert!(t[0].traced && !t[0].steps.is_empty());
        assert_eq!(t[0].matches_encoder, Some(true));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Any bytes: the plain merge loop ends with the encoder's ids, piece by
        /// piece, and the pieces' ids decode back to the input.
        #[test]
        fn any_bytes_trace_to_the_encoders_ids(input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..48)) {
            let bpe = gpt2();
            let t = trace(bpe, &input);
            let ids: Vec<u32> = t.iter().flat_map(|p| p.ids.iter().copied()).collect();
            proptest::prop_assert!(t.iter().all(|p| p.matches_encoder == Some(true)));
            proptest::prop_assert_eq!(bpe.decode_bytes(&ids).unwrap(), input.clone());
            proptest::prop_assert_eq!(t.iter().map(|p| p.bytes).sum::<usize>(), input.len());
            if let Ok(s) = std::str::from_utf8(&input) {
                proptest::prop_assert_eq!(ids, bpe.encode_ordinary(s));
            }
        }
    }
}
