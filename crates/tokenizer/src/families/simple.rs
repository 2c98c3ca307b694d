//! Shared plumbing of the vocabulary-learning families (char, word, regex):
//! the `<UNK>` token, frequency-ranked vocabularies (from [`PieceCounts`]),
//! and the JSON vocabulary file.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::read_file;
use crate::{PieceCounts, TokenizerError};

/// The text of the unknown token. Word and regex vocabularies always have it
/// (id 0); character vocabularies have it when built with [`Unknown::Unk`](crate::Unknown::Unk)
/// (as the last id). It decodes to this literal text. No learned token can be
/// equal to it: word and regex pieces split `<` and `>` off, and characters are
/// single characters.
pub const UNK: &str = "<UNK>";

/// How a word or regex vocabulary is cut from the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VocabOptions {
    /// Keep pieces seen at least this many times (at least 1).
    pub min_count: u64,
    /// At most this many ids in all, `<UNK>` included (at least 1). `None`: no limit.
    pub max_size: Option<usize>,
}

impl Default for VocabOptions {
    fn default() -> Self {
        VocabOptions {
            min_count: 1,
            max_size: None,
        }
    }
}

/// A vocabulary of string pieces with `<UNK>` at id 0.
#[derive(Debug, Clone)]
pub(crate) struct PieceVocab {
    tokens: Vec<String>,
    index: HashMap<String, u32>,
}

impl PieceVocab {
    /// `<UNK>`, then the most frequent pieces (ties in byte order).
    pub(crate) fn learn(
        counts: &PieceCounts,
        opts: VocabOptions,
        family: &'static str,
    ) -> Result<Self, TokenizerError> {
        if opts.min_count == 0 {
            return Err(TokenizerError::Config(
                "min_count must be at least 1".into(),
            ));
        }
        if opts.max_size == Some(0) {
            return Err(TokenizerError::Config(
                "max_size must be at least 1 (it counts <UNK>)".into(),
            ));
        }
        if counts.total() == 0 {
            return Err(TokenizerError::EmptyCorpus { family });
        }
        let limit = opts.max_size.map_or(usize::MAX, |m| m - 1);
        let mut tokens = vec![UNK.to_string()];
        tokens.extend(
            counts
                .ranked()
                .into_iter()
                .filter(|&(_, n)| n >= opts.min_count)
                .take(limit)
                .map(|(p, _)| p.to_string()),
        );
        if tokens.len() == 1 && opts.max_size != Some(1) {
            return Err(TokenizerError::Config(format!(
                "no {family} piece occurs at least {} times in the corpus; lower min_count",
                opts.min_count
            )));
        }
        Self::from_tokens(tokens).map_err(TokenizerError::Config)
    }

    /// From a saved token list; `tokens[0]` must be `<UNK>`, no duplicates.
    pub(crate) fn from_tokens(tokens: Vec<String>) -> Result<Self, String> {
        if tokens.first().map(String::as_str) != Some(UNK) {
            return Err(format!("the first token must be {UNK}"));
        }
        let mut index = HashMap::with_capacity(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            if t.is_empty() {
                return Err(format!("token {i} is empty"));
            }
            if i > 0 && t == UNK {
                return Err(format!("{UNK} appears again as token {i}"));
            }
            if index.insert(t.clone(), i as u32).is_some() {
                return Err(format!("token {t:?} appears twice"));
            }
        }
        Ok(PieceVocab { tokens, index })
    }

    /// The id of `piece`, or 0 (`<UNK>`).
    #[inline]
    pub(crate) fn id(&self, piece: &str) -> u32 {
        self.index.get(piece).copied().unwrap_or(0)
    }

    pub(crate) fn tokens(&self) -> &[String] {
        &self.tokens
    }

    pub(crate) fn len(&self) -> usize {
        self.tokens.len()
    }

    /// The texts of `ids` joined by `sep`; an unknown id is an error
    /// naming the tokenizer (`name`).
    pub(crate) fn join(
        &self,
        ids: &[u32],
        sep: &[u8],
        name: impl Fn() -> String,
    ) -> Result<Vec<u8>, TokenizerError> {
        let mut out = Vec::new();
        for (i, &id) in ids.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(sep);
            }
            out.extend_from_slice(self.token(id, &name)?.as_bytes());
        }
        Ok(out)
    }

    pub(crate) fn token(
        &self,
        id: u32,
        name: impl FnOnce() -> String,
    ) -> Result<&str, TokenizerError> {
        self.tokens
            .get(id as usize)
            .map(String::as_str)
            .ok_or_else(|| TokenizerError::UnknownId {
                id,
                position: None,
                tokenizer: name(),
                vocab_size: self.tokens.len(),
            })
    }
}

/// The JSON vocabulary file of the char, word and regex families.
///
/// ```json
/// {"format": "towel-vocab", "version": 1, "family": "word",
///  "unk_id": 0, "tokens": ["<UNK>", "the", ","]}
/// ```
/// `tokens[i]` is the text of id `i`. The regex family adds `"pattern"`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct VocabFile {
    pub format: String,
    pub version: u32,
    pub family: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    pub unk_id: Option<u32>,
    pub tokens: Vec<String>,
}

pub(crate) const FORMAT: &str = "towel-vocab";

impl VocabFile {
    pub(crate) fn new(
        family: &str,
        pattern: Option<String>,
        unk_id: Option<u32>,
        tokens: Vec<String>,
    ) -> Self {
        VocabFile {
            format: FORMAT.into(),
            version: 1,
            family: family.into(),
            pattern,
            unk_id,
            tokens,
        }
    }

    /// Write atomically (a reader never sees half a file).
    pub(crate) fn save(&self, path: &Path) -> Result<(), TokenizerError> {
        let json = serde_json::to_vec_pretty(self).expect("plain data serializes");
        Ok(towel_data::write_atomic(path, &json)?)
    }

    /// Read a file and check that it is a vocabulary of `family`.
    pub(crate) fn load(path: &Path, family: &str) -> Result<Self, TokenizerError> {
        let bytes = read_file(path)?;
        Self::parse(&bytes, family).map_err(|message| bad_vocab_file(path, message))
    }

    /// The `"family"` of a vocabulary file, checking only the envelope.
    pub(crate) fn peek_family(bytes: &[u8]) -> Result<String, String> {
        #[derive(Deserialize)]
        struct Envelope {
            format: String,
            family: String,
        }
        let e: Envelope = serde_json::from_slice(towel_data::text::strip_bom_bytes(bytes))
            .map_err(|e| e.to_string())?;
        if e.format != FORMAT {
            return Err(format!("format is {:?}, expected {FORMAT:?}", e.format));
        }
        Ok(e.family)
    }

    pub(crate) fn parse(bytes: &[u8], family: &str) -> Result<Self, String> {
        let bytes = towel_data::text::strip_bom_bytes(bytes);
        let file: VocabFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if file.format != FORMAT {
            return Err(format!("format is {:?}, expected {FORMAT:?}", file.format));
        }
        if file.version != 1 {
            return Err(format!(
                "version {} is newer than this towel understands (1)",
                file.version
            ));
        }
        if file.family != family {
            return Err(format!(
                "this is a {} vocabulary, not a {family} one",
                file.family
            ));
        }
        if file.tokens.is_empty() {
            return Err("the token list is empty".into());
        }
        if let Some(u) = file.unk_id {
            if file.tokens.get(u as usize).map(String::as_str) != Some(UNK) {
                return Err(format!("unk_id {u} does not point at {UNK}"));
            }
        }
        Ok(file)
    }
}

/// The error for a vocabulary file that is malformed or of another family.
pub(crate) fn bad_vocab_file(path: &Path, message: String) -> TokenizerError {
    TokenizerError::format(
        path.display(),
        format!("not a valid towel vocabulary file: {message}"),
    )
}
