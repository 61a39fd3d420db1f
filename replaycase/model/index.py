"""What checks read from a run's events, computed once per run: tool calls paired with their
results, and the events of each type. Big runs are read by many checks; each pass over
300,000 events costs, so none is made twice.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .._jsonio import canonical_json


@dataclass(slots=True)
class ToolCallRecord:
    """A tool call paired with its result: the unit fixtures and assertions use."""

    seq: int
    tool_name: str
    tool_args: Any = None
    call_id: str | None = None
    output: Any = None
    is_error: bool = False
    error_type: str | None = None
    result_seq: int | None = None
    _args_key: str | None = field(default=None, repr=False, compare=False)

    def args_key(self) -> str:
        """The arguments as canonical JSON: equal for identical arguments (computed once)."""
        if self._args_key is None:
            self._args_key = canonical_json(self.tool_args)
        return self._args_key


class EventIndex:
    """A run's events by type (all gathered in one pass, when first asked for), and its tool
    calls paired with their results (matched by call id, else by order)."""

    __slots__ = ("_by_type", "_events", "tool_calls")

    def __init__(self, events: list[Any]) -> None:
        self._events = events
        self._by_type: dict[str, list[Any]] | None = None
        self.tool_calls = pair_tool_calls(events)

    def of_type(self, kind: str) -> list[Any]:
        """The events of one type, in order (shared: do not change the list)."""
        if self._by_type is None:
            by_type: dict[str, list[Any]] = {}
            for event in self._events:
                kind_of = event.type
                found = by_type.get(kind_of)
                if found is None:
                    by_type[kind_of] = [event]
                else:
                    found.append(event)
            self._by_type = by_type
        return self._by_type.get(kind, _NONE)


_NONE: list[Any] = []
"""The events of a type the run has none of (shared, like every list ``of_type`` returns)."""


def pair_tool_calls(events: list[Any]) -> list[ToolCallRecord]:
    """Tool calls in order, each given the first result that names its call id, else the
    first result (of its tool, when the result names one) after it, oldest call first.

    Open calls wait in queues (by id; by tool name, built on first need) that are cleaned
    lazily, so pairing stays linear when ids repeat or a call never gets its result.
    """
    records: list[ToolCallRecord] = []
    by_id: dict[str, ToolCallRecord | deque[ToolCallRecord]] = {}  # a deque once ids repeat
    by_name: dict[str, deque[ToolCallRecord]] | None = None
    first_open = 0
    answered_next = False
    for index, event in enumerate(events, 1):
        if answered_next:  # the result the call before it took at once
            answered_next = False
            continue
        kind = event.type
        if kind == "tool_call":
            record = ToolCallRecord(event.seq, event.tool_name, event.tool_args, event.call_id)
            records.append(record)
            # The usual case: the very next event is this call's result, and no older call
            # waits under the same id. Paired at once, the call need not wait in a queue
            # (answered calls are skipped there anyway).
            if event.call_id and index < len(events) and event.call_id not in by_id:
                result = events[index]
                if result.type == "tool_result" and result.call_id == event.call_id:
                    record.output = result.output
                    record.is_error = result.is_error
                    record.error_type = result.error_type
                    record.result_seq = result.seq
                    answered_next = True
                    continue
            if event.call_id:
                held = by_id.get(event.call_id)
                if held is None:
                    by_id[event.call_id] = record
                elif isinstance(held, deque):
                    held.append(record)
                else:
                    by_id[event.call_id] = deque((held, record))
            if by_name is not None:
                by_name.setdefault(record.tool_name, deque()).append(record)
        elif kind == "tool_result":
            found = None
            if event.call_id:
                held = by_id.get(event.call_id)
                if isinstance(held, deque):
                    found = _oldest_open(held)
                elif held is not None and held.result_seq is None:
                    found = held
            if found is None and event.tool_name is not None:
                if by_name is None:
                    by_name = {}
                    for record in records[first_open:]:
                        by_name.setdefault(record.tool_name, deque()).append(record)
                found = _oldest_open(by_name.get(event.tool_name))
            elif found is None:
                while first_open < len(records) and records[first_open].result_seq is not None:
                    first_open += 1
                found = records[first_open] if first_open < len(records) else None
            if found is not None:
                found.output = event.output
                found.is_error = event.is_error
                found.error_type = event.error_type
                found.result_seq = event.seq
    return records


def _oldest_open(queue: deque[ToolCallRecord] | None) -> ToolCallRecord | None:
    """The oldest call in ``queue`` without a result (answered ones are dropped on the way)."""
    while queue and queue[0].result_seq is not None:
        queue.popleft()
    return queue[0] if queue else None
