#!/usr/bin/env python3
"""Byte-level BPE training: towel vs HF tokenizers' BpeTrainer vs rustbpe.

Same pre-tokenization for all three (GPT-2's regex; HF's ByteLevel
pre-tokenizer uses it, rustbpe gets tiktoken's spelling of it), same
vocabulary size (towel and HF count the special token `<|endoftext|>`;
rustbpe has no special tokens, so it gets one merge less), the same
training text: the first 90% of each corpus (cut at a newline). The last 10%
is held out to measure compression (bytes per token): towel's ranks through
tiktoken, HF's tokenizer through HF.

Each training runs in a fresh subprocess; time is the training call only
(reported by the process itself), peak memory is that subprocess's
VmHWM as the process reports it at the end of training (for the Python
peers it includes the interpreter and imports, whose baseline is reported
too). Median of 3 runs below 20 s, else 1 run.
Threads: RAYON_NUM_THREADS=2 for all.

HF's `train(files)` pre-tokenizes each line on its own, so a whitespace run
never spans a line break; towel (like tiktoken at encode time) splits the
whole text. towel is also run with `--per-line` (HF's reading): the table
says whether those merges are identical to HF's. Compression: both encode
the whole held-out text, and towel's must be within 1% of HF's.

Usage: ~/.peers-venv/bin/python bench/bpe_train.py [--quick] [--vocab 8192,32768] [--corpora tinyshakespeare,scifact,large]
(partial runs write bench/results/bpe_train.local.json, which git ignores;
TOWEL_BENCH_EXE=path uses a prebuilt bench_train binary instead of building one)
"""

from __future__ import annotations

import argparse
import base64
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

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("TOWEL_DATA_DIR", ROOT.parent / "shared" / "data"))
GPT2_PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
SPECIAL = "<|endoftext|>"
THREADS = "2"


def vm_hwm_mib() -> float:
    """Peak RSS of this process since its exec (VmHWM). ru_maxrss is not
    used: on Linux a child's ru_maxrss starts at its parent's RSS at fork."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def child_hf(train: str, vocab: int, out: str):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    base = vm_hwm_mib()
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=0, show_progress=False,
                                  special_tokens=[SPECIAL],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    t0 = time.perf_counter()
    tok.train([train], trainer)
    secs = time.perf_counter() - t0
    peak = vm_hwm_mib()
    tok.save(out)
    print(json.dumps({"seconds": secs, "baseline_rss_mib": base, "peak_rss_mib": peak}))


def child_rustbpe(train: str, vocab: int, out: str):
    import rustbpe

    base = vm_hwm_mib()
    tok = rustbpe.Tokenizer()

    def lines():
        with open(train, encoding="utf-8") as f:
            yield from f  # lines with their newline, like HF's file reader

    t0 = time.perf_counter()
    tok.train_from_iterator(lines(), vocab - 1, pattern=GPT2_PAT)
    secs = time.perf_counter() - t0
    peak = vm_hwm_mib()
    ranks = sorted(tok.get_mergeable_ranks(), key=lambda x: x[1])
    with open(out, "w") as f:
        for b, r in ranks:
            f.write(f"{base64.b64encode(bytes(b)).decode()} {r}\n")
    print(json.dumps({"seconds": secs, "baseline_rss_mib": base, "peak_rss_mib": peak}))


def run_measured(cmd):
    """Run cmd in a fresh process; return its JSON line (seconds, peak_rss_mib = its VmHWM)."""
    env = dict(os.environ, RAYON_NUM_THREADS=THREADS, TOKENIZERS_PARALLELISM="true")
    p = subprocess.run(cmd, capture_output=True, env=env, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed: {p.stderr[-1500:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def median_runs(cmd, n):
    rows = []
    for i in range(n):
        res = run_measured(cmd)
        rows.append(res)
        if i == 0 and res["seconds"] >= 20:
            break
    rows.sort(key=lambda r: r["seconds"])
    med = dict(rows[len(rows) // 2])
    med["peak_rss_mib"] = max(r["peak_rss_mib"] for r in rows)
    med["runs"] = len(rows)
    return med


def load_tiktoken(path, name):
    import tiktoken

    ranks = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                t, r = line.split()
                ranks[base64.b64decode(t)] = int(r)
    return tiktoken.Encoding(name=name, pat_str=GPT2_PAT, mergeable_ranks=ranks, special_tokens={})


def corpora(tmp: Path, wanted):
    out = []
    ts = DATA / "text" / "tinyshakespeare.txt"
    if "tinyshakespeare" in wanted:
        out.append(("tinyshakespeare", ts.read_text(encoding="utf-8")))
    if "scifact" in wanted:
        docs = []
        with open(DATA / "ir" / "scifact" / "corpus.jsonl", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                t, x = d.get("title") or "", d.get("text") or ""
                docs.append((f"{t}\n{x}" if t else x) + "\n\n")
        out.append(("scifact", "".join(docs)))
    if "large" in wanted:
        out.append(("gutenberg", (DATA / "text" / "large" / "gutenberg_en_subset.txt").read_text(encoding="utf-8")))
    res = []
    for name, text in out:
        cut = text.rfind("\n", 0, int(len(text) * 0.9)) + 1
        train, held = text[:cut], text[cut:]
        tp, hp = tmp / f"{name}.train.txt", tmp / f"{name}.heldout.txt"
        tp.write_text(train, encoding="utf-8")
        hp.write_text(held, encoding="utf-8")
        res.append((name, tp, held))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", choices=["hf", "rustbpe"])
    ap.add_argument("--vocab", default="1024,8192,32768")
    ap.add_argument("--corpora", default="tinyshakespeare,scifact,large")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-rustbpe", action="store_true")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    if a.child == "hf":
        return child_hf(a.args[0], int(a.args[1]), a.args[2])
    if a.child == "rustbpe":
        return child_rustbpe(a.args[0], int(a.args[1]), a.args[2])

    vocabs = [int(v) for v in a.vocab.split(",")]
    wanted = a.corpora.split(",")
    if a.quick:
        vocabs, wanted = [1024, 8192], ["tinyshakespeare"]
    exe = os.environ.get("TOWEL_BENCH_EXE")  # a prebuilt bench_train binary, if given
    if not exe:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "towel-tokenizer", "--example", "bench_train"],
                       cwd=ROOT, check=True)
        exe = str(ROOT / "target" / "release" / "examples" / "bench_train")
    from tokenizers import Tokenizer

    rows = []
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        for name, train, held in corpora(tmp, wanted):
            nbytes = train.stat().st_size
            for v in vocabs:
                tt = tmp / f"towel_{name}_{v}.tiktoken"
                thf = tmp / f"towel_{name}_{v}.json"
                hfj = tmp / f"hf_{name}_{v}.json"
                rbt = tmp / f"rustbpe_{name}_{v}.tiktoken"
                n = 3
                towel = median_runs([exe, "--vocab", str(v), "--special", SPECIAL, "--out", str(tt),
                                     "--format", "tiktoken", str(train)], n)
                # towel reading files line by line like HF: its merges must equal HF's
                towel_pl = median_runs([exe, "--vocab", str(v), "--special", SPECIAL, "--per-line",
                                        "--out", str(thf), "--format", "hf", str(train)], n)
                hf = median_runs([sys.executable, __file__, "--child", "hf", str(train), str(v), str(hfj)], n)
                rb = None
                if not a.no_rustbpe:
                    rb = median_runs([sys.executable, __file__, "--child", "rustbpe", str(train), str(v), str(rbt)], n)
                # merges: towel (per line, as HF reads files) vs HF
                m_t = json.load(open(thf))["model"]["merges"]
                m_h = json.load(open(hfj))["model"]["merges"]
                same_prefix = next((i for i, (x, y) in enumerate(zip(m_t, m_h)) if x != y), min(len(m_t), len(m_h)))
                # compression on held-out text
                enc_t = load_tiktoken(tt, f"towel_{name}_{v}")
                n_t = len(enc_t.encode_ordinary(held))
                # both encode the whole held-out text (HF splits it with the same regex)
                hf_tok = Tokenizer.from_file(str(hfj))
                n_h = len(hf_tok.encode(held, add_special_tokens=False).ids)
                nb = len(held.encode())
                bpt_t, bpt_h = nb / n_t, nb / n_h
                row = {"corpus": name, "train_bytes": nbytes, "vocab": v, "towel": towel, "towel_per_line": towel_pl,
                       "hf": hf, "rustbpe": rb,
                       "towel_vocab": towel["vocab_size"], "merges_equal_hf": m_t == m_h,
                       "merges_same_prefix": same_prefix, "merges_towel": len(m_t), "merges_hf": len(m_h),
                       "bytes_per_token_towel": bpt_t, "bytes_per_token_hf": bpt_h}
                if rb is not None:
                    rbe = load_tiktoken(rbt, f"rb_{name}_{v}")
                    row["bytes_per_token_rustbpe"] = len(held.encode()) / len(rbe.encode_ordinary(held))
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)

    print("\n" + conditions(['tokenizers', 'rustbpe'], 'library level, each training in a fresh subprocess: towel_tokenizer::train (the bench_train example), HF tokenizers and rustbpe from Python'))
    print("\n| corpus | vocab | towel s | towel per-line s | HF s | rustbpe s | HF/towel | rustbpe/towel | towel MiB | HF MiB | rustbpe MiB | towel B/tok | HF B/tok | diff | per-line merges = HF |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ok = True
    for r in rows:
        t, h, b = r["towel"], r["hf"], r["rustbpe"]
        diff = (r["bytes_per_token_towel"] / r["bytes_per_token_hf"] - 1) * 100
        ok &= diff >= -1.0  # towel may compress better, not more than 1% worse
        eq = "yes" if r["merges_equal_hf"] else f"first {r['merges_same_prefix']} of {r['merges_hf']}"
        print(f"| {r['corpus']} | {r['vocab']} | {t['seconds']:.3f} | {r['towel_per_line']['seconds']:.3f} | {h['seconds']:.3f} | "
              f"{b['seconds'] if b else float('nan'):.3f} | {h['seconds'] / t['seconds']:.2f}x | "
              f"{(b['seconds'] / t['seconds']) if b else float('nan'):.2f}x | {t['peak_rss_mib']:.0f} | "
              f"{h['peak_rss_mib']:.0f} | {b['peak_rss_mib'] if b else float('nan'):.0f} | "
              f"{r['bytes_per_token_towel']:.4f} | {r['bytes_per_token_hf']:.4f} | {diff:+.2f}% | {eq} |")
    partial = (a.vocab, a.corpora) != ("1024,8192,32768", "tinyshakespeare,scifact,large")
    out = ROOT / "bench" / "results" / ("bpe_train" + ("_quick" if a.quick else "")
                                        + (".local" if partial and not a.quick else "") + ".json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"name": "bpe_train", "threads": THREADS,
                                "conditions": record(['tokenizers', 'rustbpe']), "rows": rows}, indent=1))
    print(f"\nwritten {out}")
    if not ok:
        print("FAIL: towel's compression is more than 1% worse than HF's", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
