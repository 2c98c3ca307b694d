//! `towel bpe show`: the first and last merges of a tokenizer file.
//!
//! ```sh
//! towel bpe show shakespeare.json -n 5
//! ```

use std::path::PathBuf;

use serde::Serialize;
use towel_tokenizer::train::export;

use crate::display::escape_token;
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
    let t = export::read(file)?;
    let row = |i: usize| {
        let (l, r) = t.merges[i];
        let tok = [t.ranks[l as usize].clone(), t.ranks[r as usize].clone()].concat();
        ShownMerge {
            rank: 256 + i,
            left: escape_token(&t.ranks[l as usize]),
            right: escape_token(&t.ranks[r as usize]),
            token: escape_token(&tok),
        }
    };
    let m = t.merges.len();
    let first: Vec<ShownMerge> = (0..n.min(m)).map(row).collect();
    let last: Vec<ShownMerge> = (m.saturating_sub(n).max(n.min(m))..m).map(row).collect();
    if out.json {
        return out.print_json(&serde_json::json!({
            "file": file.display().to_string(),
            "format": format!("{:?}", t.format).to_lowercase(),
            "ranks": t.ranks.len(),
            "merges": m,
            "pattern": t.pattern,
            "special_tokens": t.special_tokens,
            "first": first,
            "last": last,
        }));
    }
    outln!(
        "{}: {:?} format, {} tokens ({} merges), {} special tokens",
        file.display(),
        t.format,
        t.ranks.len(),
        m,
        t.special_tokens.len()
    )?;
    if let Some(p) = &t.pattern {
        outln!("pattern: {p}")?;
    }
    let print = |rows: &[ShownMerge]| -> anyhow::Result<()> {
        for r in rows {
            outln!("{:>7}  {} + {} -> {}", r.rank, r.left, r.right, r.token)?;
        }
        Ok(())
    };
    outln!("first merges:")?;
    print(&first)?;
    if !last.is_empty() {
        outln!("last merges:")?;
        print(&last)?;
    }
    for (s, id) in &t.special_tokens {
        outln!("special {id}: {s}")?;
    }
    Ok(())
}
