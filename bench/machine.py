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
from pathlib import Path


def cpu() -> dict:
    """The host's CPU as this VM sees it: model, L2 and L3 per instance, and
    whether AVX-512 is there. The 2-core VMs of this workplace land on
    different hosts from one day to the next (seen: 1 MiB of L2 per core
    with AVX-512, and 512 KiB without), and the encoder's and the peers'
    speeds move with the L2 and the vector width, so every table says which
    host it ran on."""
    info = {"model": None, "l2": None, "l3": None, "avx512": None}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        cpuinfo = []
    for line in cpuinfo:
        if line.startswith("model name") and not info["model"]:
            info["model"] = line.split(":", 1)[1].strip()
        elif line.startswith("flags"):
            info["avx512"] = "avx512f" in line.split()
            break
    info["model"] = info["model"] or platform.processor() or None
    for level, key in (("index2", "l2"), ("index3", "l3")):
        try:
            info[key] = Path(f"/sys/devices/system/cpu/cpu0/cache/{level}/size").read_text().strip()
        except OSError:
            pass
    return info


def cpu_text(info: dict) -> str:
    """`AMD EPYC, L2 512K, AVX-512 no` (the parts that are known)."""
    parts = [info.get("model") or "unknown CPU"]
    if info.get("l2"):
        parts.append(f"L2 {info['l2']}")
    if info.get("avx512") is not None:
        parts.append(f"AVX-512 {'yes' if info['avx512'] else 'no'}")
    return ", ".join(parts)


def record(peers: list[str]) -> dict:
    """The conditions as data, for a results JSON: the load average now (1, 5,
    15 min), CPUs and the host's CPU, Python's version and each peer's (None
    when not installed)."""
    versions = {}
    for p in peers:
        try:
            versions[p] = md.version(p)
        except md.PackageNotFoundError:
            versions[p] = None
    return {"loadavg": list(os.getloadavg()), "cpus": os.cpu_count(), "cpu": cpu(),
            "python": platform.python_version(), "versions": versions}


def conditions(peers: list[str], level: str) -> str:
    """One Markdown line: the level, the load average now, CPUs and versions."""
    r = record(peers)
    one, five, fifteen = r["loadavg"]
    versions = [f"{p} {v}" if v else f"{p} (not installed)" for p, v in r["versions"].items()]
    return (f"_{level}; load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min) at the end "
            f"of the run on {r['cpus']} CPUs ({cpu_text(r['cpu'])}); Python {r['python']}; "
            f"{', '.join(versions)}_")
