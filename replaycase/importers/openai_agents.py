"""OpenAI Agents SDK traces: the body the SDK's ``BackendSpanExporter`` posts.

    {"data": [{"object": "trace", "id": "trace_…", "workflow_name": …},
              {"object": "trace.span", "trace_id": …, "span_data": {"type": "generation", …}}]}

One TraceRun per trace id. Spans are listed in the order they ended, so events are ordered by
``started_at`` (a tool's result and a span's error by ``ended_at``). Span types:

- ``generation`` (Chat Completions model): an ``llm_call`` with messages, model and usage,
  and the model tape's parts (the agent span's tools as those offered).
- ``response`` (Responses API model): an ``llm_call`` with the response id. Its usage is
  taken from the enclosing ``turn`` span when that turn holds exactly one model span, so
  nothing is counted twice. ``export()`` writes no more; an exporter that also writes the
  span's ``input`` and ``response`` gives messages, model, answer and the tape's parts
  (``_agents_responses``). A streamed Chat Completions generation's output is a ``Response``.
- ``function``: a ``tool_call`` and its ``tool_result``. ``output`` is kept as the SDK wrote
  it (``str()`` of the return value, not JSON). Function spans carry no call id: it is paired
  by order and name with the tool calls the preceding generation requested.
- ``agent``: names the agent. ``handoff``, ``guardrail`` and user ``custom`` spans become
  ``custom`` events; the SDK's ``task``/``turn`` spans are skipped. The error of any of these
  spans is an ``error`` event (``Runner.run`` puts a guardrail's tripwire on the ``turn``
  span, ``run_streamed`` on the agent span), and so is a guardrail span with
  ``triggered: true`` whose tripwire no span error names.

The run is an error when any span failed fatally or a guardrail tripped; a tool error the SDK
marks "(non-fatal)" alone does not fail the run. The final output is the text of the last
generation when it requested no tools (of the last response, when its span recorded the
response), unless a tripwire fired: the SDK then raises and gives no final output. When no
model span recorded its output (Responses-API spans, ``trace_include_sensitive_data=False``),
the answer is not recorded (``metadata.answer_not_recorded``): a missing answer is then no
observed failure.
"""

from __future__ import annotations

from typing import Any

from .._jsonio import json_in_text, json_kind
from ..errors import TraceFormatError
from ..model import (
    ANSWER_NOT_RECORDED,
    CustomEvent,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    RequestedToolCall,
    RunMetadata,
    RunStatus,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
    Usage,
)
from ..model.chat import read_recorded
from ..model.content_parts import readable_content
from ._agents_responses import answer_of, input_messages, is_response, offered_tools
from ._agents_spans import TRIPWIRE, Span, tripped, tripwire_of, usage_of
from ._common import duration_ms as _duration
from ._common import epoch_s as _epoch
from ._common import fail as _fail
from ._common import get_typed as _get
from ._common import keys_problem, object_at
from ._common import text_or_none as _text
from .base import Importer, TraceDocument

NO_ANSWER = (f"{ANSWER_NOT_RECORDED} (its model spans carry no answer text: Responses-API "
             "spans, or a trace without sensitive data)")
_OBJECTS = ("trace", "trace.span")
_SDK_CUSTOM = ("task", "turn")
_MODEL_SPANS = ("generation", "response")


class OpenAIAgentsImporter(Importer):
    name = "openai-agents"
    description = "OpenAI Agents SDK trace export ({\"data\": [trace, span, …]})"

    def check(self, doc: TraceDocument) -> str | None:
        value = doc.value
        if doc.kind != "json" or not isinstance(value, dict):
            return 'not a JSON object with a "data" list'
        data = value.get("data")
        if not isinstance(data, list) or not data:
            return '"data" is an empty list' if data == [] else \
                keys_problem(value, {"data": "a list of trace and span objects"})
        if not any(isinstance(i, dict) and i.get("object") in _OBJECTS for i in data[:50]):
            return 'no "data" item with "object": "trace" or "trace.span"'
        return None

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        return _load(doc.value)


def _load(value: Any) -> list[TraceRun]:
    if not isinstance(value, dict):
        raise TraceFormatError(None, f"top level: expected an object, got {json_kind(value)}")
    data = value.get("data")
    if not isinstance(data, list):
        raise TraceFormatError(None, f"data: expected a list, got {json_kind(data)}")
    traces: dict[str, dict[str, Any]] = {}
    spans: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, item in enumerate(data):
        where = f"data[{index}]"
        if not isinstance(item, dict):
            raise _fail(where, f"expected an object, got {json_kind(item)}")
        kind = item.get("object")
        if kind == "trace":
            trace_id = _get(item, "id", str, where)
            if not trace_id:
                raise _fail(where, 'a trace without an "id"')
            traces.setdefault(trace_id, item)
            spans.setdefault(trace_id, [])
        elif kind == "trace.span":
            trace_id = _get(item, "trace_id", str, where)
            if not trace_id:
                raise _fail(where, 'a span without a "trace_id"')
            spans.setdefault(trace_id, []).append((index, item))
        else:
            raise _fail(f"{where}.object", f'expected "trace" or "trace.span", got {kind!r:.60}')
    return [_run(trace_id, traces.get(trace_id, {}), items) for trace_id, items in spans.items()]


def _run(trace_id: str, trace: dict[str, Any], items: list[tuple[int, dict[str, Any]]]) -> TraceRun:
    spans = [Span(index, raw) for index, raw in items]
    by_time = all(s.started_at for s in spans)
    if by_time:
        spans.sort(key=lambda s: (_epoch(s.started_at), s.index))
    builder = _Builder(spans, by_time)
    for span in spans:
        builder.add(span)
    events = builder.events()
    failed = any(s.is_fatal() or tripped(s) for s in spans)
    status: RunStatus = "error" if failed else "success"
    return TraceRun(run_id=trace_id, status=status, input=builder.question,
                    final_output=builder.final_output, events=events,
                    metadata=_metadata(trace, builder))


class _Builder:
    """Turns ordered spans into events, pairing function spans with requested tool calls."""

    def __init__(self, spans: list[Span], by_time: bool) -> None:
        self.by_time = by_time
        self.entries: list[tuple[float, int, Any]] = []
        self.question: Any = None
        self.final_output: Any = None
        self.model: str | None = None
        self.agents: list[str] = []
        self.pending: list[RequestedToolCall] = []
        self.turn_usage = _turn_usage(spans)
        self.last_model_span: Span | None = None
        self.last_response: tuple[str | None, bool] = (None, False)
        self.model_spans = 0
        self.answers = 0  # model spans that recorded their output
        self.spans = {span.id: span for span in spans if span.id}
        self.tripwires = {tripwire_of(span) for span in spans} - {None}

    def push(self, span: Span, event: Any, at_end: bool = False) -> None:
        """Queue an event at its span's start (or end); spans without times keep file order."""
        key = 0.0
        if self.by_time:
            key = _epoch(span.started_at)
            if at_end and span.ended_at:
                key = max(key, _epoch(span.ended_at))
        self.entries.append((key, len(self.entries), event))

    def events(self) -> list[Any]:
        ordered = [e for _, _, e in sorted(self.entries, key=lambda t: (t[0], t[1]))]
        if self.question is not None:
            ordered.insert(0, InputMessageEvent(seq=0, role="user", content=self.question))
        text, has_calls = self.last_response
        withheld = bool(self.tripwires) or any(tripped(s) for s in self.spans.values())
        if self.last_model_span is not None and text is not None and not has_calls \
                and not withheld:  # a tripwire raises: the SDK's run gives no final output
            self.final_output = text
            ordered.append(FinalOutputEvent(seq=0, ts=self.last_model_span.ended_at, output=text))
        for seq, event in enumerate(ordered, start=1):
            event.seq = seq
        return ordered

    def add(self, span: Span) -> None:
        handlers = {"agent": self._agent, "custom": self._custom, "function": self._function,
                    "generation": self._generation, "response": self._response}
        handler = handlers.get(span.kind)
        if handler is not None:
            handler(span)
            return
        data = {k: v for k, v in span.data.items() if k != "type"}
        self.push(span, CustomEvent(seq=0, **span.common(), name=span.kind, data=data))
        self._error(span, tripped(span) if span.kind == "guardrail" else None)

    def _error(self, span: Span, tripwire: str | None = None) -> None:
        """The span's error as an ``error`` event at its end. A guardrail span that tripped
        (``triggered: true``) is an error too, unless another span's error names it."""
        text = span.error_text()
        if text is None and tripwire is not None and tripwire not in self.tripwires:
            text = f"{TRIPWIRE}: {tripwire}"
        if text is not None:
            self.push(span, ErrorEvent(seq=0, **span.common(at_end=True), message=text),
                      at_end=True)

    def _agent(self, span: Span) -> None:
        name = _get(span.data, "name", str, f"{span.where}.span_data")
        if name and name not in self.agents:
            self.agents.append(name)
        self._error(span)

    def _custom(self, span: Span) -> None:
        where = f"{span.where}.span_data"
        name = _get(span.data, "name", str, where) or "custom"
        data = _get(span.data, "data", dict, where) or {}
        if not (data.get("sdk_span_type") in _SDK_CUSTOM
                or (name in _SDK_CUSTOM and "usage" in data)):
            self.push(span, CustomEvent(seq=0, **span.common(), name=name, data=data))
        self._error(span)  # the SDK's turn span holds a tripwire of ``Runner.run``

    def _generation(self, span: Span) -> None:
        self.model_spans += 1
        where = f"{span.where}.span_data"
        messages = _get(span.data, "input", list, where)
        if self.question is None and messages:
            self.question = _question(messages)
        output = _get(span.data, "output", list, where)
        self.answers += output is not None
        text, calls = answer_of(output or [], f"{where}.output")
        model = _get(span.data, "model", str, where)
        self.model = self.model or model
        usage = usage_of(_get(span.data, "usage", dict, where), f"{where}.usage")
        instructions, history = read_recorded(messages)
        self._model_call(span, LlmCallEvent(
            seq=0, **span.common(), model=model, request=readable_content(messages),
            response=text,
            tool_calls=calls, usage=usage, latency_ms=_duration(span.started_at, span.ended_at),
            error=span.error_text(), instructions=instructions, messages=history,
            tools_offered=self._agent_tools(span),
            output_text=(text or "") if output is not None else None), text)

    def _agent_tools(self, span: Span) -> list[str] | None:
        """The tools of the agent above ``span`` (all offered), unless it has handoffs."""
        for _ in self.spans:  # at most as many steps up as spans: a cycle ends
            span = self.spans.get(span.parent_id or "", span) if span.kind != "agent" else span
        tools = span.data.get("tools") if span.kind == "agent" else None
        if span.data.get("handoffs") or not isinstance(tools, list):
            return None
        return [t for t in tools if isinstance(t, str) and t]

    def _response(self, span: Span) -> None:
        where = f"{span.where}.span_data"
        response = _get(span.data, "response", dict, where)
        self.model_spans += 1
        self.answers += response is not None
        usage = usage_of(_get(span.data, "usage", dict, where), f"{where}.usage")
        if usage is None and span.parent_id in self.turn_usage:
            usage = self.turn_usage[span.parent_id]
        request: dict[str, Any] = {k: span.data[k] for k in ("response_id", "input")
                                   if span.data.get(k) is not None}
        text, calls = answer_of([response] if is_response(response) else [],
                                f"{where}.response.output")
        model = _get(span.data, "model", str, where) or _get(response or {}, "model", str, where)
        messages = input_messages(span.data.get("input"), (response or {}).get("instructions"))
        if self.question is None and messages:
            self.question = _question(messages)
        instructions, history = read_recorded(messages)
        self.model = self.model or model
        self._model_call(span, LlmCallEvent(
            seq=0, **span.common(), model=model, request=readable_content(request) or None,
            response=text,
            tool_calls=calls, usage=usage, latency_ms=_duration(span.started_at, span.ended_at),
            error=span.error_text(), instructions=instructions, messages=history,
            tools_offered=offered_tools(response) if is_response(response) else None,
            output_text=(text or "") if is_response(response) else None), text)

    def _model_call(self, span: Span, event: LlmCallEvent, text: str | None) -> None:
        self.push(span, event)
        self.pending = list(event.tool_calls)
        self.last_model_span = span
        self.last_response = (text, bool(event.tool_calls))

    def _function(self, span: Span) -> None:
        where = f"{span.where}.span_data"
        name = _get(span.data, "name", str, where)
        if not name:
            raise _fail(where, 'a function span without a "name"')
        args = json_in_text(_get(span.data, "input", str, where))
        output = span.data.get("output")
        call_id = None
        match = next((c for c in self.pending if c.tool_name == name), None)
        if match is not None:
            self.pending.remove(match)
            call_id = match.call_id
        self.push(span, ToolCallEvent(seq=0, **span.common(), tool_name=name, tool_args=args,
                                      call_id=call_id))
        error = span.error
        if output is None and isinstance(error, dict) and isinstance(error.get("data"), dict):
            output = error["data"].get("error")
        if output is None and error is not None:
            output = span.error_text()
        self.push(span, ToolResultEvent(seq=0, **span.common(at_end=True), call_id=call_id,
                                        tool_name=name, output=output,
                                        is_error=error is not None), at_end=True)


def _turn_usage(spans: list[Span]) -> dict[str, Usage]:
    """Usage of each SDK ``turn`` span that holds exactly one model span and no usage of its own."""
    model_spans: dict[str, list[Span]] = {}
    for span in spans:
        if span.kind in _MODEL_SPANS and span.parent_id:
            model_spans.setdefault(span.parent_id, []).append(span)
    found: dict[str, Usage] = {}
    for span in spans:
        if span.kind != "custom" or not span.id or len(model_spans.get(span.id, [])) != 1:
            continue
        if model_spans[span.id][0].kind != "response":
            continue
        data = span.data.get("data")
        if isinstance(data, dict) and data.get("sdk_span_type") == "turn":
            usage = usage_of(_get(data, "usage", dict, f"{span.where}.span_data.data"),
                           f"{span.where}.span_data.data.usage")
            if usage is not None:
                found[span.id] = usage
    return found


def _question(messages: list[Any]) -> Any:
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "user":
            content = readable_content(message.get("content"))  # images named
            text = _text(content)
            return text if text is not None else content
    return None


def _metadata(trace: dict[str, Any], builder: _Builder) -> RunMetadata:
    extra: dict[str, Any] = {}
    for key in ("workflow_name", "group_id"):
        if trace.get(key) is not None:
            extra[key] = trace[key]
    meta = object_at(trace, "metadata")
    version = next((meta[k] for k in ("version", "agent_version", "app_version")
                    if isinstance(meta.get(k), (str, int, float))), None)
    extra.update({k: v for k, v in meta.items() if k != "tags"})
    if len(builder.agents) > 1:
        extra["agents"] = builder.agents
    # Responses-API spans carry no answer text, nor any span traced without sensitive data
    unrecorded = bool(builder.model_spans) and not builder.answers
    tags = meta.get("tags")
    agent = builder.agents[0] if builder.agents else None
    if agent is None and isinstance(trace.get("workflow_name"), str):
        agent = trace["workflow_name"]
    return RunMetadata(model=builder.model, agent=agent,
                       version=str(version) if version is not None else None,
                       tags=[str(t) for t in tags] if isinstance(tags, list) else [],
                       extra=extra,
                       answer_not_recorded=NO_ANSWER if unrecorded else None)
