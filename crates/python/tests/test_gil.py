"""Encoding and decoding run with the GIL released: another Python thread
runs *during* the call.

How the check cannot pass with the GIL held: the switch interval is set to
1000 s, so the interpreter never takes the GIL away from a running thread;
the only way the main thread gets to run is that the worker releases it.
The worker sets `inside` just before the call and clears it just after,
with no statement in between that could release the GIL; the main thread
records whether it ever saw `inside` set. A call that held the GIL
throughout could never be observed (the control test shows it with
`sorted`, which holds the GIL). No timing threshold: on a loaded machine
the worker simply repeats the call until the main thread has been seen
inside it (or a generous deadline passes, which fails the test).
"""

from __future__ import annotations

import sys
import threading
import time

import pytest

from conftest import need_data, ours

import towel


def seen_inside(call, deadline_s: float = 60.0, wanted: int = 3) -> int:
    """How many times the main thread ran while a worker thread was inside
    `call()` (stops at `wanted`, or at the deadline)."""
    state = {"inside": False, "seen": 0, "stop": False, "error": None}
    end = time.monotonic() + deadline_s

    def worker():
        try:
            while not state["stop"] and time.monotonic() < end:
                state["inside"] = True
                call()
                state["inside"] = False
        except BaseException as e:  # noqa: BLE001  (reported by the main thread)
            state["error"] = e
            state["inside"] = False

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        t = threading.Thread(target=worker)
        t.start()
        while t.is_alive():
            if state["inside"]:
                state["seen"] += 1
                if state["seen"] >= wanted:
                    state["stop"] = True
            time.sleep(0.0002)  # releases the GIL, so the worker can continue
        t.join()
    finally:
        sys.setswitchinterval(old)
    if state["error"] is not None:
        raise state["error"]
    return state["seen"]


@pytest.fixture(scope="module")
def big():
    d = need_data()
    text = (d / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    enc = ours("cl100k_base")
    ids = enc.encode_ordinary(text)
    chunks = [text[i:i + 20_000] for i in range(0, len(text), 20_000)]
    return enc, text, ids, chunks


CALLS = {
    "encode_ordinary": lambda enc, text, ids, chunks: enc.encode_ordinary(text),
    "encode": lambda enc, text, ids, chunks: enc.encode(text, disallowed_special=()),
    "encode_to_numpy": lambda enc, text, ids, chunks: enc.encode_to_numpy(text),
    "encode_ordinary_batch 1 thread": lambda enc, text, ids, chunks:
        enc.encode_ordinary_batch(chunks, num_threads=1),
    "encode_ordinary_batch 2 threads": lambda enc, text, ids, chunks:
        enc.encode_ordinary_batch(chunks, num_threads=2),
    "encode_batch": lambda enc, text, ids, chunks: enc.encode_batch(chunks, num_threads=2),
    "count_tokens": lambda enc, text, ids, chunks: towel.count_tokens(text, "cl100k_base"),
    "decode": lambda enc, text, ids, chunks: enc.decode(ids),
    "decode_bytes": lambda enc, text, ids, chunks: enc.decode_bytes(ids),
    "decode_bytes_batch": lambda enc, text, ids, chunks:
        enc.decode_bytes_batch([ids, ids], num_threads=2),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_runs_with_the_gil_released(big, name):
    enc, text, ids, chunks = big
    call = CALLS[name]
    assert seen_inside(lambda: call(enc, text, ids, chunks)) >= 1, \
        f"{name}: no other Python thread ran during the call (GIL held)"


def test_the_check_fails_for_a_call_that_holds_the_gil():
    # `sorted` on a list of ints never releases the GIL: the main thread
    # is never seen inside it, however long it runs.
    data = list(range(300_000, 0, -1))
    assert seen_inside(lambda: sorted(data), deadline_s=1.0) == 0
