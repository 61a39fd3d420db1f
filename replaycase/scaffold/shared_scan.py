"""The secret scan of a big run, shared between scaffold's process and a forked child.

The child is forked before the trace is imported, so the two share no objects (writing to
shared memory would copy it page by page). Both import the trace; the child serializes the
run and sends its text while the parent derives the case. Then both take detectors (units of
``BigTextScan``) from one queue, a pipe holding a byte per detector, until it is empty, so
whichever is free takes the next. The spans are put back in detector order: exactly what
``find_spans`` finds in one process. If the child fails, or imported a different run (the
file changed in between), the parent serializes the run or runs the detectors itself.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from types import TracebackType

from ..forked import Forked, ForkFailed, Send
from ..model import TraceRun
from ..secrets import DETECTORS, BigTextScan, Span


class SharedScan:
    """A run's text and the spans every detector finds in it, with a forked child's help.
    Use as a context manager: the child is killed and the queue closed whatever happens."""

    def __init__(self, child: Forked, queue: int) -> None:
        self._child = child
        self._queue = queue
        self._trusted = False

    @classmethod
    def start(cls, load: Callable[[], TraceRun]) -> SharedScan | None:
        """Fork the child, which imports its run with ``load``; None when forking is not
        possible here."""
        try:
            queue, fill = os.pipe()
        except OSError:  # out of file descriptors: scan in this process
            return None
        os.write(fill, bytes(range(DETECTORS)))
        os.close(fill)  # once empty, the queue reads as closed
        child = Forked.start(_serialize_and_scan, load, queue)
        if child is None:
            os.close(queue)
            return None
        return cls(child, queue)

    def text(self, run: TraceRun) -> str:
        """``run``'s native JSON text (``TraceRun.to_json``), from the child when it imported
        the same run."""
        try:
            identity, text = self._child.receive()
        except (ForkFailed, TypeError, ValueError):
            identity, text = None, None
        self._trusted = identity == _identity(run) and isinstance(text, str)
        if not self._trusted:  # stop it taking detectors this process must run anyway
            self._child.close()
            return run.to_json()
        return text

    def detected(self, text: str) -> list[Span]:
        """What every detector finds in ``text`` (from ``text()``), in detector order."""
        scan = BigTextScan(text)
        found = _take_units(scan, self._queue)
        theirs = {}
        if self._trusted:
            with contextlib.suppress(ForkFailed):
                theirs = self._child.receive()
        for index in range(DETECTORS):
            if index not in found:
                spans = theirs.get(index) if isinstance(theirs, dict) else None
                found[index] = spans if isinstance(spans, list) else scan.spans(index)
        return [span for index in range(DETECTORS) for span in found[index]]

    def __enter__(self) -> SharedScan:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._child.close()
        os.close(self._queue)


def _serialize_and_scan(send: Send, load: Callable[[], TraceRun], queue: int) -> None:
    """The child's part: the run's text, then what the detectors it took found."""
    run = load()
    text = run.to_json()
    send((_identity(run), text))
    send(_take_units(BigTextScan(text), queue))


def _identity(run: TraceRun) -> tuple[str, str | None, int]:
    return run.run_id, run.source.sha256 if run.source else None, len(run.events)


def _take_units(scan: BigTextScan, queue: int) -> dict[int, list[Span]]:
    found = {}
    while unit := os.read(queue, 1):
        found[unit[0]] = scan.spans(unit[0])
    return found
