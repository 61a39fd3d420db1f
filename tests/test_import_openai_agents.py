"""The OpenAI Agents SDK importer, on the real exports in tests/data/traces/openai-agents."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import assert_malformed, import_in_memory, mutate

from replaycase.importers import load_trace
from replaycase.importers.openai_agents import OpenAIAgentsImporter
from replaycase.model import ErrorEvent, LlmCallEvent, ToolCallEvent, TraceRun

DATA = Path(__file__).parent / "data"
FOLDER = DATA / "traces" / "openai-agents"
GOLDEN = DATA / "golden" / "openai-agents-tool-error-unhandled.json"
FILES = sorted(FOLDER.glob("*.json"))
VARIANTS = ["", ".responses-api"]
HAPPY_ANSWER = ("Your current balance is $129.00, all on invoice INV-4102, which is due on "
                "1 April 2026.")


def load(scenario: str, variant: str = "") -> TraceRun:
    runs = load_trace(FOLDER / f"{scenario}{variant}.json")
    assert len(runs) == 1
    return runs[0]


def test_the_corpus_is_there() -> None:
    assert len(FILES) == 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_imports_by_content(path: Path) -> None:
    [run] = load_trace(path)
    assert run.source is not None and run.source.format == "openai-agents"
    assert run.source.file == path.name and len(run.source.sha256 or "") == 64
    assert run.run_id.startswith("trace_")
    assert [e.seq for e in run.events] == list(range(1, len(run.events) + 1))
    assert run.metadata.agent == "billing_support_agent"
    assert run.metadata.extra["workflow_name"] == "billing_support_agent request"
    assert run.tool_calls(), "every scenario calls at least one tool"
    stamps = [e.ts for e in run.events if e.ts is not None]
    assert stamps == sorted(stamps), "events are re-ordered by time"


@pytest.mark.parametrize("variant", VARIANTS)
def test_tool_loop(variant: str) -> None:
    run = load("tool-loop", variant)
    assert run.status == "error"
    calls = run.tool_calls()
    assert [c.tool_name for c in calls] == ["lookup_billing"] * 5
    assert all(c.tool_args == {"customer_id": "C-10442"} for c in calls)
    assert all(c.is_error for c in calls)
    assert calls[0].output == "Error: TimeoutError: billing-api did not respond within 10s"
    assert "called 5 times" in calls[-1].output
    [error] = run.errors()
    assert error.message.startswith("Error in agent run: Error running tool lookup_billing")
    assert run.final_output is None


@pytest.mark.parametrize("variant", VARIANTS)
def test_tool_error_unhandled_is_a_non_fatal_tool_error(variant: str) -> None:
    run = load("tool-error-unhandled", variant)
    [call] = run.tool_calls()
    assert call.is_error and call.tool_name == "lookup_billing"
    assert call.output.startswith("Error: BillingAPIError: 500 Internal Server Error")
    assert run.status == "success"
    assert run.errors() == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_wrong_tool(variant: str) -> None:
    run = load("wrong-tool", variant)
    [call] = run.tool_calls()
    assert call.tool_name == "issue_refund"
    assert call.tool_args["amount_cents"] == 4999
    assert not call.is_error
    assert run.status == "success"


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_final_output(variant: str) -> None:
    run = load("no-final-output", variant)
    assert run.status == "error"
    assert not run.has_final_output()
    assert [c.tool_name for c in run.tool_calls()] == ["search_kb"] * 4
    # the SDK's MaxTurnsExceeded says "Max turns (4) exceeded"; its span holds the number apart
    assert [e.message for e in run.errors()] == ["Max turns (4) exceeded"]


def test_happy_chat_completions() -> None:
    run = load("happy")
    assert run.status == "success"
    assert run.final_output == HAPPY_ANSWER
    assert run.events[-1].type == "final_output"
    assert run.input == "What's my current balance? Customer C-40219."
    assert run.events[0].type == "input_message"
    totals = run.totals()
    assert (totals.input_tokens, totals.output_tokens, totals.llm_calls) == (845, 46, 2)
    assert run.metadata.model == "gpt-4o-mini"
    [call] = run.tool_calls()
    assert call.output.startswith("{'customer_id': 'C-40219'"), "str() repr kept, not JSON"


def test_usage_is_not_double_counted_against_the_task_span() -> None:
    raw = json.loads((FOLDER / "tool-loop.json").read_text())
    task = next(s for s in raw["data"] if s.get("span_data", {}).get("name") == "task")
    expected = task["span_data"]["data"]["usage"]
    totals = load("tool-loop").totals()
    assert totals.input_tokens == expected["input_tokens"] == 2920
    assert totals.output_tokens == expected["output_tokens"]


def test_model_calls_carry_messages_usage_and_requested_tool_calls() -> None:
    run = load("tool-loop")
    llm = run.llm_calls()
    assert len(llm) == 5
    first = llm[0]
    assert first.model == "gpt-4o-mini" and first.usage is not None
    assert first.usage.input_tokens == 412 and first.latency_ms is not None
    assert [m["role"] for m in first.request] == ["system", "user"]
    assert first.response is None
    [requested] = first.tool_calls
    assert requested.call_id == "call_a86654cc4a7421d4935fc9a8"
    assert requested.tool_args == {"customer_id": "C-10442"}


def test_call_ids_pair_by_order_and_name_with_the_requested_calls() -> None:
    run = load("tool-loop")
    requested = [c.call_id for e in run.llm_calls() for c in e.tool_calls]
    assert [c.call_id for c in run.tool_calls()] == requested
    assert len(set(requested)) == 5


def test_responses_api_has_no_text_model_or_call_ids() -> None:
    run = load("happy", ".responses-api")
    assert run.status == "success"
    assert run.final_output is None and run.input is None
    llm = run.llm_calls()
    assert len(llm) == 2
    assert all(e.model is None and e.response is None for e in llm)
    assert llm[0].request["response_id"].startswith("resp_")
    assert all(c.call_id is None for c in run.tool_calls())
    totals = run.totals()
    assert (totals.input_tokens, totals.output_tokens) == (845, 46), "usage of each turn span"


def test_chat_and_responses_variants_agree_on_tools_and_status() -> None:
    for scenario in ("happy", "tool-loop", "tool-error-unhandled", "wrong-tool",
                     "no-final-output"):
        chat, responses = load(scenario), load(scenario, ".responses-api")
        assert chat.status == responses.status
        assert [(c.tool_name, c.tool_args, c.is_error) for c in chat.tool_calls()] == \
            [(c.tool_name, c.tool_args, c.is_error) for c in responses.tool_calls()]


def test_several_traces_in_one_body_give_several_runs(tmp_path: Path) -> None:
    body = {"data": []}
    for name in ("happy.json", "wrong-tool.json"):
        body["data"] += json.loads((FOLDER / name).read_text())["data"]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(body))
    happy, wrong = load_trace(path)
    assert happy.final_output == HAPPY_ANSWER
    assert [c.tool_name for c in wrong.tool_calls()] == ["issue_refund"]


def test_handoff_and_unknown_spans_become_custom_events(tmp_path: Path) -> None:
    body = json.loads((FOLDER / "happy.json").read_text())
    span = copy.deepcopy(body["data"][1])
    span["id"] = "span_handoff"
    span["span_data"] = {"type": "handoff", "from_agent": "triage", "to_agent": "billing"}
    body["data"].append(span)
    path = tmp_path / "handoff.json"
    path.write_text(json.dumps(body))
    [run] = load_trace(path, format="openai-agents")
    [custom] = [e for e in run.events if e.type == "custom"]
    assert custom.name == "handoff" and custom.data["to_agent"] == "billing"


def test_golden_tool_error_unhandled() -> None:
    actual = load("tool-error-unhandled").model_dump(mode="json", by_alias=True)
    if os.environ.get("REPLAYCASE_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    assert GOLDEN.exists(), "run with REPLAYCASE_UPDATE_GOLDEN=1 to create the golden file"
    assert actual == json.loads(GOLDEN.read_text(encoding="utf-8"))


def _span(span_data: Any, **extra: Any) -> dict[str, Any]:
    return {"object": "trace.span", "id": "span_1", "trace_id": "trace_1",
            "span_data": span_data, **extra}


_TRACE = {"object": "trace", "id": "trace_1"}
MALFORMED: list[tuple[str, Any, str]] = [
    ("not-json", "{\"data\": [", "invalid JSON"),
    ("top-list", [], "data"),
    ("data-string", {"data": "spans"}, "data"),
    ("item-list", {"data": [_TRACE, ["x"]]}, "data[1]: expected an object, got a list"),
    ("span-data-list", {"data": [_TRACE, _span([])]},
     "data[1].span_data: expected an object, got a list"),
    ("no-trace-id", {"data": [{"object": "trace.span", "span_data": {"type": "agent"}}]},
     "data[0]: a span without a \"trace_id\""),
    ("no-type", {"data": [_TRACE, _span({"name": "x"})]}, "data[1].span_data: no \"type\""),
    ("output-string", {"data": [_TRACE, _span({"type": "generation", "output": "hi"})]},
     "data[1].span_data.output: expected a list, got a string"),
    ("function-no-name", {"data": [_TRACE, _span({"type": "function", "input": "{}"})]},
     "data[1].span_data: a function span without a \"name\""),
    ("usage-text", {"data": [_TRACE, _span({"type": "generation",
                                            "usage": {"input_tokens": "many"}})]},
     "data[1].span_data.usage.input_tokens"),
    ("started-number", {"data": [_TRACE, _span({"type": "agent"}, started_at=5)]},
     "data[1].started_at: expected a string, got a number"),
    ("trace-id-number", {"data": [{"object": "trace", "id": 7}]},
     "data[0].id: expected a string, got a number"),
    ("tool-calls-object", {"data": [_TRACE, _span({"type": "generation", "output": [
        {"role": "assistant", "tool_calls": {"id": "x"}}]})]},
     "data[1].span_data.output[0].tool_calls: expected a list"),
    ("unknown-object", {"data": [_TRACE, {"object": "trace.event"}]},
     "data[1].object: expected \"trace\" or \"trace.span\""),
    ("error-number", {"data": [_TRACE, _span({"type": "agent"}, error=3)]},
     "data[1].error: expected an object"),
]


@pytest.mark.parametrize(("name", "content", "fragment"), MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_malformed_files_give_one_line_naming_the_file(tmp_path: Path, name: str,
                                                       content: Any, fragment: str) -> None:
    assert_malformed(tmp_path / f"{name}.json", content, "openai-agents", fragment)


def _import(value: Any) -> None:
    import_in_memory(OpenAIAgentsImporter(), value)


_KEYS = ["data", "object", "id", "trace_id", "parent_id", "span_data", "type", "name",
         "input", "output", "model", "usage", "error", "message", "started_at", "ended_at",
         "tool_calls", "function", "arguments", "role", "content", "input_tokens"]
_LEAVES = (st.none() | st.booleans() | st.integers(-5, 10**6)
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from(["trace", "trace.span", "generation", "function", "agent",
                              "response", "custom", "handoff", "turn", "user", "assistant",
                              "2026-11-22T00:01:57+00:00", "not a time", "{\"a\": 1}"])
           | st.text(max_size=8))
_JSON = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), inner,
                                       max_size=5), max_leaves=15)


@settings(max_examples=150, deadline=None)
@given(st.one_of(_JSON, st.fixed_dictionaries({"data": st.lists(_JSON, max_size=5)})))
def test_random_json_raises_only_replaycase_errors(value: Any) -> None:
    _import(value)


_REAL = json.loads((FOLDER / "tool-error-unhandled.json").read_text())


_MUTATION_VALUES = (_LEAVES | st.lists(_LEAVES, max_size=2)
                    | st.dictionaries(st.sampled_from(_KEYS), _LEAVES, max_size=2))


@st.composite
def _mutated_real(draw: st.DrawFn) -> Any:
    return mutate(draw, _REAL, _MUTATION_VALUES)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated_real())
def test_mutated_real_trace_raises_only_replaycase_errors(value: Any) -> None:
    _import(value)


def test_run_events_are_typed() -> None:
    run = load("tool-loop")
    kinds = {type(e) for e in run.events}
    assert {LlmCallEvent, ToolCallEvent, ErrorEvent} <= kinds
