"""A loop of identical calls is derived only from recorded arguments (issue 17, defect 6):
calls whose arguments the trace did not record give the weaker "called N times" signature,
whose ``why`` says the arguments were not recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from replaycase.assertions import evaluate
from replaycase.assertions.tools import RepeatedToolCall, ToolCallCount
from replaycase.importers import load_trace
from replaycase.model import ToolCallEvent, TraceRun
from replaycase.scaffolding.signatures import derive_observed, desired_for

EXPORTS = Path(__file__).parent / "data" / "sdk_agents" / "exports"
NO_DATA = EXPORTS / "loop-without-data-run-chat.json"
_ANY: Any = object()


def _run(*args: Any) -> TraceRun:
    """A run of ``lookup`` calls with these arguments (``_ANY``: not recorded)."""
    events = [ToolCallEvent(seq=n, tool_name="lookup", **({} if a is _ANY else {"tool_args": a}))
              for n, a in enumerate(args, start=1)]
    return TraceRun(run_id="r", status="success", events=events)


def _loops(run: TraceRun) -> list[Any]:
    return [e for e in derive_observed(run) if isinstance(e, (RepeatedToolCall, ToolCallCount))]


def test_identical_recorded_args_are_a_loop() -> None:
    [entry] = _loops(_run({"id": 1}, {"id": 1}, {"id": 1}))
    assert isinstance(entry, RepeatedToolCall) and entry.repeated_tool_call.min == 3
    assert "identical args" in (entry.why or "")


def test_unrecorded_args_are_never_called_identical() -> None:
    [entry] = _loops(_run(_ANY, _ANY, _ANY, _ANY))
    assert isinstance(entry, ToolCallCount)
    assert (entry.tool_call_count.tool, entry.tool_call_count.min) == ("lookup", 4)
    assert "identical args" not in (entry.why or "")
    assert "the arguments were not recorded" in (entry.why or "")
    desired = desired_for(entry)
    assert isinstance(desired, ToolCallCount) and desired.tool_call_count.max == 2


def test_some_unrecorded_args_say_how_many() -> None:
    [entry] = _loops(_run({"id": 1}, _ANY, {"id": 2}))
    assert isinstance(entry, ToolCallCount) and entry.tool_call_count.min == 3
    assert "the arguments of 1 of them were not recorded" in (entry.why or "")


def test_a_recorded_loop_wins_over_unrecorded_calls() -> None:
    [entry] = _loops(_run({"id": 1}, {"id": 1}, _ANY, {"id": 1}))
    assert isinstance(entry, RepeatedToolCall) and entry.repeated_tool_call.min == 3


def test_too_few_calls_are_no_signature() -> None:
    assert _loops(_run(_ANY, _ANY)) == []
    assert _loops(_run({"id": 1}, {"id": 2}, {"id": 3})) == []


def test_a_real_export_without_recorded_args() -> None:
    """The OpenAI Agents SDK traced with ``trace_include_sensitive_data=False``: the function
    spans hold no input, so the three lookups are three calls, not three identical ones."""
    [run] = load_trace(NO_DATA)
    assert [c.tool_args for c in run.tool_calls()] == [None] * 3
    observed = derive_observed(run)
    assert not any(isinstance(e, RepeatedToolCall) for e in observed)
    [entry] = [e for e in observed if isinstance(e, ToolCallCount)]
    assert entry.tool_call_count.min == 3 and "not recorded" in (entry.why or "")
    assert evaluate(entry, run).passed
    assert not evaluate(desired_for(entry), run).passed  # type: ignore[arg-type]
