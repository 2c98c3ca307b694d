//! Pre-tokenization: split text into pieces before byte-pair merging.
//!
//! GPT-style tokenizers never merge across the boundaries that a regular
//! expression draws between words, numbers, punctuation and whitespace. That
//! is why `" the"` (with its leading space) is one token and why `"don't"`
//! becomes `"don"` + `"'t"`. The three patterns OpenAI uses are built in
//! ([`Builtin`]); any other regex works through [`Pattern::new`].
//!
//! ```
//! use towel_tokenizer::Pattern;
//! let p = Pattern::gpt2();
//! let pieces: Vec<&str> = p.pieces("Hello world, don't panic!").collect::<Result<_, _>>().unwrap();
//! assert_eq!(pieces, ["Hello", " world", ",", " don", "'t", " panic", "!"]);
//! ```

use crate::TokenizerError;

/// GPT-2's pattern, also used by r50k_base and p50k_base.
pub const GPT2_PATTERN: &str =
    r"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s";

/// cl100k_base's pattern (GPT-3.5, GPT-4).
pub const CL100K_PATTERN: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";

/// o200k_base's pattern (GPT-4o).
pub const O200K_PATTERN: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
);

/// The built-in patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// GPT-2, r50k_base, p50k_base.
    Gpt2,
    /// cl100k_base.
    Cl100k,
    /// o200k_base.
    O200k,
}

impl Builtin {
    /// The regex source of this pattern, exactly as tiktoken spells it.
    pub fn regex(self) -> &'static str {
        match self {
            Builtin::Gpt2 => GPT2_PATTERN,
            Builtin::Cl100k => CL100K_PATTERN,
            Builtin::O200k => O200K_PATTERN,
        }
    }

    /// The short name (`gpt2`, `cl100k`, `o200k`).
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Gpt2 => "gpt2",
            Builtin::Cl100k => "cl100k",
            Builtin::O200k => "o200k",
        }
    }

    /// Parse a short name: `gpt2` (also `r50k`, `p50k`), `cl100k`, `o200k`.
    pub fn from_name(name: &str) -> Option<Builtin> {
        match name {
            "gpt2" | "r50k" | "r50k_base" | "p50k" | "p50k_base" => Some(Builtin::Gpt2),
            "cl100k" | "cl100k_base" => Some(Builtin::Cl100k),
            "o200k" | "o200k_base" => Some(Builtin::O200k),
            _ => None,
        }
    }
}

/// A compiled pre-tokenization pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    builtin: Option<Builtin>,
    source: String,
    regex: fancy_regex::Regex,
}

impl Pattern {
    /// A built-in pattern.
    pub fn builtin(b: Builtin) -> Pattern {
        let regex = fancy_regex::Regex::new(b.regex()).expect("built-in patterns compile");
        Pattern {
            builtin: Some(b),
            source: b.regex().to_string(),
            regex,
        }
    }

    /// GPT-2's pattern (also r50k_base, p50k_base).
    pub fn gpt2() -> Pattern {
        Pattern::builtin(Builtin::Gpt2)
    }

    /// cl100k_base's pattern.
    pub fn cl100k() -> Pattern {
        Pattern::builtin(Builtin::Cl100k)
    }

    /// o200k_base's pattern.
    pub fn o200k() -> Pattern {
        Pattern::builtin(Builtin::O200k)
    }

    /// Any regex fancy-regex accepts. A source equal to a built-in pattern
    /// gives that built-in.
    pub fn new(source: &str) -> Result<Pattern, TokenizerError> {
        for b in [Builtin::Gpt2, Builtin::Cl100k, Builtin::O200k] {
            if source == b.regex() {
                return Ok(Pattern::builtin(b));
            }
        }
        let regex = fancy_regex::Regex::new(source)
            .map_err(|e| TokenizerError::BadPattern(e.to_string()))?;
        Ok(Pattern {
            builtin: None,
            source: source.to_string(),
            regex,
        })
    }

    /// The regex source.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Which built-in pattern this is, if any.
    pub fn builtin_kind(&self) -> Option<Builtin> {
        self.builtin
    }

    /// The pieces of `text`, in order. Together they cover every character of
    /// `text` that the pattern matches (for the built-in patterns: all of it).
    pub fn pieces<'p, 't>(&'p self, text: &'t str) -> Pieces<'p, 't> {
        Pieces {
            inner: self.regex.find_iter(text),
        }
    }
}

/// Iterator over the pieces of a text; see [`Pattern::pieces`].
pub struct Pieces<'p, 't> {
    inner: fancy_regex::Matches<'p, 't, str>,
}

impl<'t> Iterator for Pieces<'_, 't> {
    type Item = Result<&'t str, TokenizerError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|m| {
            m.map(|m| m.as_str())
                .map_err(|e| TokenizerError::PatternFailed(e.to_string()))
        })
    }
}
