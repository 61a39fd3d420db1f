"""Tool calls paired with their results, and events by type: computed once per run."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from replaycase.assertions.run import errors_with_seq
from replaycase.model import TraceRun


def _run(*events: dict[str, Any]) -> TraceRun:
    return TraceRun.model_validate({"run_id": "r", "status": "error", "events": [
        {"seq": n, **event} for n, event in enumerate(events, start=1)]})


def _pairs(run: TraceRun) -> list[tuple[int, Any, int | None]]:
    return [(call.seq, call.output, call.result_seq) for call in run.tool_calls()]


def test_results_pair_by_call_id_first_then_by_order_and_name() -> None:
    run = _run(
        {"type": "tool_call", "tool_name": "a", "call_id": "x"},
        {"type": "tool_call", "tool_name": "b"},
        {"type": "tool_call", "tool_name": "a", "call_id": "y"},
        {"type": "tool_result", "call_id": "y", "output": "for y"},
        {"type": "tool_result", "tool_name": "b", "output": "for b"},  # no id: by name
        {"type": "tool_result", "output": "next open"},  # no id, no name: first open call
        {"type": "tool_result", "call_id": "zzz", "output": "nobody"},  # nothing left open
    )
    assert _pairs(run) == [(1, "next open", 6), (2, "for b", 5), (3, "for y", 4)]


def test_a_reused_call_id_pairs_each_result_with_the_oldest_open_call() -> None:
    run = _run(
        {"type": "tool_call", "tool_name": "a", "call_id": "same"},
        {"type": "tool_call", "tool_name": "a", "call_id": "same"},
        {"type": "tool_result", "call_id": "same", "output": 1, "is_error": True},
        {"type": "tool_result", "call_id": "same", "output": 2},
    )
    assert _pairs(run) == [(1, 1, 3), (2, 2, 4)]
    assert [call.is_error for call in run.tool_calls()] == [True, False]


def test_views_follow_the_events_when_the_list_is_replaced() -> None:
    run = _run({"type": "error", "message": "first"},
               {"type": "llm_call", "error": "model failed"},
               {"type": "error", "message": "last"})
    assert run.error_messages() == ["first", "model failed", "last"]
    assert [e.seq for e in run.errors()] == [1, 3]
    assert errors_with_seq(run) == [(1, "first"), (2, "model failed"), (3, "last")]
    run.events = run.events[:1]
    assert run.error_messages() == ["first"] and run.llm_calls() == []
    assert errors_with_seq(run) == [(1, "first")]


def test_identical_args_have_one_key_whatever_the_key_order() -> None:
    run = _run({"type": "tool_call", "tool_name": "a", "tool_args": {"x": 1, "y": [2]}},
               {"type": "tool_call", "tool_name": "a", "tool_args": {"y": [2], "x": 1}},
               {"type": "tool_call", "tool_name": "a", "tool_args": {"x": 1.0, "y": [2]}})
    keys = [call.args_key() for call in run.tool_calls()]
    assert keys[0] == keys[1] != keys[2]


def _reference_pairs(events: list[dict[str, Any]]) -> list[tuple[int, Any, int | None]]:
    """The pairing rule, spelled out the slow way: each result goes to the oldest open call
    with its id, else to the oldest open call of its tool (of any tool if it names none)."""
    calls: list[dict[str, Any]] = []
    for seq, event in enumerate(events, start=1):
        if event["type"] == "tool_call":
            calls.append({"seq": seq, "name": event["tool_name"], "id": event.get("call_id"),
                          "output": None, "result": None})
            continue
        open_calls = [c for c in calls if c["result"] is None]
        by_id = [c for c in open_calls if event.get("call_id") and c["id"] == event["call_id"]]
        name = event.get("tool_name")
        by_order = [c for c in open_calls if name is None or c["name"] == name]
        chosen = (by_id or by_order or [None])[0]
        if chosen is not None:
            chosen["output"], chosen["result"] = event.get("output"), seq
    return [(c["seq"], c["output"], c["result"]) for c in calls]


_ids = st.sampled_from([None, "", "a", "b"])
_names = st.sampled_from(["t1", "t2"])
_events = st.lists(st.one_of(
    st.builds(lambda name, call_id: {"type": "tool_call", "tool_name": name,
                                     "call_id": call_id}, _names, _ids),
    st.builds(lambda name, call_id, out: {"type": "tool_result", "tool_name": name,
                                          "call_id": call_id, "output": out},
              st.none() | _names, _ids, st.integers(0, 9))), max_size=14)


@settings(max_examples=400, deadline=None)
@given(_events)
def test_pairing_follows_the_rule_for_any_order_of_calls_and_results(
        events: list[dict[str, Any]]) -> None:
    assert _pairs(_run(*events)) == _reference_pairs(events)
