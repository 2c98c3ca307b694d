#!/usr/bin/env python3
"""towel-vectors vs faiss IndexFlatIP and numpy: exact top-10, in one run.

Data as in the peers' reference script (/work/shared/peers/vectors_faiss.py):
100,000 database vectors and 1,000 queries, d=384, float32 standard normal
(numpy default_rng seeds 0 and 1), rows L2-normalised, so inner product is
cosine. Each side searches all 1,000 queries as one batch, k=10, on 1 and on
2 threads:
  * towel: `cargo run --release -p towel-vectors --example bench_search`
    (FlatIndex, inner product; one JSON line of its own timings, so process
    start-up and file loading are not counted), run before and after the
    peers; its figure is the mean of the two medians (the machine is shared);
  * faiss-cpu 1.15.1 IndexFlatIP.search, omp_set_num_threads(threads);
  * numpy: S = X @ Q.T, argpartition over the database axis, sort the 10
    (BLAS limited to `threads` with threadpoolctl).
Each figure is the median of --repeats timed runs after one warm-up.
Outputs are compared first: towel's ids must equal faiss's, in order, for
every query, except where two vectors' float32 scores are within rounding
of each other (towel's GEMM and faiss's BLAS add the 384 products in
different orders, so such a near-tie can come out either way): there the
two lists must hold the same float64 scores, position by position, within
TIE_TOL (the script fails otherwise, and reports such queries and which side
has the exact float64 order). numpy's overlap with faiss is shown.
GFLOP/s counts the 2·N·d·nq multiply-adds of the scores; the single-core
reference is numpy's float32 GEMM on 4096×4096 on one thread.

Usage:  ~/.peers-venv/bin/python bench/vectors_search.py [--repeats 5] [--no-build]
Writes bench/results/vectors_search.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import conditions, record  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
N, D, NQ, K = 100_000, 384, 1_000, 10
FLOP = 2.0 * N * D * NQ
# Worst-case rounding error of a float32 dot product of two unit vectors in
# D dimensions, D * 2^-24 (Higham's gamma_D): two scores closer than this
# may be ordered either way by two correct float32 implementations.
TIE_TOL = D * 2.0 ** -24


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def timeit(fn, repeats):
    out = fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), out


def make_data():
    X = np.random.default_rng(0).standard_normal((N, D), dtype=np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Q = np.random.default_rng(1).standard_normal((NQ, D), dtype=np.float32)
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    return np.ascontiguousarray(X), np.ascontiguousarray(Q)


def numpy_topk(X, Q, k):
    S = X @ Q.T
    part = np.argpartition(-S, k - 1, axis=0)[:k]
    ps = np.take_along_axis(S, part, axis=0)
    order = np.argsort(-ps, axis=0, kind="stable")
    return np.take_along_axis(part, order, axis=0).T


def compare(towel_ids, faiss_ids, X, Q):
    """Queries whose ids differ, each checked to differ only by near-ties."""
    out = []
    for q in np.where(np.any(towel_ids != faiss_ids, axis=1))[0]:
        qv = Q[q].astype(np.float64)
        ts = X[towel_ids[q]].astype(np.float64) @ qv
        fs = X[faiss_ids[q]].astype(np.float64) @ qv
        gap = float(np.max(np.abs(ts - fs)))
        if gap > TIE_TOL:
            sys.exit(f"towel's ids differ from faiss's on query {q} by more than a near-tie: "
                     f"towel {towel_ids[q].tolist()} {ts.tolist()}, faiss {faiss_ids[q].tolist()} {fs.tolist()}")
        exact = "towel" if np.all(np.diff(ts) <= 0) else "faiss" if np.all(np.diff(fs) <= 0) else "neither"
        out.append({"query": int(q), "max_float64_gap": gap, "exact_order": exact})
    return out


def towel(binary, xp, qp, threads, repeats, tmp):
    ids_path = Path(tmp) / f"towel_ids_{threads}.npy"
    out = subprocess.run([str(binary), str(xp), str(qp), str(K), str(threads), str(repeats), str(ids_path)],
                         check=True, capture_output=True, text=True).stdout
    res = json.loads(out.strip().splitlines()[-1])
    return res["median_s"], np.load(ids_path).astype(np.int64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()

    import faiss
    from threadpoolctl import threadpool_limits

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "towel-vectors", "--example", "bench_search"],
                       cwd=ROOT, check=True)
    binary = ROOT / "target" / "release" / "examples" / "bench_search"

    X, Q = make_data()
    with threadpool_limits(limits=1, user_api="blas"):
        A = np.random.default_rng(2).standard_normal((4096, 4096), dtype=np.float32)
        peak_s, _ = timeit(lambda: A @ A, 3)
    peak = 2.0 * 4096 ** 3 / peak_s / 1e9
    index = faiss.IndexFlatIP(D)
    index.add(X)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        xp, qp = Path(tmp) / "x.npy", Path(tmp) / "q.npy"
        np.save(xp, X)
        np.save(qp, Q)
        for th in (1, 2):
            t_before, towel_ids = towel(binary, xp, qp, th, args.repeats, tmp)
            log(f"towel {th} thread(s): {t_before:.3f} s")
            faiss.omp_set_num_threads(th)
            with threadpool_limits(limits=th):
                t_faiss, (_, faiss_ids) = timeit(lambda: index.search(Q, K), args.repeats)
            log(f"faiss {th} thread(s): {t_faiss:.3f} s")
            with threadpool_limits(limits=th, user_api="blas"):
                t_numpy, numpy_ids = timeit(lambda: numpy_topk(X, Q, K), args.repeats)
            log(f"numpy {th} thread(s): {t_numpy:.3f} s")
            t_after, towel_ids2 = towel(binary, xp, qp, th, args.repeats, tmp)
            log(f"towel {th} thread(s), again: {t_after:.3f} s")
            ties = compare(towel_ids, faiss_ids, X, Q)
            ties2 = compare(towel_ids2, faiss_ids, X, Q)
            if ties != ties2:
                sys.exit(f"towel's ids changed between two runs ({th} threads)")
            for t in ties:
                log(f"query {t['query']}: a near-tie ordered differently (float64 gap {t['max_float64_gap']:.1e}; "
                    f"exact order: {t['exact_order']})")
            overlap = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(numpy_ids, faiss_ids)]))
            t_towel = (t_before + t_after) / 2
            rows.append({"threads": th, "towel_s": round(t_towel, 4), "towel_runs_s": [round(t_before, 4), round(t_after, 4)],
                         "faiss_s": round(t_faiss, 4), "numpy_s": round(t_numpy, 4),
                         "towel_gflops": round(FLOP / t_towel / 1e9, 1), "faiss_gflops": round(FLOP / t_faiss / 1e9, 1),
                         "faiss_over_towel": round(t_faiss / t_towel, 2), "numpy_over_towel": round(t_numpy / t_towel, 2),
                         "queries_with_ids_equal_to_faiss": NQ - len(ties), "near_ties": ties, "numpy_top10_overlap_with_faiss": round(overlap, 4)})

    result = {"name": "vectors_search", "settings": {"N": N, "d": D, "n_queries": NQ, "k": K,
              "data": "standard normal, seeds 0 (db) / 1 (queries), L2-normalised rows",
              "timing": f"median of {args.repeats} after 1 warm-up; towel = mean of a run before and after the peers"},
              "machine": {"platform": platform.platform(), "cpu_count": __import__("os").cpu_count(),
                          "numpy_sgemm_4096_1thread_gflops": round(peak, 1)},
              "versions": {"faiss-cpu": faiss.__version__, "numpy": np.__version__},
              "results": rows}
    RESULTS.mkdir(exist_ok=True)
    result["conditions"] = record(["faiss-cpu", "numpy"])
    (RESULTS / "vectors_search.json").write_text(json.dumps(result, indent=2) + "\n")
    print(conditions(["faiss-cpu", "numpy"], "library level: towel_vectors::FlatIndex (the bench_search example) "
                     "and faiss / numpy from Python on the same .npy files") + "\n")
    print(f"Exact top-{K} of {NQ:,} queries over {N:,} normalized {D}-d vectors (one batch); "
          f"single-core float32 GEMM reference (numpy, 4096²): {peak:.1f} GFLOP/s\n")
    print("| threads | towel s | towel GFLOP/s | faiss IndexFlatIP s | faiss / towel | numpy s | numpy / towel | queries with ids = faiss |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['threads']} | {r['towel_s']:.3f} | {r['towel_gflops']} | {r['faiss_s']:.3f} | {r['faiss_over_towel']:.2f}x "
              f"| {r['numpy_s']:.3f} | {r['numpy_over_towel']:.2f}x "
              f"| {r['queries_with_ids_equal_to_faiss']} of {NQ} |")
    for r in rows:
        for t in r["near_ties"]:
            print(f"\n{r['threads']} thread(s), query {t['query']}: two vectors whose float32 scores are within "
                  f"rounding (float64 gap {t['max_float64_gap']:.1e} < {TIE_TOL:.1e}) come out in the other order; "
                  f"exact float64 order: {t['exact_order']}'s.")


if __name__ == "__main__":
    main()
