//! Vocabulary and term counting: the step shared by TF-IDF and BM25.
//!
//! [`count_corpus`] runs the analyzer over every document and returns the
//! vocabulary (terms in sorted order, so term id = position in sorted order, as
//! scikit-learn numbers its features) and a documents × terms matrix of term
//! counts. Each distinct surface word is looked up once in a word → term cache,
//! so the stemmer runs once per distinct word, as bm25s stems unique tokens.

use rustc_hash::FxHashMap;

use crate::analyzer::Analyzer;
use crate::sparse::CsrMatrix;

/// Terms and their ids (id = index in `terms`).
///
/// A vocabulary made by [`count_corpus`] also remembers the term of every
/// (lowercased, non-stopword) surface word of the corpus, so
/// [`Vocabulary::query_terms`] runs the stemmer only for words the corpus never
/// had (PyStemmer, under bm25s, caches stems the same way). Equality compares
/// the terms only.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    terms: Vec<String>,
    ids: FxHashMap<String, u32>,
    words: WordCache,
}

impl PartialEq for Vocabulary {
    fn eq(&self, o: &Self) -> bool {
        self.terms == o.terms
    }
}

impl Vocabulary {
    /// A vocabulary whose ids are the positions in `terms` (which must be distinct).
    pub fn from_terms(terms: Vec<String>) -> Self {
        let ids = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Vocabulary {
            terms,
            ids,
            words: WordCache::default(),
        }
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether there are no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The id of a term.
    pub fn id(&self, term: &str) -> Option<u32> {
        self.ids.get(term).copied()
    }

    /// The term with id `id`.
    pub fn term(&self, id: u32) -> &str {
        &self.terms[id as usize]
    }

    /// All terms, by id.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The ids of the known terms of `text`, in order, repeats kept (unknown
    /// terms are dropped, as both peers do for queries). `analyzer` must be
    /// the one the vocabulary was built with.
    pub fn query_terms(&self, analyzer: &Analyzer, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        self.query_terms_into(analyzer, text, &mut out);
        out
    }

    /// [`Vocabulary::query_terms`] into `out` (cleared first), to reuse its buffer.
    pub fn query_terms_into(&self, analyzer: &Analyzer, text: &str, out: &mut Vec<u32>) {
        out.clear();
        analyzer.for_each_word(text, |w| {
            // A corpus word's term is cached; otherwise stem and look up.
            if let Some(id) = self.words.get(w).or_else(|| self.id(&analyzer.stem(w))) {
                out.push(id);
            }
        });
    }

    /// [`Vocabulary::query_terms_into`], remembering in `memo` the term (or
    /// its absence) of each word the vocabulary's own word cache lacks, so a
    /// word repeated across queries is stemmed once. A vocabulary read from
    /// an index file has no word cache (the file keeps terms, not the
    /// corpus's surface words), so without a memo `towel eval` and `towel
    /// search` stemmed every query word: a sixth of a query's instructions
    /// (callgrind, SciFact, k = 100). bm25s stems each distinct word of a
    /// batch once too (and PyStemmer caches stems).
    ///
    /// The threads of a batch each keep their own memo: each stems the
    /// words it meets first, 2.2% more instructions on 2 threads (SciFact's
    /// judged queries over an index file, callgrind, k = 100: 5.95 M for
    /// stemming where 1 thread uses 5.03 M). A memo the threads shared
    /// behind a lock (tried) saved those instructions but cost wall time:
    /// 81 alternating rounds on 2 threads (load 1.1-2.7), per-thread memos
    /// were faster by 5-15% (median of the paired ratios; cold `towel eval`
    /// pass, k = 100: 1.07x).
    pub fn query_terms_memo(
        &self,
        analyzer: &Analyzer,
        text: &str,
        out: &mut Vec<u32>,
        memo: &mut QueryMemo,
    ) {
        out.clear();
        analyzer.for_each_word(text, |w| {
            let id = match self.words.get(w) {
                Some(id) => id,
                None => match memo.words.get(w) {
                    Some(id) => id,
                    None => {
                        let id = self.id(&analyzer.stem(w)).unwrap_or(STOP);
                        memo.insert(w, id);
                        id
                    }
                },
            };
            if id != STOP {
                out.push(id);
            }
        });
    }
}

/// The most words a [`QueryMemo`] holds before it starts over, so a
/// long-lived searcher's memory stays bounded (a few MB).
const MEMO_MAX_WORDS: usize = 1 << 16;

/// Query words a searcher has already stemmed and looked up (see
/// [`Vocabulary::query_terms_memo`]): word → term id, or "not in the
/// vocabulary".
#[derive(Debug, Clone, Default)]
pub struct QueryMemo {
    words: WordCache,
    len: usize,
}

impl QueryMemo {
    fn insert(&mut self, w: &str, id: u32) {
        if self.len >= MEMO_MAX_WORDS {
            *self = QueryMemo::default();
        }
        self.words.insert(w, id);
        self.len += 1;
    }
}

/// A word with no term: a stopword (in the corpus cache) or, in a
/// [`QueryMemo`], a word whose stem is not in the vocabulary.
const STOP: u32 = u32::MAX;

/// word → id map. Words of up to 15 bytes (most of them) are packed into a
/// `u128` key, so a lookup is one multiply-hash and one integer compare, with
/// no string compare; longer words go to a string map.
#[derive(Debug, Clone, Default)]
struct WordCache {
    short: FxHashMap<u128, u32>,
    long: FxHashMap<Box<str>, u32>,
}

impl WordCache {
    #[inline]
    fn key(w: &str) -> Option<u128> {
        let b = w.as_bytes();
        if b.len() > 15 {
            return None;
        }
        let mut k = [0u8; 16];
        k[..b.len()].copy_from_slice(b);
        k[15] = b.len() as u8;
        Some(u128::from_le_bytes(k))
    }

    #[inline]
    fn get(&self, w: &str) -> Option<u32> {
        match Self::key(w) {
            Some(k) => self.short.get(&k).copied(),
            None => self.long.get(w).copied(),
        }
    }

    fn insert(&mut self, w: &str, id: u32) {
        match Self::key(w) {
            Some(k) => self.short.insert(k, id),
            None => self.long.insert(w.into(), id),
        };
    }
}

/// What [`count_corpus`] returns.
#[derive(Debug, Clone)]
pub struct Counts {
    /// Sorted vocabulary of every term seen.
    pub vocab: Vocabulary,
    /// Documents × terms term counts, columns ascending within each row.
    pub tf: CsrMatrix<u32>,
    /// Number of terms of each document (after stopword removal).
    pub doc_len: Vec<u32>,
}

/// Analyze every document and count its terms.
pub fn count_corpus<S: AsRef<str>>(analyzer: &Analyzer, docs: &[S]) -> Counts {
    count_corpus_with_progress(analyzer, docs, &mut |_| {})
}

/// [`count_corpus`], calling `progress(i)` after each document with the
/// number done so far.
pub(crate) fn count_corpus_with_progress<S: AsRef<str>>(
    analyzer: &Analyzer,
    docs: &[S],
    progress: &mut dyn FnMut(usize),
) -> Counts {
    // word (after lowercasing) -> provisional term id, or STOP for a stopword
    let mut word_ids = WordCache::default();
    // stem -> provisional term id
    let mut stem_ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut terms: Vec<String> = Vec::new();
    let mut tf = CsrMatrix::<u32>::new(0);
    let mut doc_len = Vec::with_capacity(docs.len());
    let mut ids: Vec<u32> = Vec::new();
    let mut row: Vec<(u32, u32)> = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        ids.clear();
        analyzer.for_each_token(doc.as_ref(), |w| {
            let id = match word_ids.get(w) {
                Some(id) => id,
                None if analyzer.is_stopword(w) => {
                    word_ids.insert(w, STOP);
                    STOP
                }
                None => {
                    let stem = analyzer.stem(w);
                    let id = match stem_ids.get(stem.as_ref()) {
                        Some(&id) => id,
                        None => {
                            let id = terms.len() as u32;
                            terms.push(stem.to_string());
                            stem_ids.insert(stem.into_owned(), id);
                            id
                        }
                    };
                    word_ids.insert(w, id);
                    id
                }
            };
            if id != STOP {
                ids.push(id);
            }
        });
        doc_len.push(ids.len() as u32);
        ids.sort_unstable();
        row.clear();
        for &id in &ids {
            match row.last_mut() {
                Some((t, c)) if *t == id => *c += 1,
                _ => row.push((id, 1)),
            }
        }
        tf.indices.extend(row.iter().map(|e| e.0));
        tf.data.extend(row.iter().map(|e| e.1));
        tf.indptr.push(tf.indices.len());
        progress(i + 1);
    }
    // Renumber terms in sorted order.
    let mut order: Vec<u32> = (0..terms.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| terms[a as usize].cmp(&terms[b as usize]));
    let mut new_id = vec![0u32; terms.len()];
    for (new, &old) in order.iter().enumerate() {
        new_id[old as usize] = new as u32;
    }
    let sorted: Vec<String> = order
        .iter()
        .map(|&o| std::mem::take(&mut terms[o as usize]))
        .collect();
    tf.cols = sorted.len();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for r in 0..tf.rows() {
        let (a, b) = (tf.indptr[r], tf.indptr[r + 1]);
        pairs.clear();
        pairs.extend((a..b).map(|k| (new_id[tf.indices[k] as usize], tf.data[k])));
        pairs.sort_unstable_by_key(|p| p.0);
        for (k, &(c, v)) in (a..b).zip(pairs.iter()) {
            tf.indices[k] = c;
            tf.data[k] = v;
        }
    }
    // Keep the word -> term cache (final ids, stopwords dropped) for queries.
    let mut vocab = Vocabulary::from_terms(sorted);
    for (k, id) in word_ids.short {
        if id != STOP {
            vocab.words.short.insert(k, new_id[id as usize]);
        }
    }
    for (w, id) in word_ids.long {
        if id != STOP {
            vocab.words.long.insert(w, new_id[id as usize]);
        }
    }
    Counts { vocab, tf, doc_len }
}

/// Document frequency of each column of a documents × terms matrix.
pub fn document_frequency<T: Copy>(m: &CsrMatrix<T>) -> Vec<u32> {
    let mut df = vec![0u32; m.cols];
    for &c in &m.indices {
        df[c as usize] += 1;
    }
    df
}

/// The term frequency behind a stored posting value, found by recomputing it:
/// the smallest `tf` in `1..=hi` whose `value(tf)` is `stored` bit for bit,
/// provided `tf + 1` gives another value (else several counts give the same
/// score and the count cannot be told, e.g. BM25 with k1 = 0). `value` must be
/// nondecreasing in `tf` (every model's weight is). The index files keep the
/// weights, not the counts, so an explanation recovers the counts this way and
/// the match proves they are the ones the weights were computed from.
pub(crate) fn recover_tf<T: PartialOrd + Copy>(
    hi: u32,
    stored: T,
    value: impl Fn(u32) -> T,
) -> Option<u32> {
    let (mut lo, mut hi) = (1u32, hi.max(1));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if value(mid) < stored {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    (value(lo) == stored && (lo == u32::MAX || value(lo + 1) != stored)).then_some(lo)
}
