"""`Encoding`: tiktoken's class on towel's encoder.

The methods, their arguments, results and exceptions follow tiktoken 0.14's
`tiktoken/core.py` (MIT License, Copyright (c) 2022 OpenAI, Shantanu Jain),
whose structure and docstrings this file keeps. What changes is underneath:
the work is done by `towel._towel.CoreBPE` with the GIL released, the
disallowed-special-token check runs in Rust in the same pass, and the batch
methods run on Rust threads instead of a Python `ThreadPoolExecutor`.
"""

from __future__ import annotations

import functools
import math
import operator
import os
from typing import (
    TYPE_CHECKING,
    AbstractSet,
    Any,
    Collection,
    Iterable,
    Literal,
    NoReturn,
    Optional,
    Sequence,
    Union,
    cast,
)

from towel import _towel

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def _fix_surrogates(text: str) -> str:
    # BPE operates on bytes, but the regex operates on unicode. A str that is not valid
    # UTF-8 (lone surrogates) cannot cross into Rust; as tiktoken does, replace them.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _special_args(
    allowed_special: Union[str, Iterable[str]],
    disallowed_special: Union[str, Iterable[str], None],
) -> tuple[Optional[list[str]], Optional[list[str]]]:
    """tiktoken's `allowed_special` / `disallowed_special` as CoreBPE takes them:
    a list, or None for "all" (for disallowed: every special token not allowed).

    As in tiktoken, a false `disallowed_special` (None, (), set()) turns the
    check off, and `allowed_special` is "all" or a collection of tokens: a
    single token as a bare string is a TypeError (tiktoken's comes from
    `set - str`), not one token per character."""
    if isinstance(allowed_special, str) and allowed_special != "all":
        raise TypeError(
            f"allowed_special must be 'all' or a set of special tokens, not the str "
            f"{allowed_special!r} (for one token, write {{{allowed_special!r}}})"
        )
    a = None if allowed_special == "all" else list(allowed_special)
    d: Optional[list[str]]
    if not disallowed_special:
        d = []
    elif disallowed_special == "all":
        d = None
    else:
        d = list(disallowed_special)
    return a, d


def _count_arg(value: Any, name: str, most: Optional[int] = None, least: int = 0) -> int:
    """`value` as a count (an int of at least `least`, and at most `most`
    when given; numpy's ints too), or an error that names the argument: the
    extras' numbers (`k`, `doc`, `vocab_size`, ...) would otherwise fail
    in PyO3's conversion with a message naming nothing. Without `most` the
    int may be huge: the caller caps it where it means "all"."""
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}") from None
    if most is None and n < least:
        raise ValueError(f"{name} must be at least {least}, got {n}")
    if most is not None and not least <= n <= most:
        raise ValueError(f"{name} must be between {least} and {most}, got {n}")
    return n


def _num_threads(num_threads: Union[int, float, None]) -> int:
    """tiktoken hands `num_threads` to a `ThreadPoolExecutor`: None means its
    default, and a float starts threads while their count is below it. towel
    runs at most one thread per core whatever the number, so the rest only has
    to be read the same way: None is every core, a float rounds up, a huge int
    is capped."""
    if num_threads is None:
        return os.cpu_count() or 1
    if isinstance(num_threads, float):
        num_threads = math.ceil(num_threads)
    return min(operator.index(num_threads), 1 << 30)


class Encoding:
    def __init__(
        self,
        name: str,
        *,
        pat_str: str,
        mergeable_ranks: dict[bytes, int],
        special_tokens: dict[str, int],
        explicit_n_vocab: int | None = None,
    ):
        """Creates an Encoding object.

        Args:
            name: The name of the encoding. It should be clear from the name of the encoding
                what behaviour to expect, in particular, encodings with different special tokens
                should have different names.
            pat_str: A regex pattern string that is used to split the input text. The patterns
                of the built-in encodings run on towel's dedicated scanners; any other runs on
                fancy-regex, the engine tiktoken uses.
            mergeable_ranks: A dictionary mapping mergeable token bytes to their ranks. The ranks
                must correspond to merge priority, and every single byte must have one.
            special_tokens: A dictionary mapping special token strings to their token values.
            explicit_n_vocab: The number of tokens in the vocabulary. If provided, it is checked
                that the number of mergeable tokens and special tokens is equal to this number.
        """
        self.name = name

        self._pat_str = pat_str
        self._mergeable_ranks = mergeable_ranks
        self._special_tokens = special_tokens

        self.max_token_value = max(
            max(mergeable_ranks.values()), max(special_tokens.values(), default=0)
        )
        if explicit_n_vocab:
            assert len(mergeable_ranks) + len(special_tokens) == explicit_n_vocab
            assert self.max_token_value == explicit_n_vocab - 1

        self._special_token_values = set(self._special_tokens.values())

        self._core_bpe = _towel.CoreBPE(mergeable_ranks, special_tokens, pat_str)

    @classmethod
    def _from_core(
        cls, name: str, core: _towel.CoreBPE, pat_str: str, special_tokens: dict[str, int]
    ) -> Encoding:
        """An Encoding around a CoreBPE built in Rust (the named encodings): the
        mergeable ranks dict is only built if something reads `_mergeable_ranks`."""
        self = cls.__new__(cls)
        self.name = name
        self._pat_str = pat_str
        self._special_tokens = special_tokens
        self.max_token_value = core.max_token_value()
        self._special_token_values = set(special_tokens.values())
        self._core_bpe = core
        return self

    @property
    def _mergeable_ranks(self) -> dict[bytes, int]:
        ranks = self.__dict__.get("_ranks")
        if ranks is None:
            ranks = self.__dict__["_ranks"] = self._core_bpe.mergeable_ranks()
        return ranks

    @_mergeable_ranks.setter
    def _mergeable_ranks(self, value: dict[bytes, int]) -> None:
        self.__dict__["_ranks"] = value

    def __repr__(self) -> str:
        return f"<Encoding {self.name!r}>"

    # ====================
    # Encoding
    # ====================

    def encode_ordinary(self, text: str) -> list[int]:
        """Encodes a string into tokens, ignoring special tokens.

        This is equivalent to `encode(text, disallowed_special=())` (but slightly faster).

        ```
        >>> enc.encode_ordinary("hello world")
        [31373, 995]
        """
        try:
            return self._core_bpe.encode_ordinary(text)
        except UnicodeEncodeError:
            return self._core_bpe.encode_ordinary(_fix_surrogates(text))

    def encode(
        self,
        text: str,
        *,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> list[int]:
        """Encodes a string into tokens.

        Special tokens are artificial tokens used to unlock capabilities from a model,
        such as fill-in-the-middle. So we want to be careful about accidentally encoding special
        tokens, since they can be used to trick a model into doing something we don't want it to do.

        Hence, by default, encode will raise an error if it encounters text that corresponds
        to a special token. This can be controlled on a per-token level using the `allowed_special`
        and `disallowed_special` parameters. In particular:
        - Setting `disallowed_special` to () will prevent this function from raising errors and
          cause all text corresponding to special tokens to be encoded as natural text.
        - Setting `allowed_special` to "all" will cause this function to treat all text
          corresponding to special tokens to be encoded as special tokens.

        ```
        >>> enc.encode("hello world")
        [31373, 995]
        >>> enc.encode("<|endoftext|>", allowed_special={"<|endoftext|>"})
        [50256]
        >>> enc.encode("<|endoftext|>", allowed_special="all")
        [50256]
        >>> enc.encode("<|endoftext|>")
        # Raises ValueError
        >>> enc.encode("<|endoftext|>", disallowed_special=())
        [27, 91, 437, 1659, 5239, 91, 29]
        ```
        """
        a, d = _special_args(allowed_special, disallowed_special)
        try:
            return self._core_bpe.encode(text, a, d)
        except UnicodeEncodeError:
            return self._core_bpe.encode(_fix_surrogates(text), a, d)

    def encode_to_numpy(
        self,
        text: str,
        *,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> npt.NDArray[np.uint32]:
        """Encodes a string into tokens, returning a numpy array.

        Avoids the overhead of copying the token buffer into a Python list.
        """
        import numpy as np

        a, d = _special_args(allowed_special, disallowed_special)
        try:
            buffer = self._core_bpe.encode_to_tiktoken_buffer(text, a, d)
        except UnicodeEncodeError:
            buffer = self._core_bpe.encode_to_tiktoken_buffer(_fix_surrogates(text), a, d)
        return np.frombuffer(buffer, dtype=np.dtype("<u4"))

    def encode_ordinary_batch(self, text: list[str], *, num_threads: int = 8) -> list[list[int]]:
        """Encodes a list of strings into tokens, in parallel, ignoring special tokens.

        This is equivalent to `encode_batch(text, disallowed_special=())` (but slightly faster).
        The texts are encoded on `num_threads` Rust threads (at most one per core).

        ```
        >>> enc.encode_ordinary_batch(["hello world", "goodbye world"])
        [[31373, 995], [11274, 16390, 995]]
        ```
        """
        text = text if isinstance(text, list) else list(text)
        try:
            return self._core_bpe.encode_ordinary_batch(text, _num_threads(num_threads))
        except UnicodeEncodeError:
            return self._core_bpe.encode_ordinary_batch(
                [_fix_surrogates(t) for t in text], _num_threads(num_threads)
            )

    def encode_batch(
        self,
        text: list[str],
        *,
        num_threads: int = 8,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> list[list[int]]:
        """Encodes a list of strings into tokens, in parallel.

        See `encode` for more details on `allowed_special` and `disallowed_special`.

        ```
        >>> enc.encode_batch(["hello world", "goodbye world"])
        [[31373, 995], [11274, 16390, 995]]
        ```
        """
        a, d = _special_args(allowed_special, disallowed_special)
        text = text if isinstance(text, list) else list(text)
        try:
            return self._core_bpe.encode_batch(text, a, d, _num_threads(num_threads))
        except UnicodeEncodeError:
            return self._core_bpe.encode_batch(
                [_fix_surrogates(t) for t in text], a, d, _num_threads(num_threads)
            )

    def encode_with_unstable(
        self,
        text: str,
        *,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> tuple[list[int], list[list[int]]]:
        """Encodes a string into stable tokens and possible completion sequences.

        Note that the stable tokens will only represent a substring of `text`.

        See `encode` for more details on `allowed_special` and `disallowed_special`.

        This API should itself be considered unstable.

        ```
        >>> enc.encode_with_unstable("hello fanta")
        ([31373], [(277, 4910), (5113, 265), ..., (8842,)])

        >>> text = "..."
        >>> stable_tokens, completions = enc.encode_with_unstable(text)
        >>> assert text.encode().startswith(enc.decode_bytes(stable_tokens))
        >>> assert all(enc.decode_bytes(stable_tokens + seq).startswith(text.encode()) for seq in completions)
        ```
        """
        a, d = _special_args(allowed_special, disallowed_special)
        if d != []:
            # The disallowed check (tiktoken's ValueError naming the token).
            self._core_bpe.count(text, a, d)
        return self._core_bpe.encode_with_unstable(text, a)

    def encode_single_token(self, text_or_bytes: str | bytes) -> int:
        """Encodes text corresponding to a single token to its token value.

        NOTE: this will encode all special tokens.

        Raises `KeyError` if the token is not in the vocabulary.

        ```
        >>> enc.encode_single_token("hello")
        31373
        ```
        """
        if isinstance(text_or_bytes, str):
            text_or_bytes = text_or_bytes.encode("utf-8")
        return self._core_bpe.encode_single_token(text_or_bytes)

    # ====================
    # Decoding
    # ====================

    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        """Decodes a list of tokens into bytes.

        ```
        >>> enc.decode_bytes([31373, 995])
        b'hello world'
        ```
        """
        return self._core_bpe.decode_bytes(tokens)

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        """Decodes a list of tokens into a string.

        WARNING: the default behaviour of this function is lossy, since decoded bytes are not
        guaranteed to be valid UTF-8. You can control this behaviour using the `errors` parameter,
        for instance, setting `errors=strict`.

        ```
        >>> enc.decode([31373, 995])
        'hello world'
        ```
        """
        return self._core_bpe.decode_bytes(tokens).decode("utf-8", errors=errors)

    def decode_single_token_bytes(self, token: int) -> bytes:
        """Decodes a token into bytes.

        NOTE: this will decode all special tokens.

        Raises `KeyError` if the token is not in the vocabulary.

        ```
        >>> enc.decode_single_token_bytes(31373)
        b'hello'
        ```
        """
        return self._core_bpe.decode_single_token_bytes(token)

    def decode_tokens_bytes(self, tokens: Sequence[int]) -> list[bytes]:
        """Decodes a list of tokens into a list of bytes.

        Useful for visualising tokenisation.
        >>> enc.decode_tokens_bytes([31373, 995])
        [b'hello', b' world']
        """
        return [self.decode_single_token_bytes(token) for token in tokens]

    def decode_with_offsets(self, tokens: Sequence[int]) -> tuple[str, list[int]]:
        """Decodes a list of tokens into a string and a list of offsets.

        Each offset is the index into text corresponding to the start of each token.
        If UTF-8 character boundaries do not line up with token boundaries, the offset is the index
        of the first character that contains bytes from the token.

        This will currently raise if given tokens that decode to invalid UTF-8; this behaviour may
        change in the future to be more permissive.

        >>> enc.decode_with_offsets([31373, 995])
        ('hello world', [0, 5])
        """
        token_bytes = self.decode_tokens_bytes(tokens)

        text_len = 0
        offsets = []
        for token in token_bytes:
            offsets.append(max(0, text_len - (0x80 <= token[0] < 0xC0)))
            text_len += sum(1 for c in token if not 0x80 <= c < 0xC0)

        text = b"".join(token_bytes).decode("utf-8", errors="strict")
        return text, offsets

    def decode_batch(
        self, batch: Sequence[Sequence[int]], *, errors: str = "replace", num_threads: int = 8
    ) -> list[str]:
        """Decodes a batch (list of lists of tokens) into a list of strings."""
        return [b.decode("utf-8", errors=errors) for b in self.decode_bytes_batch(batch, num_threads=num_threads)]

    def decode_bytes_batch(
        self, batch: Sequence[Sequence[int]], *, num_threads: int = 8
    ) -> list[bytes]:
        """Decodes a batch (list of lists of tokens) into a list of bytes."""
        batch = batch if isinstance(batch, list) else list(batch)
        return self._core_bpe.decode_bytes_batch(batch, _num_threads(num_threads))

    # ====================
    # Miscellaneous
    # ====================

    def token_byte_values(self) -> list[bytes]:
        """Returns the list of all token byte values."""
        return self._core_bpe.token_byte_values()

    @property
    def eot_token(self) -> int:
        return self._special_tokens["<|endoftext|>"]

    @functools.cached_property
    def special_tokens_set(self) -> set[str]:
        return set(self._special_tokens.keys())

    def is_special_token(self, token: int) -> bool:
        assert isinstance(token, int)
        return token in self._special_token_values

    @property
    def n_vocab(self) -> int:
        """For backwards compatibility. Prefer to use `enc.max_token_value + 1`."""
        return self.max_token_value + 1

    # ====================
    # Beyond tiktoken
    # ====================

    def count_tokens(
        self,
        text: str,
        *,
        allowed_special: Literal["all"] | AbstractSet[str] = set(),  # noqa: B006
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> int:
        """`len(enc.encode(text, ...))` without building the list (same errors)."""
        a, d = _special_args(allowed_special, disallowed_special)
        try:
            return self._core_bpe.count(text, a, d)
        except UnicodeEncodeError:
            return self._core_bpe.count(_fix_surrogates(text), a, d)

    # ====================
    # Private
    # ====================

    def _encode_single_piece(self, text_or_bytes: str | bytes) -> list[int]:
        """Encodes text corresponding to bytes without a regex split.

        NOTE: this will not encode any special tokens.

        ```
        >>> enc.encode_single_piece("helloqqqq")
        [31373, 38227, 38227]
        ```
        """
        if isinstance(text_or_bytes, str):
            text_or_bytes = text_or_bytes.encode("utf-8")
        return self._core_bpe.encode_single_piece(text_or_bytes)

    def _encode_only_native_bpe(self, text: str) -> list[int]:
        """Encodes a string into tokens, but do regex splitting in Python."""
        # We need specifically `regex` in order to compile pat_str due to e.g. \p
        import regex  # type: ignore[import-untyped,unused-ignore]

        _unused_pat = regex.compile(self._pat_str)
        ret = []
        for piece in regex.findall(_unused_pat, text):
            ret.extend(self._core_bpe.encode_single_piece(piece.encode("utf-8")))
        return ret

    def _encode_bytes(self, text: bytes) -> list[int]:
        return self._core_bpe._encode_bytes(text)

    def __getstate__(self) -> object:
        from towel import registry

        # As an optimisation, pickle registered encodings by reference
        if self is registry.ENCODINGS.get(self.name):
            return self.name
        return {
            "name": self.name,
            "pat_str": self._pat_str,
            "mergeable_ranks": self._mergeable_ranks,
            "special_tokens": self._special_tokens,
        }

    def __setstate__(self, value: object) -> None:
        from towel import registry

        if isinstance(value, str):
            self.__dict__ = registry.get_encoding(value).__dict__
            return
        Encoding.__init__(self, **cast("dict[str, Any]", value))


def raise_disallowed_special_token(token: str) -> NoReturn:
    raise ValueError(
        f"Encountered text corresponding to disallowed special token {token!r}.\n"
        "If you want this text to be encoded as a special token, "
        f"pass it to `allowed_special`, e.g. `allowed_special={{{token!r}, ...}}`.\n"
        f"If you want this text to be encoded as normal text, disable the check for this token "
        f"by passing `disallowed_special=(enc.special_tokens_set - {{{token!r}}})`.\n"
        "To disable this check for all special tokens, pass `disallowed_special=()`.\n"
    )
