"""What checks read from a run's events, computed once per run: tool calls paired with their
results, and the events of each type. Big runs are read by many checks; each pass over
300,000 events costs, so none is made twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .jsonio import canonical_json


@dataclass(slots=True)
class ToolCallRecord:
    """A tool call paired with its result: the unit fixtures and assertions use."""

    seq: int
    tool_name: str
    tool_args: Any = None
    call_id: str | None = None
    output: Any = None
    is_error: bool = False
    result_seq: int | None = None
    _args_key: str | None = field(default=None, repr=False, compare=False)

    def args_key(self) -> str:
        """The arguments as canonical JSON: equal for identical arguments (computed once)."""
        if self._args_key is None:
            self._args_key = canonical_json(self.tool_args)
        return self._args_key


class EventIndex:
    """A run's events by type (each type gathered when first asked for), and its tool calls
    paired with their results (matched by call id, else by order)."""

    __slots__ = ("_by_type", "_events", "tool_calls")

    def __init__(self, events: list[Any]) -> None:
        self._events = events
        self._by_type: dict[str, list[Any]] = {}
        self.tool_calls = pair_tool_calls(events)

    def of_type(self, kind: str) -> list[Any]:
        """The events of one type, in order (shared: do not change the list)."""
        found = self._by_type.get(kind)
        if found is None:
            found = self._by_type[kind] = [e for e in self._events if e.type == kind]
        return found


def pair_tool_calls(events: list[Any]) -> list[ToolCallRecord]:
    records: list[ToolCallRecord] = []
    by_id: dict[str, list[ToolCallRecord]] = {}
    first_open = 0
    for event in events:
        kind = event.type
        if kind == "tool_call":
            record = ToolCallRecord(event.seq, event.tool_name, event.tool_args, event.call_id)
            records.append(record)
            if event.call_id:
                same = by_id.get(event.call_id)
                if same is None:
                    by_id[event.call_id] = [record]
                else:
                    same.append(record)
        elif kind == "tool_result":
            found = None
            for candidate in by_id.get(event.call_id, ()) if event.call_id else ():
                if candidate.result_seq is None:
                    found = candidate
                    break
            if found is None:
                while first_open < len(records) and records[first_open].result_seq is not None:
                    first_open += 1
                for at in range(first_open, len(records)):
                    candidate = records[at]
                    if candidate.result_seq is None \
                            and event.tool_name in (None, candidate.tool_name):
                        found = candidate
                        break
            if found is not None:
                found.output = event.output
                found.is_error = event.is_error
                found.result_seq = event.seq
    return records
