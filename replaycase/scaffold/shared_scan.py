"""The secret scan of a big run's text, shared between scaffold's process and a forked child.

The child is forked before the trace is imported, so it shares none of the run's objects
(writing to shared pages would copy them one by one) and imports nothing itself. Once scaffold
has serialized the run, it hands the child the text through an in-memory file and derives the
case, while the child runs detectors (units of ``BigTextScan``) taken from one queue, a pipe
holding a byte per detector. Scaffold takes what is left of the queue once it has derived the
case, so whichever process is free takes the next. The spans are put back in detector order:
exactly what ``find_spans`` finds in one process. A detector the child took but never reported
on (it failed in any way) is run by scaffold itself.
"""

from __future__ import annotations

import mmap
import os
from types import TracebackType

from ..forked import Forked, ForkFailed, Send, read_exactly
from ..secrets import DETECTORS, BigTextScan, Span

_SIZE = 8
"""Bytes scaffold writes to the child once the text is in the in-memory file: its size."""


class SharedScan:
    """The spans every detector finds in a run's text, with a forked child's help. Use as a
    context manager: the child is killed and every descriptor closed whatever happens."""

    def __init__(self, child: Forked, queue: int, text_file: int, go: int) -> None:
        self._child = child
        self._queue = queue
        self._text_file = text_file
        self._go: int | None = go
        self.helped = 0
        """How many detectors the child ran (known once ``detected`` returns)."""

    @classmethod
    def start(cls) -> SharedScan | None:
        """Fork the child, which waits for the text; None when forking is not possible here."""
        opened: list[int] = []
        try:  # out of file descriptors: scan in this process
            queue, fill = os.pipe()
            opened += (queue, fill)
            os.write(fill, bytes(range(DETECTORS)))
            text_file = os.memfd_create("replaycase-text", os.MFD_CLOEXEC)
            opened.append(text_file)
            wait, go = os.pipe()
            opened += (wait, go)
        except OSError:
            _close(opened)
            return None
        os.close(fill)  # once empty, the queue reads as closed
        child = Forked.start(_scan_handed_text, queue, text_file, wait, go)
        os.close(wait)
        if child is None:
            _close([queue, text_file, go])
            return None
        return cls(child, queue, text_file, go)

    def hand(self, data: bytes) -> None:
        """Give the child the text to scan, encoded as UTF-8; it starts at once."""
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._text_file, view):]
            if self._go is not None:
                os.write(self._go, len(data).to_bytes(_SIZE, "little"))
        except OSError:  # no room for the text: the child gets none, and this process scans
            self._child.close()
        self._close_go()

    def detected(self, text: str) -> list[Span]:
        """What every detector finds in ``text`` (the text whose UTF-8 was given to ``hand``),
        in detector order."""
        self._close_go()  # a child still waiting for a text gets none and ends
        scan = BigTextScan(text)
        found = _take_units(scan, self._queue)
        try:
            theirs = self._child.receive()
        except ForkFailed:
            theirs = {}
        for index in range(DETECTORS):
            if index not in found:
                spans = theirs.get(index) if isinstance(theirs, dict) else None
                if isinstance(spans, list) and all(isinstance(s, Span) for s in spans):
                    found[index] = spans
                    self.helped += 1
                else:
                    found[index] = scan.spans(index)
        return [span for index in range(DETECTORS) for span in found[index]]

    def _close_go(self) -> None:
        if self._go is not None:
            os.close(self._go)
            self._go = None

    def __enter__(self) -> SharedScan:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._child.close()
        self._close_go()
        _close([self._queue, self._text_file])


def _scan_handed_text(send: Send, queue: int, text_file: int, wait: int, go: int) -> None:
    """The child's part: wait for the text, then send what the detectors it took found."""
    os.close(go)
    header = read_exactly(wait, _SIZE)
    if len(header) < _SIZE:
        return  # scaffold went on without the child
    size = int.from_bytes(header, "little")
    if not size:
        text = ""
    else:
        with mmap.mmap(text_file, size, prot=mmap.PROT_READ) as mapped:
            text = str(mapped, "utf-8")
    send(_take_units(BigTextScan(text), queue))


def _take_units(scan: BigTextScan, queue: int) -> dict[int, list[Span]]:
    found = {}
    while unit := os.read(queue, 1):
        found[unit[0]] = scan.spans(unit[0])
    return found


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)
