//! `towel encode`, `towel decode` and `towel vocab convert`: text to token ids
//! and back with tiktoken's encodings or your own vocabulary files.
//!
//! ```sh
//! echo "hello world" | towel encode -e cl100k_base      # [15339,1917,198]
//! towel encode -e o200k_base --count book.txt           # 123456
//! towel encode -e gpt2 --pieces <<< "don't panic"       # one token per line, bytes escaped
//! towel decode -e cl100k_base ids.json > text.txt       # raw bytes back
//! towel encode -e bytes any.bin                          # one id per byte, any bytes
//! towel vocab convert --from-gpt2 encoder.json vocab.bpe --to-tiktoken gpt2.tiktoken
//! ```

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use towel_data::DataDirs;
use towel_tokenizer::vocab::{escape_bytes, Gpt2Vocab};
use towel_tokenizer::{
    AllowedSpecial, ByteTokenizer, CoreBpe, DisallowedSpecial, Encoding, EncodingName, Pattern,
    Ranks, Tokenizer as _, TokenizerFile,
};

use crate::output::Output;

/// A tokenizer family chosen with `-e`. Each family parses its own names, so
/// new families (bytes, characters, words) slot in as new variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingChoice {
    /// One of tiktoken's byte-level BPE encodings.
    Bpe(EncodingName),
    /// `bytes`: one id per byte ([`ByteTokenizer`]); takes any input bytes.
    Bytes,
}

impl FromStr for EncodingChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "bytes" {
            return Ok(EncodingChoice::Bytes);
        }
        EncodingName::from_name(s)
            .map(EncodingChoice::Bpe)
            .map_err(|e| format!("{e}, or bytes (one id per byte)"))
    }
}

/// Where the tokenizer comes from.
#[derive(Args, Debug, Clone)]
pub struct TokenizerArgs {
    /// A named encoding: gpt2, r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base, or bytes (one id per byte).
    #[arg(
        short = 'e',
        long,
        value_name = "ENCODING",
        required_unless_present = "tokenizer",
        conflicts_with = "tokenizer"
    )]
    encoding: Option<EncodingChoice>,
    /// A towel tokenizer file (JSON), or a `.tiktoken` rank file (then give --pattern).
    #[arg(long, value_name = "PATH")]
    tokenizer: Option<PathBuf>,
    /// Pre-tokenization pattern for a `.tiktoken` file: gpt2, cl100k, o200k or a regex.
    #[arg(long, value_name = "gpt2|cl100k|o200k|REGEX", requires = "tokenizer")]
    pattern: Option<String>,
}

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
    /// Special tokens that make encoding fail: `all` (default: every one not allowed), `none`, or a list.
    #[arg(long, value_name = "all|none|TOKEN,...")]
    disallowed_special: Option<String>,
    /// UTF-8 text to encode (default: stdin).
    file: Option<PathBuf>,
}

/// `towel decode`.
#[derive(Args, Debug)]
pub struct DecodeArgs {
    #[command(flatten)]
    tok: TokenizerArgs,
    /// A JSON array of token ids (default: stdin). The raw bytes go to stdout.
    file: Option<PathBuf>,
}

/// `towel vocab ...`.
#[derive(Subcommand, Debug)]
pub enum VocabCommand {
    /// Convert a vocabulary between .tiktoken, GPT-2 (encoder.json + vocab.bpe) and towel files.
    Convert(ConvertArgs),
}

/// `towel vocab convert`: exactly one source, at least one target.
#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Source: a named encoding (its ranks, special tokens and pattern).
    #[arg(short = 'e', long, value_name = "ENCODING", group = "source")]
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

/// A pattern from a short name or a regex.
fn parse_pattern(s: &str) -> Result<Pattern> {
    Ok(match towel_tokenizer::Builtin::from_name(s) {
        Some(b) => Pattern::builtin(b),
        None => Pattern::new(s)?,
    })
}

impl TokenizerArgs {
    /// `-e bytes`: the byte tokenizer, which needs no vocabulary file.
    fn is_bytes(&self) -> bool {
        self.encoding == Some(EncodingChoice::Bytes)
    }

    fn load(&self) -> Result<CoreBpe> {
        match self.encoding {
            Some(EncodingChoice::Bpe(name)) => {
                return Ok(Encoding::load_named(name, &DataDirs::from_env())
                    .with_context(|| format!("loading {name}"))?
                    .into_bpe());
            }
            Some(EncodingChoice::Bytes) => {
                bail!("`bytes` is the byte tokenizer (id = byte value), not a BPE vocabulary; use it with towel encode / towel decode")
            }
            None => {}
        }
        let path = self
            .tokenizer
            .as_ref()
            .expect("clap requires -e or --tokenizer");
        let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let label = path.display().to_string();
        let looks_json = data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if looks_json {
            if self.pattern.is_some() {
                bail!("{label}: a towel tokenizer file has its own pattern; drop --pattern");
            }
            return Ok(TokenizerFile::parse(&data, &label)?.to_bpe()?);
        }
        let Some(pattern) = &self.pattern else {
            bail!("{label} looks like a .tiktoken rank file, which has no pre-tokenization pattern: pass --pattern gpt2|cl100k|o200k|REGEX");
        };
        let ranks = Ranks::parse_tiktoken(&data, &label)?;
        Ok(CoreBpe::new(&ranks, [], parse_pattern(pattern)?)?)
    }
}

/// The bytes of `file`, or of stdin when there is none (also used by `towel tokenize`).
pub(crate) fn read_input(file: Option<&Path>) -> Result<Vec<u8>> {
    match file {
        Some(p) => std::fs::read(p).with_context(|| format!("reading {}", p.display())),
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading stdin")?;
            Ok(buf)
        }
    }
}

fn input_name(file: &Option<PathBuf>) -> String {
    file.as_ref()
        .map_or("stdin".to_string(), |p| p.display().to_string())
}

fn token_list(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(',').filter(|t| !t.is_empty()).map(str::to_string)
}

/// Run `towel encode`.
pub fn run_encode(args: EncodeArgs, out: &Output) -> Result<()> {
    if args.tok.is_bytes() {
        return encode_bytes(&args, out);
    }
    let bpe = args.tok.load()?;
    let bytes = read_input(args.file.as_deref())?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not valid UTF-8 at byte {} (towel encode reads UTF-8 text)",
            input_name(&args.file),
            e.valid_up_to()
        )
    })?;
    let allowed = match args.allowed_special.as_deref() {
        None => AllowedSpecial::None,
        Some("all") => AllowedSpecial::All,
        Some(list) => {
            let set: std::collections::BTreeSet<String> = token_list(list).collect();
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
        Some(list) => DisallowedSpecial::only(token_list(list)),
    };
    let ids = bpe
        .encode(text, &allowed, &disallowed)
        .with_context(|| input_name(&args.file))?;
    print_ids(&args, &ids, text.len(), |id| bpe.token_bytes(id), out)
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
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
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
                writeln!(w, "{id}\t{}", escape_bytes(b))?;
            }
        }
    } else {
        serde_json::to_writer(&mut w, ids)?;
        writeln!(w)?;
    }
    w.flush()?;
    Ok(())
}

/// Run `towel decode`.
pub fn run_decode(args: DecodeArgs, _out: &Output) -> Result<()> {
    let bpe = if args.tok.is_bytes() {
        None
    } else {
        Some(args.tok.load()?)
    };
    let data = read_input(args.file.as_deref())?;
    let ids: Vec<u32> = serde_json::from_slice(&data).map_err(|e| {
        anyhow::anyhow!(
            "{}: expected a JSON array of token ids (non-negative integers below 2^32): {e}",
            input_name(&args.file)
        )
    })?;
    let bytes = match &bpe {
        Some(bpe) => bpe.decode_bytes(&ids),
        None => ByteTokenizer.decode_bytes(&ids),
    }
    .with_context(|| input_name(&args.file))?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&bytes)?;
    stdout.flush()?;
    Ok(())
}

/// Run `towel vocab ...`.
pub fn run_vocab(cmd: VocabCommand, out: &Output) -> Result<()> {
    match cmd {
        VocabCommand::Convert(args) => convert(args, out),
    }
}

fn convert(args: ConvertArgs, out: &Output) -> Result<()> {
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
        bail!("give a source: -e ENCODING, --from-tiktoken, --from-gpt2 or --from-towel");
    };
    if args.to_tiktoken.is_none() && args.to_gpt2.is_none() && args.to_towel.is_none() {
        bail!("give a target: --to-tiktoken, --to-gpt2 or --to-towel");
    }
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
