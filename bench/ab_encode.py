#!/usr/bin/env python3
"""Wall-clock A/B of two builds of towel's encoder on a shared, noisy machine.

    python3 bench/ab_encode.py ENCODING FILE BINARY_A BINARY_B [--pairs 30] [--runs 3]

Both binaries are builds of crates/tokenizer/examples/prof_encode (copy
target/release/examples/prof_encode aside before rebuilding). The two are run
alternately, A B, B A, A B, ... (`--pairs` processes of each), each process
timing `--runs` warm encodes of FILE; the figure per process is its on-CPU
speed (the thread's CPU clock, which waiting for a core on a loaded
machine does not inflate; `--wall` for the best wall-clock run instead).
Until December 2026 that figure came from the thread's schedstat, which a
running thread sees move only at the scheduler's tick (4 ms here): a few
runs of a 7 ms encode were measured in steps of about 13%, and on-CPU
comparisons made with this script before then were that coarse. Prints
the median speed of each build and the median and quartiles of the per-pair
ratio B/A, with the load average: the load-dependent complement of
bench/profile_encode.sh, for changes (such as prefetching) whose effect the
cache simulation does not model.
"""

import argparse
import os
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("encoding")
    ap.add_argument("file")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--pairs", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--wall", action="store_true", help="best wall-clock run instead of on-CPU time")
    args = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("TOWEL_DATA_DIR", str(ROOT.parent / "shared" / "data"))

    def speed(binary):
        out = subprocess.run([binary, args.encoding, args.file, str(args.runs)], capture_output=True,
                             text=True, env=env, check=True).stdout
        # "N tokens, X MB/s[, on-CPU Y MB/s]"
        fields = out.strip().split(",")
        field = fields[1] if args.wall or len(fields) < 3 else fields[2]
        return float(field.split()[-2])

    sa, sb, ratios = [], [], []
    for i in range(args.pairs):
        if i % 2 == 0:
            x = speed(args.a)
            y = speed(args.b)
        else:
            y = speed(args.b)
            x = speed(args.a)
        sa.append(x)
        sb.append(y)
        ratios.append(y / x)
    q = statistics.quantiles(ratios, n=4)
    load = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    kind = "wall-clock" if args.wall else "on-CPU"
    print(f"{args.encoding} {Path(args.file).name} ({kind}): A {statistics.median(sa):.1f} MB/s, "
          f"B {statistics.median(sb):.1f} MB/s, B/A median {statistics.median(ratios):.3f} "
          f"(quartiles {q[0]:.3f} to {q[2]:.3f}), {args.pairs} pairs, load average {load}")


if __name__ == "__main__":
    main()
