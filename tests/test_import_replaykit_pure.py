"""The ReplayKit importer reads the parsed document it is handed and never changes it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from replaycase.importers.base import TraceDocument
from replaycase.importers.replaykit import ReplayKitImporter

DATA = Path(__file__).parent / "data" / "replaykit"


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.json")))
def test_import_leaves_the_document_unchanged(name: str) -> None:
    value = json.loads((DATA / name).read_text())
    before = copy.deepcopy(value)
    doc = TraceDocument(path=DATA / name, kind="json", value=value)
    assert ReplayKitImporter().load(doc)
    assert value == before


def test_every_spelling_of_a_tool_call_and_result_is_left_as_given() -> None:
    value = {"run_id": "r", "status": "error", "events": [
        {"type": "tool_call", "name": "lookup", "arguments": '{"id": 1}', "id": 7,
         "extra": "kept"},
        {"type": "tool_result", "tool": "lookup", "result": {"ok": False}, "tool_call_id": 7,
         "error": "boom", "ts": 3},
        {"type": "tool_call", "tool_name": "lookup", "tool_args": {"id": 2}, "call_id": "c2"},
        {"type": "tool_result", "tool_name": "lookup", "output": "fine", "call_id": "c2"}]}
    before = copy.deepcopy(value)
    [run] = ReplayKitImporter().load(TraceDocument(path=Path("t.json"), kind="json",
                                                   value=value))
    assert value == before
    assert [e.type for e in run.events] == ["tool_call", "tool_result", "tool_call",
                                           "tool_result"]
    assert run.events[0].tool_args == {"id": 1} and run.events[1].is_error
