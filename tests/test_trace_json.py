"""The native JSON text of a run: pretty run fields, one compact event a line, loads back equal."""

from __future__ import annotations

import gc
import json
import typing
from pathlib import Path

import pytest
from importer_checks import assert_round_trip
from pydantic import BaseModel, ValidationError

from replaycase import model
from replaycase._gcpause import gc_paused
from replaycase.importers import load_trace
from replaycase.model import TraceRun
from replaycase.model.native_json import dumps_items

DATA = Path(__file__).parent / "data"
TRACE_FILES = sorted(p for p in (DATA / "traces").rglob("*") if p.suffix in (".json", ".jsonl")
                     and not p.name.endswith(".logs.json")  # OTLP logs alone: no run, refused
                     ) + sorted((DATA / "replaykit").glob("*.json"))


@pytest.mark.parametrize("path", TRACE_FILES, ids=lambda p: p.name)
def test_every_trace_loads_back_equal_with_one_event_a_line(path: Path) -> None:
    for run in load_trace(path):
        text = run.to_json()
        assert_round_trip(run)
        event_lines = [line for line in text.splitlines() if line.startswith('    {"seq":')]
        assert len(event_lines) == len(run.events)
        assert text.endswith("}\n")
        if run.events:
            assert '\n  "events": [\n    {"seq":1,' in text


@pytest.mark.parametrize("path", TRACE_FILES, ids=lambda p: p.name)
def test_events_text_is_the_run_models_own_serialization(path: Path) -> None:
    """to_json serializes each event by its own model (fast); pin it to TraceRun's union."""
    for run in load_trace(path):
        by_union = run.model_dump_json(by_alias=True, exclude_none=True, include={"events"})
        by_union = by_union.removeprefix('{"events":[').removesuffix("]}")
        text = run.to_json()
        lines = text.split('\n  "events": [\n', 1)[1].rsplit("\n  ]", 1)[0] if run.events else ""
        assert lines.replace(",\n    {", ",{").strip() == by_union


def test_payload_objects_that_begin_with_seq_stay_the_same_json() -> None:
    nested = [{"seq": 2, "type": "tool_call"}, {"seq": 3, "note": ',{"seq":4,"'}]
    run = TraceRun.model_validate({"run_id": "r", "status": "error", "events": [
        {"seq": 1, "type": "tool_call", "tool_name": "t", "tool_args": {"rows": nested}},
        {"seq": 2, "type": "tool_result", "call_id": None, "output": nested},
    ]})
    text = run.to_json()
    assert json.loads(text)["events"][0]["tool_args"]["rows"] == nested
    assert_round_trip(run)


def test_nulls_are_left_out_but_null_payload_values_are_kept() -> None:
    run = TraceRun.model_validate({"run_id": "r", "status": "error", "input": None, "events": [
        {"seq": 1, "type": "tool_call", "tool_name": "t", "tool_args": {"a": None, "b": [None]}},
    ]})
    text = run.to_json()
    assert '"input"' not in text and '"call_id"' not in text
    assert '"tool_args":{"a":null,"b":[null]}' in text


def _nullable_fields() -> list[tuple[str, str, object]]:
    found = []
    for name, cls in vars(model).items():
        if not isinstance(cls, type):
            continue
        fields = (cls.model_fields if issubclass(cls, BaseModel)
                  else getattr(cls, "__pydantic_fields__", {}))  # the event dataclasses
        for field_name, field in fields.items():
            annotation = field.annotation
            nullable = annotation is typing.Any or type(None) in typing.get_args(annotation)
            if nullable:
                found.append((name, field_name, field.get_default(call_default_factory=True)))
    return found


def test_every_nullable_field_defaults_to_null() -> None:
    """What makes leaving nulls out of the text safe: a left-out field loads back as null."""
    fields = _nullable_fields()
    assert ("ToolResultEvent", "output", None) in fields and len(fields) > 20
    assert [f for f in fields if f[2] is not None] == []


@pytest.mark.parametrize("kind", model.EVENT_TYPES)
def test_events_are_slotted_tolerant_and_validated(kind: str) -> None:
    """An event carries no __dict__ (a big run holds hundreds of thousands), ignores keys it
    does not know, as the models do, and still refuses a value of the wrong type."""
    required = {"tool_call": {"tool_name": "t"}, "state": {"state": "s"},
                "error": {"message": "m"}}.get(kind, {})
    run = TraceRun.model_validate({"run_id": "r", "status": "error", "events": [
        {"seq": 1, "type": kind, "unknown": 1, **required}]})
    [event] = run.events
    assert event.type == kind and not hasattr(event, "__dict__")
    assert not hasattr(event, "unknown")
    with pytest.raises(ValidationError):
        TraceRun.model_validate({"run_id": "r", "status": "error", "events": [
            {"seq": "first", "type": kind, **required}]})


def test_dumps_items_one_a_line_and_str_for_other_values() -> None:
    assert "".join(dumps_items([])) == "[]\n"
    text = "".join(dumps_items([{"seq": 1, "when": Path("x")}, {"seq": 2, "v": "é"}]))
    assert text == '[\n  {"seq":1,"when":"x"},\n  {"seq":2,"v":"é"}\n]\n'


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
