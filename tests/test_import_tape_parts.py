"""What the model tape needs from each trace format (DESIGN 8), on the reference corpus: each
model call's instructions, messages, offered tools, answer text and stop reason, or None where
the file did not record them; malformed message fields are ignored or a one-line error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from replaycase.errors import TraceFormatError
from replaycase.importers import load_trace
from replaycase.model import ChatMessage, LlmCallEvent, RequestedToolCall

TRACES = Path(__file__).parent / "data" / "traces"
SCENARIOS = ("happy", "tool-loop", "tool-error-unhandled", "wrong-tool", "no-final-output")
TOOLS = ["lookup_billing", "issue_refund", "search_kb"]
SYSTEM = ("You are Acme Cloud's billing support assistant. Use lookup_billing to read account "
          "and invoice data, search_kb for policy questions, and issue_refund only when the "
          "customer explicitly asks for a refund. Never change an account when the customer "
          "only asks for information.")
QUESTION = "I was charged twice for March. Can you check what happened? My customer id is C-10442."
FIRST_CALL = "call_a86654cc4a7421d4935fc9a8"
TIMEOUT = "Error: TimeoutError: billing-api did not respond within 10s"
HAPPY_ANSWER = ("Your current balance is $129.00, all on invoice INV-4102, which is due on "
                "1 April 2026.")


def llm_calls(path: Path, fmt: str = "auto") -> list[LlmCallEvent]:
    runs = load_trace(path, format=fmt)
    assert len(runs) == 1
    return [e for e in runs[0].events if isinstance(e, LlmCallEvent)]


def loop_history(tool_name: str | None = "lookup_billing") -> list[ChatMessage]:
    """The conversation of tool-loop's 2nd model call: the question, the lookup, its timeout."""
    return [
        ChatMessage(role="user", text=QUESTION),
        ChatMessage(role="assistant", text="", tool_calls=[RequestedToolCall(
            tool_name="lookup_billing", tool_args={"customer_id": "C-10442"},
            call_id=FIRST_CALL)]),
        ChatMessage(role="tool", text=TIMEOUT, call_id=FIRST_CALL, tool_name=tool_name),
    ]


def assert_recorded(calls: list[LlmCallEvent], tools: list[str] | None = TOOLS) -> None:
    """Every call carries all the tape's parts, the messages growing turn by turn."""
    assert calls
    for index, call in enumerate(calls):
        assert call.instructions == SYSTEM
        assert call.messages is not None and call.messages[0].role == "user"
        assert len(call.messages) == 1 + 2 * index
        assert call.tools_offered == tools
        assert call.output_text is not None
        assert call.output_text == "" or not call.tool_calls


def assert_not_recorded(call: LlmCallEvent) -> None:
    assert (call.instructions, call.messages, call.tools_offered, call.output_text) == \
        (None, None, None, None)


# --- OTLP: GenAI semantic conventions and OpenInference ---------------------------------------

@pytest.mark.parametrize("flavor", ["otlp-genai", "openinference"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_otlp_calls_carry_the_tape_parts(flavor: str, scenario: str) -> None:
    assert_recorded(llm_calls(TRACES / flavor / f"{scenario}.json", "otlp"))


@pytest.mark.parametrize("name", ["otlp-genai/tool-loop.json", "openinference/tool-loop.json",
                                  "otlp-genai/tool-loop.protobuf-default-json.json"])
def test_otlp_tool_loop_second_call(name: str) -> None:
    calls = llm_calls(TRACES / name, "otlp")
    assert len(calls) == 5
    second = calls[1]
    assert second.messages == loop_history()
    assert second.output_text == ""
    assert second.stop_reason == "tool_calls"
    assert [c.tool_name for c in second.tool_calls] == ["lookup_billing"]


@pytest.mark.parametrize("flavor", ["otlp-genai", "openinference"])
def test_otlp_happy_answer(flavor: str) -> None:
    last = llm_calls(TRACES / flavor / "happy.json", "otlp")[-1]
    assert (last.output_text, last.stop_reason, last.tool_calls) == (HAPPY_ANSWER, "stop", [])
    assert last.messages is not None and last.messages[-1].role == "tool"
    assert json.loads(last.messages[-1].text)["customer_id"] == "C-40219"


def test_otlp_all_scenarios_jsonl_matches_the_single_files() -> None:
    runs = load_trace(TRACES / "otlp-genai" / "all-scenarios.jsonl", format="otlp")
    assert len(runs) == 5
    for run in runs:
        assert_recorded([e for e in run.events if isinstance(e, LlmCallEvent)])


@pytest.mark.parametrize("name", ["tool-error.traces.json", "provider-error.traces.json"])
def test_otlp_spans_without_captured_content_leave_the_parts_none(name: str) -> None:
    calls = llm_calls(TRACES / "otel-genai-logs" / name, "otlp")
    assert calls
    for call in calls:
        assert_not_recorded(call)


def _genai_trace(attrs: dict[str, Any]) -> dict[str, Any]:
    values = [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()]
    span = {"traceId": "0" * 31 + "1", "spanId": "0" * 15 + "1", "name": "chat m",
            "startTimeUnixNano": "1", "endTimeUnixNano": "2",
            "attributes": [{"key": "gen_ai.operation.name",
                            "value": {"stringValue": "chat"}}, *values]}
    return {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}


@pytest.mark.parametrize("attrs", [
    {"gen_ai.input.messages": "[not json", "gen_ai.output.messages": "{]"},
    {"gen_ai.input.messages": json.dumps([1, None, "x", {"role": 5, "parts": "p"}]),
     "gen_ai.output.messages": json.dumps([{"parts": [{"type": "tool_call", "name": 3}]}])},
    {"gen_ai.input.messages": json.dumps([{"role": "tool", "parts": [
        {"type": "tool_call_response", "id": {"x": 1}, "response": {"a": [1]}}]}]),
     "gen_ai.system_instructions": json.dumps({"content": 7}),
     "gen_ai.tool.definitions": json.dumps([{"name": 1}, "x", {"function": "f"}])},
    {"llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.contents": "x",
     "llm.tools.0.tool.json_schema": "{bad", "llm.tools.1": "y",
     "output.value": json.dumps({"choices": [{"finish_reason": 3}]})},
])
def test_otlp_malformed_messages_are_ignored(tmp_path: Path, attrs: dict[str, Any]) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(_genai_trace(attrs)))
    (call,) = llm_calls(path, "otlp")
    assert call.messages is None or all(isinstance(m, ChatMessage) for m in call.messages)
    assert call.tools_offered is None or all(isinstance(t, str) for t in call.tools_offered)
    assert call.stop_reason is None


def test_otlp_malformed_attribute_value_is_one_line(tmp_path: Path) -> None:
    trace = _genai_trace({})
    span = trace["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["attributes"].append({"key": "gen_ai.input.messages", "value": {"kvlistValue": 3}})
    path = tmp_path / "t.json"
    path.write_text(json.dumps(trace))
    with pytest.raises(TraceFormatError) as caught:
        load_trace(path, format="otlp")
    assert "\n" not in str(caught.value)


# --- LangSmith run trees ---------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["runs", "tree"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_langsmith_calls_carry_the_tape_parts(scenario: str, shape: str) -> None:
    assert_recorded(llm_calls(TRACES / "langsmith" / f"{scenario}.{shape}.json", "langsmith"))


@pytest.mark.parametrize("shape", ["runs", "tree"])
def test_langsmith_tool_loop_second_call(shape: str) -> None:
    calls = llm_calls(TRACES / "langsmith" / f"tool-loop.{shape}.json", "langsmith")
    assert len(calls) == 5
    assert calls[1].messages == loop_history()
    assert (calls[1].output_text, calls[1].stop_reason) == ("", "tool_calls")
    last = llm_calls(TRACES / "langsmith" / f"happy.{shape}.json", "langsmith")[-1]
    assert (last.output_text, last.stop_reason) == (HAPPY_ANSWER, "stop")


def _langsmith_llm(inputs: Any, outputs: Any = None, extra: Any = None) -> list[dict[str, Any]]:
    run = {"id": "r1", "trace_id": "r1", "name": "ChatOpenAI", "run_type": "llm",
           "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:00:01Z",
           "inputs": inputs, "outputs": outputs}
    if extra is not None:
        run["extra"] = extra
    return [run]


def test_langsmith_without_messages_leaves_the_parts_none(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_langsmith_llm({"prompt": "hi"})))
    (call,) = llm_calls(path, "langsmith")
    assert_not_recorded(call)


def test_langsmith_langchain_messages_and_invocation_tools(tmp_path: Path) -> None:
    messages = [[
        {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "SystemMessage"],
         "kwargs": {"content": "Be brief."}},
        {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "HumanMessage"],
         "kwargs": {"content": "hi"}},
        {"type": "ai", "content": "", "tool_calls": [{"name": "f", "args": {"a": 1},
                                                       "id": "c1"}]},
        {"type": "tool", "content": "42", "tool_call_id": "c1"},
    ]]
    outputs = {"generations": [[{"text": "done", "generation_info": {"finish_reason": "stop"}}]]}
    extra = {"invocation_params": {"tools": [{"type": "function", "function": {"name": "f"}}]}}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_langsmith_llm({"messages": messages}, outputs, extra)))
    (call,) = llm_calls(path, "langsmith")
    assert call.instructions == "Be brief."
    assert call.messages == [
        ChatMessage(role="user", text="hi"),
        ChatMessage(role="assistant", tool_calls=[RequestedToolCall(
            tool_name="f", tool_args={"a": 1}, call_id="c1")]),
        ChatMessage(role="tool", text="42", call_id="c1", tool_name="f")]
    assert (call.tools_offered, call.output_text, call.stop_reason) == (["f"], "done", "stop")


@pytest.mark.parametrize("inputs", [
    {"messages": "not a list", "tools": "x"},
    {"messages": [1, None, {"role": 3, "content": {"a": 1}}, {"kwargs": {"content": 2}, "id": 5},
                  {"role": "assistant", "tool_calls": [1, {"function": "f"}, {"name": 2}]}],
     "tools": [1, {"function": 2}]},
])
def test_langsmith_malformed_messages_are_ignored(tmp_path: Path, inputs: Any) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_langsmith_llm(inputs, {"choices": [{"finish_reason": 1}]},
                                              {"invocation_params": "x"})))
    (call,) = llm_calls(path, "langsmith")
    assert call.messages is None or all(isinstance(m, ChatMessage) for m in call.messages)
    assert call.stop_reason is None


# --- OpenAI Agents SDK -----------------------------------------------------------------------

@pytest.mark.parametrize("scenario", SCENARIOS)
def test_openai_agents_generations_carry_the_tape_parts(scenario: str) -> None:
    calls = llm_calls(TRACES / "openai-agents" / f"{scenario}.json", "openai-agents")
    assert_recorded(calls)
    assert all(call.stop_reason is None for call in calls)  # generation spans have none


def test_openai_agents_tool_loop_second_call() -> None:
    calls = llm_calls(TRACES / "openai-agents" / "tool-loop.json", "openai-agents")
    assert len(calls) == 5
    assert calls[1].messages == loop_history()
    assert calls[1].output_text == ""
    last = llm_calls(TRACES / "openai-agents" / "happy.json", "openai-agents")[-1]
    assert last.output_text == HAPPY_ANSWER


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_openai_agents_response_spans_record_no_parts(scenario: str) -> None:
    calls = llm_calls(TRACES / "openai-agents" / f"{scenario}.responses-api.json",
                      "openai-agents")
    assert calls
    for call in calls:
        assert_not_recorded(call)


def _agents_trace(generation: dict[str, Any], agent: dict[str, Any]) -> dict[str, Any]:
    def span(sid: str, parent: str | None, data: dict[str, Any]) -> dict[str, Any]:
        return {"object": "trace.span", "id": sid, "trace_id": "trace_1", "parent_id": parent,
                "started_at": "2026-01-01T00:00:00+00:00",
                "ended_at": "2026-01-01T00:00:01+00:00", "span_data": data}
    return {"data": [{"object": "trace", "id": "trace_1"},
                     span("g", "a", {"type": "generation", **generation}),
                     span("a", "g", {"type": "agent", "name": "x", **agent})]}  # a cycle


@pytest.mark.parametrize("generation, agent", [
    ({"input": [1, {"role": None}, {"role": "tool", "tool_call_id": {}}]}, {"tools": "x"}),
    ({"input": [{"role": "assistant", "tool_calls": [{"function": {"name": 1}}, 3]}]},
     {"tools": ["f", 1], "handoffs": ["other"]}),
    ({"input": [], "output": []}, {"tools": [None, "f"]}),
])
def test_openai_agents_malformed_messages_are_ignored(tmp_path: Path, generation: Any,
                                                      agent: Any) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(_agents_trace(generation, agent)))
    (call,) = llm_calls(path, "openai-agents")
    assert call.messages is not None and all(isinstance(m, ChatMessage) for m in call.messages)
    assert call.tools_offered in (None, ["f"])


def test_openai_agents_generation_without_output_has_no_answer(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(_agents_trace({"input": [{"role": "user", "content": "hi"}]},
                                             {"tools": ["f"]})))
    (call,) = llm_calls(path, "openai-agents")
    assert (call.instructions, call.messages, call.tools_offered, call.output_text) == \
        ("", [ChatMessage(role="user", text="hi")], ["f"], None)


# --- OTLP with GenAI content in log records (otel-genai-logs) --------------------------------

def test_otlp_log_records_carry_the_messages_of_their_chat_span() -> None:
    runs = load_trace(TRACES / "otel-genai-logs" / "all.otlp.jsonl", format="otlp")
    tool_error = next(r for r in runs if r.status == "success")
    first, second = [e for e in tool_error.events if isinstance(e, LlmCallEvent)]
    system = ("You are the Acme Cloud billing support agent. Use issue_refund only when the "
              "customer explicitly asks for a refund.")
    question = "Was invoice INV-2291 paid? My customer id is C-10442."
    lookup = RequestedToolCall(tool_name="lookup_billing", call_id="call_Q1lookup2291",
                               tool_args={"customer_id": "C-10442", "invoice_id": "INV-2291"})
    assert (first.instructions, first.output_text, first.stop_reason) == \
        (system, "", "tool_calls")
    assert first.messages == [ChatMessage(role="user", text=question)]
    assert second.instructions == system
    assert second.messages == [
        ChatMessage(role="user", text=question),
        ChatMessage(role="assistant", tool_calls=[lookup]),
        ChatMessage(role="tool", call_id="call_Q1lookup2291", tool_name="lookup_billing",
                    text="Error: BillingAPIError: 500 Internal Server Error from billing-api "
                         "(request req_7f3a91)")]
    assert second.output_text is not None and second.output_text.startswith("Sorry, I couldn't")
    assert first.tools_offered is None  # the event mode does not record the tools offered
    provider_error = next(r for r in runs if r.status == "error")
    (failed,) = [e for e in provider_error.events if isinstance(e, LlmCallEvent)]
    assert failed.messages is not None and failed.output_text is None


@pytest.mark.parametrize("body", [{"stringValue": "x"}, {"kvlistValue": {"values": [
    {"key": "content", "value": {"intValue": "3"}}, {"key": "id", "value": {"kvlistValue": {}}}]}},
    None])
def test_otlp_malformed_log_bodies_are_ignored(tmp_path: Path, body: Any) -> None:
    trace = _genai_trace({})
    record = {"traceId": "0" * 31 + "1", "spanId": "0" * 15 + "1",
              "eventName": "gen_ai.tool.message", "body": body}
    logs = {"resourceLogs": [{"scopeLogs": [{"logRecords": [record, {"body": body}]}]}]}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(trace) + "\n" + json.dumps(logs) + "\n")
    (call,) = llm_calls(path, "otlp")
    assert call.messages is None or all(isinstance(m, ChatMessage) for m in call.messages)


def test_otlp_malformed_log_record_is_one_line(tmp_path: Path) -> None:
    logs = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"spanId": 5,
                                                             "eventName": "e"}]}]}]}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(_genai_trace({})) + "\n" + json.dumps(logs) + "\n")
    with pytest.raises(TraceFormatError) as caught:
        load_trace(path, format="otlp")
    assert "\n" not in str(caught.value) and "line 2" in str(caught.value)
