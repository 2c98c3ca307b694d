//! Token bytes shown to people: the one display that every command and
//! message uses (`towel encode --pieces`, `towel tokenize --pieces`,
//! `towel bpe show`, the tour, error messages).

/// Token bytes as readable text, unambiguously:
///
/// - valid UTF-8 is shown as text;
/// - `\` and `"` are escaped as `\\` and `\"` (so the result can be quoted);
/// - newline, carriage return and tab as `\n`, `\r`, `\t`; other control
///   characters as `\u{XXXX}`;
/// - every byte that is not part of valid UTF-8 as `\xNN` (upper-case hex).
///
/// ```
/// use towel_tokenizer::escape_bytes;
/// assert_eq!(escape_bytes(" world"), " world");
/// assert_eq!(escape_bytes(b"\xF0\x9F"), "\\xF0\\x9F");
/// assert_eq!(escape_bytes("a\\b\n"), "a\\\\b\\n");
/// assert_eq!(escape_bytes("\"\u{7}"), "\\\"\\u{0007}");
/// ```
pub fn escape_bytes(bytes: impl AsRef<[u8]>) -> String {
    let mut out = String::new();
    for chunk in bytes.as_ref().utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => out.push_str(&format!("\\u{{{:04X}}}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}
