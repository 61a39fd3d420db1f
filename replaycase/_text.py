"""Text cut for display: redaction's placeholders, ``<redacted:KIND:N>``, and the one clip helper
that never cuts one in half."""

from __future__ import annotations

import json
import re
from typing import Any

PLACEHOLDER = re.compile(r"<redacted:[a-z_]+:\d+>")
"""A value replaced by the redactor: never reported, never redacted again."""
PLACEHOLDER_OR_CUT = re.compile(PLACEHOLDER.pattern + r"|<(?:redacted:[a-z_]*(?::\d*)?"
                                r"|r(?:e(?:d(?:a(?:c(?:t(?:e(?:d)?)?)?)?)?)?)?)?…")
"""A placeholder, or one cut short by an ellipsis (``<r…``, ``<redacted:api_…``)."""


_PLACEHOLDER_MAX = 64  # longer than any <redacted:KIND:N>


def clip(text: str, limit: int, mark: str = "…") -> str:
    """``text`` cut to at most ``limit`` characters ending in ``mark``, never inside a
    placeholder (half of one would read as a secret): the cut moves to its start."""
    if len(text) <= limit:
        return text
    return text[:safe_end(text, max(0, limit - len(mark)))] + mark


def safe_start(text: str, index: int) -> int:
    """``index``, or the end of the placeholder it falls inside: where ``text`` may be cut
    keeping its end."""
    match = _placeholder_across(text, index)
    return index if match is None else match.end()


def safe_end(text: str, index: int) -> int:
    """``index``, or the start of the placeholder it falls inside: where ``text`` may be cut
    keeping its beginning."""
    match = _placeholder_across(text, index)
    return index if match is None else match.start()


def _placeholder_across(text: str, index: int) -> re.Match[str] | None:
    """The placeholder that ``index`` falls strictly inside, if any."""
    window = PLACEHOLDER.finditer(text, max(0, index - _PLACEHOLDER_MAX),
                                  index + _PLACEHOLDER_MAX)
    return next((m for m in window if m.start() < index < m.end()), None)


def short(value: Any, limit: int = 120) -> str:
    """A value as one short line of text (never cut inside a redaction placeholder)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                            sort_keys=True, default=str)
    text = " ".join(text.split())
    return clip(text, limit)
