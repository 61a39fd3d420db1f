"""The importer interface: one small class per trace format, picked by content."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from ..jsonio import DEFAULT_LIMITS, Limits, iter_jsonl
from ..model import SourceInfo, TraceRun


@dataclass
class TraceDocument:
    """A trace file opened once: a whole JSON value, or the head of a JSONL stream."""

    path: Path
    kind: Literal["json", "jsonl"]
    value: Any = None
    first: Any = None
    first_line: int = 1
    limits: Limits = field(default=DEFAULT_LIMITS)
    sha256: str = ""

    def records(self, fmt: str | None = None) -> Iterator[tuple[int, Any]]:
        """Every record with its line number: streamed for JSONL, one for JSON."""
        if self.kind == "json":
            yield 1, self.value
            return
        yield from iter_jsonl(self.path, self.limits, fmt)

    def source(self, fmt: str) -> SourceInfo:
        return SourceInfo(format=fmt, file=self.path.name, sha256=self.sha256)


class Importer(ABC):
    """Reads one trace format into TraceRuns.

    ``check`` says from the document's content whether this importer reads it (None) or
    why not (a short reason, shown when no format fits). ``load`` does the work and raises
    ``TraceFormatError`` for anything malformed.
    """

    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def check(self, doc: TraceDocument) -> str | None:
        """None when this importer reads ``doc``, else a short reason why not."""

    @abstractmethod
    def load(self, doc: TraceDocument) -> list[TraceRun]:
        """Every run in ``doc``; TraceFormatError for anything malformed."""


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
