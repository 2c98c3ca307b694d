"""towel's tiktoken API against Python tiktoken 0.14 itself: the same ids,
bytes, results, exception types and messages, on generated strings
(hypothesis) and on the reference data."""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import pickle
import random
import subprocess
import sys
import textwrap

import hypothesis
import hypothesis.strategies as st
import numpy as np
import pytest

from conftest import ALL_ENCODINGS, need_data, ours, peer

MAX_EXAMPLES = int(os.environ.get("TOWEL_MAX_EXAMPLES", "200"))
MAIN = ["gpt2", "cl100k_base", "o200k_base"]

# Text that stresses the patterns: letters of all scripts, digits, spaces and
# newlines in runs, apostrophes, marks, emoji, and (rarely) lone surrogates.
_alphabet = st.sampled_from(
    list(" \n\r\t'aAzZ09.,!?-_/\\\"") + ["'s", "'LL", "’", "é", "\u0301", "日本", "한", "ß", "İ",
                                        "١٢", "½", "👍🏽", "\u00a0", "\u2028", "<|endoftext|>",
                                        "<|fim_prefix|>", "<|endofprompt|>", "<|start|>"]
)
texts = st.one_of(
    st.text(),
    st.lists(_alphabet, max_size=60).map("".join),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
)


def run_both(fn):
    """(towel's outcome, tiktoken's outcome): a value or (exception type, message)."""
    out = []
    for name_enc in fn:
        try:
            out.append(("ok", name_enc()))
        except Exception as e:  # noqa: BLE001
            out.append(("err", type(e), str(e)))
    return out


def same(name, call):
    mine, theirs = run_both([lambda: call(ours(name)), lambda: call(peer(name))])
    assert mine == theirs


@pytest.mark.parametrize("name", ALL_ENCODINGS)
def test_attributes(name):
    a, b = ours(name), peer(name)
    assert a.name == b.name
    assert a.n_vocab == b.n_vocab
    assert a.max_token_value == b.max_token_value
    assert a.eot_token == b.eot_token
    assert a.special_tokens_set == b.special_tokens_set
    assert a._special_tokens == b._special_tokens
    assert a._pat_str == b._pat_str
    assert a._mergeable_ranks == b._mergeable_ranks
    assert repr(a) == repr(b)
    for t in [0, 255, 1000, a.eot_token, a.max_token_value]:
        assert a.is_special_token(t) == b.is_special_token(t)


@pytest.mark.parametrize("name", ALL_ENCODINGS)
def test_token_byte_values(name):
    assert ours(name).token_byte_values() == peer(name).token_byte_values()


@pytest.mark.parametrize("name", MAIN + ["o200k_harmony"])
@hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None)
@hypothesis.given(text=texts)
def test_encode_like_tiktoken(name, text):
    same(name, lambda e: e.encode_ordinary(text))
    same(name, lambda e: e.encode(text))
    same(name, lambda e: e.encode(text, allowed_special="all"))
    same(name, lambda e: e.encode(text, disallowed_special=()))
    same(name, lambda e: e.encode(text, allowed_special={"<|endoftext|>"}))
    same(name, lambda e: e.encode(text, allowed_special={"<|endoftext|>"}, disallowed_special=()))
    same(name, lambda e: e.encode_to_numpy(text, disallowed_special=()).tolist())
    same(name, lambda e: e.decode(e.encode_ordinary(text)))


@pytest.mark.parametrize("name", ["gpt2", "cl100k_base"])
@hypothesis.settings(max_examples=MAX_EXAMPLES // 2, deadline=None)
@hypothesis.given(text=st.text(max_size=12))
def test_encode_with_unstable_like_tiktoken(name, text):
    def unstable(e):
        stable, completions = e.encode_with_unstable(text, disallowed_special=())
        return stable, sorted(map(list, completions))

    same(name, unstable)


@pytest.mark.parametrize("name", MAIN)
@hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None)
@hypothesis.given(data=st.binary(max_size=40))
def test_encode_bytes_like_tiktoken(name, data):
    same(name, lambda e: e._encode_bytes(data))
    if data:  # tiktoken panics on an empty piece
        same(name, lambda e: e._encode_single_piece(data))


@pytest.mark.parametrize("name", MAIN)
@hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None)
@hypothesis.given(tokens=st.lists(st.integers(0, 50300), max_size=20))
def test_decode_like_tiktoken(name, tokens):
    same(name, lambda e: e.decode_bytes(tokens))
    same(name, lambda e: e.decode(tokens))
    same(name, lambda e: e.decode(tokens, errors="strict"))
    same(name, lambda e: e.decode(tokens, errors="ignore"))
    same(name, lambda e: e.decode_tokens_bytes(tokens))
    same(name, lambda e: e.decode_with_offsets(tokens))
    same(name, lambda e: e.decode_batch([tokens, tokens[:3]]))
    same(name, lambda e: e.decode_bytes_batch([tokens, tokens[1:]]))


@pytest.mark.parametrize("name", ALL_ENCODINGS)
def test_errors_like_tiktoken(name):
    e = peer(name)
    same(name, lambda e: e.encode("a <|endoftext|> b"))
    same(name, lambda e: e.encode("x<|endoftext|>", allowed_special={"<|fim_prefix|>"}))
    same(name, lambda e: e.encode("x<|endoftext|>", disallowed_special={"<|endoftext|>"}))
    same(name, lambda e: e.encode("hello world", disallowed_special={"world"}))
    same(name, lambda e: e.encode_batch(["ok", "<|endoftext|>"]))
    same(name, lambda e: e.encode_to_numpy("<|endoftext|>"))
    same(name, lambda e: e.encode_with_unstable("<|endoftext|>"))
    same(name, lambda e: e.decode([e.max_token_value + 1]))
    same(name, lambda e: e.decode_bytes([10**6]))
    same(name, lambda e: e.decode_single_token_bytes(10**6))
    same(name, lambda e: e.decode_single_token_bytes(e.eot_token))
    same(name, lambda e: e.encode_single_token("not one token at all"))
    same(name, lambda e: e.encode_single_token(b"\xff\xfe\xfd"))
    same(name, lambda e: e.encode_single_token("<|endoftext|>"))
    same(name, lambda e: e.decode_bytes([-1]))
    same(name, lambda e: e.is_special_token("x"))
    assert e.n_vocab == ours(name).n_vocab


@pytest.mark.parametrize("name", ["gpt2", "cl100k_base"])
def test_special_arguments_like_tiktoken(name):
    """A false `disallowed_special` turns the check off, as in tiktoken; the
    private CoreBPE takes a set, as tiktoken's does."""
    text = "a <|endoftext|> b"
    for d in [None, (), set(), frozenset(), [], ""]:
        same(name, lambda e: e.encode(text, disallowed_special=d))
        # completions are a set in both (their order is not part of the API)
        same(name, lambda e: (lambda r: (r[0], sorted(r[1])))(
            e.encode_with_unstable(text, disallowed_special=d)))
    same(name, lambda e: e.encode_to_numpy(text, disallowed_special=None).tolist())
    same(name, lambda e: e.encode(text, allowed_special=frozenset({"<|endoftext|>"})))
    same(name, lambda e: e._core_bpe.encode(text, {"<|endoftext|>"}))
    same(name, lambda e: e._core_bpe.encode(text, frozenset()))
    # A bare string is not a set of tokens: a TypeError in both (tiktoken's
    # is `set - str`'s; towel says what to write instead).
    for f in [ours(name), peer(name)]:
        with pytest.raises(TypeError):
            f.encode(text, allowed_special="<|endoftext|>")
    with pytest.raises(TypeError, match=r"write \{'<\|endoftext\|>'\}"):
        ours(name).encode(text, allowed_special="<|endoftext|>")


@pytest.mark.parametrize("num_threads", [None, 1, 2, 2.0, 1.5, 10**20])
def test_num_threads_like_tiktoken(num_threads):
    """tiktoken hands `num_threads` to a ThreadPoolExecutor, which takes None
    (its default), floats and any size."""
    texts = ["hello world", "<|endoftext|> x", "日本"] * 5
    same("cl100k_base", lambda e: e.encode_ordinary_batch(texts, num_threads=num_threads))
    same("cl100k_base", lambda e: e.encode_batch(texts, num_threads=num_threads, allowed_special="all"))
    same("cl100k_base", lambda e: e.decode_batch([[15339, 1917]] * 9, num_threads=num_threads))
    same("cl100k_base", lambda e: e.decode_bytes_batch([[15339]] * 9, num_threads=num_threads))
    for bad in [0, -1]:
        for f in [ours("cl100k_base"), peer("cl100k_base")]:
            with pytest.raises(ValueError):
                f.encode_ordinary_batch(texts, num_threads=bad)


class _Sub(int):
    pass


# Every form of argument a caller may pass for ids: towel reads exact lists
# of exact ints directly (crates/python/src/lists.rs) and everything else
# through PyO3's path, so values and errors must equal tiktoken's for each.
ID_ARGUMENTS = [
    [], [15339, 1917], (15339, 1917), [True, False, 1], [_Sub(15339), 1917],
    [15339, 2**32 - 1], [15339, 2**32], [2**64], [-5], [15339, -1], [1.0], [None],
    "ab", b"ab", [15339, "x"], [2**31, 15339], [0, 255, 256],
    # one and two 30-bit digits (lists.rs reads an int's digits directly)
    [2**30 - 1], [15339, 2**30], [2**30 + 5, 15339], [2**60], [-(2**30)],
    None, 3, 1.5, {1: 2}, {15339}, range(15339, 15341), [[15339]], [(15339,)], [3],
]


def test_cpython_takes_the_direct_paths():
    """lists.rs fills and reads lists through their item arrays, and reads
    ints by their digits, where the layouts it checks once hold: on CPython
    they do (3.9-3.11 keep an int's digit count, 3.12 on a tagged one), so
    the tests above ran those paths, not only the fallbacks."""
    from towel import _towel

    if sys.implementation.name != "cpython":
        pytest.skip("only CPython's layouts are known")
    assert _towel.fast_paths() == (True, "sized" if sys.version_info < (3, 12) else "tagged")


@pytest.mark.parametrize("name", MAIN)
@pytest.mark.parametrize("ids", ID_ARGUMENTS, ids=repr)
def test_id_arguments_like_tiktoken(name, ids):
    same(name, lambda e: e.decode_bytes(ids))
    same(name, lambda e: e.decode(ids))
    same(name, lambda e: e.decode_bytes_batch([ids, [15339]]))
    same(name, lambda e: e.decode_bytes_batch([[15339], ids], num_threads=2))
    same(name, lambda e: e.decode_bytes_batch((ids, ids)))
    same(name, lambda e: e.decode_bytes_batch(ids))


@pytest.mark.parametrize("name", MAIN)
def test_big_batches_read_on_threads_like_tiktoken(name):
    """A batch big enough to be read on two threads (`id_batch_on` in
    lists.rs): the same bytes as tiktoken, and the same outcome when one
    item deep in a late list is something else."""
    rng = random.Random(0)
    batch = [[rng.randrange(50000) for _ in range(2000)] for _ in range(40)]
    same(name, lambda e: e.decode_bytes_batch(batch, num_threads=2))
    for bad in (-1, 2**32, 2**30 + 5, "x", True, _Sub(7), None):
        b = [list(ids) for ids in batch]
        b[37][1500] = bad
        same(name, lambda e: e.decode_bytes_batch(b, num_threads=2))
    b = [list(ids) for ids in batch]
    b[30] = tuple(b[30])
    same(name, lambda e: e.decode_bytes_batch(b, num_threads=2))


@pytest.mark.parametrize("name", MAIN)
def test_numpy_id_arguments_like_tiktoken(name):
    for dtype in (np.int64, np.uint32, np.int32, np.uint64):
        a = np.array([15339, 1917], dtype=dtype)
        same(name, lambda e: e.decode_bytes(a))
        same(name, lambda e: e.decode_bytes(list(a)))
        same(name, lambda e: e.decode_bytes_batch([a, [15339]]))
        same(name, lambda e: e.decode_bytes_batch([[15339], list(a)]))


def test_model_table_and_errors():
    import tiktoken

    import towel

    for model in ["gpt2", "gpt-4", "gpt-4o", "gpt-4o-2024-05-13", "gpt-3.5-turbo-0301", "o1",
                  "gpt-oss-120b", "ft:gpt-4o:org", "text-embedding-3-small", "davinci",
                  "text-davinci-edit-001", "gpt-5-mini", "code-cushman-001"]:
        assert towel.encoding_name_for_model(model) == tiktoken.encoding_name_for_model(model)
    for bad in ["", "llama-3", "gpt"]:
        with pytest.raises(KeyError) as a:
            towel.encoding_name_for_model(bad)
        with pytest.raises(KeyError) as b:
            tiktoken.encoding_name_for_model(bad)
        assert str(a.value) == str(b.value)
    assert towel.model.MODEL_TO_ENCODING == tiktoken.model.MODEL_TO_ENCODING
    assert towel.model.MODEL_PREFIX_TO_ENCODING == tiktoken.model.MODEL_PREFIX_TO_ENCODING


def test_registry():
    import tiktoken

    import towel

    need_data()
    assert sorted(towel.list_encoding_names()) == sorted(tiktoken.list_encoding_names())
    assert towel.get_encoding("cl100k_base") is towel.get_encoding("cl100k_base")
    assert towel.encoding_for_model("gpt-4o") is towel.get_encoding("o200k_base")
    with pytest.raises(ValueError, match="^Unknown encoding nope.\n"):
        towel.get_encoding("nope")
    with pytest.raises(ValueError, match="Expected a string in get_encoding"):
        towel.get_encoding(5)
    assert isinstance(towel.__version__, str)
    # The constructors' names and explicit vocabulary sizes are tiktoken_ext's
    # (its functions download the files, so only their source is compared).
    import inspect

    import tiktoken_ext.openai_public as public

    assert sorted(towel.registry.ENCODING_CONSTRUCTORS) == sorted(public.ENCODING_CONSTRUCTORS)
    for name, ctor in public.ENCODING_CONSTRUCTORS.items():
        src = inspect.getsource(ctor)
        ours = towel.registry.ENCODING_CONSTRUCTORS[name]()
        assert ("explicit_n_vocab" in src) == ("explicit_n_vocab" in ours), name
        if "explicit_n_vocab" in ours:
            assert f'"explicit_n_vocab": {ours["explicit_n_vocab"]}' in src


def test_get_encoding_is_thread_safe():
    code = textwrap.dedent("""
        import concurrent.futures, towel
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            encs = list(ex.map(lambda _: towel.get_encoding("r50k_base"), range(16)))
        assert all(e is encs[0] for e in encs)
        print("ok")
    """)
    need_data()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("name", ALL_ENCODINGS)
def test_reference_text(name):
    d = need_data()
    text = (d / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    ids = ours(name).encode_ordinary(text)
    assert ids == peer(name).encode_ordinary(text)
    assert ours(name).encode_to_numpy(text).tolist() == ids
    assert ours(name).count_tokens(text) == len(ids)
    assert ours(name).decode(ids) == text
    lines = text.splitlines(keepends=True)[:2000]
    assert ours(name).encode_batch(lines, allowed_special="all") == peer(name).encode_batch(
        lines, allowed_special="all")


def test_scifact_text():
    import json

    d = need_data()
    docs = []
    with open(d / "ir" / "scifact" / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            x = json.loads(line)
            docs.append(f"{x['title']}\n{x['text']}")
    for name in ["cl100k_base", "o200k_base"]:
        assert ours(name).encode_ordinary_batch(docs, num_threads=2) == \
            peer(name).encode_ordinary_batch(docs, num_threads=2)


def test_long_inputs_never_fail():
    # tiktoken 0.14 overflows its stack on o200k and a megabyte of spaces; towel must not.
    text = " " * 1_000_000
    enc = ours("o200k_base")
    ids = enc.encode_ordinary(text)
    assert enc.decode(ids) == text


def test_lone_surrogates_as_tiktoken():
    for text in ["\ud800", "a\udfffb", "x\ud83d\ude00y", "\ud83d"]:
        for name in MAIN:
            same(name, lambda e: e.encode(text))
            same(name, lambda e: e.encode_ordinary(text))
            same(name, lambda e: e.encode_ordinary_batch([text, "ok"]))
            same(name, lambda e: e.encode_batch([text]))
            # tiktoken's encode_to_numpy raises UnicodeEncodeError here (it skips
            # the fix-up its other methods do); towel gives what encode gives.
            assert ours(name).encode_to_numpy(text).tolist() == peer(name).encode(text)


def test_numpy_output():
    enc = ours("cl100k_base")
    a = enc.encode_to_numpy("hello world")
    assert a.dtype == np.uint32
    assert a.tolist() == [15339, 1917]
    assert enc.encode_to_numpy("").shape == (0,)
    assert enc.decode(a) == "hello world"
    assert enc.decode(np.array([15339, 1917], dtype=np.int64)) == "hello world"


def test_pickling():
    import towel

    for name in ["r50k_base", "o200k_harmony"]:
        enc = ours(name)
        data = pickle.dumps(enc)
        assert len(data) < 200  # by name
        assert pickle.loads(data) .encode("hello <|endoftext|>", allowed_special="all") == \
            enc.encode("hello <|endoftext|>", allowed_special="all")
    base = ours("r50k_base")
    custom = towel.Encoding("custom", pat_str=base._pat_str, mergeable_ranks=base._mergeable_ranks,
                            special_tokens={"<|pickle|>": 100_000})
    back = pickle.loads(pickle.dumps(custom))
    assert back.encode("<|pickle|> hi", allowed_special="all") == [100_000, 23105]
    assert back.name == "custom" and back.n_vocab == 100_001


def test_custom_encoding_like_tiktoken():
    import tiktoken

    import towel

    base = peer("cl100k_base")
    for pat in [base._pat_str, r"\w+|\s+|[^\w\s]+", r"(?i)[a-z]+|\d|\s|."]:
        kw = dict(name="c", pat_str=pat, mergeable_ranks=base._mergeable_ranks,
                  special_tokens={"<|x|>": 200_000})
        a, b = towel.Encoding(**kw), tiktoken.Encoding(**kw)
        for text in ["Hello, World! 1234 <|x|>", "  dont't  \n\n x", "日本語 text"]:
            assert a.encode(text, allowed_special="all") == b.encode(text, allowed_special="all")
            assert a.encode_ordinary(text) == b.encode_ordinary(text)
        assert a.n_vocab == b.n_vocab == 200_001
    with pytest.raises(AssertionError):
        towel.Encoding("c", pat_str=".", mergeable_ranks=base._mergeable_ranks, special_tokens={},
                       explicit_n_vocab=5)


def test_batches_on_threads_give_the_same_ids():
    d = need_data()
    text = (d / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    chunks = [text[i:i + 5000] for i in range(0, len(text), 5000)]
    enc = ours("cl100k_base")
    one = enc.encode_ordinary_batch(chunks, num_threads=1)
    assert enc.encode_ordinary_batch(chunks, num_threads=2) == one
    assert enc.encode_ordinary_batch(chunks) == one
    assert enc.encode_ordinary_batch(tuple(chunks)) == one
    assert enc.encode_batch(chunks, num_threads=2) == one
    assert one == [enc.encode_ordinary(c) for c in chunks]
    # Python threads sharing one Encoding (the GIL is released while encoding).
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        assert list(ex.map(enc.encode_ordinary, chunks)) == one
    with pytest.raises(ValueError, match="num_threads"):
        enc.encode_ordinary_batch(chunks, num_threads=0)


def test_count_tokens():
    import towel

    need_data()
    enc = ours("cl100k_base")
    for text in ["", "hello world", "a <|endoftext|> b", " " * 1000, "日本語のテキスト"]:
        for kw in [dict(disallowed_special=()), dict(allowed_special="all")]:
            assert towel.count_tokens(text, "cl100k_base", **kw) == len(enc.encode(text, **kw))
            assert towel.count_tokens(text, enc, **kw) == len(enc.encode(text, **kw))
    with pytest.raises(ValueError) as a:
        towel.count_tokens("a <|endoftext|> b")
    with pytest.raises(ValueError) as b:
        enc.encode("a <|endoftext|> b")
    assert str(a.value) == str(b.value)
    assert towel.count_tokens(["hello world", "x"], num_threads=2) == [2, 1]


def test_load_module_like_tiktoken(tmp_path):
    import tiktoken.load

    import towel.load

    d = need_data()
    path = str(d / "vocab" / "r50k_base.tiktoken")
    ranks = towel.load.load_tiktoken_bpe(path)
    assert ranks == tiktoken.load.load_tiktoken_bpe(path)
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    assert towel.load.load_tiktoken_bpe(path, expected_hash=sha) == ranks
    out = tmp_path / "r.tiktoken"
    towel.load.dump_tiktoken_bpe(ranks, str(out))
    assert out.read_bytes() == open(path, "rb").read()
    towel.load.dump_tiktoken_bpe(ranks, tmp_path / "as-path.tiktoken")  # an os.PathLike too
    assert (tmp_path / "as-path.tiktoken").read_bytes() == out.read_bytes()
    g = d / "vocab" / "gpt2"
    assert towel.load.data_gym_to_mergeable_bpe_ranks(str(g / "vocab.bpe"), str(g / "encoder.json")) \
        == tiktoken.load.data_gym_to_mergeable_bpe_ranks(str(g / "vocab.bpe"), str(g / "encoder.json"))
    bad = tmp_path / "bad.tiktoken"
    bad.write_bytes(b"aGk= 0\nnot-a-line\n")
    with pytest.raises(ValueError) as a:
        towel.load.load_tiktoken_bpe(str(bad))
    with pytest.raises(ValueError) as b:
        tiktoken.load.load_tiktoken_bpe(str(bad))
    assert str(a.value) == str(b.value)


def _run_isolated(code: str, env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in ("TOWEL_DATA_DIR", "TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**base, **env})


def test_tiktoken_cache_lookup(tmp_path):
    """A machine that already used tiktoken works offline at once: files named
    by the sha1 of their URL in tiktoken's cache, checked by sha256."""
    d = need_data()
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    url = "https://openaipublic.blob.core.windows.net/encodings/r50k_base.tiktoken"
    (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(
        (d / "vocab" / "r50k_base.tiktoken").read_bytes())
    code = "import towel; print(towel.get_encoding('r50k_base').encode('hello world'))"
    env = {"TOWEL_CACHE_DIR": str(tmp_path / "empty"), "TOWEL_OFFLINE": "1"}
    for var in ["TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"]:
        r = _run_isolated(code, {**env, var: str(cache)})
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "[31373, 995]"
    # A damaged copy is never used.
    (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(b"aGk= 0\n")
    r = _run_isolated(code, {**env, "TIKTOKEN_CACHE_DIR": str(cache)})
    assert r.returncode != 0
    assert "r50k_base" in r.stderr and "not found" in r.stderr
    # Nothing anywhere and offline: a clear error naming what to do.
    r = _run_isolated(code, {**env, "TIKTOKEN_CACHE_DIR": ""})
    assert r.returncode != 0 and "TOWEL_DATA_DIR" in r.stderr
