"""One-line summaries of trace events, shared by notes.md, inspect and reports."""

from __future__ import annotations

from typing import Any

from .._text import short
from .events import (
    ApprovalEvent,
    CustomEvent,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    RetryEvent,
    StateEvent,
    ToolCallEvent,
    ToolResultEvent,
)


def event_line(event: Any, limit: int = 100) -> str:
    """What happened at this event, in one line of plain text."""
    if isinstance(event, InputMessageEvent):
        return f"{event.role}: {short(event.content, limit)}"
    if isinstance(event, LlmCallEvent):
        parts = [event.model or "unknown"]
        if event.tool_calls:
            parts.append("asks for " + ", ".join(c.tool_name for c in event.tool_calls))
        elif event.response is not None:
            parts.append("→ " + short(event.response, limit))
        if event.usage is not None and event.usage.total() is not None:
            parts.append(f"[{event.usage.total()} tokens]")
        if event.latency_ms is not None:
            parts.append(f"[{event.latency_ms:.0f} ms]")
        if event.error:
            parts.append("error: " + short(event.error, limit))
        return " ".join(parts)
    if isinstance(event, ToolCallEvent):
        return f"{event.tool_name}({short(event.tool_args, limit)})"
    if isinstance(event, ToolResultEvent):
        mark = "ERROR " if event.is_error else ""
        return f"{mark}{event.tool_name or 'tool'} → {short(event.output, limit)}"
    if isinstance(event, StateEvent):
        if event.action == "transition":
            return f"{event.state} → {event.to_state}"
        return f"{event.action} {event.state}"
    if isinstance(event, ApprovalEvent):
        detail = f" ({event.decision})" if event.decision else ""
        return f"approval {event.approval_id or ''} {event.action}{detail}".replace("  ", " ")
    if isinstance(event, RetryEvent):
        attempt = f" attempt {event.attempt}" if event.attempt is not None else ""
        return f"retry{attempt}: {short(event.reason, limit)}"
    if isinstance(event, ErrorEvent):
        return short(error_text(event.error_type, event.message), limit)
    if isinstance(event, FinalOutputEvent):
        return short(event.output, limit)
    if isinstance(event, CustomEvent):
        return f"{event.name} {short(event.data, limit)}".strip()
    return ""


def error_text(error_type: str | None, message: str) -> str:
    """``Type: message``, the type left out when the message already names it (``Type: …``,
    ``Type(…)``, or the dotted ``module.Type``'s short name), so no type is said twice."""
    if not error_type:
        return message
    names = {error_type, error_type.rsplit(".", 1)[-1]}
    said = tuple(name + end for name in names for end in (":", "(", " "))
    if message in names or message.startswith(said):
        return message
    return f"{error_type}: {message}"
