"""One function run in a forked child process, on another core, while the caller goes on.

The child gets a copy-on-write view of the caller's memory, so nothing is sent to it. What it
sends back (``send``, any number of times) is pickled into an in-memory file (``memfd``), and
a pipe says where each message lies. Anything that goes wrong in the child (an exception, a
signal, a lost pipe) makes ``receive`` raise ``ForkFailed``, and the caller does the work
itself: forking only ever saves time. Forking is used only on Linux, in a process with a
single thread (forking a threaded process can deadlock the child), and not when
``REPLAYCASE_FORK=0``.
"""

from __future__ import annotations

import atexit
import contextlib
import mmap
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

_HEADER = 16
"""Bytes the child writes to the pipe once a message is in the memfd: its offset, its size."""
Send = Callable[[Any], None]


class ForkFailed(Exception):
    """The child gave no result; the caller does the work itself."""


def can_fork() -> bool:
    """Whether ``Forked.start`` would fork here."""
    return (sys.platform.startswith("linux") and hasattr(os, "memfd_create")
            and os.environ.get("REPLAYCASE_FORK", "1") != "0"
            and threading.active_count() == 1)


class Forked:
    """``work(send, *args)`` running in a child; ``receive()`` waits for the next message it
    sends. Use as a context manager, so the child is killed and reaped whatever happens."""

    def __init__(self, pid: int, ready: int, memfd: int) -> None:
        self._pid: int | None = pid
        self._ready = ready
        self._memfd = memfd

    @classmethod
    def start(cls, work: Callable[..., None], *args: Any) -> Forked | None:
        """Fork a child that runs ``work(send, *args)``; None when forking is not possible
        here."""
        if not can_fork():
            return None
        opened: list[int] = []
        try:  # out of file descriptors or processes: the caller does the work itself
            opened.append(memfd := os.memfd_create("replaycase-result", os.MFD_CLOEXEC))
            ready, done = os.pipe()
            opened += (ready, done)
            pid = os.fork()
        except OSError:
            for fd in opened:
                os.close(fd)
            return None
        if pid == 0:  # the child never returns from here
            _child(work, args, memfd, ready, done)
        os.close(done)
        return cls(pid, ready, memfd)

    def receive(self) -> Any:
        """The next message the child sends, once it is there; ``ForkFailed`` if none comes
        (or the child was closed)."""
        if self._pid is None:
            raise ForkFailed("the child was closed")
        header = read_exactly(self._ready, _HEADER)
        if len(header) < _HEADER:
            raise ForkFailed("the child ended without sending")
        offset, size = int.from_bytes(header[:8], "little"), int.from_bytes(header[8:], "little")
        try:
            with mmap.mmap(self._memfd, offset + size, prot=mmap.PROT_READ) as mapped:
                view = memoryview(mapped)
                try:
                    return pickle.loads(view[offset:])
                finally:
                    view.release()
        except Exception as exc:  # a short or corrupt message: do the work here instead
            raise ForkFailed(f"the child's message does not load: {exc}") from None

    def close(self) -> None:
        """Kill the child if it still runs and release the pipe and the memfd. The child is
        reaped without waiting: freeing a big child's memory takes a while, and the caller
        need not wait for it (``reap`` collects it later, at the latest when Python exits)."""
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _unreaped.append(pid)
        reap()
        os.close(self._ready)
        os.close(self._memfd)

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


_unreaped: list[int] = []


@atexit.register
def reap() -> None:
    """Collect the children that have ended (never waits)."""
    for pid in list(_unreaped):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _unreaped.remove(pid)


def _child(work: Callable[..., None], args: tuple[Any, ...], memfd: int, ready: int,
           done: int) -> None:
    offset = 0

    def send(message: Any) -> None:
        nonlocal offset
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(memfd, view):]
        os.write(done, offset.to_bytes(8, "little") + len(data).to_bytes(8, "little"))
        offset += len(data)

    code = 1
    try:
        os.close(ready)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the child at once
        work(send, *args)
        code = 0
    except BaseException:  # the parent does the work itself
        pass
    finally:
        os._exit(code)


def read_exactly(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd``, or fewer if it closes first."""
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            break
        data += chunk
    return data
