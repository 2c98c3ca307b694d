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
//!
//! ## Two engines
//!
//! tiktoken runs these patterns with fancy-regex. towel runs the built-in
//! ones with hand-written scanners (`pretok/scan.rs`) that give exactly the pieces
//! fancy-regex gives, on every input, but an order of magnitude faster,
//! in linear time, and without the backtracking-stack failure that
//! fancy-regex hits on long whitespace runs with o200k's pattern. Their
//! character classes come from `regex-syntax`, the parser behind
//! fancy-regex ([`unicode`]). User-supplied patterns go to fancy-regex, and
//! [`Pattern::regex_only`] forces fancy-regex for a built-in pattern (for
//! differential tests and benchmarks).
//!
//! ## Fast paths
//!
//! [`Pattern::pieces`] yields `Result`s because a user regex can fail on an
//! input. Hot loops (a BPE encoder) can use [`Pattern::for_each_piece`]
//! (one closure call per piece, one `Result` per text), or, for a
//! built-in, [`Builtin::pieces`] and [`Builtin::next_piece_end`], which
//! cannot fail.

mod scan;
pub mod unicode;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// GPT-2, r50k_base, p50k_base.
    Gpt2,
    /// cl100k_base.
    Cl100k,
    /// o200k_base.
    O200k,
}

impl Builtin {
    /// All built-in patterns.
    pub const ALL: [Builtin; 3] = [Builtin::Gpt2, Builtin::Cl100k, Builtin::O200k];

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

    /// The end (byte offset) of the piece that starts at byte `pos` of
    /// `text`. Always `> pos`, so `while pos < text.len() { let end =
    /// b.next_piece_end(text, pos); ...; pos = end }` walks all pieces.
    ///
    /// # Panics
    /// If `pos >= text.len()` or `pos` is not on a character boundary.
    ///
    /// ```
    /// use towel_tokenizer::Builtin;
    /// let text = "Hello world";
    /// assert_eq!(Builtin::Gpt2.next_piece_end(text, 0), 5);
    /// assert_eq!(Builtin::Gpt2.next_piece_end(text, 5), 11);
    /// ```
    #[inline]
    pub fn next_piece_end(self, text: &str, pos: usize) -> usize {
        assert!(
            pos < text.len() && text.is_char_boundary(pos),
            "next_piece_end: position {pos} is not the start of a character of a {}-byte text",
            text.len()
        );
        scan::piece_end(self, unicode::table(), text.as_bytes(), pos)
    }

    /// The pieces of `text`, from the dedicated scanner (never fails).
    ///
    /// ```
    /// use towel_tokenizer::Builtin;
    /// let pieces: Vec<&str> = Builtin::O200k.pieces("I'M here  now").collect();
    /// assert_eq!(pieces, ["I'M", " here", " ", " now"]);
    /// ```
    pub fn pieces(self, text: &str) -> BuiltinPieces<'_> {
        BuiltinPieces {
            kind: self,
            table: unicode::table(),
            text,
            pos: 0,
        }
    }

    /// Call `f` on every piece of `text`, in order (the fastest way to walk
    /// the pieces of a built-in pattern).
    #[inline]
    pub fn for_each_piece<'t>(self, text: &'t str, mut f: impl FnMut(&'t str)) {
        scan::for_each(self, unicode::table(), text.as_bytes(), |s, e| {
            f(&text[s..e])
        });
    }

    /// [`Builtin::for_each_piece`] with each piece as its byte range in
    /// `text` (what the BPE encoder needs: it reads the bytes around a piece
    /// in whole words, and needs no check that the piece is on character
    /// boundaries, which the scanner guarantees).
    #[inline]
    pub fn for_each_piece_range(self, text: &str, f: impl FnMut(usize, usize)) {
        scan::for_each(self, unicode::table(), text.as_bytes(), f);
    }
}

/// Which engine a [`Pattern`] runs on.
#[derive(Debug, Clone)]
enum Engine {
    /// A built-in pattern's dedicated scanner.
    Scanner(Builtin),
    /// fancy-regex.
    Regex(Box<fancy_regex::Regex>),
}

/// A compiled pre-tokenization pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    builtin: Option<Builtin>,
    source: String,
    engine: Engine,
}

impl Pattern {
    /// A built-in pattern, on its dedicated scanner.
    pub fn builtin(b: Builtin) -> Pattern {
        Pattern {
            builtin: Some(b),
            source: b.regex().to_string(),
            engine: Engine::Scanner(b),
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
    /// gives that built-in (on its scanner).
    pub fn new(source: &str) -> Result<Pattern, TokenizerError> {
        match Builtin::ALL.into_iter().find(|b| b.regex() == source) {
            Some(b) => Ok(Pattern::builtin(b)),
            None => Pattern::new_regex(source),
        }
    }

    /// Any regex, always run by fancy-regex, even when it is a built-in
    /// pattern (then [`Pattern::builtin_kind`] still names it).
    pub fn new_regex(source: &str) -> Result<Pattern, TokenizerError> {
        let regex = fancy_regex::Regex::new(source)
            .map_err(|e| TokenizerError::BadPattern(e.to_string()))?;
        Ok(Pattern {
            builtin: Builtin::ALL.into_iter().find(|b| b.regex() == source),
            source: source.to_string(),
            engine: Engine::Regex(Box::new(regex)),
        })
    }

    /// A built-in pattern run by fancy-regex instead of its scanner, as
    /// tiktoken runs it: the reference the scanners are tested and
    /// benchmarked against.
    pub fn regex_only(b: Builtin) -> Pattern {
        Pattern::new_regex(b.regex()).expect("built-in patterns compile")
    }

    /// The regex source.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Which built-in pattern this is, if any.
    pub fn builtin_kind(&self) -> Option<Builtin> {
        self.builtin
    }

    /// Whether this pattern runs on a dedicated scanner (built-in patterns,
    /// unless made with [`Pattern::regex_only`] or [`Pattern::new_regex`]).
    pub fn uses_scanner(&self) -> bool {
        matches!(self.engine, Engine::Scanner(_))
    }

    /// The pieces of `text`, in order. Together they cover every character of
    /// `text` that the pattern matches (for the built-in patterns: all of it).
    /// On the scanners, no item is an error. fancy-regex may yield one error
    /// (it gave up on the input); the iterator ends after it.
    pub fn pieces<'p, 't>(&'p self, text: &'t str) -> Pieces<'p, 't> {
        Pieces {
            inner: match &self.engine {
                Engine::Scanner(b) => PiecesInner::Scanner(b.pieces(text)),
                Engine::Regex(re) => PiecesInner::Regex(Some(re.find_iter(text)), 0),
            },
        }
    }

    /// Call `f` on every piece of `text`, in order: the fast path for hot
    /// loops (no `Result` per piece). On a scanner this never fails; on
    /// fancy-regex, an error stops the walk (the pieces before it have
    /// been passed to `f`).
    ///
    /// ```
    /// use towel_tokenizer::Pattern;
    /// let mut n = 0;
    /// Pattern::cl100k().for_each_piece("one two  three", |_| n += 1).unwrap();
    /// assert_eq!(n, 4); // "one", " two", " ", " three"
    /// ```
    #[inline]
    pub fn for_each_piece<'t>(
        &self,
        text: &'t str,
        mut f: impl FnMut(&'t str),
    ) -> Result<(), TokenizerError> {
        match &self.engine {
            Engine::Scanner(b) => {
                b.for_each_piece(text, f);
                Ok(())
            }
            Engine::Regex(re) => {
                // Where the last piece ended: where the engine gave up.
                let mut end = 0;
                for m in re.find_iter(text) {
                    let m = m.map_err(|e| pattern_failed(e, end))?;
                    end = m.end();
                    f(m.as_str());
                }
                Ok(())
            }
        }
    }
}

/// The engine gave up after the piece that ended at byte `offset`.
fn pattern_failed(e: fancy_regex::Error, offset: usize) -> TokenizerError {
    TokenizerError::PatternFailed {
        offset,
        reason: e.to_string(),
    }
}

/// Iterator over the pieces of a text; see [`Pattern::pieces`].
pub struct Pieces<'p, 't> {
    inner: PiecesInner<'p, 't>,
}

enum PiecesInner<'p, 't> {
    Scanner(BuiltinPieces<'t>),
    /// `None` after an error.
    /// The matches and where the last one ended.
    Regex(Option<fancy_regex::Matches<'p, 't, str>>, usize),
}

impl<'t> Iterator for Pieces<'_, 't> {
    type Item = Result<&'t str, TokenizerError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            PiecesInner::Scanner(it) => it.next().map(Ok),
            PiecesInner::Regex(slot, end) => match slot.as_mut()?.next()? {
                Ok(m) => {
                    *end = m.end();
                    Some(Ok(m.as_str()))
                }
                Err(e) => {
                    *slot = None;
                    Some(Err(pattern_failed(e, *end)))
                }
            },
        }
    }
}

/// Iterator over the pieces of a built-in pattern; see [`Builtin::pieces`].
#[derive(Clone)]
pub struct BuiltinPieces<'t> {
    kind: Builtin,
    table: &'static unicode::ClassTable,
    text: &'t str,
    pos: usize,
}

impl<'t> Iterator for BuiltinPieces<'t> {
    type Item = &'t str;

    #[inline]
    fn next(&mut self) -> Option<&'t str> {
        let start = self.pos;
        if start >= self.text.len() {
            return None;
        }
        let end = scan::piece_end(self.kind, self.table, self.text.as_bytes(), start);
        self.pos = end;
        Some(&self.text[start..end])
    }
}

impl std::iter::FusedIterator for BuiltinPieces<'_> {}
