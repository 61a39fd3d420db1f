"""Matching a request against the tape (DESIGN 8): by content, over every recorded turn.

A recorded turn answers a request when every part of its match key that is compared equals the
request's: a part the recording did not hold (None) is not compared, nor are the instructions
in mode ``history``. Parallel or re-ordered requests still match; the same request asked again
gets the next turn with that key, then the last one again. Turns of an earlier branch in
``branches`` are preferred (``accepted`` over ``failing``).

A request no turn answers is a ``Divergence`` that names the closest recorded turn (the one
sharing the longest history prefix, ties by turn order) and the first difference from it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from .models import (
    Branch,
    Difference,
    Divergence,
    KeyMessage,
    MatchKey,
    MatchMode,
    TapeTurn,
)

_PARTS = ("instructions", "tools", "history")
_SKIP = object()
"""A part that is not compared, in a projected key."""


class TapeMatcher:
    """Answers requests from recorded turns; safe to share between threads."""

    def __init__(self, turns: Sequence[TapeTurn], mode: MatchMode = "exact",
                 branches: Sequence[Branch] = ("accepted", "failing")) -> None:
        rank = {branch: index for index, branch in enumerate(branches)}
        self.turns = sorted((t for t in turns if t.branch in rank),
                            key=lambda t: (rank[t.branch], t.turn))
        self.mode = mode
        self._index: dict[tuple[bool, ...], dict[tuple[Any, ...], list[int]]] = {}
        for position, turn in enumerate(self.turns):
            compared = self._compared(turn.key)
            by_key = self._index.setdefault(compared, {})
            by_key.setdefault(_bucket(turn.key, compared), []).append(position)
        self._lock = threading.Lock()
        self._asked = 0
        self._served: dict[tuple[int, ...], int] = {}

    def _compared(self, key: MatchKey) -> tuple[bool, ...]:
        """Which parts of a recorded key are compared."""
        return tuple(getattr(key, part) is not None
                     and not (part == "instructions" and self.mode == "history")
                     for part in _PARTS)

    def answer(self, key: MatchKey) -> TapeTurn | Divergence:
        """The recorded turn that answers this request, or where it diverges."""
        matches = self._matches(key)
        with self._lock:
            self._asked += 1
            asked = self._asked
            if matches:
                served = self._served.get(matches, 0)
                self._served[matches] = served + 1
        if not matches:
            return self._divergence(asked, key)
        return self.turns[matches[min(served, len(matches) - 1)]]

    def _matches(self, key: MatchKey) -> tuple[int, ...]:
        """Positions of the matching turns of the most preferred branch, in turn order."""
        found: list[int] = []
        for compared, by_key in self._index.items():
            wanted = _project(key, compared)
            found.extend(p for p in by_key.get(_bucket(key, compared), ())
                         if _project(self.turns[p].key, compared) == wanted)
        if not found:
            return ()
        found.sort()
        first = self.turns[found[0]].branch
        return tuple(p for p in found if self.turns[p].branch == first)

    def _divergence(self, asked: int, key: MatchKey) -> Divergence:
        if not self.turns:
            return Divergence(turn=asked)
        _, _, closest = max((_closeness(t.key, key), -position, t)
                            for position, t in enumerate(self.turns))
        return Divergence(turn=asked, closest=closest.turn,
                          difference=first_difference(closest.key, key, self.mode))


def _project(key: MatchKey, compared: tuple[bool, ...]) -> tuple[Any, ...]:
    return tuple(getattr(key, part) if on else _SKIP for part, on in zip(_PARTS, compared,
                                                                          strict=True))


def _bucket(key: MatchKey, compared: tuple[bool, ...]) -> tuple[Any, ...]:
    """``_project`` with the history as its length and last message: quick to hash (a
    history is hashed message by message), and the turns in a bucket are then compared whole
    (the tape's messages and a request's are the same objects: ``key.shared_message``)."""
    history = key.history
    return tuple(
        _SKIP if not on else (len(history), history[-1] if history else None)
        if part == "history" and history is not None else getattr(key, part)
        for part, on in zip(_PARTS, compared, strict=True))


def _closeness(recorded: MatchKey, received: MatchKey) -> tuple[int, bool, int]:
    """How close a recorded key is: the history prefix shared, an equal history length, the
    other parts that are equal."""
    mine, theirs = recorded.history, received.history or ()
    if mine is None:
        prefix, same_length = len(theirs), True
    else:
        pairs = enumerate(zip(mine, theirs, strict=False))
        prefix = next((i for i, (a, b) in pairs if a != b), min(len(mine), len(theirs)))
        same_length = len(mine) == len(theirs)
    others = sum(getattr(recorded, p) in (None, getattr(received, p))
                 for p in ("instructions", "tools"))
    return prefix, same_length, others


def first_difference(recorded: MatchKey, received: MatchKey,
                     mode: MatchMode = "exact") -> Difference | None:
    """The first compared part where ``received`` parts from ``recorded``, as a path; None
    when they match."""
    if (mode == "exact" and recorded.instructions is not None
            and recorded.instructions != received.instructions):
        return Difference(path="instructions", recorded=recorded.instructions,
                          received=received.instructions)
    if recorded.tools is not None and recorded.tools != received.tools:
        return Difference(path="tools", recorded=list(recorded.tools),
                          received=None if received.tools is None else list(received.tools))
    if recorded.history is None or recorded.history == received.history:
        return None
    theirs = received.history or ()
    for index, (mine, other) in enumerate(zip(recorded.history, theirs, strict=False)):
        difference = _message_difference(f"history[{index}]", mine, other)
        if difference is not None:
            return difference
    return Difference(path="history length", recorded=len(recorded.history),
                      received=len(theirs))


def _message_difference(path: str, mine: KeyMessage, other: KeyMessage) -> Difference | None:
    if mine.role != other.role:
        return Difference(path=f"{path}.role", recorded=mine.role, received=other.role)
    if mine.text != other.text:
        return Difference(path=f"{path}.text", recorded=mine.text, received=other.text)
    if len(mine.tool_calls) != len(other.tool_calls):
        return Difference(path=f"{path}.tool_calls length", recorded=len(mine.tool_calls),
                          received=len(other.tool_calls))
    for index, (call, theirs) in enumerate(zip(mine.tool_calls, other.tool_calls,
                                                       strict=False)):
        where = f"{path}.tool_calls[{index}]"
        if call.name != theirs.name:
            return Difference(path=f"{where}.name", recorded=call.name, received=theirs.name)
        if call.arguments != theirs.arguments:
            return Difference(path=f"{where}.arguments", recorded=_value(call.arguments),
                              received=_value(theirs.arguments))
    if mine.call_ref != other.call_ref:
        return Difference(path=f"{path}.call_ref", recorded=mine.call_ref,
                          received=other.call_ref)
    return None


def _value(arguments: str) -> Any:
    """Canonical JSON arguments as their value (shown as JSON, not as an escaped string)."""
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments
