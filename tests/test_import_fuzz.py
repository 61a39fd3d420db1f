"""Every importer, and detection, fed random bytes and random JSON: a list of runs or
replaycase's own one-line error, nothing else."""

from __future__ import annotations

import contextlib
import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import assert_round_trip, mutate

from replaycase.errors import ReplaycaseError
from replaycase.importers import FORMATS, load_trace, replaykit
from replaycase.importers.base import TraceDocument

DATA = Path(__file__).parent / "data"
SEEDS = [json.loads((DATA / "replaykit" / "billing-loop.json").read_text()),
         json.loads((DATA / "replaykit" / "output-fixed.json").read_text()),
         json.loads((Path(__file__).parent.parent / "examples" / "runner-api" / "cases"
                     / "tool-loop" / "source-trace.json").read_text())]
FORMAT_CHOICES = ["auto", *FORMATS]

leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(
    max_size=20)
json_value = st.recursive(leaf, lambda inner: st.lists(inner, max_size=5)
                          | st.dictionaries(st.text(max_size=12), inner, max_size=5),
                          max_leaves=25)


def _load(content: bytes, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trace.json"
        path.write_bytes(content)
        try:
            runs = load_trace(path, fmt)
        except ReplaycaseError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
            return
        assert runs and all(run.run_id for run in runs)
        for run in runs:  # whatever was read must serialize, and load back equal
            assert_round_trip(run)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(FORMAT_CHOICES))
def test_random_bytes(content: bytes, fmt: str) -> None:
    _load(content, fmt)


@settings(max_examples=300, deadline=None)
@given(json_value, st.sampled_from(FORMAT_CHOICES))
def test_random_json(value: Any, fmt: str) -> None:
    _load(json.dumps(value).encode(), fmt)


@st.composite
def mutated_trace(draw: st.DrawFn) -> Any:
    return mutate(draw, draw(st.sampled_from(SEEDS)), json_value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_trace(), st.sampled_from(["auto", "native", "replaykit"]))
def test_mutated_native_and_replaykit_traces(data: Any, fmt: str) -> None:
    _load(json.dumps(data).encode(), fmt)


@settings(max_examples=100, deadline=None)
@given(st.lists(json_value, min_size=2, max_size=5), st.sampled_from(FORMAT_CHOICES))
def test_random_jsonl(lines: list[Any], fmt: str) -> None:
    _load("\n".join(json.dumps(line) for line in lines).encode(), fmt)


_FIELD_KEYS = st.sampled_from([
    "type", "seq", "ts", "timestamp", "time", "duration_ms", "span_id", "parent_id",
    "tool_name", "name", "tool", "tool_args", "args", "arguments", "input", "call_id",
    "tool_call_id", "id", "output", "tool_output", "result", "content", "error", "is_error",
    "extra"])
_TOOL_EVENTS = st.lists(st.builds(
    lambda kind, raw: {**raw, "type": kind}, st.sampled_from(["tool_call", "tool_result"]),
    st.dictionaries(_FIELD_KEYS, json_value | st.just('{"a": 1}'), max_size=8)), max_size=5)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_TOOL_EVENTS)
def test_tool_events_are_read_never_changed(events: list[dict[str, Any]]) -> None:
    """Whatever keys a raw tool event holds, importing it (or refusing it) leaves the parsed
    document as it was."""
    item = {"run_id": "r", "status": "error", "events": copy.deepcopy(events)}
    before = repr(item)
    with contextlib.suppress(ReplaycaseError):
        replaykit.ReplayKitImporter().read(TraceDocument(Path("t.json"), "json", value=item))
    assert repr(item) == before
