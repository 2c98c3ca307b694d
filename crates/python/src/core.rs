//! `CoreBPE`: tiktoken's `_tiktoken.CoreBPE` on towel's encoder.
//!
//! Same methods, arguments and exceptions as tiktoken's (`src/py.rs` of
//! tiktoken 0.14), so `python/towel/core.py` keeps tiktoken's Python logic.
//! Differences, all in what tiktoken leaves to Python: `encode` checks the
//! disallowed special tokens itself (one Aho-Corasick pass, no Python
//! regex), batches run on Rust threads, and `count` never builds the list.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, MatchKind};
use pyo3::exceptions::{PyKeyError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use towel_tokenizer::format::Gpt2Vocab;

use crate::lists::{direct_layout, id_batch_on, ids, ListLayout};
use crate::text::Utf8Str;
use towel_tokenizer::{
    map_in_order, AllowedSpecial, DisallowedSpecial, Encoding, EncodingName, Pattern, Rank, Ranks,
    TokenizerError,
};

/// tiktoken's message for a disallowed special token (`core.py`,
/// `raise_disallowed_special_token`), with Python's `repr` of the token.
pub(crate) fn disallowed_error(py: Python<'_>, token: &str) -> PyErr {
    let r = match PyString::new(py, token).repr() {
        Ok(r) => r.to_string(),
        Err(e) => return e,
    };
    PyValueError::new_err(format!(
        "Encountered text corresponding to disallowed special token {r}.\n\
         If you want this text to be encoded as a special token, pass it to `allowed_special`, \
         e.g. `allowed_special={{{r}, ...}}`.\n\
         If you want this text to be encoded as normal text, disable the check for this token \
         by passing `disallowed_special=(enc.special_tokens_set - {{{r}}})`.\n\
         To disable this check for all special tokens, pass `disallowed_special=()`.\n"
    ))
}

/// A tokenizer error as the Python exception tiktoken raises.
pub(crate) fn tok_err(py: Python<'_>, e: TokenizerError) -> PyErr {
    match e {
        TokenizerError::DisallowedSpecial { token, .. } => disallowed_error(py, &token),
        TokenizerError::UnknownId { id, .. } => {
            PyKeyError::new_err(format!("Invalid token for decoding: {id}"))
        }
        TokenizerError::PatternFailed { .. } => {
            PyValueError::new_err(format!("Regex error while tokenizing: {e}"))
        }
        e => PyValueError::new_err(e.to_string()),
    }
}

/// Special-token names as `CoreBPE` takes them: any iterable of `str`
/// (tiktoken's `CoreBPE` takes a set; the Python layer passes lists), but
/// not a `str` itself, whose characters would each count as a name.
struct Names(Vec<String>);

impl<'py> FromPyObject<'_, 'py> for Names {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if ob.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "special tokens must be a set of strings, not a str",
            ));
        }
        let mut names = Vec::new();
        for item in ob.try_iter()? {
            names.push(item?.extract::<String>()?);
        }
        Ok(Names(names))
    }
}

/// `allowed_special`: None means every special token ("all").
fn allowed(a: Option<Names>) -> AllowedSpecial {
    match a {
        None => AllowedSpecial::All,
        Some(Names(v)) if v.is_empty() => AllowedSpecial::None,
        Some(Names(v)) => AllowedSpecial::Only(v.into_iter().collect()),
    }
}

/// `disallowed_special`: None means "all" (every special token not allowed).
fn disallowed(d: Option<Names>) -> DisallowedSpecial {
    match d {
        None => DisallowedSpecial::All,
        Some(Names(v)) if v.is_empty() => DisallowedSpecial::None,
        Some(Names(v)) => DisallowedSpecial::Only(v.into_iter().collect::<BTreeSet<String>>()),
    }
}

/// The threads a batch runs on: the calling thread plus, for more than
/// one, a pool of the others (at most one thread per core in all). The
/// calling thread works too, instead of waiting for the pool: it hands
/// the results over in order (see `towel_tokenizer::map_in_order`).
fn helper_pool(num_threads: i64) -> PyResult<(Option<Arc<rayon::ThreadPool>>, usize)> {
    let threads = towel_data::threads::at_most_cores(check_threads(num_threads)?);
    let helpers = if threads > 1 {
        let n = threads - 1;
        Some(
            towel_data::threads::pool(n)
                .map_err(|e| PyValueError::new_err(format!("cannot start {n} threads: {e}")))?,
        )
    } else {
        None
    };
    Ok((helpers, threads))
}

fn check_threads(num_threads: i64) -> PyResult<usize> {
    if num_threads < 1 {
        return Err(PyValueError::new_err(format!(
            "num_threads must be at least 1, got {num_threads}"
        )));
    }
    Ok(num_threads as usize)
}

/// The byte-pair encoder behind `towel.Encoding`.
#[pyclass(frozen, module = "towel._towel", name = "CoreBPE")]
pub struct CoreBpe {
    bpe: towel_tokenizer::CoreBpe,
    /// Every special token (leftmost-longest), to check disallowed ones
    /// before counting.
    specials_ac: Option<AhoCorasick>,
    /// Mergeable token bytes, sorted (token_byte_values, unstable completions).
    sorted: OnceLock<Vec<(Vec<u8>, Rank)>>,
    /// One Python int per id, made on first use: a list of ids is then
    /// built by taking references (no allocation per token), which is most
    /// of the cost of returning a list.
    ints: OnceLock<Vec<Py<PyAny>>>,
}

impl CoreBpe {
    pub(crate) fn wrap(bpe: towel_tokenizer::CoreBpe) -> PyResult<CoreBpe> {
        let specials: Vec<&str> = bpe.special_tokens().iter().map(|s| s.0.as_str()).collect();
        let specials_ac = if specials.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&specials)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?,
            )
        };
        Ok(CoreBpe {
            bpe,
            specials_ac,
            sorted: OnceLock::new(),
            ints: OnceLock::new(),
        })
    }

    /// One Python int per id (made on first use).
    fn ints(&self, py: Python<'_>) -> &[Py<PyAny>] {
        if let Some(v) = self.ints.get() {
            return v;
        }
        let v: Vec<Py<PyAny>> = (0..self.bpe.n_vocab())
            .map(|i| match i.into_pyobject(py) {
                Ok(o) => o.into_any().unbind(),
                Err(never) => match never {},
            })
            .collect();
        let _ = self.ints.set(v);
        self.ints.get().expect("just set")
    }

    /// `ids` as a Python list of ints: a new reference to each id's
    /// cached int, put straight into a list of the right length. This loop
    /// is the only per-token work done under the GIL (the serial part of a
    /// batch, see `batch`), so where CPython's classic object layout is
    /// verified ([`direct_layout`]) it writes the list's slots and the
    /// reference counts itself, as `PyList_SET_ITEM` and the limited API's
    /// own `Py_INCREF` of 3.9-3.11 do: on SciFact's 1.6 M o200k tokens that
    /// is about 6 instructions a token instead of 42 through
    /// `Py_IncRef` + `PyList_SetItem` (callgrind), 17% of the call.
    fn to_list<'py>(&self, py: Python<'py>, ids: &[Rank]) -> PyResult<Bound<'py, PyList>> {
        let ints = self.ints(py);
        let direct = direct_layout();
        // SAFETY: `list` is a new list of `ids.len()` empty slots; each slot
        // is set once, with a new (owned) reference. Through the API,
        // PyList_SetItem steals it (indices are in range: it cannot fail);
        // directly, the layout was checked by `direct_layout`.
        unsafe {
            let list = ffi::PyList_New(ids.len() as ffi::Py_ssize_t);
            if list.is_null() {
                return Err(PyErr::fetch(py));
            }
            if direct {
                let items = (*(list as *mut ListLayout)).ob_item;
                for (i, &t) in ids.iter().enumerate() {
                    // Every id an encoder gives is below n_vocab.
                    let o = ints[t as usize].as_ptr();
                    *(o as *mut ffi::Py_ssize_t) += 1;
                    *items.add(i) = o;
                }
            } else {
                for (i, &t) in ids.iter().enumerate() {
                    let o = ints[t as usize].as_ptr();
                    ffi::Py_INCREF(o);
                    ffi::PyList_SetItem(list, i as ffi::Py_ssize_t, o);
                }
            }
            Ok(Bound::from_owned_ptr(py, list).cast_into_unchecked())
        }
    }

    /// Encode `texts` on `num_threads` threads (the calling one and
    /// `num_threads - 1` pool threads, at most one per core), turning each
    /// block of results into Python lists on the calling thread while the
    /// other threads encode the rest.
    ///
    /// Why the overlap: building the lists is serial (it needs the GIL),
    /// and after the parallel part it bounded 2 threads at
    /// 2 / (1 + serial fraction). See `towel_tokenizer`'s `bpe/batch.rs`
    /// and the measured figures in the crate README.
    fn batch<'py>(
        &self,
        py: Python<'py>,
        texts: &[Utf8Str],
        allowed: &AllowedSpecial,
        disallowed: &DisallowedSpecial,
        num_threads: i64,
    ) -> PyResult<Bound<'py, PyList>> {
        let (helpers, threads) = helper_pool(num_threads)?;
        let refs: Vec<&str> = texts.iter().map(|t| &**t).collect();
        let mut lists: Vec<Py<PyList>> = Vec::with_capacity(refs.len());
        py.detach(|| {
            self.bpe.encode_batch_in_order(
                &refs,
                allowed,
                disallowed,
                helpers.as_deref(),
                threads,
                |_, block| {
                    Python::attach(|py| {
                        for ids in block {
                            let ids = ids.map_err(|e| tok_err(py, e))?;
                            lists.push(self.to_list(py, &ids)?.unbind());
                        }
                        Ok::<(), PyErr>(())
                    })
                },
            )
        })?;
        PyList::new(py, lists)
    }

    fn sorted(&self) -> &[(Vec<u8>, Rank)] {
        self.sorted.get_or_init(|| {
            let mut v: Vec<(Vec<u8>, Rank)> = (0..self.bpe.n_vocab())
                .filter_map(|id| {
                    let b = self.bpe.token_bytes(id)?;
                    (self.bpe.rank_of(b) == Some(id)).then(|| (b.to_vec(), id))
                })
                .collect();
            v.sort_unstable();
            v
        })
    }

    /// Merge the bytes of one piece (no pattern): tiktoken's `byte_pair_encode`.
    fn bpe_bytes(&self, piece: &[u8]) -> Vec<Rank> {
        self.bpe.encode_pieces([piece])
    }

    /// tiktoken's `encode` with the length of the last regex piece's tokens
    /// (0 when the text ends with an allowed special token).
    fn encode_with_last_len(
        &self,
        text: &str,
        allowed: &AllowedSpecial,
    ) -> Result<(Vec<Rank>, usize), TokenizerError> {
        let tokens = self.bpe.encode(text, allowed, &DisallowedSpecial::None)?;
        // Where the last stretch of ordinary text starts: after the last
        // allowed special token, found as encode finds them.
        let mut start = 0;
        if let Some(ac) = &self.specials_ac {
            let is_allowed = |s: &str| match allowed {
                AllowedSpecial::None => false,
                AllowedSpecial::All => true,
                AllowedSpecial::Only(set) => set.contains(s),
            };
            let mut from = 0;
            while let Some(m) = ac.find(aho_corasick::Input::new(text).span(from..text.len())) {
                let s = &text[m.start()..m.end()];
                if is_allowed(s) {
                    start = m.end();
                    from = m.end();
                } else {
                    from = m.start() + 1;
                }
            }
        }
        let mut last = None;
        self.bpe
            .pattern()
            .for_each_piece(&text[start..], |p| last = Some(p))?;
        let n = last.map_or(0, |p| self.bpe_bytes(p.as_bytes()).len());
        Ok((tokens, n))
    }

    /// tiktoken's `_increase_last_piece_token_len`: whitespace splits are
    /// unstable (`"\n" + " "` may become `"\n \n"`), so trailing
    /// all-whitespace tokens join the last piece.
    fn increase_last_piece_token_len(&self, tokens: &[Rank], mut n: usize) -> usize {
        let all_space = |t: Rank| {
            self.bpe.rank_of(self.bpe.token_bytes(t).unwrap_or(b"x")) == Some(t)
                && self
                    .bpe
                    .token_bytes(t)
                    .is_some_and(|b| b.iter().all(|c| b" \n\t".contains(c)))
        };
        if n > 0 && all_space(tokens[tokens.len() - n]) {
            while n < tokens.len() && all_space(tokens[tokens.len() - n - 1]) {
                n += 1;
            }
        }
        n
    }

    fn decode_all(&self, tokens: &[Rank]) -> Vec<u8> {
        self.bpe.decode_bytes(tokens).unwrap_or_default()
    }

    fn unstable(
        &self,
        text: &str,
        allowed: &AllowedSpecial,
    ) -> Result<(Vec<Rank>, BTreeSet<Vec<Rank>>), TokenizerError> {
        let (mut tokens, n) = self.encode_with_last_len(text, allowed)?;
        let mut completions = BTreeSet::new();
        if n == 0 {
            return Ok((tokens, completions));
        }
        let n = self.increase_last_piece_token_len(&tokens, n);
        let unstable = self.decode_all(&tokens[tokens.len() - n..]);
        tokens.truncate(tokens.len() - n);
        if unstable.is_empty() {
            return Ok((tokens, completions));
        }
        let sorted = self.sorted();
        let mut point = sorted.partition_point(|x| x.0.as_slice() < unstable.as_slice());
        while point < sorted.len() && sorted[point].0.starts_with(&unstable) {
            completions.insert(vec![sorted[point].1]);
            point += 1;
        }
        for i in 1..unstable.len() {
            let (prefix, suffix) = unstable.split_at(i);
            let mut point = sorted.partition_point(|x| x.0.as_slice() < suffix);
            while point < sorted.len() && sorted[point].0.starts_with(suffix) {
                let possibility = [prefix, sorted[point].0.as_slice()].concat();
                let encoded = match std::str::from_utf8(&possibility) {
                    Ok(s) => self.bpe.try_encode_ordinary(s)?,
                    Err(_) => self.bpe_bytes(&possibility),
                };
                let mut seq = Vec::new();
                let mut len = 0;
                for t in encoded {
                    seq.push(t);
                    len += self.bpe.token_bytes(t).map_or(0, <[u8]>::len);
                    if len >= unstable.len() {
                        break;
                    }
                }
                completions.insert(seq);
                point += 1;
            }
        }
        if unstable.len() > 1 {
            if let Some((c, clen)) = last_char(&unstable) {
                if unstable.len() - clen > 0 && c.is_whitespace() {
                    let cut = unstable.len() - clen;
                    let mut re = self.bpe_bytes(&unstable[..cut]);
                    re.extend(self.bpe_bytes(&unstable[cut..]));
                    completions.insert(re);
                }
            }
        }
        Ok((tokens, completions))
    }
}

/// The last character of `b` and its length in bytes, if `b` ends with a
/// valid UTF-8 character.
fn last_char(b: &[u8]) -> Option<(char, usize)> {
    let start = (b.len().saturating_sub(4)..b.len())
        .rev()
        .find(|&i| b[i] & 0xC0 != 0x80)?;
    let s = std::str::from_utf8(&b[start..]).ok()?;
    let c = s.chars().next()?;
    (c.len_utf8() == s.len()).then_some((c, s.len()))
}

#[pymethods]
impl CoreBpe {
    /// `CoreBPE(mergeable_ranks, special_tokens, pattern)`, as tiktoken's.
    #[new]
    fn py_new(
        py: Python<'_>,
        encoder: &Bound<'_, PyDict>,
        special_tokens_encoder: HashMap<String, Rank>,
        pattern: &str,
    ) -> PyResult<CoreBpe> {
        let mut pairs = Vec::with_capacity(encoder.len());
        for (k, v) in encoder.iter() {
            let k: PyBackedBytes = k.extract()?;
            pairs.push((k.to_vec(), v.extract::<Rank>()?));
        }
        let mut specials: Vec<(String, Rank)> = special_tokens_encoder.into_iter().collect();
        // Dicts keep their order; a HashMap does not. Ids sort specials, and
        // a shared id decodes to the lexically first text.
        specials.sort();
        let pattern = pattern.to_string();
        let bpe = py
            .detach(|| {
                let ranks = Ranks::from_pairs(pairs, "mergeable_ranks")?;
                let pattern = Pattern::new(&pattern)?;
                towel_tokenizer::CoreBpe::new(&ranks, specials, pattern)
            })
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        CoreBpe::wrap(bpe)
    }

    // ==================== Encoding

    fn encode_ordinary<'py>(&self, py: Python<'py>, text: Utf8Str) -> PyResult<Bound<'py, PyList>> {
        let ids = py
            .detach(|| self.bpe.try_encode_ordinary(&text))
            .map_err(|e| tok_err(py, e))?;
        self.to_list(py, &ids)
    }

    /// `allowed_special`: a list, or None for all; `disallowed_special`: a
    /// list, or None for every special token not allowed.
    #[pyo3(signature = (text, allowed_special, disallowed_special=Some(Names(Vec::new()))))]
    fn encode<'py>(
        &self,
        py: Python<'py>,
        text: Utf8Str,
        allowed_special: Option<Names>,
        disallowed_special: Option<Names>,
    ) -> PyResult<Bound<'py, PyList>> {
        let (a, d) = (allowed(allowed_special), disallowed(disallowed_special));
        let ids = py
            .detach(|| self.bpe.encode(&text, &a, &d))
            .map_err(|e| tok_err(py, e))?;
        self.to_list(py, &ids)
    }

    #[pyo3(signature = (text, allowed_special, disallowed_special=Some(Names(Vec::new()))))]
    fn encode_to_tiktoken_buffer<'py>(
        &self,
        py: Python<'py>,
        text: Utf8Str,
        allowed_special: Option<Names>,
        disallowed_special: Option<Names>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (a, d) = (allowed(allowed_special), disallowed(disallowed_special));
        let bytes = py
            .detach(|| {
                self.bpe.encode(&text, &a, &d).map(|ids| {
                    ids.iter()
                        .flat_map(|t| t.to_le_bytes())
                        .collect::<Vec<u8>>()
                })
            })
            .map_err(|e| tok_err(py, e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Count the tokens `encode` would give, without building them.
    #[pyo3(signature = (text, allowed_special, disallowed_special))]
    fn count(
        &self,
        py: Python<'_>,
        text: Utf8Str,
        allowed_special: Option<Names>,
        disallowed_special: Option<Names>,
    ) -> PyResult<usize> {
        let (a, d) = (allowed(allowed_special), disallowed(disallowed_special));
        py.detach(|| self.count_one(&text, &a, &d))
            .map_err(|e| tok_err(py, e))
    }

    #[pyo3(signature = (texts, allowed_special, disallowed_special, num_threads))]
    fn count_batch(
        &self,
        py: Python<'_>,
        texts: Vec<Utf8Str>,
        allowed_special: Option<Names>,
        disallowed_special: Option<Names>,
        num_threads: i64,
    ) -> PyResult<Vec<usize>> {
        let (a, d) = (allowed(allowed_special), disallowed(disallowed_special));
        let (helpers, threads) = helper_pool(num_threads)?;
        let sizes: Vec<usize> = texts.iter().map(|t| t.len()).collect();
        let mut counts = Vec::with_capacity(texts.len());
        py.detach(|| {
            map_in_order(
                &sizes,
                helpers.as_deref(),
                threads,
                |i| self.count_one(&texts[i], &a, &d),
                |_, block| {
                    for n in block {
                        counts.push(n?);
                    }
                    Ok(())
                },
            )
        })
        .map_err(|e| tok_err(py, e))?;
        Ok(counts)
    }

    #[pyo3(signature = (texts, num_threads))]
    fn encode_ordinary_batch<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<Utf8Str>,
        num_threads: i64,
    ) -> PyResult<Bound<'py, PyList>> {
        let none = (&AllowedSpecial::None, &DisallowedSpecial::None);
        self.batch(py, &texts, none.0, none.1, num_threads)
    }

    /// The first failing text in order names the error, as tiktoken's
    /// in-order map does.
    #[pyo3(signature = (texts, allowed_special, disallowed_special, num_threads))]
    fn encode_batch<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<Utf8Str>,
        allowed_special: Option<Names>,
        disallowed_special: Option<Names>,
        num_threads: i64,
    ) -> PyResult<Bound<'py, PyList>> {
        let (a, d) = (allowed(allowed_special), disallowed(disallowed_special));
        self.batch(py, &texts, &a, &d, num_threads)
    }

    fn encode_with_unstable<'py>(
        &self,
        py: Python<'py>,
        text: Utf8Str,
        allowed_special: Option<Names>,
    ) -> PyResult<(Vec<Rank>, Bound<'py, PyList>)> {
        let a = allowed(allowed_special);
        let (tokens, completions) = py
            .detach(|| self.unstable(&text, &a))
            .map_err(|e| tok_err(py, e))?;
        Ok((tokens, PyList::new(py, completions)?))
    }

    fn encode_single_token(&self, piece: &[u8]) -> PyResult<Rank> {
        if let Some(r) = self.bpe.rank_of(piece) {
            return Ok(r);
        }
        if let Some(id) = std::str::from_utf8(piece)
            .ok()
            .and_then(|s| self.bpe.special_token_id(s))
        {
            return Ok(id);
        }
        Err(PyKeyError::new_err(piece.to_vec()))
    }

    fn encode_single_piece(&self, py: Python<'_>, piece: &[u8]) -> Vec<Rank> {
        if let Some(r) = self.bpe.rank_of(piece) {
            return vec![r];
        }
        let piece = piece.to_vec();
        py.detach(|| self.bpe_bytes(&piece))
    }

    /// tiktoken's `_encode_bytes`: bytes that may not be valid UTF-8 (the
    /// invalid tail is merged with the last piece).
    fn _encode_bytes(&self, py: Python<'_>, bytes: &[u8]) -> PyResult<Vec<Rank>> {
        let bytes = bytes.to_vec();
        py.detach(|| match std::str::from_utf8(&bytes) {
            Ok(text) => self.bpe.try_encode_ordinary(text),
            Err(e) => {
                let valid = e.valid_up_to();
                let text = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
                let (mut tokens, n) = self.encode_with_last_len(text, &AllowedSpecial::None)?;
                let n = self.increase_last_piece_token_len(&tokens, n);
                let mut unstable;
                if !tokens.is_empty() && n > 0 {
                    unstable = self.decode_all(&tokens[tokens.len() - n..]);
                    unstable.extend_from_slice(&bytes[valid..]);
                    tokens.truncate(tokens.len() - n);
                } else {
                    unstable = bytes[valid..].to_vec();
                }
                if !unstable.is_empty() {
                    match self.bpe.rank_of(&unstable) {
                        Some(t) => tokens.push(t),
                        None => tokens.extend(self.bpe_bytes(&unstable)),
                    }
                }
                Ok(tokens)
            }
        })
        .map_err(|e| tok_err(py, e))
    }

    // ==================== Decoding

    fn decode_bytes<'py>(
        &self,
        py: Python<'py>,
        tokens: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let tokens = ids(tokens)?;
        let bytes = py
            .detach(|| self.bpe.decode_bytes(&tokens))
            .map_err(|e| tok_err(py, e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    #[pyo3(signature = (batch, num_threads))]
    fn decode_bytes_batch<'py>(
        &self,
        py: Python<'py>,
        batch: &Bound<'py, PyAny>,
        num_threads: i64,
    ) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let (helpers, threads) = helper_pool(num_threads)?;
        let batch = id_batch_on(batch, helpers.as_deref(), threads)?;
        // About 4 bytes a token.
        let sizes: Vec<usize> = batch.iter().map(|t| t.len() * 4).collect();
        let mut out: Vec<Py<PyBytes>> = Vec::with_capacity(batch.len());
        py.detach(|| {
            map_in_order(
                &sizes,
                helpers.as_deref(),
                threads,
                |i| self.bpe.decode_bytes(&batch[i]),
                // The bytes objects are made on this thread, under the
                // GIL, while the other threads decode the later blocks.
                |_, block| {
                    Python::attach(|py| {
                        for b in block {
                            let b = b.map_err(|e| tok_err(py, e))?;
                            out.push(PyBytes::new(py, &b).unbind());
                        }
                        Ok::<(), PyErr>(())
                    })
                },
            )
        })?;
        Ok(out.into_iter().map(|b| b.into_bound(py)).collect())
    }

    fn decode_single_token_bytes<'py>(
        &self,
        py: Python<'py>,
        token: Rank,
    ) -> PyResult<Bound<'py, PyBytes>> {
        match self.bpe.token_bytes(token) {
            Some(b) => Ok(PyBytes::new(py, b)),
            None => Err(PyKeyError::new_err(token.to_string())),
        }
    }

    // ==================== Miscellaneous

    fn token_byte_values<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
        let sorted = py.detach(|| self.sorted());
        sorted.iter().map(|(b, _)| PyBytes::new(py, b)).collect()
    }

    /// The mergeable ranks as a dict (built on demand: `Encoding._mergeable_ranks`).
    fn mergeable_ranks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for id in 0..self.bpe.n_vocab() {
            if let Some(b) = self.bpe.token_bytes(id) {
                if self.bpe.rank_of(b) == Some(id) {
                    d.set_item(PyBytes::new(py, b), id)?;
                }
            }
        }
        Ok(d)
    }

    /// Highest id (tiktoken's `max_token_value`).
    fn max_token_value(&self) -> Rank {
        self.bpe.n_vocab() - 1
    }

    /// The special tokens as a dict, in id order.
    fn special_tokens<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (s, id) in self.bpe.special_tokens() {
            d.set_item(s, id)?;
        }
        Ok(d)
    }

    /// The pre-tokenization pattern's source.
    fn pattern(&self) -> String {
        self.bpe.pattern().as_str().to_string()
    }

    /// Whether the pattern runs on a dedicated scanner (else fancy-regex).
    fn uses_scanner(&self) -> bool {
        self.bpe.pattern().uses_scanner()
    }
}

impl CoreBpe {
    fn count_one(
        &self,
        text: &str,
        a: &AllowedSpecial,
        d: &DisallowedSpecial,
    ) -> Result<usize, TokenizerError> {
        let none_allowed = match a {
            AllowedSpecial::None => true,
            AllowedSpecial::All => self.specials_ac.is_none(),
            AllowedSpecial::Only(set) => set.iter().all(|s| self.bpe.special_token_id(s).is_none()),
        };
        if !none_allowed {
            return self.bpe.encode(text, a, d).map(|v| v.len());
        }
        match d {
            DisallowedSpecial::None => {}
            DisallowedSpecial::All => {
                if let Some(m) = self.specials_ac.as_ref().and_then(|ac| ac.find(text)) {
                    return Err(TokenizerError::DisallowedSpecial {
                        token: text[m.start()..m.end()].to_string(),
                        offset: m.start(),
                    });
                }
            }
            DisallowedSpecial::Only(_) => return self.bpe.encode(text, a, d).map(|v| v.len()),
        }
        self.bpe.try_count(text)
    }
}

/// Build a named encoding from its vocabulary files' bytes: `files` maps
/// registry names (`cl100k_base`, `gpt2-encoder-json`, ...) to contents,
/// already sha256-checked by the caller.
#[pyfunction]
pub fn load_builtin(
    py: Python<'_>,
    name: &str,
    files: HashMap<String, PyBackedBytes>,
) -> PyResult<CoreBpe> {
    let enc_name =
        EncodingName::from_name(name).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let get = |k: &str| {
        files
            .get(k)
            .ok_or_else(|| PyValueError::new_err(format!("missing vocabulary file {k}")))
    };
    let enc = if enc_name == EncodingName::Gpt2 {
        let (e, b) = (get("gpt2-encoder-json")?, get("gpt2-vocab-bpe")?);
        py.detach(|| {
            let v = Gpt2Vocab::parse_named(e, "gpt2/encoder.json", b, "gpt2/vocab.bpe")?;
            Encoding::from_ranks(enc_name, &v.ranks)
        })
    } else {
        let file = match enc_name {
            EncodingName::R50kBase => "r50k_base",
            EncodingName::P50kBase | EncodingName::P50kEdit => "p50k_base",
            EncodingName::Cl100kBase => "cl100k_base",
            _ => "o200k_base",
        };
        let data = get(file)?;
        py.detach(|| {
            let ranks = Ranks::parse_tiktoken(data, file)?;
            Encoding::from_ranks(enc_name, &ranks)
        })
    }
    .map_err(|e| PyValueError::new_err(e.to_string()))?;
    CoreBpe::wrap(enc.into_bpe())
}

/// Parse `.tiktoken` bytes into a `{bytes: rank}` dict (fast path of
/// `towel.load.load_tiktoken_bpe`).
#[pyfunction]
pub fn parse_tiktoken_bpe<'py>(
    py: Python<'py>,
    data: PyBackedBytes,
    label: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let ranks = py
        .detach(|| Ranks::parse_tiktoken(&data, label))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let d = PyDict::new(py);
    for (b, r) in ranks.iter() {
        d.set_item(PyBytes::new(py, b), r)?;
    }
    Ok(d)
}
