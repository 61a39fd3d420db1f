"""Two runs side by side: status, states, tool calls, first divergence, usage, final output.

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

import ast
import difflib
import itertools
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Literal

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field

from ._jsonio import canonical_json
from .errors import FileAccessError
from .importers import load_trace, pick_run
from .model import (
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
from .model.timeline import event_line
from .prices import PriceTable, RunCost, recorded_usage, run_cost

DIFF_SCHEMA: Final = "replaycase.diff/v1"
EVIDENCE_FILES = ("candidate-run.json", "runner-output.json")
CROSS_FORMAT_TYPES = ("tool_call", "tool_result", "error", "final_output")
SAME_FORMAT_TYPES = ("llm_call", "tool_call", "tool_result", "state", "approval", "retry",
                     "error", "final_output")
OPTIONAL_TYPES = frozenset({"llm_call", "state", "approval", "retry"})
NO_ERROR_EVENTS = frozenset({"transcript"})  # formats that cannot express a run error
DIALECT_FORMATS = frozenset({"transcript"})  # one format, dialects that record differently
_LITERAL_LIMIT = 200_000
_DIFF_LINES = 2000

Key = tuple[Any, ...]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Comparison(_Model):
    """How the two event sequences were compared."""

    mode: Literal["same_format", "cross_format"]
    formats: list[str | None]
    event_types: list[str] = Field(description="The event types compared.")
    note: str


class DivergenceSide(_Model):
    """One run's event at the divergence; ``seq`` None when that run had already ended."""

    seq: int | None = None
    type: str | None = None
    summary: str = "(the run ends here)"
    event: dict[str, Any] | None = None


class Divergence(_Model):
    """The first position where the two runs part."""

    position: int = Field(description="1-based position in the compared event sequences.")
    reason: str
    a: DivergenceSide
    b: DivergenceSide


class ToolCallEntry(_Model):
    tool_name: str
    tool_args: Any = None
    count: int


class ToolCallsDiff(_Model):
    """Tool calls by name and arguments, counted: only in B, only in A, in both."""

    added: list[ToolCallEntry] = Field(default_factory=list)
    removed: list[ToolCallEntry] = Field(default_factory=list)
    common: list[ToolCallEntry] = Field(default_factory=list)


class Metric(_Model):
    """One figure of each run, and B minus A when both are known."""

    name: str
    unit: str
    a: int | float | None = None
    b: int | float | None = None
    delta: int | float | None = None


class OutputDiff(_Model):
    equal: bool
    unified: str = Field(default="", description="Unified diff of the final outputs.")
    structured: dict[str, Any] | None = Field(
        default=None, description="deepdiff of the final outputs, when both are structured.")


class RunSide(_Model):
    label: str
    run_id: str
    status: str
    format: str | None = None
    agent: str | None = None
    version: str | None = None
    model: str | None = None
    input: Any = None
    states: list[str] = Field(default_factory=list)
    final_output: Any = None
    cost: RunCost


class RunDiff(_Model):
    """Everything ``replaycase diff`` shows, as one document."""

    schema_: Literal["replaycase.diff/v1"] = Field(default=DIFF_SCHEMA, alias="schema")
    a: RunSide
    b: RunSide
    same_status: bool
    same_input: bool
    comparison: Comparison
    divergence: Divergence | None = None
    tool_calls: ToolCallsDiff
    metrics: list[Metric]
    final_output: OutputDiff

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)


def load_run(path: str | Path, run_id: str | None = None, format: str = "auto",
             option: str = "--run-id") -> TraceRun:
    """One run from a trace file in any format, or from an evidence folder of a replay
    (its candidate-run.json, else its runner-output.json)."""
    path = Path(path)
    if path.is_dir():
        found = next((path / n for n in EVIDENCE_FILES if os.path.lexists(path / n)), None)
        if found is None:
            raise FileAccessError(path, "a folder with no candidate-run.json or "
                                        "runner-output.json; expected a trace file or a replay's "
                                        "evidence folder")
        runs = load_trace(found, "auto")
    elif not path.exists():
        raise FileAccessError(path, "no such file or folder")
    else:
        runs = load_trace(path, format)
    return pick_run(path, runs, run_id, option)


def diff_runs(a: TraceRun, b: TraceRun, prices: PriceTable | None = None,
              labels: Sequence[str] = ("A", "B")) -> RunDiff:
    """Compare two runs (A the reference, B the other)."""
    comparison = plan_comparison(a, b)
    return RunDiff(
        a=_side(a, labels[0], prices), b=_side(b, labels[1], prices),
        same_status=a.status == b.status, same_input=_text(a.input) == _text(b.input),
        comparison=comparison,
        divergence=first_divergence(a, b, comparison, labels),
        tool_calls=diff_tool_calls(a, b, loose=comparison.mode == "cross_format"),
        metrics=_metrics(a, b, prices), final_output=diff_outputs(a.final_output,
                                                                  b.final_output, labels))


def run_format(run: TraceRun) -> str | None:
    return run.source.format if run.source else None


def plan_comparison(a: TraceRun, b: TraceRun) -> Comparison:
    """Which events the divergence compares, given the two runs' formats and contents."""
    formats = [run_format(a), run_format(b)]
    same = formats[0] == formats[1] and formats[0] not in DIALECT_FORMATS
    types = []
    for kind in SAME_FORMAT_TYPES if same else CROSS_FORMAT_TYPES:
        if kind in OPTIONAL_TYPES and not (_records(a, kind) and _records(b, kind)):
            continue
        if kind == "error" and NO_ERROR_EVENTS.intersection(f or "" for f in formats):
            continue
        if kind == "final_output" and not (_records_final(a) and _records_final(b)):
            continue
        types.append(kind)
    if same:
        note = f"same format ({formats[0]}): compared on " + ", ".join(types)
    elif formats[0] == formats[1]:
        note = (f"{formats[0]} dialects record tool errors differently: compared as across "
                "formats, on " + ", ".join(types))
    else:
        note = f"formats differ ({formats[0]} vs {formats[1]}): compared on " + ", ".join(types)
    return Comparison(mode="same_format" if same else "cross_format", formats=formats,
                      event_types=types, note=note)


def _records(run: TraceRun, kind: str) -> bool:
    if kind == "llm_call":
        return any(isinstance(e, LlmCallEvent) and e.tool_calls for e in run.events)
    return any(e.type == kind for e in run.events)


def _records_final(run: TraceRun) -> bool:
    return run.metadata.extra.get("final_output_recorded") is not False


def compared_events(run: TraceRun, comparison: Comparison) -> list[tuple[Any, Key]]:
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
        return ("tool_call", event.tool_name, _canonical_args(event.tool_args, loose))
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
        return ("error", (event.error_type or "").rsplit(".", 1)[-1], _text(event.message))
    if isinstance(event, FinalOutputEvent):
        return ("final_output", _text(event.output))
    if isinstance(event, LlmCallEvent):
        return ("llm_call", tuple(c.tool_name for c in event.tool_calls), bool(event.error))
    if isinstance(event, InputMessageEvent):
        return ("input_message", event.role, _text(event.content))
    if isinstance(event, StateEvent):
        return ("state", event.action, event.state, event.to_state or "")
    if isinstance(event, ApprovalEvent):
        return ("approval", event.action, event.decision or "")
    if isinstance(event, CustomEvent):
        return ("custom", event.name)
    return (event.type,)


def first_divergence(a: TraceRun, b: TraceRun, comparison: Comparison | None = None,
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


def diff_tool_calls(a: TraceRun, b: TraceRun, loose: bool = False) -> ToolCallsDiff:
    """Tool calls added in B, removed from A and common, by name and arguments (counted)."""
    counts: dict[Key, list[Any]] = {}
    for side, run in enumerate((a, b)):
        for call in run.tool_calls():
            key = (call.tool_name, _canonical_args(call.tool_args, loose))
            entry = counts.setdefault(key, [call.tool_name, parse_structured(call.tool_args),
                                            0, 0])
            entry[2 + side] += 1
    result = ToolCallsDiff()
    for name, args, in_a, in_b in counts.values():
        if in_b > in_a:
            result.added.append(ToolCallEntry(tool_name=name, tool_args=args, count=in_b - in_a))
        if in_a > in_b:
            result.removed.append(ToolCallEntry(tool_name=name, tool_args=args,
                                                count=in_a - in_b))
        if min(in_a, in_b):
            result.common.append(ToolCallEntry(tool_name=name, tool_args=args,
                                               count=min(in_a, in_b)))
    return result


def diff_outputs(a: Any, b: Any, labels: Sequence[str] = ("A", "B")) -> OutputDiff:
    """A unified diff of two final outputs, and a deepdiff when both are structured."""
    left, right = parse_structured(a), parse_structured(b)
    if canonical_json(left) == canonical_json(right):
        return OutputDiff(equal=True)
    lines = difflib.unified_diff(_lines(left), _lines(right), fromfile=labels[0],
                                 tofile=labels[1], lineterm="")
    unified = "\n".join(itertools.islice(lines, _DIFF_LINES))
    structured = None
    if isinstance(left, (dict, list)) and isinstance(right, (dict, list)):
        from deepdiff import DeepDiff

        structured = json.loads(DeepDiff(left, right, verbose_level=2).to_json())
    return OutputDiff(equal=False, unified=unified, structured=structured)


def parse_structured(value: Any, python_literals: bool = False) -> Any:
    """A string holding a JSON object or list (or, if asked, a Python literal) as data."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text or text[0] not in "[{":
        return value
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    if python_literals and len(text) <= _LITERAL_LIMIT:
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
    return value


def _canonical_args(value: Any, loose: bool) -> str:
    data = parse_structured(value)
    if loose and isinstance(data, dict):
        data = {k: v for k, v in data.items() if v is not None}
    return canonical_json(data)


def _text(value: Any) -> str:
    data = parse_structured(value)
    return " ".join(data.split()) if isinstance(data, str) else canonical_json(data)


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.splitlines()
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False,
                      default=str).splitlines()


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


def _side(run: TraceRun, label: str, prices: PriceTable | None) -> RunSide:
    return RunSide(label=label, run_id=run.run_id, status=run.status, format=run_format(run),
                   agent=run.metadata.agent, version=run.metadata.version,
                   model=run.metadata.model, input=run.input, states=run.states_visited(),
                   final_output=run.final_output, cost=run_cost(run, prices))


def _metrics(a: TraceRun, b: TraceRun, prices: PriceTable | None) -> list[Metric]:
    values = [_figures(a, prices), _figures(b, prices)]
    metrics = []
    for name, unit in (("model calls", "calls"), ("tool calls", "calls"),
                       ("input tokens", "tokens"), ("output tokens", "tokens"),
                       ("total tokens", "tokens"), ("cost", "usd"), ("duration", "ms")):
        one, two = values[0][name], values[1][name]
        delta = None if one is None or two is None else round(two - one, 10)
        metrics.append(Metric(name=name, unit=unit, a=one, b=two, delta=delta))
    return metrics


def _figures(run: TraceRun, prices: PriceTable | None) -> dict[str, int | float | None]:
    totals = run.totals()
    usage = recorded_usage(run)
    if usage is not None and totals.total_tokens is None:
        totals.input_tokens, totals.output_tokens = usage.input_tokens, usage.output_tokens
        totals.total_tokens = usage.total()
    return {"model calls": totals.llm_calls, "tool calls": totals.tool_calls,
            "input tokens": totals.input_tokens, "output tokens": totals.output_tokens,
            "total tokens": totals.total_tokens, "cost": run_cost(run, prices).cost_usd,
            "duration": totals.duration_ms}
