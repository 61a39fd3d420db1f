"""Building outcomes: small JSON-safe values, quoted trace text, passed/failed/error."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from typing import Any

from .._text import clip
from ..model import TraceRun
from ..results import Outcome, OutcomeKind

Evaluator = Callable[[Any, TraceRun], Outcome]
"""One catalogue key's evaluator: ``(entry, run) -> Outcome``."""

MAX_TEXT = 500
MAX_ITEMS = 50
MAX_DEPTH = 8


def small(value: Any, depth: int = 0) -> Any:
    """A JSON-serializable copy of ``value``: long strings and lists cut, odd types as text."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return clip(value, MAX_TEXT)
    if depth >= MAX_DEPTH and isinstance(value, (dict, list, tuple)):
        return "…"
    if isinstance(value, dict):
        items = list(value.items())
        out = {str(k): small(v, depth + 1) for k, v in items[:MAX_ITEMS]}
        if len(items) > MAX_ITEMS:
            out["…"] = f"{len(items) - MAX_ITEMS} more keys"
        return out
    if isinstance(value, (list, tuple)):
        out_list = [small(v, depth + 1) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            out_list.append(f"… {len(value) - MAX_ITEMS} more items")
        return out_list
    return clip(str(value), MAX_TEXT)


def as_text(value: Any) -> str:
    """A value as text: strings as they are, anything else as sorted JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # keys of mixed types, circular values
        return str(value)


def quote(value: Any, limit: int = 120) -> str:
    """Trace text for a message: on one line, cut short, in quotes."""
    flat = " ".join(as_text(value).split())
    return "'" + clip(flat, limit) + "'"


def times(count: int) -> str:
    return f"{count} time" if count == 1 else f"{count} times"


def plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def seq_list(seqs: Iterable[int], limit: int = 10) -> str:
    """Event numbers for a message: ``events 2, 4, 6``."""
    seqs = list(seqs)
    if not seqs:
        return "no events"
    shown = ", ".join(str(s) for s in seqs[:limit])
    more = f" and {len(seqs) - limit} more" if len(seqs) > limit else ""
    return ("event " if len(seqs) == 1 else "events ") + shown + more


def result(entry: Any, passed: bool, message: str, *, expected: Any = None,
           actual: Any = None, events: Iterable[int] = (),
           children: list[Outcome] | None = None) -> Outcome:
    """A passed or failed outcome of ``entry``."""
    return build(entry, "passed" if passed else "failed", message, expected=expected,
                 actual=actual, events=events, children=children)


def error(entry: Any, message: str, *, expected: Any = None, actual: Any = None,
          children: list[Outcome] | None = None) -> Outcome:
    """An outcome for an entry that could not be evaluated."""
    return build(entry, "error", message, expected=expected, actual=actual,
                 children=children)


def build(entry: Any, kind: OutcomeKind, message: str, *, expected: Any = None, actual: Any = None,
          events: Iterable[int] = (), children: list[Outcome] | None = None) -> Outcome:
    """An outcome of any kind, with the entry as written in case.yaml."""
    return Outcome(
        key=entry.key, entry=entry.to_yaml_dict(), outcome=kind,
        message=clip(" ".join(message.split()), 1000), expected=small(expected),
        actual=small(actual), why=entry.why, events=sorted(set(events)),
        children=children or [],
    )
