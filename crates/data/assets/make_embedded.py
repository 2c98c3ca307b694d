#!/usr/bin/env python3
"""Rebuild the compressed files that towel embeds (crates/data/assets/*.z).

Usage: python3 make_embedded.py [DATA_DIR]
(default: $TOWEL_DATA_DIR, else ../shared/data beside the repository)

Python 3 standard library only. Each output is zlib (RFC 1950) at level 9.
`towel_data::embedded` inflates them and a test checks that every one gives
back the exact bytes of the registry file (same sha256), so a rebuild that
changed anything would fail `cargo test -p towel-data`.

- `*.tiktoken` files are stored as their tokens in rank order, each one as a
  length byte and the token's bytes (`towel_data::embedded` writes the
  tiktoken text back: base64, a space, the rank, a newline). That is 2.2x
  smaller compressed than the base64 text itself.
- Other files are stored as they are.
"""
import base64
import os
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.environ.get("TOWEL_DATA_DIR") or os.path.join(HERE, "..", "..", "..", "..", "shared", "data")
)

FILES = {
    "r50k_base.bin.z": "vocab/r50k_base.tiktoken",
    "cl100k_base.bin.z": "vocab/cl100k_base.tiktoken",
    "tinyshakespeare.txt.z": "text/tinyshakespeare.txt",
    "cranfield-corpus.jsonl.z": "ir/cranfield/corpus.jsonl",
    "cranfield-queries.jsonl.z": "ir/cranfield/queries.jsonl",
    "cranfield-qrels-test.tsv.z": "ir/cranfield/qrels/test.tsv",
}


def ranks_bin(data: bytes) -> bytes:
    out = bytearray()
    for expect, line in enumerate(data.splitlines()):
        token, rank = line.split()
        assert int(rank) == expect, "ranks must be 0..n in order"
        token = base64.b64decode(token)
        assert 0 < len(token) < 256
        out.append(len(token))
        out += token
    return bytes(out)


for out, src in FILES.items():
    with open(os.path.join(DATA, src), "rb") as f:
        data = f.read()
    if src.endswith(".tiktoken"):
        data = ranks_bin(data)
    packed = zlib.compress(data, 9)
    with open(os.path.join(HERE, out), "wb") as f:
        f.write(packed)
    print(f"{out}: {src} -> {len(packed)} bytes")
