"""The scale-out examples (examples/python/): both write shards equal to
`encode_ordinary` of each document followed by the end-of-text token."""

from __future__ import annotations

import importlib
import json
import os
import sys

import numpy as np
import pytest

from conftest import ROOT, need_data, ours

EXAMPLES = ROOT / "examples" / "python"
sys.path.insert(0, str(EXAMPLES))


def small_corpus(tmp_path, d):
    """200 SciFact documents as JSONL, plus one odd document as a .txt file."""
    src = d / "ir" / "scifact" / "corpus.jsonl"
    lines = src.read_text(encoding="utf-8").splitlines()[:200]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    odd = tmp_path / "odd.txt"
    odd.write_text("<|endoftext|> is text here\n\n" + " " * 3000 + "日本語 👍🏽", encoding="utf-8")
    docs = []
    for line in lines:
        x = json.loads(line)
        docs.append(f"{x['title']}\n{x['text']}" if x.get("title") else x["text"])
    docs.append(odd.read_text(encoding="utf-8"))
    return [str(corpus), str(odd)], docs


def check(out_dir, docs, encoding):
    from _shards import read_shards

    enc = ours(encoding)
    meta = json.loads((out_dir / "meta.json").read_text())
    assert meta["documents"] == len(docs)
    assert np.dtype(meta["dtype"]) == (np.uint16 if enc.n_vocab <= 2**16 else np.uint32)
    expected = [t for d in docs for t in enc.encode_ordinary(d) + [enc.eot_token]]
    got = read_shards(out_dir)
    assert got.tolist() == expected
    assert len(meta["shards"]) > 1  # small shards: documents straddle files


@pytest.mark.parametrize("encoding", ["gpt2", "o200k_base"])
def test_multiprocessing_shards(tmp_path, encoding):
    d = need_data()
    inputs, docs = small_corpus(tmp_path, d)
    mod = importlib.import_module("shards_multiprocessing")
    out = tmp_path / "out"
    mod.main([*inputs, "--out", str(out), "--encoding", encoding, "--num-proc", "2",
              "--batch-docs", "16", "--shard-tokens", "10000"])
    check(out, docs, encoding)


def test_ray_shards(tmp_path):
    d = need_data()
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("TOWEL_REQUIRE_RAY") == "1":
            pytest.fail("ray is not installed (pip install 'ray[data]')")
        pytest.skip("ray is not installed (pip install 'ray[data]')")
    inputs, docs = small_corpus(tmp_path, d)
    mod = importlib.import_module("shards_ray")
    out = tmp_path / "out"
    mod.main([*inputs, "--out", str(out), "--encoding", "cl100k_base", "--num-cpus", "2",
              "--batch-docs", "16", "--shard-tokens", "10000"])
    check(out, docs, "cl100k_base")
