"""A tool call the fixtures do not hold (DESIGN 8): the record ``replaycase.runner`` leaves in
the run folder when a candidate asks for one, and the replay reads back to make the case
``diverged``.

One record a line of ``fixture-misses.jsonl`` (``FIXTURE_MISSES``) in ``REPLAYCASE_RUN_DIR``.
The arguments are kept as their canonical JSON text, cut at ``MAX_ARGS_CHARS``; the writer
stops at ``MAX_RECORDS`` records or ``MAX_FILE_BYTES``, so a larger file is not its own.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from .._text import clip
from .events import _Model

FIXTURE_MISSES = "fixture-misses.jsonl"
"""The file name in the run folder (re-exported by ``results.evidence_names``)."""
MAX_ARGS_CHARS = 2000
"""The longest arguments text a record keeps."""
MAX_RECORDED = 5
"""How many recorded argument sets of the same tool a record names."""
MAX_RECORDS = 100
MAX_FILE_BYTES = 256 * 1024
"""The writer appends no record past this size: the reader refuses a file over 1 MiB."""
SHOWN_CHARS = 200
"""The longest arguments text in a divergence message."""


class FixtureMiss(_Model):
    """One call the fixtures do not hold."""

    call: int = Field(ge=1, strict=True)
    """The candidate's tool call (from 1, in the order it asked the fixtures)."""
    tool_name: str = Field(min_length=1, max_length=MAX_ARGS_CHARS, strict=True)
    tool_args: str = Field(max_length=MAX_ARGS_CHARS + 1, strict=True)
    """The arguments as canonical JSON (cut, with a trailing ``…``, when too long)."""
    recorded_args: list[str] = Field(default_factory=list, max_length=MAX_RECORDED)
    """The arguments the fixtures hold for the same tool (none: the tool was never called)."""

    def message(self) -> str:
        """``replaycase: diverged at tool call N: get_order({"order_id":"Z-9999"}) is not in
        the fixtures``."""
        shown = clip(self.tool_args, SHOWN_CHARS)
        return (f"replaycase: diverged at tool call {self.call}: "
                f"{clip(self.tool_name, SHOWN_CHARS)}({shown}) is not in the fixtures")

    def received(self) -> Any:
        """The arguments asked for, as a value when their text is whole JSON."""
        return _value(self.tool_args)

    def recorded(self) -> list[Any] | None:
        """The arguments recorded for the same tool; None when the tool never was."""
        return [_value(text) for text in self.recorded_args] or None


def _value(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse)
    except (ValueError, RecursionError):
        return text


def _refuse(name: str) -> Any:
    raise ValueError(name)
