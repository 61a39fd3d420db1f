"""The tools family: which tools were called, how often, with which arguments, in what order."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from .._bounded_regex import search
from ..model import TraceRun
from ..model.index import ToolCallRecord
from ..results import Outcome
from . import catalogue
from ._common import as_text, plural, quote, result, seq_list, times
from ._compare import deep_diff, is_subset, maybe_json, names, sequence_verdict
from ._registry import Entry, register


def _calls(run: TraceRun, tool: str | None = None) -> list[ToolCallRecord]:
    return [c for c in run.tool_calls() if tool is None or c.tool_name == tool]


def _bounds(count_spec: catalogue.CountSpec) -> dict[str, int]:
    return count_spec.model_dump(exclude_none=True, include={"min", "max", "equals"})


def tool_called(entry: ToolCalled, run: TraceRun) -> Outcome:
    tool = entry.tool_called
    calls = run.tool_calls()
    mine = [c.seq for c in calls if c.tool_name == tool]
    called = list(dict.fromkeys(c.tool_name for c in calls))
    if mine:
        message = f"{tool} was called {times(len(mine))} ({seq_list(mine)})"
    else:
        message = f"{tool} was never called (tools called: {names(called)})"
    return result(entry, bool(mine), message, expected=tool, actual=called, events=mine)


def tool_not_called(entry: ToolNotCalled, run: TraceRun) -> Outcome:
    tool = entry.tool_not_called
    mine = [c.seq for c in _calls(run, tool)]
    message = (f"{tool} was not called" if not mine
               else f"{tool} was called {times(len(mine))} ({seq_list(mine)}), expected never")
    return result(entry, not mine, message, expected=0, actual=len(mine), events=mine)


def _count(entry: Entry, count_spec: catalogue.CountSpec, seqs: list[int],
           subject: str) -> Outcome:
    ok = count_spec.holds(len(seqs))
    message = f"{subject} {times(len(seqs))}"
    if not ok:
        message += f", expected {count_spec.bounds_text()}"
    return result(entry, ok, message, expected=_bounds(count_spec), actual=len(seqs),
                  events=seqs)


def tool_call_count(entry: ToolCallCount, run: TraceRun) -> Outcome:
    want = entry.tool_call_count
    seqs = [c.seq for c in _calls(run, want.tool)]
    subject = f"{want.tool} was called" if want.tool else "tools were called"
    return _count(entry, want, seqs, subject)


def max_tool_calls(entry: MaxToolCalls, run: TraceRun) -> Outcome:
    seqs = [c.seq for c in run.tool_calls()]
    ok = len(seqs) <= entry.max_tool_calls
    message = f"the run made {plural(len(seqs), 'tool call')}"
    if not ok:
        message += f", expected <= {entry.max_tool_calls}"
    return result(entry, ok, message, expected={"max": entry.max_tool_calls},
                  actual=len(seqs), events=seqs)


def args_match(want: catalogue.ToolArgsSpec, args: Any) -> bool:
    """Whether one call's arguments fit ``want`` under its match mode."""
    if want.match == "exact":
        return deep_diff(want.args, maybe_json(args, want.args)) is None
    if want.match == "subset":
        return is_subset(want.args, maybe_json(args, want.args))
    args = maybe_json(args, {})
    if not isinstance(args, dict):
        return False
    return all(name in args and search(str(pattern), as_text(args[name])) is not None
               for name, pattern in want.args.items())


def tool_args(entry: ToolArgs, run: TraceRun) -> Outcome:
    want = entry.tool_args
    calls = _calls(run, want.tool)
    hits = [c for c in calls if args_match(want, c.tool_args)]
    if hits:
        message = (f"{want.tool} was called with args matching {quote(want.args)} "
                   f"({want.match}, {seq_list(c.seq for c in hits)})")
    elif calls:
        message = (f"no call of {want.tool} ({plural(len(calls), 'call')}) has args matching "
                   f"{quote(want.args)} ({want.match}); first args {quote(calls[0].tool_args)}")
    else:
        message = f"{want.tool} was never called"
    return result(entry, bool(hits), message, expected=want.args,
                  actual=[c.tool_args for c in calls[:10]], events=[c.seq for c in hits])


def tool_sequence(entry: ToolSequence, run: TraceRun) -> Outcome:
    want = entry.tool_sequence
    calls = run.tool_calls()
    actual = [c.tool_name for c in calls]
    passed, message = sequence_verdict("tool calls", want.mode, want.tools, actual)
    return result(entry, passed, message, expected=want.model_dump(),
                  actual=actual, events=[c.seq for c in calls])


def repeated_tool_call(entry: RepeatedToolCall, run: TraceRun) -> Outcome:
    want = entry.repeated_tool_call
    groups: dict[tuple[str, str], list[ToolCallRecord]] = {}
    for call in _calls(run, want.tool):
        groups.setdefault((call.tool_name, call.args_key()), []).append(call)
    largest = max(groups.values(), key=len, default=[])
    count = len(largest)
    ok = (want.min is None or count >= want.min) and (want.max is None or count <= want.max)
    bounds = want.model_dump(exclude_none=True, include={"min", "max"})
    if largest:
        first = largest[0]
        message = (f"{first.tool_name} was called {times(count)} with identical args "
                   f"{quote(first.tool_args, 80)} ({seq_list(c.seq for c in largest)})")
    else:
        message = f"{want.tool} was never called" if want.tool else "no tool was called"
    if not ok:
        limits = [f">= {want.min}" if want.min is not None else "",
                  f"<= {want.max}" if want.max is not None else ""]
        message += ", expected " + " and ".join(x for x in limits if x)
    actual = ({"tool": largest[0].tool_name, "args": largest[0].tool_args, "count": count}
              if largest else {"count": 0})
    return result(entry, ok, message, expected=bounds, actual=actual,
                  events=[c.seq for c in largest])


def tool_error_count(entry: ToolErrorCount, run: TraceRun) -> Outcome:
    want = entry.tool_error_count
    failed = [c for c in _calls(run, want.tool) if c.is_error]
    seqs = [c.result_seq or c.seq for c in failed]
    subject = f"{want.tool} returned an error" if want.tool else "tools returned an error"
    return _count(entry, want, seqs, subject)


# --- the entries of this family, each registered with its evaluator ---


@register("tool_called", "tools", tool_called)
class ToolCalled(Entry):
    tool_called: str = Field(min_length=1)
    why: str | None = None


@register("tool_not_called", "tools", tool_not_called)
class ToolNotCalled(Entry):
    tool_not_called: str = Field(min_length=1)
    why: str | None = None


@register("tool_call_count", "tools", tool_call_count)
class ToolCallCount(Entry):
    tool_call_count: catalogue.ToolCountSpec
    why: str | None = None


@register("max_tool_calls", "tools", max_tool_calls)
class MaxToolCalls(Entry):
    max_tool_calls: int = Field(ge=0)
    why: str | None = None


@register("tool_args", "tools", tool_args)
class ToolArgs(Entry):
    tool_args: catalogue.ToolArgsSpec
    why: str | None = None


@register("tool_sequence", "tools", tool_sequence)
class ToolSequence(Entry):
    tool_sequence: catalogue.ToolSequenceSpec
    why: str | None = None

    @field_validator("tool_sequence", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return {"tools": value} if isinstance(value, list) else value


@register("repeated_tool_call", "tools", repeated_tool_call)
class RepeatedToolCall(Entry):
    repeated_tool_call: catalogue.RepeatedToolCallSpec
    why: str | None = None

    @field_validator("repeated_tool_call", mode="before")
    @classmethod
    def _int(cls, value: Any) -> Any:
        return {"min": value} if isinstance(value, int) and not isinstance(value, bool) \
            else value


@register("tool_error_count", "tools", tool_error_count)
class ToolErrorCount(Entry):
    tool_error_count: catalogue.ToolCountSpec
    why: str | None = None
