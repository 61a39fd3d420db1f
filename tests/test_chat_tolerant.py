"""The chat reader not strict (``model.chat``, ``strict=False``): the loose importers' reading
is the wire's, so a logged conversation and the same request on the wire give one key."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from replaycase.importers._agents_responses import input_messages
from replaycase.importers._langchain import chat_messages
from replaycase.model import ChatMessage, RequestedToolCall
from replaycase.model.chat import read_conversation, read_recorded, recorded_tool_names
from replaycase.tape.key import make_key
from replaycase.tape.protocols.openai_chat import OpenAIChat
from replaycase.tape.protocols.openai_responses import OpenAIResponses

_text = st.sampled_from(["", "hi", " x ", "42"])
_parts = st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["input_text", "output_text", "refusal", "input_image"]),
    "text": _text}), min_size=1, max_size=3)
_items = st.lists(st.one_of(
    st.fixed_dictionaries({"role": st.sampled_from(["system", "developer", "user", "assistant"]),
                           "content": st.one_of(_text, _parts)},
                          optional={"type": st.just("message")}),
    st.fixed_dictionaries({"type": st.just("function_call"), "name": st.sampled_from("fg"),
                           "arguments": st.sampled_from(['{"a":1}', "{}"]),
                           "call_id": st.sampled_from(["c1", "c2"])}),
    st.fixed_dictionaries({"type": st.just("function_call_output"),
                           "call_id": st.sampled_from(["c1", "c2"]),
                           "output": st.one_of(_text, _parts)}),
    st.fixed_dictionaries({"type": st.sampled_from(["reasoning", "web_search_call"])})),
    max_size=6)


@settings(max_examples=300, deadline=None)
@given(_items, st.sampled_from([None, "", "Be brief."]))
def test_an_agents_response_span_and_the_wire_give_one_key(items: list[Any],
                                                           instructions: str | None) -> None:
    body = {"model": "m", "input": items, "instructions": instructions}
    wire = OpenAIResponses().read(body)
    read = read_recorded(input_messages(items, instructions))
    assert make_key(*read, None) == make_key(wire.instructions, wire.messages, None)


_blocks = st.lists(st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url"]),
                                          "text": _text}), max_size=3)
_messages = st.lists(st.one_of(
    st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "tool"]),
                           "content": st.one_of(_text, _blocks)},
                          optional={"tool_call_id": st.sampled_from(["c1", "c2"])}),
    st.fixed_dictionaries({"role": st.just("assistant"), "content": st.one_of(st.none(), _text),
                           "tool_calls": st.lists(st.fixed_dictionaries({
                               "id": st.sampled_from(["c1", "c2"]), "type": st.just("function"),
                               "function": st.fixed_dictionaries({
                                   "name": st.sampled_from("fg"),
                                   "arguments": st.just("{}")})}), max_size=2)})), max_size=6)


@settings(max_examples=300, deadline=None)
@given(_messages)
def test_messages_the_wire_reads_are_read_the_same_not_strict(messages: list[Any]) -> None:
    wire = OpenAIChat().read({"model": "m", "messages": messages})
    instructions, read = read_recorded(messages)
    assert (instructions, read) == (wire.instructions, wire.messages)
    assert read_conversation(messages, strict=False) == read_conversation(messages)


def test_what_the_strict_reading_refuses_is_left_out_or_read_loosely() -> None:
    messages = [1, {"role": 2}, {"role": "Human", "content": ["a", {"type": "text",
                                                                   "content": "b"}]},
                {"role": "ai", "content": [{"x": 1}], "tool_calls": [
                    3, {"function": {"name": None}},
                    RequestedToolCall(tool_name="f", tool_args={}, call_id="c1")]},
                {"role": "tool", "tool_call_id": 5, "content": 7, "is_error": "no"}]
    assert read_recorded(messages) == ("", [
        ChatMessage(role="user", text="ab"),
        ChatMessage(role="assistant", text='[{"x":1}]', tool_calls=[
            RequestedToolCall(tool_name="f", tool_args={}, call_id="c1")]),
        ChatMessage(role="tool", text="7")])
    assert read_recorded("not a list") == (None, None)


def test_tool_names_not_strict() -> None:
    assert recorded_tool_names('[{"name": "a"}, "{\\"function\\": {\\"name\\": \\"b\\"}}", '
                               '{"type": "web_search"}, {"name": 1}, ""]') == ["a", "b"]
    assert recorded_tool_names({"name": "a"}) is None


def test_a_langchain_anthropic_message_s_tool_use_blocks_are_not_read_twice() -> None:
    message = {"type": "ai", "content": [
        {"type": "text", "text": "Looking."},
        {"type": "tool_use", "id": "c1", "name": "f", "input": {"a": 1}}],
        "tool_calls": [{"name": "f", "args": {"a": 1}, "id": "c1"}]}
    assert read_recorded(chat_messages([message])) == ("", [ChatMessage(
        role="assistant", text="Looking.",
        tool_calls=[RequestedToolCall(tool_name="f", tool_args={"a": 1}, call_id="c1")])])
