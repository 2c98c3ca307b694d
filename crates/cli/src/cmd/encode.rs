//! `towel encode`: text to token ids with tiktoken's encodings, your own
//! vocabulary files, or `bytes`.
//!
//! ```sh
//! echo "hello world" | towel encode -e cl100k_base      # [15339,1917,198]
//! towel encode -e o200k_base --count book.txt           # 123456
//! towel encode -e gpt2 --pieces <<< "don't panic"       # one token per line, bytes escaped
//! towel encode -e bytes any.bin                          # one id per byte, any bytes
//! ```

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use towel_tokenizer::escape_bytes;
use towel_tokenizer::{AllowedSpecial, ByteTokenizer, DisallowedSpecial};

use crate::input::{input_name, read_input, TokenizerArgs};
use crate::output::Output;

/// `towel encode`.
#[derive(Args, Debug)]
pub struct EncodeArgs {
    #[command(flatten)]
    tok: TokenizerArgs,
    /// Print only the number of tokens.
    #[arg(long, conflicts_with = "pieces")]
    count: bool,
    /// Print each token's id and text (bytes that are not UTF-8 shown as \xNN).
    #[arg(long)]
    pieces: bool,
    /// Special tokens to encode as their ids: `all` or a comma-separated list.
    #[arg(long, value_name = "all|TOKEN,...")]
    allowed_special: Option<String>,
    /// Special tokens that make encoding fail: `all` (default: every one not allowed), `none`, or a list (of any text, as in tiktoken).
    #[arg(long, value_name = "all|none|TOKEN,...")]
    disallowed_special: Option<String>,
    /// UTF-8 text to encode (default: stdin).
    file: Option<PathBuf>,
}

fn token_list(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(',').filter(|t| !t.is_empty()).map(str::to_string)
}

/// Run `towel encode`.
pub fn run(args: EncodeArgs, out: &Output) -> Result<()> {
    if args.tok.is_bytes() {
        return encode_bytes(&args, out);
    }
    let bpe = args.tok.load()?;
    let bytes = read_input(args.file.as_deref())?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not valid UTF-8 at byte {} (towel encode reads UTF-8 text)",
            input_name(args.file.as_deref()),
            e.valid_up_to()
        )
    })?;
    let allowed = match args.allowed_special.as_deref() {
        None => AllowedSpecial::None,
        Some("all") => AllowedSpecial::All,
        Some(list) => {
            let set: std::collections::BTreeSet<String> = token_list(list).collect();
            if set.is_empty() {
                bail!("--allowed-special {list:?} names no token: give `all` or TOKEN,... (or leave the option out for none)");
            }
            for t in &set {
                if bpe.special_token_id(t).is_none() {
                    let known: Vec<&str> =
                        bpe.special_tokens().iter().map(|s| s.0.as_str()).collect();
                    bail!(
                        "--allowed-special: {t:?} is not a special token of this tokenizer (it has: {})",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    );
                }
            }
            AllowedSpecial::Only(set)
        }
    };
    let disallowed = match args.disallowed_special.as_deref() {
        None | Some("all") => DisallowedSpecial::All,
        Some("none") => DisallowedSpecial::None,
        Some(list) if token_list(list).next().is_none() => {
            bail!("--disallowed-special {list:?} names no token: give `all`, `none` or TOKEN,...")
        }
        // Any text, not only special tokens, as tiktoken's `disallowed_special`.
        Some(list) => DisallowedSpecial::only(token_list(list)),
    };
    let ids = bpe
        .encode(text, &allowed, &disallowed)
        .with_context(|| input_name(args.file.as_deref()))?;
    warn_uncovered(&ids, text.len(), |id| bpe.token_bytes(id));
    print_ids(&args, &ids, text.len(), |id| bpe.token_bytes(id), out)
}

/// Warn when the ids spell fewer bytes than the text has: a
/// pre-tokenization pattern that does not match every character (an empty
/// one, say) leaves the rest out of the ids, silently, as in tiktoken
/// (`--pattern ''` encoded any text to `[]`). The ids stay tiktoken's.
fn warn_uncovered<'a>(ids: &[u32], n_bytes: usize, token_bytes: impl Fn(u32) -> Option<&'a [u8]>) {
    let covered: usize = ids
        .iter()
        .map(|&id| token_bytes(id).map_or(0, <[u8]>::len))
        .sum();
    if covered < n_bytes {
        eprintln!(
            "warning: the ids spell {covered} of the input's {n_bytes} bytes: the tokenizer's pattern does not match the rest, which is left out (as tiktoken does)"
        );
    }
}

/// `towel encode -e bytes`: one id per input byte; any bytes are accepted
/// (there is no invalid input for a byte-level tokenizer).
fn encode_bytes(args: &EncodeArgs, out: &Output) -> Result<()> {
    if args.allowed_special.is_some() || args.disallowed_special.is_some() {
        bail!("the byte tokenizer (-e bytes) has no special tokens; drop --allowed-special / --disallowed-special");
    }
    let bytes = read_input(args.file.as_deref())?;
    let ids = ByteTokenizer.encode_bytes(&bytes);
    let table: Vec<[u8; 1]> = (0..=255u8).map(|b| [b]).collect();
    print_ids(
        args,
        &ids,
        bytes.len(),
        |id| table.get(id as usize).map(|b| &b[..]),
        out,
    )
}

/// Print ids as `--count`, `--pieces` or a JSON array.
fn print_ids<'a>(
    args: &EncodeArgs,
    ids: &[u32],
    n_bytes: usize,
    token_bytes: impl Fn(u32) -> Option<&'a [u8]>,
    out: &Output,
) -> Result<()> {
    let mut w = crate::output::stdout_writer();
    if args.count {
        if out.json {
            out.print_json(&serde_json::json!({"tokens": ids.len(), "bytes": n_bytes}))?;
        } else {
            writeln!(w, "{}", ids.len())?;
        }
    } else if args.pieces {
        if out.json {
            let rows: Vec<_> = ids
                .iter()
                .map(|&id| {
                    let b = token_bytes(id).unwrap_or_default();
                    serde_json::json!({"id": id, "text": String::from_utf8_lossy(b), "bytes": b})
                })
                .collect();
            out.print_json(&rows)?;
        } else {
            for &id in ids {
                let b = token_bytes(id).unwrap_or_default();
                writeln!(w, "{id}\t\"{}\"", escape_bytes(b))?;
            }
        }
    } else {
        serde_json::to_writer(&mut w, ids).context("writing to stdout")?;
        writeln!(w)?;
    }
    w.flush().context("writing to stdout")
}
