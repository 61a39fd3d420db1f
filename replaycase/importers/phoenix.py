"""Phoenix span JSON: OpenInference spans as Arize Phoenix exports them.

    {"name": "ChatCompletion", "context": {"trace_id": …, "span_id": …}, "parent_id": …,
     "span_kind": "LLM", "start_time": "2026-…+00:00", "end_time": …, "status_code": "OK",
     "status_message": "", "attributes": {"llm": {"input_messages": [...]}, …},
     "events": [{"name": "exception", "timestamp": …, "attributes": {…}}], "conversation": null}

What ``phoenix.trace.span_json_encoder`` writes (one span, a list, or one a line: JSONL), and
the records of ``px.Client().get_spans_dataframe(…).to_json(orient="records")`` (flat keys
``context.span_id``, ``attributes.llm.input_messages``, times in epoch milliseconds). Each
span is turned into the OTLP importer's ``Span`` (attributes flattened back to OpenInference's
dotted keys, ``span_kind`` as ``openinference.span.kind``) and the runs are built by the OTLP
importer's mapping: one run per trace id, in order of first appearance.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from .._jsonio import json_kind
from ..model import TraceRun
from ._common import fail
from .base import Importer, TraceDocument
from .otlp._run import build_run
from .otlp._spans import Span, SpanEvent
from .otlp._values import status_code

_KIND = "openinference.span.kind"
_MAX_NANOS = 253_402_300_799 * 10**9  # 9999-12-31T23:59:59Z
_JSON_STRINGS = ("metadata", "llm.prompt_template.variables", "tool.parameters")
"""Attributes OpenInference writes as JSON strings and Phoenix parses: written back as text."""


class PhoenixImporter(Importer):
    name = "phoenix"
    description = "Arize Phoenix / OpenInference span JSON (span_json_encoder, spans dataframe)"

    def check(self, doc: TraceDocument) -> str | None:
        first = doc.first
        if isinstance(first, list):
            first = first[0] if first else None
        if not isinstance(first, dict):
            return f"top level is {json_kind(doc.first)}, expected Phoenix span objects"
        if _span_id(first) is None or "span_kind" not in first:
            return 'a span needs "context": {"span_id"} and "span_kind"'
        return None

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        traces: dict[str, list[Span]] = {}
        for order, span in enumerate(_spans(doc), start=1):
            span.order = order
            traces.setdefault(span.trace_id, []).append(span)
        return [build_run(trace_id, spans) for trace_id, spans in traces.items()]


def _spans(doc: TraceDocument) -> Iterator[Span]:
    for lineno, record in doc.records(PhoenixImporter.name):
        where = f"line {lineno}: " if doc.kind == "jsonl" else ""
        if isinstance(record, list):
            for index, item in enumerate(record):
                yield phoenix_span(item, f"{where}[{index}]")
        else:
            yield phoenix_span(record, where.rstrip(": ") or "span")


def phoenix_span(raw: Any, where: str) -> Span:
    """One Phoenix span dict (encoder or dataframe form) as an OTLP ``Span``."""
    if not isinstance(raw, dict):
        raise fail(where, f"expected a span object, got {json_kind(raw)}")
    span_id = _required(_span_id(raw), f"{where}.context.span_id")
    attrs: dict[str, Any] = {}
    _flatten(raw.get("attributes"), "", attrs)
    for key, value in raw.items():  # the dataframe form: "attributes.llm.model_name": …
        if isinstance(key, str) and key.startswith("attributes."):
            _flatten(value, key.removeprefix("attributes."), attrs)
    kind = raw.get("span_kind")
    if isinstance(kind, str) and kind.strip() and not attrs.get(_KIND):
        attrs[_KIND] = kind
    name = raw.get("name")
    message = raw.get("status_message")
    return Span(
        trace_id=_required(_context(raw, "trace_id"), f"{where}.context.trace_id"),
        span_id=span_id,
        parent_id=_ident(raw.get("parent_id"), f"{where}.parent_id"),
        name=name if isinstance(name, str) else "",
        kind=0,
        start=_nanos(raw.get("start_time"), f"{where}.start_time"),
        end=_nanos(raw.get("end_time"), f"{where}.end_time"),
        status_code=_status(raw.get("status_code"), f"{where}.status_code"),
        status_message=message if isinstance(message, str) and message else None,
        attrs=attrs,
        events=_events(raw.get("events"), f"{where}.events"),
        resource={},
        scope=None,
        order=0,
    )


def _context(raw: dict[str, Any], key: str) -> Any:
    context = raw.get("context")
    if isinstance(context, dict) and key in context:
        return context[key]
    return raw.get(f"context.{key}")


def _span_id(raw: dict[str, Any]) -> Any:
    return _context(raw, "span_id")


def _ident(value: Any, where: str) -> str | None:
    """An id as written (hex, a UUID…); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise fail(where, f"expected a string, got {json_kind(value)}")
    return str(value)


def _required(value: Any, where: str) -> str:
    found = _ident(value, where)
    if found is None or not found.strip():
        raise fail(where, "missing")
    return found


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    """Nested attributes as OpenInference's dotted keys (``llm.input_messages.0.message.role``);
    a list holding objects is indexed, any other list is one value."""
    stack = [(prefix, value)]
    while stack:
        key, item = stack.pop()
        if isinstance(item, (dict, list)) and key.endswith(_JSON_STRINGS):
            out[key] = json.dumps(item, ensure_ascii=False)
        elif isinstance(item, dict):
            stack.extend((f"{key}.{k}" if key else str(k), v) for k, v in item.items())
        elif isinstance(item, list) and key and any(isinstance(i, dict) for i in item):
            stack.extend((f"{key}.{i}", v) for i, v in enumerate(item))
        elif item is not None and key:
            out[key] = item


def _status(value: Any, where: str) -> int:
    """``OK`` / ``ERROR`` / ``UNSET`` (or OTLP's integers); empty is unset."""
    return 0 if isinstance(value, str) and not value.strip() else status_code(value, where)


def _nanos(value: Any, where: str) -> int | None:
    """An ISO 8601 time (naive: UTC) or epoch number (seconds to nanoseconds, by size)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise fail(where, f"not an ISO 8601 time: {value[:40]!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
        found = (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    elif isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value) and value >= 0:
        scale = next(s for limit, s in ((1e11, 10**9), (1e14, 10**6), (1e17, 10**3),
                                        (math.inf, 1)) if value < limit)
        found = int(value * scale)
    else:
        raise fail(where, f"expected a time, got {json_kind(value)}")
    if not 0 <= found <= _MAX_NANOS:
        raise fail(where, "time out of range")
    return found or None


def _events(value: Any, where: str) -> list[SpanEvent]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(where, f"expected a list, got {json_kind(value)}")
    events = []
    for index, raw in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(raw, dict):
            raise fail(at, f"expected an object, got {json_kind(raw)}")
        name = raw.get("name")
        attrs: dict[str, Any] = {}
        _flatten(raw.get("attributes"), "", attrs)
        events.append(SpanEvent(name=name if isinstance(name, str) else "",
                                time=_nanos(raw.get("timestamp"), f"{at}.timestamp"),
                                attrs=attrs))
    return events
