"""The extras' files and arguments under the `towel` command's rules: an
output is never one of the inputs, an existing file of another kind is not
replaced unless `force=True`, errors keep their cause and have the type
Python's own file functions give, document ids follow the corpus readers'
rules, and results are writable arrays."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

from conftest import towel_bin

import towel

CORPUS = '{"_id": "d1", "text": "cats purr"}\n{"_id": "d2", "text": "dogs bark at cats"}\n'


def corpus(tmp_path, name="wc.jsonl"):
    p = tmp_path / name
    p.write_text(CORPUS, encoding="utf-8")
    return p


def test_save_refuses_the_files_the_index_was_built_from(tmp_path):
    wc = corpus(tmp_path)
    index = towel.BM25(wc)
    with pytest.raises(ValueError, match=r"refusing to write .*wc\.jsonl: it is the input .*wc\.jsonl \(choose another output path\)"):
        index.save(wc)
    with pytest.raises(ValueError, match="it is the input"):
        index.save(wc, force=True)  # force does not make an input an output
    # Through another name of the same file.
    os.link(wc, tmp_path / "alias.idx")
    with pytest.raises(ValueError, match="it is the input"):
        index.save(tmp_path / "alias.idx")
    assert wc.read_text(encoding="utf-8") == CORPUS
    # A BEIR folder's corpus.jsonl, and a folder of .txt documents.
    beir = tmp_path / "beir"
    beir.mkdir()
    corpus(beir, "corpus.jsonl")
    with pytest.raises(ValueError, match="it is the input"):
        towel.TfIdf(beir).save(beir / "corpus.jsonl")
    assert (beir / "corpus.jsonl").read_text(encoding="utf-8") == CORPUS
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text("cats purr\n")
    (notes / "b.txt").write_text("dogs bark\n")
    txt = towel.BM25(notes)
    with pytest.raises(ValueError, match="it is the input"):
        txt.save(notes / "a.txt", force=True)
    assert (notes / "a.txt").read_text() == "cats purr\n"
    with pytest.raises(ValueError, match="into the folder of .txt documents it indexes"):
        txt.save(notes / "index.txt")
    assert not (notes / "index.txt").exists()
    txt.save(notes / "notes.idx")
    assert towel.BM25.load(notes / "notes.idx").doc_ids == ["a", "b"]


def test_save_replaces_an_index_and_nothing_else_unless_forced(tmp_path):
    index = towel.BM25(["a b", "c d"])
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    npy = tmp_path / "base.npy"
    np.save(npy, np.zeros(3))
    npy_bytes = npy.read_bytes()
    for path in (notes, npy):
        with pytest.raises(FileExistsError, match=r"refusing to replace .*: it exists and is not a towel index \(pass force=True to replace it anyway\)"):
            index.save(path)
    assert notes.read_text() == "my notes\n" and npy.read_bytes() == npy_bytes
    index.save(notes, force=True)
    assert len(towel.BM25.load(notes)) == 2
    # An index is replaced without force; an empty file too.
    towel.BM25(["x"]).save(notes)
    assert len(towel.BM25.load(notes)) == 1
    empty = tmp_path / "empty.idx"
    empty.write_bytes(b"")
    index.save(empty)
    assert len(towel.BM25.load(empty)) == 2


def test_the_refusals_are_the_commands_messages(tmp_path):
    exe = towel_bin()
    if exe is None:
        pytest.skip("the towel command is not built (cargo build -p towel-cli)")
    wc = corpus(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    for out, exc in ((wc, ValueError), (notes, FileExistsError)):
        cli = subprocess.run([str(exe), "index", "--corpus", str(wc), "--out", str(out)],
                             capture_output=True, text=True)
        assert cli.returncode != 0
        with pytest.raises(exc) as e:
            towel.BM25(wc).save(out)
        want = cli.stderr.strip().removeprefix("error: ").replace("--force", "force=True")
        assert str(e.value) == want


def test_train_bpe_refuses_its_inputs_and_other_files(tmp_path):
    text = "the cat sat on the mat\n" * 5
    wc = tmp_path / "wc.json"
    wc.write_text(text)
    with pytest.raises(ValueError, match=r"refusing to write .*wc\.json: it is the input"):
        towel.train_bpe([wc], 300, out=wc)
    assert wc.read_text() == text
    data = tmp_path / "data.json"
    data.write_text('{"a": 1}\n')
    ranks = tmp_path / "notes.tiktoken"
    ranks.write_text("just some notes\n")
    for out in (data, ranks, [tmp_path / "new.tiktoken", data]):
        with pytest.raises(FileExistsError, match=r"it exists and is not a tokenizer file .*\(pass force=True"):
            towel.train_bpe([text], 260, out=out, files=False)
    # All or none: the first output was not written either.
    assert not (tmp_path / "new.tiktoken").exists()
    assert data.read_text() == '{"a": 1}\n' and ranks.read_text() == "just some notes\n"
    with pytest.raises(ValueError, match="are the same file"):
        towel.train_bpe([text], 260, out=[tmp_path / "t.json", tmp_path / "t.json"], files=False)
    enc = towel.train_bpe([text], 260, out=data, files=False, force=True)
    assert json.loads(data.read_text())["model"]["type"] == "BPE"
    # A tokenizer file is replaced without force.
    towel.train_bpe([text], 262, out=[data, ranks], files=False, force=True)
    again = towel.train_bpe([text], 264, out=[data, ranks], files=False)
    assert again.n_vocab == 264 and enc.n_vocab == 260
    assert len(json.loads(data.read_text())["model"]["vocab"]) == 264


def test_errors_keep_their_cause_and_type(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match=r"cannot read .*folder: not a regular file \(a device, a pipe or a folder\); give a file"):
        towel.BM25.load(folder)
    with pytest.raises(FileNotFoundError, match=r"missing\.idx: No such file or directory"):
        towel.BM25.load(tmp_path / "missing.idx")
    with pytest.raises(FileNotFoundError, match=r"cannot open nope: No such file or directory"):
        towel.train_bpe(["nope"], 300, files=True)
    with pytest.raises(IsADirectoryError, match="folder"):
        towel.train_bpe([folder], 300, files=True)
    index = towel.BM25(["a b"])
    with pytest.raises(IsADirectoryError, match="it is not a regular file"):
        index.save(folder)
    (tmp_path / "d.json").mkdir()
    with pytest.raises(IsADirectoryError, match="it is not a regular file"):
        towel.train_bpe(["a b"], 260, files=False, out=tmp_path / "d.json")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match="read-only"):
            index.save(ro / "x.idx")
        with pytest.raises(PermissionError, match="read-only"):
            towel.train_bpe(["a b"], 260, files=False, out=ro / "x.tiktoken")
    finally:
        ro.chmod(0o755)
    assert list(ro.iterdir()) == []
    corpus(tmp_path)
    with pytest.raises(NotADirectoryError, match=r"wc\.jsonl is not a folder"):
        index.save(tmp_path / "wc.jsonl" / "x.idx")


def test_document_ids_follow_the_corpus_rules(tmp_path):
    docs = ["cat", "dog"]
    for ids, i, what in ((["", "b"], 0, "empty document id; every document needs an id"),
                         (["a", "  "], 1, "empty document id"),
                         (["a\tb", "c"], 0, "contains a tab"),
                         (["a", "b\nc"], 1, "contains a line break"),
                         (["a", "b\r"], 1, "contains a line break")):
        for cls in (towel.BM25, towel.TfIdf):
            with pytest.raises(ValueError, match=rf"^ids\[{i}\]: .*{what}"):
                cls(docs, ids=ids)
    with pytest.raises(ValueError, match="duplicate document id `x`"):
        towel.BM25(docs, ids=["x", "x"])
    # A single string is not a list of ids (nor of titles).
    with pytest.raises(TypeError, match="ids must be a list of strings, not a single str"):
        towel.BM25(docs, ids="ab")
    with pytest.raises(TypeError, match="titles must be a list of strings, not a single str"):
        towel.BM25(docs, titles="ab")
    with pytest.raises(TypeError, match=r"ids\[1\] is int"):
        towel.BM25(docs, ids=["a", 2])
    assert towel.BM25(docs, ids=["doc 1", "doc-2"]).doc_ids == ["doc 1", "doc-2"]
    # The corpus readers apply the same rule to a JSONL file.
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"_id": "a\\tb", "text": "cat"}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:1: document id .* contains a tab"):
        towel.BM25(bad)
    # ids and titles belong to a list of texts, the field names to a path.
    with pytest.raises(TypeError, match="ids and titles go with a list of texts"):
        towel.BM25(corpus(tmp_path), ids=["a", "b"])
    with pytest.raises(TypeError, match="name the fields of a JSONL corpus path"):
        towel.BM25(docs, id_field="key")


def test_corpus_hints(tmp_path):
    towel.BM25(["a b"]).save(tmp_path / "a.idx")
    for cls, name in ((towel.BM25, "BM25"), (towel.TfIdf, "TfIdf")):
        with pytest.raises(ValueError, match=rf"a\.idx is a towel index, not a corpus: open it with towel\.{name}\.load\("):
            cls(tmp_path / "a.idx")
    other = tmp_path / "other.jsonl"
    other.write_text('{"key": "k1", "body": "cats purr", "head": "Cats"}\n'
                     '{"key": "k2", "body": "dogs bark"}\n')
    with pytest.raises(ValueError, match=r"other\.jsonl:1: no `_id` field \(fields present: .*\); name the JSONL fields with id_field=, text_field= and title_field="):
        towel.BM25(other)
    index = towel.BM25(other, id_field="key", text_field="body", title_field="head")
    assert index.doc_ids == ["k1", "k2"] and index._index.title(0) == "Cats"
    assert towel.TfIdf(other, id_field="key", text_field="body").search("cats")[0].tolist() == [0]


def test_train_bpe_on_text_that_is_not_utf8(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"the cat \xff sat on the mat\n" * 5)
    with pytest.raises(ValueError, match=r"not valid UTF-8 at byte offset 8; convert the file to UTF-8 \(or pass lossy=True to replace invalid bytes with U\+FFFD\)") as e:
        towel.train_bpe([bad], 300)
    assert "--lossy" not in str(e.value)
    enc = towel.train_bpe([bad], 270, lossy=True)
    assert enc.decode(enc.encode("the cat \ufffd sat")) == "the cat \ufffd sat"


def test_results_are_writable_arrays():
    index = towel.BM25(["cats purr", "dogs bark at cats", "birds sing"])
    ids, scores = index.search("cats", k=2)
    ids_b, scores_b = index.search_batch(["cats", "sing"], k=2)
    for a in (ids, scores, ids_b, scores_b):
        assert a.flags.writeable
        # A view of the buffer Rust filled, not a copy of it.
        base = a.base.base if isinstance(a.base, np.ndarray) else a.base
        assert isinstance(base, memoryview) and isinstance(base.obj, bytearray)
    ids[0] = 7
    scores_b[1, 1] = -1.0
    assert ids.tolist()[0] == 7 and scores_b[1].tolist()[1] == -1.0
    assert ids_b.tolist() == [[0, 1], [2, -1]]


def test_numbers_name_their_argument():
    index = towel.BM25(["cats purr", "dogs bark at cats"])
    # A k beyond the corpus (any size) is all of it.
    assert index.search("cats", 10**30)[0].tolist() == [0, 1]
    assert index.search_batch(["cats"], 10**30)[0].tolist() == [[0, 1]]
    assert index.search_batch(["cats"], num_threads=10**30)[0].tolist() == [[0, 1]]
    for n in (0, -1, -(10**30)):
        with pytest.raises(ValueError, match=f"^num_threads must be at least 1, got {n}$"):
            index.search_batch(["cats"], num_threads=n)
    with pytest.raises(TypeError, match="num_threads must be an int, not float"):
        index.search_batch(["cats"], num_threads=1.5)
    with pytest.raises(ValueError, match="^k must be at least 0, got -1"):
        index.search("cats", -1)
    for bad in (None, 5):
        with pytest.raises(TypeError, match=f"text must be a str or a list of str, not {type(bad).__name__}"):
            towel.count_tokens(bad)  # type: ignore[call-overload]
