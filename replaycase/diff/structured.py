"""Values as the diff compares them: strings that hold data parsed, arguments and text in
one canonical form."""

from __future__ import annotations

import ast
import json
from typing import Any

from .._jsonio import canonical_json

_LITERAL_LIMIT = 200_000


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


def canonical_args(value: Any, loose: bool) -> str:
    """Tool arguments as canonical JSON; ``loose`` (across formats) drops null values."""
    data = parse_structured(value)
    if loose and isinstance(data, dict):
        data = {k: v for k, v in data.items() if v is not None}
    return canonical_json(data)


def normalized_text(value: Any) -> str:
    """Text with its whitespace collapsed, or data as canonical JSON."""
    data = parse_structured(value)
    return " ".join(data.split()) if isinstance(data, str) else canonical_json(data)
