#!/usr/bin/env python3
"""towel's byte-level BPE encoder vs tiktoken (Python), tiktoken-rs, the
`bpe-openai` crate and HF tokenizers (GPT-2), side by side in one run.

For gpt2, cl100k_base and o200k_base, on tiny shakespeare, the SciFact corpus
text (each document title + "\\n" + text, joined with blank lines, as in
shared/peers) and five pathological 1 MB inputs ('a' repeated, ' ' repeated,
random a-z without spaces, one CJK character repeated, base64 of random
bytes):

* single thread: towel `encode_ordinary` vs tiktoken `encode_ordinary`,
  tiktoken-rs `encode_ordinary`, bpe-openai `encode` (cl100k/o200k only) and
  HF tokenizers GPT-2 `encode` (gpt2 only);
* 1 and 2 threads: towel `encode_ordinary_batch` vs tiktoken
  `encode_ordinary_batch(num_threads=...)` on the text cut into 64 chunks.

Every implementation's ids are compared with tiktoken's (sha256 of the ids
as little-endian u32); a towel mismatch fails the run. Times are medians of
at least RUNS timed runs and at least 0.5 s of runs after one warm-up,
loading excluded. Each ratio of the goals compares times taken in rotation,
round after round, for at least 3 s in all: towel with tiktoken-rs and with
bpe-openai in one Rust process (`bench_encode`), towel with tiktoken across
two processes (bench_encode stays up and encodes on request, timing itself;
each side runs once untimed before its timed run in a round, because a
process that has just waited on the other is 20-25% slower at first on a
10 ms encode: see `serve` in bench_encode.rs), and the 1- and 2-thread
batches. BENCH_WARM=0 leaves the warm-up runs out.

    ~/.peers-venv/bin/python bench/tokenizer_encode.py [--runs 5] [--quick]
        [--encodings cl100k_base o200k_base] [--inputs tinyshakespeare scifact]

Partial runs (--quick, --encodings, --inputs) write a .local.json file; a
full run writes bench/results/tokenizer_encode.json and appends its goal
figures to bench/results/encode_goals.jsonl (see encode_goals.py).
"""

from __future__ import annotations

import argparse
import atexit
import base64
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import encode_goals  # noqa: E402
from machine import conditions  # noqa: E402

os.environ["TIKTOKEN_CACHE_DIR"] = ""
os.environ.setdefault("RAYON_NUM_THREADS", "2")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("TOWEL_DATA_DIR") or ROOT.parent / "shared" / "data")
sys.path.insert(0, str(ROOT / "crates" / "tokenizer" / "tests" / "fixtures"))
import gen_tiktoken  # noqa: E402  (builds tiktoken encodings from the local files)

ENCODINGS = ["gpt2", "cl100k_base", "o200k_base"]
# The columns of the batch tables (this script's and bench/python_encode.py's).
BATCH_COLUMNS = ["encoding", "input", "towel 1 thr", "tiktoken 1 thr", "ratio", "towel 2 thr", "tiktoken 2 thr",
                 "ratio", "towel 2 thr / 1 thr", "towel CPU time 2 thr / 1 thr"]


def sha_ids(ids) -> str:
    import array
    a = array.array("I", ids)
    if sys.byteorder != "little":
        a.byteswap()
    return hashlib.sha256(a.tobytes()).hexdigest()


# Every measure is a median over at least `runs` timed runs and over at
# least MIN_SECS of runs (at most MAX_RUNS), as in bench_encode.rs: a 1 MB
# input encodes in 3-5 ms, and a median of three such runs is mostly noise.
MIN_SECS = 0.5
MAX_RUNS = 200
# For a rotation of several functions (1- and 2-thread batches), all counted:
# a 2-thread ratio is a quotient of two noisy times.
ROTATION_MIN_SECS = 3.0


def more_runs(done, runs, spent, min_secs):
    return done < runs or (spent < min_secs and done < MAX_RUNS)


def median_time(fn, runs):
    """Median wall-clock seconds of `fn` (one warm-up, at least `runs` runs and
    MIN_SECS of runs) and its last result."""
    (m,), _ = rotated_times([fn], runs, MIN_SECS)
    return m["wall"], m["out"]


def rotated_times(fns, runs, min_secs=ROTATION_MIN_SECS):
    """The functions `fns` timed in rotation (one warm-up each, then rounds
    of one run of each, round r starting with function r mod n, for at least
    `runs` rounds and `min_secs` in all), so that a slow moment of a shared
    machine falls on all of them alike: for each, the median wall-clock and
    process CPU seconds and its last result, and the number of rounds. A
    function marked `times_itself` returns (result, wall, cpu) as measured
    where it ran (see TowelServer)."""
    n = len(fns)
    outs = [f() for f in fns]
    outs = [o[0] if getattr(f, "times_itself", False) else o for f, o in zip(fns, outs)]
    wall, cpu = [[] for _ in fns], [[] for _ in fns]
    rounds = 0
    while more_runs(rounds, runs, sum(map(sum, wall)), min_secs):
        for k in range(n):
            i = (rounds + k) % n
            if getattr(fns[i], "times_itself", False):
                # Timed in another process (TowelServer.encode): its own clock.
                outs[i], w, c = fns[i]()
            else:
                c, t = time.process_time(), time.perf_counter()
                outs[i] = fns[i]()
                w, c = time.perf_counter() - t, time.process_time() - c
            wall[i].append(w)
            cpu[i].append(c)
        rounds += 1
    med = statistics.median
    return [{"wall": med(w), "cpu": med(c), "out": o} for w, c, o in zip(wall, cpu, outs)], rounds


def chunks64(text: str):
    """Same cuts as bench_encode.rs: after the first newline at or past each 1/64 of the bytes."""
    b = text.encode()
    cuts = [0]
    for k in range(1, 64):
        target = max(k * len(b) // 64, cuts[-1])
        p = b.find(b"\n", target)
        if p < 0:
            break
        cuts.append(p + 1)
    cuts.append(len(b))
    cuts = sorted(set(cuts))
    return [b[x:y].decode() for x, y in zip(cuts, cuts[1:])]


def rotated_half(text: str) -> str:
    """Same as rotated_half in bench_encode's common module: `text` from the
    first newline at or past its middle on, then its start (the second
    thread's copy in a ceiling measure, so that the threads are never at the
    same place in the same text)."""
    b = text.encode()
    p = b.find(b"\n", len(b) // 2)
    cut = 0 if p < 0 else p + 1
    return (b[cut:] + b[:cut]).decode()


def inputs(quick: bool):
    out = {"tinyshakespeare": (DATA / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")}
    if not quick:
        docs = []
        with open(DATA / "ir" / "scifact" / "corpus.jsonl", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                t, x = d.get("title") or "", d.get("text") or ""
                docs.append(f"{t}\n{x}" if t else x)
        out["scifact"] = "\n\n".join(docs)
    n = 1_000_000
    out["a x 1MB"] = "a" * n
    out["space x 1MB"] = " " * n
    rng = random.Random(0)
    out["random a-z 1MB"] = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))
    out["CJK x 1MB"] = "\u4e2d" * (n // 3)  # 中, 3 bytes in UTF-8
    out["base64 1MB"] = base64.b64encode(rng.randbytes(n * 3 // 4)).decode()
    return out


def build_towel():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "towel-tokenizer",
                    "--example", "bench_encode"], cwd=ROOT, check=True)
    return ROOT / "target" / "release" / "examples" / "bench_encode"


WARM = os.environ.get("BENCH_WARM", "1") == "1"


def warmed(fn):
    """`fn` run once untimed, then once timed: (result, wall, cpu)."""
    def run():
        fn()
        c, t = time.process_time(), time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t, time.process_time() - c
    run.times_itself = True
    return run


class TowelServer:
    """bench_encode on one file, kept running (`serve`): `result` is its JSON
    line, and `encode()` has it encode the file once more on one thread,
    timed in that process, so that Python tiktoken can be timed in rotation
    with towel although they run in two processes (each waits on the pipe
    while the other runs)."""

    def __init__(self, exe, enc, path, runs):
        env = dict(os.environ, TOWEL_DATA_DIR=str(DATA))
        self.p = subprocess.Popen([str(exe), enc, str(path), str(runs), "serve"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env)
        line = self.p.stdout.readline()
        if not line:
            raise SystemExit(f"bench_encode failed on {enc} {path} (exit status {self.p.wait()}, message above)")
        self.result = json.loads(line)

    def encode(self):
        """(number of ids, wall seconds, CPU seconds) of one encode, after an
        untimed one when WARM."""
        self.p.stdin.write("warm\n" if WARM else "encode\n")
        self.p.stdin.flush()
        answer = self.p.stdout.readline().split()
        if len(answer) != 3:
            raise SystemExit(f"bench_encode serve stopped answering (exit status {self.p.wait()}, message above)")
        wall, cpu, n = answer
        return int(n), float(wall), float(cpu)

    encode.times_itself = True

    def close(self):
        self.p.stdin.close()
        if self.p.wait() != 0:
            raise SystemExit(f"bench_encode serve exited with status {self.p.returncode}")


def mbps(nbytes, s):
    return nbytes / 1e6 / s if s else float("nan")


def fmt(x):
    return "–" if x is None else f"{x:.1f}"


def md_header(cols):
    """Print a Markdown table's header row and its separator."""
    print("| " + " | ".join(cols) + " |")
    print("|" + " --- |" * len(cols))


def ratio(peer_s, towel_s):
    return "–" if peer_s is None else f"{peer_s / towel_s:.2f}x"


def print_tables(rows):
    print("\n" + conditions(['tiktoken', 'tokenizers'], 'library level: towel, tiktoken-rs and bpe-openai from one Rust process, tiktoken and HF tokenizers from Python, same inputs'))
    print("\n### Single thread, encode_ordinary (MB/s; ratio = peer time / towel time)\n")
    print("Each ratio compares times from the same rounds: tiktoken-rs and bpe-openai are timed in rotation "
          "with towel in one Rust process, and tiktoken (Python) in rotation with the same Rust process's "
          "towel, which encodes on request and reports its own time (each side waits on the pipe while the "
          "other runs, and runs once untimed before its timed run). HF tokenizers is timed alone, right "
          "after. towel's column is from its rotation with tiktoken-rs.\n")
    print("| encoding | input | MB | towel | tiktoken (py) | ratio | tiktoken-rs | ratio | bpe-openai | ratio | HF tokenizers | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        t = r["towel"]
        ts = t["towel"]["seconds"]
        nb = r["bytes"]
        cells = [r["encoding"], r["input"], f"{nb / 1e6:.2f}", fmt(mbps(nb, ts))]
        tk = r["tiktoken"]
        if "seconds" in tk:
            cells += [fmt(mbps(nb, tk["seconds"])), ratio(tk["seconds"], tk.get("towel_seconds_same_rounds", ts))]
        else:
            cells += ["panics", "–"]
        for peer in (t.get("tiktoken_rs"), t.get("bpe_openai"), r.get("hf")):
            if peer and "seconds" in peer:
                mark = "" if peer.get("ids_equal_tiktoken") in (True, None) else " (ids differ)"
                # bpe-openai was timed in rotation with towel: its ratio is to towel's time in those rounds.
                cells += [fmt(mbps(nb, peer["seconds"])) + mark,
                          ratio(peer["seconds"], peer.get("towel_seconds_same_rounds", ts))]
            elif peer and "error" in peer:
                cells += ["panics", "–"]
            else:
                cells += ["–", "–"]
        print("| " + " | ".join(cells) + " |")

    print("\n### encode_ordinary_batch on 64 chunks (MB/s; 1 and 2 threads)\n")
    md_header(BATCH_COLUMNS + ["ceiling: 2 independent encodes / 1"])
    for r in rows:
        if "tiktoken_batch64_1" not in r:
            continue
        t, nb = r["towel"]["towel"], r["bytes"]
        b1, b2 = t["batch64_1thread_seconds"], t["batch64_2threads_seconds"]
        p1, p2 = r["tiktoken_batch64_1"], r["tiktoken_batch64_2"]
        c1, c2 = t.get("batch64_1thread_cpu_seconds"), t.get("batch64_2threads_cpu_seconds")
        cpu = f"{c2 / c1:.2f}" if c1 and c2 else "–"
        alone, together = t.get("two_cores_alone_seconds"), t.get("two_cores_together_seconds")
        ceiling = f"{2 * alone / together:.2f}x" if alone and together else "–"
        print(f"| {r['encoding']} | {r['input']} | {fmt(mbps(nb, b1))} | {fmt(mbps(nb, p1))} | {ratio(p1, b1)} "
              f"| {fmt(mbps(nb, b2))} | {fmt(mbps(nb, p2))} | {ratio(p2, b2)} | {b1 / b2:.2f}x | {cpu} | {ceiling} |")
    print("\nThe last column is timed in the same rotation as towel's batches: the whole text encoded on one "
          "thread, then on each of two threads at once (the second from the middle of the text on), 2 x the "
          "first time / the second; what the two cores give this work at that moment with no coordination "
          "between the threads.")



def print_breakdown(rows):
    print("\n### Where towel's single-thread time goes (ms)\n")
    print("| encoding | input | encode_ordinary | pre-tokenization alone | BPE merge alone (pre-split pieces) |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        t = r["towel"]["towel"]
        if "pretok_seconds" in t:
            print(f"| {r['encoding']} | {r['input']} | {t['seconds'] * 1e3:.0f} | {t['pretok_seconds'] * 1e3:.0f} "
                  f"| {t['bpe_only_seconds'] * 1e3:.0f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="tinyshakespeare and pathological inputs only")
    ap.add_argument("--encodings", nargs="+", choices=ENCODINGS, help="only these encodings")
    ap.add_argument("--inputs", nargs="+", metavar="NAME",
                    help="only these inputs (tinyshakespeare, scifact, 'a x 1MB', 'space x 1MB', "
                         "'random a-z 1MB', 'CJK x 1MB', 'base64 1MB')")
    ap.add_argument("--render", metavar="JSON", help="only print the tables of an earlier results file")
    args = ap.parse_args()
    if args.render:
        rows = json.loads(Path(args.render).read_text())["rows"]
        print_tables(rows)
        print_breakdown(rows)
        encode_goals.print_goals(encode_goals.rust_goals(rows), python=False)
        return
    import tiktoken
    import tokenizers
    from tokenizers import Tokenizer, decoders, pre_tokenizers
    from tokenizers.models import BPE

    exe = build_towel()
    hf = Tokenizer(BPE.from_file(str(DATA / "vocab/gpt2/encoder.json"), str(DATA / "vocab/gpt2/vocab.bpe")))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()

    rows = []
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="towel-bench-"))
    atexit.register(shutil.rmtree, tmp, True)  # the inputs, 11 MB
    texts = inputs(args.quick)
    if args.inputs:
        texts = {k: v for k, v in texts.items() if k in args.inputs}
    partial = bool(args.quick or args.encodings or args.inputs)
    for enc_name in args.encodings or ENCODINGS:
        enc = gen_tiktoken.build(enc_name, DATA / "vocab")
        for in_name, text in texts.items():
            path = tmp / (in_name.replace(" ", "_") + ".txt")
            path.write_text(text, encoding="utf-8")
            nbytes = len(text.encode())
            pathological = in_name not in ("tinyshakespeare", "scifact")
            runs = 3 if pathological else args.runs
            server = TowelServer(exe, enc_name, path, runs)
            t = server.result
            row = {"encoding": enc_name, "input": in_name, "bytes": nbytes, "towel": t}
            try:
                tk_fn = lambda: enc.encode_ordinary(text)  # noqa: E731
                (tk, ours), rounds = rotated_times([warmed(tk_fn) if WARM else tk_fn, server.encode], runs)
                ids = tk["out"]
                row["tiktoken"] = {"seconds": tk["wall"], "towel_seconds_same_rounds": ours["wall"],
                                   "rounds": rounds, "n_tokens": len(ids), "sha256": sha_ids(ids)}
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as e:  # tiktoken panics on o200k + 1 MB of spaces
                row["tiktoken"] = {"error": f"{type(e).__name__}: {str(e)[:200]}"}
            server.close()
            if "seconds" in row["tiktoken"] and ours["out"] != t["towel"]["n_tokens"]:
                raise SystemExit(f"bench_encode serve gave {ours['out']} ids, not {t['towel']['n_tokens']}")
            if not pathological:
                chunks = chunks64(text)
                (p1, p2), _ = rotated_times([lambda: enc.encode_ordinary_batch(chunks, num_threads=1),
                                             lambda: enc.encode_ordinary_batch(chunks, num_threads=2)], runs)
                row["tiktoken_batch64_1"], row["tiktoken_batch64_2"] = p1["wall"], p2["wall"]
            if enc_name == "gpt2":
                s, ids = median_time(lambda: hf.encode(text, add_special_tokens=False).ids, runs)
                row["hf"] = {"seconds": s, "n_tokens": len(ids), "sha256": sha_ids(ids)}
            ref = row["tiktoken"].get("sha256")
            for impl in ("towel", "tiktoken_rs", "bpe_openai", "hf"):
                r = row.get(impl) or t.get(impl)
                if r and "sha256" in r:
                    r["ids_equal_tiktoken"] = None if ref is None else r["sha256"] == ref
            if ref is not None and t["towel"]["sha256"] != ref:
                raise SystemExit(f"towel ids differ from tiktoken: {enc_name} {in_name}")
            rows.append(row)
            print(f"done {enc_name} {in_name}", file=sys.stderr)

    print_tables(rows)
    print_breakdown(rows)
    goals = encode_goals.rust_goals(rows)
    encode_goals.print_goals(goals, python=False)
    load_after = os.getloadavg()

    res_dir = ROOT / "bench" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    out = {"tiktoken": tiktoken.__version__, "tokenizers": tokenizers.__version__,
           "python": sys.version.split()[0], "runs": args.runs, "min_secs": MIN_SECS,
           "loadavg_before": load_before, "loadavg_after": load_after, "rows": rows}
    name = "tokenizer_encode.quick.local.json" if partial else "tokenizer_encode.json"
    (res_dir / name).write_text(json.dumps(out, indent=1) + "\n")
    if not partial:
        encode_goals.record("tokenizer_encode.py", goals, load_before, load_after)
        print("appended its goals to bench/results/encode_goals.jsonl", file=sys.stderr)
    print(f"\nwrote bench/results/{name}", file=sys.stderr)


if __name__ == "__main__":
    main()
