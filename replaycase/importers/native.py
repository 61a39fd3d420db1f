"""replaycase's own TraceRun JSON: one run, or a list of runs."""

from __future__ import annotations

from pydantic import ValidationError

from .._jsonio import json_kind
from .._validation import validation_message
from ..errors import TraceFormatError
from ..model import TRACE_FORMAT, TraceRun
from .base import Importer, TraceDocument


class NativeImporter(Importer):
    name = "native"
    description = "replaycase's own TraceRun JSON"

    def check(self, doc: TraceDocument) -> str | None:
        if doc.kind != "json":
            return "not a single JSON document"
        items = doc.value if isinstance(doc.value, list) else [doc.value]
        if items and all(isinstance(i, dict) and i.get("schema") == TRACE_FORMAT for i in items):
            return None
        format_version = doc.value.get("schema") if isinstance(doc.value, dict) else None
        if isinstance(format_version, str) and format_version.startswith("replaycase.trace/"):
            return f"schema {format_version!r} is newer than this replaycase reads ({TRACE_FORMAT})"
        if isinstance(doc.value, dict) and "schema" in doc.value:
            return f'"schema" is {format_version!r:.60}, not "{TRACE_FORMAT}"'
        bad = next((n for n, i in enumerate(items) if not isinstance(i, dict)
                    or i.get("schema") != TRACE_FORMAT), 0)
        where = f"item {bad} has " if isinstance(doc.value, list) and items else ""
        return f'{where}no "schema": "{TRACE_FORMAT}" key'

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        items = doc.value if isinstance(doc.value, list) else [doc.value]
        runs = []
        for index, item in enumerate(items):
            where = f"runs[{index}]." if isinstance(doc.value, list) else ""
            if not isinstance(item, dict):
                raise TraceFormatError(None, f"{where}expected an object, got "
                                             f"{json_kind(item)}")
            try:
                runs.append(TraceRun.model_validate(item))
            except ValidationError as exc:
                raise TraceFormatError(None, where + validation_message(exc)) from None
        return runs
