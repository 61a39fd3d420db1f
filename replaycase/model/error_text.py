"""A run's error as traces record it: the message and the exception type, never the traceback.

Tracers write an error's text in several ways: LangChain's ``repr(error)`` with the traceback
glued right after it (``"RuntimeError('max turns')Traceback (most recent call last):…"``), the
LangSmith SDK's ``"TimeoutError('…')\\n\\nTraceback …"``, OpenTelemetry's ``exception.message``
with the stack trace in ``exception.stacktrace`` (or, from some exporters, in the message
too), or a bare ``traceback.format_exc()``. ``exception_parts`` gives what ``str(error)`` and
``type(error).__name__`` would: the text before the traceback (its first meaningful lines),
a ``Type('message')`` read as message and type, else the traceback's last line
(``pkg.Type: message``) when nothing came before it.
"""

from __future__ import annotations

import re

from .tool_errors import exception_name, from_repr

_TRACEBACK = re.compile(r"Traceback \(most recent call last\):")
_CLASS = re.compile(r"\s*([A-Za-z_][\w.]*)\s*[(:]")
_LAST_LINE = re.compile(r"([A-Za-z_][\w.]*)(?:: (.*))?")


def without_traceback(text: str) -> str:
    """The text before a Python traceback, stripped; a bare traceback's last line
    (``pkg.Type: message``); the whole text, stripped, when it holds no traceback."""
    match = _TRACEBACK.search(text)
    if match is None:
        return text.strip()
    head = text[:match.start()].strip()
    if head:
        return head
    lines = [line.strip() for line in text[match.end():].splitlines()
             if line.strip() and not line[0].isspace()]
    return lines[-1] if lines else ""


def exception_parts(text: str, *, repr_first: bool = False) -> tuple[str, str | None]:
    """(message, type name or None) of an error text; ``repr_first``: the text begins with
    ``repr(error)`` (LangChain, LangSmith), so any ``Name(…)`` names the class."""
    bare = _TRACEBACK.match(text.strip()) is not None
    head = without_traceback(text)
    if bare:
        match = _LAST_LINE.fullmatch(head)
        if match is None:
            return head or "error", None
        kind = match.group(1).rsplit(".", 1)[-1]
        return match.group(2) or kind, kind
    if not head:
        return "error", None
    first = head.splitlines()[0].strip()
    parts = from_repr(first, any_name=repr_first)
    if parts is not None:
        message, kind = parts
        return message or kind, kind
    match = _CLASS.match(first)
    kind = match.group(1).rsplit(".", 1)[-1] if match else None
    named = repr_first and match is not None and match.group(0).endswith("(")
    if kind is not None and not named and exception_name(kind) is None:
        kind = None
    return head, kind
