"""The one exception tree of replaycase.

    ReplaycaseError                 anything replaycase reports to a user (exit 2)
     ├── InputError                 a file given to replaycase cannot be used
     │    ├── TraceFormatError      a trace is malformed or in no supported format
     │    └── CaseError             a case folder or case.yaml is invalid
     └── UsageError                 the options do not make sense together

Runner faults are not exceptions: they come back as a ``runner_error`` verdict.
The command line catches ``ReplaycaseError`` only and prints ``str(error)`` on one line.
"""

from __future__ import annotations

from pathlib import Path


class ReplaycaseError(Exception):
    """Root of every error replaycase reports to a user."""

    exit_code = 2


class UsageError(ReplaycaseError):
    """Options or arguments that do not fit together."""


class InputError(ReplaycaseError):
    """A file that cannot be used; the message names the file and the problem."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = str(path) if path is not None else None
        self.problem = _one_line(problem)
        super().__init__(f"{self.path}: {self.problem}" if self.path else self.problem)


class TraceFormatError(InputError):
    """A trace file that is malformed or in no supported format."""

    def __init__(self, path: str | Path | None, problem: str, fmt: str | None = None) -> None:
        self.format = fmt
        prefix = f"[{fmt}] " if fmt else ""
        super().__init__(path, prefix + problem)


class CaseError(InputError):
    """A case folder or case.yaml that is invalid."""


def _one_line(text: str, limit: int = 500) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
