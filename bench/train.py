#!/usr/bin/env python3
"""towel-train vs PyTorch (CPU), the two trainings of issue #13, in one run.

Both sides use one thread (torch.set_num_threads(1); towel trains on one
thread) and the same settings (those of /work/shared/peers/train_torch.py):

(a) digits MLP 64-128-10 (ReLU) on the 8x8 digits, X/16, scikit-learn's
    stratified 80/20 split (random_state=0), batch 64, AdamW(lr=1e-3,
    weight_decay=0.01), cross-entropy, clip_grad_norm_(1.0), 20 epochs;
(b) character MLP language model on tiny shakespeare: vocabulary = sorted
    distinct characters, first 90% train / last 10% validation, context 8,
    Embedding(V, 24) -> flatten -> Linear(192, 256) -> tanh -> Linear(256, V),
    batches of 128 random windows, AdamW(lr=1e-3), clip 1.0, 2,000 steps;
    validation loss = mean cross-entropy over every validation window.

A step is timed from building the batch to the end of the optimizer update
(the same span on both sides); the figure is the median over all steps. The
ratio is towel's step time / PyTorch's (below 1: towel is faster).
Initializations differ (towel's SplitMix64 vs PyTorch's generator), so the
accuracies and losses are compared, not the parameters.

    ~/.peers-venv/bin/python bench/train.py [--steps 2000] [--epochs 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np

import sys
sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import conditions  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("TOWEL_DATA_DIR", ROOT.parent / "shared" / "data"))
if not DATA.exists():
    DATA = Path("/work/shared/data")


def towel(args):
    exe = ROOT / "target" / "release" / "towel"
    env = dict(os.environ, TOWEL_DATA_DIR=str(DATA), RAYON_NUM_THREADS="1")
    out = subprocess.run([str(exe), *args, "--json"], cwd=ROOT, check=True, capture_output=True,
                         text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def torch_digits(epochs, batch=64):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    Xtr, Xte = torch.from_numpy(Xtr), torch.from_numpy(Xte)
    ytr, yte = torch.from_numpy(ytr).long(), torch.from_numpy(yte).long()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    n = Xtr.shape[0]
    times = []
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, batch):
            t0 = time.perf_counter()
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(Xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            times.append(time.perf_counter() - t0)
    with torch.no_grad():
        acc = (model(Xte).argmax(1) == yte).float().mean().item()
    return {"steps": len(times), "step_ms": 1000 * statistics.median(times), "test_accuracy": acc}


def torch_charlm(steps, batch=128, ctx=8):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    text = (DATA / "text" / "tinyshakespeare.txt").read_text()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n_train = int(0.9 * len(data))
    tr = data[:n_train].unfold(0, ctx + 1, 1)
    va = data[n_train:].unfold(0, ctx + 1, 1)
    V = len(chars)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(V, 24), nn.Flatten(), nn.Linear(ctx * 24, 256), nn.Tanh(),
                          nn.Linear(256, V))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        ix = torch.randint(0, tr.shape[0], (batch,), generator=g)
        w = tr[ix]
        loss = F.cross_entropy(model(w[:, :ctx]), w[:, ctx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        times.append(time.perf_counter() - t0)
    with torch.no_grad():
        tot, cnt = 0.0, 0
        for i in range(0, va.shape[0], 8192):
            w = va[i:i + 8192]
            tot += F.cross_entropy(model(w[:, :ctx]), w[:, ctx], reduction="sum").item()
            cnt += w.shape[0]
    return {"steps": steps, "step_ms": 1000 * statistics.median(times), "val_loss": tot / cnt}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "towel-cli"], cwd=ROOT, check=True)
    load = os.getloadavg()
    t_d = towel(["train", "digits", "--epochs", str(args.epochs)])
    p_d = torch_digits(args.epochs)
    t_c = towel(["train", "charlm", "--data", str(DATA / "text" / "tinyshakespeare.txt"),
                 "--steps", str(args.steps), "--sample", "0"])
    p_c = torch_charlm(args.steps)
    load_after = os.getloadavg()
    rows = [
        {"case": "digits MLP step (64-128-10, batch 64, AdamW)", "towel_ms": t_d["step_ms"],
         "pytorch_ms": p_d["step_ms"], "towel": f"{100 * t_d['test_accuracy']:.1f}% test accuracy",
         "pytorch": f"{100 * p_d['test_accuracy']:.1f}% test accuracy"},
        {"case": f"char LM step (batch 128, {args.steps} steps)", "towel_ms": t_c["step_ms"],
         "pytorch_ms": p_c["step_ms"], "towel": f"val loss {t_c['val_loss']:.4f}",
         "pytorch": f"val loss {p_c['val_loss']:.4f}"},
    ]
    print(f"PyTorch {torch.__version__} CPU, 1 thread; load average {load[0]:.2f} before, "
          f"{load_after[0]:.2f} after; median step\n")
    print("| case | towel ms | PyTorch ms | towel / PyTorch | towel result | PyTorch result |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        r["ratio"] = r["towel_ms"] / r["pytorch_ms"]
        print(f"| {r['case']} | {r['towel_ms']:.3f} | {r['pytorch_ms']:.3f} | {r['ratio']:.2f}x | "
              f"{r['towel']} | {r['pytorch']} |")
    print(f"\nval loss difference (towel - PyTorch): {t_c['val_loss'] - p_c['val_loss']:+.4f}")
    print("\n" + conditions(["torch", "scikit-learn"],
                            "command level for towel (`towel train ... --json`, step time measured in the process), "
                            "PyTorch from Python; one thread each"))
    out = ROOT / "bench" / "results" / "train.json"
    out.write_text(json.dumps({"torch": torch.__version__, "load_avg_before": load, "load_avg_after": load_after,
                               "rows": rows, "towel_digits": t_d, "towel_charlm": t_c,
                               "pytorch_digits": p_d, "pytorch_charlm": p_c}, indent=1) + "\n")


if __name__ == "__main__":
    main()
