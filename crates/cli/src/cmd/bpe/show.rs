//! `towel bpe show`: the first and last merges of a tokenizer file, in any
//! format (towel, HF tokenizer.json, GPT-2's encoder.json, `.tiktoken`).
//!
//! ```sh
//! towel bpe show shakespeare.json -n 5
//! ```

use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;
use towel_tokenizer::{escape_bytes, format};

use crate::output::{outln, Output};

/// `towel bpe show`.
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// The tokenizer file.
    file: PathBuf,
    /// How many merges to show at each end.
    #[arg(long, short, default_value_t = 10)]
    n: usize,
}

#[derive(Serialize)]
struct ShownMerge {
    rank: usize,
    left: String,
    right: String,
    token: String,
}

pub fn run(args: &ShowArgs, out: &Output) -> anyhow::Result<()> {
    let (file, n) = (&args.file, args.n);
    let (found, t) = format::read(file)?;
    let merges = t
        .merges()
        .with_context(|| format!("{}: cannot show its merges", file.display()))?;
    let token = |r| t.ranks.token(r).unwrap_or_default();
    let row = |i: usize| {
        let (l, r) = merges[i];
        ShownMerge {
            rank: 256 + i,
            left: escape_bytes(token(l)),
            right: escape_bytes(token(r)),
            token: escape_bytes([token(l), token(r)].concat()),
        }
    };
    let m = merges.len();
    let first: Vec<ShownMerge> = (0..n.min(m)).map(row).collect();
    let last: Vec<ShownMerge> = (m.saturating_sub(n).max(n.min(m))..m).map(row).collect();
    let mut specials: Vec<(&String, &u32)> = t.special_tokens.iter().collect();
    specials.sort_by_key(|s| *s.1);
    if out.json {
        return out.print_json(&serde_json::json!({
            "file": file.display().to_string(),
            "format": found.name(),
            "ranks": t.ranks.len(),
            "merges": m,
            "pattern": t.pattern,
            "special_tokens": specials,
            "first": first,
            "last": last,
        }));
    }
    outln!(
        "{}: {found} format, {} tokens ({} merges), {} special tokens",
        file.display(),
        t.ranks.len(),
        m,
        specials.len()
    )?;
    if let Some(p) = &t.pattern {
        outln!("pattern: {p}")?;
    }
    let print = |rows: &[ShownMerge]| -> anyhow::Result<()> {
        for r in rows {
            outln!(
                "{:>7}  \"{}\" + \"{}\" -> \"{}\"",
                r.rank,
                r.left,
                r.right,
                r.token
            )?;
        }
        Ok(())
    };
    outln!("first merges:")?;
    print(&first)?;
    if !last.is_empty() {
        outln!("last merges:")?;
        print(&last)?;
    }
    for (s, id) in specials {
        outln!("special {id}: {s}")?;
    }
    Ok(())
}
