"""The budget family: model calls, tokens, cost and duration."""

from __future__ import annotations

from pydantic import Field

from ..model import TraceRun
from ..results import Outcome
from . import catalogue
from ._common import error, result, times
from ._registry import Entry, register


def llm_call_count(entry: LlmCallCount, run: TraceRun) -> Outcome:
    want = entry.llm_call_count
    seqs = [e.seq for e in run.llm_calls()]
    ok = want.holds(len(seqs))
    message = f"the model was called {times(len(seqs))}"
    if not ok:
        message += f", expected {want.bounds_text()}"
    return result(entry, ok, message, expected=want.model_dump(exclude_none=True),
                  actual=len(seqs), events=seqs)


def _at_most(entry: Entry, limit: float, actual: float | None, unit: str,
             missing: str, events: list[int]) -> Outcome:
    if actual is None:
        return error(entry, f"the run records no {missing}", expected={"max": limit})
    ok = actual <= limit
    verb = "took" if unit == "ms" else "used"
    message = f"the run {verb} {_num(actual)} {unit}"
    message += f", within {_num(limit)}" if ok else f", expected <= {_num(limit)}"
    return result(entry, ok, message, expected={"max": limit}, actual=actual, events=events)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _usage_seqs(run: TraceRun) -> list[int]:
    return [e.seq for e in run.llm_calls() if e.usage is not None]


def max_tokens(entry: MaxTokens, run: TraceRun) -> Outcome:
    return _at_most(entry, entry.max_tokens, run.totals().total_tokens, "tokens",
                    "token usage", _usage_seqs(run))


def max_cost_usd(entry: MaxCostUsd, run: TraceRun) -> Outcome:
    return _at_most(entry, entry.max_cost_usd, run.totals().cost_usd, "USD", "cost",
                    _usage_seqs(run))


def max_duration_ms(entry: MaxDurationMs, run: TraceRun) -> Outcome:
    return _at_most(entry, entry.max_duration_ms, run.totals().duration_ms, "ms",
                    "duration", [])


# --- the entries of this family, each registered with its evaluator ---


@register("llm_call_count", "budget", llm_call_count)
class LlmCallCount(Entry):
    llm_call_count: catalogue.CountSpec
    why: str | None = None


@register("max_tokens", "budget", max_tokens)
class MaxTokens(Entry):
    max_tokens: int = Field(ge=0)
    why: str | None = None


@register("max_cost_usd", "budget", max_cost_usd)
class MaxCostUsd(Entry):
    max_cost_usd: float = Field(ge=0)
    why: str | None = None


@register("max_duration_ms", "budget", max_duration_ms)
class MaxDurationMs(Entry):
    max_duration_ms: float = Field(ge=0)
    why: str | None = None
