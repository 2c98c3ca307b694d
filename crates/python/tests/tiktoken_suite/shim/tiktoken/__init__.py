# `import tiktoken` resolves to towel in this test folder (conftest.py puts
# shim/ first on sys.path and PYTHONPATH): tiktoken's own tests, unchanged,
# run against towel.
import sys

import towel
import towel.core
import towel.load
import towel.model
import towel.registry
from towel import *  # noqa: F401,F403
from towel import __version__  # noqa: F401

for _name in ("core", "load", "model", "registry"):
    sys.modules[f"tiktoken.{_name}"] = getattr(towel, _name)
IS_TOWEL = True
