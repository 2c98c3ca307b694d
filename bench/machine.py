"""The conditions of a benchmark run, printed above its tables.

A figure in the README must say under which load it was taken, against which
peer versions, and whether it is library-level (towel's functions called in a
loop, as the peers' functions are) or command-level (the `towel` binary as a
user runs it). `conditions()` gives that line; every script in bench/ prints it,
and `record()` the same as data for the script's results JSON.
"""
from __future__ import annotations

import importlib.metadata as md
import os
import platform


def record(peers: list[str]) -> dict:
    """The conditions as data, for a results JSON: the load average now (1, 5,
    15 min), CPUs, Python's version and each peer's (None when not installed)."""
    versions = {}
    for p in peers:
        try:
            versions[p] = md.version(p)
        except md.PackageNotFoundError:
            versions[p] = None
    return {"loadavg": list(os.getloadavg()), "cpus": os.cpu_count(),
            "python": platform.python_version(), "versions": versions}


def conditions(peers: list[str], level: str) -> str:
    """One Markdown line: the level, the load average now, CPUs and versions."""
    r = record(peers)
    one, five, fifteen = r["loadavg"]
    versions = [f"{p} {v}" if v else f"{p} (not installed)" for p, v in r["versions"].items()]
    return (f"_{level}; load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min) at the end "
            f"of the run on {r['cpus']} CPUs; Python {r['python']}; "
            f"{', '.join(versions)}_")
