"""The first divergence of two runs: which events are compared, and where they part.

The first divergence is the first position where the two runs' event sequences part. Each
event is reduced to a key that ignores what varies between recordings of the same behaviour
(timestamps, ids, ``seq``, usage, latency):

- both runs in the same format: every event but ``custom`` is compared. Keys: tool calls by
  name and canonical arguments, tool results by tool, output and error flag, model calls by
  the tools they requested, errors by type and message, states, approvals, retries, input
  messages and the final output by their content.
- runs in different formats: only the subsequence of ``tool_call``, ``tool_result``,
  ``error`` and ``final_output`` events is compared, since formats disagree on the rest
  (states, system prompts, model names). Across formats a tool call's arguments drop null
  values (some formats record defaulted parameters as null); a tool result is compared by
  tool and, when it is structured data (JSON, or a Python literal as the OpenAI Agents SDK
  writes), by that data: textual outputs and errors are written differently by each format
  (an exception repr, an ``Error:`` prefix, a ``{type, message}`` object), so only the tool
  counts. Consecutive error events count as one, compared by presence only, and are left out
  entirely when one side's format (a chat transcript) cannot express a run error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pydantic_core

from .._jsonio import canonical_json
from ..model import (
    ApprovalEvent,
    CustomEvent,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    StateEvent,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
)
from ..model.timeline import event_line
from .models import ComparisonPlan, Divergence, DivergenceSide
from .structured import canonical_args, normalized_text, parse_structured

CROSS_FORMAT_TYPES = ("tool_call", "tool_result", "error", "final_output")
SAME_FORMAT_TYPES = ("llm_call", "tool_call", "tool_result", "state", "approval", "retry",
                     "error", "final_output")
OPTIONAL_TYPES = frozenset({"llm_call", "state", "approval", "retry"})
NO_ERROR_EVENTS = frozenset({"transcript"})  # formats that cannot express a run error
DIALECT_FORMATS = frozenset({"transcript"})  # one format, dialects that record differently

Key = tuple[Any, ...]
"""What of an event is compared (``event_key``)."""


def run_format(run: TraceRun) -> str | None:
    return run.source.format if run.source else None


def plan_comparison(a: TraceRun, b: TraceRun) -> ComparisonPlan:
    """Which events the divergence compares, given the two runs' formats and contents."""
    formats = [run_format(a), run_format(b)]
    same = formats[0] == formats[1] and formats[0] not in DIALECT_FORMATS
    types = []
    for kind in SAME_FORMAT_TYPES if same else CROSS_FORMAT_TYPES:
        if kind in OPTIONAL_TYPES and not (_records(a, kind) and _records(b, kind)):
            continue
        if kind == "error" and NO_ERROR_EVENTS.intersection(f or "" for f in formats):
            continue
        if kind == "final_output" and not (a.answer_recorded() and b.answer_recorded()):
            continue
        types.append(kind)
    if same:
        note = f"same format ({formats[0]}): compared on " + ", ".join(types)
    elif formats[0] == formats[1]:
        note = (f"{formats[0]} dialects record tool errors differently: compared as across "
                "formats, on " + ", ".join(types))
    else:
        note = f"formats differ ({formats[0]} vs {formats[1]}): compared on " + ", ".join(types)
    return ComparisonPlan(mode="same_format" if same else "cross_format", formats=formats,
                      event_types=types, note=note)


def _records(run: TraceRun, kind: str) -> bool:
    if kind == "llm_call":
        return any(isinstance(e, LlmCallEvent) and e.tool_calls for e in run.events)
    return any(e.type == kind for e in run.events)


def compared_events(run: TraceRun, comparison: ComparisonPlan) -> list[tuple[Any, Key]]:
    """The run's events that take part in the comparison, each with its key."""
    loose = comparison.mode == "cross_format"
    names: dict[str, str] = {}
    out: list[tuple[Any, Key]] = []
    for event in run.events:
        if isinstance(event, ToolCallEvent) and event.call_id:
            names[event.call_id] = event.tool_name
        if event.type not in comparison.event_types:
            continue
        if loose and isinstance(event, ErrorEvent) and out and out[-1][1][0] == "error":
            continue
        out.append((event, event_key(event, loose, names)))
    return out


def event_key(event: Any, loose: bool = False, names: dict[str, str] | None = None) -> Key:
    """What of an event is compared (see the module docstring)."""
    if isinstance(event, ToolCallEvent):
        return ("tool_call", event.tool_name, canonical_args(event.tool_args, loose))
    if isinstance(event, ToolResultEvent):
        name = event.tool_name or (names or {}).get(event.call_id or "", "")
        if loose:
            data = parse_structured(event.output, python_literals=True)
            shown = canonical_json(data) if isinstance(data, (dict, list)) and not event.is_error \
                else ""
            return ("tool_result", name, shown)
        return ("tool_result", name, canonical_json(parse_structured(event.output)), event.is_error)
    if isinstance(event, ErrorEvent):
        if loose:
            return ("error",)
        return ("error", (event.error_type or "").rsplit(".", 1)[-1],
                normalized_text(event.message))
    if isinstance(event, FinalOutputEvent):
        return ("final_output", normalized_text(event.output))
    if isinstance(event, LlmCallEvent):
        return ("llm_call", tuple(c.tool_name for c in event.tool_calls), bool(event.error))
    if isinstance(event, InputMessageEvent):
        return ("input_message", event.role, normalized_text(event.content))
    if isinstance(event, StateEvent):
        return ("state", event.action, event.state, event.to_state or "")
    if isinstance(event, ApprovalEvent):
        return ("approval", event.action, event.decision or "")
    if isinstance(event, CustomEvent):
        return ("custom", event.name)
    return (event.type,)


def first_divergence(a: TraceRun, b: TraceRun, comparison: ComparisonPlan | None = None,
                     labels: Sequence[str] = ("A", "B")) -> Divergence | None:
    """The first compared position where A and B differ; None when they never do."""
    comparison = comparison or plan_comparison(a, b)
    left, right = compared_events(a, comparison), compared_events(b, comparison)
    for index in range(max(len(left), len(right))):
        one = left[index] if index < len(left) else None
        two = right[index] if index < len(right) else None
        if one is not None and two is not None and one[1] == two[1]:
            continue
        return Divergence(position=index + 1, reason=_reason(one, two, labels),
                          a=_divergence_side(one), b=_divergence_side(two))
    return None


def _divergence_side(item: tuple[Any, Key] | None) -> DivergenceSide:
    if item is None:
        return DivergenceSide()
    event = item[0]
    return DivergenceSide(seq=event.seq, type=event.type, summary=event_line(event, 200),
                          event=pydantic_core.to_jsonable_python(event))


def _reason(one: tuple[Any, Key] | None, two: tuple[Any, Key] | None,
            labels: Sequence[str]) -> str:
    first, second = labels[0], labels[1]
    if one is None and two is not None:
        return f"{first} ends here; {second} goes on with {two[0].type}"
    if two is None and one is not None:
        return f"{second} ends here; {first} goes on with {one[0].type}"
    assert one is not None and two is not None
    if one[0].type != two[0].type:
        return f"{first} has {one[0].type}, {second} has {two[0].type}"
    kind = one[0].type
    if kind == "llm_call" and one[1][1] != two[1][1]:
        return (f"llm_call: {first} requested {_tools(one[1][1])}, {second} requested "
                f"{_tools(two[1][1])}")
    if kind in ("tool_call", "tool_result") and one[1][1] != two[1][1]:
        return f"{kind}: a different tool"
    details = {"tool_call": "tool_call: different arguments",
               "tool_result": "tool_result: different output or error flag",
               "llm_call": "llm_call: an error on one side",
               "final_output": "final_output: different answer",
               "error": "error: different error"}
    return details.get(kind, f"{kind}: different content")


def _tools(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "no tool"
