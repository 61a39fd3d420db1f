"""Langfuse trace exports: a trace with its observations (GENERATION, SPAN, EVENT, TOOL,
AGENT, CHAIN, …), in the two shapes Langfuse gives them:

- the public API, ``GET /api/public/traces/{id}`` (``TraceWithFullDetails``): the trace with
  ``observations: [ObservationsView]``, ``metadata`` / ``input`` / ``output`` JSON values;
- the UI (tRPC) export, ``{"trace": {...}, "observations": [...]}``: ``metadata`` (and
  ``input`` / ``output``) as JSON text, the full observations beside the trace.

Each outermost GENERATION is one ``llm_call`` (the generations nested in it are the same
call, logged again by a lower layer), TOOL observations (and spans named after a tool the
model asked for) a ``tool_call`` and its ``tool_result``; calls no observation ran are read
from the tool results the next request carried. See docs/formats.md for the mapping.
"""

from __future__ import annotations

from typing import Any

from ...model import TraceRun
from .._common import fail
from ..base import Importer, TraceDocument
from ._run import Builder


def _shape(value: Any) -> str | None:
    """``trpc`` or ``api`` when ``value`` looks like a Langfuse trace export."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("trace"), dict) and isinstance(value.get("observations"), list):
        return "trpc"
    observations = value.get("observations")
    if "id" in value and isinstance(observations, list) and (
            "timestamp" in value or "htmlPath" in value) and all(
            isinstance(o, dict) and "type" in o for o in observations[:1]):
        return "api"
    return None


class LangfuseImporter(Importer):
    name = "langfuse"
    description = "Langfuse traces with observations (public API or UI export)"

    def check(self, doc: TraceDocument) -> str | None:
        if doc.kind != "json":
            return "not a single JSON document"
        if _shape(doc.value) is None:
            return ('not a Langfuse trace ({"trace", "observations"}, or a trace with '
                    '"id", "timestamp" and "observations")')
        return None

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        value = doc.value
        shape = _shape(value)
        if shape is None:
            raise fail("top level", "not a Langfuse trace export")
        if shape == "trpc":
            return [Builder(value["trace"], value["observations"], "observations",
                            text=True).run()]
        return [Builder(value, value["observations"], "observations").run()]
