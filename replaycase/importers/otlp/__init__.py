"""OpenTelemetry OTLP/JSON traces: GenAI semantic conventions and OpenInference attributes.

    {"resourceSpans": [{"resource": …, "scopeSpans": [{"scope": …, "spans": [...]}]}]}

A file holds one ``TracesData`` object, or one per line (JSONL, as the OTLP file exporter
writes). One run per trace id, in order of first appearance. Ids may be hex or base64, enums
integers or names, keys lowerCamelCase or snake_case. ``LogsData`` lines (GenAI content sent
as log records, ``_logs``) join the spans they name; a file of log records alone is refused:
they carry no span tree, status or timing to make a run of.
"""

from __future__ import annotations

from ..._jsonio import json_kind
from ...errors import TraceFormatError
from ...model import TraceRun
from ..base import Importer, TraceDocument
from ._logs import is_logs, log_events
from ._run import build_run
from ._spans import Span, SpanEvent, iter_spans

_KEYS = ("resourceSpans", "resource_spans")
LOGS_ONLY = ("holds OTLP log records (resourceLogs) but no spans (resourceSpans): give the "
             "spans and the logs in one JSONL file, e.g. jq -c . spans.json logs.json > "
             "run.otlp.jsonl")


class OtlpImporter(Importer):
    name = "otlp"
    description = "OpenTelemetry OTLP JSON (GenAI semantic conventions, OpenInference)"

    def check(self, doc: TraceDocument) -> str | None:
        if not isinstance(doc.first, dict):
            return f"top level is {json_kind(doc.first)}, expected a TracesData object"
        if any(key in doc.first for key in _KEYS) or is_logs(doc.first):
            return None
        return 'no "resourceSpans" key'

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        traces: dict[str, list[Span]] = {}
        logged: dict[str, list[SpanEvent]] = {}
        count = 0
        saw_logs = False
        for lineno, record in doc.records(self.name):
            where = f"line {lineno}: " if doc.kind == "jsonl" else ""
            if is_logs(record):
                saw_logs = True
                for span_id, event in log_events(record, where):
                    logged.setdefault(span_id, []).append(event)
                continue
            for span in iter_spans(record, where):  # a malformed value's error says where it is
                count += 1
                span.order = count
                traces.setdefault(span.trace_id, []).append(span)
        if saw_logs and not traces:
            raise TraceFormatError(None, LOGS_ONLY)
        for spans in traces.values():
            for span in spans:
                span.events.extend(logged.get(span.span_id, ()))
        return [build_run(trace_id, spans) for trace_id, spans in traces.items()]
