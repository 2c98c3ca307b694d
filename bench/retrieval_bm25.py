#!/usr/bin/env python3
"""towel-retrieval vs bm25s, rank_bm25 and scikit-learn on SciFact, in one run.

towel's side is `cargo run --release -p towel-retrieval --example bench_retrieval`
(one JSON line of its own timings; documents already in memory, as here).

Peers, on the same documents (`title + ' ' + text`) and the same 300 test queries:
  * bm25s 0.3.16 (lucene, k1=1.2, b=0.75; bm25s stopwords + PyStemmer), numpy
    backend, and the numba backend when numba is installed:
      - index = bm25s.tokenize(corpus) + BM25.index(), the same work as towel's index;
      - queries/s at top-10 including query tokenization (towel's figure includes
        query analysis too), n_threads=0 (1 thread) and n_threads=2;
  * rank_bm25 BM25Okapi on the same stemmed tokens (index; queries/s, 1 thread);
  * scikit-learn TfidfVectorizer() fit_transform, and queries = transform +
    cosine top-100, 1 thread.
Command level, as users run it: `towel index` then `towel eval -k 100` on the
judged queries (1 and 2 threads; eval's queries/s counts query analysis, scoring
and top-k, one cold pass per process, median over --repeats processes), against
bm25s `tokenize` + `retrieve(k=100)` with each backend.
Each figure is the median of --repeats timed runs after a warm-up (rank_bm25
queries: 1 run). BLAS is pinned to 1 thread for the single-thread rows. towel
runs twice, before and after the BM25 peers, and its figures are the mean of the
two medians (the machine is shared, and its load drifts during a run).

Outputs are compared before any speed is reported: towel's BM25 top-10 must
equal bm25s's (scores within 1e-5; documents equal except inside ties), and
towel's TF-IDF top-10 must equal scikit-learn's (scores within 1e-6).
Quality: nDCG@10 / Recall@100 / MAP / MRR@10 with pytrec_eval for every towel
BM25 variant, TF-IDF and bm25s lucene, on SciFact and Cranfield.

Usage:  ~/.peers-venv/bin/python bench/retrieval_bm25.py [--repeats 5] [--no-build]
Writes bench/results/retrieval_bm25.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import conditions, record  # noqa: E402

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("TOWEL_DATA_DIR", ROOT.parent / "shared" / "data")).resolve()
RESULTS = ROOT / "bench" / "results"
os.environ["TOWEL_DATA_DIR"] = str(DATA)
sys.path.insert(0, str(ROOT / "crates" / "retrieval" / "tests" / "fixtures"))
import common_ref  # noqa: E402  (the BEIR loader the fixtures use)


def load_beir(name):
    """(doc ids, doc texts, query ids, query texts, qrels) of a BEIR collection."""
    docs, queries, qrels = common_ref.read_beir(name)
    qids = list(qrels)
    return [i for i, _ in docs], [t for _, t in docs], qids, [queries[q] for q in qids], qrels


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def timeit(fn, repeats, warmup=1):
    out = None
    for _ in range(warmup):
        out = fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), out


def evaluate(qrels, run):
    """run: {qid: [(docid, score), ...]} -> mean metrics (empty rankings count as 0)."""
    import pytrec_eval

    full = {}
    for q in qrels:
        r = run.get(q) or []
        full[q] = {str(d): float(s) for d, s in r} or {"__none__": 0.0}
    ev = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100", "map", "recip_rank"})
    per = ev.evaluate(full)
    # MRR@10: reciprocal rank of the first relevant doc within the top 10.
    mrr = []
    for q in qrels:
        r = sorted(run.get(q) or [], key=lambda x: -x[1])[:10]
        rr = 0.0
        for i, (d, _) in enumerate(r):
            if qrels[q].get(d, 0) > 0:
                rr = 1.0 / (i + 1)
                break
        mrr.append(rr)
    n = len(per)
    return {
        "ndcg@10": sum(v["ndcg_cut_10"] for v in per.values()) / n,
        "recall@100": sum(v["recall_100"] for v in per.values()) / n,
        "map": sum(v["map"] for v in per.values()) / n,
        "mrr@10": sum(mrr) / n,
    }


def towel_run(beir_dir: Path, repeats: int):
    with tempfile.TemporaryDirectory() as td:
        runs_path = Path(td) / "runs.json"
        cmd = [str(ROOT / "target" / "release" / "examples" / "bench_retrieval"), "--beir", str(beir_dir),
               "--repeats", str(repeats), "--runs-out", str(runs_path)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        timings = json.loads(out.strip().splitlines()[-1])
        runs = json.loads(runs_path.read_text())
    return timings, runs


def bm25s_side(docs, qtexts, repeats, backend):
    import bm25s
    import Stemmer
    from threadpoolctl import threadpool_limits

    stem = Stemmer.Stemmer("english")

    def build():
        toks = bm25s.tokenize(docs, stopwords="en", stemmer=stem, show_progress=False)
        r = bm25s.BM25(method="lucene", k1=1.2, b=0.75, backend=backend)
        r.index(toks, show_progress=False)
        return r

    with threadpool_limits(limits=1):
        index_s, retr = timeit(build, repeats)

        def query(threads, k=10):
            qt = bm25s.tokenize(qtexts, stopwords="en", stemmer=stem, show_progress=False, return_ids=False)
            return retr.retrieve(qt, k=k, show_progress=False, n_threads=threads, backend_selection=backend
                                 if backend == "numba" else "numpy")

        q1, res = timeit(lambda: query(0), repeats)
        q1_100, _ = timeit(lambda: query(0, k=100), repeats)
    q2, _ = timeit(lambda: query(2), repeats)
    q2_100, _ = timeit(lambda: query(2, k=100), repeats)
    n = len(qtexts)
    return {"index_s": index_s, "qps_1t": n / q1, "qps_2t": n / q2,
            "qps_1t_k100": n / q1_100, "qps_2t_k100": n / q2_100}, retr, query


def towel_command(beir_dir: Path, repeats: int, k: int = 100):
    """`towel index` + `towel eval -k K --threads T --json`, as a user runs them:
    queries/s is eval's own figure (one cold pass per process), median of `repeats` processes."""
    exe = ROOT / "target" / "release" / "towel"
    out = {}
    with tempfile.TemporaryDirectory() as td:
        idx = Path(td) / "bm25.idx"
        subprocess.run([str(exe), "index", "--corpus", str(beir_dir), "--out", str(idx)], check=True,
                       capture_output=True)
        for threads in (1, 2):
            qps = []
            for _ in range(repeats):
                r = subprocess.run([str(exe), "eval", str(idx), "--beir", str(beir_dir), "-k", str(k),
                                    "--threads", str(threads), "--json"], check=True, capture_output=True, text=True)
                qps.append(json.loads(r.stdout)["qps"])
            out[f"qps_{threads}t_k{k}"] = statistics.median(qps)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "towel-retrieval", "--example", "bench_retrieval"],
                       cwd=ROOT, check=True)
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "towel-cli"], cwd=ROOT, check=True)

    import bm25s
    import sklearn
    from rank_bm25 import BM25Okapi
    from sklearn.feature_extraction.text import TfidfVectorizer
    from threadpoolctl import threadpool_limits

    try:
        import numba  # noqa: F401
        have_numba = True
    except ImportError:
        have_numba = False

    result = {"name": "retrieval_bm25", "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
              "versions": {"bm25s": bm25s.__version__, "scikit-learn": sklearn.__version__,
                           "numba": __import__("numba").__version__ if have_numba else None},
              "repeats": args.repeats, "speed": {}, "quality": {}}

    # ---------------------------------------------------------------- speed on SciFact
    ids, docs, qids, qtexts, qrels = load_beir("scifact")
    log("towel ...")
    tw, runs = towel_run(DATA / "ir" / "scifact", args.repeats)
    result["speed"]["towel"] = dict(tw)
    log("bm25s numpy ...")
    bs, retr, query = bm25s_side(docs, qtexts, args.repeats, "numpy")
    result["speed"]["bm25s_numpy"] = bs
    if have_numba:
        log("bm25s numba ...")
        bn, _, _ = bm25s_side(docs, qtexts, args.repeats, "numba")
        result["speed"]["bm25s_numba"] = bn

    # outputs: towel lucene top-10 vs bm25s top-10
    res, scores = query(0, k=10)
    mism = 0
    for qi, q in enumerate(qids):
        ours = runs["bm25_lucene"][q][:10]
        theirs = [(ids[int(d)], float(s)) for d, s in zip(res[qi], scores[qi]) if s > 0]
        if len(ours) != len(theirs):
            mism += 1
            continue
        for (od, os_), (td, ts) in zip(ours, theirs):
            if abs(os_ - ts) > 1e-5 or (od != td and abs(os_ - ts) > 0):
                # a different document is only fine inside a tie
                tie = any(abs(os_ - s) == 0 for _, s in theirs)
                if abs(os_ - ts) > 1e-5 or not tie:
                    mism += 1
                    break
    if mism:
        sys.exit(f"towel's BM25 top-10 differs from bm25s's on {mism} queries: not reporting speed")
    result["bm25_outputs_equal"] = True

    # towel again, after the peers: the machine is shared and its load drifts, so
    # towel's figures are the mean of its runs before and after the peers.
    log("towel again ...")
    tw2, _ = towel_run(DATA / "ir" / "scifact", args.repeats)
    for key in ("bm25_index_s", "bm25_qps_1t", "bm25_qps_2t", "tfidf_fit_s", "tfidf_qps_1t", "tfidf_query_s_top100"):
        tw[key] = (tw[key] + tw2[key]) / 2
    result["speed"]["towel_runs"] = [result["speed"]["towel"], tw2]
    # `towel` holds what the table prints: the mean of the two runs.
    result["speed"]["towel"] = dict(tw)
    log("towel index + towel eval (command level) ...")
    result["speed"]["towel_command"] = cmd = towel_command(DATA / "ir" / "scifact", args.repeats)

    # rank_bm25
    import Stemmer

    stem = Stemmer.Stemmer("english")
    ctoks = bm25s.tokenize(docs, stopwords="en", stemmer=stem, show_progress=False, return_ids=False)
    qtoks = bm25s.tokenize(qtexts, stopwords="en", stemmer=stem, show_progress=False, return_ids=False)
    log("rank_bm25 ...")
    with threadpool_limits(limits=1):
        rk_index, okapi = timeit(lambda: BM25Okapi(ctoks, k1=1.2, b=0.75, epsilon=0.25), max(1, args.repeats // 2))

        def okapi_q():
            out = []
            for q in qtoks:
                s = okapi.get_scores(q)
                part = np.argpartition(-s, 9)[:10]
                out.append(part[np.argsort(-s[part], kind="stable")])
            return out

        rk_q, _ = timeit(okapi_q, 1, warmup=0)
    result["speed"]["rank_bm25"] = {"index_s": rk_index, "qps_1t": len(qtexts) / rk_q}

    # scikit-learn TF-IDF
    log("scikit-learn ...")
    with threadpool_limits(limits=1):
        fit_s, D = timeit(lambda: TfidfVectorizer().fit_transform(docs), args.repeats)
        vec = TfidfVectorizer().fit(docs)
        D = vec.transform(docs)
        DT = D.T.tocsr()

        def sk_query():
            Q = vec.transform(qtexts)
            S = (Q @ DT).toarray()
            k = 100
            part = np.argpartition(-S, k - 1, axis=1)[:, :k]
            ps = np.take_along_axis(S, part, axis=1)
            order = np.argsort(-ps, axis=1, kind="stable")
            return np.take_along_axis(part, order, axis=1), np.take_along_axis(ps, order, axis=1)

        sk_q, (idx, sc) = timeit(sk_query, args.repeats)
    result["speed"]["sklearn_tfidf"] = {"fit_transform_s": fit_s, "query_s_top100": sk_q, "qps_1t": len(qtexts) / sk_q}
    bad = 0
    for qi, q in enumerate(qids):
        ours = runs["tfidf"][q][:10]
        theirs = [(ids[int(d)], float(s)) for d, s in zip(idx[qi][:10], sc[qi][:10]) if s > 0]
        for (od, os_), (td, ts) in zip(ours, theirs):
            if abs(os_ - ts) > 1e-6:
                bad += 1
                break
    if bad:
        sys.exit(f"towel's TF-IDF top-10 differs from scikit-learn's on {bad} queries: not reporting speed")
    result["tfidf_outputs_equal"] = True

    # ---------------------------------------------------------------- quality
    for ds in ("scifact", "cranfield"):
        if not (DATA / "ir" / ds).is_dir():
            continue
        ids_d, docs_d, qids_d, qtexts_d, qrels_d = load_beir(ds)
        _, runs_d = (tw, runs) if ds == "scifact" else towel_run(DATA / "ir" / ds, 1)
        q = {}
        for name, run in runs_d.items():
            q[f"towel {name}"] = evaluate(qrels_d, {k: [tuple(x) for x in v] for k, v in run.items()})
        toks = bm25s.tokenize(docs_d, stopwords="en", stemmer=stem, show_progress=False)
        r = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
        r.index(toks, show_progress=False)
        qt = bm25s.tokenize(qtexts_d, stopwords="en", stemmer=stem, show_progress=False, return_ids=False)
        res_d, sc_d = r.retrieve(qt, k=100, show_progress=False, n_threads=0)
        brun = {qq: [(ids_d[int(d)], float(s)) for d, s in zip(res_d[i], sc_d[i])] for i, qq in enumerate(qids_d)}
        q["bm25s lucene"] = evaluate(qrels_d, brun)
        result["quality"][ds] = q

    # ---------------------------------------------------------------- report
    RESULTS.mkdir(parents=True, exist_ok=True)
    result["conditions"] = record(['bm25s', 'numba', 'scikit-learn', 'rank-bm25'])
    (RESULTS / "retrieval_bm25.json").write_text(json.dumps(result, indent=2) + "\n")
    sp = result["speed"]
    rows = [("towel", tw["bm25_index_s"], tw["bm25_qps_1t"], tw["bm25_qps_2t"])]
    rows.append(("bm25s (numpy)", bs["index_s"], bs["qps_1t"], bs["qps_2t"]))
    if "bm25s_numba" in sp:
        b = sp["bm25s_numba"]
        rows.append(("bm25s (numba)", b["index_s"], b["qps_1t"], b["qps_2t"]))
    rows.append(("rank_bm25 BM25Okapi", sp["rank_bm25"]["index_s"], sp["rank_bm25"]["qps_1t"], None))
    print("\n" + conditions(['bm25s', 'numba', 'scikit-learn', 'rank-bm25'], 'library level (the bench_retrieval example; documents in memory), except the `towel eval` section, which is command level'))
    print(f"\n### BM25 on SciFact ({tw['docs']} docs, {tw['queries']} queries, top-10; index = tokenize + index)\n")
    print("| impl | index (s) | towel faster by | queries/s 1 thread | towel faster by | queries/s 2 threads | towel faster by |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, ix, q1, q2 in rows:
        ratio = lambda a, b: f"{a / b:.1f}x" if a and b else "–"  # noqa: E731
        print(f"| {name} | {ix:.3f} | {ratio(ix, tw['bm25_index_s']) if name != 'towel' else ''} | {q1:,.0f} | "
              f"{ratio(tw['bm25_qps_1t'], q1) if name != 'towel' else ''} | {f'{q2:,.0f}' if q2 else '–'} | "
              f"{ratio(tw['bm25_qps_2t'], q2) if (name != 'towel' and q2) else ''} |")
    print(f"\n### BM25 as users run it: `towel eval -k 100` vs bm25s tokenize + retrieve(k=100), SciFact "
          f"{tw['queries']} queries, load average {os.getloadavg()[0]:.1f}\n")
    print("| impl | queries/s 1 thread | towel faster by | queries/s 2 threads | towel faster by |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| towel eval | {cmd['qps_1t_k100']:,.0f} | | {cmd['qps_2t_k100']:,.0f} | |")
    for name, b in (("bm25s (numpy)", bs), ("bm25s (numba)", sp.get("bm25s_numba"))):
        if b:
            print(f"| {name} | {b['qps_1t_k100']:,.0f} | {cmd['qps_1t_k100'] / b['qps_1t_k100']:.1f}x | "
                  f"{b['qps_2t_k100']:,.0f} | {cmd['qps_2t_k100'] / b['qps_2t_k100']:.1f}x |")
    sk = sp["sklearn_tfidf"]
    print(f"\n### TF-IDF on SciFact (scikit-learn defaults; queries = transform + cosine top-100, 1 thread)\n")
    print("| impl | fit_transform (s) | queries/s |")
    print("| --- | --- | --- |")
    print(f"| towel | {tw['tfidf_fit_s']:.3f} | {tw['tfidf_qps_1t']:,.0f} |")
    print(f"| scikit-learn | {sk['fit_transform_s']:.3f} | {sk['qps_1t']:,.0f} |")
    print(f"| **towel faster by** | **{sk['fit_transform_s'] / tw['tfidf_fit_s']:.1f}x** | "
          f"**{tw['tfidf_qps_1t'] / sk['qps_1t']:.1f}x** |")
    print("\nOutputs: BM25 top-10 equal to bm25s's, TF-IDF top-10 equal to scikit-learn's.")
    for ds, q in result["quality"].items():
        print(f"\n### Quality on {ds} (pytrec_eval)\n")
        print("| run | nDCG@10 | Recall@100 | MAP | MRR@10 |")
        print("| --- | --- | --- | --- | --- |")
        for name, m in q.items():
            print(f"| {name} | {m['ndcg@10']:.4f} | {m['recall@100']:.4f} | {m['map']:.4f} | {m['mrr@10']:.4f} |")


if __name__ == "__main__":
    main()
