"""The package's types, as a user's type checker sees them: `mypy --strict`
on the installed package (inline annotations, `py.typed`), and mypy's
`stubtest` of the native module's stubs (`_towel.pyi`) against the module
itself, so a Rust signature that changes without its stub fails here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path



def run_mypy(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # In an empty folder: mypy's cache goes there, and no source tree of
    # towel shadows the installed package.
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "MYPY_FORCE_COLOR": "0"},
    )


def test_the_package_passes_mypy_strict(tmp_path: Path) -> None:
    out = run_mypy(["mypy", "--strict", "-p", "towel"], tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "9 source files" in out.stdout, out.stdout


def test_the_native_stubs_match_the_module(tmp_path: Path) -> None:
    out = run_mypy(["mypy.stubtest", "towel._towel"], tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
