"""towel IR evaluation vs pytrec_eval, side by side, on SciFact runs.

    ~/.peers-venv/bin/python bench/retrieval_eval.py [--repeats N]

Builds a bm25s run (lucene, k1=1.2, b=0.75, English stopwords, no stemming)
for all 300 SciFact test queries at depth 100 and 1000, writes each as a TREC
run file, then times, on the same machine in this one run:

- towel: `towel_retrieval::eval::evaluate` (nDCG@10, Recall@100, MAP, MRR@10)
  in `crates/retrieval/examples/bench_eval.rs` (median of N after a warm-up;
  loading files is not timed);
- pytrec_eval (trec_eval in C): `RelevanceEvaluator(qrels, measures)` then
  `.evaluate(run)` with `ndcg_cut.10, recall.100, map, recip_rank`; timed both
  as evaluate alone and as construct + evaluate (median of N after a warm-up).

Per-query values must agree to 1e-9 (MRR@10 = recip_rank when the first
relevant doc is within rank 10) or the script fails instead of reporting speed.
Writes bench/results/retrieval_eval.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import conditions, record  # noqa: E402

import pytrec_eval

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TOWEL_DATA_DIR") or REPO.parent / "shared" / "data")
os.environ["TOWEL_DATA_DIR"] = str(DATA)
sys.path.insert(0, str(REPO / "crates" / "retrieval" / "tests" / "fixtures"))
from common_ref import read_beir  # noqa: E402  (the BEIR loader the fixtures use)
MEASURES = {"ndcg_cut.10", "recall.100", "map", "recip_rank"}
TOL = 1e-9


def bm25s_runs(docs, queries, qids, depths):
    import bm25s

    doc_ids = [d for d, _ in docs]
    ret = bm25s.BM25(method="lucene", k1=1.2, b=0.75, backend="numpy")
    ret.index(bm25s.tokenize([t for _, t in docs], stopwords="en", show_progress=False),
              show_progress=False)
    qtok = bm25s.tokenize([queries[q] for q in qids], stopwords="en", show_progress=False,
                          return_ids=False)
    runs = {}
    for k in depths:
        idx, scores = ret.retrieve(qtok, k=k, show_progress=False, n_threads=0,
                                   backend_selection="numpy")
        runs[k] = {q: {doc_ids[int(j)]: float(s) for j, s in zip(idx[i], scores[i])}
                   for i, q in enumerate(qids)}
    return runs


def write_run(path: Path, run: dict):
    with open(path, "w", encoding="utf-8") as f:
        for q, docs in run.items():
            for rank, (d, s) in enumerate(docs.items(), 1):
                f.write(f"{q} Q0 {d} {rank} {s!r} bm25s\n")


def time_median(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), res


def per_query_pytrec(res):
    out = {}
    for q, v in res.items():
        rr = v["recip_rank"]
        out[q] = [v["ndcg_cut_10"], v["recall_100"], v["map"],
                  rr if rr > 0 and round(1 / rr) <= 10 else 0.0]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()

    print("building towel (release)...", file=sys.stderr, flush=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "towel-retrieval",
                    "--example", "bench_eval"], cwd=REPO, check=True)
    exe = REPO / "target" / "release" / "examples" / "bench_eval"

    docs, queries, qrels = read_beir("scifact")
    qrels_path = DATA / "ir" / "scifact" / "qrels" / "test.tsv"
    qids = list(qrels)
    runs = bm25s_runs(docs, queries, qids, (100, 1000))

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for depth, run in runs.items():
            run_path = Path(tmp) / f"scifact_top{depth}.run"
            write_run(run_path, run)
            out = subprocess.run([str(exe), str(qrels_path), str(run_path), str(args.repeats)],
                                 capture_output=True, text=True, check=True)
            towel = json.loads(out.stdout)

            def construct_and_evaluate():
                return pytrec_eval.RelevanceEvaluator(qrels, MEASURES).evaluate(run)

            ev = pytrec_eval.RelevanceEvaluator(qrels, MEASURES)
            py_eval_s, res = time_median(lambda: ev.evaluate(run), args.repeats)
            py_full_s, _ = time_median(construct_and_evaluate, args.repeats)

            py = per_query_pytrec(res)
            assert set(py) == set(towel["per_query"]), "different query sets"
            worst = 0.0
            for q, vals in py.items():
                for a, b in zip(vals, towel["per_query"][q]):
                    worst = max(worst, abs(a - b))
            if worst > TOL:
                sys.exit(f"MISMATCH at depth {depth}: max per-query difference {worst}")
            py_mean = [sum(v[i] for v in py.values()) / len(py) for i in range(4)]
            rows.append({
                "run": f"SciFact bm25s top-{depth}",
                "queries": towel["queries"],
                "run_docs": towel["run_docs"],
                "towel_evaluate_s": towel["evaluate_s"],
                "towel_load_s": towel["load_s"],
                "pytrec_eval_evaluate_s": py_eval_s,
                "pytrec_eval_construct_evaluate_s": py_full_s,
                "ratio_evaluate": py_eval_s / towel["evaluate_s"],
                "ratio_construct_evaluate": py_full_s / towel["evaluate_s"],
                "max_abs_diff": worst,
                "mean": dict(zip(["ndcg@10", "recall@100", "map", "mrr@10"], py_mean)),
            })

    print("\n" + conditions(['pytrec_eval-terrier', 'bm25s'], 'library level: towel_retrieval::eval::evaluate (the bench_eval example) and pytrec_eval on the same run files, loading not timed'))
    print(f"\nIR evaluation (nDCG@10, R@100, MAP, MRR@10), SciFact test queries, "
          f"median of {args.repeats} after a warm-up, single thread\n")
    print("| run | queries x docs | towel evaluate | pytrec_eval evaluate | ratio | "
          "pytrec_eval construct+evaluate | ratio | max per-query diff |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['run']} | {r['queries']} x {r['run_docs'] // r['queries']} | "
              f"{r['towel_evaluate_s'] * 1e3:.2f} ms | {r['pytrec_eval_evaluate_s'] * 1e3:.2f} ms | "
              f"{r['ratio_evaluate']:.1f}x | {r['pytrec_eval_construct_evaluate_s'] * 1e3:.2f} ms | "
              f"{r['ratio_construct_evaluate']:.1f}x | {r['max_abs_diff']:.1e} |")
    print("\nratio = pytrec_eval time / towel time (above 1: towel is faster)")
    for r in rows:
        m = r["mean"]
        print(f"{r['run']}: nDCG@10 {m['ndcg@10']:.4f}  R@100 {m['recall@100']:.4f}  "
              f"MAP {m['map']:.4f}  MRR@10 {m['mrr@10']:.4f}")

    import importlib.metadata as md
    result = {
        "name": "retrieval_eval",
        "versions": {p: md.version(p) for p in ("pytrec_eval-terrier", "bm25s")},
        "repeats": args.repeats,
        "rows": rows,
    }
    res_dir = REPO / "bench" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    tmp_out = res_dir / ".retrieval_eval.json.tmp"
    result["conditions"] = record(['pytrec_eval-terrier', 'bm25s'])
    tmp_out.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(tmp_out, res_dir / "retrieval_eval.json")


if __name__ == "__main__":
    main()
