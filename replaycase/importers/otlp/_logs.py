"""GenAI content carried by OTLP log records (``LogsData``), as instrumentations write it in
their event mode (``opentelemetry-instrumentation-openai-v2`` without the new semantic
conventions opted in):

    {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"eventName": "gen_ai.user.message",
      "traceId": …, "spanId": …, "body": {"kvlistValue": …}, "attributes": […]}]}]}]}

Each record becomes a ``SpanEvent`` of the span it names (its chat span), with its body under
``body``: ``_semconv`` reads the messages from those events as from span attributes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..._jsonio import json_kind
from . import _values as v
from ._spans import SpanEvent

_KEYS = ("resourceLogs", "resource_logs")


def is_logs(record: Any) -> bool:
    """Whether a record is a ``LogsData`` object (rather than ``TracesData``)."""
    return isinstance(record, dict) and any(key in record for key in _KEYS) and \
        not any(key in record for key in ("resourceSpans", "resource_spans"))


def log_events(record: Any, where: str) -> Iterator[tuple[str, SpanEvent]]:
    """(span id, event) for every log record of one ``LogsData`` object that names a span and
    an event; ``where`` prefixes locations (``line 4: ``)."""
    key = next(k for k in _KEYS if k in record)
    for r_index, rl in enumerate(v.expect_list(record[key], f"{where}{key}")):
        r_where = f"{where}{key}[{r_index}]"
        scopes = v.expect_dict(rl, r_where).get("scopeLogs", rl.get("scope_logs"))
        for s_index, sl in enumerate(v.expect_list(scopes, f"{r_where}.scopeLogs")):
            s_where = f"{r_where}.scopeLogs[{s_index}]"
            records = v.field(v.expect_dict(sl, s_where), "logRecords")
            for index, raw in enumerate(v.expect_list(records, f"{s_where}.logRecords")):
                found = _event(raw, f"{s_where}.logRecords[{index}]")
                if found is not None:
                    yield found


def _event(raw: Any, where: str) -> tuple[str, SpanEvent] | None:
    raw = v.expect_dict(raw, where)
    attrs = v.attributes(raw.get("attributes"), f"{where}.attributes")
    name = v.field(raw, "eventName") or attrs.get("event.name")
    span_id = v.optional_id(v.field(raw, "spanId"), f"{where}.spanId")
    if span_id is None or not name:
        return None
    if not isinstance(name, str):
        raise v.malformed(f"{where}.eventName", f"expected a string, got {json_kind(name)}")
    body = v.any_value(raw.get("body"), f"{where}.body")
    time = v.nanos(v.field(raw, "timeUnixNano") or v.field(raw, "observedTimeUnixNano"),
                   f"{where}.timeUnixNano")
    return span_id, SpanEvent(name=name, time=time, attrs={**attrs, "body": body})
