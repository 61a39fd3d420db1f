"""SIGINT and SIGTERM during a replay: stop the suite cleanly instead of dying."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from ._app import state


class SignalStop:
    """While replaying, SIGINT and SIGTERM set ``event`` instead of killing replaycase.

    The suite then starts nothing more, ends every runner and returns what it has. Signals
    can be caught only in the main thread: elsewhere (a host's worker thread) nothing is
    installed. Once a signal came, the handler stays for the rest of the exit, so a second
    Ctrl-C changes nothing.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: signal.Signals | None = None
        self._previous: dict[signal.Signals, Any] = {}

    def __enter__(self) -> SignalStop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._caught)
        return self

    def _caught(self, signum: int, frame: FrameType | None) -> None:
        if self.signal is None:
            self.signal = signal.Signals(signum)
        state["interrupted"] = True
        self.event.set()

    def __exit__(self, *exc_info: object) -> None:
        if self.signal is None:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
