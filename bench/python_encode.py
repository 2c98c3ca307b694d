#!/usr/bin/env python3
"""towel's Python package vs Python tiktoken 0.14, in one process, on the
inputs of bench/tokenizer_encode.py (tiny shakespeare, the SciFact corpus
text, five pathological 1 MB inputs):

* encode_ordinary, single thread, towel and tiktoken timed in rotation
  (round after round, so both sides of a ratio see the same conditions);
* encode_ordinary_batch on the text cut into 64 chunks, num_threads 1 and 2
  (towel on Rust threads, tiktoken on its Python ThreadPoolExecutor), with
  towel's process CPU time for each: on a busy machine the wall-clock ratio
  of 2 threads to 1 depends on what else runs, while CPU(2) / CPU(1) says
  how much extra work the second thread costs (1.00 = none);
* count_tokens and decode_bytes_batch on the same 64 chunks, num_threads 1
  and 2 (decode against tiktoken's decode_bytes_batch).

Both return Python lists, so the times include building them. ids are
compared (a towel mismatch fails the run); times are medians of at least
RUNS timed runs and 0.5 s of runs after one warm-up, the 1- and 2-thread
batches timed in rotation, round after round, for at least 3 s in all; the
load average is printed before and after.

    target/python-venv/bin/python bench/python_encode.py [--runs 5] [--quick]
        [--encodings cl100k_base o200k_base] [--inputs tinyshakespeare scifact]

Needs towel installed in that Python (`.ci/run` builds it into
target/python-venv) and tiktoken==0.14.0. Full runs write
bench/results/python_encode.json and append their goal figures to
bench/results/encode_goals.jsonl (see encode_goals.py); partial runs write a
.local.json file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import encode_goals  # noqa: E402
import tokenizer_encode as tb  # noqa: E402  (inputs, chunks, timing, tiktoken from local files)
from machine import conditions  # noqa: E402

ENCODINGS = ["cl100k_base", "o200k_base", "gpt2"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="tinyshakespeare and pathological inputs only")
    ap.add_argument("--encodings", nargs="+", choices=ENCODINGS)
    ap.add_argument("--inputs", nargs="+", metavar="NAME")
    args = ap.parse_args()
    import tiktoken

    import towel

    os.environ.setdefault("TOWEL_DATA_DIR", str(tb.DATA))
    load_before = os.getloadavg()
    texts = tb.inputs(args.quick)
    if args.inputs:
        texts = {k: v for k, v in texts.items() if k in args.inputs}
    rows = []
    for enc_name in args.encodings or ENCODINGS:
        peer = tb.gen_tiktoken.build(enc_name, tb.DATA / "vocab")
        ours = towel.get_encoding(enc_name)
        for in_name, text in texts.items():
            nbytes = len(text.encode())
            pathological = in_name not in ("tinyshakespeare", "scifact")
            runs = 3 if pathological else args.runs
            row = {"encoding": enc_name, "input": in_name, "bytes": nbytes}
            # towel and tiktoken in rotation, round after round, so that both
            # sides of a ratio are timed under the same conditions.
            try:
                peer.encode_ordinary(text)
                fns = [lambda: ours.encode_ordinary(text), lambda: peer.encode_ordinary(text)]
            except BaseException as e:  # tiktoken panics on o200k + 1 MB of spaces
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                row["tiktoken_error"] = f"{type(e).__name__}: {str(e)[:100]}"
                fns = [lambda: ours.encode_ordinary(text)]
            timed, rounds = tb.rotated_times(fns, runs)
            ids = timed[0]["out"]
            row.update({"towel": timed[0]["wall"], "towel_cpu": timed[0]["cpu"], "rounds": rounds})
            if len(timed) > 1:
                row.update({"tiktoken": timed[1]["wall"], "tiktoken_cpu": timed[1]["cpu"]})
                if ids != timed[1]["out"]:
                    raise SystemExit(f"towel ids differ from tiktoken: {enc_name} {in_name}")
            if not pathological:
                chunks = tb.chunks64(text)
                # towel's batches on 1 and 2 threads in rotation with what the
                # two cores give the same work with no coordination at all:
                # the whole text counted on one thread, then two copies of it
                # on two threads (one each, the second from the middle on;
                # counting builds no list).
                rotated = tb.rotated_half(text)
                (b1, b2, alone, together), rounds = tb.rotated_times([
                    lambda: ours.encode_ordinary_batch(chunks, num_threads=1),
                    lambda: ours.encode_ordinary_batch(chunks, num_threads=2),
                    lambda: towel.count_tokens([text], ours, num_threads=1),
                    lambda: towel.count_tokens([text, rotated], ours, num_threads=2)], runs)
                (p1, p2), _ = tb.rotated_times([
                    lambda: peer.encode_ordinary_batch(chunks, num_threads=1),
                    lambda: peer.encode_ordinary_batch(chunks, num_threads=2)], runs)
                row.update({"towel_batch_1": b1["wall"], "towel_batch_1_cpu": b1["cpu"],
                            "towel_batch_2": b2["wall"], "towel_batch_2_cpu": b2["cpu"],
                            "towel_batch_rounds": rounds,
                            "two_cores_alone": alone["wall"], "two_cores_together": together["wall"],
                            "tiktoken_batch_1": p1["wall"], "tiktoken_batch_2": p2["wall"]})
                if not (b1["out"] == b2["out"] == p1["out"] == p2["out"]):
                    raise SystemExit(f"towel batch ids differ from tiktoken: {enc_name} {in_name}")
                if together["out"] != alone["out"] + [len(ours.encode_ordinary(rotated))] \
                        or alone["out"] != [len(ids)]:
                    raise SystemExit(f"towel count_tokens differs from len(encode): {enc_name} {in_name}")
                # Counting and decoding the same 64 chunks on 1 and 2 threads
                # (tiktoken has no count: its users take len() of the lists).
                ids64 = b1["out"]
                (n1, n2, d1, d2), _ = tb.rotated_times([
                    lambda: towel.count_tokens(chunks, ours, num_threads=1),
                    lambda: towel.count_tokens(chunks, ours, num_threads=2),
                    lambda: ours.decode_bytes_batch(ids64, num_threads=1),
                    lambda: ours.decode_bytes_batch(ids64, num_threads=2)], runs)
                (q1, q2), _ = tb.rotated_times([
                    lambda: peer.decode_bytes_batch(ids64, num_threads=1),
                    lambda: peer.decode_bytes_batch(ids64, num_threads=2)], runs)
                row.update({"towel_count_1": n1["wall"], "towel_count_2": n2["wall"],
                            "towel_decode_1": d1["wall"], "towel_decode_2": d2["wall"],
                            "tiktoken_decode_1": q1["wall"], "tiktoken_decode_2": q2["wall"]})
                if not (n1["out"] == n2["out"] == [len(x) for x in ids64]):
                    raise SystemExit(f"towel count_tokens differs from len(encode): {enc_name} {in_name}")
                if not (d1["out"] == d2["out"] == q1["out"] == q2["out"]):
                    raise SystemExit(f"towel decode_bytes_batch differs from tiktoken: {enc_name} {in_name}")
            rows.append(row)
            print(f"done {enc_name} {in_name}", file=sys.stderr)
    load_after = os.getloadavg()

    mb = lambda nb, s: tb.fmt(tb.mbps(nb, s))  # noqa: E731
    print("\n" + conditions(["towel", "tiktoken"], "library level, from Python: both return Python lists"))
    print(f"load average (1 min) {load_before[0]:.1f} at the start of the run, {load_after[0]:.1f} at the end")
    print("\n### encode_ordinary from Python, single thread (MB/s; ratio = tiktoken time / towel time)\n")
    print("| encoding | input | towel | tiktoken | ratio | ratio of CPU times |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        tk = r.get("tiktoken")
        cpu = tb.ratio(r["tiktoken_cpu"], r["towel_cpu"]) if tk else "–"
        print(f"| {r['encoding']} | {r['input']} | {mb(r['bytes'], r['towel'])} | "
              f"{mb(r['bytes'], tk) if tk else 'panics'} | {tb.ratio(tk, r['towel']) if tk else '–'} | {cpu} |")
    print("\n### encode_ordinary_batch from Python, 64 chunks (MB/s)\n")
    tb.md_header(tb.BATCH_COLUMNS + ["ceiling: 2 independent counts / 1"])
    for r in rows:
        if "towel_batch_1" not in r:
            continue
        nb = r["bytes"]
        t1, t2, p1, p2 = r["towel_batch_1"], r["towel_batch_2"], r["tiktoken_batch_1"], r["tiktoken_batch_2"]
        print(f"| {r['encoding']} | {r['input']} | {mb(nb, t1)} | {mb(nb, p1)} | {tb.ratio(p1, t1)} | "
              f"{mb(nb, t2)} | {mb(nb, p2)} | {tb.ratio(p2, t2)} | {t1 / t2:.2f}x | "
              f"{r['towel_batch_2_cpu'] / r['towel_batch_1_cpu']:.2f} | "
              f"{2 * r['two_cores_alone'] / r['two_cores_together']:.2f}x |")
    print("\nThe last column is timed in the same rotation as towel's batches: `count_tokens` of the whole "
          "text on one thread, then of two copies on two threads (one each, the second from the middle of the "
          "text on), 2 x the first time / the second; "
          "what the two cores give this work at that moment with no coordination between the threads.")

    print("\n### count_tokens and decode_bytes_batch from Python, the same 64 chunks (MB/s of text)\n")
    tb.md_header(["encoding", "input", "towel count_tokens 1 thr", "2 thr", "2 thr / 1 thr",
                  "towel decode_bytes_batch 1 thr", "tiktoken 1 thr", "ratio", "towel 2 thr", "tiktoken 2 thr",
                  "ratio", "towel 2 thr / 1 thr"])
    for r in rows:
        if "towel_count_1" not in r:
            continue
        nb = r["bytes"]
        n1, n2, d1, d2 = r["towel_count_1"], r["towel_count_2"], r["towel_decode_1"], r["towel_decode_2"]
        q1, q2 = r["tiktoken_decode_1"], r["tiktoken_decode_2"]
        print(f"| {r['encoding']} | {r['input']} | {mb(nb, n1)} | {mb(nb, n2)} | {n1 / n2:.2f}x | {mb(nb, d1)} | "
              f"{mb(nb, q1)} | {tb.ratio(q1, d1)} | {mb(nb, d2)} | {mb(nb, q2)} | {tb.ratio(q2, d2)} | {d1 / d2:.2f}x |")

    goals = encode_goals.python_goals(rows)
    encode_goals.print_goals(goals, python=True)

    partial = bool(args.quick or args.encodings or args.inputs)
    res = HERE / "results"
    res.mkdir(exist_ok=True)
    name = "python_encode.quick.local.json" if partial else "python_encode.json"
    (res / name).write_text(json.dumps({
        "towel": towel.__version__, "tiktoken": tiktoken.__version__, "python": sys.version.split()[0],
        "runs": args.runs, "min_secs": tb.MIN_SECS,
        "loadavg_before": load_before, "loadavg_after": load_after, "rows": rows}, indent=1) + "\n")
    print(f"\nwrote bench/results/{name}", file=sys.stderr)
    if not partial:
        encode_goals.record("python_encode.py", goals, load_before, load_after)
        print("appended its goals to bench/results/encode_goals.jsonl", file=sys.stderr)


if __name__ == "__main__":
    main()
