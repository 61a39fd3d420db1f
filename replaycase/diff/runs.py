"""Two runs side by side: status, states, tool calls, first divergence, usage, final output."""

from __future__ import annotations

import difflib
import itertools
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._jsonio import canonical_json
from ..errors import FileAccessError
from ..importers import load_trace, pick_run
from ..model import TraceRun
from ..results.evidence_names import CANDIDATE_RUN, RUNNER_OUTPUT
from .divergence import Key, first_divergence, plan_comparison, run_format
from .models import Metric, OutputDiff, RunDiff, RunSide, ToolCallEntry, ToolCallsDiff
from .prices import PriceTable, recorded_usage, run_cost
from .structured import canonical_args, normalized_text, parse_structured

RUN_FILES = (CANDIDATE_RUN, RUNNER_OUTPUT)
"""The files of an evidence folder a run is read from: the first there."""
_DIFF_LINES = 2000


def load_run(path: str | Path, run_id: str | None = None, format: str = "auto",
             option: str = "--run-id") -> TraceRun:
    """One run from a trace file in any format, or from an evidence folder of a replay
    (its candidate-run.json, else its runner-output.json)."""
    path = Path(path)
    if path.is_dir():
        found = next((path / n for n in RUN_FILES if os.path.lexists(path / n)), None)
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
        same_status=a.status == b.status,
        same_input=normalized_text(a.input) == normalized_text(b.input),
        comparison=comparison,
        divergence=first_divergence(a, b, comparison, labels),
        tool_calls=diff_tool_calls(a, b, loose=comparison.mode == "cross_format"),
        metrics=_metrics(a, b, prices), final_output=diff_outputs(a.final_output,
                                                                  b.final_output, labels))


def diff_tool_calls(a: TraceRun, b: TraceRun, loose: bool = False) -> ToolCallsDiff:
    """Tool calls added in B, removed from A and common, by name and arguments (counted)."""
    counts: dict[Key, list[Any]] = {}
    for side, run in enumerate((a, b)):
        for call in run.tool_calls():
            key = (call.tool_name, canonical_args(call.tool_args, loose))
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


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.splitlines()
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False,
                      default=str).splitlines()


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
