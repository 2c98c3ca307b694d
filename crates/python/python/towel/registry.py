"""The named encodings: `get_encoding` (cached, thread-safe) and
`list_encoding_names`, as tiktoken's `tiktoken/registry.py`."""

from __future__ import annotations

import threading
from typing import Any, Callable

from towel import _data, _towel
from towel.core import Encoding

_lock = threading.RLock()
ENCODINGS: dict[str, Encoding] = {}

# tiktoken_ext/openai_public.py's patterns, character for character.
_R50K_PAT_STR = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
_CL100K_PAT_STR = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
_O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)

_PATTERNS = {
    "gpt2": _R50K_PAT_STR,
    "r50k_base": _R50K_PAT_STR,
    "p50k_base": _R50K_PAT_STR,
    "p50k_edit": _R50K_PAT_STR,
    "cl100k_base": _CL100K_PAT_STR,
    "o200k_base": _O200K_PAT_STR,
    "o200k_harmony": _O200K_PAT_STR,
}


def _load(name: str) -> Encoding:
    files = {f: _data.read_vocab(f) for f in _data.ENCODING_FILES[name]}
    core = _towel.load_builtin(name, files)
    return Encoding._from_core(name, core, _PATTERNS[name], core.special_tokens())


def get_encoding(encoding_name: str) -> Encoding:
    if not isinstance(encoding_name, str):
        raise ValueError(f"Expected a string in get_encoding, got {type(encoding_name)}")

    if encoding_name in ENCODINGS:
        return ENCODINGS[encoding_name]

    with _lock:
        if encoding_name in ENCODINGS:
            return ENCODINGS[encoding_name]
        if encoding_name not in _PATTERNS:
            import towel

            raise ValueError(
                f"Unknown encoding {encoding_name}.\n"
                f"Known encodings: {list_encoding_names()}\n"
                f"towel version: {towel.__version__}"
            )
        enc = _load(encoding_name)
        ENCODINGS[encoding_name] = enc
        return enc


def list_encoding_names() -> list[str]:
    return list(_PATTERNS)


# tiktoken_ext's explicit vocabulary sizes, where it gives one.
_EXPLICIT_N_VOCAB = {"gpt2": 50257, "r50k_base": 50257, "p50k_base": 50281}


def _constructor(name: str) -> Callable[[], dict[str, Any]]:
    def construct() -> dict[str, Any]:
        enc = get_encoding(name)
        kwargs: dict[str, Any] = {
            "name": name,
            "pat_str": enc._pat_str,
            "mergeable_ranks": enc._mergeable_ranks,
            "special_tokens": dict(enc._special_tokens),
        }
        if name in _EXPLICIT_N_VOCAB:
            kwargs["explicit_n_vocab"] = _EXPLICIT_N_VOCAB[name]
        return kwargs

    construct.__name__ = construct.__qualname__ = name
    return construct


# As tiktoken's: for each name, a function that returns the keyword
# arguments of `Encoding(...)` for that encoding (code that builds an
# extended encoding from them, as OpenAI's cookbook does, runs unchanged).
ENCODING_CONSTRUCTORS: dict[str, Callable[[], dict[str, Any]]] = {
    name: _constructor(name) for name in _PATTERNS
}
