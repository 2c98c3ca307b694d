"""Shared fixtures: the reference data folder and Python tiktoken 0.14 built
from its local vocabulary files (nothing is downloaded).

The data folder is `$TOWEL_DATA_DIR`, else `../shared/data` beside the
clone. Tests that need it skip without it, and fail instead under
`TOWEL_REQUIRE_DATA=1` (as the Rust tests do; `.ci/run` sets it).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
from pathlib import Path

import hypothesis
import pytest

# No example database in the working tree (.hypothesis/): every run draws afresh.
hypothesis.settings.register_profile("towel", database=None)
hypothesis.settings.load_profile("towel")

ROOT = Path(__file__).resolve().parents[3]

# tiktoken's own suite makes `import tiktoken` give towel (its conftest puts
# a shim first on the path), so it must not be collected in the same run as
# these tests, whose peer is the real tiktoken: run it on its own
# (`pytest crates/python/tests/tiktoken_suite`, as .ci/run does).
collect_ignore = ["tiktoken_suite"]


def data_dir() -> Path | None:
    d = os.environ.get("TOWEL_DATA_DIR")
    p = Path(d) if d else ROOT.parent / "shared" / "data"
    return p if (p / "vocab").is_dir() else None


def need_data() -> Path:
    d = data_dir()
    if d is None:
        if os.environ.get("TOWEL_REQUIRE_DATA") == "1":
            pytest.fail("TOWEL_REQUIRE_DATA=1 but no reference data folder (set TOWEL_DATA_DIR)")
        pytest.skip("no reference data folder (set TOWEL_DATA_DIR)")
    os.environ["TOWEL_DATA_DIR"] = str(d)
    return d


@functools.lru_cache(maxsize=None)
def _gen_tiktoken():
    os.environ["TIKTOKEN_CACHE_DIR"] = ""
    path = ROOT / "crates" / "tokenizer" / "tests" / "fixtures" / "gen_tiktoken.py"
    spec = importlib.util.spec_from_file_location("gen_tiktoken", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@functools.lru_cache(maxsize=None)
def peer(name: str):
    """Python tiktoken's encoding `name`, built from the local files exactly as
    tiktoken_ext/openai_public.py builds it."""
    import tiktoken

    # Comparing towel with itself would pass whatever towel does.
    assert not getattr(tiktoken, "IS_TOWEL", False), "the peer must be the real tiktoken, not the towel shim"
    return _gen_tiktoken().build(name, need_data() / "vocab")


@functools.lru_cache(maxsize=None)
def ours(name: str):
    need_data()
    import towel

    return towel.get_encoding(name)


def towel_bin() -> Path | None:
    """The `towel` command built by cargo (debug or release), if any."""
    if os.environ.get("TOWEL_BIN"):
        return Path(os.environ["TOWEL_BIN"])
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "towel"
        if p.is_file():
            return p
    return shutil.which("towel") and Path(shutil.which("towel"))


ALL_ENCODINGS = ["gpt2", "r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base",
                 "o200k_harmony"]
