//! The Unicode character classes of the built-in patterns, as one lookup.
//!
//! The scanners in `scan.rs` ask one question per character: which of
//! the classes the GPT patterns use does it belong to? The answer is a byte
//! of flags ([`WS`], [`L`], [`N`], [`UPPER`], [`LOWER`], [`CRLF`]).
//!
//! The classes are **not** typed in by hand: [`table`] builds them once per
//! process from `regex-syntax`, the parser that fancy-regex (through
//! `regex-automata`) uses for the very same `\s`, `\p{L}`, ... in the regex
//! version of the patterns. Cargo resolves both to one `regex-syntax`
//! version, so the scanners and fancy-regex agree on every code point, and
//! `tests/pretok.rs` checks all 1,114,112 code points against `regex-syntax`
//! independently.
//!
//! Layout: a 128-entry table for ASCII, and for the rest a two-level table
//! (`index[cp >> 6]` names a deduplicated 64-entry block of flags), about
//! 80 KB in all, built in a few milliseconds.
//!
//! ```
//! use towel_tokenizer::pretok::unicode::{class_of, L, LOWER, UPPER, WS};
//! assert_eq!(class_of('\u{a0}'), WS); // no-break space is \s
//! assert_eq!(class_of('ǅ'), L | UPPER); // titlecase: Lt
//! assert_eq!(class_of('ʰ'), L | UPPER | LOWER); // modifier letter: Lm is in both o200k case classes
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;

/// `\s`: Unicode `White_Space`.
pub const WS: u8 = 1;
/// `\p{L}`: letters.
pub const L: u8 = 2;
/// `\p{N}`: numbers.
pub const N: u8 = 4;
/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`: o200k's "upper" class.
pub const UPPER: u8 = 8;
/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`: o200k's "lower" class.
pub const LOWER: u8 = 16;
/// `[\r\n]`.
pub const CRLF: u8 = 32;

/// Each flag with the regex class it stands for (as the patterns spell it).
pub const CLASS_SOURCES: [(u8, &str); 6] = [
    (WS, r"\s"),
    (L, r"\p{L}"),
    (N, r"\p{N}"),
    (UPPER, r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"),
    (LOWER, r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"),
    (CRLF, r"[\r\n]"),
];

const BLOCK_BITS: u32 = 6;
const BLOCK: usize = 1 << BLOCK_BITS;

/// Flags of every code point: ASCII directly, the rest through a two-level
/// table of deduplicated blocks.
pub struct ClassTable {
    ascii: [u8; 128],
    index: Vec<u16>,
    blocks: Vec<u8>,
}

impl ClassTable {
    /// The flags of code point `cp` (any `u32` up to `0x10FFFF`).
    #[inline(always)]
    pub fn of(&self, cp: u32) -> u8 {
        if cp < 128 {
            return self.ascii[cp as usize];
        }
        let block = self.index[(cp >> BLOCK_BITS) as usize] as usize;
        self.blocks[(block << BLOCK_BITS) | (cp as usize & (BLOCK - 1))]
    }

    /// The flags and byte length of the character starting at byte `i` of
    /// `b`, which must be valid UTF-8 with `i` on a character boundary.
    #[inline(always)]
    pub(crate) fn at(&self, b: &[u8], i: usize) -> (u8, usize) {
        let b0 = b[i];
        if b0 < 0x80 {
            return (self.ascii[b0 as usize], 1);
        }
        let (cp, n) = decode_multibyte(b, i);
        (self.of(cp), n)
    }
}

/// Decode the non-ASCII character starting at `b[i]` (valid UTF-8).
#[inline(always)]
fn decode_multibyte(b: &[u8], i: usize) -> (u32, usize) {
    let b0 = b[i] as u32;
    let cont = |k: usize| (b[i + k] as u32) & 0x3F;
    if b0 < 0xE0 {
        (((b0 & 0x1F) << 6) | cont(1), 2)
    } else if b0 < 0xF0 {
        (((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3)
    } else {
        (
            ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
            4,
        )
    }
}

/// The code point ranges (inclusive) of a single-class regex such as
/// `\p{L}`, as `regex-syntax` (Unicode mode, the regex crates' default)
/// defines them.
///
/// # Panics
/// If `source` is not a regex that is exactly one Unicode class.
pub fn class_ranges(source: &str) -> Vec<(char, char)> {
    use regex_syntax::hir::{Class, HirKind};
    let hir = regex_syntax::parse(source).expect("class regex parses");
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => class
            .ranges()
            .iter()
            .map(|r| (r.start(), r.end()))
            .collect(),
        HirKind::Literal(lit) => {
            // A class of one character comes back as a literal.
            let c = std::str::from_utf8(&lit.0)
                .ok()
                .and_then(|s| s.chars().next())
                .expect("single-character literal");
            vec![(c, c)]
        }
        other => panic!("{source:?} is not a single Unicode class: {other:?}"),
    }
}

fn build() -> ClassTable {
    let mut all = vec![0u8; 0x11_0000];
    for (flag, source) in CLASS_SOURCES {
        for (lo, hi) in class_ranges(source) {
            for f in &mut all[lo as usize..=hi as usize] {
                *f |= flag;
            }
        }
    }
    let mut ascii = [0u8; 128];
    ascii.copy_from_slice(&all[..128]);
    let mut index = Vec::with_capacity(all.len() / BLOCK);
    let mut blocks: Vec<u8> = Vec::new();
    let mut seen: HashMap<&[u8], u16> = HashMap::new();
    for chunk in all.chunks(BLOCK) {
        let id = *seen.entry(chunk).or_insert_with(|| {
            blocks.extend_from_slice(chunk);
            u16::try_from(blocks.len() / BLOCK - 1).expect("fewer than 65536 distinct blocks")
        });
        index.push(id);
    }
    ClassTable {
        ascii,
        index,
        blocks,
    }
}

/// The process-wide class table, built on first use.
#[inline]
pub fn table() -> &'static ClassTable {
    static TABLE: OnceLock<ClassTable> = OnceLock::new();
    TABLE.get_or_init(build)
}

/// The flags of `c`: an OR of [`WS`], [`L`], [`N`], [`UPPER`], [`LOWER`], [`CRLF`].
pub fn class_of(c: char) -> u8 {
    table().of(c as u32)
}
