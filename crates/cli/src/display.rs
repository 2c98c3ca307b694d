//! How the CLI shows things to people: sizes and shortened titles. One home
//! for each, so that every command and the tour show them alike. Token bytes
//! are shown by the library's [`towel_tokenizer::escape_bytes`].

/// A byte count for people: `512 B`, `3.4 KB`, `55.7 MB` (powers of 1000).
pub fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.1} KB", n as f64 / 1e3),
        n => format!("{n} B"),
    }
}

/// `s` on one line and cut to at most `n` characters, with `…` standing for
/// what was cut. Every run of whitespace (titles can hold newlines, as
/// Cranfield's do) becomes one space, so a title cannot break a table row or
/// a line of output.
pub fn shorten(s: &str, n: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= n {
        s
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The note for special tokens a file format could not hold (`.tiktoken`),
/// or `None` when nothing was dropped.
pub fn dropped_specials_note(path: &std::path::Path, dropped: &[(String, u32)]) -> Option<String> {
    if dropped.is_empty() {
        return None;
    }
    let list: Vec<String> = dropped
        .iter()
        .map(|(s, id)| format!("{s} ({id})"))
        .collect();
    Some(format!(
        "note: {} has no special tokens: a .tiktoken file holds only ranks, so {} {} not in it; to keep them, write the towel or HF format (--format towel|hf, or vocab convert --to-towel/--to-hf)",
        path.display(),
        list.join(", "),
        if dropped.len() == 1 { "is" } else { "are" }
    ))
}

/// Token bytes in a Markdown report: [`towel_tokenizer::escape_bytes`] with
/// spaces shown as `␠` (Markdown trims them inside code spans).
pub fn token_md(bytes: &[u8]) -> String {
    towel_tokenizer::escape_bytes(bytes).replace(' ', "␠")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_shortening() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(55_700_000), "55.7 MB");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }
}

/// `n` and a noun that takes an "s" in the plural: "1 document", "2 documents".
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod one_line_tests {
    use super::*;

    /// Cranfield's titles hold newlines ("high\nspeed flight"): shown on one
    /// line, or they break the tour's table rows.
    #[test]
    fn shorten_keeps_one_line() {
        assert_eq!(
            shorten(
                "some structural and aerelastic considerations of high\nspeed  aircraft .",
                60
            ),
            "some structural and aerelastic considerations of high speed…"
        );
        assert_eq!(shorten(" a\r\n\tb ", 10), "a b");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(count(1, "token"), "1 token");
        assert_eq!(count(0, "token"), "0 tokens");
    }
}
