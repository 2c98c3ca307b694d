"""`BM25` and `TfIdf`: sparse retrieval with bm25s's and scikit-learn's
numbers, on the index file `towel index` writes.

>>> index = towel.BM25(["Cats purr when happy.", "Dogs bark at cats."])
>>> ids, scores = index.search("happy cat", k=2)
>>> ids
array([0, 1])
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Sequence, Union

from towel import _towel

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

PathLike = Union[str, "os.PathLike[str]"]


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
        **params,
    ) -> None:
        if docs is None:
            raise TypeError("give a list of document texts or a corpus path")
        kw = dict(stemmer=stemmer, stopwords=stopwords, **params)
        if isinstance(docs, (str, os.PathLike)):
            self._index = _towel.Index.build(self._method, path=os.fspath(docs), **kw)
        else:
            self._index = _towel.Index.build(
                self._method,
                texts=list(docs),
                ids=None if ids is None else list(ids),
                titles=None if titles is None else list(titles),
                **kw,
            )

    @classmethod
    def load(cls, path: PathLike):
        """Load an index file (from `save` or `towel index`)."""
        index = _towel.Index.load(os.fspath(path))
        kind = {"bm25": BM25, "tfidf": TfIdf}[index.method()]
        if cls is not _Index and kind is not cls:
            raise ValueError(f"{os.fspath(path)} is a {index.method()} index, not {cls._method}")
        self = kind.__new__(kind)
        self._index = index
        return self

    def save(self, path: PathLike) -> None:
        """Write the index file (atomically): `towel search` and `towel eval` read it."""
        self._index.save(os.fspath(path))

    def search(self, query: str, k: int = 10) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The top `k` documents: (indices, scores), best first. Only documents
        that share a term with the query are returned, so there may be fewer."""
        import numpy as np

        ids, scores = self._index.search(query, k)
        return np.frombuffer(ids, dtype="<i8"), np.frombuffer(scores, dtype="<f8")

    def search_batch(
        self, queries: Sequence[str], k: int = 10, *, num_threads: int | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Top `k` of each query on Rust threads: arrays of shape (len(queries), k),
        padded with index -1 and score 0 where a query matches fewer documents."""
        import numpy as np

        ids, scores = self._index.search_batch(list(queries), k, num_threads)
        n = len(queries)
        return (
            np.frombuffer(ids, dtype="<i8").reshape(n, k),
            np.frombuffer(scores, dtype="<f8").reshape(n, k),
        )

    def explain(self, query: str, doc: int) -> tuple[float, list[tuple[str, float]]]:
        """`doc`'s score for `query` and each known query term's part of it."""
        return self._index.explain(query, doc)

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

    `docs`: a list of texts (`ids` and `titles` optional), or a path: a BEIR
    folder (corpus.jsonl), a JSONL file, or a folder of .txt files.
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
    ) -> None:
        super().__init__(docs, ids=ids, titles=titles, stemmer=stemmer, stopwords=stopwords,
                         variant=variant, k1=k1, b=b, delta=delta)


class TfIdf(_Index):
    """TF-IDF with scikit-learn's `TfidfVectorizer` numbers (its defaults: `norm`
    "l2", no `sublinear_tf`, no stopwords, no stemmer), scored by cosine."""

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
    ) -> None:
        super().__init__(docs, ids=ids, titles=titles, stemmer=stemmer, stopwords=stopwords,
                         norm=norm, sublinear_tf=sublinear_tf)
