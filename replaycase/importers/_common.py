"""Small readers shared by importers: JSON-string arguments and ISO times."""

from __future__ import annotations

import json
from datetime import timezone
from typing import Any

from ..model import parse_ts


def json_args(value: Any) -> Any:
    """Tool arguments: a JSON string parsed when it parses, kept as written otherwise."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return value


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def iso_ts(value: str | None) -> str | None:
    """The value when it is a readable ISO 8601 time, else None."""
    return value if value and parse_ts(value) is not None else None


def epoch_s(value: str | None) -> float:
    """Seconds since the epoch of an ISO time (naive times count as UTC); 0.0 if unreadable."""
    moment = parse_ts(value)
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.timestamp()
    except (OverflowError, OSError, ValueError):
        return 0.0


def duration_ms(start: str | None, end: str | None) -> float | None:
    """Milliseconds between two ISO times; None when either is missing or end is earlier."""
    if not start or not end:
        return None
    millis = round((epoch_s(end) - epoch_s(start)) * 1000, 3)
    return millis if millis >= 0 else None
