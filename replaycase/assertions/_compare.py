"""Comparisons shared by the families: deep equality, subsets, sequence modes."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .._text import clip


def normalize(value: Any) -> Any:
    """Integral floats as ints (JSON makes no difference between 3 and 3.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    return value


def maybe_json(value: Any, expected: Any) -> Any:
    """``value`` parsed from JSON when it is a string and ``expected`` is structured."""
    if isinstance(value, str) and isinstance(expected, (dict, list)):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def deep_diff(expected: Any, actual: Any, ignore_order: bool = False) -> str | None:
    """None when the values are equal, else a short summary of how they differ."""
    from deepdiff import DeepDiff  # imported when needed: it pulls in numpy

    diff = DeepDiff(normalize(expected), normalize(actual), ignore_order=ignore_order)
    if not diff:
        return None
    lines = [line for line in diff.pretty().splitlines() if line.strip()]
    summary = "; ".join(lines[:3])
    if len(lines) > 3:
        summary += f"; and {len(lines) - 3} more differences"
    return clip(summary, 400)


def is_subset(expected: Any, actual: Any) -> bool:
    """Every key and value of ``expected`` is in ``actual`` (recursively for mappings)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and is_subset(value, actual[key]) for key, value in expected.items()
        )
    return deep_diff(expected, actual) is None


def is_subsequence(wanted: list[str], actual: list[str]) -> bool:
    """``wanted`` appears in ``actual`` in order, other items allowed between."""
    rest = iter(actual)
    return all(any(item == got for got in rest) for item in wanted)


def sequence_problem(mode: str, wanted: list[str], actual: list[str]) -> str | None:
    """None when ``actual`` fits ``wanted`` under ``mode``, else what does not fit."""
    if mode == "strict":
        return None if actual == wanted else "not exactly the expected sequence"
    if mode == "in_order":
        return None if is_subsequence(wanted, actual) else "not found in this order"
    if mode == "any_order":
        if Counter(actual) == Counter(wanted):
            return None
        missing = Counter(wanted) - Counter(actual)
        extra = Counter(actual) - Counter(wanted)
        parts = []
        if missing:
            parts.append("missing " + ", ".join(sorted(missing.elements())))
        if extra:
            parts.append("unexpected " + ", ".join(sorted(extra.elements())))
        return "; ".join(parts)
    if mode == "subset":
        extra_names = sorted({name for name in actual if name not in wanted})
        return None if not extra_names else "not allowed: " + ", ".join(extra_names)
    if mode == "superset":
        missing_names = [name for name in dict.fromkeys(wanted) if name not in actual]
        return None if not missing_names else "never seen: " + ", ".join(missing_names)
    raise ValueError(f"unknown sequence mode {mode!r}")


def sequence_verdict(noun: str, mode: str, wanted: list[str],
                     actual: list[str]) -> tuple[bool, str]:
    """Whether ``actual`` fits ``wanted`` under ``mode``, and the message saying so."""
    problem = sequence_problem(mode, wanted, actual)
    if problem is None:
        return True, f"{noun} fit [{names(wanted)}] ({mode})"
    return False, f"{noun} [{names(actual)}] do not fit [{names(wanted)}] ({mode}): {problem}"


def names(items: list[str], limit: int = 20) -> str:
    """A list of names for a message, cut short."""
    if not items:
        return "(none)"
    shown = ", ".join(items[:limit])
    return shown + (f", … ({len(items) - limit} more)" if len(items) > limit else "")
