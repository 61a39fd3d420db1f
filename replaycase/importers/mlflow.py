"""MLflow traces (trace schema v3): ``Trace.to_json()``, one trace or a list of them.

    {"info": {"trace_id": "tr-…", "state": "OK" | "ERROR", "trace_metadata": {…},
              "tags": {"mlflow.traceName": …}, …},
     "data": {"spans": [{"span_id", "parent_span_id", "name", "start_time_unix_nano",
                         "end_time_unix_nano", "status": {"code", "message"},
                         "events": [{"name": "exception", "attributes": {…}}],
                         "attributes": {"mlflow.spanType": "\\"TOOL\\"", …}}, …]}}

Every trace is one TraceRun (its id ``info.trace_id``, v2's ``request_id``). Span attributes
are JSON-encoded strings (``mlflow.spanType``, ``mlflow.spanInputs``, ``mlflow.spanOutputs``);
spans are visited depth-first in start order. ``CHAT_MODEL`` / ``LLM`` spans are ``llm_call``
events: the request's OpenAI chat ``messages`` (or LangChain's) and ``tools`` for the tape,
the answer from an OpenAI ``choices`` output (or a plain text), usage from
``mlflow.chat.tokenUsage`` or the output's ``usage``. ``TOOL`` spans are a ``tool_call``
(arguments = the inputs) and its ``tool_result``; a tool span with status ERROR or an
``exception`` event is an error result (``"Type: message"``, as MLflow writes it in the
status message). A tool span takes the id of the first call of its name that the preceding
model span requested. An error on any other span (AGENT, CHAIN, …) is an ``error`` event after
its children. The status is ``error`` when ``info.state`` is ERROR or the outermost AGENT span
(else the root) ended in ERROR, else ``success``; the input and final output are the root's.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from .._jsonio import json_in_text, json_kind
from ..model import (
    ANSWER_NOT_RECORDED,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    RequestedToolCall,
    RunMetadata,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
    Usage,
)
from ..model.chat import read_recorded, recorded_tool_names, tool_calls_of
from ..model.content_parts import readable_content
from ..model.error_text import exception_parts
from ._common import fail as _fail
from ._common import get_typed as _get
from ._common import text_or_none as _text
from ._langchain import chat_messages, finish_reason
from .base import Importer, TraceDocument
from .otlp._values import iso, nanos

_LLM_TYPES = frozenset({"CHAT_MODEL", "LLM"})
NO_OUTPUTS = f"{ANSWER_NOT_RECORDED} (the MLflow trace's root span has no mlflow.spanOutputs)"
_QUESTION_KEYS = ("question", "input", "query", "prompt", "message")


class MlflowImporter(Importer):
    name = "mlflow"
    description = "MLflow traces (Trace.to_json: info + data.spans), one or a list"

    def check(self, doc: TraceDocument) -> str | None:
        if doc.kind != "json":
            return "not a single JSON document"
        value = doc.value
        first = value[0] if isinstance(value, list) and value else value
        if isinstance(first, dict) and isinstance(first.get("info"), dict) and isinstance(
                first.get("data"), dict) and "spans" in first["data"]:
            return None
        return 'not an MLflow trace ({"info": {…}, "data": {"spans": […]}})'

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        traces = doc.value if isinstance(doc.value, list) else [doc.value]
        return [_trace(raw, f"traces[{i}]" if isinstance(doc.value, list) else "")
                for i, raw in enumerate(traces)]


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


class _Span:
    """One span, checked, its attributes decoded."""

    def __init__(self, raw: Any, where: str) -> None:
        if not isinstance(raw, dict):
            raise _fail(where, f"expected an object, got {json_kind(raw)}")
        self.where = where
        self.id = _ident(raw.get("span_id"), _at(where, "span_id"))
        self.parent = _ident(raw.get("parent_span_id"), _at(where, "parent_span_id"))
        self.name = _get(raw, "name", str, where) or ""
        self.start = nanos(raw.get("start_time_unix_nano"), _at(where, "start_time_unix_nano"))
        self.end = nanos(raw.get("end_time_unix_nano"), _at(where, "end_time_unix_nano"))
        self._attrs: dict[str, Any] = _get(raw, "attributes", dict, where) or {}
        kind = self.attr("mlflow.spanType")
        self.kind = kind.upper() if isinstance(kind, str) else ""
        status = _get(raw, "status", dict, where) or {}
        code = status.get("code")
        self.failed = isinstance(code, str) and code.upper().endswith("ERROR")
        self.status_message = status.get("message") if isinstance(
            status.get("message"), str) else None
        self.exception = _exception(_get(raw, "events", list, where) or [],
                                    _at(where, "events"))
        self.children: list[_Span] = []

    def attr(self, key: str) -> Any:
        """An attribute's value, its JSON decoded (only the attributes read are decoded: a
        model span repeats the tool schemas in three of them)."""
        return json_in_text(self._attrs.get(key))

    @cached_property
    def inputs(self) -> Any:
        return self.attr("mlflow.spanInputs")

    @cached_property
    def outputs(self) -> Any:
        return self.attr("mlflow.spanOutputs")

    @property
    def error(self) -> tuple[str, str | None] | None:
        """(message, error type) when the span failed."""
        if self.exception is not None:
            return self.exception
        if self.failed:
            return self.status_message or "error", None
        return None

    def common(self, at_end: bool = False) -> dict[str, Any]:
        duration = None
        if not at_end and self.start is not None and self.end is not None \
                and self.end >= self.start:
            duration = round((self.end - self.start) / 1e6, 3)
        return {"ts": iso(self.end if at_end else self.start), "duration_ms": duration,
                "span_id": self.id, "parent_id": self.parent}


def _ident(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise _fail(where, f"expected a string, got {json_kind(value)}")


def _exception(events: list[Any], where: str) -> tuple[str, str | None] | None:
    """The first ``exception`` event as ("Type: message", type)."""
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise _fail(f"{where}[{index}]", f"expected an object, got {json_kind(event)}")
        if event.get("name") != "exception":
            continue
        attrs = event.get("attributes")
        attrs = attrs if isinstance(attrs, dict) else {}
        kind, message = attrs.get("exception.type"), attrs.get("exception.message")
        kind = kind.rsplit(".", 1)[-1] if isinstance(kind, str) and kind else None
        stack = attrs.get("exception.stacktrace")
        message = message if isinstance(message, str) and message.strip() else (
            stack if isinstance(stack, str) else "")
        message, parsed = exception_parts(message) if message.strip() else ("", None)
        kind = kind or parsed
        text = f"{kind}: {message}" if kind and message else kind or message or "exception"
        return text, kind
    return None


def _trace(raw: Any, where: str) -> TraceRun:
    if not isinstance(raw, dict):
        raise _fail(where or "top level", f"expected an object, got {json_kind(raw)}")
    info = _get(raw, "info", dict, where)
    data = _get(raw, "data", dict, where)
    if info is None or data is None:
        raise _fail(where or "top level", 'an MLflow trace needs "info" and "data" objects')
    spans_raw = _get(data, "spans", list, _at(where, "data")) or []
    here = _at(where, "data.spans")
    spans = [_Span(s, f"{here}[{i}]") for i, s in enumerate(spans_raw)]
    roots = _link(spans)
    return _Builder().run(info, roots, _at(where, "info"))


def _link(spans: list[_Span]) -> list[_Span]:
    """The roots, each span's children in start order (a span whose parent is not in the
    file is a root)."""
    by_id = {s.id: s for s in spans if s.id}
    roots: list[_Span] = []
    for span in spans:
        parent = by_id.get(span.parent or "")
        if parent is not None and parent is not span:
            parent.children.append(span)
        else:
            roots.append(span)
    if spans and not roots:
        raise _fail("data.spans", "no root span (every span has a parent in the file)")
    for span in spans:
        span.children.sort(key=_start)
    return sorted(roots, key=_start)


def _start(span: _Span) -> int:
    return span.start or 0


class _Builder:
    """Walks the span tree depth-first and emits events."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.pending: list[RequestedToolCall] = []
        self.model: str | None = None

    def run(self, info: dict[str, Any], roots: list[_Span], where: str) -> TraceRun:
        root = roots[0] if roots else None
        question = _question(readable_content(root.inputs)) if root is not None else None
        if question is not None and root is not None:
            self.events.append(InputMessageEvent(seq=0, ts=iso(root.start), content=question))
        for top in roots:
            self._walk(top)
        answer = root.outputs if root is not None else None
        if answer is not None and root is not None:
            self.events.append(FinalOutputEvent(seq=0, ts=iso(root.end), span_id=root.id,
                                                output=answer))
        for seq, event in enumerate(self.events, start=1):
            event.seq = seq
        state = _get(info, "state", str, where) or _get(info, "status", str, where)
        agent = _outermost_agent(roots)
        failed = (state or "").upper() == "ERROR" or (agent is not None and agent.failed)
        run_id = _get(info, "trace_id", str, where) or _get(info, "request_id", str, where)
        metadata = self._metadata(info, root, state)
        if answer is None and not failed and (root is None
                                              or "mlflow.spanOutputs" not in root._attrs):
            metadata.answer_not_recorded = NO_OUTPUTS
        return TraceRun(run_id=run_id or "mlflow-trace", status="error" if failed else "success",
                        input=question, final_output=answer, events=self.events,
                        metadata=metadata)

    def _walk(self, top: _Span) -> None:
        stack: list[tuple[_Span, bool]] = [(top, False)]
        while stack:
            span, done = stack.pop()
            if done:
                error = span.error
                if error is not None and span.kind not in _LLM_TYPES | {"TOOL"}:
                    self.events.append(ErrorEvent(seq=0, **span.common(at_end=True),
                                                  message=error[0], error_type=error[1]))
                continue
            if span.kind in _LLM_TYPES:
                self._llm(span)
            elif span.kind == "TOOL":
                self._tool(span)
            stack.append((span, True))
            stack.extend((child, False) for child in reversed(span.children))

    def _llm(self, span: _Span) -> None:
        inputs = span.inputs if isinstance(span.inputs, dict) else {}
        text, calls = _answer(span.outputs)
        model = next((m for m in (inputs.get("model"), span.attr("model"),
                                  span.outputs.get("model") if isinstance(span.outputs, dict)
                                  else None) if isinstance(m, str) and m), None)
        self.model = self.model or model
        request = inputs.get("messages", span.inputs)
        instructions, messages = read_recorded(chat_messages(request))
        offered = recorded_tool_names(inputs.get("tools"))
        if offered is None:
            offered = recorded_tool_names(span.attr("mlflow.chat.tools"))
        error = span.error
        self.events.append(LlmCallEvent(
            seq=0, **span.common(), model=model, request=span.inputs, response=text,
            tool_calls=calls, usage=_usage(span), latency_ms=span.common()["duration_ms"],
            error=error[0] if error else None, instructions=instructions, messages=messages,
            tools_offered=offered, output_text=(text or "") if span.outputs is not None
            else None, stop_reason=finish_reason(span.outputs)))
        self.pending = list(calls)

    def _tool(self, span: _Span) -> None:
        name = span.name or span.attr("mlflow.spanFunctionName")
        if not isinstance(name, str) or not name:
            raise _fail(span.where, "a TOOL span without a name")
        match = next((c for c in self.pending if c.tool_name == name), None)
        if match is not None:
            self.pending.remove(match)
        call_id = match.call_id if match is not None else None
        self.events.append(ToolCallEvent(seq=0, **span.common(), tool_name=name,
                                         tool_args=span.inputs, call_id=call_id))
        error = span.error
        output = span.outputs if error is None or span.outputs is not None else error[0]
        self.events.append(ToolResultEvent(seq=0, **span.common(at_end=True), call_id=call_id,
                                           tool_name=name, output=output,
                                           is_error=error is not None))

    def _metadata(self, info: dict[str, Any], root: _Span | None,
                  state: str | None) -> RunMetadata:
        tags: dict[str, Any] = info["tags"] if isinstance(info.get("tags"), dict) else {}
        location = info.get("trace_location")
        experiment = location.get("mlflow_experiment") if isinstance(location, dict) else None
        extra: dict[str, Any] = {"state": state} if state else {}
        if isinstance(experiment, dict) and isinstance(experiment.get("experiment_id"), str):
            extra["experiment_id"] = experiment["experiment_id"]
        if isinstance(info.get("request_time"), str):
            extra["request_time"] = info["request_time"]
        name = tags.get("mlflow.traceName")
        agent = name if isinstance(name, str) and name else (root.name if root else None)
        return RunMetadata(model=self.model, agent=agent or None, extra=extra)


def _outermost_agent(roots: list[_Span]) -> _Span | None:
    """The first AGENT span breadth-first, else the first root."""
    level = list(roots)
    while level:
        agent = next((s for s in level if s.kind == "AGENT"), None)
        if agent is not None:
            return agent
        level = [child for span in level for child in span.children]
    return roots[0] if roots else None


def _question(inputs: Any) -> Any:
    if isinstance(inputs, dict):
        found = next((inputs[k] for k in _QUESTION_KEYS if isinstance(inputs.get(k), str)),
                     None)
        return found if found is not None else (inputs or None)
    return inputs


def _answer(outputs: Any) -> tuple[str | None, list[RequestedToolCall]]:
    """The text and tool calls of a model span's output: an OpenAI ``choices`` response, a
    chat message, or a plain text."""
    if isinstance(outputs, str):
        return outputs, []
    if not isinstance(outputs, dict):
        return None, []
    choices = outputs.get("choices")
    message: Any = outputs
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
    if not isinstance(message, dict):
        return None, []
    return _text(message.get("content")), tool_calls_of(message, "output", strict=False)


def _usage(span: _Span) -> Usage | None:
    usage = span.attr("mlflow.chat.tokenUsage")
    names = ("input_tokens", "output_tokens", "total_tokens")
    if not isinstance(usage, dict) and isinstance(span.outputs, dict):
        usage = span.outputs.get("usage")
        names = ("prompt_tokens", "completion_tokens", "total_tokens")
        if isinstance(usage, dict) and "input_tokens" in usage:
            names = ("input_tokens", "output_tokens", "total_tokens")
    if not isinstance(usage, dict):
        return None
    counts = [usage.get(n) if type(usage.get(n)) is int and usage[n] >= 0 else None
              for n in names]
    if all(c is None for c in counts):
        return None
    return Usage(input_tokens=counts[0], output_tokens=counts[1], total_tokens=counts[2])
