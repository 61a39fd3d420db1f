"""Reading OTLP ``TracesData`` into flat ``Span`` records, grouped by trace id.

    TracesData ─ resourceSpans[] ─ resource.attributes
                                 └ scopeSpans[] ─ scope
                                                └ spans[] ─ ids, times, attributes, events, status
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..._jsonio import json_kind
from . import _values as v

STATUS_ERROR = 2
_SCOPE_KEYS = ("scopeSpans", "instrumentationLibrarySpans")


@dataclass
class SpanEvent:
    """A span event (``exception``, ``gen_ai.content.prompt``, …)."""

    name: str
    time: int | None
    attrs: dict[str, Any]


@dataclass
class Span:
    """One span with its attributes decoded to plain values."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: int
    start: int | None
    end: int | None
    status_code: int
    status_message: str | None
    attrs: dict[str, Any]
    events: list[SpanEvent]
    resource: dict[str, Any]
    scope: str | None
    order: int
    depth: int = 0
    parent: Span | None = field(default=None, repr=False)
    children: list[Span] = field(default_factory=list, repr=False)

    @property
    def t0(self) -> int:
        """Start time for ordering (end time, else 0, when the start is missing)."""
        return self.start if self.start is not None else (self.end or 0)

    @property
    def t1(self) -> int:
        """End time for ordering (the start when the end is missing)."""
        return self.end if self.end is not None else self.t0

    @property
    def failed(self) -> bool:
        return self.status_code == STATUS_ERROR

    def duration_ms(self) -> float | None:
        if self.start is None or self.end is None or self.end < self.start:
            return None
        return round((self.end - self.start) / 1e6, 3)

    def exceptions(self) -> list[SpanEvent]:
        return [e for e in self.events if e.name == "exception"]


def resource_spans(record: Any, where: str) -> list[Any]:
    """The ``resourceSpans`` list of one TracesData object."""
    record = v.expect_dict(record, where.rstrip(": ") or "top level")
    key = "resourceSpans" if "resourceSpans" in record else "resource_spans"
    if key not in record:
        raise v.malformed(where.rstrip(": "), 'no "resourceSpans" list (not a TracesData object)')
    return v.expect_list(record[key], f"{where}{key}")


def iter_spans(record: Any, where: str) -> Iterator[Span]:
    """Every span of one TracesData object; ``where`` prefixes locations (``line 4: ``)."""
    for r_index, rs in enumerate(resource_spans(record, where)):
        r_where = f"{where}resourceSpans[{r_index}]"
        rs = v.expect_dict(rs, r_where)
        resource = v.expect_dict(rs.get("resource") or {}, f"{r_where}.resource")
        res_attrs = v.attributes(resource.get("attributes"), f"{r_where}.resource.attributes")
        scope_key = next((k for k in _SCOPE_KEYS if v.field(rs, k) is not None), "scopeSpans")
        scopes = v.expect_list(v.field(rs, scope_key), f"{r_where}.{scope_key}")
        for s_index, ss in enumerate(scopes):
            s_where = f"{r_where}.{scope_key}[{s_index}]"
            ss = v.expect_dict(ss, s_where)
            scope = v.field(ss, "scope", ss.get("instrumentationLibrary")) or {}
            scope = v.expect_dict(scope, f"{s_where}.scope")
            scope_name = scope.get("name") if isinstance(scope.get("name"), str) else None
            for index, raw in enumerate(v.expect_list(ss.get("spans"), f"{s_where}.spans")):
                yield _span(raw, f"{s_where}.spans[{index}]", res_attrs, scope_name)


def _span(raw: Any, where: str, resource: dict[str, Any], scope: str | None) -> Span:
    raw = v.expect_dict(raw, where)
    name = raw.get("name", "")
    if not isinstance(name, str):
        raise v.malformed(f"{where}.name", f"expected a string, got {json_kind(name)}")
    status = v.expect_dict(raw.get("status") or {}, f"{where}.status")
    message = status.get("message")
    if message is not None and not isinstance(message, str):
        raise v.malformed(f"{where}.status.message",
                          f"expected a string, got {json_kind(message)}")
    return Span(
        trace_id=v.required_id(v.field(raw, "traceId"), f"{where}.traceId"),
        span_id=v.required_id(v.field(raw, "spanId"), f"{where}.spanId"),
        parent_id=v.optional_id(v.field(raw, "parentSpanId"), f"{where}.parentSpanId"),
        name=name,
        kind=v.span_kind(raw.get("kind"), f"{where}.kind"),
        start=v.nanos(v.field(raw, "startTimeUnixNano"), f"{where}.startTimeUnixNano"),
        end=v.nanos(v.field(raw, "endTimeUnixNano"), f"{where}.endTimeUnixNano"),
        status_code=v.status_code(status.get("code"), f"{where}.status.code"),
        status_message=message or None,
        attrs=v.attributes(raw.get("attributes"), f"{where}.attributes"),
        events=_events(raw.get("events"), f"{where}.events"),
        resource=resource,
        scope=scope,
        order=0,
    )


def _events(value: Any, where: str) -> list[SpanEvent]:
    events = []
    for index, raw in enumerate(v.expect_list(value, where)):
        at = f"{where}[{index}]"
        raw = v.expect_dict(raw, at)
        name = raw.get("name", "")
        if not isinstance(name, str):
            raise v.malformed(f"{at}.name", f"expected a string, got {json_kind(name)}")
        events.append(SpanEvent(
            name=name,
            time=v.nanos(v.field(raw, "timeUnixNano"), f"{at}.timeUnixNano"),
            attrs=v.attributes(raw.get("attributes"), f"{at}.attributes"),
        ))
    return events


def link_tree(spans: list[Span]) -> list[Span]:
    """Link parents and children, set depths; return the roots in order.

    A span whose parent is absent is a root; a cycle of parent ids is broken at its first
    span in file order, which becomes a root.
    """
    by_id: dict[str, Span] = {}
    for span in spans:
        by_id.setdefault(span.span_id, span)
    for span in spans:
        parent = by_id.get(span.parent_id) if span.parent_id else None
        if parent is not None and parent is not span:
            span.parent = parent
            parent.children.append(span)
    roots = [span for span in spans if span.parent is None]
    seen: set[int] = set()
    _mark(roots, seen)
    for span in spans:
        if id(span) not in seen and span.parent is not None:
            span.parent.children.remove(span)
            span.parent = None
            roots.append(span)
            _mark([span], seen)
    return sorted(roots, key=order_key)


def _mark(roots: list[Span], seen: set[int]) -> None:
    stack = [(root, 0) for root in roots]
    while stack:
        span, depth = stack.pop()
        if id(span) in seen:
            continue
        seen.add(id(span))
        span.depth = depth
        stack.extend((child, depth + 1) for child in span.children)


def order_key(span: Span) -> tuple[int, int, int, int]:
    """Start time; ties: parent before child, then earlier end, then file order."""
    return (span.t0, span.depth, span.t1, span.order)


def ancestors(span: Span) -> set[int]:
    """``id()`` of every span above ``span`` in the linked tree."""
    found: set[int] = set()
    node = span.parent
    while node is not None and id(node) not in found:
        found.add(id(node))
        node = node.parent
    return found
