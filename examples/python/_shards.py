"""What both scale-out examples share: reading documents and writing
nanoGPT-style token shards.

A shard is a flat binary file of token ids (`shard_00000.bin`, ...), uint16
when every id fits (gpt2, r50k, p50k) and uint32 otherwise (cl100k, o200k),
little-endian, as nanoGPT's `prepare.py` writes `train.bin`: each document is
`encode_ordinary(doc)` followed by the end-of-text token. Read one back with
`numpy.memmap(path, dtype=..., mode="r")`; `meta.json` says the dtype.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np


def arguments(description: str, workers: str) -> argparse.ArgumentParser:
    """The options both examples take; `workers` names the worker count option."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("inputs", nargs="+", help="JSONL (text field) or .txt files")
    ap.add_argument("--out", required=True, help="folder for the shards and meta.json")
    ap.add_argument("--encoding", default="gpt2")
    ap.add_argument(workers, type=int, default=2)
    ap.add_argument("--batch-docs", type=int, default=256)
    ap.add_argument("--shard-tokens", type=int, default=100_000_000)
    return ap


def report(meta: dict, secs: float, out_dir: str) -> None:
    """One line on stderr: what was written, where, how fast."""
    print(f"{meta['documents']} documents, {meta['tokens']} tokens in {len(meta['shards'])} "
          f"shard(s) ({meta['dtype']}) in {secs:.2f} s -> {out_dir}", file=sys.stderr)


def read_documents(paths: Iterable[str]) -> Iterator[str]:
    """Documents from JSONL files (the `text` field, with `title` before it when
    present, as BEIR corpora have) and from .txt files (one document each)."""
    for p in map(Path, paths):
        if p.suffix == ".jsonl":
            with open(p, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        d = json.loads(line)
                        title, text = d.get("title") or "", d.get("text") or ""
                        yield f"{title}\n{text}" if title else text
        else:
            yield p.read_text(encoding="utf-8")


def batched(docs: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for d in docs:
        batch.append(d)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def dtype_for(n_vocab: int) -> np.dtype:
    return np.dtype("<u2") if n_vocab <= 2**16 else np.dtype("<u4")


class ShardWriter:
    """Writes token arrays, in order, into shards of at most `shard_tokens` ids
    (a document may straddle two shards, as in nanoGPT's single file)."""

    def __init__(self, out_dir: str, dtype: np.dtype, shard_tokens: int, encoding: str) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.dtype, self.shard_tokens, self.encoding = dtype, shard_tokens, encoding
        self.buf: list[np.ndarray] = []
        self.n_buf = 0
        self.shards: list[str] = []
        self.total = 0
        self.docs = 0

    def add(self, ids: np.ndarray, n_docs: int) -> None:
        self.docs += n_docs
        ids = ids.astype(self.dtype, copy=False)
        while len(ids):
            take = min(len(ids), self.shard_tokens - self.n_buf)
            self.buf.append(ids[:take])
            self.n_buf += take
            ids = ids[take:]
            if self.n_buf == self.shard_tokens:
                self._flush()

    def _flush(self) -> None:
        if not self.n_buf:
            return
        name = f"shard_{len(self.shards):05d}.bin"
        tmp = self.out / f".{name}.tmp"
        np.concatenate(self.buf).tofile(tmp)
        os.replace(tmp, self.out / name)
        self.shards.append(name)
        self.total += self.n_buf
        self.buf, self.n_buf = [], 0

    def close(self) -> dict:
        self._flush()
        meta = {"encoding": self.encoding, "dtype": self.dtype.str, "shards": self.shards,
                "tokens": self.total, "documents": self.docs}
        (self.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
        return meta


def read_shards(out_dir: str) -> np.ndarray:
    """Every shard of `out_dir`, concatenated."""
    meta = json.loads((Path(out_dir) / "meta.json").read_text())
    parts = [np.fromfile(Path(out_dir) / s, dtype=meta["dtype"]) for s in meta["shards"]]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=meta["dtype"])
