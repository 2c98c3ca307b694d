#!/usr/bin/env python3
"""Tokenize a corpus into nanoGPT-style shards with Ray Data `map_batches`
on a local Ray instance (`ray.init(num_cpus=2)`): each actor loads the
encoding once, batches are encoded with `encode_ordinary_batch`, and the
driver writes the shards in document order.

    python examples/python/shards_ray.py corpus.jsonl --out shards/ --encoding o200k_base

On a cluster, `ray.init()` connects to it instead; nothing else changes.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shards import ShardWriter, arguments, dtype_for, read_documents, report  # noqa: E402


class Tokenize:
    """A Ray Data actor: one encoding per worker process."""

    def __init__(self, encoding: str) -> None:
        import towel as tiktoken

        self.enc = tiktoken.get_encoding(encoding)

    def __call__(self, batch: dict) -> dict:
        ids = self.enc.encode_ordinary_batch(list(batch["text"]), num_threads=1)
        eot = self.enc.eot_token
        return {"ids": [np.asarray(x + [eot], dtype=np.uint32) for x in ids]}


def main(argv: list[str] | None = None) -> dict:
    ap = arguments(__doc__.splitlines()[0], "--num-cpus")
    args = ap.parse_args(argv)

    import ray

    import towel as tiktoken

    enc = tiktoken.get_encoding(args.encoding)
    t0 = time.perf_counter()
    # Workers unpickle `Tokenize` by module name: let them import this folder.
    here = str(Path(__file__).resolve().parent)
    pythonpath = os.pathsep.join(p for p in [here, os.environ.get("PYTHONPATH", "")] if p)
    ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False,
             ignore_reinit_error=True, runtime_env={"env_vars": {"PYTHONPATH": pythonpath}})
    try:
        ray.data.DataContext.get_current().execution_options.preserve_order = True
        ds = ray.data.from_items([{"text": d} for d in read_documents(args.inputs)])
        ds = ds.map_batches(Tokenize, fn_constructor_args=(args.encoding,),
                            batch_size=args.batch_docs, concurrency=args.num_cpus)
        writer = ShardWriter(args.out, dtype_for(enc.n_vocab), args.shard_tokens, args.encoding)
        for batch in ds.iter_batches(batch_size=args.batch_docs, batch_format="numpy"):
            docs = list(batch["ids"])
            if docs:
                writer.add(np.concatenate(docs), len(docs))
        meta = writer.close()
    finally:
        ray.shutdown()
    secs = time.perf_counter() - t0
    report(meta, secs, args.out)
    return meta


if __name__ == "__main__":
    main()
