//! The dedicated pre-tokenization scanners against fancy-regex, the engine
//! tiktoken runs the same patterns with: equal pieces on tricky and
//! arbitrary strings (proptest), on real corpora, and on pathological input.

#[path = "common/pathological.rs"]
mod pathological;

use std::sync::OnceLock;

use proptest::prelude::*;
use towel_tokenizer::pretok::unicode::{self, class_of};
use towel_tokenizer::pretok::{Builtin, Pattern};
use towel_tokenizer::TokenizerError;

use pathological::pathological;

/// The fancy-regex reference for each built-in, compiled once.
fn reference(b: Builtin) -> &'static Pattern {
    static REFS: OnceLock<Vec<Pattern>> = OnceLock::new();
    let refs = REFS.get_or_init(|| Builtin::ALL.map(Pattern::regex_only).to_vec());
    &refs[Builtin::ALL.iter().position(|&x| x == b).unwrap()]
}

fn regex_pieces(b: Builtin, text: &str) -> Result<Vec<&str>, TokenizerError> {
    reference(b).pieces(text).collect()
}

fn scanner_pieces(b: Builtin, text: &str) -> Vec<&str> {
    Pattern::builtin(b)
        .pieces(text)
        .collect::<Result<_, _>>()
        .expect("scanners never fail")
}

/// `None` when the scanner and fancy-regex split `text` alike, else a
/// description of the first difference.
fn difference(b: Builtin, text: &str) -> Option<String> {
    let mut expected = reference(b).pieces(text);
    let mut got = b.pieces(text);
    let mut at = 0usize;
    loop {
        let e = match expected.next() {
            None => None,
            Some(Ok(e)) => Some(e),
            Some(Err(err)) => return Some(format!("fancy-regex failed: {err}")),
        };
        let g = got.next();
        if e != g {
            let from = text.floor_char_boundary_compat(at.saturating_sub(20));
            let to = text.floor_char_boundary_compat((at + 40).min(text.len()));
            return Some(format!(
                "{}: at byte {at} (context {:?}) fancy-regex gives {e:?}, scanner {g:?}",
                b.name(),
                &text[from..to]
            ));
        }
        match e {
            None => return None,
            Some(e) => at += e.len(),
        }
    }
}

trait FloorBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}
impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

fn assert_same_all(text: &str) {
    for b in Builtin::ALL {
        if let Some(d) = difference(b, text) {
            panic!("{d}\ntext: {text:?}");
        }
    }
}

// ------------------------------------------------------------- tables ----

/// Every code point's flags against the classes `regex-syntax` parses from
/// the patterns' own spellings (written out here, independently of the
/// crate's list).
#[test]
fn unicode_tables_equal_regex_syntax() {
    let classes = [
        (unicode::WS, r"\s"),
        (unicode::L, r"\p{L}"),
        (unicode::N, r"\p{N}"),
        (unicode::UPPER, r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"),
        (unicode::LOWER, r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"),
        (unicode::CRLF, r"[\r\n]"),
    ];
    for (flag, source) in classes {
        let hir = regex_syntax::parse(source).unwrap();
        let ranges: Vec<(u32, u32)> = match hir.kind() {
            regex_syntax::hir::HirKind::Class(regex_syntax::hir::Class::Unicode(c)) => c
                .ranges()
                .iter()
                .map(|r| (r.start() as u32, r.end() as u32))
                .collect(),
            other => panic!("{source}: {other:?}"),
        };
        let mut member = vec![false; 0x11_0000];
        for (lo, hi) in ranges {
            member[lo as usize..=hi as usize].fill(true);
        }
        let mut count = 0;
        for cp in 0..0x11_0000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            assert_eq!(
                class_of(c) & flag != 0,
                member[cp as usize],
                "U+{cp:04X} in {source}"
            );
            count += member[cp as usize] as usize;
        }
        assert!(count > 0, "{source} is empty");
    }
    // The scanners rely on \s, \p{L} and \p{N} being disjoint.
    for cp in 0..0x11_0000u32 {
        if let Some(c) = char::from_u32(cp) {
            let f = class_of(c) & (unicode::WS | unicode::L | unicode::N);
            assert!(f.count_ones() <= 1, "U+{cp:04X} is in two of \\s, L, N");
        }
    }
}

#[test]
fn whitespace_is_the_regex_crates_white_space() {
    let ws = "\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}\u{2005}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}";
    for c in ws.chars() {
        assert_eq!(
            class_of(c),
            unicode::WS
                | if c == '\r' || c == '\n' {
                    unicode::CRLF
                } else {
                    0
                },
            "{c:?}"
        );
    }
    for c in ['\u{200b}', '\u{180e}', '\u{feff}', 'a', '_'] {
        assert_eq!(class_of(c) & unicode::WS, 0, "{c:?}");
    }
}

/// The case-insensitive contractions match whatever `regex-syntax`'s
/// `(?i)` folds each letter to (`ſ` for s, `K` for k).
#[test]
fn contractions_fold_like_regex_syntax() {
    let mut checked = 0;
    for letter in ['s', 't', 'd', 'm', 'l', 'v', 'e', 'r', 'k'] {
        let hir = regex_syntax::parse(&format!("(?i){letter}")).unwrap();
        let regex_syntax::hir::HirKind::Class(regex_syntax::hir::Class::Unicode(class)) =
            hir.kind()
        else {
            panic!("(?i){letter}: {hir:?}");
        };
        for r in class.ranges() {
            for c in r.start()..=r.end() {
                for text in [
                    format!("'{c}"),
                    format!("'{c}{c}"),
                    format!("'{c}e"),
                    format!("'{c}E"),
                    format!("'r{c}"),
                    format!("'V{c}"),
                    format!("'l{c}"),
                    format!("a'{c}"),
                    format!("DON'{c}"),
                    format!("don'{c}{c} x"),
                    format!("ǅ'{c}e"),
                    format!("x'{c}'{c}"),
                ] {
                    assert_same_all(&text);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 200);
    // And the folds the brief names really are exercised.
    assert_eq!(scanner_pieces(Builtin::Cl100k, "'ſ"), ["'ſ"]);
    assert_eq!(scanner_pieces(Builtin::O200k, "IT'ſ"), ["IT'ſ"]);
    // GPT-2's contractions are case-sensitive.
    assert_eq!(scanner_pieces(Builtin::Gpt2, "'ſ"), ["'", "ſ"]);
}

// ---------------------------------------------------- explicit pieces ----

#[test]
fn known_splits() {
    let cases: &[(Builtin, &str, &[&str])] = &[
        (
            Builtin::Gpt2,
            "Hello world, don't panic!",
            &["Hello", " world", ",", " don", "'t", " panic", "!"],
        ),
        // a space run gives back its last space, which joins the next word
        (Builtin::Gpt2, "a   b", &["a", "  ", " b"]),
        // ` ?\p{L}` only takes U+0020: a no-break space stays alone
        (Builtin::Gpt2, "a\u{a0}b", &["a", "\u{a0}", "b"]),
        (Builtin::Gpt2, "x\t\ty", &["x", "\t", "\t", "y"]),
        (Builtin::Gpt2, "end  ", &["end", "  "]),
        (
            Builtin::Cl100k,
            "I'VE 12345 apples\n\n  ok",
            &["I", "'VE", " ", "123", "45", " apples", "\n\n", " ", " ok"],
        ),
        (Builtin::Cl100k, "\tx (y)\r\n", &["\tx", " (", "y", ")\r\n"]),
        (
            Builtin::O200k,
            "HELLOworld CamelCase DON'T",
            &["HELLOworld", " Camel", "Case", " DON'T"],
        ),
        (
            Builtin::O200k,
            "ǅemal ʰa 中文abc",
            &["ǅemal", " ʰa", " 中文abc"],
        ),
        (Builtin::O200k, "a/b//\n\nc", &["a", "/b", "//\n\n", "c"]),
        (Builtin::O200k, "  \n  ", &["  \n", "  "]),
    ];
    for (b, text, want) in cases {
        assert_eq!(scanner_pieces(*b, text), *want, "{} on {text:?}", b.name());
        assert_eq!(
            regex_pieces(*b, text).unwrap(),
            *want,
            "fancy-regex {} on {text:?}",
            b.name()
        );
    }
}

#[test]
fn fast_apis_agree_with_pieces() {
    let text = "Grüße, O'Neil's 3.14159 ℌ𝔢𝔩𝔩𝔬  \r\n\twörld 👨‍👩‍👧 ٣٣٣٣!";
    for b in Builtin::ALL {
        let want = scanner_pieces(b, text);
        let mut via_fn = Vec::new();
        Pattern::builtin(b)
            .for_each_piece(text, |s| via_fn.push(s))
            .unwrap();
        assert_eq!(via_fn, want);
        let mut via_end = Vec::new();
        let mut pos = 0;
        while pos < text.len() {
            let end = b.next_piece_end(text, pos);
            via_end.push(&text[pos..end]);
            pos = end;
        }
        assert_eq!(via_end, want);
        let mut via_regex = Vec::new();
        Pattern::regex_only(b)
            .for_each_piece(text, |s| via_regex.push(s))
            .unwrap();
        assert_eq!(via_regex, want);
    }
}

#[test]
fn engines_are_chosen_as_documented() {
    for b in Builtin::ALL {
        assert!(Pattern::builtin(b).uses_scanner());
        assert!(Pattern::new(b.regex()).unwrap().uses_scanner());
        let r = Pattern::regex_only(b);
        assert!(!r.uses_scanner());
        assert_eq!(r.builtin_kind(), Some(b));
        assert_eq!(r.as_str(), b.regex());
    }
    let custom = Pattern::new(r"\w+|\W").unwrap();
    assert!(!custom.uses_scanner());
    assert_eq!(custom.builtin_kind(), None);
    assert!(matches!(
        Pattern::new("(unclosed"),
        Err(TokenizerError::BadPattern(_))
    ));
}

// ---------------------------------------------------------- proptest ----

/// Pieces of text that exercise every branch of the three patterns.
const TRICKY: &[&str] = &[
    "a",
    "b",
    "s",
    "t",
    "d",
    "m",
    "l",
    "v",
    "e",
    "r",
    "k",
    "x",
    "S",
    "T",
    "D",
    "M",
    "L",
    "V",
    "E",
    "R",
    "K",
    "Z",
    "é",
    "É",
    "ß",
    "İ",
    "Σ",
    "ς",
    "0",
    "1",
    "9",
    "٣",
    "²",
    "Ⅷ",
    "〇",
    "'",
    "’",
    "'s",
    "'S",
    "'ll",
    "'LL",
    "'re",
    "'Ve",
    "'d",
    "'M",
    "ſ",
    "'ſ",
    "\u{212A}",
    "ǅ",
    "ʰ",
    "ˆ",
    "中",
    "文",
    "א",
    "ب",
    "ก",
    "\u{301}",
    "\u{903}",
    "\u{20DD}",
    " ",
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\n\r",
    "\u{b}",
    "\u{c}",
    "\u{85}",
    "\u{a0}",
    "\u{1680}",
    "\u{2000}",
    "\u{2007}",
    "\u{200a}",
    "\u{2028}",
    "\u{2029}",
    "\u{202f}",
    "\u{205f}",
    "\u{3000}",
    "\u{200b}",
    "\u{feff}",
    "/",
    "//",
    ".",
    ",",
    "!",
    "?",
    "-",
    "(",
    ")",
    "\"",
    "$",
    "_",
    "#",
    "\0",
    "😀",
    "👍🏽",
    "👨\u{200d}👩\u{200d}👧",
    "\u{200d}",
    "\u{1F1FA}\u{1F1F8}",
    "𝔢",
    "𐐀",
    "𐐨",
    "Hello",
    "WORLD",
    "don't",
    "DON'T",
    "123456",
];

fn tricky_string() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TRICKY), 0..48).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn scanners_equal_fancy_regex_on_tricky_text(text in tricky_string()) {
        for b in Builtin::ALL {
            prop_assert_eq!(difference(b, &text), None);
            prop_assert_eq!(scanner_pieces(b, &text).concat(), text.clone());
        }
    }
}

/// Runs of repeated tricky pieces: long same-class runs and their borders
/// (where the regex backtracks).
fn runs_string() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(TRICKY), 1..16usize), 0..12)
        .prop_map(|v| v.into_iter().map(|(s, n)| s.repeat(n)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn scanners_equal_fancy_regex_on_runs(text in runs_string()) {
        for b in Builtin::ALL {
            prop_assert_eq!(difference(b, &text), None);
        }
    }

    #[test]
    fn scanners_equal_fancy_regex_on_any_text(text in any::<String>()) {
        for b in Builtin::ALL {
            prop_assert_eq!(difference(b, &text), None);
        }
    }

    #[test]
    fn scanners_equal_fancy_regex_on_mixed_text(
        parts in prop::collection::vec(prop_oneof![tricky_string(), any::<String>()], 0..4)
    ) {
        let text = parts.concat();
        for b in Builtin::ALL {
            prop_assert_eq!(difference(b, &text), None);
        }
    }
}

/// ASCII words of every length around the scanners' eight-byte steps
/// (0 to 20 letters, all lowercase, all uppercase, capitalized, uppercase
/// then lowercase like "HTTPServer", lowercase then uppercase), between
/// the characters that end or extend them: contractions of both cases,
/// apostrophes, digits, CR/LF, spaces, punctuation, and non-ASCII letters
/// and marks right after the ASCII ones.
fn ascii_words_string() -> impl Strategy<Value = String> {
    const BETWEEN: &[&str] = &[
        "", " ", "  ", "'", "'s", "'S", "'ll", "'LL", "'Re", "'ve", "'d", "'M", "'t", "'ſ", "’",
        "1", "12", "1234", "\r", "\n", "\r\n", " \n", ",", ".", "-", "/", "_", "é", "É", "ß", "ʰ",
        "\u{301}", "中", "\u{a0}", "\u{212A}", "😀", "@", "[", "`", "{",
    ];
    let word = (0..=20usize, 0..5usize, 0..=20usize).prop_map(|(n, shape, k)| {
        let k = k.min(n);
        (0..n)
            .map(|j| {
                let upper = match shape {
                    0 => false,
                    1 => true,
                    2 => j == 0,
                    3 => j < k,
                    _ => j >= k,
                };
                let c = b'a' + (j * 7 % 26) as u8;
                (if upper { c.to_ascii_uppercase() } else { c }) as char
            })
            .collect::<String>()
    });
    prop::collection::vec((word, prop::sample::select(BETWEEN)), 0..12)
        .prop_map(|v| v.into_iter().map(|(w, s)| w + s).collect())
}

/// Long mixed whitespace runs (0 to 60 characters of ' ', '\t', '\n',
/// '\r', U+000B, U+000C, U+0085, U+00A0, U+3000, U+2028) between words,
/// numbers and punctuation: the scanners' eight-bytes-at-a-time whitespace
/// runs, their fallback to the class table on non-ASCII whitespace, and
/// the last line break of a run (`\s*[\r\n]`), around every eight-byte
/// border.
fn whitespace_runs_string() -> impl Strategy<Value = String> {
    const SPACES: &[char] = &[
        ' ', ' ', ' ', ' ', '\t', '\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{a0}', '\u{3000}',
        '\u{2028}',
    ];
    const BETWEEN: &[&str] = &[
        "", "a", "Hello", "WORLD", "x", "1", "123456", ",", "...", "'s", "/", "é", "中文", "ʰ",
        "\u{301}", "😀", "\u{200b}",
    ];
    let run = prop::collection::vec(prop::sample::select(SPACES), 0..60)
        .prop_map(|v| v.into_iter().collect::<String>());
    prop::collection::vec((run, prop::sample::select(BETWEEN)), 0..8)
        .prop_map(|v| v.into_iter().map(|(r, w)| r + w).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn scanners_equal_fancy_regex_on_ascii_words(text in ascii_words_string()) {
        for b in Builtin::ALL {
            prop_assert_eq!(difference(b, &text), None);
        }
    }

    #[test]
    fn scanners_equal_fancy_regex_on_whitespace_runs(text in whitespace_runs_string()) {
        for b in Builtin::ALL {
            prop_assert_eq!(difference(b, &text), None);
        }
    }
}

// ----------------------------------------------------------- corpora ----

#[test]
fn tinyshakespeare_equals_fancy_regex() {
    let dir = towel_data::data_or_skip!();
    let bytes = towel_data::DataDirs::with_data_dir(&dir)
        .read_named("tinyshakespeare")
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    for b in Builtin::ALL {
        assert_eq!(difference(b, &text), None);
    }
}

#[test]
fn scifact_corpus_equals_fancy_regex() {
    let dir = towel_data::data_or_skip!();
    let bytes = towel_data::DataDirs::with_data_dir(&dir)
        .read_named("scifact-corpus")
        .unwrap();
    let mut docs = Vec::new();
    for line in String::from_utf8(bytes).unwrap().lines() {
        let doc: serde_json::Value = serde_json::from_str(line).unwrap();
        docs.push(format!(
            "{} {}",
            doc["title"].as_str().unwrap(),
            doc["text"].as_str().unwrap()
        ));
    }
    assert!(docs.len() > 5000);
    let text = docs.join("\n");
    for b in Builtin::ALL {
        assert_eq!(difference(b, &text), None);
    }
}

#[test]
fn embedded_tour_text_equals_fancy_regex() {
    assert_same_all(towel_data::embedded::TOUR_TEXT);
}

// ------------------------------------------------------ pathological ----

/// Every pathological input splits without failing (timed in the bench, not
/// here), and equals fancy-regex wherever fancy-regex succeeds.
#[test]
fn pathological_inputs_split_and_equal_fancy_regex() {
    let mut regex_failures = Vec::new();
    for (name, text) in pathological() {
        for b in Builtin::ALL {
            let got = scanner_pieces(b, &text);
            assert_eq!(got.concat().len(), text.len(), "{name} {}", b.name());
            match regex_pieces(b, &text) {
                Ok(want) => assert!(want == got, "{name} {} differs from fancy-regex", b.name()),
                Err(_) => {
                    regex_failures.push(format!("{}/{name}", b.name()));
                    // Compare on the longest prefix (halving) fancy-regex manages.
                    let mut n = text.len() / 2;
                    loop {
                        let prefix = &text[..text.floor_char_boundary_compat(n)];
                        if let Ok(want) = regex_pieces(b, prefix) {
                            assert!(
                                want == scanner_pieces(b, prefix),
                                "{name} {} prefix",
                                b.name()
                            );
                            break;
                        }
                        assert!(n > 1000, "fancy-regex fails even on 1 KB of {name}");
                        n /= 2;
                    }
                }
            }
        }
    }
    eprintln!("fancy-regex failed on: {regex_failures:?}");
    // The failure the scanners exist to avoid is real.
    assert!(regex_failures.contains(&"o200k/space".to_string()));
}

#[test]
fn o200k_long_space_runs() {
    // fancy-regex fails on 1 MB of spaces with o200k's pattern...
    let big = " ".repeat(1 << 20);
    assert!(regex_pieces(Builtin::O200k, &big).is_err());
    // ... the scanner does not, and gives one piece...
    assert_eq!(scanner_pieces(Builtin::O200k, &big), [big.as_str()]);
    // ... which is what fancy-regex gives where it still succeeds.
    for text in [" ".repeat(50_000), format!("{}x", " ".repeat(50_000))] {
        assert_eq!(difference(Builtin::O200k, &text), None);
    }
}
