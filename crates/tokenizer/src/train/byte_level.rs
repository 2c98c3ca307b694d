//! GPT-2's byte-to-character table (`bytes_to_unicode`), used by HF
//! tokenizers' ByteLevel model to spell token bytes as printable strings.
//!
//! Printable bytes (`!`..=`~`, `¡`..=`¬`, `®`..=`ÿ`) stand for themselves;
//! the other 68 bytes (controls, space, DEL, NBSP, soft hyphen, ...) map to
//! U+0100 upwards in byte order. So the space byte is spelled `Ġ` and the
//! newline `Ċ`.
//!
//! ```
//! use towel_tokenizer::train::byte_level::{byte_char, bytes_to_string, string_to_bytes};
//! assert_eq!(byte_char(b' '), 'Ġ');
//! assert_eq!(bytes_to_string(b" the\n"), "Ġthe\u{010a}");
//! assert_eq!(string_to_bytes("Ġthe").unwrap(), b" the");
//! ```

/// Is `b` one of the bytes that GPT-2 spells as itself?
fn printable(b: u8) -> bool {
    matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

/// The character that stands for byte `b`.
pub fn byte_char(b: u8) -> char {
    if printable(b) {
        return char::from(b);
    }
    // The non-printable bytes get U+0100 + (how many non-printable bytes come before b).
    let n = (0..b).filter(|&x| !printable(x)).count() as u32;
    char::from_u32(256 + n).expect("U+0100..U+0143 are chars")
}

/// The byte-level spelling of a byte string.
pub fn bytes_to_string(bytes: &[u8]) -> String {
    let table = table();
    bytes.iter().map(|&b| table[b as usize]).collect()
}

/// The bytes a byte-level string stands for, or `None` if it has a character
/// outside the table.
pub fn string_to_bytes(s: &str) -> Option<Vec<u8>> {
    let table = table();
    s.chars()
        .map(|c| table.iter().position(|&t| t == c).map(|b| b as u8))
        .collect()
}

/// All 256 characters, indexed by byte.
pub fn table() -> [char; 256] {
    let mut t = ['\0'; 256];
    for (b, c) in t.iter_mut().enumerate() {
        *c = byte_char(b as u8);
    }
    t
}

/// The position of each byte when the 256 characters are sorted by code
/// point: the order in which HF's BpeTrainer numbers its initial alphabet
/// (printable bytes first, in byte order, then the others in byte order).
pub fn hf_alphabet_order() -> [u32; 256] {
    let mut bytes: Vec<u8> = (0..=255).collect();
    bytes.sort_by_key(|&b| byte_char(b) as u32);
    let mut pos = [0u32; 256];
    for (i, b) in bytes.into_iter().enumerate() {
        pos[b as usize] = i as u32;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_a_bijection_with_gpt2_spellings() {
        let t = table();
        let mut seen = std::collections::HashSet::new();
        for c in t {
            assert!(seen.insert(c));
        }
        assert_eq!(byte_char(b'\n'), 'Ċ');
        assert_eq!(byte_char(0), 'Ā');
        assert_eq!(byte_char(0xAD), 'Ń');
        assert_eq!(byte_char(b'a'), 'a');
        let order = hf_alphabet_order();
        assert_eq!(order[b'!' as usize], 0);
        assert_eq!(order[0], 188);
        assert_eq!(order[0xAD], 255);
    }
}
