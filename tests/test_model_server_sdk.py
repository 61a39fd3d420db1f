"""The loopback model server, called through the real ``openai`` and ``anthropic`` SDKs: each
parses the recorded answers exactly (text, tool calls, usage), streaming and not, and a
divergence is the SDK's BadRequestError with our message, not retried."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from model_server_checks import (
    ARGS,
    FINAL,
    INSTRUCTIONS,
    KEY,
    MODEL,
    QUESTION,
    TOOL_RESULT,
    TURNS,
    serving,
)

from replaycase.tape.models import Answer, AnswerToolCall, TapeTurn

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")

OPENAI_TOOLS: list[Any] = [{"type": "function", "function": {
    "name": "get_order", "parameters": {"type": "object", "properties": {}}}}]
RESPONSES_TOOLS: list[Any] = [{"type": "function", "name": "get_order",
                               "parameters": {"type": "object", "properties": {}}}]
ANTHROPIC_TOOLS: list[Any] = [{"name": "get_order",
                               "input_schema": {"type": "object", "properties": {}}}]


def _log(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "model-log.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _chat_messages(call_id: str | None = None) -> list[Any]:
    messages: list[Any] = [{"role": "system", "content": INSTRUCTIONS},
                           {"role": "user", "content": QUESTION}]
    if call_id is not None:
        messages += [
            {"role": "assistant", "content": None, "tool_calls": [{
                "id": call_id, "type": "function",
                "function": {"name": "get_order", "arguments": json.dumps(ARGS)}}]},
            {"role": "tool", "tool_call_id": call_id, "content": TOOL_RESULT}]
    return messages


def test_chat_completions_json(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key=KEY)
        first = client.chat.completions.create(model="any", messages=_chat_messages(),
                                               tools=OPENAI_TOOLS)
        choice = first.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.content is None
        [call] = choice.message.tool_calls or []
        assert call.function.name == "get_order"
        assert json.loads(call.function.arguments) == ARGS
        assert first.usage is not None
        assert (first.usage.prompt_tokens, first.usage.completion_tokens) == (12, 5)
        assert first.model == MODEL
        second = client.chat.completions.create(model="any", messages=_chat_messages(call.id),
                                                tools=OPENAI_TOOLS)
        assert second.choices[0].message.content == FINAL
        assert second.choices[0].finish_reason == "stop"
        assert second.id == "chatcmpl-shop_case_2"
    log = _log(tmp_path)
    assert [(e["turn"], e["protocol"], e["answer"]["turn"]) for e in log] == [
        (1, "openai.chat", 1), (2, "openai.chat", 2)]
    assert log[1]["request"]["messages"][-1]["content"] == TOOL_RESULT


def test_chat_completions_stream_with_tool_calls_and_usage(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key=KEY)
        chunks = list(client.chat.completions.create(
            model="any", messages=_chat_messages(), tools=OPENAI_TOOLS, stream=True,
            stream_options={"include_usage": True}))
        deltas = [c.choices[0].delta for c in chunks if c.choices]
        calls = [t for d in deltas for t in d.tool_calls or []]
        assert calls[0].id == "call_shop_case_1_0"
        assert calls[0].function is not None and calls[0].function.name == "get_order"
        arguments = "".join(t.function.arguments or "" for t in calls if t.function)
        assert json.loads(arguments) == ARGS
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
        assert chunks[-1].choices == []
        assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 17
        with client.chat.completions.stream(model="any", messages=_chat_messages(calls[0].id),
                                            tools=OPENAI_TOOLS) as stream:
            final = stream.get_final_completion()
        assert final.choices[0].message.content == FINAL


def _responses_first(client: Any, **extra: Any) -> Any:
    return client.responses.create(model="any", instructions=INSTRUCTIONS, input=QUESTION,
                                   tools=RESPONSES_TOOLS, **extra)


def test_responses_json_and_previous_response_id(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key=KEY)
        first = _responses_first(client)
        [call] = first.output
        assert call.type == "function_call" and call.name == "get_order"
        assert json.loads(call.arguments) == ARGS
        assert first.usage is not None and first.usage.input_tokens == 12
        second = client.responses.create(
            model="any", instructions=INSTRUCTIONS, previous_response_id=first.id,
            tools=RESPONSES_TOOLS,
            input=[{"type": "function_call_output", "call_id": call.call_id,
                    "output": TOOL_RESULT}])
        assert second.output_text == FINAL
        assert second.usage is not None and second.usage.output_tokens == 8
        # the same conversation sent whole, without previous_response_id
        whole = client.responses.create(
            model="any", instructions=INSTRUCTIONS, tools=RESPONSES_TOOLS,
            input=[{"role": "user", "content": QUESTION},
                   {"type": "function_call", "call_id": "x", "name": "get_order",
                    "arguments": json.dumps(ARGS)},
                   {"type": "function_call_output", "call_id": "x", "output": TOOL_RESULT}])
        assert whole.output_text == FINAL
        with pytest.raises(openai.BadRequestError, match="not found"):
            client.responses.create(model="any", input="hi", previous_response_id="resp_nope")


def test_responses_stream(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key=KEY)
        events = list(_responses_first(client, stream=True))
        kinds = [e.type for e in events]
        assert kinds == ["response.created", "response.in_progress",
                         "response.output_item.added", "response.function_call_arguments.delta",
                         "response.function_call_arguments.done", "response.output_item.done",
                         "response.completed"]
        assert [e.sequence_number for e in events] == list(range(len(events)))
        completed = events[-1].response
        [call] = completed.output
        assert json.loads(call.arguments) == ARGS
        with client.responses.stream(
                model="any", instructions=INSTRUCTIONS, previous_response_id=completed.id,
                tools=RESPONSES_TOOLS,
                input=[{"type": "function_call_output", "call_id": call.call_id,
                        "output": TOOL_RESULT}]) as stream:
            texts = [e.delta for e in stream if e.type == "response.output_text.delta"]
            final = stream.get_final_response()
        assert "".join(texts) == FINAL
        assert final.output_text == FINAL
        assert final.usage is not None and final.usage.total_tokens == 38


def _anthropic_messages(tool_use_id: str | None = None) -> list[Any]:
    messages: list[Any] = [{"role": "user", "content": QUESTION}]
    if tool_use_id is not None:
        messages += [
            {"role": "assistant", "content": [{"type": "tool_use", "id": tool_use_id,
                                               "name": "get_order", "input": ARGS}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use_id,
                                          "content": TOOL_RESULT}]}]
    return messages


def test_anthropic_messages_json(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        client = anthropic.Anthropic(base_url=server.url, api_key=KEY)
        first = client.messages.create(model="any", max_tokens=100, system=INSTRUCTIONS,
                                       messages=_anthropic_messages(), tools=ANTHROPIC_TOOLS)
        assert first.stop_reason == "tool_use"
        [use] = first.content
        assert use.type == "tool_use" and use.name == "get_order" and use.input == ARGS
        assert (first.usage.input_tokens, first.usage.output_tokens) == (12, 5)
        second = client.messages.create(
            model="any", max_tokens=100, tools=ANTHROPIC_TOOLS,
            system=[{"type": "text", "text": INSTRUCTIONS}],
            messages=_anthropic_messages(use.id))
        assert second.content[0].type == "text" and second.content[0].text == FINAL
        assert second.stop_reason == "end_turn"
        assert second.model == MODEL


def test_anthropic_messages_stream(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        client = anthropic.Anthropic(base_url=server.url, api_key=KEY)
        with client.messages.stream(model="any", max_tokens=100, system=INSTRUCTIONS,
                                    messages=_anthropic_messages(),
                                    tools=ANTHROPIC_TOOLS) as stream:
            first = stream.get_final_message()
        [use] = first.content
        assert use.type == "tool_use" and use.input == ARGS
        assert first.stop_reason == "tool_use"
        assert (first.usage.input_tokens, first.usage.output_tokens) == (12, 5)
        events = list(client.messages.create(model="any", max_tokens=100, system=INSTRUCTIONS,
                                             messages=_anthropic_messages(use.id),
                                             tools=ANTHROPIC_TOOLS, stream=True))
        assert [e.type for e in events] == [
            "message_start", "content_block_start", "content_block_delta",
            "content_block_stop", "message_delta", "message_stop"]
        assert events[2].delta.text == FINAL
        assert events[4].usage.output_tokens == 8


def test_anthropic_stream_sends_input_json_delta(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        client = anthropic.Anthropic(base_url=server.url, api_key=KEY)
        events = list(client.messages.create(model="any", max_tokens=100, system=INSTRUCTIONS,
                                             messages=_anthropic_messages(),
                                             tools=ANTHROPIC_TOOLS, stream=True))
    deltas = [e.delta for e in events if e.type == "content_block_delta"]
    assert [d.type for d in deltas] == ["input_json_delta"]
    assert json.loads(deltas[0].partial_json) == ARGS


def test_a_divergence_is_a_bad_request_the_sdks_do_not_retry(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=3)
        with pytest.raises(openai.BadRequestError) as raised:
            client.chat.completions.create(
                model="any", tools=OPENAI_TOOLS,
                messages=[{"role": "system", "content": INSTRUCTIONS},
                          {"role": "user", "content": "Cancel it."}])
        expected = ('replaycase: diverged at model turn 1: history[0].text: recorded '
                    f'"{QUESTION}", received "Cancel it."')
        assert raised.value.body == {"message": expected, "type": "invalid_request_error",
                                     "param": None, "code": "replaycase_divergence"}
        assert raised.value.response.headers["x-should-retry"] == "false"
        claude = anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=3)
        with pytest.raises(anthropic.BadRequestError) as refused:
            claude.messages.create(model="any", max_tokens=10, system=INSTRUCTIONS,
                                   tools=ANTHROPIC_TOOLS,
                                   messages=[{"role": "user", "content": "Refund it."}])
        assert "replaycase: diverged at model turn 2: history[0].text" in str(refused.value)
        assert refused.value.body["error"]["type"] == "invalid_request_error"
        with pytest.raises(openai.BadRequestError, match="diverged at model turn 3"):
            client.responses.create(model="any", input="Nope", instructions=INSTRUCTIONS,
                                    stream=True)
    log = _log(tmp_path)
    assert [e["turn"] for e in log] == [1, 2, 3]  # one request each: no retry
    assert log[0]["divergence"]["message"] == expected
    assert log[0]["divergence"]["difference"]["path"] == "history[0].text"


def test_a_wrong_key_is_the_sdks_authentication_error(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-real")
        with pytest.raises(openai.AuthenticationError):
            client.models.list()
        listed = openai.OpenAI(base_url=server.openai_base_url, api_key=KEY).models.list()
        assert [m.id for m in listed] == [MODEL]
        claude = anthropic.Anthropic(base_url=server.url, api_key="sk-ant-real")
        with pytest.raises(anthropic.AuthenticationError):
            claude.messages.create(model="any", max_tokens=1, messages=[])
        models = anthropic.Anthropic(base_url=server.url, api_key=KEY).models.list()
        assert [m.id for m in models] == [MODEL]


def test_text_and_a_tool_call_in_one_answer_stream_through_each_sdk(tmp_path: Path) -> None:
    both = TapeTurn(turn=1, key=TURNS[0].key, answer=Answer(
        text="Let me look.", tool_calls=[AnswerToolCall(name="get_order", arguments=ARGS),
                                         AnswerToolCall(name="get_order", arguments="{}")]))
    with serving(tmp_path, [both]) as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key=KEY)
        with client.chat.completions.stream(model="any", messages=_chat_messages(),
                                            tools=OPENAI_TOOLS) as chat:
            message = chat.get_final_completion().choices[0].message
        assert message.content == "Let me look."
        assert [json.loads(c.function.arguments) for c in message.tool_calls or []] == [ARGS, {}]
        with client.responses.stream(model="any", instructions=INSTRUCTIONS, input=QUESTION,
                                     tools=RESPONSES_TOOLS) as responses:
            final = responses.get_final_response()
        assert final.output_text == "Let me look."
        assert [item.type for item in final.output] == ["message", "function_call",
                                                        "function_call"]
        claude = anthropic.Anthropic(base_url=server.url, api_key=KEY)
        with claude.messages.stream(model="any", max_tokens=100, system=INSTRUCTIONS,
                                    messages=_anthropic_messages(),
                                    tools=ANTHROPIC_TOOLS) as stream:
            reply = stream.get_final_message()
        assert reply.content[0].type == "text" and reply.content[0].text == "Let me look."
        assert [b.input for b in reply.content[1:] if b.type == "tool_use"] == [ARGS, {}]
        assert reply.stop_reason == "tool_use"
