//! 1 MB inputs that are hard for backtracking regex engines: one class
//! repeated, class borders repeated, and base64-like text without spaces.
//! Shared by `tests/pretok.rs` (which checks them) and `benches/pretok.rs`
//! (which times them).

/// `(name, text)` for each input.
pub fn pathological() -> Vec<(&'static str, String)> {
    const MB: usize = 1 << 20;
    // Deterministic base64-like text without spaces (xorshift).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let base64: String = (0..MB)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % 64) as usize] as char
        })
        .collect();
    vec![
        ("a", "a".repeat(MB)),
        ("space", " ".repeat(MB)),
        ("newline", "\n".repeat(MB)),
        ("cjk", "\u{4e00}".repeat(MB / 3)),
        ("base64", base64),
        ("space-a", " a".repeat(MB / 2)),
        ("combining", "\u{301}".repeat(MB / 2)),
        ("digits", "7".repeat(MB)),
        ("titlecase", "ǅ".repeat(MB / 2)),
        ("spaces-then-letter", format!("{}a", " ".repeat(MB))),
        ("tabs-newline", "\t\n".repeat(MB / 2)),
        ("apostrophes", "'".repeat(MB)),
    ]
}
