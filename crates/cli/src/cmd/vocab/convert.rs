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
use towel_data::{registry, DataDirs, WritePlan};
use towel_tokenizer::vocab::{Gpt2Vocab, Ranks};
use towel_tokenizer::{Encoding, TokenizerFile};

use crate::files::{ForceArg, GPT2_ENCODER, GPT2_MERGES, TOKENIZER};
use crate::input::{parse_pattern, EncodingChoice};
use crate::output::{outln, Output};

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
    #[command(flatten)]
    force: ForceArg,
}

/// The files this conversion reads and writes; the targets are written
/// together, all or none.
fn plan(args: &ConvertArgs) -> WritePlan {
    let mut plan = WritePlan::new()
        .force(args.force.force)
        .inputs(&args.from_tiktoken)
        .inputs(args.from_gpt2.iter().flatten())
        .inputs(&args.from_towel);
    if let Some(EncodingChoice::Bpe(name)) = args.encoding {
        // The registry files a named encoding is read from, where found.
        let dirs = DataDirs::from_env();
        let prefix = format!("{}-", name.as_str());
        plan = plan.inputs(
            registry::FILES
                .iter()
                .filter(|f| f.name == name.as_str() || f.name.starts_with(&prefix))
                .filter_map(|f| dirs.locate(f).ok()),
        );
    }
    if let Some(p) = &args.to_tiktoken {
        plan = plan.output(p, TOKENIZER);
    }
    if let Some(p) = &args.to_gpt2 {
        plan = plan.output(&p[0], GPT2_ENCODER).output(&p[1], GPT2_MERGES);
    }
    if let Some(p) = &args.to_towel {
        plan = plan.output(p, TOKENIZER);
    }
    plan
}

pub fn run(args: ConvertArgs, out: &Output) -> Result<()> {
    let plan = plan(&args);
    plan.check()?;
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
    // In the order the plan declares the outputs.
    let mut contents: Vec<Vec<u8>> = Vec::new();
    if args.to_tiktoken.is_some() {
        contents.push(ranks.to_tiktoken());
    }
    if args.to_gpt2.is_some() {
        let (enc, bpe) = Gpt2Vocab::to_files(&ranks, &specials)?;
        contents.extend([enc, bpe]);
    }
    if args.to_towel.is_some() {
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
        contents.push(file.to_json()?);
    }
    plan.write(&contents.iter().map(Vec::as_slice).collect::<Vec<_>>())?;
    let written: Vec<PathBuf> = plan.outputs().map(Path::to_path_buf).collect();
    report_written(&written, ranks.len(), out)
}

fn report_written(paths: &[PathBuf], n: usize, out: &Output) -> Result<()> {
    if out.json {
        out.print_json(&serde_json::json!({"tokens": n, "written": paths}))
    } else {
        for p in paths {
            outln!("wrote {} ({n} tokens)", Path::new(p).display())?;
        }
        Ok(())
    }
}
