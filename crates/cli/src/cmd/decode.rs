//! `towel decode`: a JSON array of token ids back to the raw bytes they stand for.
//!
//! ```sh
//! towel decode -e cl100k_base ids.json > text.txt       # raw bytes back
//! towel decode -e cl100k_base --json ids.json           # {"tokens", "bytes", "utf8", "text"}
//! ```
//!
//! With `--json` the bytes cannot go out raw (JSON holds text), so the
//! object says how many there are, whether they are valid UTF-8, and gives
//! the text with any invalid sequence replaced by U+FFFD, as `errors="replace"`
//! does in Python; `"utf8": false` says that happened.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use towel_tokenizer::{ByteTokenizer, Tokenizer as _};

use crate::input::{input_name, read_input, TokenizerArgs};
use crate::output::Output;

/// `towel decode`.
#[derive(Args, Debug)]
pub struct DecodeArgs {
    #[command(flatten)]
    tok: TokenizerArgs,
    /// A JSON array of token ids (default: stdin). The raw bytes go to stdout;
    /// with --json, an object {"tokens", "bytes", "utf8", "text"} where text
    /// has U+FFFD for invalid UTF-8 and utf8 says whether there was any.
    file: Option<PathBuf>,
}

/// Run `towel decode`.
pub fn run(args: DecodeArgs, out: &Output) -> Result<()> {
    let bpe = if args.tok.is_bytes() {
        None
    } else {
        Some(args.tok.load()?)
    };
    let data = read_input(args.file.as_deref())?;
    let ids: Vec<u32> = serde_json::from_slice(&data).map_err(|e| {
        anyhow::anyhow!(
            "{}: expected a JSON array of token ids (non-negative integers below 2^32): {e}",
            input_name(args.file.as_deref())
        )
    })?;
    let bytes = match &bpe {
        Some(bpe) => bpe.decode_bytes(&ids),
        None => ByteTokenizer.decode_bytes(&ids),
    }
    .with_context(|| input_name(args.file.as_deref()))?;
    if out.json {
        return out.print_json(&serde_json::json!({
            "tokens": ids.len(),
            "bytes": bytes.len(),
            "utf8": std::str::from_utf8(&bytes).is_ok(),
            "text": String::from_utf8_lossy(&bytes),
        }));
    }
    crate::output::write_stdout(&bytes)
}
