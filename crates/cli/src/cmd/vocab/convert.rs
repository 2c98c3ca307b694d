//! `towel vocab convert`: vocabularies between `.tiktoken`, GPT-2's
//! `encoder.json` + `vocab.bpe`, towel tokenizer files and HF
//! `tokenizer.json` (read and written by the library's `format` module).
//!
//! ```sh
//! towel vocab convert --from-gpt2 encoder.json vocab.bpe --to-tiktoken gpt2.tiktoken
//! towel vocab convert -e cl100k_base --to-towel cl100k.json
//! towel vocab convert --from tokenizer.json --to-tiktoken tok.tiktoken   # any format, detected
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args};
use towel_data::{registry, DataDirs, WritePlan};
use towel_tokenizer::format::{self, Format};
use towel_tokenizer::{Encoding, Ranks, TokenizerFile};

use crate::display::dropped_specials_note;
use crate::files::{ForceArg, GPT2_ENCODER, GPT2_MERGES, TOKENIZER};
use crate::input::{parse_pattern, EncodingChoice};
use crate::output::{outln, Output};

/// `towel vocab convert`: exactly one source, at least one target.
#[derive(Args, Debug)]
#[command(
    group(ArgGroup::new("source").required(true)),
    group(ArgGroup::new("target").required(true).multiple(true).args(["to_tiktoken", "to_gpt2", "to_towel", "to_hf"]))
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
    /// Source: a tokenizer file in any format (towel, HF tokenizer.json, GPT-2's
    /// encoder.json with vocab.bpe beside it, .tiktoken), detected from its contents.
    #[arg(long, value_name = "PATH", group = "source")]
    from: Option<PathBuf>,
    /// Write a .tiktoken rank file.
    #[arg(long, value_name = "PATH")]
    to_tiktoken: Option<PathBuf>,
    /// Write GPT-2's encoder.json and vocab.bpe.
    #[arg(long, num_args = 2, value_names = ["ENCODER_JSON", "VOCAB_BPE"])]
    to_gpt2: Option<Vec<PathBuf>>,
    /// Write a towel tokenizer file.
    #[arg(long, value_name = "PATH")]
    to_towel: Option<PathBuf>,
    /// Write an HF tokenizer.json.
    #[arg(long, value_name = "PATH")]
    to_hf: Option<PathBuf>,
    /// Pattern for the towel or HF file (gpt2, cl100k, o200k or a regex) when the source has none.
    #[arg(long, value_name = "gpt2|cl100k|o200k|REGEX")]
    pattern: Option<String>,
    #[command(flatten)]
    force: ForceArg,
}

/// The files this conversion reads and writes; the targets are written
/// together, all or none, in the order of [`targets`].
fn plan(args: &ConvertArgs) -> WritePlan {
    let mut plan = WritePlan::new()
        .force(args.force.force)
        .inputs(&args.from_tiktoken)
        .inputs(args.from_gpt2.iter().flatten())
        .inputs(&args.from_towel)
        .inputs(args.from.iter().flat_map(|p| format::files_read(p)));
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
    for (format, paths) in targets(args) {
        plan = match (format, paths.as_slice()) {
            (Format::Gpt2, [enc, bpe]) => plan.output(enc, GPT2_ENCODER).output(bpe, GPT2_MERGES),
            (_, paths) => paths.iter().fold(plan, |plan, p| plan.output(p, TOKENIZER)),
        };
    }
    plan
}

/// Each target format with its path(s) (none when not asked for).
fn targets(args: &ConvertArgs) -> [(Format, Vec<&Path>); 4] {
    [
        (
            Format::Tiktoken,
            args.to_tiktoken.iter().map(|p| p.as_path()).collect(),
        ),
        (
            Format::Gpt2,
            args.to_gpt2.iter().flatten().map(|p| p.as_path()).collect(),
        ),
        (
            Format::Towel,
            args.to_towel.iter().map(|p| p.as_path()).collect(),
        ),
        (Format::Hf, args.to_hf.iter().map(|p| p.as_path()).collect()),
    ]
}

pub fn run(args: ConvertArgs, out: &Output) -> Result<()> {
    let plan = plan(&args);
    plan.check()?;
    let mut file = if let Some(EncodingChoice::Bpe(name)) = args.encoding {
        TokenizerFile {
            pattern: Some(name.builtin_pattern().regex().to_string()),
            special_tokens: name.special_tokens().into_iter().collect(),
            ranks: Encoding::load_ranks_or_embedded(name, &DataDirs::from_env())?,
            merges: None,
        }
    } else if let Some(p) = &args.from_tiktoken {
        TokenizerFile {
            pattern: None,
            special_tokens: Default::default(),
            ranks: Ranks::load_tiktoken(p)?,
            merges: None,
        }
    } else if let Some(p) = &args.from_gpt2 {
        format::read_gpt2(&p[0], &p[1])?
    } else if let Some(p) = &args.from_towel {
        TokenizerFile::load(p)?
    } else if let Some(p) = &args.from {
        format::read(p)?.1
    } else {
        // clap requires exactly one source; `-e bytes` is the only other choice.
        bail!("`bytes` is the byte tokenizer (id = byte value), not a vocabulary to convert");
    };
    if let Some(p) = &args.pattern {
        file.pattern = Some(parse_pattern(p)?.as_str().to_string());
    }
    // The towel format stores merges; keep them when they can be recovered.
    if file.merges.is_none() && (args.to_towel.is_some() || args.to_hf.is_some()) {
        file.merges = file.ranks.merges("the vocabulary").ok();
    }
    // In the order the plan declares the outputs.
    let mut contents: Vec<Vec<u8>> = Vec::new();
    let mut notes = Vec::new();
    for (format, paths) in targets(&args) {
        if paths.is_empty() {
            continue;
        }
        let rendered = format::render(&file, format, None)
            .with_context(|| format!("writing the {format} format"))?;
        notes.extend(dropped_specials_note(
            paths[0],
            &rendered.dropped_special_tokens,
        ));
        contents.extend(rendered.files);
    }
    plan.write(&contents.iter().map(Vec::as_slice).collect::<Vec<_>>())?;
    for note in notes {
        eprintln!("{note}");
    }
    let written: Vec<PathBuf> = plan.outputs().map(Path::to_path_buf).collect();
    report_written(&written, file.ranks.len(), out)
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
