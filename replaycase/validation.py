"""Turning pydantic validation errors into one readable line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError


def loc_path(loc: Sequence[Any]) -> str:
    """('events', 3, 'tool_name') -> 'events[3].tool_name'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def describe(exc: ValidationError, limit: int = 3) -> str:
    """The first few problems of a validation error, on one line."""
    parts = []
    errors = exc.errors(include_url=False)
    for error in errors[:limit]:
        loc: list[Any] = []
        for part in error["loc"]:
            if not _is_union_tag(part) and not (loc and loc[-1] == part):
                loc.append(part)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        parts.append(f"{loc_path(loc)}: {message}")
    more = len(errors) - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))
