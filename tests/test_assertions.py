"""The assertion engine: every catalogue key, judged on small runs built from model classes."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replaycase.assertions import (
    REGISTRY,
    all_hold,
    catalogue,
    evaluate,
    evaluate_all,
    parse_entry,
    semantic_outcomes,
)
from replaycase.assertions._registry import FAMILIES
from replaycase.case.schema import case_json_schema
from replaycase.importers import load_trace
from replaycase.model import TraceRun
from replaycase.results import Outcome

# --- building runs -------------------------------------------------------------------------


def make_run(*events: dict[str, Any], status: str = "success", final_output: Any = None,
             run_id: str = "run-1") -> TraceRun:
    """A TraceRun from event dicts, numbered from 1 in the order given."""
    return TraceRun.model_validate({
        "run_id": run_id, "status": status, "final_output": final_output,
        "events": [dict(event, seq=i) for i, event in enumerate(events, start=1)],
    })


def call(name: str, **args: Any) -> dict[str, Any]:
    return {"type": "tool_call", "tool_name": name, "tool_args": args}


def tool_result(name: str, output: Any, is_error: bool = False) -> dict[str, Any]:
    return {"type": "tool_result", "tool_name": name, "output": output, "is_error": is_error}


def llm(tokens: tuple[int, int] | None = None, cost: float | None = None,
        ts: str | None = None, duration_ms: float | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "llm_call", "model": "gpt-4o-mini", "ts": ts,
                             "duration_ms": duration_ms}
    if tokens is not None:
        event["usage"] = {"input_tokens": tokens[0], "output_tokens": tokens[1],
                          "cost_usd": cost}
    return event


def state(name: str, action: str = "entered", to: str | None = None) -> dict[str, Any]:
    return {"type": "state", "state": name, "action": action, "to_state": to}


LOOP_ARGS = {"customer_id": "C-10442"}
TIMEOUT = "TimeoutError: billing-api did not respond within 10s"
LOOP = make_run(  # tool calls at events 3, 5, 7, 9, 11
    {"type": "input_message", "content": "Why was I charged twice?"},
    llm((120, 30), 0.0002),
    *[e for _ in range(5) for e in (call("lookup_billing", **LOOP_ARGS),
                                    tool_result("lookup_billing", TIMEOUT, True))],
    {"type": "error", "message": "ToolLoopError: lookup_billing called 5 times with "
                                 "identical arguments after repeated failures; aborting run",
     "error_type": "ToolLoopError"},
    status="error",
)
ANSWER = {
    "answer": "Your current balance is $129.00.",
    "invoice": {"id": "INV-4102", "lines": [{"amount": 129.0, "sku": "pro"}]},
    "tags": ["billing", "balance"],
}
HAPPY_EVENTS = (
    {"type": "input_message", "content": "What is my balance?"},
    llm((50, 10), 0.0005, ts="2024-03-12T10:00:00Z", duration_ms=800),
    call("lookup_billing", customer_id="C-40219", options={"verbose": True, "limit": 5}),
    tool_result("lookup_billing", {"balance": 129}),
    call("search_kb", query="due date policy"),
    tool_result("search_kb", ["Invoices are due in 30 days."]),
    llm((60, 10), 0.0007, ts="2024-03-12T10:00:02Z", duration_ms=500),
    {"type": "final_output", "output": ANSWER},
)
HAPPY = make_run(*HAPPY_EVENTS, final_output=ANSWER)
HAPPY_JSON = make_run(*HAPPY_EVENTS, final_output=json.dumps(ANSWER))
HAPPY_TEXT = make_run(*HAPPY_EVENTS, final_output="Your current balance is $129.00, "
                                                  "all on invoice INV-4102.")
FLOW = make_run(
    state("intake"),
    state("intake", "transition", to="triage"),
    {"type": "approval", "approval_id": "ap-7", "action": "requested",
     "summary": "Refund 4999 cents to C-10442"},
    state("refund"),
    call("issue_refund", customer_id="C-10442", amount_cents=4999),
    tool_result("issue_refund", {"refund_id": "RF-88120"}),
    {"type": "error", "message": "RefundError: limit exceeded"},
    state("cleanup"),
    status="error",
)
EMPTY = make_run(status="success")
RUNS = {"loop": LOOP, "happy": HAPPY, "happy_json": HAPPY_JSON, "happy_text": HAPPY_TEXT,
        "flow": FLOW, "empty": EMPTY}


def judge(entry: dict[str, Any], run: TraceRun) -> Outcome:
    return evaluate(parse_entry(entry), run)


# --- every catalogue key, passing and failing ----------------------------------------------

CASES: list[tuple[dict[str, Any], str, str]] = [
    # run
    ({"status_is": "error"}, "loop", "passed"),
    ({"status_is": "success"}, "loop", "failed"),
    ({"final_output_exists": True}, "happy", "passed"),
    ({"final_output_exists": False}, "happy", "failed"),
    ({"final_output_exists": False}, "loop", "passed"),
    ({"final_output_contains": "$129.00"}, "happy_text", "passed"),
    ({"final_output_contains": "INV-4102"}, "happy", "passed"),
    ({"final_output_contains": "refund"}, "happy_text", "failed"),
    ({"final_output_contains": "balance"}, "loop", "failed"),
    ({"final_output_matches": r"\$\d+\.\d{2}"}, "happy_text", "passed"),
    ({"final_output_matches": r"^Sorry"}, "happy_text", "failed"),
    ({"final_output_equals": ANSWER}, "happy", "passed"),
    ({"final_output_equals": ANSWER}, "happy_json", "passed"),
    ({"final_output_equals": dict(ANSWER, tags=["balance", "billing"])}, "happy", "failed"),
    ({"final_output_equals": {"value": dict(ANSWER, tags=["balance", "billing"]),
                              "ignore_order": True}}, "happy", "passed"),
    ({"final_output_equals": "Your current balance is $129.00, all on invoice INV-4102."},
     "happy_text", "passed"),
    ({"output_field": {"path": "invoice.lines[0].amount", "equals": 129}}, "happy", "passed"),
    ({"output_field": {"path": "$.invoice.id", "equals": "INV-4102"}}, "happy_json", "passed"),
    ({"output_field": {"path": "tags", "contains": "billing"}}, "happy", "passed"),
    ({"output_field": {"path": "answer", "matches": r"\$129"}}, "happy", "passed"),
    ({"output_field": {"path": "invoice.id", "equals": "INV-9"}}, "happy", "failed"),
    ({"output_field": {"path": "tags", "contains": "refund"}}, "happy", "failed"),
    ({"output_field": {"path": "invoice.missing.x", "equals": 1}}, "happy", "failed"),
    ({"output_field": {"path": "answer", "contains": "$"}}, "happy_text", "failed"),
    ({"error_matches": "ToolLoopError"}, "loop", "passed"),
    ({"error_matches": "Timeout"}, "happy", "failed"),
    ({"no_errors": True}, "happy", "passed"),
    ({"no_errors": True}, "loop", "failed"),
    ({"no_errors": False}, "loop", "passed"),
    ({"no_errors": False}, "happy", "failed"),
    # tools
    ({"tool_called": "lookup_billing"}, "loop", "passed"),
    ({"tool_called": "issue_refund"}, "loop", "failed"),
    ({"tool_not_called": "issue_refund"}, "loop", "passed"),
    ({"tool_not_called": "lookup_billing"}, "loop", "failed"),
    ({"tool_call_count": {"tool": "lookup_billing", "min": 5}}, "loop", "passed"),
    ({"tool_call_count": {"tool": "lookup_billing", "max": 3}}, "loop", "failed"),
    ({"tool_call_count": {"equals": 2}}, "happy", "passed"),
    ({"max_tool_calls": 5}, "loop", "passed"),
    ({"max_tool_calls": 4}, "loop", "failed"),
    ({"tool_args": {"tool": "lookup_billing", "args": {"customer_id": "C-40219"}}},
     "happy", "passed"),
    ({"tool_args": {"tool": "lookup_billing", "args": {"options": {"verbose": True}}}},
     "happy", "passed"),
    ({"tool_args": {"tool": "lookup_billing", "args": {"customer_id": "C-1"}}},
     "happy", "failed"),
    ({"tool_args": {"tool": "lookup_billing", "args": LOOP_ARGS, "match": "exact"}},
     "loop", "passed"),
    ({"tool_args": {"tool": "lookup_billing", "args": {"customer_id": "C-40219"},
                    "match": "exact"}}, "happy", "failed"),
    ({"tool_args": {"tool": "search_kb", "args": {"query": "due"}, "match": "regex"}},
     "happy", "passed"),
    ({"tool_args": {"tool": "search_kb", "args": {"query": "^refund"}, "match": "regex"}},
     "happy", "failed"),
    ({"tool_args": {"tool": "issue_refund", "args": {}}}, "happy", "failed"),
    ({"tool_sequence": {"tools": ["lookup_billing", "search_kb"], "mode": "strict"}},
     "happy", "passed"),
    ({"tool_sequence": ["search_kb", "lookup_billing"]}, "happy", "failed"),
    ({"tool_sequence": {"tools": ["search_kb", "lookup_billing"], "mode": "any_order"}},
     "happy", "passed"),
    ({"tool_sequence": {"tools": ["lookup_billing"], "mode": "any_order"}}, "happy", "failed"),
    ({"tool_sequence": {"tools": ["lookup_billing"], "mode": "subset"}}, "happy", "failed"),
    ({"tool_sequence": {"tools": ["lookup_billing", "search_kb", "issue_refund"],
                        "mode": "subset"}}, "happy", "passed"),
    ({"tool_sequence": {"tools": ["lookup_billing"], "mode": "superset"}}, "happy", "passed"),
    ({"tool_sequence": {"tools": ["issue_refund"], "mode": "superset"}}, "happy", "failed"),
    ({"repeated_tool_call": 5}, "loop", "passed"),
    ({"repeated_tool_call": {"max": 1}}, "loop", "failed"),
    ({"repeated_tool_call": {"max": 1}}, "happy", "passed"),
    ({"repeated_tool_call": {"tool": "search_kb", "min": 2}}, "loop", "failed"),
    ({"tool_error_count": {"tool": "lookup_billing", "min": 5}}, "loop", "passed"),
    ({"tool_error_count": {"max": 0}}, "loop", "failed"),
    ({"tool_error_count": {"max": 0}}, "happy", "passed"),
    # workflow
    ({"state_visited": "triage"}, "flow", "passed"),
    ({"state_visited": "done"}, "flow", "failed"),
    ({"state_sequence": ["intake", "refund"]}, "flow", "passed"),
    ({"state_sequence": {"states": ["intake", "triage", "refund"], "mode": "strict"}},
     "flow", "failed"),
    ({"failed_in_state": "refund"}, "flow", "passed"),
    ({"failed_in_state": "cleanup"}, "flow", "failed"),
    ({"failed_in_state": "refund"}, "happy", "failed"),
    ({"approval_requested": True}, "flow", "passed"),
    ({"approval_requested": "ap-7"}, "flow", "passed"),
    ({"approval_requested": "4999 cents"}, "flow", "passed"),
    ({"approval_requested": "ap-9"}, "flow", "failed"),
    ({"approval_requested": False}, "flow", "failed"),
    ({"approval_requested": True}, "happy", "failed"),
    ({"approval_requested": False}, "happy", "passed"),
    # budget
    ({"llm_call_count": {"max": 2}}, "happy", "passed"),
    ({"llm_call_count": {"equals": 0}}, "happy", "failed"),
    ({"max_tokens": 200}, "happy", "passed"),
    ({"max_tokens": 100}, "happy", "failed"),
    ({"max_cost_usd": 0.01}, "happy", "passed"),
    ({"max_cost_usd": 0.0005}, "happy", "failed"),
    ({"max_duration_ms": 3000}, "happy", "passed"),
    ({"max_duration_ms": 1000}, "happy", "failed"),
    ({"max_tokens": 10}, "empty", "error"),
    ({"max_cost_usd": 1}, "empty", "error"),
    ({"max_duration_ms": 10}, "empty", "error"),
    # logic
    ({"not": {"tool_called": "issue_refund"}}, "loop", "passed"),
    ({"not": {"status_is": "error"}}, "loop", "failed"),
    ({"all_of": [{"status_is": "success"}, {"tool_called": "lookup_billing"}]},
     "happy", "passed"),
    ({"all_of": [{"status_is": "success"}, {"tool_called": "issue_refund"}]},
     "happy", "failed"),
    ({"any_of": [{"status_is": "error"}, {"final_output_exists": True}]}, "happy", "passed"),
    ({"any_of": [{"status_is": "error"}, {"tool_called": "issue_refund"}]}, "happy", "failed"),
]


@pytest.mark.parametrize(("entry", "run_name", "expected"), CASES,
                         ids=[f"{next(iter(c[0]))}-{c[1]}-{c[2]}" for c in CASES])
def test_catalogue_case(entry: dict[str, Any], run_name: str, expected: str) -> None:
    outcome = judge(entry, RUNS[run_name])
    assert outcome.outcome == expected, outcome.message
    assert outcome.key == next(iter(entry))
    assert outcome.message and "\n" not in outcome.message
    json.loads(outcome.model_dump_json())  # expected and actual are JSON values


def test_each_key_parses_into_the_model_it_registered() -> None:
    for entry, _, _ in CASES:
        key = next(iter(entry))
        parsed = parse_entry(entry)
        assert type(parsed) is REGISTRY[key].entry, key
        assert (parsed.key, parsed.family) == (key, REGISTRY[key].family)


def test_the_schema_union_is_the_registry_in_family_order() -> None:
    members = case_json_schema()["properties"]["desired"]["items"]["oneOf"]
    kinds = sorted(REGISTRY.values(), key=lambda kind: FAMILIES.index(kind.family))
    assert [m["$ref"] for m in members] == [f"#/$defs/{k.entry.__name__}" for k in kinds]
    assert len(members) == 27


def test_every_key_has_a_passing_and_a_failing_case() -> None:
    seen = {(next(iter(entry)), outcome) for entry, _, outcome in CASES}
    for key in REGISTRY:
        assert (key, "passed") in seen, key
        assert (key, "failed") in seen, key


# --- messages, expected and actual ---------------------------------------------------------


def test_tool_call_count_reports_count_bounds_and_calls() -> None:
    entry = parse_entry({"tool_call_count": {"tool": "lookup_billing", "max": 3},
                              "why": "the loop must stop"})
    outcome = evaluate(entry, LOOP)
    assert outcome.message == "lookup_billing was called 5 times, expected <= 3"
    assert (outcome.expected, outcome.actual) == ({"max": 3}, 5)
    assert outcome.events == [3, 5, 7, 9, 11]
    assert outcome.why == "the loop must stop"
    assert outcome.entry == entry.to_yaml_dict()


def test_repeated_tool_call_cites_the_identical_calls() -> None:
    outcome = judge({"repeated_tool_call": {"min": 5}}, LOOP)
    assert outcome.passed
    assert outcome.actual == {"tool": "lookup_billing", "args": LOOP_ARGS, "count": 5}
    assert outcome.events == [3, 5, 7, 9, 11]
    assert "identical args" in outcome.message


def test_repeated_tool_call_counts_only_identical_args() -> None:
    run = make_run(call("search_kb", query="a"), call("search_kb", query="b"),
                   call("search_kb", query="a"), call("lookup", x={"k": 1, "j": 2}),
                   call("lookup", x={"j": 2, "k": 1}), call("lookup", x={"j": 2, "k": 1}))
    outcome = judge({"repeated_tool_call": {"max": 2}}, run)
    assert outcome.outcome == "failed"
    assert outcome.actual["tool"] == "lookup" and outcome.actual["count"] == 3
    assert outcome.events == [4, 5, 6]
    assert judge({"repeated_tool_call": {"tool": "search_kb", "max": 2}}, run).passed


def test_tool_error_count_cites_the_failed_results() -> None:
    outcome = judge({"tool_error_count": {"max": 0}}, LOOP)
    assert outcome.message == "tools returned an error 5 times, expected <= 0"
    assert outcome.events == [4, 6, 8, 10, 12]


def test_tool_called_lists_what_was_called_instead() -> None:
    outcome = judge({"tool_called": "issue_refund"}, HAPPY)
    assert outcome.message == ("issue_refund was never called "
                               "(tools called: lookup_billing, search_kb)")
    assert outcome.actual == ["lookup_billing", "search_kb"]


def test_tool_sequence_says_what_is_missing() -> None:
    outcome = judge({"tool_sequence": {"tools": ["lookup_billing", "issue_refund"],
                                       "mode": "superset"}}, HAPPY)
    assert outcome.message.endswith("never seen: issue_refund")
    assert outcome.actual == ["lookup_billing", "search_kb"]
    any_order = judge({"tool_sequence": {"tools": ["lookup_billing", "issue_refund"],
                                         "mode": "any_order"}}, HAPPY)
    assert "missing issue_refund; unexpected search_kb" in any_order.message


def test_tool_args_failure_shows_the_args_seen() -> None:
    outcome = judge({"tool_args": {"tool": "lookup_billing",
                                   "args": {"customer_id": "C-1"}}}, LOOP)
    assert outcome.outcome == "failed"
    assert "no call of lookup_billing (5 calls) has args" in outcome.message
    assert outcome.actual == [LOOP_ARGS] * 5


def test_tool_args_parses_json_string_args() -> None:
    run = make_run(call("lookup", a=1) | {"tool_args": '{"a": 1, "b": [1, 2]}'})
    assert judge({"tool_args": {"tool": "lookup", "args": {"b": [1, 2]}}}, run).passed
    assert judge({"tool_args": {"tool": "lookup", "args": {"b": 2}, "match": "regex"}},
                 run).passed


def test_final_output_equals_summarizes_the_diff() -> None:
    outcome = judge({"final_output_equals": dict(ANSWER, answer="No balance.")}, HAPPY)
    assert outcome.outcome == "failed"
    assert "root['answer']" in outcome.message and "No balance." in outcome.message
    assert outcome.actual == ANSWER


def test_output_field_missing_path_says_where_it_stops() -> None:
    outcome = judge({"output_field": {"path": "invoice.missing.x", "equals": 1}}, HAPPY)
    assert outcome.message == "final output has no field invoice.missing.x: " \
                              "no key 'missing' in invoice"
    index = judge({"output_field": {"path": "invoice.lines[3]", "equals": 1}}, HAPPY)
    assert "has 1 items, no index 3" in index.message
    text = judge({"output_field": {"path": "answer", "equals": 1}}, HAPPY_TEXT)
    assert text.message.startswith("the final output is text, not JSON")


def test_output_field_accepts_quoted_keys_and_equals_null() -> None:
    run = make_run(final_output={"a.b": {"c": None}, "n": [0, [5, 6]]})
    assert judge({"output_field": {"path": '["a.b"].c', "equals": None}}, run).passed
    assert judge({"output_field": {"path": "n[1][-1]", "equals": 6}}, run).passed
    assert judge({"output_field": {"path": "n[1]", "contains": "5"}}, run).passed


def test_output_field_with_unreadable_path_is_an_error() -> None:
    outcome = judge({"output_field": {"path": "a..b", "equals": 1}}, HAPPY)
    assert outcome.outcome == "error"
    assert "cannot read path" in outcome.message


def test_error_matches_cites_the_matching_error() -> None:
    outcome = judge({"error_matches": "ToolLoopError"}, LOOP)
    assert outcome.events == [13]
    assert outcome.message.startswith("error 'ToolLoopError: lookup_billing called 5 times")
    failed = judge({"error_matches": "Timeout"}, HAPPY)
    assert failed.message == "the run records no error, expected one matching /Timeout/"


def test_failed_llm_call_counts_as_an_error() -> None:
    run = make_run(llm() | {"error": "RateLimitError: 429"}, status="success")
    assert judge({"error_matches": "429"}, run).events == [1]
    assert judge({"no_errors": True}, run).outcome == "failed"
    assert judge({"no_errors": True}, make_run(status="error")).outcome == "failed"


def test_failed_in_state_without_error_event_uses_last_state() -> None:
    run = make_run(state("plan"), state("act"), status="timeout")
    outcome = judge({"failed_in_state": "act"}, run)
    assert outcome.passed
    assert outcome.actual == {"status": "timeout", "state": "act"}
    assert judge({"failed_in_state": "plan"}, FLOW).message == \
        "the run ended error; the last state entered before the first error (event 7) " \
        "was refund, expected plan"


def test_long_values_are_truncated() -> None:
    run = make_run(final_output="x" * 5000)
    outcome = judge({"final_output_contains": "needle"}, run)
    assert outcome.outcome == "failed"
    assert 400 < len(outcome.actual) <= 500


def test_budget_without_data_is_an_error_with_a_reason() -> None:
    assert judge({"max_tokens": 10}, EMPTY).message == "the run records no token usage"
    assert judge({"max_cost_usd": 1}, EMPTY).message == "the run records no cost"
    assert judge({"max_duration_ms": 1}, EMPTY).message == "the run records no duration"
    tokens_only = make_run(llm((10, 5)))
    assert judge({"max_tokens": 15}, tokens_only).passed
    assert judge({"max_cost_usd": 1}, tokens_only).outcome == "error"


def test_budget_reports_usage() -> None:
    outcome = judge({"max_tokens": 100}, HAPPY)
    assert outcome.message == "the run used 130 tokens, expected <= 100"
    assert (outcome.expected, outcome.actual) == ({"max": 100}, 130)
    assert outcome.events == [2, 7]
    assert judge({"max_duration_ms": 1000}, HAPPY).actual == 2500


# --- logic ---------------------------------------------------------------------------------


def test_nested_logic_keeps_child_outcomes() -> None:
    entry = {"not": {"all_of": [
        {"any_of": [{"status_is": "success"}, {"tool_called": "lookup_billing"}]},
        {"not": {"tool_called": "issue_refund"}},
    ]}}
    outcome = judge(entry, LOOP)
    assert outcome.outcome == "failed"  # the all_of holds, so its negation fails
    (all_of,) = outcome.children
    assert all_of.key == "all_of" and all_of.passed
    any_of, not_refund = all_of.children
    assert [c.outcome for c in any_of.children] == ["failed", "passed"]
    assert not_refund.children[0].outcome == "failed"
    assert outcome.entry == parse_entry(entry).to_yaml_dict()


def test_logic_with_an_error_child() -> None:
    no_data = {"max_tokens": 10}
    assert judge({"not": no_data}, EMPTY).outcome == "error"
    assert judge({"all_of": [{"status_is": "success"}, no_data]}, EMPTY).outcome == "error"
    assert judge({"all_of": [{"status_is": "error"}, no_data]}, EMPTY).outcome == "failed"
    assert judge({"any_of": [{"status_is": "success"}, no_data]}, EMPTY).outcome == "passed"
    assert judge({"any_of": [{"status_is": "error"}, no_data]}, EMPTY).outcome == "error"


# --- robustness ----------------------------------------------------------------------------


def test_an_evaluator_that_raises_becomes_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(entry: Any, run: TraceRun) -> Outcome:
        raise KeyError("surprise")

    monkeypatch.setitem(REGISTRY, "status_is", replace(REGISTRY["status_is"], evaluator=boom))
    outcome = judge({"status_is": "success"}, HAPPY)
    assert outcome.outcome == "error"
    assert outcome.message == "could not evaluate: KeyError: 'surprise'"


def test_deeply_nested_output_is_an_error_not_a_crash() -> None:
    nested: list[Any] = []
    for _ in range(5000):
        nested = [nested]
    run = make_run(final_output=nested)
    outcome = judge({"final_output_equals": [1]}, run)
    assert outcome.outcome == "error"
    assert "nested too deeply" in outcome.message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
ANY_ENTRIES = [parse_entry(e) for e in (
    {"final_output_contains": "a"}, {"final_output_matches": "a+"},
    {"final_output_equals": {"a": [1]}}, {"output_field": {"path": "a[0].b", "contains": "x"}},
    {"tool_args": {"tool": "t", "args": {"a": "x"}, "match": "regex"}},
    {"tool_args": {"tool": "t", "args": {"a": {"b": 1}}}}, {"repeated_tool_call": 2},
)]


@settings(max_examples=60, deadline=None)
@given(output=JSON, args=JSON)
def test_any_output_and_args_give_a_json_outcome(output: Any, args: Any) -> None:
    run = make_run(call("t") | {"tool_args": args}, call("t") | {"tool_args": args},
                   final_output=output)
    first = [o.model_dump_json() for o in evaluate_all(ANY_ENTRIES, run)]
    assert first == [o.model_dump_json() for o in evaluate_all(ANY_ENTRIES, run)]
    for dumped in first:
        assert json.loads(dumped)["outcome"] in ("passed", "failed", "error")


def test_semantic_checks_need_review() -> None:
    checks = [catalogue.SemanticCheck(check="The answer explains the charge", why="tone")]
    (outcome,) = semantic_outcomes(checks)
    assert (outcome.key, outcome.outcome) == ("semantic", "needs_review")
    assert outcome.message == "The answer explains the charge" and outcome.why == "tone"
    assert not all_hold([outcome])


def test_all_hold() -> None:
    outcomes = evaluate_all([parse_entry({"status_is": "success"}),
                             parse_entry({"tool_called": "search_kb"})], HAPPY)
    assert all_hold(outcomes)
    outcomes.append(judge({"max_tokens": 1}, EMPTY))
    assert not all_hold(outcomes)


# --- a real imported trace -----------------------------------------------------------------


def test_on_an_imported_replaykit_trace(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = [{"type": "input_message",
                                     "content": "Why was I charged $49.99 twice?"}]
    for i in range(5):
        events += [
            {"type": "tool_call", "tool_name": "lookup_billing",
             "tool_args": json.dumps(LOOP_ARGS), "call_id": f"call_{i}"},
            {"type": "tool_result", "call_id": f"call_{i}", "error": TIMEOUT},
        ]
    events.append({"type": "error", "message": "ToolLoopError: aborting run"})
    path = tmp_path / "tool-loop.json"
    path.write_text(json.dumps({"run_id": "run-billing-2024-0312", "status": "failed",
                                "events": events}), encoding="utf-8")
    (run,) = load_trace(path)
    observed = [parse_entry(e) for e in (
        {"status_is": "error"},
        {"tool_call_count": {"tool": "lookup_billing", "min": 5}},
        {"repeated_tool_call": 5},
        {"tool_error_count": {"tool": "lookup_billing", "equals": 5}},
        {"error_matches": "ToolLoop"},
        {"final_output_exists": False},
    )]
    desired = [parse_entry(e) for e in (
        {"status_is": "success"},
        {"tool_call_count": {"tool": "lookup_billing", "max": 3}},
        {"final_output_exists": True},
    )]
    assert all_hold(evaluate_all(observed, run))
    results = evaluate_all(desired, run)
    assert [o.outcome for o in results] == ["failed", "failed", "failed"]
    assert results[1].message == "lookup_billing was called 5 times, expected <= 3"
    assert results[1].events == [2, 4, 6, 8, 10]


def test_public_names_are_pinned() -> None:
    import replaycase.assertions as engine

    assert engine.__all__ == ["REGISTRY", "Assertion", "Entry", "all_hold", "evaluate",
                              "evaluate_all", "parse_entry", "semantic_outcomes"]
