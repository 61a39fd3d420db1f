"""A runner's output: the capped log files it is written to, and their tails safe to print.

A log keeps its cap, and an overhang past it, so that whoever redacts the log sees whole the
secret the cap falls in before cutting it there (:func:`cut_marker`).
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .._safe_files import read_tail
from .._text import safe_start
from ..errors import InputError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def cut_marker(cap: int) -> bytes:
    """The line a log ends with when it was cut at ``cap`` bytes."""
    return f"\n[replaycase: output cut at {size_text(cap)}]\n".encode()


def size_text(n: int) -> str:
    """A byte count as people read it: "512 bytes", "2.0 KB", "10.0 MB"."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


class Sink:
    """A log file that keeps at most ``cap`` bytes (plus ``overhang``) and marks the cut."""

    def __init__(self, path: Path, cap: int, overhang: int = 0,
                 dir_fd: int | None = None) -> None:
        self.cap = cap
        self.limit = cap + overhang
        self.written = 0
        self.stopped = False
        name = Path(path).name if dir_fd is not None else path
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | _CLOEXEC
        fd = os.open(name, flags, 0o644, dir_fd=dir_fd)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")

    @property
    def truncated(self) -> bool:
        """Whether the stream went past the cap."""
        return self.stopped or self.written > self.cap

    def write(self, data: bytes) -> bool:
        """Keep ``data`` up to the cap and its overhang; True when this write went past
        them (the stream is to be stopped)."""
        if self.stopped:
            return False
        room = self.limit - self.written
        over = len(data) > room
        if over:
            data = data[:room]
            self.stopped = True
        self.written += len(data)
        self._write(data)
        return over

    def _write(self, data: bytes) -> None:
        if self._file is not None:
            try:
                self._file.write(data)
            except OSError:  # disk full or similar: stop logging, keep running
                self._drop()

    def _drop(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()

    def close(self) -> None:
        """Mark the cut, if the stream went past the cap, and close the file."""
        if self.truncated:
            self._write(cut_marker(self.cap))
        self._drop()


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def stderr_tail(path: Path, max_chars: int = 2000) -> str:
    """The last lines of a log file, at most ``max_chars``, safe to print (``tail_text``).

    Only the end of the file is read; a link, FIFO or other special file gives "".
    """
    if max_chars <= 0:
        return ""
    budget = _tail_budget(max_chars)
    try:
        raw, size = read_tail(path, budget, follow=False)
    except InputError:
        return ""
    text = raw.decode("utf-8", errors="replace")
    return tail_text(text, max_chars, cut=size > budget)


def tail_text(text: str, max_chars: int = 2000, redact: Callable[[str], str] | None = None,
              *, cut: bool = False) -> str:
    """The last lines of ``text`` (a log), at most ``max_chars``, safe to print.

    ANSI escape sequences and control characters other than newline and tab are dropped, as
    are bidirectional overrides; ``redact`` then runs on what is left (dropping them may
    join the pieces of a secret), and only then is the text cut: never inside a placeholder
    (``<redacted:api_key:1>``). A cut first line is dropped unless it is the only one.
    ``cut``: ``text`` is already the end of a longer log.
    """
    if max_chars <= 0:
        return ""
    budget = _tail_budget(max_chars)
    if len(text) > budget:
        text, cut = text[safe_start(text, len(text) - budget):], True
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    text = "".join(c for c in text if c in "\n\t" or not (
        unicodedata.category(c) == "Cc" or c in _BIDI)).rstrip()
    if redact is not None:
        text = redact(text)
    if len(text) > max_chars:
        text, cut = text[safe_start(text, len(text) - max_chars):], True
    if cut and "\n" in text:
        text = text.split("\n", 1)[1]
    return text


def _tail_budget(max_chars: int) -> int:
    return max_chars * 4 + 64  # room for the escapes and control characters dropped
