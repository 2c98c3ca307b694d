//! OpenAI's named encodings: what each one is ([`EncodingName`]: pattern,
//! special tokens, size) and [`Encoding::from_ranks`], which builds one from
//! its ranks. Finding the vocabulary files is a thin layer above this
//! (`load.rs`: [`Encoding::load`]); nothing here needs the data registry.
//!
//! | name | vocabulary file | pattern | special tokens | n_vocab |
//! | --- | --- | --- | --- | --- |
//! | `gpt2` | `gpt2/encoder.json` + `gpt2/vocab.bpe` | GPT-2 | `<\|endoftext\|>` 50256 | 50257 |
//! | `r50k_base` | `r50k_base.tiktoken` | GPT-2 | `<\|endoftext\|>` 50256 | 50257 |
//! | `p50k_base` | `p50k_base.tiktoken` | GPT-2 | `<\|endoftext\|>` 50256 | 50281 |
//! | `p50k_edit` | `p50k_base.tiktoken` | GPT-2 | + three FIM tokens 50281..50283 | 50284 |
//! | `cl100k_base` | `cl100k_base.tiktoken` | cl100k | endoftext, FIM, endofprompt | 100277 |
//! | `o200k_base` | `o200k_base.tiktoken` | o200k | endoftext 199999, endofprompt 200018 | 200019 |
//! | `o200k_harmony` | `o200k_base.tiktoken` | o200k | + harmony's chat tokens and reserved ids 199998..201087 | 201088 |
//!
//! [`Encoding::load`] finds the files and sha256-checks them with
//! [`towel_data::DataDirs`].
//!
//! ```no_run
//! use towel_tokenizer::Encoding;
//! let enc = Encoding::load("cl100k_base", &towel_data::DataDirs::from_env())?;
//! assert_eq!(enc.encode_ordinary("hello world"), vec![15339, 1917]);
//! # Ok::<(), towel_tokenizer::TokenizerError>(())
//! ```

use std::ops::Deref;

use crate::bpe::CoreBpe;
use crate::pretok::{Builtin, Pattern};
use crate::vocab::{Rank, Ranks};
use crate::TokenizerError;

const ENDOFTEXT: &str = "<|endoftext|>";
const FIM_PREFIX: &str = "<|fim_prefix|>";
const FIM_MIDDLE: &str = "<|fim_middle|>";
const FIM_SUFFIX: &str = "<|fim_suffix|>";
const ENDOFPROMPT: &str = "<|endofprompt|>";

/// The built-in encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncodingName {
    /// GPT-2, from `encoder.json` + `vocab.bpe` (same ranks as r50k_base).
    Gpt2,
    /// GPT-3 era.
    R50kBase,
    /// Codex.
    P50kBase,
    /// Codex edit (p50k_base plus fill-in-the-middle tokens).
    P50kEdit,
    /// GPT-3.5 / GPT-4.
    Cl100kBase,
    /// GPT-4o.
    O200kBase,
    /// gpt-oss: o200k_base's ranks with the harmony chat format's special
    /// tokens (tiktoken_ext/openai_public.py's `o200k_harmony`).
    O200kHarmony,
}

impl EncodingName {
    /// Every built-in encoding.
    pub const ALL: [EncodingName; 7] = [
        EncodingName::Gpt2,
        EncodingName::R50kBase,
        EncodingName::P50kBase,
        EncodingName::P50kEdit,
        EncodingName::Cl100kBase,
        EncodingName::O200kBase,
        EncodingName::O200kHarmony,
    ];

    /// tiktoken's name.
    pub fn as_str(self) -> &'static str {
        match self {
            EncodingName::Gpt2 => "gpt2",
            EncodingName::R50kBase => "r50k_base",
            EncodingName::P50kBase => "p50k_base",
            EncodingName::P50kEdit => "p50k_edit",
            EncodingName::Cl100kBase => "cl100k_base",
            EncodingName::O200kBase => "o200k_base",
            EncodingName::O200kHarmony => "o200k_harmony",
        }
    }

    /// Parse a name; the error lists the known ones.
    pub fn from_name(name: &str) -> Result<EncodingName, TokenizerError> {
        EncodingName::ALL
            .into_iter()
            .find(|e| e.as_str() == name)
            .ok_or_else(|| TokenizerError::UnknownEncoding {
                name: name.to_string(),
                known: EncodingName::ALL.map(|e| e.as_str()).join(", "),
            })
    }

    /// The pre-tokenization pattern.
    pub fn builtin_pattern(self) -> Builtin {
        match self {
            EncodingName::Cl100kBase => Builtin::Cl100k,
            EncodingName::O200kBase | EncodingName::O200kHarmony => Builtin::O200k,
            _ => Builtin::Gpt2,
        }
    }

    /// The special tokens and their ids.
    pub fn special_tokens(self) -> Vec<(String, Rank)> {
        let list: &[(&str, Rank)] = match self {
            EncodingName::Gpt2 | EncodingName::R50kBase | EncodingName::P50kBase => {
                &[(ENDOFTEXT, 50256)]
            }
            EncodingName::P50kEdit => &[
                (ENDOFTEXT, 50256),
                (FIM_PREFIX, 50281),
                (FIM_MIDDLE, 50282),
                (FIM_SUFFIX, 50283),
            ],
            EncodingName::Cl100kBase => &[
                (ENDOFTEXT, 100257),
                (FIM_PREFIX, 100258),
                (FIM_MIDDLE, 100259),
                (FIM_SUFFIX, 100260),
                (ENDOFPROMPT, 100276),
            ],
            EncodingName::O200kBase => &[(ENDOFTEXT, 199999), (ENDOFPROMPT, 200018)],
            EncodingName::O200kHarmony => &[
                (ENDOFTEXT, 199999),
                (ENDOFPROMPT, 200018),
                ("<|startoftext|>", 199998),
                ("<|return|>", 200002),
                ("<|constrain|>", 200003),
                ("<|channel|>", 200005),
                ("<|start|>", 200006),
                ("<|end|>", 200007),
                ("<|message|>", 200008),
                ("<|call|>", 200012),
            ],
        };
        let mut out: Vec<(String, Rank)> = list.iter().map(|&(s, r)| (s.to_string(), r)).collect();
        if self == EncodingName::O200kHarmony {
            // Every other id from 200000 to 201087 is `<|reserved_ID|>`;
            // as in tiktoken, 200018 is both `<|endofprompt|>` (what it
            // decodes to) and `<|reserved_200018|>`.
            let named: Vec<Rank> = out.iter().map(|s| s.1).filter(|&id| id != 200018).collect();
            out.extend(
                (200000..201088)
                    .filter(|id| !named.contains(id))
                    .map(|id| (format!("<|reserved_{id}|>"), id)),
            );
        }
        out
    }

    /// tiktoken's `explicit_n_vocab`, where it sets one.
    pub fn explicit_n_vocab(self) -> Option<u32> {
        match self {
            EncodingName::Gpt2 | EncodingName::R50kBase => Some(50257),
            EncodingName::P50kBase => Some(50281),
            _ => None,
        }
    }

    /// Vocabulary size (highest id + 1), as tiktoken's `n_vocab`.
    pub fn n_vocab(self) -> u32 {
        match self {
            EncodingName::Gpt2 | EncodingName::R50kBase => 50257,
            EncodingName::P50kBase => 50281,
            EncodingName::P50kEdit => 50284,
            EncodingName::Cl100kBase => 100277,
            EncodingName::O200kBase => 200019,
            EncodingName::O200kHarmony => 201088,
        }
    }

    /// The registry name of the `.tiktoken` file (None for gpt2).
    pub(crate) fn tiktoken_file(self) -> Option<&'static str> {
        match self {
            EncodingName::Gpt2 => None,
            EncodingName::R50kBase => Some("r50k_base"),
            EncodingName::P50kBase | EncodingName::P50kEdit => Some("p50k_base"),
            EncodingName::Cl100kBase => Some("cl100k_base"),
            EncodingName::O200kBase | EncodingName::O200kHarmony => Some("o200k_base"),
        }
    }
}

impl std::fmt::Display for EncodingName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EncodingName {
    type Err = TokenizerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EncodingName::from_name(s)
    }
}

/// A loaded named encoding; derefs to its [`CoreBpe`].
#[derive(Debug, Clone)]
pub struct Encoding {
    name: EncodingName,
    bpe: CoreBpe,
}

impl Encoding {
    /// Build a built-in encoding from its ranks (checks tiktoken's vocabulary size).
    pub fn from_ranks(name: EncodingName, ranks: &Ranks) -> Result<Encoding, TokenizerError> {
        let specials = name.special_tokens();
        if let Some(n) = name.explicit_n_vocab() {
            if ranks.len() + specials.len() != n as usize {
                return Err(TokenizerError::format(
                    name,
                    format!(
                        "{} ranks + {} special tokens, but {name} has {n} tokens",
                        ranks.len(),
                        specials.len()
                    ),
                ));
            }
        }
        let bpe = CoreBpe::new(ranks, specials, Pattern::builtin(name.builtin_pattern()))
            .map_err(|e| e.with_origin(name))?;
        if bpe.n_vocab() != name.n_vocab() {
            return Err(TokenizerError::format(
                name,
                format!(
                    "highest id + 1 is {}, but {name} has n_vocab {}",
                    bpe.n_vocab(),
                    name.n_vocab()
                ),
            ));
        }
        Ok(Encoding { name, bpe })
    }

    /// Which encoding this is.
    pub fn name(&self) -> EncodingName {
        self.name
    }

    /// The encoder.
    pub fn bpe(&self) -> &CoreBpe {
        &self.bpe
    }

    /// The encoder, owned.
    pub fn into_bpe(self) -> CoreBpe {
        self.bpe
    }
}

impl Deref for Encoding {
    type Target = CoreBpe;
    fn deref(&self) -> &CoreBpe {
        &self.bpe
    }
}
