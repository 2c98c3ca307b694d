#!/usr/bin/env python3
"""Tokenize a corpus into nanoGPT-style shards with a multiprocessing pool
(no `datasets` needed): each worker process loads the encoding once and
encodes batches of documents with `encode_ordinary_batch` (on Rust threads,
GIL released); the parent writes the shards in document order.

    python examples/python/shards_multiprocessing.py corpus.jsonl more.jsonl \\
        --out shards/ --encoding o200k_base --num-proc 2

Drop-in: replace `import towel as tiktoken` by `import tiktoken` and the same
script runs on tiktoken (slower).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shards import ShardWriter, batched, dtype_for, read_documents  # noqa: E402

import towel as tiktoken  # noqa: E402

_enc = None


def _init(encoding: str) -> None:
    global _enc
    _enc = tiktoken.get_encoding(encoding)


def _tokenize(docs: list[str]) -> tuple[np.ndarray, int]:
    ids = _enc.encode_ordinary_batch(docs, num_threads=1)
    for x in ids:
        x.append(_enc.eot_token)
    flat = np.fromiter((t for x in ids for t in x), dtype=np.uint32,
                       count=sum(len(x) for x in ids))
    return flat, len(docs)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", help="JSONL (text field) or .txt files")
    ap.add_argument("--out", required=True, help="folder for the shards and meta.json")
    ap.add_argument("--encoding", default="gpt2")
    ap.add_argument("--num-proc", type=int, default=2)
    ap.add_argument("--batch-docs", type=int, default=256)
    ap.add_argument("--shard-tokens", type=int, default=100_000_000)
    args = ap.parse_args(argv)

    enc = tiktoken.get_encoding(args.encoding)
    writer = ShardWriter(args.out, dtype_for(enc.n_vocab), args.shard_tokens, args.encoding)
    t0 = time.perf_counter()
    ctx = mp.get_context("spawn")  # safe with threads in the parent
    with ctx.Pool(args.num_proc, initializer=_init, initargs=(args.encoding,)) as pool:
        for ids, n in pool.imap(_tokenize, batched(read_documents(args.inputs), args.batch_docs)):
            writer.add(ids, n)
    meta = writer.close()
    secs = time.perf_counter() - t0
    print(f"{meta['documents']} documents, {meta['tokens']} tokens in {len(meta['shards'])} "
          f"shard(s) ({meta['dtype']}) in {secs:.2f} s -> {args.out}", file=sys.stderr)
    return meta


if __name__ == "__main__":
    main()
