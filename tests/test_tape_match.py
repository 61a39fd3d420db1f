"""Matching requests against the tape (DESIGN 8): by content, over every recorded turn."""

from __future__ import annotations

import threading
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from replaycase.model import ChatMessage, LlmCallEvent, RequestedToolCall
from replaycase.tape import (
    Answer,
    Divergence,
    KeyMessage,
    KeyToolCall,
    MatchKey,
    TapeMatcher,
    TapeTurn,
    key_of_call,
    make_key,
)

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12).map(
    str.strip)
_names = st.sampled_from(["get_order", "refund", "search", "lookup"])
_args = st.dictionaries(st.sampled_from(["id", "q", "n"]),
                        st.one_of(st.integers(-5, 5), _text), max_size=3)


@st.composite
def conversations(draw: Any) -> list[ChatMessage]:
    """A conversation: user text, assistant tool calls (ids made up), their results."""
    messages = [ChatMessage(role="user", text=draw(_text))]
    for round_ in range(draw(st.integers(0, 3))):
        calls = [RequestedToolCall(tool_name=draw(_names), tool_args=draw(_args),
                                   call_id=f"call_{round_}_{n}")
                 for n in range(draw(st.integers(0, 2)))]
        messages.append(ChatMessage(role="assistant", text=draw(_text), tool_calls=calls))
        messages.extend(ChatMessage(role="tool", text=draw(_text), call_id=c.call_id,
                                    tool_name=c.tool_name) for c in calls)
    return messages


@st.composite
def keys(draw: Any) -> MatchKey:
    return make_key(draw(_text), draw(conversations()),
                    draw(st.lists(_names, max_size=3)))


def _turn(key: MatchKey, number: int = 1, branch: str = "failing", text: str = "ok") -> TapeTurn:
    return TapeTurn(turn=number, branch=branch, key=key,  # type: ignore[arg-type]
                    answer=Answer(text=text))


def _changed_history(history: tuple[KeyMessage, ...], index: int, how: int
                     ) -> tuple[tuple[KeyMessage, ...], str]:
    """The history with message ``index`` changed (text, or a tool call's arguments or
    name), and the path of the change."""
    message = history[index]
    if message.tool_calls and how % 3:
        call = message.tool_calls[0]
        if how % 3 == 1:
            new_call = KeyToolCall(name=call.name, arguments=call.arguments + " ")
            part = "arguments"
        else:
            new_call = KeyToolCall(name=call.name + "_x", arguments=call.arguments)
            part = "name"
        changed = message.model_copy(update={"tool_calls": (new_call, *message.tool_calls[1:])})
        path = f"history[{index}].tool_calls[0].{part}"
    else:
        changed = message.model_copy(update={"text": message.text + "!"})
        path = f"history[{index}].text"
    return (*history[:index], changed, *history[index + 1:]), path


@given(st.lists(keys(), min_size=1, max_size=5), st.data())
def test_a_request_built_from_a_recorded_turn_matches_it(recorded: list[MatchKey],
                                                         data: Any) -> None:
    turns = [_turn(key, n, text=f"answer {n}") for n, key in enumerate(recorded, start=1)]
    matcher = TapeMatcher(turns)
    pick = data.draw(st.integers(0, len(turns) - 1))
    got = matcher.answer(recorded[pick].model_copy())
    assert isinstance(got, TapeTurn)
    assert got.key == recorded[pick]


@given(keys(), st.integers(0, 50), st.integers(0, 2))
def test_changing_a_compared_part_diverges_and_names_it(key: MatchKey, where: int,
                                                        how: int) -> None:
    assert key.history is not None and key.instructions is not None and key.tools is not None
    choice = where % 3
    if choice == 0:
        received, path = key.model_copy(update={"instructions": key.instructions + " v2"}), \
            "instructions"
    elif choice == 1:
        received, path = key.model_copy(update={"tools": (*key.tools, "zz_new")}), "tools"
    else:
        history, path = _changed_history(key.history, where % len(key.history), how)
        received = key.model_copy(update={"history": history})
    got = TapeMatcher([_turn(key, 4)]).answer(received)
    assert isinstance(got, Divergence)
    assert got.turn == 1 and got.closest == 4
    assert got.difference is not None and got.difference.path == path
    assert got.message().startswith(f"replaycase: diverged at model turn 1: {path}: recorded ")


@given(keys())
def test_a_longer_or_shorter_history_diverges_on_its_length(key: MatchKey) -> None:
    assert key.history is not None
    longer = key.model_copy(update={"history": (*key.history, KeyMessage(role="user"))})
    got = TapeMatcher([_turn(key)]).answer(longer)
    assert isinstance(got, Divergence) and got.difference is not None
    assert (got.difference.path, got.difference.recorded, got.difference.received) == (
        "history length", len(key.history), len(key.history) + 1)


@given(conversations(), st.text(max_size=5), st.text(max_size=8), st.text(max_size=8))
def test_ids_model_and_surrounding_space_are_never_compared(messages: list[ChatMessage],
                                                            prefix: str, model_a: str,
                                                            model_b: str) -> None:
    renamed = []
    for m in messages:
        calls = [c.model_copy(update={"call_id": f"{prefix}-other-{c.call_id}"})
                 for c in m.tool_calls]
        renamed.append(m.model_copy(update={
            "tool_calls": calls, "text": f"  {m.text}\n",
            "call_id": f"{prefix}-other-{m.call_id}" if m.call_id else None}))
    recorded = LlmCallEvent(seq=1, model=model_a, instructions="Be kind.", messages=messages,
                            tools_offered=["b", "a"])
    received = LlmCallEvent(seq=9, model=model_b, instructions=" Be kind. ",
                            messages=renamed, tools_offered=["a", "b", "a"])
    got = TapeMatcher([_turn(key_of_call(recorded))]).answer(key_of_call(received))
    assert isinstance(got, TapeTurn)


@given(keys(), keys(), st.sampled_from(["instructions", "tools", "history"]))
def test_a_part_not_recorded_is_never_compared(key: MatchKey, other: MatchKey,
                                               part: str) -> None:
    recorded = key.model_copy(update={part: None})
    received = key.model_copy(update={part: getattr(other, part)})
    assert isinstance(TapeMatcher([_turn(recorded)]).answer(received), TapeTurn)


@given(keys(), _text)
def test_history_mode_does_not_compare_instructions(key: MatchKey, instructions: str) -> None:
    received = key.model_copy(update={"instructions": instructions + " changed"})
    assert isinstance(TapeMatcher([_turn(key)], mode="history").answer(received), TapeTurn)
    assert isinstance(TapeMatcher([_turn(key)], mode="exact").answer(received), Divergence)


def _simple(text: str, instructions: str = "sys") -> MatchKey:
    return make_key(instructions, [ChatMessage(role="user", text=text)], ["t"])


def test_reordered_requests_match_and_repeats_take_the_next_equal_turn() -> None:
    a, b = _simple("a"), _simple("b")
    matcher = TapeMatcher([_turn(a, 1, text="a1"), _turn(b, 2, text="b"),
                           _turn(a, 3, text="a2")])
    answers = [matcher.answer(k) for k in (b, a, a, a)]
    assert [t.answer.text for t in answers if isinstance(t, TapeTurn)] == ["b", "a1", "a2",
                                                                           "a2"]


def test_accepted_turns_are_preferred_and_branches_can_be_chosen() -> None:
    key = _simple("q")
    turns = [_turn(key, 1, "failing", "buggy"), _turn(key, 2, "accepted", "fixed")]
    got = TapeMatcher(turns).answer(key)
    assert isinstance(got, TapeTurn) and got.answer.text == "fixed"
    got = TapeMatcher(turns, branches=("failing",)).answer(key)
    assert isinstance(got, TapeTurn) and got.answer.text == "buggy"


def test_the_closest_turn_shares_the_longest_history_prefix() -> None:
    first = make_key("sys", [ChatMessage(role="user", text="q")], [])
    second = make_key("sys", [ChatMessage(role="user", text="q"),
                              ChatMessage(role="assistant", text="looking"),
                              ChatMessage(role="user", text="more")], [])
    received = make_key("sys", [ChatMessage(role="user", text="q"),
                                ChatMessage(role="assistant", text="looking"),
                                ChatMessage(role="user", text="other")], [])
    matcher = TapeMatcher([_turn(first, 1), _turn(second, 2)])
    assert isinstance(matcher.answer(first), TapeTurn)
    got = matcher.answer(received)
    assert isinstance(got, Divergence)
    assert got.turn == 2 and got.closest == 2
    assert got.message() == ('replaycase: diverged at model turn 2: history[2].text: '
                             'recorded "more", received "other"')


def test_tool_arguments_are_shown_as_json_values() -> None:
    def key(order: str) -> MatchKey:
        call = RequestedToolCall(tool_name="get_order", tool_args={"id": order}, call_id="c")
        return make_key(None, [ChatMessage(role="user", text="q"),
                               ChatMessage(role="assistant", tool_calls=[call])], None)
    got = TapeMatcher([_turn(key("A-1"))]).answer(key("Z-9"))
    assert isinstance(got, Divergence)
    assert got.message().endswith('history[1].tool_calls[0].arguments: recorded {"id": "A-1"},'
                                  ' received {"id": "Z-9"}')


def test_an_empty_tape_diverges_without_a_closest_turn() -> None:
    got = TapeMatcher([]).answer(_simple("q"))
    assert isinstance(got, Divergence) and got.closest is None and got.turn == 1


@settings(max_examples=5, deadline=None)
@given(st.integers(2, 8))
def test_turns_are_counted_in_the_order_asked_across_threads(threads: int) -> None:
    key = _simple("q")
    matcher = TapeMatcher([_turn(key, n, text=str(n)) for n in range(1, 4)])
    results: list[Any] = []
    lock = threading.Lock()

    def ask() -> None:
        for _ in range(20):
            got = matcher.answer(_simple("unknown"))
            with lock:
                results.append(got)
        matcher.answer(key)

    workers = [threading.Thread(target=ask) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    turns = sorted(r.turn for r in results)
    assert len(set(turns)) == len(turns) == 20 * threads
    assert matcher.answer(_simple("unknown")).turn == 21 * threads + 1  # type: ignore[union-attr]
