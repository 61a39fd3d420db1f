"""The importer interface: one small class per trace format, picked by content."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import ValidationError

from .._jsonio import DEFAULT_LIMITS, Limits, iter_jsonl
from .._safe_files import open_regular
from .._validation import validation_message
from ..errors import TraceFormatError
from ..model import SourceInfo, TraceRun


@dataclass
class TraceDocument:
    """A trace file opened once: a whole JSON value, the head of a JSONL stream, or the
    runs of a LangSmith multipart body (``langsmith_multipart``)."""

    path: Path
    kind: Literal["json", "jsonl", "multipart"]
    value: Any = None
    first: Any = None
    first_line: int = 1
    limits: Limits = field(default=DEFAULT_LIMITS)
    sha256: str = ""

    def records(self, fmt: str | None = None) -> Iterator[tuple[int, Any]]:
        """Every record with its line number: streamed for JSONL, one for JSON."""
        if self.kind != "jsonl":
            yield 1, self.value
            return
        yield from iter_jsonl(self.path, self.limits, fmt)

    def source(self, fmt: str) -> SourceInfo:
        return SourceInfo(format=fmt, file=self.path.name, sha256=self.sha256)


class Importer(ABC):
    """Reads one trace format into TraceRuns.

    ``check`` says from the document's content whether this importer reads it (None) or
    why not (a short reason, shown when no format fits). ``read`` does the work and raises
    ``TraceFormatError(None, problem)`` (or lets a pydantic ``ValidationError`` out) for
    anything malformed; ``load`` names the file and the format in that error, and records
    where each run came from.
    """

    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def check(self, doc: TraceDocument) -> str | None:
        """None when this importer reads ``doc``, else a short reason why not."""

    @abstractmethod
    def read(self, doc: TraceDocument) -> list[TraceRun]:
        """Every run in ``doc``; TraceFormatError (no path needed) for anything malformed."""

    def load(self, doc: TraceDocument) -> list[TraceRun]:
        """Every run in ``doc``, each with its source; a one-line TraceFormatError naming the
        file and this format for anything malformed."""
        try:
            runs = self.read(doc)
        except TraceFormatError as exc:
            if exc.path is not None:  # already names its file (a bad JSONL line)
                raise
            raise TraceFormatError(doc.path, exc.problem, self.name) from None
        except ValidationError as exc:
            raise TraceFormatError(doc.path, validation_message(exc), self.name) from None
        for run in runs:
            if run.source is None:
                run.source = doc.source(self.name)
        return runs


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
