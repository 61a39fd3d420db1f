"""The candidate's run read from the wire (DESIGN 8): a model log written by the real model
server, talked to by the real ``openai`` and ``anthropic`` SDKs, read back as a TraceRun that
the assertion engine judges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from model_server_checks import KEY, ExactTurns

import replaycase
from replaycase.model import ChatMessage, RequestedToolCall
from replaycase.replay.model_server import ModelServer
from replaycase.replay.wire_run import WIRE_FORMAT, read_model_log, run_from_wire
from replaycase.tape.key import make_key
from replaycase.tape.models import Answer, AnswerToolCall, AnswerUsage, TapeTurn

openai = pytest.importorskip("openai")

INSTRUCTIONS = "You answer billing questions."
QUESTION = "Why was I charged twice?"
ARGS = {"account": "AC-7"}
RESULT = '{"charges": [12.5, 12.5]}'
ANSWER = "You were charged twice for one order; a refund is on its way."
MODEL = "gpt-test"
TOOLS_OFFERED = ["lookup_billing"]

FIRST = [ChatMessage(role="user", text=QUESTION)]
CALLED = ChatMessage(role="assistant", tool_calls=[
    RequestedToolCall(tool_name="lookup_billing", tool_args=ARGS, call_id="c1")])


def _turns(result: str = RESULT) -> list[TapeTurn]:
    second = [*FIRST, CALLED, ChatMessage(role="tool", text=result, call_id="c1")]
    return [
        TapeTurn(turn=1, key=make_key(INSTRUCTIONS, FIRST, TOOLS_OFFERED), answer=Answer(
            model=MODEL, tool_calls=[AnswerToolCall(name="lookup_billing", arguments=ARGS)],
            stop_reason="tool_calls", usage=AnswerUsage(input_tokens=20, output_tokens=6))),
        TapeTurn(turn=2, key=make_key(INSTRUCTIONS, second, TOOLS_OFFERED), answer=Answer(
            model=MODEL, text=ANSWER, stop_reason="stop",
            usage=AnswerUsage(input_tokens=40, output_tokens=15))),
    ]


def _chat_agent(server: ModelServer, result: str = RESULT) -> str:
    """A two-turn tool-use agent on the official SDK, with no replaycase code in it."""
    client = openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0)
    tools: list[Any] = [{"type": "function", "function": {
        "name": "lookup_billing", "parameters": {"type": "object", "properties": {}}}}]
    messages: list[Any] = [{"role": "system", "content": INSTRUCTIONS},
                           {"role": "user", "content": QUESTION}]
    first = client.chat.completions.create(model="any", messages=messages, tools=tools)
    [call] = first.choices[0].message.tool_calls or []
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": result}]
    second = client.chat.completions.create(model="any", messages=messages, tools=tools)
    return second.choices[0].message.content or ""


def _chat_log(tmp_path: Path, result: str = RESULT) -> list[dict[str, Any]]:
    log = tmp_path / "model-log.jsonl"
    with ModelServer(ExactTurns(_turns(result)), api_key=KEY, log_path=log,
                     case_id="billing") as server:
        assert _chat_agent(server, result) == ANSWER
    return read_model_log(log)


def _judge(entry: dict[str, Any], run: replaycase.TraceRun) -> bool:
    return replaycase.evaluate(replaycase.parse_entry(entry), run).passed


def test_a_chat_agent_run_from_the_wire(tmp_path: Path) -> None:
    entries = _chat_log(tmp_path)
    run = run_from_wire(entries, case_id="billing", stdout="", exit_code=0, stderr_tail="")
    assert run is not None
    assert [e.type for e in run.events] == [
        "llm_call", "tool_call", "tool_result", "llm_call", "final_output"]
    first, call, result, second, final = run.events
    assert first.type == "llm_call" and second.type == "llm_call"
    assert first.model == MODEL and first.instructions == INSTRUCTIONS
    assert first.tools_offered == TOOLS_OFFERED
    assert first.messages == [ChatMessage(role="user", text=QUESTION)]
    assert first.output_text == "" and first.stop_reason == "tool_calls"
    assert first.usage is not None and (first.usage.input_tokens, first.usage.output_tokens) \
        == (20, 6)
    assert [(c.tool_name, c.tool_args) for c in first.tool_calls] == [("lookup_billing", ARGS)]
    assert second.output_text == ANSWER
    assert second.messages is not None
    assert [m.role for m in second.messages] == ["user", "assistant", "tool"]
    assert second.messages[2].tool_name == "lookup_billing"
    assert second.messages[2].call_id == second.messages[1].tool_calls[0].call_id
    assert call.type == "tool_call" and result.type == "tool_result"
    assert (call.tool_name, call.tool_args, call.call_id) == ("lookup_billing", ARGS, "wire-1-1")
    assert (result.call_id, result.tool_name, result.output, result.is_error) == (
        "wire-1-1", "lookup_billing", RESULT, False)
    assert final.type == "final_output" and final.output == ANSWER
    assert run.status == "success" and run.final_output == ANSWER and run.input == QUESTION
    assert run.source is not None and run.source.format == WIRE_FORMAT
    assert run.totals().llm_calls == 2 and run.totals().input_tokens == 60
    [record] = run.tool_calls()
    assert record.result_seq == result.seq and record.output == RESULT
    assert _judge({"tool_called": "lookup_billing"}, run)
    assert not _judge({"tool_called": "refund"}, run)


def test_what_the_runner_printed_is_the_final_output(tmp_path: Path) -> None:
    entries = _chat_log(tmp_path)
    run = run_from_wire(entries, case_id="billing", stdout="  A refund is coming.\n",
                        exit_code=0, stderr_tail="")
    assert run is not None
    assert run.final_output == "A refund is coming."
    assert run.events[-1].type == "final_output"
    assert run.events[-1].output == "A refund is coming."


def test_a_runner_that_crashed_is_an_error_with_its_stderr_tail(tmp_path: Path) -> None:
    entries = _chat_log(tmp_path)
    run = run_from_wire(entries, case_id="billing", stdout="", exit_code=1,
                        stderr_tail="Traceback ...\nKeyError: 'refund'\n")
    assert run is not None
    assert run.status == "error"
    assert run.error_messages() == ["Traceback ...\nKeyError: 'refund'"]
    assert run.final_output == ANSWER  # the wire's last answer, still
    assert _judge({"tool_called": "lookup_billing"}, run)
    killed = run_from_wire(entries, case_id="billing", stdout="", exit_code=None,
                           stderr_tail="")
    assert killed is not None and killed.error_messages() == ["the runner was stopped"]


def test_a_result_the_recording_holds_as_an_error_is_one(tmp_path: Path) -> None:
    failed = "Error: billing service unavailable"
    entries = _chat_log(tmp_path, failed)
    plain = run_from_wire(entries, case_id="billing", stdout="", exit_code=0, stderr_tail="")
    marked = run_from_wire(entries, case_id="billing", stdout="", exit_code=0, stderr_tail="",
                           recorded_errors=[failed])
    assert plain is not None and marked is not None
    [plain_result] = [e for e in plain.events if e.type == "tool_result"]
    [marked_result] = [e for e in marked.events if e.type == "tool_result"]
    assert not plain_result.is_error  # Chat Completions has no error flag: text is not one
    assert marked_result.is_error and marked_result.output == failed


def test_anthropic_is_error_is_read_from_the_request(tmp_path: Path) -> None:
    anthropic = pytest.importorskip("anthropic")
    log = tmp_path / "model-log.jsonl"
    with ModelServer(ExactTurns(_turns()), api_key=KEY, log_path=log) as server:
        client = anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0)
        tools: list[Any] = [{"name": "lookup_billing",
                             "input_schema": {"type": "object", "properties": {}}}]
        messages: list[Any] = [{"role": "user", "content": QUESTION}]
        first = client.messages.create(model="any", max_tokens=100, system=INSTRUCTIONS,
                                       messages=messages, tools=tools)
        [use] = [block for block in first.content if block.type == "tool_use"]
        messages += [{"role": "assistant", "content": [block.model_dump() for block in
                                                       first.content]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                                   "content": RESULT, "is_error": True}]}]
        client.messages.create(model="any", max_tokens=100, system=INSTRUCTIONS,
                               messages=messages, tools=tools)
    run = run_from_wire(read_model_log(log), case_id="c", stdout="", exit_code=0,
                        stderr_tail="")
    assert run is not None
    [result] = [e for e in run.events if e.type == "tool_result"]
    assert result.is_error and result.output == RESULT and result.tool_name == "lookup_billing"
    assert run.final_output == ANSWER


def test_tool_results_carried_by_a_diverged_request_are_kept(tmp_path: Path) -> None:
    entries = _chat_log(tmp_path)
    diverged = {**entries[1], "turn": 2, "divergence": {"message": "replaycase: diverged"}}
    del diverged["answer"]
    run = run_from_wire([entries[0], diverged], case_id="billing", stdout="", exit_code=1,
                        stderr_tail="BadRequestError")
    assert run is not None
    assert [e.type for e in run.events] == ["llm_call", "tool_call", "tool_result", "error"]
    assert run.final_output is None and run.status == "error"


def test_a_log_with_no_answer_is_no_run(tmp_path: Path) -> None:
    assert run_from_wire([], case_id="c", stdout="hi", exit_code=0, stderr_tail="") is None
    refused = [{"turn": None, "path": "/v1/chat/completions", "status": 401, "error": "key"},
               {"turn": 1, "path": "/v1/chat/completions", "protocol": "openai.chat",
                "request": {}, "key": {"history": []}, "divergence": {"message": "x"}}]
    assert run_from_wire(refused, case_id="c", stdout="", exit_code=1, stderr_tail="") is None


def test_reading_bad_logs(tmp_path: Path) -> None:
    assert read_model_log(tmp_path / "missing.jsonl") == []
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert read_model_log(empty) == []
    good = _chat_log(tmp_path)
    lines = [json.dumps(entry) for entry in good]
    truncated = tmp_path / "truncated.jsonl"
    truncated.write_text(lines[0] + "\n" + lines[1][: len(lines[1]) // 2], encoding="utf-8")
    assert read_model_log(truncated) == good[:1]
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(b"not json\n" + lines[0].encode() + b"\n\xff\xfe\x00binary\n[1, 2]\n"
                        b"\n" + b"{" * 1000 + b"\n" + lines[1].encode() + b"\n")
    assert read_model_log(garbage) == good
    run = run_from_wire(read_model_log(truncated), case_id="c", stdout="", exit_code=0,
                        stderr_tail="")
    assert run is not None and [e.type for e in run.events] == ["llm_call", "tool_call"]
    assert run.final_output is None


def test_odd_entries_do_not_break_the_run() -> None:
    entries: list[Any] = [
        {"turn": 1, "key": {"history": "nope", "tools": None}, "answer": {"text": "hi"}},
        {"turn": 2, "key": {"history": [7, {"role": "tool", "call_ref": 99, "text": "x"}]},
         "answer": {"tool_calls": [{"name": "t", "arguments": "{\"a\": 1}"}, "bad"],
                    "usage": {"input_tokens": "many", "output_tokens": 3}}},
        "not an entry",
    ]
    run = run_from_wire([e for e in entries if isinstance(e, dict)], case_id="c", stdout="",
                        exit_code=0, stderr_tail="")
    assert run is not None
    assert [e.type for e in run.events] == [
        "llm_call", "tool_result", "llm_call", "tool_call", "final_output"]
    assert run.events[1].call_id == "ref-99" and run.events[1].output == "x"
    assert run.events[3].tool_args == "{\"a\": 1}"
    assert run.final_output == "hi"
    usage = run.events[2].usage
    assert usage is not None and (usage.input_tokens, usage.output_tokens) == (None, 3)


def test_text_beside_a_tool_call_is_no_final_output() -> None:
    """Claude writes text before a tool_use block; a run that never answered has no output."""
    asks = {"text": "Let me check that claim.",
            "tool_calls": [{"name": "get_claim", "arguments": {"claim_id": "CL-1"}}]}
    entries: list[Any] = [
        {"turn": 1, "key": {"history": [{"role": "user", "text": "Where is CL-1?"}]},
         "answer": asks},
        {"turn": 2, "key": {"history": [
            {"role": "user", "text": "Where is CL-1?"},
            {"role": "assistant", "text": "Let me check that claim.", "tool_calls": [
                {"name": "get_claim", "arguments": "{\"claim_id\":\"CL-1\"}"}]},
            {"role": "tool", "text": "ConnectionError", "call_ref": 0}]}, "answer": asks},
    ]
    run = run_from_wire(entries, case_id="c", stdout="", exit_code=1, stderr_tail="boom")
    assert run is not None and run.final_output is None
    assert "final_output" not in [e.type for e in run.events]
    assert replaycase.evaluate(replaycase.parse_entry({"final_output_exists": False}),
                               run).passed
