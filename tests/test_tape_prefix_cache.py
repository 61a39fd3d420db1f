"""The wire protocols read a request past the messages of the last one only
(``tape/protocols/_prefix.py``): for random conversations sent as a growing series of requests,
and for requests that change an earlier message, the cached reader gives what a fresh reader
gives (the key, the messages, the instructions, the error)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from replaycase.tape.key import make_key
from replaycase.tape.models import Answer, AnswerToolCall
from replaycase.tape.protocols import (
    AnthropicMessages,
    BadRequest,
    OpenAIChat,
    OpenAIResponses,
    Reply,
    WireProtocol,
)

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is in the dev extra")
st = hypothesis.strategies
given, settings = hypothesis.given, hypothesis.settings

IDS = st.sampled_from(["a", "b", "c", "call_1"])
"""Few call ids: calls share them, results answer calls before and after them."""
SCALAR = st.one_of(st.integers(-2, 2), st.sampled_from([0.0, 1.0, -0.0, 1.5]), st.booleans(),
                   st.none(), st.sampled_from(["", "x", " ok "]))
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(["k", "n"]), inner,
                                                 max_size=2)), max_leaves=4)
TEXT = st.sampled_from(["", "hi", " Hi ", "done", "{\"a\": 1}"])
ARGUMENTS = st.one_of(TEXT, st.sampled_from(['{"n": 1}', '{"n": 1.0}', '{"n": true}']),
                      st.dictionaries(st.sampled_from(["n", "m"]), SCALAR, max_size=2))
TEXT_BLOCK = st.builds(lambda t: {"type": "text", "text": t}, TEXT)


def _fresh(protocol: WireProtocol) -> WireProtocol:
    return type(protocol)()


def _outcome(protocol: WireProtocol, body: dict[str, Any]) -> Any:
    """Everything a read gives, or its error."""
    try:
        request = protocol.read(body)
        key = request.key()
    except (BadRequest, ValueError) as exc:
        return ("error", type(exc).__name__, str(exc))
    assert key == make_key(request.instructions, request.messages, request.tools)
    return (key, request.instructions, [m.model_dump() for m in request.messages],
            request.tools)


# -- Chat Completions --------------------------------------------------------------------

CHAT_CALL = st.builds(lambda i, name, args: {"id": i, "type": "function", "function": {
    "name": name, "arguments": args}}, IDS, st.sampled_from(["f", "g"]), ARGUMENTS)
CHAT_MESSAGE = st.one_of(
    st.builds(lambda r, c: {"role": r, "content": c}, st.sampled_from(["system", "developer"]),
              st.one_of(TEXT, st.lists(TEXT_BLOCK, max_size=2))),
    st.builds(lambda c: {"role": "user", "content": c},
              st.one_of(TEXT, st.lists(TEXT_BLOCK, max_size=2), st.dictionaries(
                  st.sampled_from(["n"]), SCALAR, max_size=1))),
    st.builds(lambda c, calls: {"role": "assistant", "content": c, "tool_calls": calls},
              st.one_of(st.none(), TEXT), st.lists(CHAT_CALL, max_size=2)),
    st.builds(lambda i, c: {"role": "tool", "tool_call_id": i, "content": c}, IDS,
              st.one_of(TEXT, VALUE)),
    st.just({"role": "assistant", "tool_calls": "nope"}),
    st.just({"role": "robot", "content": "x"}),
)

# -- Anthropic Messages ------------------------------------------------------------------

TOOL_USE = st.builds(lambda i, inp: {"type": "tool_use", "id": i, "name": "f", "input": inp},
                     IDS, st.dictionaries(st.sampled_from(["n", "m"]), VALUE, max_size=2))
TOOL_RESULT = st.builds(
    lambda i, c, e: {"type": "tool_result", "tool_use_id": i, "content": c,
                     **({} if e is None else {"is_error": e})},
    IDS, st.one_of(TEXT, st.lists(TEXT_BLOCK, max_size=2)),
    st.one_of(st.none(), st.booleans(), st.just(1)))
ANTHROPIC_MESSAGE = st.one_of(
    st.builds(lambda c: {"role": "user", "content": c},
              st.one_of(TEXT, st.lists(st.one_of(TEXT_BLOCK, TOOL_RESULT), max_size=3))),
    st.builds(lambda c: {"role": "assistant", "content": c},
              st.one_of(TEXT, st.lists(st.one_of(TEXT_BLOCK, TOOL_USE), max_size=3))),
    st.just({"role": "system", "content": "x"}),
)
SYSTEM = st.one_of(st.none(), TEXT, st.lists(TEXT_BLOCK, max_size=2))

# -- Responses ---------------------------------------------------------------------------

RESPONSES_ITEM = st.one_of(
    st.builds(lambda r, c: {"role": r, "content": c},
              st.sampled_from(["user", "system", "developer", "assistant"]),
              st.one_of(TEXT, st.lists(st.builds(lambda t: {"type": "input_text", "text": t},
                                                 TEXT), max_size=2))),
    st.builds(lambda i, a: {"type": "function_call", "call_id": i, "name": "f",
                            "arguments": a}, IDS, st.one_of(TEXT, st.just('{"n": 1}'))),
    st.builds(lambda i, o: {"type": "function_call_output", "call_id": i, "output": o},
              IDS, TEXT),
    st.just({"type": "reasoning", "summary": []}),
)


def _series(protocol: WireProtocol, bodies: list[dict[str, Any]]) -> None:
    for body in bodies:
        body = json.loads(json.dumps(body))  # new objects, as each request on the wire is
        assert _outcome(protocol, body) == _outcome(_fresh(protocol), copy.deepcopy(body))


def _growing(messages: list[Any], cuts: list[int]) -> list[list[Any]]:
    ends = sorted({min(c, len(messages)) for c in cuts} | {len(messages)})
    return [messages[:end] for end in ends]


def _changed(messages: list[Any], index: int, replacement: Any) -> list[Any]:
    if not messages:
        return [replacement]
    changed = list(messages)
    changed[index % len(changed)] = replacement
    return changed


SETTINGS = settings(max_examples=60, deadline=None)
CUTS = st.lists(st.integers(0, 12), max_size=5)


@SETTINGS
@given(st.lists(CHAT_MESSAGE, max_size=12), CUTS, st.integers(0, 11), CHAT_MESSAGE)
def test_chat_cached_reads_are_fresh_reads(messages: list[Any], cuts: list[int], index: int,
                                           replacement: Any) -> None:
    protocol = OpenAIChat()
    bodies = [{"messages": m, "tools": [{"type": "function", "function": {"name": "f"}}]}
              for m in _growing(messages, cuts)]
    changed = _changed(messages, index, replacement)
    _series(protocol, [*bodies, {"messages": changed}, {"messages": [*changed, *messages]}])


@SETTINGS
@given(st.lists(ANTHROPIC_MESSAGE, max_size=10), SYSTEM, SYSTEM, CUTS, st.integers(0, 9),
       ANTHROPIC_MESSAGE)
def test_anthropic_cached_reads_are_fresh_reads(messages: list[Any], system: Any, other: Any,
                                                cuts: list[int], index: int,
                                                replacement: Any) -> None:
    protocol = AnthropicMessages()
    bodies = [{"system": system, "messages": m} for m in _growing(messages, cuts)]
    changed = _changed(messages, index, replacement)
    _series(protocol, [*bodies, {"system": other, "messages": messages},
                       {"messages": changed}, {"system": system, "messages": messages}])


@SETTINGS
@given(st.lists(RESPONSES_ITEM, max_size=10), CUTS, st.integers(0, 9), RESPONSES_ITEM)
def test_responses_cached_reads_are_fresh_reads(items: list[Any], cuts: list[int],
                                                index: int, replacement: Any) -> None:
    protocol = OpenAIResponses()
    bodies = [{"instructions": "Be brief.", "input": m} for m in _growing(items, cuts)]
    _series(protocol, [*bodies, {"input": _changed(items, index, replacement)}])


@SETTINGS
@given(st.lists(st.lists(RESPONSES_ITEM, min_size=1, max_size=3), min_size=1, max_size=5),
       st.lists(st.booleans(), min_size=5, max_size=5))
def test_responses_chained_by_previous_response_id(turns: list[list[Any]],
                                                   calls: list[bool]) -> None:
    """The history a ``previous_response_id`` stands for is the last request's messages:
    the key is made on from the last one's (``_outcome`` checks it against a fresh key)."""
    protocol = OpenAIResponses()
    previous = None
    for number, (given_items, call) in enumerate(zip(turns, calls, strict=False), start=1):
        body = {"input": given_items, **({"previous_response_id": previous} if previous else {})}
        outcome = _outcome(protocol, body)
        if outcome[0] == "error":
            return
        request = protocol.read(body)
        answer = Answer(text="ok", tool_calls=[AnswerToolCall(name="f", arguments={})]
                        if call else [])
        protocol.answered(request, Reply(answer=answer, base_id=f"t{number}", model="m",
                                         request=request, extra=body))
        previous = f"resp_t{number}"


def test_a_growing_conversation_is_read_on_from_the_last_request() -> None:
    """The cache is used: each request past the first reads its new messages only."""
    protocol = OpenAIChat()
    messages: list[Any] = [{"role": "system", "content": "Be brief."},
                           {"role": "user", "content": "Check INV-1 to INV-5."}]
    for k in range(1, 6):
        _series(protocol, [{"messages": messages}])
        messages = [*messages, {"role": "assistant", "content": None, "tool_calls": [
            {"id": f"c{k}", "type": "function",
             "function": {"name": "check", "arguments": json.dumps({"n": k})}}]},
                    {"role": "tool", "tool_call_id": f"c{k}", "content": "paid"}]
    assert protocol.conversations.resumed == 4
    assert protocol.keys.resumed == 4


@pytest.mark.parametrize("before, after", [(1, True), (1, 1.0), (True, 1), (0.0, -0.0)])
def test_values_equal_in_python_are_not_the_same_json(before: Any, after: Any) -> None:
    """``1 == 1.0 == True`` in Python: a changed earlier message of such a value is read
    again (the key's arguments differ; an ``is_error`` of 1 is refused)."""
    protocol = AnthropicMessages()
    first = [{"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "f",
                                                 "input": {"n": before}}]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a",
                                           "content": "x", "is_error": before}]}]
    second = copy.deepcopy(first)
    second[0]["content"][0]["input"]["n"] = after
    second[1]["content"][0]["is_error"] = after
    _series(protocol, [{"messages": first}, {"messages": [*second, {"role": "user",
                                                                   "content": "more"}]}])


def test_a_request_that_fails_midway_leaves_the_last_read_as_it_was() -> None:
    """A message read before a bad one does not stay in the state the next request reads
    on from (the state is a copy)."""
    protocol = OpenAIChat()
    start = [{"role": "user", "content": "Hi"}]
    good = {"role": "assistant", "content": "ok", "tool_calls": [
        {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
    bad = {"role": "assistant", "tool_calls": "nope"}
    other = {"role": "tool", "tool_call_id": "a", "content": "done"}
    _series(protocol, [{"messages": start}, {"messages": [*start, good, bad]},
                       {"messages": [*start, other]}])
    assert protocol.conversations.resumed == 2
