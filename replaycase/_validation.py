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


def validation_message(exc: ValidationError, limit: int = 3) -> str:
    """The first few problems of a validation error, on one line."""
    errors = exc.errors(include_url=False)
    parts = [pydantic_error_message(error) for error in errors[:limit]]
    more = len(errors) - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def pydantic_error_message(error: Any, skip: int = 0) -> str:
    """One pydantic error as 'where: what' (the first ``skip`` location parts dropped)."""
    loc: list[Any] = []
    for part in error["loc"][skip:]:
        if not _is_union_tag(part) and not (loc and loc[-1] == part):
            loc.append(part)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    return f"{loc_path(loc)}: {message}"


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))
