#!/usr/bin/env python3
"""towel-autograd vs PyTorch (CPU) and the micrograd package, in one run.

* tensor kernels on one thread (torch.set_num_threads(1); towel's GEMM is
  single-threaded): square matmul 256/512/1024, batched matmul
  16x128x128, elementwise add/mul/broadcast add/exp/tanh/sigmoid/gelu and
  row softmax/log_softmax on
  1M elements, no autograd (torch.no_grad / towel no_grad);
* the scalar engine: forward + backward of micrograd's demo loss
  (MLP(2, [16, 16, 1]), SVM loss + L2 on 100 two-moons points, 65k nodes)
  against micrograd 0.1.0, with the same network and loss.

Times are medians of RUNS timed runs after a warm-up. The ratio is
peer time / towel time (above 1: towel is faster).

    ~/.peers-venv/bin/python bench/autograd.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import conditions, record  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def median_secs(runs, f):
    f()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def towel(example, runs):
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "towel-autograd", "--examples"], cwd=ROOT, check=True)
    out = subprocess.run([str(ROOT / "target" / "release" / "examples" / example), str(runs)],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def torch_side(runs):
    import torch
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    r = lambda *s: torch.rand(*s, generator=g) * 2 - 1
    res = {}
    with torch.no_grad():
        for n in [256, 512, 1024]:
            a, b = r(n, n), r(n, n)
            res[f"matmul {n}"] = median_secs(runs, lambda: a @ b)
        a, b = r(16, 128, 128), r(16, 128, 128)
        res["bmm 16x128x128"] = median_secs(runs, lambda: a @ b)
        x, y, row = r(1000, 1000), r(1000, 1000), r(1000)
        res["add 1M"] = median_secs(runs, lambda: x + y)
        res["mul 1M"] = median_secs(runs, lambda: x * y)
        res["add broadcast 1M"] = median_secs(runs, lambda: x + row)
        res["exp 1M"] = median_secs(runs, lambda: torch.exp(x))
        res["tanh 1M"] = median_secs(runs, lambda: torch.tanh(x))
        res["sigmoid 1M"] = median_secs(runs, lambda: torch.sigmoid(x))
        res["gelu 1M"] = median_secs(runs, lambda: torch.nn.functional.gelu(x))
        res["softmax 1000x1000"] = median_secs(runs, lambda: torch.softmax(x, dim=-1))
        res["log_softmax 1000x1000"] = median_secs(runs, lambda: torch.log_softmax(x, dim=-1))
    return res, torch.__version__


def micrograd_side(runs):
    from micrograd.engine import Value
    from micrograd.nn import MLP
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    pts = [(random.uniform(-1, 2), random.uniform(-1, 1)) for _ in range(100)]
    ys = [1 if random.random() < 0.5 else -1 for _ in range(100)]

    def step():
        scores = [model(list(map(Value, p))) for p in pts]
        losses = [(1 + -yi * s).relu() for yi, s in zip(ys, scores)]
        loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        loss.backward()

    return median_secs(max(3, runs // 3), step)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    t_tensor = towel("bench_tensor", args.runs)
    t_scalar = towel("bench_scalar", args.runs)
    torch_res, torch_version = torch_side(args.runs)
    mg = micrograd_side(args.runs)
    rows = []
    print(conditions(["torch", "micrograd"], "library level: towel's tensor ops from one Rust process, torch ops and micrograd from Python, same shapes, one thread"))
    print(f"\nPyTorch {torch_version} CPU, 1 thread; micrograd 0.1.0; median of {args.runs} runs\n")
    print("| case | towel ms | peer | peer ms | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for case, secs in t_tensor.items():
        p = torch_res[case]
        rows.append({"case": case, "towel_s": secs, "peer": "pytorch", "peer_s": p})
        print(f"| {case} | {secs * 1e3:.3f} | PyTorch | {p * 1e3:.3f} | {p / secs:.2f}x |")
    tape = t_scalar["tape_s"]
    rows.append({"case": "MLP fwd+bwd (scalar)", "towel_s": tape, "peer": "micrograd", "peer_s": mg,
                 "rc_translation_s": t_scalar["rc_s"], "nodes": t_scalar["nodes"]})
    print(f"| MLP(2,[16,16,1]) fwd+bwd, 100 points | {tape * 1e3:.3f} | micrograd | {mg * 1e3:.1f} | {mg / tape:.0f}x |")
    print(f"| same, Rc translation of micrograd in Rust | {t_scalar['rc_s'] * 1e3:.3f} | (flat tape vs Rc) | | {t_scalar['rc_s'] / tape:.2f}x |")
    out = ROOT / "bench" / "results" / "autograd.json"
    out.write_text(json.dumps({"torch": torch_version, "runs": args.runs,
                               "conditions": record(["torch", "micrograd"]), "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
