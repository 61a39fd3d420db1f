"""JSON held in a string (tool arguments, a model's JSON answer): parsed once, the same way,
by every importer; what is not sane JSON stays text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replaycase._jsonio import json_in_text
from replaycase.importers import load_trace
from replaycase.model import TraceRun


@pytest.mark.parametrize(("text", "expected"), [
    ('{"a": [1, 2]}', {"a": [1, 2]}),
    (" 7 ", 7),
    ("not json", "not json"),
    ("NaN", "NaN"),
    ('{"a": Infinity}', '{"a": Infinity}'),
    ("[" * 100_000, "[" * 100_000),
    ("[" * 65 + "]" * 65, "[" * 65 + "]" * 65),
])
def test_json_in_text(text: str, expected: object) -> None:
    assert json_in_text(text) == expected
    assert json_in_text({"already": "data"}) == {"already": "data"}


def test_hostile_argument_strings_stay_text_and_the_run_round_trips(tmp_path: Path) -> None:
    hostile = ["[" * 100_000, "NaN", "[" * 64 + "]" * 64]
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps({"run_id": "r", "status": "error", "events": [
        {"type": "tool_call", "tool_name": "t", "args": args} for args in hostile]}))
    [run] = load_trace(trace)
    assert [e.tool_args for e in run.events[:2]] == hostile[:2]
    assert isinstance(run.events[2].tool_args, list)  # 64 levels: parsed
    assert _reload(run, tmp_path).model_dump() == run.model_dump()


def _reload(run: TraceRun, folder: Path) -> TraceRun:
    path = folder / "source-trace.json"
    path.write_text(run.to_json())
    [loaded] = load_trace(path)
    return loaded
