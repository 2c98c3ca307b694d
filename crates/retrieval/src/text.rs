//! The skeleton every text input of this crate shares (JSONL corpora and
//! queries, query TSV, qrels, TREC runs, `.txt` documents): read the file,
//! check it is UTF-8 (naming the line where it is not), drop a leading
//! byte-order mark, and walk the data lines with their 1-based numbers.

use std::path::Path;

use towel_data::text::strip_bom;

use crate::error::RetrievalError;

/// The bytes of a file, or an I/O error naming it.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, RetrievalError> {
    std::fs::read(path).map_err(|e| RetrievalError::io(path, e))
}

/// A whole text file as UTF-8, without a leading byte-order mark.
pub(crate) fn read_text(path: &Path) -> Result<String, RetrievalError> {
    let bytes = read_bytes(path)?;
    Ok(utf8(&bytes, &path.display().to_string())?.to_string())
}

/// `bytes` as UTF-8 without a leading byte-order mark; `origin` names the
/// input in the error, which gives the line and byte of the first bad byte.
pub(crate) fn utf8<'a>(bytes: &'a [u8], origin: &str) -> Result<&'a str, RetrievalError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(strip_bom(text)),
        Err(e) => {
            let offset = e.valid_up_to();
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(RetrievalError::format(
                origin,
                line,
                format!("not valid UTF-8 (at byte {offset}); convert the file to UTF-8 first"),
            ))
        }
    }
}

/// The data lines of `text`: a leading byte-order mark dropped, each line
/// with its 1-based number and without the `\r` of a CRLF ending, blank
/// lines skipped.
pub(crate) fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    strip_bom(text)
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty())
}
