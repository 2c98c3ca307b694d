//! Text to terms: lowercase → token pattern → stopword removal → stemming.
//!
//! This is the order both peers apply: scikit-learn's `CountVectorizer`
//! analyzer (preprocess = lowercase, tokenize = `re.findall(token_pattern)`,
//! then drop stop words) and `bm25s.tokenize` (lowercase, `findall`, drop
//! stopwords, then stem the remaining unique words with PyStemmer).
//!
//! The default token pattern `(?u)\b\w\w+\b` is not run through a regex
//! engine: it matches exactly the maximal runs of two or more word characters,
//! and "word character" must mean what it means in Python's `re` (`str.isalnum()`
//! or `_`), which differs from the Unicode `\w` of Rust's `regex` crate on
//! combining marks (`\u{301}` is `\w` in Rust, not in Python) and on numeric
//! symbols (`²` is `\w` in Python, not in Rust). So towel scans for runs with a
//! table generated from Python (`word_chars.rs`, written by
//! `tests/fixtures/gen_word_chars.py`), which is both exact and faster than a
//! regex. A custom pattern ([`AnalyzerConfig::token_pattern`]) uses the
//! `regex` crate, with its own Unicode semantics.
//!
//! ```
//! use towel_retrieval::analyzer::{Analyzer, AnalyzerConfig};
//! let a = Analyzer::new(AnalyzerConfig::bm25s_english()).unwrap();
//! assert_eq!(a.analyze("The cats are running!"), vec!["cat", "run"]);
//! let plain = Analyzer::new(AnalyzerConfig::default()).unwrap();
//! assert_eq!(plain.analyze("x² naïve, a b"), vec!["x²", "naïve"]);
//! ```

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::RetrievalError;
use crate::stopwords;
use crate::word_chars::WORD_RANGES;

/// The token pattern scikit-learn and bm25s use by default.
pub const DEFAULT_TOKEN_PATTERN: &str = r"(?u)\b\w\w+\b";

/// Which stopwords to remove (after lowercasing, before stemming).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Stopwords {
    /// Keep every token.
    #[default]
    None,
    /// scikit-learn's `ENGLISH_STOP_WORDS` (318 words).
    Sklearn,
    /// bm25s's `STOPWORDS_EN` (33 words).
    Bm25s,
    /// A list of your own (compared after lowercasing the text, so give them in lowercase).
    Custom(Vec<String>),
}

impl Stopwords {
    /// The words of this list.
    pub fn words(&self) -> Vec<&str> {
        match self {
            Stopwords::None => Vec::new(),
            Stopwords::Sklearn => stopwords::SKLEARN.to_vec(),
            Stopwords::Bm25s => stopwords::BM25S.to_vec(),
            Stopwords::Custom(w) => w.iter().map(String::as_str).collect(),
        }
    }
}

impl FromStr for Stopwords {
    type Err = RetrievalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Stopwords::None),
            "sklearn" | "scikit-learn" => Ok(Stopwords::Sklearn),
            "bm25s" => Ok(Stopwords::Bm25s),
            _ => Err(RetrievalError::param(
                "stopwords",
                format!("`{s}` is not a stopword list; use sklearn, bm25s or none"),
            )),
        }
    }
}

impl fmt::Display for Stopwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stopwords::None => f.write_str("none"),
            Stopwords::Sklearn => f.write_str("sklearn"),
            Stopwords::Bm25s => f.write_str("bm25s"),
            Stopwords::Custom(w) => write!(f, "custom ({} words)", w.len()),
        }
    }
}

/// Which stemmer to apply to each remaining token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StemmerKind {
    /// No stemming.
    #[default]
    None,
    /// The Snowball English ("Porter2") stemmer, as PyStemmer's `Stemmer("english")`.
    English,
}

impl FromStr for StemmerKind {
    type Err = RetrievalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(StemmerKind::None),
            "english" | "snowball" | "porter2" => Ok(StemmerKind::English),
            _ => Err(RetrievalError::param(
                "stemmer",
                format!("`{s}` is not a stemmer; use english or none"),
            )),
        }
    }
}

impl fmt::Display for StemmerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StemmerKind::None => "none",
            StemmerKind::English => "english",
        })
    }
}

/// Everything that decides which terms a text gives. Saved in every index, so a
/// query is analyzed exactly as the documents were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzerConfig {
    /// Lowercase the text first (Unicode full lowercase, as Python's `str.lower`).
    pub lowercase: bool,
    /// `None`: the default `(?u)\b\w\w+\b` with Python semantics. `Some(re)`: a
    /// `regex`-crate pattern; the token is capture group 1 if there is one, else
    /// the whole match (as scikit-learn does).
    pub token_pattern: Option<String>,
    /// Stopwords removed after lowercasing, before stemming.
    pub stopwords: Stopwords,
    /// Stemmer applied last.
    pub stemmer: StemmerKind,
}

impl Default for AnalyzerConfig {
    /// scikit-learn's `TfidfVectorizer()` defaults: lowercase, default pattern,
    /// no stopwords, no stemming.
    fn default() -> Self {
        AnalyzerConfig {
            lowercase: true,
            token_pattern: None,
            stopwords: Stopwords::None,
            stemmer: StemmerKind::None,
        }
    }
}

impl AnalyzerConfig {
    /// `bm25s.tokenize(stopwords="en", stemmer=Stemmer("english"))`.
    pub fn bm25s_english() -> Self {
        AnalyzerConfig {
            stopwords: Stopwords::Bm25s,
            stemmer: StemmerKind::English,
            ..AnalyzerConfig::default()
        }
    }

    /// `TfidfVectorizer(stop_words="english")`.
    pub fn sklearn_english() -> Self {
        AnalyzerConfig {
            stopwords: Stopwords::Sklearn,
            ..AnalyzerConfig::default()
        }
    }
}

/// A ready-to-use analyzer (compiled pattern, stopword set, stemmer).
pub struct Analyzer {
    config: AnalyzerConfig,
    regex: Option<regex::Regex>,
    stop: rustc_hash::FxHashSet<String>,
    stemmer: Option<snowstem::Stemmer>,
}

impl fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Analyzer")
            .field("config", &self.config)
            .finish()
    }
}

impl Clone for Analyzer {
    fn clone(&self) -> Self {
        // The config was valid when `self` was built, so it still is.
        Analyzer::new(self.config.clone()).expect("config already validated")
    }
}

impl Analyzer {
    /// Build an analyzer; fails only on a custom token pattern that does not compile.
    pub fn new(config: AnalyzerConfig) -> Result<Self, RetrievalError> {
        let regex = match &config.token_pattern {
            None => None,
            Some(p) if p == DEFAULT_TOKEN_PATTERN => None,
            Some(p) => Some(regex::Regex::new(p).map_err(|e| {
                RetrievalError::param("token pattern", format!("`{p}` is not a valid regex: {e}"))
            })?),
        };
        let stop = config
            .stopwords
            .words()
            .into_iter()
            .map(str::to_string)
            .collect();
        let stemmer = match config.stemmer {
            StemmerKind::None => None,
            StemmerKind::English => Some(snowstem::Stemmer::create(snowstem::Algorithm::English)),
        };
        Ok(Analyzer {
            config,
            regex,
            stop,
            stemmer,
        })
    }

    /// The configuration this analyzer was built from.
    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// Whether `word` (already lowercased) is a stopword.
    pub fn is_stopword(&self, word: &str) -> bool {
        !self.stop.is_empty() && self.stop.contains(word)
    }

    /// The stem of one word (the word itself without a stemmer).
    pub fn stem<'a>(&self, word: &'a str) -> Cow<'a, str> {
        match &self.stemmer {
            Some(s) => s.stem(word),
            None => Cow::Borrowed(word),
        }
    }

    /// Call `f` with each word of `text` that survives lowercasing, the token
    /// pattern and the stopword list, in order, before stemming.
    pub fn for_each_word(&self, text: &str, mut f: impl FnMut(&str)) {
        self.for_each_token(text, |w| {
            if !self.is_stopword(w) {
                f(w)
            }
        });
    }

    /// Call `f` with each token of `text` after lowercasing and the token
    /// pattern, stopwords included. Indexers use this with a word → term cache
    /// that also remembers stopwords, so each distinct word is looked up once
    /// and stemmed once.
    pub fn for_each_token(&self, text: &str, mut f: impl FnMut(&str)) {
        let lowered: Cow<str> = if self.config.lowercase {
            lowercase(text)
        } else {
            Cow::Borrowed(text)
        };
        match &self.regex {
            None => word_runs(&lowered, &mut f),
            Some(re) => {
                if re.captures_len() > 1 {
                    for caps in re.captures_iter(&lowered) {
                        if let Some(m) = caps.get(1) {
                            f(m.as_str());
                        }
                    }
                } else {
                    for m in re.find_iter(&lowered) {
                        f(m.as_str());
                    }
                }
            }
        }
    }

    /// The terms of `text`: the full pipeline, stems included.
    pub fn analyze(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_word(text, |w| out.push(self.stem(w).into_owned()));
        out
    }
}

/// Lowercase as Python's `str.lower()` (full Unicode mapping, final sigma),
/// without allocating when there is nothing to change.
fn lowercase(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else {
        Cow::Owned(text.to_lowercase())
    }
}

/// ASCII word characters for Python's `\w`: `[0-9A-Za-z_]`.
const fn ascii_table() -> [bool; 128] {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || c == b'_';
        i += 1;
    }
    t
}
static ASCII_WORD: [bool; 128] = ascii_table();

/// Whether Python's `re` matches `c` with `\w` (Unicode mode).
#[inline]
pub fn is_word_char(c: char) -> bool {
    let u = c as u32;
    if u < 128 {
        return ASCII_WORD[u as usize];
    }
    WORD_RANGES
        .binary_search_by(|&(lo, hi)| {
            if hi < u {
                std::cmp::Ordering::Less
            } else if lo > u {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Maximal runs of two or more word characters: exactly the matches of
/// `(?u)\b\w\w+\b` under Python's `re`.
fn word_runs(text: &str, f: &mut impl FnMut(&str)) {
    let bytes = text.as_bytes();
    let mut start = 0usize;
    let mut chars = 0usize; // length of the current run, in chars
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        let (word, width) = if b < 128 {
            (ASCII_WORD[b as usize], 1)
        } else {
            // Decode one char; `text` is valid UTF-8.
            let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
            (is_word_char(c), c.len_utf8())
        };
        if word {
            if chars == 0 {
                start = i;
            }
            chars += 1;
        } else {
            if chars >= 2 {
                f(&text[start..i]);
            }
            chars = 0;
        }
        i += width;
    }
    if chars >= 2 {
        f(&text[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_match_python_on_small_cases() {
        let a = Analyzer::new(AnalyzerConfig::default()).unwrap();
        assert_eq!(
            a.analyze("a bc d_e ÉCOLE x²"),
            vec!["bc", "d_e", "école", "x²"]
        );
        assert_eq!(a.analyze("e\u{301}te"), vec!["te"]);
        assert!(a.analyze("").is_empty());
    }

    #[test]
    fn custom_pattern_with_group() {
        let cfg = AnalyzerConfig {
            token_pattern: Some(r"(\w+)-x".into()),
            ..AnalyzerConfig::default()
        };
        let a = Analyzer::new(cfg).unwrap();
        assert_eq!(a.analyze("ab-x cd-y e-x"), vec!["ab", "e"]);
    }

    #[test]
    fn bad_pattern_is_an_error() {
        let cfg = AnalyzerConfig {
            token_pattern: Some("(".into()),
            ..AnalyzerConfig::default()
        };
        let e = Analyzer::new(cfg).unwrap_err().to_string();
        assert!(e.contains("not a valid regex"), "{e}");
    }
}
