"""tiktoken 0.14's own test suite (tests/*.py of github.com/openai/tiktoken at
tag 0.14.0, MIT License, see LICENSE.tiktoken), copied unchanged, run against
towel: `import tiktoken` gives towel here (see shim/tiktoken/__init__.py)."""

import os
import sys

import hypothesis

# No example database in the working tree (.hypothesis/).
hypothesis.settings.register_profile("towel", database=None)
hypothesis.settings.load_profile("towel")

_SHIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim")
sys.path.insert(0, _SHIM)
os.environ["PYTHONPATH"] = _SHIM + os.pathsep + os.environ.get("PYTHONPATH", "")
for _m in [m for m in sys.modules if m == "tiktoken" or m.startswith("tiktoken.")]:
    del sys.modules[_m]

import tiktoken  # noqa: E402

assert getattr(tiktoken, "IS_TOWEL", False), "tiktoken must resolve to the towel shim here"
