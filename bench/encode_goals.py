"""The encoding goals of issues #15 and #16, computed from one run's rows, and
a history of every full run's goals (`bench/results/encode_goals.jsonl`).

One run on this shared VM is one sample: the same build gave o200k_base
6.4x tiktoken in one run and 8.5x in another. So each full run of
`tokenizer_encode.py` or `python_encode.py` appends its goal figures (with
the date, the load average and the git commit) to the history, and the
README quotes the history's range next to the one run its tables show.

    python3 bench/encode_goals.py            # the history as a Markdown table

Goals (each a ratio from one run):
- `tokenizer_encode.py` (library level, Rust): o200k_base and cl100k_base at
  least 6x Python tiktoken on tiny shakespeare and SciFact; at least 1.5x
  bpe-openai on every row; 2-thread batches at least 1.8x one thread on
  every row;
- `python_encode.py` (from Python): o200k_base and cl100k_base at least 4x
  tiktoken; 2-thread batches at least 1.8x one thread on every row.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import machine  # noqa: E402
HISTORY = HERE / "results" / "encode_goals.jsonl"
REAL = ("tinyshakespeare", "scifact")


def _pair(d: dict, enc: str) -> list:
    return [d.get((enc, i)) for i in REAL]


def _batches(pairs: list) -> dict:
    """min, max and how many of the (2 thr / 1 thr, ceiling) pairs reach 1.8x."""
    ratios = [r for r, _ in pairs]
    if not ratios:
        return {"batch_min": None, "batch_max": None, "batch_rows": 0, "batch_rows_1_8": 0,
                "ceiling_min": None, "ceiling_max": None}
    ceilings = [c for _, c in pairs if c]
    return {"batch_min": min(ratios), "batch_max": max(ratios),
            "batch_rows": len(ratios), "batch_rows_1_8": sum(r >= 1.8 for r in ratios),
            "ceiling_min": min(ceilings) if ceilings else None,
            "ceiling_max": max(ceilings) if ceilings else None}


def rust_goals(rows: list) -> dict:
    """Goal figures of a `tokenizer_encode.py` run from its rows."""
    tk, bpe, batch = {}, [], []
    for r in rows:
        key = (r["encoding"], r["input"])
        t = r["towel"]
        ts = t["towel"]["seconds"]
        if "seconds" in r.get("tiktoken", {}):
            tk[key] = r["tiktoken"]["seconds"] / r["tiktoken"].get("towel_seconds_same_rounds", ts)
        b = t.get("bpe_openai")
        if b and "seconds" in b:
            bpe.append((b["seconds"] / b.get("towel_seconds_same_rounds", ts), f"{key[0]} {key[1]}"))
        tt = t["towel"]
        if "batch64_2threads_seconds" in tt and r["input"] in REAL:
            alone, together = tt.get("two_cores_alone_seconds"), tt.get("two_cores_together_seconds")
            batch.append((tt["batch64_1thread_seconds"] / tt["batch64_2threads_seconds"],
                          2 * alone / together if alone and together else None))
    lowest = min(bpe) if bpe else (None, None)
    return {"o200k_base": _pair(tk, "o200k_base"), "cl100k_base": _pair(tk, "cl100k_base"),
            "bpe_openai_min": lowest[0], "bpe_openai_min_row": lowest[1], **_batches(batch)}


def python_goals(rows: list) -> dict:
    """Goal figures of a `python_encode.py` run from its rows."""
    tk, batch = {}, []
    for r in rows:
        key = (r["encoding"], r["input"])
        if r.get("tiktoken"):
            tk[key] = r["tiktoken"] / r["towel"]
        if "towel_batch_1" in r:
            batch.append((r["towel_batch_1"] / r["towel_batch_2"],
                          2 * r["two_cores_alone"] / r["two_cores_together"]))
    return {"o200k_base": _pair(tk, "o200k_base"), "cl100k_base": _pair(tk, "cl100k_base"), **_batches(batch)}


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(HERE), "status", "--porcelain", "--untracked-files=no",
                                "--", "crates", "Cargo.toml", "Cargo.lock"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return out + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def record(script: str, goals: dict, loadavg_before, loadavg_after) -> dict:
    """Append one full run's goals to the history and return the entry."""
    entry = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
             "script": script, "commit": _commit(), "cpu": machine.cpu(),
             "loadavg_before": [round(x, 2) for x in loadavg_before],
             "loadavg_after": [round(x, 2) for x in loadavg_after], **goals}
    HISTORY.parent.mkdir(parents=True, exist_ok=True)
    with HISTORY.open("a") as f:
        f.write(json.dumps(entry) + "\n")
    return entry


def _x(v) -> str:
    return "–" if v is None else f"{v:.2f}x"


def goal_lines(g: dict, python: bool) -> list:
    """The goals of one run as Markdown table rows: goal | measured | met."""
    want = 4.0 if python else 6.0
    lines = []
    for enc in ("o200k_base", "cl100k_base"):
        a, b = g[enc]
        if a is None or b is None:
            status = "not measured in this run"
        else:
            status = "met" if min(a, b) >= want else "not met"
        lines.append(f"| {enc} at least {want:.0f}x tiktoken (shakespeare / SciFact) | {_x(a)} / {_x(b)} "
                     f"| {status} |")
    if not python and g.get("bpe_openai_min") is not None:
        m = g["bpe_openai_min"]
        lines.append(f"| at least 1.5x bpe-openai on every row | lowest {_x(m)} ({g['bpe_openai_min_row']}) "
                     f"| {'met' if m >= 1.5 else 'not met'} |")
    n, k = g["batch_rows"], g["batch_rows_1_8"]
    if n == 0:
        return lines
    ceil = (f"; ceilings {_x(g['ceiling_min'])}-{_x(g['ceiling_max'])}" if g.get("ceiling_min") else "")
    lines.append(f"| 2-thread batch at least 1.8x one thread, every row | {_x(g['batch_min'])}-{_x(g['batch_max'])}, "
                 f"{k} of {n} rows at 1.8x or more{ceil} | {'met' if k == n else 'not met'} |")
    return lines


def print_goals(g: dict, python: bool) -> None:
    print("\n### Goals in this run\n")
    print("| goal | measured | |")
    print("| --- | --- | --- |")
    for line in goal_lines(g, python):
        print(line)


def history_table(entries: list) -> list:
    """Every recorded run, one row each."""
    out = ["| date | script | commit | host | load average (start, end) | o200k_base | cl100k_base "
           "| lowest bpe-openai | 2 thr / 1 thr batches (rows at 1.8x) | ceilings |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for e in entries:
        py = e["script"] == "python_encode.py"
        o, c = e["o200k_base"], e["cl100k_base"]
        bpe = "–" if py or e.get("bpe_openai_min") is None else f"{_x(e['bpe_openai_min'])} ({e['bpe_openai_min_row']})"
        ceil = "–" if not e.get("ceiling_min") else f"{_x(e['ceiling_min'])}-{_x(e['ceiling_max'])}"
        host = "not recorded" if not e.get("cpu") else machine.cpu_text(e["cpu"])
        out.append(f"| {e['date']} | {e['script']} | {e.get('commit') or '?'} | {host} "
                   f"| {e['loadavg_before'][0]:.1f}, {e['loadavg_after'][0]:.1f} "
                   f"| {_x(o[0])} / {_x(o[1])} | {_x(c[0])} / {_x(c[1])} | {bpe} "
                   f"| {_x(e['batch_min'])}-{_x(e['batch_max'])} ({e['batch_rows_1_8']} of {e['batch_rows']}) "
                   f"| {ceil} |")
    return out


def main() -> None:
    import argparse

    argparse.ArgumentParser(
        description="Print the history of the encode goals "
        f"({os.path.relpath(HISTORY)}) as a Markdown table.",
        epilog="Full runs of bench/tokenizer_encode.py and bench/python_encode.py append to it.",
    ).parse_args()
    if not HISTORY.exists():
        sys.exit(f"no history yet: {os.path.relpath(HISTORY)} is written by full runs of "
                 "bench/tokenizer_encode.py and bench/python_encode.py")
    entries = [json.loads(line) for line in HISTORY.read_text().splitlines() if line.strip()]
    try:
        print("\n".join(history_table(entries)))
    except BrokenPipeError:  # `| head`
        sys.stderr.close()


if __name__ == "__main__":
    main()
