"""Beyond tiktoken: BM25 / TF-IDF (the same index file as `towel index`),
train_bpe (the same vocabulary as `towel bpe train`)."""

from __future__ import annotations

import dataclasses
import json
import subprocess

import numpy as np
import pytest

from conftest import need_data, towel_bin

import towel


def cli():
    exe = towel_bin()
    if exe is None:
        import os

        if os.environ.get("TOWEL_REQUIRE_DATA") == "1":
            pytest.fail("the towel command is not built (cargo build -p towel-cli)")
        pytest.skip("the towel command is not built (cargo build -p towel-cli)")
    return str(exe)


def scifact_queries(d, n=200):
    out = []
    with open(d / "ir" / "scifact" / "queries.jsonl", encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line)["text"])
    return out[:n]


@pytest.mark.parametrize("method", ["bm25", "tfidf"])
def test_index_equals_the_cli_index_on_scifact(tmp_path, method):
    d = need_data()
    exe = cli()
    scifact = d / "ir" / "scifact"
    cli_idx = tmp_path / "cli.idx"
    subprocess.run([exe, "index", "--corpus", str(scifact), "--out", str(cli_idx),
                    "--method", method], check=True, capture_output=True)
    cls = towel.BM25 if method == "bm25" else towel.TfIdf
    ours = cls(scifact)
    py_idx = tmp_path / "py.idx"
    ours.save(py_idx)
    assert py_idx.read_bytes() == cli_idx.read_bytes()

    loaded = towel.BM25.load(cli_idx) if method == "bm25" else towel.TfIdf.load(cli_idx)
    assert type(loaded) is cls and len(loaded) == len(ours) == 5183
    queries = scifact_queries(d)
    ids, scores = ours.search_batch(queries, k=10, num_threads=2)
    assert ids.shape == scores.shape == (len(queries), 10)
    assert ids.dtype == np.int64 and scores.dtype == np.float64
    for i, q in enumerate(queries[:50]):
        a_ids, a_scores = loaded.search(q, k=10)
        n = len(a_ids)
        assert a_ids.tolist() == ids[i, :n].tolist()
        assert np.array_equal(a_scores, scores[i, :n])
    # The CLI reads the index Python wrote, and ranks as Python does.
    out = subprocess.run([exe, "search", str(py_idx), queries[0], "-k", "5", "--json"],
                         check=True, capture_output=True, text=True).stdout
    hits = json.loads(out)
    hits = hits.get("hits", hits) if isinstance(hits, dict) else hits
    cli_ids = [h.get("id") or h.get("doc_id") for h in hits]
    assert cli_ids == [ours.doc_ids[i] for i in ids[0, :5]]
    # Explanations: the same fields as the CLI's --explain --json, the same text.
    out = subprocess.run([exe, "search", str(py_idx), queries[0], "-k", "5", "--explain", "--json"],
                         check=True, capture_output=True, text=True).stdout
    for rank, hit in enumerate(json.loads(out)["hits"]):
        e = ours.explain(queries[0], int(ids[0, rank]))
        assert isinstance(e, towel.Explanation) and all(isinstance(t, towel.TermScore) for t in e.terms)
        assert e.score == hit["score"] and e.length_factor == hit["length_factor"]
        assert (e.doc_len, e.avg_doc_len, e.query_norm) == tuple(
            hit.get(f) for f in ("doc_len", "avg_doc_len", "query_norm"))
        mine = [{k: v for k, v in dataclasses.asdict(t).items() if v is not None} for t in e.terms]
        assert mine == hit["explanation"]
    text = subprocess.run([exe, "search", str(py_idx), queries[0], "-k", "1", "--explain"],
                          check=True, capture_output=True, text=True).stdout
    e = ours.explain(queries[0], int(ids[0, 0]))
    for line in str(e).splitlines()[2:]:
        assert " ".join(line.split()) in " ".join(text.split())


def test_bm25_on_a_list():
    docs = ["Cats purr when they are happy.", "Dogs bark at cats.", "Birds sing."]
    index = towel.BM25(docs)
    ids, scores = index.search("happy cat", k=10)
    assert ids.tolist() == [0, 1]
    assert scores[0] > scores[1] > 0
    ids, scores = index.search_batch(["happy cat", "sing", "nothing matches"], k=2)
    assert ids.tolist() == [[0, 1], [2, -1], [-1, -1]]
    assert scores[2].tolist() == [0.0, 0.0]
    assert index.doc_ids == ["0", "1", "2"]
    e = index.explain("happy cat", 0)
    assert e.score == scores[0][0]
    assert abs(e.score - sum(t.score for t in e.terms)) < 1e-6
    assert [(t.term, t.tf, t.in_doc) for t in e.terms] == [("happi", 1, True), ("cat", 1, True)]
    assert e.doc_len == 4 and e.avg_doc_len == 3.0  # cat purr they happi; 4 + 3 + 2 terms
    assert e.length_factor == 1 - 0.75 + 0.75 * 4 / 3.0 == 1.25
    assert all(t.tf_component is not None and t.query_weight is None for t in e.terms)
    assert str(e).startswith("bm25 lucene") and "\ndocument 0: score " in str(e) and "length factor L = 1 - 0.75 + 0.75 x 4/3.00 = 1.2500" in str(e)
    with pytest.raises(ValueError, match="out of range"):
        index.explain("cat", 3)
    named = towel.BM25(docs, ids=["a", "b", "c"], variant="bm25+", k1=1.5, b=0.5)
    assert named.doc_ids == ["a", "b", "c"]
    assert "bm25+" in repr(named)
    t = towel.TfIdf(docs)
    assert t.search("birds", k=1)[0].tolist() == [2]
    e = t.explain("birds sing", 2)
    assert e.doc_len is None and e.query_norm == pytest.approx(2 ** 0.5 * e.terms[0].idf)
    assert all(t.query_weight is not None and t.doc_weight is not None for t in e.terms)
    assert abs(e.score - sum(t.score for t in e.terms)) < 1e-12


def test_query_and_document_arguments():
    """Any iterable of queries; a bare string is refused rather than taken as
    one query per character; lone surrogates are replaced, as `encode` does."""
    docs = ["Cats purr when they are happy.", "Dogs bark at cats.", "Birds sing."]
    index = towel.BM25(iter(docs))
    want = index.search_batch(["happy cat", "sing"], k=2)
    got = index.search_batch(iter(["happy cat", "sing"]), k=2)
    assert got[0].tolist() == want[0].tolist() and got[0].shape == (2, 2)
    with pytest.raises(TypeError, match="not a single str"):
        index.search_batch("cat", k=2)
    with pytest.raises(TypeError, match="queries\\[1\\] is int"):
        index.search_batch(["cat", 3], k=2)
    with pytest.raises(TypeError, match="docs\\[0\\] is bytes"):
        towel.BM25([b"cats"])
    assert index.search("happy cat\ud800", k=2)[0].tolist() == [0, 1]
    assert index.search_batch(["happy cat\ud800"], k=2)[0].tolist() == [[0, 1]]
    assert index.explain("cat\udfff", 1).score > 0
    assert towel.BM25(["cats \ud800 purr", "dogs"]).search("purr")[0].tolist() == [0]
    # ids and titles given as iterators survive the second try
    b = towel.BM25(["cats \ud800 purr", "dogs"], ids=iter(["a", "b"]), titles=iter(["T\udfff", "U"]))
    assert b.doc_ids == ["a", "b"]


def test_counts_threads_and_pickling(tmp_path):
    """k beyond the corpus, bad k / num_threads / doc named in the error, and
    an index that pickles (to a spawned pool's workers and back)."""
    import pickle

    docs = ["Cats purr when they are happy.", "Dogs bark at cats.", "Birds sing."]
    index = towel.BM25(docs)
    # A batch is as wide as the corpus at most: k = 10**12 used to allocate
    # 10**12 slots a query (the process was killed).
    ids, scores = index.search_batch(["happy cat", "sing"], k=10**12)
    assert ids.shape == scores.shape == (2, 3)
    assert ids.tolist() == [[0, 1, -1], [2, -1, -1]]
    assert index.search("happy cat", k=10**12)[0].tolist() == [0, 1]
    assert index.search_batch(["sing"], k=np.int64(1))[0].tolist() == [[2]]
    assert index.search_batch(["sing"], k=0)[0].shape == (1, 0)
    for call in (lambda k: index.search("cat", k=k), lambda k: index.search_batch(["cat"], k=k)):
        with pytest.raises(ValueError, match="k must be at least 0, got -1"):
            call(-1)
        with pytest.raises(TypeError, match="k must be an int, not float"):
            call(1.5)
    with pytest.raises(ValueError, match="num_threads must be at least 1, got 0"):
        index.search_batch(["cat"], num_threads=0)
    assert index.search_batch(["cat"], k=2, num_threads=10**6)[0].tolist() == [[1, 0]]
    with pytest.raises(ValueError, match="doc must be at least 0, got -1"):
        index.explain("cat", -1)
    for ix in (index, towel.TfIdf(docs)):
        back = pickle.loads(pickle.dumps(ix))
        assert type(back) is type(ix) and back.doc_ids == ix.doc_ids
        for a, b in zip(back.search_batch(["happy cat", "sing"], k=3), ix.search_batch(["happy cat", "sing"], k=3)):
            assert a.tolist() == b.tolist()
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        got = pool.starmap(towel.BM25.search, [(index, "happy cat", 2), (index, "sing", 2)])
    assert [g[0].tolist() for g in got] == [[0, 1], [2]]
    # A damaged pickle is refused as a damaged file is.
    method, data = index.__reduce__()[1]
    with pytest.raises(ValueError):
        pickle.loads(pickle.dumps(index).replace(data[-16:], bytes(16)))


def test_index_errors(tmp_path):
    with pytest.raises(ValueError, match="k1"):
        towel.BM25(["a b"], k1=-1)
    with pytest.raises(ValueError):
        towel.BM25([])
    with pytest.raises(ValueError, match="ids"):
        towel.BM25(["a", "b"], ids=["x"])
    with pytest.raises(ValueError):
        towel.BM25(["a", "b"], ids=["x", "x"])
    with pytest.raises(ValueError):
        towel.BM25(["a"], variant="nope")
    with pytest.raises(FileNotFoundError):
        towel.BM25.load(tmp_path / "missing.idx")
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"not an index")
    with pytest.raises(ValueError):
        towel.BM25.load(bad)
    towel.TfIdf(["apples and pears", "cars and vans"]).save(tmp_path / "t.idx")
    with pytest.raises(ValueError, match="tfidf"):
        towel.BM25.load(tmp_path / "t.idx")


def test_train_bpe_equals_the_cli(tmp_path):
    d = need_data()
    exe = cli()
    corpus = d / "text" / "tinyshakespeare.txt"
    cli_out = tmp_path / "cli.tiktoken"
    subprocess.run([exe, "bpe", "train", "--vocab-size", "1000", "--format", "tiktoken",
                    "--special", "<|endoftext|>",
                    "--out", str(cli_out), str(corpus)], check=True, capture_output=True)
    py_out = tmp_path / "py.tiktoken"
    hf_out = tmp_path / "tokenizer.json"
    enc = towel.train_bpe([str(corpus)], 1000, out=[py_out, hf_out],
                          special_tokens=["<|endoftext|>"])
    assert py_out.read_bytes() == cli_out.read_bytes()
    assert json.loads(hf_out.read_text())["model"]["type"] == "BPE"
    from towel.load import load_tiktoken_bpe

    assert load_tiktoken_bpe(str(py_out)) == enc._mergeable_ranks
    assert enc.n_vocab == 1000 and enc.eot_token == 999
    text = corpus.read_text(encoding="utf-8")[:5000]
    assert enc.decode(enc.encode(text)) == text
    assert enc.encode("x<|endoftext|>", allowed_special="all")[-1] == 999
    # The same merges from the text itself (an iterable of strings).
    again = towel.train_bpe(iter([corpus.read_text(encoding="utf-8")]), 1000, files=False,
                            special_tokens=["<|endoftext|>"])
    assert again._mergeable_ranks == enc._mergeable_ranks


def test_train_bpe_errors(tmp_path):
    with pytest.raises(ValueError):
        towel.train_bpe(["abc"], 10)  # below 256
    with pytest.raises(ValueError, match="format"):
        towel.train_bpe(["abc abc"], 260, out=tmp_path / "x.bin")
    with pytest.raises(TypeError):
        towel.train_bpe("a single string", 300)
    with pytest.raises(FileNotFoundError):
        towel.train_bpe([tmp_path / "missing.txt"], 300)
    # Not texts: refused, not trained on their repr.
    with pytest.raises(TypeError, match="decode bytes first"):
        towel.train_bpe([b"the cat sat"], 300)
    with pytest.raises(TypeError, match=r"data\[1\] is NoneType"):
        towel.train_bpe(["the cat", None], 300)
    # A misspelt pattern name is not taken as a regex matching only itself.
    with pytest.raises(ValueError, match="unknown pattern name 'gpt-2'"):
        towel.train_bpe(["the cat sat"] * 5, 300, pattern="gpt-2")
    # The encodings' names stand for their patterns; a real regex still works.
    a = towel.train_bpe(["the cat sat"] * 5, 260, pattern="cl100k_base")
    b = towel.train_bpe(["the cat sat"] * 5, 260, pattern="cl100k")
    assert a._mergeable_ranks == b._mergeable_ranks and a._pat_str == b._pat_str
    assert towel.train_bpe(["the cat sat"] * 5, 260, pattern=r"\w+| ").encode("the cat")
    # Lone surrogates are replaced, as `encode` does.
    assert towel.train_bpe(["cat \ud800 cat"] * 5, 260).n_vocab == 260
    # A misspelt path is an error, not text to train on (its merges used to
    # be the path's own letters): beside real files, or alone when every
    # item looks like a path. files=False trains on the strings themselves.
    real = tmp_path / "real.txt"
    real.write_text("the cat sat on the mat\n" * 5)
    with pytest.raises(FileNotFoundError, match=r"data\[1\] = '.*typo.txt' is not a file, while other items are"):
        towel.train_bpe([str(real), str(tmp_path / "typo.txt")], 300)
    with pytest.raises(FileNotFoundError, match="every item looks like a file path"):
        towel.train_bpe(["corp/nope.txt"], 300)
    assert towel.train_bpe(["corp/nope.txt"], 260, files=False).n_vocab == 260
    assert towel.train_bpe([str(real)], 260).decode(towel.train_bpe([str(real)], 260).encode("the cat")) == "the cat"
    assert towel.train_bpe(["hello", "e.g.", "world"], 260).n_vocab == 260
    # Numbers and special tokens: errors that name the argument.
    for size in (-5, 10**12):
        with pytest.raises(ValueError, match=f"vocab_size must be between 0 and 4294967295, got {size}"):
            towel.train_bpe(["the cat sat"] * 5, size)
    with pytest.raises(ValueError, match="min_frequency must be between 0 and"):
        towel.train_bpe(["the cat sat"] * 5, 260, min_frequency=-1)
    with pytest.raises(TypeError, match="vocab_size must be an int, not str"):
        towel.train_bpe(["the cat sat"] * 5, "300")
    with pytest.raises(TypeError, match="special_tokens must be a list of strings, not a single string"):
        towel.train_bpe(["the cat sat"] * 5, 260, special_tokens="<|x|>")


def test_count_tokens_arguments_and_tiktoken_modules():
    """count_tokens names what it takes; `towel.load` and
    `towel.registry.ENCODING_CONSTRUCTORS` are there as tiktoken's are."""
    with pytest.raises(TypeError, match="not bytes"):
        towel.count_tokens(b"hi")
    with pytest.raises(TypeError, match="pass its name"):
        towel.count_tokens("hi", object())  # type: ignore[arg-type]
    assert callable(towel.load.load_tiktoken_bpe)
    ctors = towel.registry.ENCODING_CONSTRUCTORS
    assert sorted(ctors) == sorted(towel.list_encoding_names())
    kw = ctors["gpt2"]()
    assert kw["explicit_n_vocab"] == 50257 and "explicit_n_vocab" not in ctors["cl100k_base"]()
    # OpenAI's cookbook builds an extended encoding from these arguments.
    base = ctors["cl100k_base"]()
    ext = towel.Encoding(
        name="cl100k_im",
        pat_str=base["pat_str"],
        mergeable_ranks=base["mergeable_ranks"],
        special_tokens={**base["special_tokens"], "<|im_start|>": 100264},
    )
    text = "<|im_start|>hello world"
    assert ext.encode(text, allowed_special="all") == [100264] + towel.get_encoding("cl100k_base").encode("hello world")


def test_retrieval_docstring_examples_run():
    import doctest

    import towel.retrieval

    res = doctest.testmod(towel.retrieval, extraglobs={"towel": towel})
    assert res.attempted >= 4 and res.failed == 0
