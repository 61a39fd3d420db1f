"""forked.py: a function in a forked child; any failure of the child is a ForkFailed."""

from __future__ import annotations

import os
import threading
import time

import pytest

from replaycase import forked
from replaycase.forked import Forked, ForkFailed, Send

pytestmark = pytest.mark.skipif(not forked.can_fork(), reason="forking is Linux-only here")


def _two_messages(send: Send, base: int) -> None:
    send({"n": base, "text": "é" * 100_000})
    send([base + 1])


def test_messages_arrive_in_order_and_whole() -> None:
    child = Forked.start(_two_messages, 41)
    assert child is not None
    with child:
        assert child.receive() == {"n": 41, "text": "é" * 100_000}
        assert child.receive() == [42]
        with pytest.raises(ForkFailed, match="without sending"):
            child.receive()


def _raises(send: Send) -> None:
    send("first")
    raise RuntimeError("boom")


def _exits(send: Send) -> None:
    os._exit(3)


def _killed(send: Send) -> None:
    os.kill(os.getpid(), 9)


@pytest.mark.parametrize("work", [_exits, _killed])
def test_a_child_that_dies_is_a_fork_failure(work: object) -> None:
    child = Forked.start(work)  # type: ignore[arg-type]
    assert child is not None
    with child, pytest.raises(ForkFailed):
        child.receive()


def test_what_was_sent_before_an_exception_still_arrives() -> None:
    with Forked.start(_raises) as child:  # type: ignore[union-attr]
        assert child.receive() == "first"
        with pytest.raises(ForkFailed):
            child.receive()


def _hangs(send: Send) -> None:
    time.sleep(600)


def test_close_kills_a_child_that_hangs() -> None:
    child = Forked.start(_hangs)
    assert child is not None
    pid = child._pid
    started = time.monotonic()
    child.close()
    child.close()  # twice is harmless
    assert time.monotonic() - started < 5
    with pytest.raises(ForkFailed, match="closed"):  # its descriptors are not read again
        child.receive()
    deadline = time.monotonic() + 10
    while pid in forked._unreaped and time.monotonic() < deadline:
        time.sleep(0.01)
        forked.reap()
    assert pid not in forked._unreaped


def test_no_fork_when_disabled_or_threaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLAYCASE_FORK", "0")
    assert Forked.start(_two_messages, 1) is None
    monkeypatch.delenv("REPLAYCASE_FORK")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forked.can_fork()
        assert Forked.start(_two_messages, 1) is None
    finally:
        stop.set()
        thread.join()
    assert forked.can_fork()


def test_no_fork_when_out_of_descriptors(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted() -> tuple[int, int]:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(os, "pipe", exhausted)
    before = len(os.listdir("/proc/self/fd"))
    assert Forked.start(_two_messages, 1) is None
    assert len(os.listdir("/proc/self/fd")) == before
