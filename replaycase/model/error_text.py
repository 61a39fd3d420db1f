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

_TRACEBACK = re.compile(r"(?:\+ )?(?:Exception Group )?Traceback \(most recent call last\):")
_CLASS = re.compile(r"\s*([A-Za-z_][\w.]*)\s*[(:]")
_BORDER = re.compile(r"[\s|+]*")
_EXCEPTION_LINE = re.compile(r"([A-Za-z_][\w.]*)(?:: (.*))?")


def without_traceback(text: str) -> str:
    """The text before a Python traceback, stripped; for a bare traceback its exception line
    (``pkg.Type: message``; an exception group's last sub-exception); the whole text,
    stripped, when it holds no traceback."""
    match = _TRACEBACK.search(text)
    if match is None:
        return text.strip()
    head = text[:match.start()].strip()
    if head:
        return head
    return next(reversed([line for line, _ in _exception_lines(text[match.end():])]), "")


def _exception_lines(text: str) -> list[tuple[str, str]]:
    """A traceback's lines that state an exception: (the line, its class name)."""
    found = []
    for raw in text.splitlines():
        line = _BORDER.sub("", raw, count=1).rstrip()
        match = _EXCEPTION_LINE.fullmatch(line)
        name = exception_name(match.group(1)) if match else None
        if name is not None:
            found.append((line, name))
    return found


def exception_parts(text: str, *, repr_first: bool = False) -> tuple[str, str | None]:
    """(message, type name or None) of an error text; ``repr_first``: the text begins with
    ``repr(error)`` (LangChain, LangSmith), so any ``Name(…)`` names the class."""
    head = without_traceback(text)
    if _TRACEBACK.match(_BORDER.sub("", text, count=1)):  # a bare traceback
        match = _EXCEPTION_LINE.fullmatch(head)
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
