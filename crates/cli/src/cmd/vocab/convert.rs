//! `towel vocab convert`: vocabularies between `.tiktoken`, GPT-2's
//! `encoder.json` + `vocab.bpe`, and towel tokenizer files.
//!
//! ```sh
//! towel vocab convert --from-gpt2 encoder.json vocab.bpe --to-tiktoken gpt2.tiktoken
//! towel vocab convert -e cl100k_base --to-towel cl100k.json
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::{ArgGroup, Args};
use towel_data::DataDirs;
use towel_tokenizer::vocab::{Gpt2Vocab, Ranks};
use towel_tokenizer::{Encoding, TokenizerFile};

use crate::input::{parse_pattern, EncodingChoice};
use crate::output::Output;

/// `towel vocab convert`: exactly one source, at least one target.
#[derive(Args, Debug)]
#[command(
    group(ArgGroup::new("source").required(true)),
    group(ArgGroup::new("target").required(true).multiple(true).args(["to_tiktoken", "to_gpt2", "to_towel"]))
)]
pub struct ConvertArgs {
    /// Source: a named encoding (its ranks, special tokens and pattern).
    #[arg(
        short = 'e',
        long,
        value_name = "ENCODING",
        value_enum,
        group = "source"
    )]
    encoding: Option<EncodingChoice>,
    /// Source: a .tiktoken rank file.
    #[arg(long, value_name = "PATH", group = "source")]
    from_tiktoken: Option<PathBuf>,
    /// Source: GPT-2's encoder.json and vocab.bpe.
    #[arg(long, num_args = 2, value_names = ["ENCODER_JSON", "VOCAB_BPE"], group = "source")]
    from_gpt2: Option<Vec<PathBuf>>,
    /// Source: a towel tokenizer file.
    #[arg(long, value_name = "PATH", group = "source")]
    from_towel: Option<PathBuf>,
    /// Write a .tiktoken rank file.
    #[arg(long, value_name = "PATH")]
    to_tiktoken: Option<PathBuf>,
    /// Write GPT-2's encoder.json and vocab.bpe.
    #[arg(long, num_args = 2, value_names = ["ENCODER_JSON", "VOCAB_BPE"])]
    to_gpt2: Option<Vec<PathBuf>>,
    /// Write a towel tokenizer file.
    #[arg(long, value_name = "PATH")]
    to_towel: Option<PathBuf>,
    /// Pattern for the towel file (gpt2, cl100k, o200k or a regex) when the source has none.
    #[arg(long, value_name = "gpt2|cl100k|o200k|REGEX")]
    pattern: Option<String>,
}

pub fn run(args: ConvertArgs, out: &Output) -> Result<()> {
    let mut pattern: Option<String> = None;
    let mut specials: BTreeMap<String, u32> = BTreeMap::new();
    let mut merges = None;
    let ranks = if let Some(EncodingChoice::Bpe(name)) = args.encoding {
        pattern = Some(name.builtin_pattern().regex().to_string());
        specials = name.special_tokens().into_iter().collect();
        Encoding::load_ranks(name, &DataDirs::from_env())?
    } else if let Some(p) = &args.from_tiktoken {
        Ranks::load_tiktoken(p)?
    } else if let Some(p) = &args.from_gpt2 {
        let v = Gpt2Vocab::load(&p[0], &p[1])?;
        pattern = Some(towel_tokenizer::Builtin::Gpt2.regex().to_string());
        specials = v.special_tokens;
        v.ranks
    } else if let Some(p) = &args.from_towel {
        let f = TokenizerFile::load(p)?;
        pattern = Some(f.pattern);
        specials = f.special_tokens;
        merges = f.merges;
        f.ranks
    } else {
        // clap requires exactly one source; `-e bytes` is the only other choice.
        bail!("`bytes` is the byte tokenizer (id = byte value), not a vocabulary to convert");
    };
    if let Some(p) = &args.pattern {
        pattern = Some(parse_pattern(p)?.as_str().to_string());
    }
    let mut written = Vec::new();
    if let Some(p) = &args.to_tiktoken {
        ranks.write_tiktoken(p)?;
        written.push(p.clone());
    }
    if let Some(p) = &args.to_gpt2 {
        Gpt2Vocab::write(&ranks, &specials, &p[0], &p[1])?;
        written.extend(p.iter().cloned());
    }
    if let Some(p) = &args.to_towel {
        let Some(pattern) = pattern else {
            bail!("a .tiktoken file has no pattern; pass --pattern gpt2|cl100k|o200k|REGEX for the towel file");
        };
        let merges = match merges {
            Some(m) => Some(m),
            None => ranks.merges("towel export").ok(),
        };
        let file = TokenizerFile {
            pattern,
            special_tokens: specials.clone(),
            ranks: ranks.clone(),
            merges,
        };
        file.write(p)?;
        written.push(p.clone());
    }
    report_written(&written, ranks.len(), out)
}

fn report_written(paths: &[PathBuf], n: usize, out: &Output) -> Result<()> {
    if out.json {
        out.print_json(&serde_json::json!({"tokens": n, "written": paths}))
    } else {
        for p in paths {
            println!("wrote {} ({n} tokens)", Path::new(p).display());
        }
        Ok(())
    }
}
