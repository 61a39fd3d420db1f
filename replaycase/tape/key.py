"""The match key of a model request (DESIGN 8), made the same way from a trace's llm_call and
from a request on the wire: both are first read into instructions, ``ChatMessage`` s and the
offered tool names, then canonicalized here.

Canonical: text stripped of surrounding whitespace; tool arguments as canonical JSON (a JSON
string parsed first, so ``'{"a": 1}'`` and ``{"a": 1}`` are the same); tool names offered,
sorted and unique; a tool result's call id replaced by the position of that call among the
history's tool calls (ids are made up by each SDK and run).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from typing import Any

from .._jsonio import canonical_json, json_in_text
from ..model import ChatMessage, LlmCallEvent
from .models import KeyMessage, KeyToolCall, MatchKey


def canonical_arguments(arguments: Any) -> str:
    """Tool-call arguments as canonical JSON text (text that is not JSON stays as written)."""
    value = json_in_text(arguments)
    if value is None:
        value = {}
    return value if isinstance(value, str) else canonical_json(value)


def make_key(instructions: str | None, messages: Sequence[ChatMessage] | None,
             tools: Sequence[str] | None) -> MatchKey:
    """The match key of a request; a part given as None was not recorded."""
    return key_of_parts(instructions, _history(messages) if messages is not None else None,
                        tools)


def key_of_parts(instructions: str | None, history: tuple[KeyMessage, ...] | None,
                 tools: Sequence[str] | None) -> MatchKey:
    """``make_key`` with the history made already (``HistoryBuilder``)."""
    return MatchKey(
        instructions=instructions.strip() if instructions is not None else None,
        tools=tuple(sorted(set(tools))) if tools is not None else None,
        history=history)


def key_of_call(event: LlmCallEvent) -> MatchKey:
    """The match key of a recorded model call."""
    return make_key(event.instructions, event.messages, event.tools_offered)


def keys_of_calls(events: Sequence[LlmCallEvent]) -> list[MatchKey]:
    """``key_of_call`` of each call, in order: a call whose messages start with the previous
    call's very message objects (an agent's conversation growing) extends that history
    instead of canonicalizing it again, so a long conversation's keys cost what is new in
    each, not the whole history every call."""
    keys: list[MatchKey] = []
    builder = HistoryBuilder()
    previous: Sequence[ChatMessage] = ()
    for event in events:
        messages = event.messages
        if messages is None:
            keys.append(key_of_call(event))
            continue
        if not _extends(messages, previous):
            builder = HistoryBuilder()
            previous = ()
        for message in messages[len(previous):]:
            builder.add(message)
        previous = messages
        keys.append(key_of_parts(event.instructions, tuple(builder.out), event.tools_offered))
    return keys


def _extends(messages: Sequence[ChatMessage], prefix: Sequence[ChatMessage]) -> bool:
    """Whether ``messages`` begins with the very objects of ``prefix``."""
    return len(messages) >= len(prefix) and all(
        a is b for a, b in zip(messages, prefix, strict=False))


def _history(messages: Sequence[ChatMessage]) -> tuple[KeyMessage, ...]:
    history = HistoryBuilder()
    for message in messages:
        history.add(message)
    return tuple(history.out)


class HistoryBuilder:
    """A key's history made a message at a time (what ``_history`` does): the state that
    crosses messages is the position of each call id and the count of calls so far, so a
    history can be extended from a copy (``fork``) of the state after its prefix."""

    __slots__ = ("count", "out", "positions")

    def __init__(self) -> None:
        self.positions: dict[str, int] = {}
        self.count = 0
        self.out: list[KeyMessage] = []

    def fork(self) -> HistoryBuilder:
        copy = HistoryBuilder()
        copy.positions, copy.count, copy.out = dict(self.positions), self.count, list(self.out)
        return copy

    def add(self, message: ChatMessage) -> None:
        calls = []
        for call in message.tool_calls if message.role == "assistant" else ():
            if call.call_id is not None:
                self.positions.setdefault(call.call_id, self.count)
            self.count += 1
            calls.append(KeyToolCall(name=call.tool_name,
                                     arguments=canonical_arguments(call.tool_args)))
        ref = self.positions.get(message.call_id) \
            if message.role == "tool" and message.call_id else None
        self.out.append(shared_message(KeyMessage(role=message.role, text=message.text.strip(),
                                                  tool_calls=tuple(calls), call_ref=ref)))


_SHARED: weakref.WeakValueDictionary[tuple[Any, ...], KeyMessage] = \
    weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def shared_message(message: KeyMessage) -> KeyMessage:
    """The one ``KeyMessage`` alive equal to ``message`` (it, when there is none): the tapes
    read and the requests' keys hold the same objects, so comparing a request's history with
    a recorded one is comparing pointers (a ``KeyMessage`` compared field by field is slow)."""
    fields = (message.role, message.text, message.tool_calls, message.call_ref)
    with _SHARED_LOCK:
        return _SHARED.setdefault(fields, message)
