"""The spans of an OpenAI Agents SDK export, checked (``Span``), and what the importer reads
off them: errors, guardrail tripwires, token usage."""

from __future__ import annotations

from typing import Any

from .._jsonio import json_kind
from ..model import Usage
from ._common import duration_ms as _duration
from ._common import fail as _fail
from ._common import get_typed as _get
from ._common import iso_ts as _ts

TRIPWIRE = "Guardrail tripwire triggered"
"""The SDK's span error for a guardrail that tripped (its ``data`` names the guardrail)."""


class Span:
    """One span, checked: where it sits in the file, its data and times."""

    def __init__(self, index: int, raw: dict[str, Any]) -> None:
        self.where = f"data[{index}]"
        self.index = index
        self.id = _get(raw, "id", str, self.where)
        self.parent_id = _get(raw, "parent_id", str, self.where)
        self.started_at = _ts(_get(raw, "started_at", str, self.where))
        self.ended_at = _ts(_get(raw, "ended_at", str, self.where))
        data = raw.get("span_data")
        if not isinstance(data, dict):
            raise _fail(f"{self.where}.span_data",
                        f"expected an object, got {json_kind(data)}")
        self.data = data
        self.kind = _get(data, "type", str, f"{self.where}.span_data")
        if not self.kind:
            raise _fail(f"{self.where}.span_data", 'no "type"')
        self.error = _get(raw, "error", (dict, str), self.where)

    def common(self, at_end: bool = False) -> dict[str, Any]:
        return {"ts": self.ended_at if at_end else self.started_at,
                "duration_ms": None if at_end else _duration(self.started_at, self.ended_at),
                "span_id": self.id, "parent_id": self.parent_id}

    def error_text(self) -> str | None:
        if self.error is None:
            return None
        if isinstance(self.error, str):
            return self.error
        message = self.error.get("message")
        message = message if isinstance(message, str) and message else "error"
        data = self.error.get("data")
        detail = data.get("error") if isinstance(data, dict) else None
        if message == TRIPWIRE and isinstance(data, dict):
            detail = data.get("guardrail")  # the guardrail's name
        limit = data.get("max_turns") if isinstance(data, dict) else None
        if message == "Max turns exceeded" and type(limit) is int:
            return f"Max turns ({limit}) exceeded"  # what the SDK's exception says
        return f"{message}: {detail}" if isinstance(detail, str) and detail else message

    def is_fatal(self) -> bool:
        text = self.error_text()
        return text is not None and not (self.kind == "function" and "non-fatal" in text)



def tripped(span: Span) -> str | None:
    """The name of a guardrail span whose tripwire fired (the SDK's run then raises)."""
    if span.kind != "guardrail" or span.data.get("triggered") is not True:
        return None
    name = span.data.get("name")
    return name if isinstance(name, str) and name else "guardrail"


def tripwire_of(span: Span) -> str | None:
    """The guardrail a span's ``Guardrail tripwire triggered`` error names."""
    error = span.error
    if not isinstance(error, dict) or error.get("message") != TRIPWIRE:
        return None
    data = error.get("data")
    name = data.get("guardrail") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else "guardrail"


def usage_of(raw: dict[str, Any] | None, where: str) -> Usage | None:
    if raw is None:
        return None
    values: dict[str, int] = {}
    for key, aliases in (("input_tokens", ("input_tokens", "prompt_tokens")),
                         ("output_tokens", ("output_tokens", "completion_tokens")),
                         ("total_tokens", ("total_tokens",))):
        for alias in aliases:
            value = raw.get(alias)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
                    or value != int(value):
                raise _fail(f"{where}.{alias}", f"expected a token count, got {value!r:.40}")
            values[key] = int(value)
            break
    return Usage(**values) if values else None
