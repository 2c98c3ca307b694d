"""`BM25` and `TfIdf`: sparse retrieval with bm25s's and scikit-learn's
numbers, on the index file `towel index` writes.

>>> index = towel.BM25(["Cats purr when happy.", "Dogs bark at cats."])
>>> ids, scores = index.search("happy cat", k=2)
>>> ids
array([0, 1])
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence, TypeVar, Union

from towel import _towel
from towel.core import _count_arg, _fix_surrogates

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

PathLike = Union[str, "os.PathLike[str]"]
_I = TypeVar("_I", bound="_Index")


_T = TypeVar("_T")


def _retry_fixed(call: Callable[[Any], _T], texts: Union[str, list[str]]) -> _T:
    """`call(texts)`; if a text has a lone surrogate (it cannot cross into Rust
    as UTF-8), again with them replaced, as `Encoding.encode` does."""
    try:
        return call(texts)
    except UnicodeEncodeError:
        if isinstance(texts, str):
            return call(_fix_surrogates(texts))
        return call([_fix_surrogates(t) for t in texts])


def _threads(num_threads: Any) -> Optional[int]:
    """None (all cores) or an int of at least 1, as the encode batches take it;
    a huge int is capped (at most one thread per core runs anyway)."""
    if num_threads is None:
        return None
    return min(_count_arg(num_threads, "num_threads", least=1), 1 << 30)


def _unpickle(method: str, data: bytes) -> _Index:
    """An index from its pickled bytes (see `_Index.__reduce__`)."""
    kind: type[_Index] = {"bm25": BM25, "tfidf": TfIdf}[method]
    self: _Index = object.__new__(kind)
    self._index = _towel.Index.from_bytes(data)
    return self


def _texts(items: Iterable[str], what: str) -> list[str]:
    """A list of str from any iterable of them, refusing a single str (one
    text per character)."""
    if isinstance(items, str):
        raise TypeError(f"{what} must be a list of strings, not a single str")
    texts = list(items)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"{what}[{i}] is {type(t).__name__}, not str")
    return texts


@dataclass(frozen=True)
class TermScore:
    """One query term's part of a document's score (`Explanation.terms`)."""

    term: str
    """The term as indexed (lowercased, stemmed)."""
    query_count: int
    """How many times the query has it."""
    in_doc: bool
    """Whether the document contains it."""
    score: float
    """Its part of the score (BM25: idf x tfc per query occurrence; TF-IDF:
    query weight x document weight)."""
    df: int
    """How many documents contain it."""
    idf: float
    """Its idf as the model computes it."""
    tf: Optional[int]
    """Its count in the document, recovered bit for bit from the stored
    weight (None when several counts give the same weight)."""
    length_factor: float
    """The document's length factor (see `Explanation.length_factor`)."""
    tf_component: Optional[float] = None
    """BM25: tfc(tf, L)."""
    query_weight: Optional[float] = None
    """TF-IDF: its weight in the normalised query vector."""
    doc_weight: Optional[float] = None
    """TF-IDF: its weight in the normalised document vector."""


@dataclass(frozen=True)
class Explanation:
    """Why a document has its score for a query, as `towel search --explain`
    shows it (the same fields as its `--json`)."""

    doc: int
    score: float
    """The score, exactly as `search` gives it."""
    length_factor: float
    """BM25: L = 1 - b + b x |d|/avgdl; TF-IDF: the document's norm |d|."""
    terms: list[TermScore]
    """One per distinct known query term, largest part first."""
    text: str = field(repr=False)
    doc_len: Optional[int] = None
    """BM25: the document's length |d| in terms."""
    avg_doc_len: Optional[float] = None
    """BM25: avgdl."""
    query_norm: Optional[float] = None
    """TF-IDF: the query's norm |q|."""

    def __str__(self) -> str:
        return self.text


class _Index:
    _method = ""

    def __init__(
        self,
        docs: Union[Sequence[str], PathLike, None] = None,
        *,
        ids: Sequence[str] | None = None,
        titles: Sequence[str] | None = None,
        stemmer: str | None = None,
        stopwords: str | None = None,
        id_field: str | None = None,
        text_field: str | None = None,
        title_field: str | None = None,
        **params: Any,
    ) -> None:
        if docs is None:
            raise TypeError("give a list of document texts or a corpus path")
        kw = dict(stemmer=stemmer, stopwords=stopwords, id_field=id_field,
                  text_field=text_field, title_field=title_field, **params)
        if isinstance(docs, (str, os.PathLike)):
            if ids is not None or titles is not None:
                raise TypeError(
                    "ids and titles go with a list of texts; a corpus path has its own "
                    "(name its JSONL fields with id_field=, text_field= and title_field=)"
                )
            self._index = _towel.Index.build(self._method, path=os.fspath(docs), **kw)
        else:
            if isinstance(docs, bytes):
                raise TypeError("docs must be a list of texts or a path, not bytes")
            texts = _texts(docs, "docs")
            id_list = None if ids is None else _texts(ids, "ids")
            title_list = None if titles is None else _texts(titles, "titles")
            try:
                self._index = _towel.Index.build(
                    self._method, texts=texts, ids=id_list, titles=title_list, **kw
                )
            except UnicodeEncodeError:
                # Lone surrogates cannot cross into Rust as UTF-8: replaced,
                # as `Encoding.encode` replaces them.
                def fix(xs: Optional[list[str]]) -> Optional[list[str]]:
                    if xs is None:
                        return None
                    return [_fix_surrogates(x) for x in xs]

                self._index = _towel.Index.build(
                    self._method, texts=fix(texts), ids=fix(id_list), titles=fix(title_list), **kw
                )

    @classmethod
    def load(cls: type[_I], path: PathLike) -> _I:
        """Load an index file (from `save` or `towel index`)."""
        index = _towel.Index.load(os.fspath(path))
        kind: type[_Index] = {"bm25": BM25, "tfidf": TfIdf}[index.method()]
        if cls is not _Index and kind is not cls:
            raise ValueError(f"{os.fspath(path)} is a {index.method()} index, not {cls._method}")
        self = object.__new__(kind)
        self._index = index
        return self  # type: ignore[return-value]  # kind is cls, or cls is _Index

    def save(self, path: PathLike, *, force: bool = False) -> None:
        """Write the index file (atomically): `towel search` and `towel eval` read it.

        As `towel index` does, `save` refuses to write over a file the index
        was built from (`ValueError`), and to replace an existing file that
        is not a towel index (`FileExistsError`) unless `force=True`; an
        earlier index is replaced."""
        self._index.save(os.fspath(path), force=force)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as the bytes of its index file, so an index can go to
        # the workers of a multiprocessing pool, and is validated on the way
        # back as a file is.
        return (_unpickle, (self._index.method(), self._index.to_bytes()))

    def search(self, query: str, k: int = 10) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The top `k` documents: (indices, scores), best first. Only documents
        that share a term with the query are returned, so there may be fewer."""
        import numpy as np

        # A k beyond the corpus is all of it (and never too large for Rust).
        k = min(_count_arg(k, "k"), len(self))
        ids, scores = _retry_fixed(lambda q: self._index.search(q, k), query)
        # Views of the bytearrays Rust filled: writable, not copied.
        return np.frombuffer(ids, dtype="<i8"), np.frombuffer(scores, dtype="<f8")

    def search_batch(
        self, queries: Sequence[str], k: int = 10, *, num_threads: int | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Top `k` of each query on Rust threads (`num_threads`, at most one per
        core; None: all cores): arrays of shape (len(queries), min(k, len(self))),
        padded with index -1 and score 0 where a query matches fewer documents."""
        import numpy as np

        width = min(_count_arg(k, "k"), len(self))
        threads = _threads(num_threads)
        qs = _texts(queries, "queries")
        ids, scores = _retry_fixed(lambda q: self._index.search_batch(q, width, threads), qs)
        n = len(qs)
        return (
            np.frombuffer(ids, dtype="<i8").reshape(n, width),
            np.frombuffer(scores, dtype="<f8").reshape(n, width),
        )

    def explain(self, query: str, doc: int) -> Explanation:
        """Why document `doc` (an index, as `search` returns) has its score for
        `query`: the document's length factor and each known query term's part,
        with its tf, df, idf and tf component (BM25) or query and document
        weights (TF-IDF). The parts sum to the score; `str()` of the result is
        what `towel search --explain` prints.

        >>> e = towel.BM25(["Cats purr when happy.", "Dogs bark at cats."]).explain("happy cat", 0)
        >>> [(t.term, t.tf) for t in e.terms]
        [('happi', 1), ('cat', 1)]
        """
        if _count_arg(doc, "doc") >= len(self):
            raise ValueError(f"document {doc} out of range (the index has {len(self)})")
        data, text = _retry_fixed(lambda q: self._index.explain(q, doc), query)
        d = json.loads(data)
        terms = [TermScore(**t) for t in d.pop("terms")]
        return Explanation(terms=terms, text=text, **d)

    @property
    def doc_ids(self) -> list[str]:
        """The documents' ids, by index (BEIR `_id`s, or "0", "1", ...)."""
        return self._index.doc_ids()

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._index.describe()}, {len(self)} documents>"


class BM25(_Index):
    """BM25 (bm25s's scores; `variant` lucene (default), robertson, atire, bm25l,
    bm25+; `k1` 1.2, `b` 0.75, `delta` 0.5), with bm25s's English stopwords and
    the Snowball English stemmer unless told otherwise (`stopwords="none"`,
    `stemmer="none"`): the defaults of `towel index`.

    `docs`: a list of texts (`ids` and `titles` optional; an id must be
    non-empty, without tabs or line breaks, and unique), or a path: a BEIR
    folder (corpus.jsonl), a JSONL file (its fields `id_field` "_id",
    `text_field` "text", `title_field` "title", as `towel index`'s
    `--id-field` ...), or a folder of .txt files.
    """

    _method = "bm25"

    def __init__(
        self,
        docs: Union[Sequence[str], PathLike, None] = None,
        *,
        ids: Sequence[str] | None = None,
        titles: Sequence[str] | None = None,
        variant: str | None = None,
        k1: float | None = None,
        b: float | None = None,
        delta: float | None = None,
        stemmer: str | None = None,
        stopwords: str | None = None,
        id_field: str | None = None,
        text_field: str | None = None,
        title_field: str | None = None,
    ) -> None:
        super().__init__(docs, ids=ids, titles=titles, stemmer=stemmer, stopwords=stopwords,
                         id_field=id_field, text_field=text_field, title_field=title_field,
                         variant=variant, k1=k1, b=b, delta=delta)


class TfIdf(_Index):
    """TF-IDF with scikit-learn's `TfidfVectorizer` numbers (its defaults: `norm`
    "l2", no `sublinear_tf`, no stopwords, no stemmer), scored by cosine.
    `docs` as for `BM25`."""

    _method = "tfidf"

    def __init__(
        self,
        docs: Union[Sequence[str], PathLike, None] = None,
        *,
        ids: Sequence[str] | None = None,
        titles: Sequence[str] | None = None,
        norm: str | None = None,
        sublinear_tf: bool = False,
        stemmer: str | None = None,
        stopwords: str | None = None,
        id_field: str | None = None,
        text_field: str | None = None,
        title_field: str | None = None,
    ) -> None:
        super().__init__(docs, ids=ids, titles=titles, stemmer=stemmer, stopwords=stopwords,
                         id_field=id_field, text_field=text_field, title_field=title_field,
                         norm=norm, sublinear_tf=sublinear_tf)
