"""The conditions of a benchmark run, printed above its tables.

A figure in the README must say under which load it was taken, against which
peer versions, and whether it is library-level (towel's functions called in a
loop, as the peers' functions are) or command-level (the `towel` binary as a
user runs it). `conditions()` gives that line; every script in bench/ prints it.
"""
from __future__ import annotations

import importlib.metadata as md
import os
import platform


def conditions(peers: list[str], level: str) -> str:
    """One Markdown line: the level, the load average now, CPUs and versions."""
    one, five, fifteen = os.getloadavg()
    versions = []
    for p in peers:
        try:
            versions.append(f"{p} {md.version(p)}")
        except md.PackageNotFoundError:
            versions.append(f"{p} (not installed)")
    return (f"_{level}; load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min) at the end "
            f"of the run on {os.cpu_count()} CPUs; Python {platform.python_version()}; "
            f"{', '.join(versions)}_")
