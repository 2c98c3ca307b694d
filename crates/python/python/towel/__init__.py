"""towel: tiktoken's API on a faster tokenizer, plus BPE training and BM25.

    import towel as tiktoken          # existing tiktoken code runs unchanged
    enc = tiktoken.get_encoding("cl100k_base")
    enc.encode("hello world")         # [15339, 1917]

Beyond tiktoken: `count_tokens`, `train_bpe`, `BM25` and `TfIdf`.
"""

from __future__ import annotations

from typing import AbstractSet, Collection, Iterable, Literal, Union, overload

from towel import _towel
from towel import load as load  # as `tiktoken.load` after get_encoding
from towel import registry as registry
from towel.core import Encoding as Encoding
from towel.model import encoding_for_model as encoding_for_model
from towel.model import encoding_name_for_model as encoding_name_for_model
from towel.registry import get_encoding as get_encoding
from towel.registry import list_encoding_names as list_encoding_names
from towel.retrieval import BM25 as BM25
from towel.retrieval import Explanation as Explanation
from towel.retrieval import TermScore as TermScore
from towel.retrieval import TfIdf as TfIdf
from towel.train import train_bpe as train_bpe

__version__ = _towel.__version__


@overload
def count_tokens(  # type: ignore[overload-overlap]  # a str is also an Iterable[str]
    text: str,
    encoding: Union[str, Encoding] = ...,
    *,
    allowed_special: Union[Literal["all"], AbstractSet[str]] = ...,
    disallowed_special: Union[Literal["all"], Collection[str]] = ...,
    num_threads: int = ...,
) -> int: ...
@overload
def count_tokens(
    text: Iterable[str],
    encoding: Union[str, Encoding] = ...,
    *,
    allowed_special: Union[Literal["all"], AbstractSet[str]] = ...,
    disallowed_special: Union[Literal["all"], Collection[str]] = ...,
    num_threads: int = ...,
) -> list[int]: ...
def count_tokens(
    text: Union[str, Iterable[str]],
    encoding: Union[str, Encoding] = "cl100k_base",
    *,
    allowed_special: Union[Literal["all"], AbstractSet[str]] = frozenset(),
    disallowed_special: Union[Literal["all"], Collection[str]] = "all",
    num_threads: int = 8,
) -> Union[int, list[int]]:
    """The number of tokens `encoding.encode(text, ...)` gives, without building
    the list: same special-token rules and errors as `encode`. `text` may be a
    list of strings (counted on `num_threads` Rust threads; a list comes back).

    >>> towel.count_tokens("hello world", "cl100k_base")
    2
    """
    from towel.core import _fix_surrogates, _num_threads, _special_args

    if isinstance(text, (bytes, bytearray)):
        raise TypeError("text must be a str or a list of str, not bytes (decode it first)")
    if not isinstance(text, (str, Iterable)):
        raise TypeError(f"text must be a str or a list of str, not {type(text).__name__}")
    enc = get_encoding(encoding) if isinstance(encoding, str) else encoding
    if not isinstance(enc, Encoding):
        raise TypeError(
            f"encoding must be an encoding's name or a towel.Encoding, not {type(enc).__module__}."
            f"{type(enc).__name__} (for a tiktoken Encoding, pass its name: towel.count_tokens(text, enc.name))"
        )
    a, d = _special_args(allowed_special, disallowed_special)
    core = enc._core_bpe
    if isinstance(text, str):
        try:
            return core.count(text, a, d)
        except UnicodeEncodeError:
            return core.count(_fix_surrogates(text), a, d)
    texts = text if isinstance(text, list) else list(text)
    threads = _num_threads(num_threads)
    try:
        return core.count_batch(texts, a, d, threads)
    except UnicodeEncodeError:
        return core.count_batch([_fix_surrogates(t) for t in texts], a, d, threads)


__all__ = [
    "BM25",
    "Encoding",
    "Explanation",
    "TermScore",
    "TfIdf",
    "count_tokens",
    "encoding_for_model",
    "encoding_name_for_model",
    "get_encoding",
    "list_encoding_names",
    "train_bpe",
    "__version__",
]
