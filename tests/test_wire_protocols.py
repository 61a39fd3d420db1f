"""The wire protocols read a request body into the parts of a match key the way a trace's
model call is read: instructions apart, tool results as tool messages with their call ids,
one assistant message per assistant turn."""

from __future__ import annotations

from typing import Any

import pytest

from replaycase.model import ChatMessage, RequestedToolCall
from replaycase.model.chat import read_conversation
from replaycase.tape.key import make_key
from replaycase.tape.models import Answer, AnswerToolCall
from replaycase.tape.protocols import (
    AnthropicMessages,
    BadRequest,
    OpenAIChat,
    OpenAIResponses,
    Reply,
)

CALL = RequestedToolCall(tool_name="get_order", tool_args={"id": 1}, call_id="c9")
# As model.chat reads a trace's messages: instructions joined by a blank line, the text parts
# of one message joined as they are.
EXPECTED = make_key("Be brief.\n\nBe kind.", [
    ChatMessage(role="user", text="Hithere"),
    ChatMessage(role="assistant", text="Looking.", tool_calls=[CALL]),
    ChatMessage(role="tool", text="found", call_id="c9"),
], ["get_order"])


WIRE_CHAT: dict[str, Any] = {
    "model": "m", "stream": True, "stream_options": {"include_usage": True},
    "tools": [{"type": "function", "function": {"name": "get_order"}}],
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Be kind."}]},
        {"role": "user", "content": [{"type": "text", "text": "Hi"},
                                     {"type": "image_url", "image_url": {"url": "x"}},
                                     {"type": "text", "text": "there"}]},
        {"role": "assistant", "content": "Looking.", "tool_calls": [
            {"id": "a", "type": "function",
             "function": {"name": "get_order", "arguments": '{"id": 1}'}}]},
        {"role": "tool", "tool_call_id": "a", "content": "found"}]}


def test_chat_completions_request() -> None:
    request = OpenAIChat().read(WIRE_CHAT)
    [user, *rest] = request.key().history or ()
    assert user.text == "Hi\n[image: x, sha256:2d711642b726b044]\nthere"  # named, digested
    assert (request.key().instructions, request.key().tools, tuple(rest)) == (
        EXPECTED.instructions, EXPECTED.tools, (EXPECTED.history or ())[1:])
    assert (request.model, request.stream, request.include_usage) == ("m", True, True)
    recorded = read_conversation(WIRE_CHAT["messages"])  # as a transcript is read
    assert make_key(*recorded, ["get_order"]) == request.key()


def test_responses_request_joins_consecutive_assistant_items() -> None:
    request = OpenAIResponses().read({
        "instructions": "Be brief.",
        "tools": [{"type": "function", "name": "get_order"}, {"type": "web_search"}],
        "input": [
            {"role": "developer", "content": "Be kind."},
            {"role": "user", "content": [{"type": "input_text", "text": "Hi"},
                                         {"type": "input_text", "text": "there"}]},
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {"type": "message", "role": "assistant",
             "content": [{"type": "output_text", "text": "Looking."}]},
            {"type": "function_call", "call_id": "b", "name": "get_order",
             "arguments": '{"id":1}'},
            {"type": "function_call_output", "call_id": "b", "output": "found"}]})
    assert request.key() == EXPECTED


def test_previous_response_id_carries_the_inputs_system_items_not_instructions() -> None:
    """As LangChain's ``use_previous_response_id`` sends a conversation: the system message
    once, as an input item; then only the new items. OpenAI carries over the earlier input
    items (system and developer ones too) but not the earlier ``instructions``."""
    responses = OpenAIResponses()
    first = responses.read({"instructions": "Old rules.", "input": [
        {"type": "message", "role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"}]})
    answer = Answer(tool_calls=[AnswerToolCall(name="get_order", arguments={"id": 1})])
    responses.answered(first, Reply(answer=answer, base_id="t_1", model="m", request=first))
    second = responses.read({"previous_response_id": "resp_t_1", "input": [
        {"role": "developer", "content": "Be kind."},
        {"type": "function_call_output", "call_id": "call_t_1_0", "output": "found"}]})
    call = RequestedToolCall(tool_name="get_order", tool_args={"id": 1}, call_id="x")
    assert second.key() == make_key("Be brief.\n\nBe kind.", [
        ChatMessage(role="user", text="Hi"), ChatMessage(role="assistant", tool_calls=[call]),
        ChatMessage(role="tool", text="found", call_id="x")], [])
    again = responses.read({"previous_response_id": "resp_t_1", "instructions": "New rules.",
                            "input": "Go on."})
    assert again.key().instructions == "New rules.\n\nBe brief."


ANTHROPIC: dict[str, Any] = {
    "system": [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Be kind."}],
    "tools": [{"name": "get_order", "input_schema": {}}],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "Hi"},
                                     {"type": "text", "text": "there"}]},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "hm", "signature": "s"},
            {"type": "text", "text": "Looking."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_order", "input": {"id": 1}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                      "content": [{"type": "text", "text": "found"}],
                                      "is_error": True}]}]}


def test_anthropic_request() -> None:
    request = AnthropicMessages().read(ANTHROPIC)
    # ``system`` is one text in two blocks: joined as a message's parts are
    assert request.key() == EXPECTED.model_copy(update={"instructions": "Be brief.Be kind."})
    assert request.messages[-1].is_error
    body = ANTHROPIC
    recorded = read_conversation(body["messages"], system=body["system"])  # a transcript's
    assert make_key(*recorded, ["get_order"]) == request.key()


def test_no_instructions_are_empty_instructions() -> None:
    body = {"messages": [{"role": "user", "content": "Hi"}]}
    assert OpenAIChat().read(body).key().instructions == ""
    assert AnthropicMessages().read(body).key().instructions == ""
    assert OpenAIResponses().read({"input": "Hi"}).key().instructions == ""


@pytest.mark.parametrize("body", [
    {"messages": [{"role": "wizard", "content": "Hi"}]},
    {"messages": [{"role": "user", "content": 42}]},
    {"messages": ["Hi"]},
])
def test_a_body_the_protocol_cannot_read(body: dict[str, object]) -> None:
    with pytest.raises(BadRequest):
        OpenAIChat().read(body)


def test_responses_items_the_key_has_no_place_for_are_left_out() -> None:
    """A hosted tool's call on the wire is no part of the key (the importer refuses it in
    a log, where it would hide a step)."""
    body = {"input": [{"role": "user", "content": "Hi"},
                      {"type": "web_search_call", "id": "ws_1", "status": "completed"},
                      {"type": "item_reference", "id": "msg_0"},
                      {"type": "message", "role": "assistant",
                       "content": [{"type": "output_text", "text": "Hello."}]}]}
    assert [(m.role, m.text) for m in OpenAIResponses().read(body).messages] == [
        ("user", "Hi"), ("assistant", "Hello.")]
    with pytest.raises(BadRequest, match=r"input\[1\]\.name"):
        OpenAIResponses().read({"input": [{"role": "user", "content": "Hi"},
                                          {"type": "function_call", "call_id": "c"}]})
