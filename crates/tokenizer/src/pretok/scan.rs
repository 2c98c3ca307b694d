//! Hand-written scanners for the three built-in patterns.
//!
//! Each scanner answers one question: given the text and a position `p` on
//! a character boundary where the previous piece ended, where does the piece
//! that the regex would match at `p` end? Every character of the text is in
//! some alternative of each built-in pattern (a letter, a number, whitespace,
//! or "other"), so the regex's matches tile the text with no gaps, and
//! repeating that question from `p = 0` reproduces `find_iter` exactly.
//!
//! ## Why not the regex
//!
//! fancy-regex runs these patterns in a backtracking VM (the look-ahead
//! `(?!\S)` and the possessive quantifiers put them out of reach of the
//! `regex` crate's automata), and tiktoken spends much of its encode time
//! there. The VM also keeps backtracking state per character of a run, and
//! gives up (a runtime error) on long ones: o200k's pattern on 1 MB of
//! spaces, newlines or `a`, and all three patterns on 1 MB of spaces
//! followed by a letter (see `tests/pretok.rs`). The scanners below are
//! plain loops over bytes with one table lookup per character (or eight
//! bytes at a time on ASCII words and whitespace runs), never fail, and
//! take time linear in the input.
//!
//! ## How each branch mirrors the regex
//!
//! The patterns are alternations tried left to right (leftmost-first): the
//! first alternative that matches at `p` wins, and inside it, greedy
//! quantifiers prefer longer. Each scanner tries the alternatives in the
//! same order; the comments in the code name the alternative each branch
//! implements. The non-obvious parts:
//!
//! - `\s+(?!\S)`: `\s+` takes the whole whitespace run `[p, e)`; if a
//!   non-space follows, the look-ahead fails at `e` and backtracking gives
//!   back one character, where it succeeds. So the match is the run minus
//!   its last character, or nothing if the run is one character long. The
//!   last character then starts the next piece, where ` ?\p{L}` (a plain
//!   U+0020 only) may join it to the word after it.
//! - `\s++$` (gpt2, cl100k): the run reaches the end of the text.
//! - `\s*[\r\n]` (cl100k) and `\s*[\r\n]+` (o200k): `\s*` backtracks from the
//!   end of the run to its last `\r` or `\n` (both are `\s`), so the match
//!   ends just after the last line break in the run.
//! - o200k's words `X?A*B+S?` and `X?A+B*S?` with
//!   `X = [^\r\n\p{L}\p{N}]`, `A = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`,
//!   `B = [\p{Ll}\p{Lm}\p{Lo}\p{M}]`, `S` the contraction suffix. These are
//!   not possessive and `A`, `B` share `Lm`, `Lo` and `M` (and `X` contains
//!   `M`), so the regex backtracks: `X?` first tries to take the first
//!   character, then not; `A*` takes the maximal run of `A`, then gives back
//!   characters until one of `B` follows. See [`upper_then_lower`].
//! - Case-insensitive contractions (`(?i:...)`) use Unicode simple case
//!   folding like the regex crates: `'ſ` (U+017F, long s) matches `'s`.
//!
//! ## o200k at cl100k's cost
//!
//! o200k's pattern asks more of each piece than cl100k's: two cases in a
//! word (`[A-Z]*[a-z]*` on ASCII: "HTTPServer" is "HTTPServer",
//! "helloWorld" is "hello" + "World"), a contraction suffix after every
//! word, and four ways of matching a word before the other alternatives
//! are tried. Counted with callgrind (`bench/profile_encode.sh`; the
//! scanner alone with `examples/prof_scan.rs`, which walks the pieces and
//! does no BPE), o200k's scanner cost 22.8M instructions on tiny
//! shakespeare (1.1 MB) and 121.3M on SciFact (7.8 MB), against 18.2M and
//! 95.5M for cl100k's. Three changes brought it to 17.1M and 94.8M:
//!
//! - the ASCII word in one pass of eight bytes at a time for both cases
//!   ([`ascii_upper_then_lower`]), where it ran the uppercase run and then
//!   the lowercase run (19.1M and 105.6M). Computing the start of the
//!   letters without a branch (`p + 1` after an `X` byte, from the table)
//!   saved more instructions but ran 15% slower on the scanner alone: the
//!   next piece's start then waits for two dependent loads instead of a
//!   predicted branch;
//! - an ASCII character that starts no ASCII word, with no non-ASCII byte
//!   after it (punctuation, digits, whitespace), goes straight to the
//!   alternatives after the words, without `o200k_word`'s four tries
//!   (17.6M and 97.5M);
//! - no separate non-ASCII test in the word's mask (17.1M and 94.8M).
//!
//! The scanner alone runs 1.14x faster on SciFact and 1.18x on tiny
//! shakespeare (wall clock, medians of 20 alternating pairs of processes
//! of the two builds, `bench/ab_encode.py`, quartiles 1.06-1.21 and
//! 1.01-1.30, load average 1.0); per change, on SciFact, 1.084x (load
//! average 2.5), 1.050x and 1.046x (1.0).
//!
//! In the whole encode (`prof_encode`) o200k_base went from 71.6M to 67.9M
//! instructions on tiny shakespeare (cost estimate 103.4M to 99.0M) and
//! from 404.9M to 388.4M on SciFact (608.8M to 590.6M); cl100k_base, whose
//! code did not change, stayed at 65.0M and 386.2-386.3M. The encode is
//! bound by the table lookups more than by the scanner, and its wall-clock
//! gain does not stand out from this shared VM's noise: medians of
//! alternating processes (on-CPU time) 1.029x on tiny shakespeare (100
//! pairs of 20 runs, quartiles 0.94-1.12) and 1.024x on SciFact (40 pairs
//! of 5 runs, quartiles 0.96-1.08), load average 1.0, but cl100k_base,
//! unchanged, measured 1.027x and 1.008x in the same session.
//!
//! Tried and not kept: ASCII bytes of punctuation and whitespace runs by
//! the static table before the class table: fewer instructions for the
//! scanner alone (17.2M, 96.2M) but more in the encode (68.3M, 392.0M).
//!
//! ## Whitespace runs
//!
//! A whitespace run was found with one class-table lookup per character,
//! and `\s*[\r\n]` (cl100k, o200k) then scanned it again backwards for
//! its last line break. [`whitespace_run`] settles a one-character run
//! (most runs in text: 28,244 of the 28,405 whitespace pieces o200k makes
//! of SciFact) by one test of the next byte; a longer one goes eight bytes
//! at a time ([`more_whitespace`]): eight plain spaces are one comparison,
//! any other word is classified by SWAR masks ([`ascii_space_masks`],
//! checked against the class table on every byte value), and the last line
//! break before the run's end is the highest bit of a second mask, in the
//! same pass. Non-ASCII whitespace (U+00A0, U+3000, ...) goes to the class
//! table, and the run goes on after it.
//!
//! Instructions (callgrind; `examples/prof_scan.rs` for the scanner alone,
//! `bench/profile_encode.sh` for the whole `encode_ordinary`), before and
//! after, on 1,000,000 spaces, tiny shakespeare and SciFact (the text
//! `bench/tokenizer_encode.py` builds):
//!
//! | | spaces | tiny shakespeare | SciFact |
//! | --- | --- | --- | --- |
//! | gpt2 scanner | 13.00M → 1.13M | 15.93M → 15.45M (−3.0%) | 78.09M → 77.72M (−0.5%) |
//! | cl100k_base scanner | 13.00M → 0.88M | 18.20M → 18.55M (+2.0%) | 95.45M → 98.01M (+2.7%) |
//! | o200k_base scanner | 21.00M → 1.00M | 17.06M → 17.44M (+2.2%) | 94.75M → 95.53M (+0.8%) |
//! | gpt2 encode | 133.5M → 122.6M | 69.27M → 68.57M (−1.0%) | 384.73M → 383.36M (−0.4%) |
//! | cl100k_base encode | 37.93M → 27.93M | 64.95M → 64.82M (−0.2%) | 386.17M → 385.49M (−0.2%) |
//! | o200k_base encode | 46.93M → 27.93M | 67.92M → 68.36M (+0.7%) | 388.39M → 391.16M (+0.7%) |
//!
//! On the spaces the scanner's share of o200k's encode went from 21M to
//! 1M instructions; what is left (27M) is the BPE of the one 1 MB piece.
//! Wall clock, `prof_encode o200k_base` on the spaces (best of 200, load
//! average 2.6): 3.0 ms before, 2.2 ms after.
//!
//! On real text the whitespace code is rarely run, and the changes there
//! come from how the compiler allocates registers in the loop over pieces
//! the scanner is inlined into (the extra instructions are moves and
//! constants reloaded in the word and BPE paths, not the whitespace code).
//! o200k's encode is 0.7% above where it was, and cl100k's and o200k's
//! scanners alone 0.8-2.7%. Tried and not kept, each worse somewhere:
//! - the long runs out of line (`#[inline(never)]`, with or without
//!   `#[cold]`): scanners alone at or below before for cl100k (17.7M,
//!   93.1M) and o200k (17.0M, 93.8M), but every encode above it (o200k
//!   68.7M, 392.9M; gpt2 70.3-70.5M, 388.6-390.3M): a call in the loop
//!   costs the BPE code its registers;
//! - eight plain spaces at a time and the rest byte by byte with the static
//!   table (no SWAR masks): cl100k's scanner 17.9M, 94.4M, but o200k's
//!   17.9M, 98.3M;
//! - o200k's alternatives after the words reached from one call site
//!   instead of two: encode 68.1M, 389.9M, but scanner 19.4M, 106.4M;
//! - the SWAR constants hidden behind `black_box`: o200k 17.8M, 97.9M;
//! - o200k's general path (a non-ASCII byte at or after `p`) on the old
//!   byte-by-byte run: scanner 17.3M, 94.7M, encode 68.3M, 391.2M.

use super::unicode::{ClassTable, CRLF, L, LOWER, N, UPPER, WS};
use super::Builtin;

/// Flags that a character of `[^\s\p{L}\p{N}]` has none of.
const WLN: u8 = WS | L | N;
/// Flags that a character of `[^\r\n\p{L}\p{N}]` has none of.
const CLN: u8 = CRLF | L | N;

// ------------------------------------------------------- ASCII words ----

/// ASCII classes for the fast paths: lowercase, uppercase, "X"
/// (`[^\r\n\p{L}\p{N}]` restricted to ASCII) for the words, and `\s`
/// for the whitespace runs. Non-ASCII bytes are 0.
const AL: u8 = 1;
const AU: u8 = 2;
const AX: u8 = 4;
const AS: u8 = 8;
static ASCII: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 128 {
        t[c] = match c as u8 {
            b'a'..=b'z' => AL,
            b'A'..=b'Z' => AU,
            b'0'..=b'9' => 0,
            b'\r' | b'\n' => AS,
            b'\t' | b'\x0b' | b'\x0c' | b' ' => AX | AS,
            _ => AX,
        };
        c += 1;
    }
    t
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The bytes in `[lo, hi]` (both below 0x80) of `x`, whose bytes are all
/// below 0x80, as their high bits (SWAR).
#[inline(always)]
fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let ge_lo = x.wrapping_add(ONES * (0x80 - lo) as u64);
    let gt_hi = x.wrapping_add(ONES * (0x7F - hi) as u64);
    ge_lo & !gt_hi & HIGH
}

/// End of the run of bytes from `i` whose [`ASCII`] class has a bit of
/// `KEEP` (one of `AL`, `AU`, `AL | AU`).
///
/// Eight bytes at a time where the text allows: a word of the text is
/// tested for "byte in `[lo, hi]`" in all its bytes at once (SWAR), and the
/// first byte that is not ends the run. Most words are shorter than eight
/// letters, so this is one step with a well-predicted branch, where a loop
/// over bytes mispredicts its exit once per word.
#[inline(always)]
fn ascii_run<const KEEP: u8>(b: &[u8], mut i: usize) -> usize {
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        let x = w & !HIGH;
        let hits = match KEEP {
            AL => in_range(x, b'a', b'z'),
            AU => in_range(x, b'A', b'Z'),
            _ => in_range(x | (ONES * 0x20), b'a', b'z'),
        } & !w; // and ASCII
        let misses = !hits & HIGH;
        if misses != 0 {
            return i + (misses.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && ASCII[b[i] as usize] & KEEP != 0 {
        i += 1;
    }
    i
}

/// End of `[A-Z]*[a-z]*` from `i`: o200k's ASCII word, uppercase letters
/// then lowercase ones (`i` itself when no letter is there).
///
/// Eight bytes at a time, in one pass for both runs: the word ends at the
/// first byte that is not an ASCII letter, or that is uppercase after a
/// lowercase one ("HelloWorld" is two words). Per byte (SWAR, as high
/// bits of a `u64`):
/// - a letter: setting bit 5 folds uppercase onto lowercase, so one range
///   test `[a-z]` finds both cases; a non-ASCII byte is no letter, and
///   whatever the addition carries out of it lands on the bytes after it,
///   past where the word has already ended;
/// - a case change: bit 5 of a letter is its case (set: lowercase), so an
///   uppercase letter after a lowercase one is bit 5 set in the byte before
///   and clear in the byte (the byte before is a letter, or the word ended
///   there already). The byte before the first one counts as uppercase
///   (`[A-Z]*` may start empty), later ones carry over from the previous
///   eight bytes.
///
/// Most words cost one load, one mask and one well-predicted exit. The
/// first version ran [`ascii_run`] for the uppercase run and again for the
/// lowercase one: twice the mask arithmetic, two exits.
#[inline(always)]
fn ascii_upper_then_lower(b: &[u8], mut i: usize) -> usize {
    /// The first byte of `w` that ends the word, if any (8 if none);
    /// `before` is bit 5 of the byte before `w`'s first (set: lowercase).
    #[inline(always)]
    fn word_end(w: u64, before: u64) -> u32 {
        let y = w | (ONES * 0x20);
        // High bit set: not in `[a-z]` after folding (see [`in_range`]).
        // This holds for a non-ASCII byte too (`y` is 0xA0 to 0xFF: adding
        // 0x7F - 'z' sets the high bit up to 0xFA, adding 0x80 - 'a'
        // clears it from 0xE1 on), so it needs no test of its own.
        let not_letter = !y.wrapping_add(ONES * (0x80 - b'a') as u64)
            | y.wrapping_add(ONES * (0x7F - b'z') as u64);
        // Bit 5: lowercase before, uppercase here.
        let case_up = ((w << 8) | before) & !w;
        ((not_letter | (case_up << 2)) & HIGH).trailing_zeros() / 8
    }
    // The first eight bytes apart from the loop (most words end in them),
    // so that the two exits are predicted apart.
    if i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        let k = word_end(w, 0);
        if k < 8 {
            return i + k as usize;
        }
        let mut before = w >> 56;
        i += 8;
        while i + 8 <= b.len() {
            let w = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
            let k = word_end(w, before);
            if k < 8 {
                return i + k as usize;
            }
            before = w >> 56;
            i += 8;
        }
        // Fewer than eight bytes left, after eight letters or more.
        if before & 0x20 != 0 {
            return ascii_run::<AL>(b, i);
        }
    }
    // Fewer than eight bytes left: byte by byte, all letters so far are
    // uppercase.
    let u = ascii_run::<AU>(b, i);
    ascii_run::<AL>(b, u)
}

/// The fast path for the most common piece, an ASCII word: where its
/// letters start, if the byte at `p` is an ASCII letter (then `p`), or is a
/// one-byte prefix the pattern allows before a word (a plain space for
/// `prefix_space_only`, else any [`AX`] byte) followed by an ASCII letter
/// (then `p + 1`). The caller scans the letters and must take the general
/// path when a non-ASCII byte follows them (it could extend the word).
#[inline(always)]
fn ascii_word_start(b: &[u8], p: usize, prefix_space_only: bool) -> Option<usize> {
    let c = b[p];
    if ASCII[c as usize] & (AL | AU) != 0 {
        return Some(p);
    }
    let prefix = if prefix_space_only {
        c == b' '
    } else {
        ASCII[c as usize] & AX != 0
    };
    (prefix && p + 1 < b.len() && ASCII[b[p + 1] as usize] & (AL | AU) != 0).then_some(p + 1)
}

/// Whether the byte at `e` (if any) is ASCII, so a word ending there ends
/// there for sure.
#[inline(always)]
fn ascii_or_end(b: &[u8], e: usize) -> bool {
    b.get(e).is_none_or(|&c| c < 0x80)
}

// --------------------------------------------------- whitespace runs ----

/// The bytes of `w` that are ASCII `\s` (`\t`, `\n`, `\x0b`, `\x0c`, `\r`,
/// ` `), and those that are line breaks (`\r`, `\n`), as high bits (SWAR).
/// A byte from 0x80 on is neither: non-ASCII whitespace (U+0085, U+00A0,
/// U+3000, ...) is several bytes, left to the class table.
#[inline(always)]
fn ascii_space_masks(w: u64) -> (u64, u64) {
    let x = w & !HIGH;
    let ascii = !w;
    let space = (in_range(x, b'\t', b'\r') | in_range(x, b' ', b' ')) & ascii;
    let line_break = (in_range(x, b'\n', b'\n') | in_range(x, b'\r', b'\r')) & ascii;
    (space, line_break)
}

/// The whitespace run `\s+` from `p`, where a whitespace character of `n`
/// bytes is: its end, and the end of its last line break (`\r` or `\n`)
/// if it has one.
///
/// Most runs in text are that one character, before a word, a number or
/// punctuation: one test of the next byte settles those, and the rest go
/// to [`more_whitespace`].
#[inline(always)]
fn whitespace_run(t: &ClassTable, b: &[u8], p: usize, n: usize) -> (usize, Option<usize>) {
    let q = p + n;
    let after_break = (b[p] == b'\r' || b[p] == b'\n').then_some(q);
    match b.get(q) {
        Some(&c) if c >= 0x80 || ASCII[c as usize] & AS != 0 => {
            more_whitespace(t, b, q, after_break)
        }
        _ => (q, after_break),
    }
}

/// The rest of a whitespace run from `i` (an empty rest if the character
/// at `i` is no whitespace): its end, and the end of its last line break
/// (`after_break`, the one before `i`, if it has none).
///
/// ASCII whitespace eight bytes at a time ([`ascii_space_masks`]): the
/// first byte that is not ends the run, and the last line break before it
/// is the highest bit of the line-break mask below it. A non-ASCII
/// character there goes to the class table, and the run goes on after it
/// if it is whitespace. Fewer than eight bytes before the end of the text
/// go byte by byte.
#[inline(always)]
fn more_whitespace(
    t: &ClassTable,
    b: &[u8],
    mut i: usize,
    mut after_break: Option<usize>,
) -> (usize, Option<usize>) {
    let len = b.len();
    loop {
        let stop = loop {
            if i + 8 > len {
                while i < len && ASCII[b[i] as usize] & AS != 0 {
                    if b[i] == b'\r' || b[i] == b'\n' {
                        after_break = Some(i + 1);
                    }
                    i += 1;
                }
                break i;
            }
            let w = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
            if w == ONES * b' ' as u64 {
                // Eight plain spaces, the commonest whitespace.
                i += 8;
                continue;
            }
            let (space, line_break) = ascii_space_masks(w);
            let misses = !space & HIGH;
            // The line breaks before the first miss (all of them if none).
            let breaks = line_break & misses.wrapping_sub(1) & !misses;
            if breaks != 0 {
                after_break = Some(i + (63 - breaks.leading_zeros() as usize) / 8 + 1);
            }
            if misses != 0 {
                break i + (misses.trailing_zeros() / 8) as usize;
            }
            i += 8;
        };
        if stop < len && b[stop] >= 0x80 {
            let (f, n) = t.at(b, stop);
            if f & WS != 0 {
                i = stop + n;
                continue;
            }
        }
        return (stop, after_break);
    }
}

/// End of the piece that starts at byte `p` of `b` (valid UTF-8, `p` on a
/// character boundary, `p < b.len()`). Always `> p`.
#[inline]
pub(crate) fn piece_end(kind: Builtin, t: &ClassTable, b: &[u8], p: usize) -> usize {
    match kind {
        Builtin::Gpt2 => gpt2(t, b, p),
        Builtin::Cl100k => cl100k(t, b, p),
        Builtin::O200k => o200k(t, b, p),
    }
}

/// Call `f(start, end)` for every piece of `b`, in order.
#[inline]
pub(crate) fn for_each(kind: Builtin, t: &ClassTable, b: &[u8], mut f: impl FnMut(usize, usize)) {
    // One loop per pattern with a direct call, so the scanner inlines into
    // it (through a generic `impl Fn` parameter it stayed an out-of-line
    // call, which cost a tenth of the encoding time in saving registers).
    macro_rules! drive {
        ($scan:ident) => {{
            let mut p = 0;
            while p < b.len() {
                let e = $scan(t, b, p);
                f(p, e);
                p = e;
            }
        }};
    }
    match kind {
        Builtin::Gpt2 => drive!(gpt2),
        Builtin::Cl100k => drive!(cl100k),
        Builtin::O200k => drive!(o200k),
    }
}

/// End of the maximal run, from `i`, of characters whose flags satisfy `keep`.
#[inline(always)]
fn run(t: &ClassTable, b: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < b.len() {
        let (f, n) = t.at(b, i);
        if !keep(f) {
            break;
        }
        i += n;
    }
    i
}

/// Flags of the character at `i`, or 0 past the end.
#[inline(always)]
fn flags_at(t: &ClassTable, b: &[u8], i: usize) -> u8 {
    if i < b.len() {
        t.at(b, i).0
    } else {
        0
    }
}

/// Start of the last character before byte `e`.
#[inline(always)]
fn prev_char_start(b: &[u8], e: usize) -> usize {
    let mut i = e - 1;
    while b[i] & 0xC0 == 0x80 {
        i -= 1;
    }
    i
}

/// `\s+(?!\S)` on the whitespace run `[p, e)`, which a non-space follows:
/// the run but its last character, which starts the next piece; or, when the
/// run is one character, that character (the pattern's last alternative).
#[inline(always)]
fn spaces_before_non_space(b: &[u8], p: usize, e: usize) -> usize {
    let last = prev_char_start(b, e);
    if last > p {
        last
    } else {
        e
    }
}

/// `[^\s\p{L}\p{N}]+` from `q` (see [`other_run_start`]), then the bytes
/// that `trail` accepts (`[\r\n]*` for cl100k, `[\r\n/]*` for o200k).
#[inline(always)]
fn other_run_then(t: &ClassTable, b: &[u8], q: usize, trail: impl Fn(u8) -> bool) -> usize {
    let e = run(t, b, q, |g| g & WLN == 0);
    e + b[e..].iter().take_while(|&&c| trail(c)).count()
}

/// `\p{N}{1,3}`, possessive or not (nothing follows it): up to three numbers.
#[inline(always)]
fn up_to_three_numbers(t: &ClassTable, b: &[u8], p: usize, n: usize) -> usize {
    let mut e = p + n;
    for _ in 0..2 {
        if e >= b.len() {
            break;
        }
        let (f, m) = t.at(b, e);
        if f & N == 0 {
            break;
        }
        e += m;
    }
    e
}

/// ` ?[^\s\p{L}\p{N}]+`: the start of the "other" run (after an optional
/// plain space), if there is one at `p`.
#[inline(always)]
fn other_run_start(t: &ClassTable, b: &[u8], p: usize, f: u8) -> Option<usize> {
    if b[p] == b' ' {
        // ` ?` is greedy: with the space if an "other" character follows;
        // without it, the space itself is not "other".
        (p + 1 < b.len() && flags_at(t, b, p + 1) & WLN == 0).then_some(p + 1)
    } else {
        (f & WLN == 0).then_some(p)
    }
}

/// Whether the character at `i` matches ASCII letter `lower` under the
/// regex crates' Unicode simple case folding; returns the end of it.
/// (Among the letters of the contractions only `s` has a non-ASCII fold,
/// U+017F `ſ`; `k` would add U+212A, the Kelvin sign.)
#[inline(always)]
fn fold_eq(b: &[u8], i: usize, lower: u8) -> Option<usize> {
    let c = *b.get(i)?;
    if c | 0x20 == lower {
        return Some(i + 1);
    }
    let extra: &[u8] = match lower {
        b's' => "\u{17F}".as_bytes(),
        b'k' => "\u{212A}".as_bytes(),
        _ => return None,
    };
    b[i..].starts_with(extra).then_some(i + extra.len())
}

/// The contractions as `(first letter, optional second letter)`.
fn fold_seq(b: &[u8], i: usize, first: u8, second: Option<u8>) -> Option<usize> {
    let j = fold_eq(b, i, first)?;
    match second {
        Some(s) => fold_eq(b, j, s),
        None => Some(j),
    }
}

// ---------------------------------------------------------------- gpt2 ----

/// GPT-2 (r50k, p50k):
/// `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
#[inline(always)]
fn gpt2(t: &ClassTable, b: &[u8], p: usize) -> usize {
    let len = b.len();
    // `'(?:[sdmt]|ll|ve|re)`, case-sensitive.
    if b[p] == b'\'' {
        match (b.get(p + 1), b.get(p + 2)) {
            (Some(b's' | b'd' | b'm' | b't'), _) => return p + 2,
            (Some(b'l'), Some(b'l')) | (Some(b'v' | b'r'), Some(b'e')) => return p + 3,
            _ => {}
        }
    }
    // ` ?\p{L}++` on ASCII.
    if let Some(q) = ascii_word_start(b, p, true) {
        let e = ascii_run::<{ AL | AU }>(b, q);
        if ascii_or_end(b, e) {
            return e;
        }
    }
    let (f, _) = t.at(b, p);
    // ` ?\p{L}++ | ?\p{N}++ | ?[^\s\p{L}\p{N}]++`: after an optional plain
    // space, exactly one of the three classes matches any non-space.
    let (q, fq) = if b[p] == b' ' && p + 1 < len {
        match t.at(b, p + 1).0 {
            f1 if f1 & WS == 0 => (p + 1, f1),
            _ => (p, f),
        }
    } else {
        (p, f)
    };
    if fq & L != 0 {
        return run(t, b, q, |g| g & L != 0); // ` ?\p{L}++`
    }
    if fq & N != 0 {
        return run(t, b, q, |g| g & N != 0); // ` ?\p{N}++`
    }
    if fq & WS == 0 {
        return run(t, b, q, |g| g & WLN == 0); // ` ?[^\s\p{L}\p{N}]++`
    }
    // Whitespace at `p`.
    // The first character's length from `t.at` again, not kept from the
    // lookup above: the compiler folds the two, and keeping it live in a
    // register cost 0.2% more instructions in the whole encode (callgrind).
    let (e, _) = whitespace_run(t, b, p, t.at(b, p).1);
    if e == len {
        return e; // `\s++$`
    }
    spaces_before_non_space(b, p, e) // `\s+(?!\S)|\s`
}

// -------------------------------------------------------------- cl100k ----

/// cl100k_base:
/// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
#[inline(always)]
fn cl100k(t: &ClassTable, b: &[u8], p: usize) -> usize {
    let len = b.len();
    // `'(?i:[sdmt]|ll|ve|re)`
    if b[p] == b'\'' {
        let i = p + 1;
        for (x, y) in [
            (b's', None),
            (b'd', None),
            (b'm', None),
            (b't', None),
            (b'l', Some(b'l')),
            (b'v', Some(b'e')),
            (b'r', Some(b'e')),
        ] {
            if let Some(e) = fold_seq(b, i, x, y) {
                return e;
            }
        }
    }
    // `[^\r\n\p{L}\p{N}]?+\p{L}++` on ASCII (a `'` here did not start a
    // contraction, so it may be the optional character).
    if let Some(q) = ascii_word_start(b, p, false) {
        let e = ascii_run::<{ AL | AU }>(b, q);
        if ascii_or_end(b, e) {
            return e;
        }
    }
    let (f, n) = t.at(b, p);
    // `[^\r\n\p{L}\p{N}]?+\p{L}++`: a letter run, or one character of the
    // class followed by a letter run (the possessive `?+` never gives the
    // character back, and could not match without it anyway).
    if f & L != 0 {
        return run(t, b, p + n, |g| g & L != 0);
    }
    if f & CLN == 0 && flags_at(t, b, p + n) & L != 0 {
        return run(t, b, p + n, |g| g & L != 0);
    }
    // `\p{N}{1,3}+`
    if f & N != 0 {
        return up_to_three_numbers(t, b, p, n);
    }
    // ` ?[^\s\p{L}\p{N}]++[\r\n]*+`
    if let Some(q) = other_run_start(t, b, p, f) {
        return other_run_then(t, b, q, |c| c == b'\r' || c == b'\n');
    }
    // Whitespace at `p`.
    let (e, after_break) = whitespace_run(t, b, p, n);
    if e == len {
        return e; // `\s++$`
    }
    if let Some(end) = after_break {
        return end; // `\s*[\r\n]`: `\s*` backtracks to the last line break
    }
    spaces_before_non_space(b, p, e) // `\s+(?!\S)|\s`
}

// --------------------------------------------------------------- o200k ----

/// o200k_base:
/// `X?A*B+S?|X?A+B*S?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// with `X = [^\r\n\p{L}\p{N}]`, `A = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`,
/// `B = [\p{Ll}\p{Lm}\p{Lo}\p{M}]`, `S = (?i:'s|'t|'re|'ve|'m|'ll|'d)`.
#[inline(always)]
fn o200k(t: &ClassTable, b: &[u8], p: usize) -> usize {
    // The word alternatives on ASCII: `X?` then uppercase `A*` and
    // lowercase `B+` (alternative 1), or uppercase only `A+` with an empty
    // `B*` (alternative 2; ASCII uppercase is not in `B`, so alternative 1
    // cannot match by giving letters back). An uppercase letter after a
    // lowercase one starts the next piece ("HelloWorld" is two).
    if let Some(q) = ascii_word_start(b, p, false) {
        let l = ascii_upper_then_lower(b, q);
        if ascii_or_end(b, l) {
            return o200k_suffix(b, l);
        }
    } else if b[p] < 0x80 && ascii_or_end(b, p + 1) {
        // An ASCII character that starts no ASCII word, and no non-ASCII
        // letter after it: neither word alternative can match (they need a
        // letter at `p`, or after an `X` character at `p`), so the tries
        // of `o200k_word` are skipped.
        return o200k_no_word(t, b, p, t.at(b, p).0, 1);
    }
    let (f, n) = t.at(b, p);
    // `X?A*B+S?` and `X?A+B*S?`
    if let Some(e) = o200k_word(t, b, p, f, n) {
        return o200k_suffix(b, e);
    }
    o200k_no_word(t, b, p, f, n)
}

/// o200k's alternatives after the words, at `p`, where neither word
/// alternative matches: `\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
/// `f` and `n` are the flags and length of the character at `p`.
#[inline(always)]
fn o200k_no_word(t: &ClassTable, b: &[u8], p: usize, f: u8, n: usize) -> usize {
    let len = b.len();
    // `\p{N}{1,3}`
    if f & N != 0 {
        return up_to_three_numbers(t, b, p, n);
    }
    // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
    if let Some(q) = other_run_start(t, b, p, f) {
        return other_run_then(t, b, q, |c| c == b'\r' || c == b'\n' || c == b'/');
    }
    // Whitespace at `p`.
    let (e, after_break) = whitespace_run(t, b, p, n);
    if let Some(end) = after_break {
        return end; // `\s*[\r\n]+`: `\s*` backtracks to the last line break
    }
    if e == len {
        return e; // `\s+(?!\S)` at the end of the text
    }
    spaces_before_non_space(b, p, e) // `\s+(?!\S)|\s+`
}

/// The word part of o200k's first two alternatives (without the suffix),
/// in the order the regex tries them: `X?` greedy first takes the first
/// character when it is in `X`, then does not.
#[inline(always)]
fn o200k_word(t: &ClassTable, b: &[u8], p: usize, f: u8, n: usize) -> Option<usize> {
    let x = f & CLN == 0;
    // Every alternative needs a character of `A` or `B` at `p`, or at the
    // next character after an `X` one: without one (spaces, punctuation,
    // digits) no alternative can match, and the four tries below are
    // skipped (they read the flags at `p` and `p + n` again each time).
    let letter = |g: u8| g & (UPPER | LOWER) != 0;
    if !(letter(f) || (x && letter(flags_at(t, b, p + n)))) {
        return None;
    }
    // `X?A*B+`
    if x {
        if let Some(e) = upper_then_lower(t, b, p + n) {
            return Some(e);
        }
    }
    if let Some(e) = upper_then_lower(t, b, p) {
        return Some(e);
    }
    // `X?A+B*`
    if x {
        if let Some(e) = uppers_then_lowers(t, b, p + n) {
            return Some(e);
        }
    }
    uppers_then_lowers(t, b, p)
}

/// `A*B+` at `q`, with the regex's backtracking: `A*` first takes the
/// maximal run of `A`; if a `B` character follows, `B+` takes the maximal
/// run of `B` from there. Otherwise `A*` gives back characters, one at a
/// time, until the next one is in `B`: that is the last character of the
/// run that is in both classes (`Lm`, `Lo`, `M`), and `B+` then matches
/// just it (the one after it is not in `B`, or it would have been last).
#[inline(always)]
fn upper_then_lower(t: &ClassTable, b: &[u8], q: usize) -> Option<usize> {
    let mut i = q;
    let mut give_back_to = None;
    while i < b.len() {
        let (g, m) = t.at(b, i);
        if g & UPPER == 0 {
            if g & LOWER != 0 {
                return Some(run(t, b, i + m, |h| h & LOWER != 0));
            }
            break;
        }
        if g & LOWER != 0 {
            give_back_to = Some(i + m);
        }
        i += m;
    }
    give_back_to
}

/// `A+B*` at `q`: a non-empty maximal `A` run, then the maximal `B` run.
#[inline(always)]
fn uppers_then_lowers(t: &ClassTable, b: &[u8], q: usize) -> Option<usize> {
    if flags_at(t, b, q) & UPPER == 0 {
        return None;
    }
    let e = run(t, b, q, |h| h & UPPER != 0);
    Some(run(t, b, e, |h| h & LOWER != 0))
}

/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)?` at `e`.
#[inline(always)]
fn o200k_suffix(b: &[u8], e: usize) -> usize {
    if b.get(e) != Some(&b'\'') {
        return e;
    }
    for (x, y) in [
        (b's', None),
        (b't', None),
        (b'r', Some(b'e')),
        (b'v', Some(b'e')),
        (b'm', None),
        (b'l', Some(b'l')),
        (b'd', None),
    ] {
        if let Some(end) = fold_seq(b, e + 1, x, y) {
            return end;
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The static ASCII classes agree with the class table (built from
    /// `regex-syntax`) on every ASCII character, and are empty elsewhere.
    #[test]
    fn ascii_classes_equal_the_class_table() {
        use super::super::unicode::{table, LOWER, UPPER};
        for c in 0..=255u8 {
            let a = ASCII[c as usize];
            if c >= 0x80 {
                assert_eq!(a, 0, "{c:#x}");
                continue;
            }
            let f = table().of(c as u32);
            let has = |bit: u8| a & bit != 0;
            assert_eq!(has(AL), f & L != 0 && f & LOWER != 0, "AL {c:#x}");
            assert_eq!(has(AU), f & L != 0 && f & UPPER != 0, "AU {c:#x}");
            assert_eq!(has(AX), f & CLN == 0, "AX {c:#x}");
            assert_eq!(has(AS), f & WS != 0, "AS {c:#x}");
        }
    }

    /// The whitespace SWAR masks agree with the class table (built from
    /// `regex-syntax`) on every byte value, in every lane of the word,
    /// whatever the other lanes hold (no carry crosses lanes): ASCII `\s`
    /// and `[\r\n]` for bytes below 0x80, neither from 0x80 on (a UTF-8
    /// byte there is part of a multi-byte character, which the class table
    /// handles; U+0085 and U+00A0 are whitespace but no single byte).
    #[test]
    fn ascii_space_masks_equal_the_class_table() {
        use super::super::unicode::table;
        let expected = |c: u8| {
            let f = if c < 0x80 { table().of(c as u32) } else { 0 };
            (f & WS != 0, f & CRLF != 0)
        };
        let mut spaces = 0;
        for v in 0..=255u8 {
            spaces += expected(v).0 as usize;
            for lane in 0..8 {
                for filler in [
                    0x00, b' ', b'\n', b'\r', b'\t', b'a', 0x7F, 0x80, 0xC2, 0xFF,
                ] {
                    let mut bytes = [filler; 8];
                    bytes[lane] = v;
                    let (space, line_break) = ascii_space_masks(u64::from_le_bytes(bytes));
                    assert_eq!(space & !HIGH, 0);
                    assert_eq!(line_break & !HIGH, 0);
                    for (k, &c) in bytes.iter().enumerate() {
                        let got = (space >> (8 * k + 7)) & 1 != 0;
                        let got_break = (line_break >> (8 * k + 7)) & 1 != 0;
                        assert_eq!(
                            (got, got_break),
                            expected(c),
                            "{v:#x} in lane {lane}, {c:#x} in {k}"
                        );
                    }
                }
            }
        }
        assert_eq!(spaces, 6); // \t \n \x0b \x0c \r and the space
    }

    /// `\s*[\r\n]` on the whitespace run `[p, e)`: just after its last line
    /// break, if it has one (the reference for [`whitespace_run`]).
    fn after_last_line_break(b: &[u8], p: usize, e: usize) -> Option<usize> {
        b[p..e]
            .iter()
            .rposition(|&c| c == b'\r' || c == b'\n')
            .map(|k| p + k + 1)
    }

    /// The whitespace run (from a whitespace character, and its SWAR rest
    /// from any character) equals the class table's run, byte by byte, and
    /// its last line break equals a backward scan, on runs of every
    /// length from 0 to 40 of mixed ASCII whitespace (all spaces, all
    /// newlines, CRLFs, and pseudo-random mixes of the six), followed by
    /// every kind of character that ends or continues a run (letter, digit,
    /// punctuation, non-ASCII whitespace U+00A0, U+0085 and U+3000 with more
    /// ASCII whitespace after them, non-ASCII letter, end of text; line
    /// breaks after the end, which are not the run's), starting at every
    /// position from offsets 0 to 8 of the buffer.
    #[test]
    fn whitespace_run_equals_the_byte_loop() {
        use super::super::unicode::table;
        let t = table();
        let spaces = [b' ', b'\t', b'\r', b'\n', 0x0b, 0x0c];
        let ends: [&str; 14] = [
            "",
            "a",
            "Z",
            "7",
            ",",
            "a\n",
            ",\r\n",
            "\u{a0}b \n\n",
            "\u{a0}",
            "\u{3000}",
            "\u{85}x",
            "\u{a0}\t \n \u{3000}  \r\n\u{2028}y",
            "é",
            "中",
        ];
        let mut runs: Vec<Vec<u8>> = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for n in 0..=40usize {
            runs.push(vec![b' '; n]);
            runs.push(vec![b'\n'; n]);
            runs.push(b"\r\n".iter().copied().cycle().take(n).collect());
            runs.push((0..n).map(|j| spaces[j % spaces.len()]).collect());
            for _ in 0..6 {
                runs.push(
                    (0..n)
                        .map(|_| {
                            seed ^= seed << 13;
                            seed ^= seed >> 7;
                            seed ^= seed << 17;
                            // Mostly spaces, so that line breaks are sparse.
                            match seed % 16 {
                                k @ 0..=5 => spaces[k as usize],
                                _ => b' ',
                            }
                        })
                        .collect(),
                );
            }
        }
        let mut checked = 0;
        for run_bytes in &runs {
            for end in ends {
                for offset in 0..=8 {
                    let mut b = vec![b'x'; offset];
                    b.extend_from_slice(run_bytes);
                    b.extend_from_slice(end.as_bytes());
                    let text = std::str::from_utf8(&b).unwrap();
                    for i in (offset..=b.len()).filter(|&i| text.is_char_boundary(i)) {
                        let e = run(t, &b, i, |g| g & WS != 0);
                        let want = (e, after_last_line_break(&b, i, e));
                        assert_eq!(more_whitespace(t, &b, i, None), want, "{text:?} from {i}");
                        if e > i {
                            let n = t.at(&b, i).1;
                            assert_eq!(whitespace_run(t, &b, i, n), want, "{text:?} at {i}");
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    /// o200k's one-pass ASCII word equals "uppercase run, then lowercase
    /// run" byte by byte on words of every length around the eight-byte
    /// word (0 to 26 letters), with every split between an uppercase part
    /// and a lowercase one ("HTTPServer" and "helloWorld" shapes too), each
    /// followed by every kind of byte that can end a word (apostrophe,
    /// digit, CR, LF, space, punctuation, the first byte of a non-ASCII
    /// letter, the letters just outside `[A-Za-z]`, or the end of the
    /// text), starting at offsets 0 to 8 of the buffer.
    #[test]
    fn ascii_upper_then_lower_on_every_word_shape() {
        fn expected(b: &[u8], i: usize) -> usize {
            let mut e = i;
            while e < b.len() && b[e].is_ascii_uppercase() {
                e += 1;
            }
            while e < b.len() && b[e].is_ascii_lowercase() {
                e += 1;
            }
            e
        }
        let ends: [&[u8]; 12] = [
            b"",
            b"'s",
            b"'S",
            b"1",
            b"\r\n",
            b"\n",
            b" x",
            b",",
            b"@[`{",
            "é".as_bytes(),
            "ʰ".as_bytes(),
            b"_",
        ];
        let mut words = Vec::new();
        for n in 0..=26usize {
            for k in 0..=n {
                // `k` uppercase then lowercase, and `k` lowercase then uppercase.
                let up_low: Vec<u8> = (0..n)
                    .map(|j| {
                        if j < k {
                            b'A' + (j % 26) as u8
                        } else {
                            b'a' + (j % 26) as u8
                        }
                    })
                    .collect();
                let low_up: Vec<u8> = up_low.iter().map(|c| c ^ 0x20).collect();
                words.push(up_low);
                words.push(low_up);
            }
        }
        words.push(b"HTTPServer".to_vec());
        words.push(b"zZaAzZ".to_vec());
        for word in &words {
            for end in ends {
                for offset in 0..=8 {
                    let mut b = vec![b' '; offset];
                    b.extend_from_slice(word);
                    b.extend_from_slice(end);
                    for i in offset..=b.len() {
                        assert_eq!(
                            ascii_upper_then_lower(&b, i),
                            expected(&b, i),
                            "{:?} from {i}",
                            String::from_utf8_lossy(&b)
                        );
                    }
                }
            }
        }
    }

    /// The word-at-a-time runs equal a byte-by-byte loop, at every start,
    /// on text mixing letters of both cases, digits, punctuation, the
    /// characters next to the letter ranges, and non-ASCII bytes.
    #[test]
    fn ascii_runs_equal_the_byte_loop() {
        fn slow(b: &[u8], mut i: usize, keep: u8) -> usize {
            while i < b.len() && ASCII[b[i] as usize] & keep != 0 {
                i += 1;
            }
            i
        }
        fn check(b: &[u8], i: usize, what: &str) {
            let upper_end = slow(b, i, AU);
            assert_eq!(
                ascii_upper_then_lower(b, i),
                slow(b, upper_end, AL),
                "AU then AL, {what}"
            );
            assert_eq!(ascii_run::<AL>(b, i), slow(b, i, AL), "AL, {what}");
            assert_eq!(ascii_run::<AU>(b, i), slow(b, i, AU), "AU, {what}");
            assert_eq!(
                ascii_run::<{ AL | AU }>(b, i),
                slow(b, i, AL | AU),
                "AL|AU, {what}"
            );
        }
        let text = "abcdefghIJKLMNOPqrstuvwxyzABCDEFGHIJ@[`{ Zz aZ9_ é日本 wordsAndMORE \
                    x\u{80}yz ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz \
                    ABCDEFGHabcdefgh1 ABCDEFGHIabc ABCDEFGabcdefghi Hello World";
        for i in 0..=text.len() {
            check(text.as_bytes(), i, &format!("at {i}"));
        }
        // Every byte value, in every lane, inside runs of each case.
        for v in 0..=255u8 {
            for lane in 0..8 {
                for run in [
                    b"abcdefghijklmnop",
                    b"ABCDEFGHIJKLMNOP",
                    b"ABCdefghijklmnop",
                ] {
                    let mut w = *run;
                    w[lane] = v;
                    check(&w, 0, &format!("{v:#x} in lane {lane}"));
                }
            }
        }
    }
}
