"""The phoenix importer on span JSON written by Phoenix itself (tests/data/traces/phoenix/,
made by gen_phoenix_spans.py there): detection, the OpenInference mapping it shares with the
otlp importer, the dataframe forms, golden file, malformed and mutated input."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import assert_malformed, import_in_memory, json_slots

from replaycase.importers import load_trace
from replaycase.importers.phoenix import PhoenixImporter
from replaycase.model import (
    ChatMessage,
    ErrorEvent,
    LlmCallEvent,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
)
from replaycase.tape.from_run import tape_from_run

PHOENIX = Path(__file__).parent / "data" / "traces" / "phoenix"
GOLDEN = Path(__file__).parent / "data" / "golden"
FILES = ("tool-loop.jsonl", "tool-error-unhandled.jsonl", "tool-error-unhandled.dataframe.json")
SYSTEM = ("You are the Acme Cloud billing support agent. Use issue_refund only when the "
          "customer explicitly asks for a refund.")


def _one(path: Path, fmt: str = "auto") -> TraceRun:
    runs = load_trace(path, format=fmt)
    assert len(runs) == 1
    return runs[0]


def _lines(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (PHOENIX / name).read_text().splitlines() if line]


def _comparable(run: TraceRun) -> dict[str, Any]:
    """A run without where it came from (its file name and hash)."""
    return run.model_dump(mode="json", exclude={"source"})


@pytest.mark.parametrize("name", FILES)
def test_phoenix_files_are_detected(name: str) -> None:
    run = _one(PHOENIX / name)
    assert run.source is not None and run.source.format == "phoenix"
    assert run.metadata.agent == "billing_support_agent"
    assert run.metadata.model == "gpt-4o-mini-2024-07-18"
    assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
    stamps = [e.ts for e in run.events]
    assert all(stamps) and stamps == sorted(stamps)  # type: ignore[type-var]


def test_tool_loop_maps_spans_to_events() -> None:
    run = _one(PHOENIX / "tool-loop.jsonl")
    assert run.status == "error" and run.final_output is None
    assert run.input == ("I was charged twice for March. Can you check what happened? "
                         "My customer id is C-10442.")
    assert [e.type for e in run.events] == ["input_message", *["llm_call", "tool_call",
                                                               "tool_result"] * 3, "error"]
    calls = [e for e in run.events if isinstance(e, ToolCallEvent)]
    assert [c.call_id for c in calls] == ["call_a86654cc4a7421d4935fc9a8",
                                          "call_b3e1d0c97f2a4e6b8c5d9a17",
                                          "call_c7d2e9a04b1f4a8e9d3c6b52"]
    assert all(c.tool_args == {"customer_id": "C-10442", "invoice_id": None} for c in calls)
    results = [e for e in run.events if isinstance(e, ToolResultEvent)]
    # what the model received (defect 7): the next request's tool message; the last call,
    # which no request answered, keeps the exception's message
    assert [r.output for r in results] == [
        "Error: TimeoutError: billing-api did not respond within 10s"] * 2 + [
        "billing-api did not respond within 10s"]
    assert all(r.is_error and r.error_type == "TimeoutError" for r in results)
    (error,) = [e for e in run.events if isinstance(e, ErrorEvent)]
    assert error.error_type == "ToolLoopError"  # OpenTelemetry's "__main__.ToolLoopError"
    assert "called 3 times" in error.message


def test_model_calls_carry_the_tape_parts() -> None:
    run = _one(PHOENIX / "tool-error-unhandled.jsonl")
    first, second = [e for e in run.events if isinstance(e, LlmCallEvent)]
    question = "Was invoice INV-2291 paid? My customer id is C-10442."
    assert (first.instructions, first.tools_offered, first.stop_reason, first.output_text) == \
        (SYSTEM, ["lookup_billing"], "tool_calls", "")
    assert first.messages == [ChatMessage(role="user", text=question)]
    assert [c.call_id for c in first.tool_calls] == ["call_5f0c2a9e1b7d4c3a8e6f1d20"]
    assert second.messages is not None and second.messages[-1] == ChatMessage(
        role="tool", call_id="call_5f0c2a9e1b7d4c3a8e6f1d20", tool_name="lookup_billing",
        text="Error: BillingAPIError: 500 Internal Server Error from billing-api "
             "(request req_7f3a91)")
    assert second.output_text == run.final_output == \
        "Yes, invoice INV-2291 was paid in full on March 3."
    assert second.usage is not None and second.usage.total_tokens == 250


def test_every_form_of_the_same_spans_gives_the_same_run(tmp_path: Path) -> None:
    """JSONL, a JSON list, the TraceDataset records and the flat get_spans_dataframe
    records (``attributes.llm.input_messages`` columns, list items with dotted keys)."""
    expected = _comparable(_one(PHOENIX / "tool-error-unhandled.jsonl"))
    spans = _lines("tool-error-unhandled.jsonl")
    as_list = tmp_path / "spans.json"
    as_list.write_text(json.dumps(spans))
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps([_flat_record(s) for s in spans]))
    for path in (as_list, flat):
        assert _comparable(_one(path)) == expected, path.name
    # pandas writes the times in epoch milliseconds: all else is the same
    frame = _comparable(_one(PHOENIX / "tool-error-unhandled.dataframe.json"))
    assert _untimed(frame) == _untimed(expected)
    assert frame["events"][0]["ts"] == expected["events"][0]["ts"][:-4] + "000Z"


def _untimed(run: dict[str, Any]) -> dict[str, Any]:
    timing = ("ts", "duration_ms", "latency_ms")
    return {**run, "events": [{k: v for k, v in e.items() if k not in timing}
                              for e in run["events"]]}


def _flat_record(span: dict[str, Any]) -> dict[str, Any]:
    record = {k: v for k, v in span.items() if k not in ("context", "attributes")}
    record.update({f"context.{k}": v for k, v in span["context"].items()})
    columns: dict[str, Any] = {}
    _columns(span["attributes"], "attributes", columns)
    return {**record, **columns}


def _columns(value: Any, prefix: str, out: dict[str, Any]) -> None:
    """Dataframe columns: nested objects become dotted keys; a list of objects stays one
    column, each item's keys dotted (``message.role``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _columns(item, f"{prefix}.{key}", out)
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        out[prefix] = [_dotted(item) for item in value]
    else:
        out[prefix] = value


def _dotted(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            out.update({f"{key}.{k}": v for k, v in _dotted(item).items()})
        elif isinstance(item, list) and item and isinstance(item[0], dict):
            out[key] = [_dotted(i) for i in item]
        else:
            out[key] = item
    return out


def test_golden() -> None:
    actual = _one(PHOENIX / "tool-loop.jsonl").model_dump(mode="json", by_alias=True)
    path = GOLDEN / "phoenix-tool-loop.json"
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    assert actual == json.loads(path.read_text(encoding="utf-8"))


def test_other_formats_are_not_taken_for_phoenix() -> None:
    importer = PhoenixImporter()
    otlp = Path(__file__).parent / "data" / "traces" / "openinference" / "tool-loop.json"
    assert _one(otlp).source.format == "otlp"  # type: ignore[union-attr]
    import_in_memory(importer, {"resourceSpans": []})
    span = _lines("tool-loop.jsonl")[0]
    assert importer.check(_doc(span)) is None
    assert "span_kind" in (importer.check(_doc({"context": {"span_id": "a"}})) or "")


def _doc(value: Any) -> Any:
    from replaycase.importers.base import TraceDocument
    return TraceDocument(path=Path("t.json"), kind="json", value=value, first=value)


@pytest.mark.parametrize("change, fragment", [
    (lambda s: s["context"].pop("trace_id"), "context.trace_id: missing"),
    (lambda s: s.update(start_time="yesterday"), "start_time: not an ISO 8601 time"),
    (lambda s: s.update(status_code="BROKEN"), "status_code"),
    (lambda s: s.update(events={"name": "x"}), "events: expected a list"),
    (lambda s: s.update(parent_id=["a"]), "parent_id: expected a string"),
])
def test_malformed_span_is_one_clear_line(tmp_path: Path, change: Any, fragment: str) -> None:
    spans = _lines("tool-loop.jsonl")
    change(spans[2])
    assert_malformed(tmp_path / "bad.json", spans, "phoenix", fragment)
    assert_malformed(tmp_path / "bad.jsonl", "\n".join(json.dumps(s) for s in spans),
                     "phoenix", "line 3")


_BASE = _lines("tool-loop.jsonl")
_SLOTS = [(i, key) for i, span in enumerate(_BASE) for key in range(len(list(json_slots(span))))]
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_SLOTS), st.booleans(), _JSON), min_size=1,
                max_size=4))
def test_mutated_real_spans_raise_only_replaycase_errors(
        mutations: list[tuple[tuple[int, int], bool, Any]]) -> None:
    spans = copy.deepcopy(_BASE)
    for (index, slot), drop, new in mutations:
        slots = list(json_slots(spans[index]))
        if slot >= len(slots):
            continue
        container, key = slots[slot]
        if drop:
            del container[key]
        else:
            container[key] = new
    import_in_memory(PhoenixImporter(), spans)


def test_a_model_tape_is_built_from_phoenix_spans() -> None:
    tape = tape_from_run(_one(PHOENIX / "tool-loop.jsonl"), source_format="phoenix").tape
    assert tape is not None and len(tape.turns) == 3 and tape.header.not_recorded == []
