"""Finding the vocabulary files of the named encodings, verified by sha256.

In this order:

1. `$TOWEL_DATA_DIR` (the reference data layout, `vocab/cl100k_base.tiktoken`),
   then towel's cache (`$TOWEL_CACHE_DIR`, else `~/.cache/towel`): exactly as
   the `towel` command finds them;
2. an existing tiktoken cache: `$TIKTOKEN_CACHE_DIR`, else `$DATA_GYM_CACHE_DIR`,
   else tiktoken's default `<tempdir>/data-gym-cache`, where each file is named
   by the sha1 of its URL (so a machine that already ran tiktoken works
   offline at once; an empty `TIKTOKEN_CACHE_DIR` turns this off, as in tiktoken);
3. a download from the file's public URL into towel's cache (written
   atomically, only after its sha256 matched). `TOWEL_OFFLINE=1` forbids it.

A copy whose sha256 differs is never used.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid

from towel import _towel

# The registry files each named encoding reads.
ENCODING_FILES: dict[str, list[str]] = {
    "gpt2": ["gpt2-vocab-bpe", "gpt2-encoder-json"],
    "r50k_base": ["r50k_base"],
    "p50k_base": ["p50k_base"],
    "p50k_edit": ["p50k_base"],
    "cl100k_base": ["cl100k_base"],
    "o200k_base": ["o200k_base"],
    "o200k_harmony": ["o200k_base"],
}


def tiktoken_cache_dir() -> str | None:
    """tiktoken's cache folder (None when caching is turned off)."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        d = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        d = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        d = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    return d or None


def _from_tiktoken_cache(url: str, sha256: str) -> bytes | None:
    d = tiktoken_cache_dir()
    if d is None:
        return None
    path = os.path.join(d, hashlib.sha1(url.encode()).hexdigest())
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def _download(name: str, rel_path: str, url: str, sha256: str) -> bytes:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            data: bytes = resp.read()
    except OSError as e:
        raise OSError(
            f"vocabulary file `{name}` was not found locally and downloading {url} failed ({e}). "
            "Without network access, set TOWEL_DATA_DIR to a copy of the reference data folder, "
            "or TIKTOKEN_CACHE_DIR to a tiktoken cache that holds it"
        ) from e
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ValueError(
            f"Hash mismatch for data downloaded from {url} (expected {sha256}, got {actual}). "
            "This may indicate a corrupted download. Please try again."
        )
    cache = _towel.cache_dir()
    if cache:
        dest = os.path.join(cache, rel_path)
        try:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            tmp = f"{dest}.{uuid.uuid4().hex}.towel-tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, dest)
        except OSError:
            pass  # a read-only cache costs a download next time, nothing else
    return data


def read_vocab(name: str) -> bytes:
    """The verified bytes of registry file `name` (see the module docs)."""
    rel_path, sha256, url = _towel.data_file_info(name)
    try:
        return _towel.read_data(name)
    except (FileNotFoundError, ValueError, OSError) as e:
        first = e
    if url is not None:
        data = _from_tiktoken_cache(url, sha256)
        if data is not None:
            return data
        if os.environ.get("TOWEL_OFFLINE", "") not in ("", "0"):
            raise first
        return _download(name, rel_path, url, sha256)
    raise first
