//! The index file: one self-describing binary file per [`Retriever`].
//!
//! Layout (all integers little-endian):
//!
//! | bytes | what |
//! | --- | --- |
//! | 8 | magic `TOWELIDX` |
//! | 4 | format version ([`FORMAT_VERSION`]) |
//! | 4 | reserved (0) |
//! | 8 | payload length in bytes |
//! | 4 | CRC-32 (IEEE) of the payload |
//! | 4 | reserved (0) |
//! | … | payload |
//!
//! The payload is a sequence of sections, each a `u64` length then the bytes:
//! the metadata as JSON (method and its parameters, analyzer settings, counts,
//! the towel version that wrote it), the document ids, the titles, the
//! vocabulary (string tables: `u64` offsets then the UTF-8 bytes), then the
//! model's own sections, which each model writes and reads itself
//! (`Bm25Index::write_sections`, `TfidfIndex::write_sections`):
//!
//! | model | per-term array | per-document array | posting values |
//! | --- | --- | --- | --- |
//! | BM25 | float32 non-occurrence scores (empty unless bm25l/bm25+) | u32 lengths \|d\| | float32 scores |
//! | TF-IDF | float64 idf | float64 norms ‖d‖ | float64 weights |
//!
//! Each is the per-term array, the per-document array, then the terms ×
//! documents posting lists: `indptr` (u64), document indices (u32) and the
//! values. The per-document array is what the score was normalized by, which
//! `towel search --explain` shows as the document's length factor; with it
//! and the stored value, the explanation recovers each term's count (the one
//! whose recomputed value is the stored one bit for bit), so the counts need
//! no section of their own (they would add 4 bytes per posting).
//!
//! Version history: 1 had no per-document array; towel refuses it with an
//! error that says to rebuild the index ([`RetrievalError::IndexVersion`]).
//! The loader checks the per-document array as it checks everything: one
//! entry per document, BM25's lengths averaging to the metadata's mean bit
//! for bit and no document shorter than its number of distinct terms,
//! TF-IDF's norms positive and finite; every score or weight finite
//! (TF-IDF's also positive).
//!
//! Files are written atomically with [`towel_data::write_atomic_with`] and read
//! with one `read` of the whole file; arrays are decoded straight from that
//! buffer. (A memory map would save the copy, but every loaded array is used
//! right away and a SciFact index is a few MB, so a single read is as fast and
//! keeps the loader free of `unsafe`.) The checksum is verified before anything
//! is parsed, and every structure is validated after, so a damaged file gives
//! an error, never a panic or wrong results.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::analyzer::{Analyzer, AnalyzerConfig};
use crate::error::RetrievalError;
use crate::retriever::{Method, Model, Retriever};
use crate::sparse::CsrMatrix;
use crate::terms::Vocabulary;

/// First bytes of every index file.
pub const MAGIC: &[u8; 8] = b"TOWELIDX";
/// A towel index to [`towel_data::WritePlan`]: a file that starts with
/// [`MAGIC`]. Writers of an index (`towel index`, Python's `save`) replace an
/// existing index and refuse any other file unless forced.
pub const KIND: towel_data::Kind = towel_data::Kind {
    name: "towel index",
    sniff: |h| h.starts_with(MAGIC),
};
/// The format version this code writes and reads.
pub const FORMAT_VERSION: u32 = 2;
const HEADER_LEN: usize = 32;

#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    towel_version: String,
    method: Method,
    analyzer: AnalyzerConfig,
    n_docs: usize,
    n_terms: usize,
    nnz: usize,
    avg_doc_len: f64,
}

/// A fixed-size little-endian value of an array section.
pub(crate) trait Le: Copy {
    const SIZE: usize;
    fn put(self, out: &mut Vec<u8>);
    fn get(b: &[u8]) -> Self;
}
macro_rules! le {
    ($t:ty, $n:expr) => {
        impl Le for $t {
            const SIZE: usize = $n;
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(b: &[u8]) -> Self {
                let mut a = [0u8; $n];
                a.copy_from_slice(b);
                <$t>::from_le_bytes(a)
            }
        }
    };
}
le!(u32, 4);
le!(u64, 8);
le!(f32, 4);
le!(f64, 8);

/// Writes the sections of a payload: each a `u64` length, then the bytes.
/// The models write their own sections with it (`Bm25Index::write_sections`,
/// `TfidfIndex::write_sections`).
#[derive(Default)]
pub(crate) struct Sections {
    out: Vec<u8>,
}

impl Sections {
    /// One section of raw bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.out
            .extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        self.out.extend_from_slice(bytes);
    }

    /// A string table: `u64` count, `count + 1` `u64` offsets, the UTF-8 bytes.
    pub(crate) fn strings(&mut self, strings: &[String]) {
        let mut b = Vec::new();
        b.extend_from_slice(&(strings.len() as u64).to_le_bytes());
        let mut off = 0u64;
        b.extend_from_slice(&off.to_le_bytes());
        for s in strings {
            off += s.len() as u64;
            b.extend_from_slice(&off.to_le_bytes());
        }
        for s in strings {
            b.extend_from_slice(s.as_bytes());
        }
        self.bytes(&b);
    }

    /// An array of fixed-size values.
    pub(crate) fn array<T: Le>(&mut self, values: impl ExactSizeIterator<Item = T>) {
        let mut b = Vec::with_capacity(values.len() * T::SIZE);
        for v in values {
            v.put(&mut b);
        }
        self.bytes(&b);
    }

    /// Posting lists: three sections, `indptr` (u64), document indices (u32), values.
    pub(crate) fn postings<T: Le>(&mut self, m: &CsrMatrix<T>) {
        self.array(m.indptr.iter().map(|&x| x as u64));
        self.array(m.indices.iter().copied());
        self.array(m.data.iter().copied());
    }
}

/// Encode a retriever as index file bytes (header + payload).
pub fn to_bytes(r: &Retriever) -> Vec<u8> {
    let meta = Meta {
        towel_version: env!("CARGO_PKG_VERSION").to_string(),
        method: r.method(),
        analyzer: r.analyzer.config().clone(),
        n_docs: r.n_docs(),
        n_terms: r.vocab().len(),
        nnz: r.model.nnz(),
        avg_doc_len: r.model.avg_doc_len(),
    };
    let meta_json = serde_json::to_vec(&meta).expect("metadata serializes");
    let mut sections = Sections::default();
    sections.bytes(&meta_json);
    sections.strings(&r.doc_ids);
    sections.strings(&r.titles);
    sections.strings(r.vocab().terms());
    r.model.write_sections(&mut sections);
    let payload = sections.out;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Write `r` to `path` atomically.
pub fn save(r: &Retriever, path: &Path) -> Result<(), RetrievalError> {
    let bytes = to_bytes(r);
    towel_data::write_atomic_with(path, |w: &mut dyn Write| w.write_all(&bytes))?;
    Ok(())
}

/// Read an index file.
pub fn load(path: &Path) -> Result<Retriever, RetrievalError> {
    let bytes = towel_data::read_regular_file(path).map_err(|e| RetrievalError::io(path, e))?;
    from_bytes(&bytes, path)
}

/// Reads the sections of a payload, checking every length; the models read
/// their own sections with it.
pub(crate) struct Cursor<'a> {
    b: &'a [u8],
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    /// The error for a damaged file.
    pub(crate) fn corrupt(&self, detail: impl Into<String>) -> RetrievalError {
        RetrievalError::IndexCorrupt {
            path: self.path.to_path_buf(),
            detail: detail.into(),
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], RetrievalError> {
        if self.b.len() < n {
            return Err(self.corrupt(format!("{what} runs past the end of the payload")));
        }
        let (a, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(a)
    }

    fn u64(&mut self, what: &str) -> Result<u64, RetrievalError> {
        Ok(u64::get(self.take(8, what)?))
    }

    fn section(&mut self, what: &str) -> Result<&'a [u8], RetrievalError> {
        let n = self.u64(what)?;
        let n = usize::try_from(n).map_err(|_| self.corrupt(format!("{what} length overflows")))?;
        self.take(n, what)
    }

    /// An array section of fixed-size values.
    pub(crate) fn array<T: Le>(&mut self, what: &str) -> Result<Vec<T>, RetrievalError> {
        let s = self.section(what)?;
        if s.len() % T::SIZE != 0 {
            return Err(self.corrupt(format!("{what} length is not a whole number of items")));
        }
        Ok(s.chunks_exact(T::SIZE).map(T::get).collect())
    }

    fn strings(&mut self, what: &str) -> Result<Vec<String>, RetrievalError> {
        let s = self.section(what)?;
        let mut c = Cursor {
            b: s,
            path: self.path,
        };
        let n = c.u64(what)? as usize;
        if n > s.len() / 8 {
            return Err(self.corrupt(format!("{what} count is too large")));
        }
        let offs: Vec<u64> = c
            .take((n + 1) * 8, what)?
            .chunks_exact(8)
            .map(u64::get)
            .collect();
        let blob = c.b;
        let mut out = Vec::with_capacity(n);
        for w in offs.windows(2) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            if a > b || b > blob.len() {
                return Err(self.corrupt(format!("{what} offsets are out of range")));
            }
            let st = std::str::from_utf8(&blob[a..b])
                .map_err(|_| self.corrupt(format!("{what} holds invalid UTF-8")))?;
            out.push(st.to_string());
        }
        Ok(out)
    }

    /// Posting lists (terms × documents), validated: one row per term,
    /// documents in range and ascending.
    pub(crate) fn postings<T: Le>(
        &mut self,
        n_terms: usize,
        n_docs: usize,
    ) -> Result<CsrMatrix<T>, RetrievalError> {
        let indptr: Vec<u64> = self.array("posting offsets")?;
        let indices: Vec<u32> = self.array("posting documents")?;
        let data: Vec<T> = self.array("posting values")?;
        let m = CsrMatrix {
            cols: n_docs,
            indptr: indptr.into_iter().map(|x| x as usize).collect(),
            indices,
            data,
        };
        if m.indptr.len() != n_terms + 1 {
            return Err(self.corrupt("posting offsets do not match the vocabulary size"));
        }
        m.validate()
            .map_err(|e| self.corrupt(format!("postings: {e}")))?;
        Ok(m)
    }
}

/// Decode index file bytes (`path` is used in messages).
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Retriever, RetrievalError> {
    let p = || path.to_path_buf();
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) && !bytes.is_empty() {
            return Err(RetrievalError::IndexTruncated {
                path: p(),
                expected: HEADER_LEN as u64,
                actual: bytes.len() as u64,
            });
        }
        return Err(RetrievalError::NotAnIndex { path: p() });
    }
    if bytes.len() < HEADER_LEN {
        return Err(RetrievalError::IndexTruncated {
            path: p(),
            expected: HEADER_LEN as u64,
            actual: bytes.len() as u64,
        });
    }
    let version = u32::get(&bytes[8..12]);
    if version != FORMAT_VERSION {
        return Err(RetrievalError::IndexVersion {
            path: p(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let payload_len = u64::get(&bytes[16..24]);
    let crc = u32::get(&bytes[24..28]);
    let expected = (HEADER_LEN as u64).saturating_add(payload_len);
    if (bytes.len() as u64) < expected {
        return Err(RetrievalError::IndexTruncated {
            path: p(),
            expected,
            actual: bytes.len() as u64,
        });
    }
    let corrupt = |d: String| RetrievalError::IndexCorrupt {
        path: p(),
        detail: d,
    };
    if (bytes.len() as u64) > expected {
        return Err(corrupt(format!(
            "{} unexpected bytes after the payload",
            bytes.len() as u64 - expected
        )));
    }
    let payload = &bytes[HEADER_LEN..];
    let actual_crc = crc32fast::hash(payload);
    if actual_crc != crc {
        return Err(corrupt(format!(
            "checksum mismatch: stored {crc:08x}, computed {actual_crc:08x}"
        )));
    }
    let mut c = Cursor { b: payload, path };
    let meta: Meta = serde_json::from_slice(c.section("metadata")?)
        .map_err(|e| corrupt(format!("metadata is not valid: {e}")))?;
    let doc_ids = c.strings("document ids")?;
    let titles = c.strings("titles")?;
    let terms = c.strings("vocabulary")?;
    let (n_docs, n_terms) = (meta.n_docs, meta.n_terms);
    if doc_ids.len() != n_docs || titles.len() != n_docs || terms.len() != n_terms {
        return Err(corrupt("section sizes disagree with the metadata".into()));
    }
    let vocab = Vocabulary::from_terms(terms);
    let mut distinct = rustc_hash::FxHashSet::default();
    if !vocab.terms().iter().all(|t| distinct.insert(t.as_str())) {
        return Err(corrupt("the vocabulary repeats a term".into()));
    }
    let analyzer = Analyzer::new(meta.analyzer.clone())
        .map_err(|e| corrupt(format!("analyzer settings: {e}")))?;
    let model = Model::read_sections(meta.method, meta.avg_doc_len, &mut c, n_terms, n_docs)?;
    if !c.b.is_empty() {
        return Err(corrupt("unexpected data after the last section".into()));
    }
    Ok(Retriever {
        analyzer,
        doc_ids,
        titles,
        vocab,
        model,
    })
}

impl Retriever {
    /// Write this retriever to an index file (atomically).
    pub fn save(&self, path: &Path) -> Result<(), RetrievalError> {
        save(self, path)
    }

    /// Load a retriever from an index file.
    pub fn load(path: &Path) -> Result<Self, RetrievalError> {
        load(path)
    }
}
