"""One trace's spans turned into a TraceRun: events in span order, status, input and answer.

Spans are visited by start time (ties: parent before child, then earlier end). A span's
opening events (a model call, a tool call) come at its start; its closing events (a tool
result, an error, the final output) wait until every span starting before its end is placed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...model import (
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
)
from . import _messages as msg
from . import _semconv as sem
from ._spans import Span, ancestors, link_tree, order_key
from ._values import iso, parse_json_text

NO_CONTENT = f"{ANSWER_NOT_RECORDED} (its spans were recorded without message content)"
NO_OUTPUTS = f"{ANSWER_NOT_RECORDED} (its model spans were recorded without their outputs)"

_Closing = tuple[tuple[int, int, int, int], Span, Any]


def build_run(trace_id: str, spans: list[Span]) -> TraceRun:
    """The normalized run of one trace id."""
    return _Builder(trace_id, spans).run()


class _Builder:
    def __init__(self, trace_id: str, spans: list[Span]) -> None:
        self.trace_id = trace_id
        self.roots = link_tree(spans)
        self.root = self.roots[0]
        self.ordered = sorted(spans, key=order_key)
        self.roles = {id(s): sem.role(s) for s in self.ordered}
        self.llm = {id(s): sem.llm_fields(s) for s in self.ordered if self._is(s, "llm")}
        self.has_tool_spans = any(self._is(s, "tool") for s in self.ordered)
        self.events: list[Any] = []
        self.closing: list[_Closing] = []
        self.errors_below: dict[int, dict[str, None]] = {}
        """Span ``id()`` -> the error messages reported below it so far (each once)."""
        self.requested: list[RequestedToolCall] = []
        self.answers: dict[str, Any] | None = None

    def _is(self, span: Span, role: str) -> bool:
        return self.roles[id(span)] == role

    def run(self) -> TraceRun:
        question = self._question()
        if question is not None:
            self.events.append(InputMessageEvent(seq=0, content=question, ts=iso(self.root.start),
                                                 span_id=self.root.span_id,
                                                 parent_id=self.root.parent_id))
        final, final_span = self._final_output()
        for span in self.ordered:
            self._flush(_due_before(span, ancestors(span)))
            self._visit(span)
            if span is final_span:
                self._close(span, FinalOutputEvent(seq=0, output=final, **_common(span, True)),
                            sub=9)
        self._flush(lambda c: True)
        for seq, event in enumerate(self.events, start=1):
            event.seq = seq
        return TraceRun(run_id=self.trace_id, status="error" if self._failed() else "success",
                        input=question, final_output=final, events=self.events,
                        metadata=self._metadata())

    def _visit(self, span: Span) -> None:
        role = self.roles[id(span)]
        if role == "llm":
            self._llm(span)
        elif role == "tool":
            self._tool(span)
        else:
            error = sem.error_of(span)
            if error is not None:
                self._close(span, ErrorEvent(seq=0, message=error[0], error_type=error[1],
                                             **_common(span, True)))

    def _llm(self, span: Span) -> None:
        fields = self.llm[id(span)]
        calls = [call for m in fields.outputs for call in m.tool_calls]
        error = sem.error_of(span)
        self.events.append(LlmCallEvent(
            seq=0, model=fields.model, request=fields.request,
            response=msg.response_text(fields.outputs), tool_calls=calls, usage=fields.usage,
            latency_ms=span.duration_ms(), error=error[0] if error else None,
            instructions=fields.instructions, messages=fields.messages,
            tools_offered=fields.tools, output_text=fields.output_text,
            stop_reason=fields.stop_reason, **_common(span)))
        self.requested = list(calls)
        if not self.has_tool_spans:
            self._tools_from_messages(span, calls)

    def _tool(self, span: Span) -> None:
        fields = sem.tool_fields(span)
        call_id = fields.call_id
        match = next((c for c in self.requested if (call_id and c.call_id == call_id)
                      or (not call_id and c.tool_name == fields.name)), None)
        if match is not None:
            self.requested.remove(match)
            call_id = call_id or match.call_id
        # a span without arguments (GenAI log events put them on the model's call) takes
        # those of the call it answers
        args = fields.args if fields.args is not None or match is None else match.tool_args
        self.events.append(ToolCallEvent(seq=0, tool_name=fields.name, tool_args=args,
                                         call_id=call_id, **_common(span)))
        error = sem.error_of(span)
        output = fields.result
        if error and output is None:  # what the model received: the span, a later request,
            output = self._tool_answers().get(call_id or "")  # or else the exception
            output = error[0] if output is None else parse_json_text(output)
        self._close(span, ToolResultEvent(
            seq=0, call_id=call_id, tool_name=fields.name,
            output=output, is_error=error is not None, error_type=error[1] if error else None,
            **_common(span, True)))

    def _tools_from_messages(self, span: Span, calls: list[RequestedToolCall]) -> None:
        """Without tool spans, a requested call answered in a later request counts as run."""
        answers = self._tool_answers()
        for index, call in enumerate(calls):
            if call.call_id is None or call.call_id not in answers:
                continue
            self._close(span, ToolCallEvent(seq=0, tool_name=call.tool_name,
                                            tool_args=call.tool_args, call_id=call.call_id,
                                            parent_id=span.span_id), sub=2 * index)
            self._close(span, ToolResultEvent(seq=0, call_id=call.call_id,
                                              tool_name=call.tool_name,
                                              output=parse_json_text(answers[call.call_id]),
                                              parent_id=span.span_id), sub=2 * index + 1)

    def _tool_answers(self) -> dict[str, Any]:
        """Tool results as later requests carry them: call id -> first content seen."""
        if self.answers is None:
            self.answers = {}
            for fields in self.llm.values():
                for message in fields.inputs:
                    if message.tool_call_id:
                        self.answers.setdefault(message.tool_call_id, message.content)
        return self.answers

    def _close(self, span: Span, event: Any, sub: int = 0) -> None:
        self.closing.append(((span.t1, -span.depth, span.order, sub), span, event))

    def _flush(self, ready: Callable[[_Closing], bool]) -> None:
        now = sorted((c for c in self.closing if ready(c)), key=lambda c: c[0])
        if not now:
            return
        self.closing = [c for c in self.closing if not ready(c)]
        for _, span, event in now:
            if isinstance(event, ErrorEvent):
                if self._repeated(span, event.message):
                    continue
                for above in ancestors(span):
                    self.errors_below.setdefault(above, {})[event.message] = None
            self.events.append(event)

    def _repeated(self, span: Span, message: str) -> bool:
        """True when a span below ``span`` already reported the same error."""
        return any(_same(message, seen) for seen in self.errors_below.get(id(span), ()))

    def _question(self) -> Any:
        for span in [self.root, *self._agents()]:
            found = sem.run_input(span)
            if found is not None:
                return found
        for span in self.ordered:
            if id(span) in self.llm:
                found = msg.user_content(self.llm[id(span)].inputs)
                if found is not None:
                    return found
        return None

    def _agents(self) -> list[Span]:
        return [s for s in self.ordered if s is not self.root and _is_agent(s)]

    def _outermost(self) -> list[Span]:
        """The outermost agent / chain spans that stand for an agent: no agent, chain, tool
        or model call above them but wrappers (spans recording only their kind) or spans of
        no kind (an HTTP handler)."""
        found = []
        for span in self.ordered:
            if not sem.is_run_span(span) or sem.is_wrapper(span):
                continue
            node = span.parent
            while node is not None and (self._is(node, "other") and (
                    not sem.is_run_span(node) or sem.is_wrapper(node))):
                node = node.parent
            if node is None:
                found.append(span)
        return found

    def _failed(self) -> bool:
        """The root failed, or the outermost agent / chain did, whatever wraps it."""
        return self.root.failed or any(span.failed for span in self._outermost())

    def _final_output(self) -> tuple[Any, Span | None]:
        for span in [self.root, *self._agents()]:
            found = sem.run_output(span)
            if found is not None and found != "":
                return found, span
        last = next((s for s in reversed(self.ordered) if id(s) in self.llm), None)
        if last is None:
            return None, None
        outputs = self.llm[id(last)].outputs
        text = msg.response_text(outputs)
        later_tools = any(self._is(s, "tool") and s.t0 > last.t0 for s in self.ordered)
        if text is None or any(m.tool_calls for m in outputs) or later_tools:
            return None, None
        return text, last

    def _answer_missing(self) -> str | None:
        """Why the trace cannot hold the answer, or None: model calls recorded without
        messages (content capture off, the instrumentation default) or without outputs
        (OpenInference's ``hide_outputs``), and no run span with an output."""
        answered = [self.llm[id(s)] for s in self.ordered  # a failed call has no output
                    if id(s) in self.llm and sem.error_of(s) is None]
        if not answered or any(f.outputs for f in answered) or any(
                sem.run_output(s) is not None for s in [self.root, *self._agents()]):
            return None
        return NO_OUTPUTS if any(f.inputs for f in answered) else NO_CONTENT

    def _metadata(self) -> RunMetadata:
        spans = [self.root, *self.ordered]
        resource = self.root.resource
        model = next((f.model for f in self.llm.values() if f.model), None)
        agent = _attr(spans, "gen_ai.agent.name", "agent.name", "graph.node.id")
        named = next((s.name for s in self._outermost() if _is_agent(s) and s.name), None)
        agent = agent or named or resource.get("service.name") or self.root.name or None
        version = _attr(spans, "gen_ai.agent.version") or resource.get("service.version")
        tags = self.root.attrs.get("tag.tags")
        extra: dict[str, Any] = {"trace_id": self.trace_id, "root_span": self.root.name}
        for key in ("service.name", "service.version"):
            if resource.get(key) is not None:
                extra[key] = resource[key]
        for key in ("session.id", "gen_ai.conversation.id", "user.id"):
            value = _attr(spans, key)
            if value is not None:
                extra[key] = value
        return RunMetadata(
            model=model or _text(sem.first(self.root.attrs, "gen_ai.request.model",
                                           "llm.model_name")),
            agent=_text(agent), version=_text(version),
            answer_not_recorded=self._answer_missing(),
            tags=[str(t) for t in tags] if isinstance(tags, list) else [], extra=extra)


def _common(span: Span, at_end: bool = False) -> dict[str, Any]:
    if at_end:
        return {"ts": iso(span.end if span.end is not None else span.start),
                "span_id": span.span_id, "parent_id": span.parent_id}
    return {"ts": iso(span.start), "duration_ms": span.duration_ms(),
            "span_id": span.span_id, "parent_id": span.parent_id}


def _is_agent(span: Span) -> bool:
    kind = span.attrs.get("openinference.span.kind")
    operation = span.attrs.get("gen_ai.operation.name")
    return (isinstance(kind, str) and kind.strip().upper() == "AGENT") or \
        operation == "invoke_agent"


def _attr(spans: list[Span], *keys: str) -> Any:
    for span in spans:
        value = sem.first(span.attrs, *keys)
        if value is not None:
            return value
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _same(a: str, b: str) -> bool:
    return a == b or a.endswith(": " + b) or b.endswith(": " + a)


def _due_before(span: Span, above: set[int]) -> Callable[[_Closing], bool]:
    """Whether a pending closing event is due before ``span`` opens (not one of its
    ancestors', ``above`` being their ``id()``)."""
    return lambda c: c[0][0] <= span.t0 and id(c[1]) not in above
