"""Importer.load: the one place that names the file and format in errors and sets sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from replaycase.errors import TraceFormatError
from replaycase.importers.base import Importer, TraceDocument
from replaycase.model import SourceInfo, TraceRun


class _Fake(Importer):
    name = "fake"
    description = "reads whatever it is told to"

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome

    def check(self, doc: TraceDocument) -> str | None:
        return None

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome()


DOC = TraceDocument(path=Path("incident.json"), kind="json", value={}, sha256="ab" * 32)


def _validation_error() -> Exception:
    try:
        TraceRun.model_validate({"run_id": "r", "status": "exploded"})
    except ValidationError as exc:
        return exc
    raise AssertionError("expected a validation error")


@pytest.mark.parametrize(("error", "expected"), [
    (TraceFormatError(None, "events[3]: no type"), "incident.json: [fake] events[3]: no type"),
    (_validation_error(), "incident.json: [fake] status:"),
    (TraceFormatError("other.jsonl", "line 4: invalid JSON", "fake"),
     "other.jsonl: [fake] line 4: invalid JSON"),
])
def test_errors_name_the_file_and_the_format_once(error: Exception, expected: str) -> None:
    with pytest.raises(TraceFormatError) as info:
        _Fake(error).load(DOC)
    assert str(info.value).startswith(expected)
    assert str(info.value).count("[fake]") == 1


def test_runs_get_the_document_as_source_unless_they_carry_one() -> None:
    own = SourceInfo(format="replaykit", file="original.json")
    runs = _Fake(lambda: [TraceRun(run_id="a", status="error"),
                          TraceRun(run_id="b", status="error", source=own)]).load(DOC)
    assert runs[0].source == SourceInfo(format="fake", file="incident.json", sha256="ab" * 32)
    assert runs[1].source == own
