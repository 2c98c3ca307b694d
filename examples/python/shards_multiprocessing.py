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

import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shards import ShardWriter, arguments, batched, dtype_for, read_documents, report  # noqa: E402

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
    ap = arguments(__doc__.splitlines()[0], "--num-proc")
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
    report(meta, secs, args.out)
    return meta


if __name__ == "__main__":
    main()
