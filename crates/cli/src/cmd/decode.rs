//! `towel decode`: a JSON array of token ids back to the raw bytes they stand for.
//!
//! ```sh
//! towel decode -e cl100k_base ids.json > text.txt       # raw bytes back
//! ```

use std::io::Write;
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
    /// A JSON array of token ids (default: stdin). The raw bytes go to stdout.
    file: Option<PathBuf>,
}

/// Run `towel decode`.
pub fn run(args: DecodeArgs, _out: &Output) -> Result<()> {
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
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&bytes)?;
    stdout.flush()?;
    Ok(())
}
