#!/usr/bin/env python3
"""Loading an encoding: towel from its embedded ranks and from the file,
tiktoken (Python) from the same local file, side by side in one run.

towel's side is `crates/tokenizer/examples/bench_load.rs` (medians of RUNS
after a warm-up; embedded = inflate the zlib copy + parse + build, file =
read + sha256 + parse + build). tiktoken's side is `load_tiktoken_bpe(path,
expected_hash)` (read + sha256 + base64 decode) + `tiktoken.Encoding(...)`,
timed the same way. The probe's ids must agree, else the run fails.

    ~/.peers-venv/bin/python bench/tokenizer_load.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ["TIKTOKEN_CACHE_DIR"] = ""
ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("TOWEL_DATA_DIR") or ROOT.parent / "shared" / "data")
sys.path.insert(0, str(ROOT / "crates" / "tokenizer" / "tests" / "fixtures"))
import gen_tiktoken  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import conditions  # noqa: E402

PROBE = "How many r's are in strawberry? 1234567 🦀"


# name: (file, sha256 as in tiktoken's openai_public.py, pattern, n_vocab, specials)
SPECS = {
    "r50k_base": ("r50k_base.tiktoken", "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
                  gen_tiktoken.R50K_PAT_STR, 50257, {gen_tiktoken.ENDOFTEXT: 50256}),
    "cl100k_base": ("cl100k_base.tiktoken", "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
                    gen_tiktoken.CL100K_PAT_STR, None,
                    {gen_tiktoken.ENDOFTEXT: 100257, gen_tiktoken.FIM_PREFIX: 100258, gen_tiktoken.FIM_MIDDLE: 100259,
                     gen_tiktoken.FIM_SUFFIX: 100260, gen_tiktoken.ENDOFPROMPT: 100276}),
}


def tiktoken_load(name: str):
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    file, sha, pat, n_vocab, specials = SPECS[name]
    ranks = load_tiktoken_bpe(str(DATA / "vocab" / file), expected_hash=sha)
    return tiktoken.Encoding(name=name, pat_str=pat, mergeable_ranks=ranks, special_tokens=specials,
                             explicit_n_vocab=n_vocab)


def tiktoken_ms(name: str, runs: int) -> tuple[float, list[int]]:
    tiktoken_load(name)  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        enc = tiktoken_load(name)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times), enc.encode_ordinary(PROBE)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "towel-tokenizer", "--example", "bench_load"],
                   cwd=ROOT, check=True)
    exe = ROOT / "target" / "release" / "examples" / "bench_load"
    env = dict(os.environ, TOWEL_DATA_DIR=str(DATA))
    rows = []
    for name in ["r50k_base", "cl100k_base"]:
        towel = json.loads(subprocess.run([str(exe), name, str(args.runs)], env=env, check=True,
                                          capture_output=True, text=True).stdout)
        tk, ids = tiktoken_ms(name, args.runs)
        if towel["probe_ids"] != ids:
            sys.exit(f"{name}: towel's ids differ from tiktoken's")
        rows.append({"encoding": name, "towel_embedded_ms": towel["embedded_total_ms"],
                     "towel_inflate_ms": towel["embedded_inflate_ms"],
                     "towel_file_ms": towel["file_read_verify_parse_build_ms"], "tiktoken_file_ms": tk})
    load = os.getloadavg()[0]
    print(conditions(["tiktoken"], "library level: loading inside one process, start-up excluded"))
    print(f"\nLoading an encoding (median of {args.runs}, ms):\n")
    print("| encoding | towel, embedded (inflate) | towel, from file | tiktoken, from file | tiktoken / towel embedded | tiktoken / towel file |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['encoding']} | {r['towel_embedded_ms']:.1f} ({r['towel_inflate_ms']:.1f}) | {r['towel_file_ms']:.1f} "
              f"| {r['tiktoken_file_ms']:.1f} | {r['tiktoken_file_ms'] / r['towel_embedded_ms']:.2f}x "
              f"| {r['tiktoken_file_ms'] / r['towel_file_ms']:.2f}x |")
    out = ROOT / "bench" / "results" / "tokenizer_load.json"
    out.write_text(json.dumps({"load_average": load, "runs": args.runs, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
