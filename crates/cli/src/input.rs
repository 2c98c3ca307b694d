//! Where commands read their inputs from: files or stdin, and tokenizers
//! chosen by name (`-e cl100k_base`) or by file (`--tokenizer FILE`).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use towel_data::DataDirs;
use towel_tokenizer::{format, Builtin, CoreBpe, Encoding, EncodingName, Pattern};

/// The bytes of `file`, or of stdin when there is none.
pub fn read_input(file: Option<&Path>) -> Result<Vec<u8>> {
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

/// How an input is named in messages: its path, or `stdin`.
pub fn input_name(file: Option<&Path>) -> String {
    file.map_or("stdin".to_string(), |p| p.display().to_string())
}

/// A pre-tokenization pattern from a short name (gpt2, cl100k, o200k) or a regex.
pub fn parse_pattern(s: &str) -> Result<Pattern> {
    Ok(match Builtin::from_name(s) {
        Some(b) => Pattern::builtin(b),
        None => Pattern::new(s).context("--pattern is not gpt2, cl100k, o200k or a valid regex")?,
    })
}

/// A named encoding chosen with `-e`: one of tiktoken's byte-level BPE
/// encodings, or `bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingChoice {
    /// One of tiktoken's byte-level BPE encodings.
    Bpe(EncodingName),
    /// `bytes`: one id per byte ([`towel_tokenizer::ByteTokenizer`]); takes any input bytes.
    Bytes,
}

impl clap::ValueEnum for EncodingChoice {
    fn value_variants<'a>() -> &'a [Self] {
        const CHOICES: [EncodingChoice; EncodingName::ALL.len() + 1] = {
            let mut all = [EncodingChoice::Bytes; EncodingName::ALL.len() + 1];
            let mut i = 0;
            while i < EncodingName::ALL.len() {
                all[i] = EncodingChoice::Bpe(EncodingName::ALL[i]);
                i += 1;
            }
            all
        };
        &CHOICES
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(match self {
            EncodingChoice::Bpe(name) => clap::builder::PossibleValue::new(name.as_str()),
            EncodingChoice::Bytes => {
                clap::builder::PossibleValue::new("bytes").help("one id per byte")
            }
        })
    }
}

/// Where the tokenizer comes from: `-e NAME` or `--tokenizer FILE`.
#[derive(Args, Debug, Clone)]
pub struct TokenizerArgs {
    /// A named encoding.
    #[arg(
        short = 'e',
        long,
        value_name = "ENCODING",
        value_enum,
        required_unless_present = "tokenizer",
        conflicts_with = "tokenizer"
    )]
    pub encoding: Option<EncodingChoice>,
    /// A tokenizer file in any format: towel (JSON), HF tokenizer.json, GPT-2's
    /// encoder.json (with vocab.bpe beside it), or a `.tiktoken` rank file (then give --pattern).
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Option<PathBuf>,
    /// Pre-tokenization pattern for a `.tiktoken` file: gpt2, cl100k, o200k or a regex.
    #[arg(long, value_name = "gpt2|cl100k|o200k|REGEX", requires = "tokenizer")]
    pub pattern: Option<String>,
}

impl TokenizerArgs {
    /// `-e bytes`: the byte tokenizer, which needs no vocabulary file.
    pub fn is_bytes(&self) -> bool {
        self.encoding == Some(EncodingChoice::Bytes)
    }

    /// The BPE encoder these arguments name.
    pub fn load(&self) -> Result<CoreBpe> {
        match self.encoding {
            Some(EncodingChoice::Bpe(name)) => {
                // The data folders first; gpt2, r50k_base and cl100k_base are embedded too.
                return Ok(Encoding::load_or_embedded(name, &DataDirs::from_env())
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
        let label = path.display().to_string();
        let (found, mut file) = format::read(path)?;
        match (&file.pattern, &self.pattern) {
            (Some(_), Some(_)) => {
                bail!("{label}: a {found} tokenizer file has its own pattern; drop --pattern")
            }
            (None, None) if found == format::Format::Tiktoken => bail!(
                "{label} looks like a .tiktoken rank file, which has no pre-tokenization pattern: pass --pattern gpt2|cl100k|o200k|REGEX"
            ),
            (None, None) => bail!(
                "{label}: this {found} tokenizer file names no pre-tokenization pattern towel can use (a ByteLevel pre-tokenizer, or a Split on a Regex): pass --pattern gpt2|cl100k|o200k|REGEX"
            ),
            (None, Some(p)) => file.pattern = Some(parse_pattern(p)?.as_str().to_string()),
            (Some(_), None) => {}
        }
        file.to_bpe().with_context(|| label.clone())
    }
}
