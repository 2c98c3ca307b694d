//! Text inputs as users hand them over: every text format towel reads
//! (JSONL corpora, queries and qrels TSV, runs, vocabulary and tokenizer
//! files, plain text) accepts one leading UTF-8 byte-order mark, which
//! Windows editors and Excel's "UTF-8" export put there. This is its one home.

/// The UTF-8 byte-order mark, `EF BB BF` (U+FEFF).
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// `text` without one leading byte-order mark.
///
/// ```
/// assert_eq!(towel_data::text::strip_bom("\u{feff}q1\td1"), "q1\td1");
/// assert_eq!(towel_data::text::strip_bom("q1"), "q1");
/// ```
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// `bytes` without one leading UTF-8 byte-order mark.
///
/// ```
/// assert_eq!(towel_data::text::strip_bom_bytes(b"\xEF\xBB\xBF{}"), b"{}");
/// ```
pub fn strip_bom_bytes(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)
}
