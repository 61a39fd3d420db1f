"""What a model tape needs (DESIGN 8), as the importers keep it from the real trace files:
each model call's request (messages, instructions, tools offered: None where the format
does not record them) and its answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from replaycase.errors import TraceFormatError
from replaycase.importers import load_trace
from replaycase.model import ChatMessage, LlmCallEvent, RequestedToolCall, TraceRun

TRACES = Path(__file__).parent / "data" / "traces"
SCENARIOS = ["happy", "no-final-output", "tool-error-unhandled", "tool-loop", "wrong-tool"]
SYSTEM = ("You are Acme Cloud's billing support assistant. Use lookup_billing to read account "
          "and invoice data, search_kb for policy questions, and issue_refund only when the "
          "customer explicitly asks for a refund. Never change an account when the customer "
          "only asks for information.")
QUESTION = ("I was charged twice for March. Can you check what happened? My customer id is "
            "C-10442.")
TIMEOUT = "TimeoutError: billing-api did not respond within 10s"
LOOKUP = {"customer_id": "C-10442"}


def calls(run: TraceRun) -> list[LlmCallEvent]:
    return [e for e in run.events if isinstance(e, LlmCallEvent)]


def one_run(path: Path, format: str = "auto") -> TraceRun:
    [run] = load_trace(path, format=format)
    return run


def user(text: str) -> ChatMessage:
    return ChatMessage(role="user", text=text)


def asked(call_id: str, args: Any = LOOKUP) -> ChatMessage:
    return ChatMessage(role="assistant", tool_calls=[RequestedToolCall(
        tool_name="lookup_billing", tool_args=args, call_id=call_id)])


def result(call_id: str, text: str, is_error: bool = False) -> ChatMessage:
    return ChatMessage(role="tool", text=text, call_id=call_id, tool_name="lookup_billing",
                       is_error=is_error)


def _write(tmp_path: Path, value: Any, name: str = "trace.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return path


# -- transcripts ---------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["transcript-openai", "transcript-anthropic"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_transcript_turn_has_its_request_and_answer(dialect: str, scenario: str) -> None:
    run = one_run(TRACES / dialect / f"{scenario}.json")
    raw = json.loads((TRACES / dialect / f"{scenario}.json").read_text())
    assistants = [i for i, m in enumerate(raw) if m["role"] == "assistant"]
    assert len(calls(run)) == len(assistants)
    for call, index in zip(calls(run), assistants, strict=True):
        sent = [m for m in raw[:index] if m["role"] != "system"]
        assert call.messages is not None and len(call.messages) >= len(sent)
        assert call.messages[0] == user(raw[0 if dialect.endswith("anthropic") else 1]
                                        ["content"])
        assert call.instructions == (SYSTEM if dialect == "transcript-openai" else None)
        assert call.tools_offered is None, "a bare list offers no tools"
        assert call.output_text is not None
        assert (call.output_text == "") == bool(call.tool_calls)
    if scenario == "happy":
        assert calls(run)[-1].output_text == run.final_output


def test_openai_tool_loop_second_call() -> None:
    second = calls(one_run(TRACES / "transcript-openai" / "tool-loop.json"))[1]
    assert second.instructions == SYSTEM
    assert second.messages == [user(QUESTION), asked("call_a86654cc4a7421d4935fc9a8"),
                               result("call_a86654cc4a7421d4935fc9a8", f"Error: {TIMEOUT}")]
    assert second.output_text == "" and second.tool_calls[0].tool_args == LOOKUP


def test_anthropic_tool_loop_second_call() -> None:
    second = calls(one_run(TRACES / "transcript-anthropic" / "tool-loop.json"))[1]
    assert second.instructions is None, "an Anthropic list leaves the system prompt out"
    assert second.messages == [user(QUESTION), asked("toolu_0196f3091770ddf74bd20f71"),
                               result("toolu_0196f3091770ddf74bd20f71", TIMEOUT, True)]


def test_a_request_body_gives_instructions_and_tools(tmp_path: Path) -> None:
    messages = json.loads((TRACES / "transcript-anthropic" / "happy.json").read_text())
    tools = [{"name": "lookup_billing", "input_schema": {}},
             {"type": "function", "function": {"name": "search_kb"}}]
    run = one_run(_write(tmp_path, {"system": [{"type": "text", "text": "Be brief."}],
                                    "tools": tools, "messages": messages}))
    assert [c.instructions for c in calls(run)] == ["Be brief.", "Be brief."]
    assert calls(run)[0].tools_offered == ["lookup_billing", "search_kb"]
    bare = one_run(_write(tmp_path, {"messages": messages}, "bare.json"))
    assert calls(bare)[0].instructions == "", "a request body without system had none"


def test_an_openai_list_without_system_had_no_instructions(tmp_path: Path) -> None:
    messages = json.loads((TRACES / "transcript-openai" / "happy.json").read_text())[1:]
    assert {c.instructions for c in calls(one_run(_write(tmp_path, messages)))} == {""}
    plain = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    [call] = calls(one_run(_write(tmp_path, plain, "plain.json")))
    assert call.instructions is None, "nothing says whose list it is"
    assert call.messages == [user("hi")] and call.output_text == "hello"


def test_anthropic_tool_results_and_text_in_one_turn_keep_their_order(tmp_path: Path) -> None:
    turn = [{"type": "tool_result", "tool_use_id": "t1", "content": [
        {"type": "text", "text": "ok"}]}, {"type": "text", "text": "and "},
        {"type": "text", "text": "more"}]
    run = one_run(_write(tmp_path, [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "x",
                                           "input": {}}]},
        {"role": "user", "content": turn},
        {"role": "assistant", "content": [{"type": "text", "text": "done"}],
         "stop_reason": "end_turn"}]))
    last = calls(run)[-1]
    assert last.messages is not None and [m.role for m in last.messages] == [
        "user", "assistant", "tool", "user"]
    assert last.messages[2].text == "ok" and last.messages[2].tool_name == "x"
    assert last.messages[3].text == "and more"
    assert last.output_text == "done" and last.stop_reason == "end_turn"


@pytest.mark.parametrize(("value", "expected"), [
    ({"tools": "x", "messages": [{"role": "user", "content": "hi"}]},
     "tools: expected a list, got a string"),
    ({"tools": [{"type": "function"}], "messages": [{"role": "user", "content": "hi"}]},
     "tools[0]: no tool name string"),
    ({"system": 3, "messages": [{"role": "user", "content": "hi"}]},
     "system: expected a string or a list of blocks, got a number"),
    ([{"role": "system", "content": [{"type": "text"}]}, {"role": "user", "content": "hi"}],
     'messages[0].content[0]: a text block needs a "text" string'),
])
def test_malformed_request_parts_are_one_line(tmp_path: Path, value: Any,
                                              expected: str) -> None:
    path = _write(tmp_path, value)
    with pytest.raises(TraceFormatError) as info:
        load_trace(path, format="transcript")
    assert expected in str(info.value) and "\n" not in str(info.value)


# -- replayt -------------------------------------------------------------------------------

REPLAYT_FULL = ["no-final-output", "tool-error-unhandled", "tool-loop"]
"""Log mode full: messages and content logged; the others are redacted."""


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_replayt_full_mode_records_the_request_redacted_mode_does_not(scenario: str) -> None:
    run = one_run(TRACES / "replayt" / f"{scenario}.jsonl")
    assert calls(run)
    for call in calls(run):
        assert call.tools_offered is None, "replayt logs no offered tools"
        if scenario in REPLAYT_FULL:
            assert call.instructions == SYSTEM and call.messages is not None
            assert call.output_text == call.response and call.output_text
        else:
            assert call.instructions is None and call.messages is None
            assert call.output_text is None, "a content preview is not the answer"


def test_replayt_tool_loop_second_call() -> None:
    first, second = calls(one_run(TRACES / "replayt" / "tool-loop.jsonl"))[:2]
    assert first.messages == [user(QUESTION)]
    assert first.output_text is not None
    assert json.loads(first.output_text)["tool_calls"][0]["id"] == "call_a86654cc4a7421d4935fc9a8"
    # replayt's model writes its tool calls as JSON text, and is sent them back as such
    assert second.messages == [
        user(QUESTION), ChatMessage(role="assistant", text=first.output_text),
        ChatMessage(role="tool", text=f"Error: {TIMEOUT}",
                    call_id="call_a86654cc4a7421d4935fc9a8")]
    assert [c.tool_args for c in second.tool_calls] == [LOOKUP]


def test_replayt_answer_and_finish_reason() -> None:
    run = one_run(TRACES / "replayt" / "tool-error-unhandled.jsonl")
    assert calls(run)[-1].output_text == run.final_output
    [call] = calls(one_run(TRACES / "replayt" / "ex-refund-dryrun-full.jsonl"))
    assert call.stop_reason == "stop" and call.messages is not None
    assert call.instructions is not None and call.instructions.startswith("You must respond")


# -- the recorder and the native format ------------------------------------------------------

def test_the_recorder_keeps_the_request_and_the_answer_through_native_json(
        tmp_path: Path) -> None:
    from replaycase.runner import Recorder

    rec = Recorder("r", QUESTION, clock=None)
    openai = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": QUESTION}]
    rec.llm_call(messages=openai, tools=[{"type": "function", "function": {
        "name": "lookup_billing"}}], tool_calls=[
        {"tool_name": "lookup_billing", "tool_args": LOOKUP, "call_id": "c1"}])
    rec.llm_call(messages=[user(QUESTION), asked("c1"), result("c1", TIMEOUT, True)],
                 instructions="Be kind.", tools=("lookup_billing",), response="Sorry.",
                 stop_reason="stop")
    rec.llm_call(response="no request recorded")
    rec.llm_call(messages=[{"role": "user", "content": "hi"}], output_text="", error="boom")
    first, second, bare, failed = calls(one_run(rec.save(tmp_path / "t.json")))
    assert first.instructions == "Be kind." and first.messages == [user(QUESTION)]
    assert first.tools_offered == ["lookup_billing"] and first.output_text == ""
    assert second.messages == [user(QUESTION), asked("c1"), result("c1", TIMEOUT, True)]
    assert second.output_text == "Sorry." and second.stop_reason == "stop"
    assert second.tools_offered == ["lookup_billing"]
    assert bare.messages is None and bare.instructions is None and bare.tools_offered is None
    assert bare.output_text == "no request recorded"
    assert failed.instructions is None, "no system message and none given: not recorded"
    assert failed.output_text == "" and failed.error == "boom"


@pytest.mark.parametrize(("messages", "expected"), [
    ("hi", "messages[0]: expected an object, got a string"),
    ([{"content": "hi"}], 'messages[0]: no "role" string'),
    ([{"role": "assistant", "tool_calls": [{"function": {"name": 3}}]}],
     "messages[0].tool_calls[0].function.name: expected a string, got a number"),
])
def test_the_recorder_refuses_malformed_messages_in_one_line(messages: Any,
                                                             expected: str) -> None:
    from replaycase.runner import Recorder

    with pytest.raises(ValueError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        Recorder("r", clock=None).llm_call(messages=messages)


def test_the_example_agent_records_what_its_model_was_sent() -> None:
    example = Path(__file__).parents[1] / "examples" / "runner-api" / "traces" / "tool-loop.json"
    first, second = calls(one_run(example))[:2]
    assert first.instructions is not None and first.instructions.startswith("You are Acme")
    assert first.tools_offered == ["lookup_billing", "search_kb", "issue_refund"]
    assert second.messages is not None and [m.role for m in second.messages] == [
        "user", "assistant", "tool"]
    assert second.messages[1].tool_calls[0].tool_args == LOOKUP
    assert second.messages[2].text == f"{TIMEOUT}" and second.output_text == ""


# -- ReplayKit-style JSON and native round trip ----------------------------------------------

def test_replaykit_llm_calls_keep_the_request_and_the_answer(tmp_path: Path) -> None:
    openai = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": QUESTION}]
    events = [
        {"type": "llm_call", "messages": openai, "tools": ["lookup_billing"],
         "tool_calls": [{"name": "lookup_billing", "arguments": '{"customer_id": "C-10442"}',
                         "id": "c1"}]},
        {"type": "llm_call", "request": {"system": "Be brief.", "messages": [
            {"role": "user", "content": QUESTION}], "tools": [{"name": "search_kb"}]},
         "response": "Hello.", "finish_reason": "stop"},
        {"type": "llm_call", "response": {"raw": 1}},
        {"type": "llm_call", "messages": [{"role": "assistant", "tool_calls": "bad"}],
         "tools": [3], "output_text": "kept"},
    ]
    run = one_run(_write(tmp_path, {"run_id": "r", "status": "error", "events": events}),
                  format="replaykit")
    first, second, bare, malformed = calls(run)
    assert first.instructions == "Be kind." and first.messages == [user(QUESTION)]
    assert first.tools_offered == ["lookup_billing"] and first.output_text == ""
    assert second.instructions == "Be brief." and second.tools_offered == ["search_kb"]
    assert second.output_text == "Hello." and second.stop_reason == "stop"
    assert (bare.messages, bare.instructions, bare.tools_offered, bare.output_text) == (
        None, None, None, None)
    assert malformed.messages is None and malformed.tools_offered is None, "ignored"
    assert malformed.output_text == "kept"
    # native JSON keeps every part as it is
    [again] = load_trace(_write(tmp_path, json.loads(run.to_json()), "native.json"),
                         format="native")
    assert calls(again) == calls(run)
