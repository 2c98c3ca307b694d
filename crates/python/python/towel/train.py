"""`train_bpe`: learn a byte-level BPE vocabulary (towel's trainer, the one
behind `towel bpe train`) and get a ready `Encoding`."""

from __future__ import annotations

import os
import re
from typing import Any, Iterable, Sequence, Union

from towel import _towel
from towel.core import Encoding, _count_arg, _fix_surrogates

_PATTERNS = {
    "gpt2": "gpt2", "r50k": "gpt2", "cl100k": "cl100k", "o200k": "o200k",
    # The encodings' names, for their patterns.
    "r50k_base": "gpt2", "p50k_base": "gpt2", "cl100k_base": "cl100k", "o200k_base": "o200k",
}

PathLike = Union[str, "os.PathLike[str]"]


def _format_of(path: str) -> str:
    name = os.path.basename(path)
    if name.endswith(".tiktoken"):
        return "tiktoken"
    if name.endswith(".towel.json"):
        return "towel"
    if name.endswith(".json"):
        return "hf"
    raise ValueError(
        f"cannot tell the format of {path!r} from its name: use a name ending in .tiktoken "
        "(tiktoken ranks), .json (HF tokenizer.json) or .towel.json (towel's tokenizer file)"
    )


_PATH_SHAPE = re.compile(r"\S*[/\\]\S*|\S+\.[A-Za-z0-9]{1,5}")


def _are_paths(items: list[Any]) -> bool:
    """Whether `data` (with `files=None`) is a list of file paths: yes when
    every item is an existing file (or an `os.PathLike`). A list where some
    items are files and others are not, or where none exists but every item
    is shaped like a path (one word with a slash or a file extension), is
    an error rather than text: trained on as text, a misspelt path would
    quietly become merges of its own letters."""
    if not items:
        return False

    def is_file(x: Any) -> bool:
        return isinstance(x, os.PathLike) or (isinstance(x, str) and "\n" not in x and os.path.isfile(x))

    found = [is_file(x) for x in items]
    if all(found):
        return True
    strs = [x for x in items if isinstance(x, str)]
    shaped = len(strs) == len(items) and all(len(x) < 4096 and _PATH_SHAPE.fullmatch(x) for x in strs)
    if any(found) or shaped:
        i = found.index(False)
        raise FileNotFoundError(
            f"data[{i}] = {items[i]!r} is not a file, while "
            + ("other items are" if any(found) else "every item looks like a file path")
            + ": pass files=True to read files (and fix that path), or files=False to train "
            "on the strings themselves"
        )
    return False


def train_bpe(
    data: Union[Iterable[str], Sequence[PathLike]],
    vocab_size: int,
    *,
    pattern: str = "gpt2",
    special_tokens: Sequence[str] = (),
    min_frequency: int = 0,
    out: Union[PathLike, Sequence[PathLike], None] = None,
    name: str = "towel_bpe",
    files: bool | None = None,
    force: bool = False,
    lossy: bool = False,
) -> Encoding:
    """Train a byte-level BPE tokenizer with `vocab_size` ids in total (256
    bytes + merges + special tokens).

    `data` is a list of file paths (UTF-8 text, streamed; `files=True` forces
    this reading) or any iterable of strings (`files=False` forces that).
    `pattern` is `"gpt2"` (the default, as `towel bpe train`), `"cl100k"`, `"o200k"`
    or your own regex.
    `special_tokens` get the ids after the ranks. `out`: one path or several,
    written atomically, the format taken from the name (`.tiktoken`,
    `tokenizer.json` / `.json` for Hugging Face, `.towel.json`), all or none,
    under `towel bpe train`'s rules: an output that is one of the training
    files is refused (`ValueError`), and so is an existing file that is not a
    tokenizer file (`FileExistsError`) unless `force=True`; an earlier
    tokenizer file is replaced. Both are checked before training.
    `lossy=True` reads invalid UTF-8 in the files as U+FFFD instead of
    stopping on it.

    >>> enc = towel.train_bpe(["the cat sat on the mat"] * 10, 300)
    >>> enc.decode(enc.encode("the cat"))
    'the cat'
    """
    if isinstance(data, (str, bytes)):
        raise TypeError("data must be a list of texts or of file paths, not a single string")
    if isinstance(special_tokens, (str, bytes)):
        raise TypeError("special_tokens must be a list of strings, not a single string")
    vocab_size = _count_arg(vocab_size, "vocab_size", 2**32 - 1)
    min_frequency = _count_arg(min_frequency, "min_frequency", 2**64 - 1)
    items = list(data)
    if files is None:
        files = _are_paths(items)
    outs = [] if out is None else [out] if isinstance(out, (str, os.PathLike)) else list(out)
    outputs = [(os.fspath(p), _format_of(os.fspath(p))) for p in outs]
    if not files:
        for i, x in enumerate(items):
            if not isinstance(x, str):
                hint = " (decode bytes first, e.g. x.decode('utf-8'))" if isinstance(x, bytes) else ""
                raise TypeError(
                    f"data[{i}] is {type(x).__name__}, not str: train_bpe takes texts or file "
                    f"paths{hint}"
                )
    if pattern not in _PATTERNS and re.fullmatch(r"[A-Za-z0-9_-]+", pattern):
        raise ValueError(
            f"unknown pattern name {pattern!r}: use one of {', '.join(map(repr, _PATTERNS))}, "
            "or a regex (a bare word would be taken as a regex that matches only itself)"
        )
    # (Every item is a str here: checked above.)
    texts = None if files else [x for x in items if isinstance(x, str)]
    paths = [os.fspath(x) for x in items] if files else None
    def train(
        texts: Union[list[str], None],
    ) -> tuple[_towel.CoreBPE, list[bytes], list[tuple[str, int]], str]:
        return _towel.train_bpe(
            texts, paths, vocab_size, _PATTERNS.get(pattern, pattern), list(special_tokens),
            min_frequency, outputs, force=bool(force), lossy=bool(lossy),
        )

    try:
        core, ranks, specials, pat = train(texts)
    except UnicodeEncodeError:
        # Lone surrogates cannot cross into Rust as UTF-8: replaced, as `encode` does.
        if texts is None:
            raise
        core, ranks, specials, pat = train([_fix_surrogates(t) for t in texts])
    enc = Encoding._from_core(name, core, pat, dict(specials))
    enc._mergeable_ranks = {b: i for i, b in enumerate(ranks)}
    return enc
