"""Redaction's placeholders, ``<redacted:KIND:N>``, and the one clip helper that never cuts
one in half."""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"<redacted:[a-z_]+:\d+>")
"""A value replaced by the redactor: never reported, never redacted again."""
PLACEHOLDER_OR_CUT = re.compile(PLACEHOLDER.pattern + r"|<(?:redacted:[a-z_]*(?::\d*)?"
                                r"|r(?:e(?:d(?:a(?:c(?:t(?:e(?:d)?)?)?)?)?)?)?)?…")
"""A placeholder, or one cut short by an ellipsis (``<r…``, ``<redacted:api_…``)."""


def clip(text: str, limit: int, mark: str = "…") -> str:
    """``text`` cut to at most ``limit`` characters ending in ``mark``, never inside a
    placeholder (half of one would read as a secret): the cut moves to its start."""
    if len(text) <= limit:
        return text
    cut = max(0, limit - len(mark))
    start = text.rfind("<", 0, cut)
    whole = PLACEHOLDER.match(text, start) if start != -1 else None
    if whole is not None and whole.end() > cut:
        cut = start
    return text[:cut] + mark
