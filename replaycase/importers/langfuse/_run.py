"""A Langfuse trace as one TraceRun: the observations walked in execution order."""

from __future__ import annotations

import re
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
from ...model.content_parts import readable_content
from ...model.error_text import exception_parts
from .._common import fail, get_typed, iso_ts, text_or_none
from . import _tools
from ._generation import llm_call
from ._messages import as_chat
from ._obs import Observation, ancestors, decoded, metadata_of, observations

_QUESTION_KEYS = ("prompt", "question", "query", "input", "message")
_AGENT_NAME = re.compile(r"^(?:invoke_agent|agent_run)\s+\[?([^\]]+)\]?$")
_LEAVES = ("TOOL",)
NO_OUTPUT = (f"{ANSWER_NOT_RECORDED} (the Langfuse trace has no output, nor has its last "
             "generation)")


def _text_of(value: Any) -> Any:
    """The text of a question or an answer, when a known shape holds one; else the value."""
    if isinstance(value, dict):
        for key in _QUESTION_KEYS:
            if isinstance(value.get(key), str):
                return value[key]
        if value.get("role") in (None, "assistant") and isinstance(value.get("content"),
                                                                   (str, list)):
            found = text_or_none(value["content"])  # an Anthropic message
            return value if found is None else found
        if isinstance(value.get("new_message"), dict):  # Google ADK
            value = [value["new_message"]]
    chat = as_chat(value) if isinstance(value, (list, dict)) else None
    if chat:
        texts = [m.get("content") for m in chat if isinstance(m.get("content"), str)
                 and m.get("content") and m.get("role") in ("user", "assistant")]
        if texts:
            return texts[-1]
    return value


class Builder:
    """Walks the observations of one trace and emits its events."""

    def __init__(self, trace: dict[str, Any], raw_observations: Any, where: str,
                 text: bool = False) -> None:
        self.trace = trace
        self.text = text
        self.obs = observations(raw_observations, where, text)
        self.by_id = {o.id: o for o in self.obs}
        self.events: list[Any] = []
        self.pending: list[RequestedToolCall] = []
        self.answered: set[str] = set()
        self.calls: dict[str, LlmCallEvent] = {}

    def run(self) -> TraceRun:
        trace = self.trace
        start = iso_ts(get_typed(trace, "timestamp", str, "trace"))
        question = _text_of(readable_content(decoded(trace.get("input"), self.text)))
        if question is not None:
            self.events.append(InputMessageEvent(seq=0, ts=start, content=question))
        tool_names = self._tool_names()
        for obs in self.obs:
            if obs.type == "GENERATION" and not self._inside("GENERATION", obs):
                self._generation(obs)
            elif obs.type == "TOOL" or (obs.type == "SPAN" and obs.name in tool_names):
                self._tool(obs)
            elif obs.failed and obs.type != "GENERATION":
                message, kind = exception_parts(obs.status_message) if obs.status_message \
                    else (f"{obs.type.lower()} {obs.name!r} failed", None)
                self.events.append(ErrorEvent(seq=0, **obs.common(at_end=True),
                                              error_type=kind, message=message))
        llm_calls = [e for e in self.events if isinstance(e, LlmCallEvent)]
        if question is None and llm_calls and llm_calls[0].messages:
            question = next((m.text for m in llm_calls[0].messages if m.role == "user"), None)
            if question is not None:  # the question the first request carried
                self.events.insert(0, InputMessageEvent(seq=0, ts=llm_calls[0].ts,
                                                        content=question))
        final = _text_of(decoded(trace.get("output"), self.text))
        if final is None and llm_calls and llm_calls[-1].output_text:
            final = llm_calls[-1].output_text
        if final is not None:
            self.events.append(FinalOutputEvent(seq=0, ts=self.obs[-1].end if self.obs
                                                else start, output=final))
        for seq, event in enumerate(self.events, start=1):
            event.seq = seq
        failed = any(o.failed for o in self.obs if o.type not in _LEAVES)
        run_id = get_typed(trace, "id", (str, int), "trace")
        metadata = self._metadata(llm_calls)
        if final is None and not failed and trace.get("output") is None and (
                not llm_calls or llm_calls[-1].output_text is None):
            metadata.answer_not_recorded = NO_OUTPUT  # neither the trace nor its last model call
        return TraceRun(run_id=str(run_id) if run_id is not None else "langfuse-trace",
                        status="error" if failed else "success", input=question,
                        final_output=final, events=self.events, metadata=metadata)

    def _inside(self, kind: str, obs: Observation) -> bool:
        return any(a.type == kind for a in ancestors(obs, self.by_id))

    def _group(self, outer: Observation) -> list[Observation]:
        """The generation and the generations nested in it, outermost first."""
        group = [outer]
        for child in group:
            group.extend(c for c in child.children if c.type == "GENERATION"
                         and c not in group)
        return group

    def _tool_names(self) -> set[str]:
        """The names of the tools the model asked for (a span so named ran one); each
        outermost generation's model call is read here, once."""
        names: set[str] = set()
        for obs in self.obs:
            if obs.type == "GENERATION" and not self._inside("GENERATION", obs):
                event = self.calls[obs.id] = llm_call(self._group(obs))
                names.update(c.tool_name for c in event.tool_calls)
        return names

    def _generation(self, obs: Observation) -> None:
        event = self.calls.pop(obs.id, None) or llm_call(self._group(obs))
        self._results_from(event)
        self.events.append(event)
        self.pending.extend(event.tool_calls)

    def _results_from(self, event: LlmCallEvent) -> None:
        """The requested calls that no observation ran, answered in this request's history:
        their call and result, read from the tool messages."""
        for message in event.messages or ():
            if message.role != "tool" or not message.call_id:
                continue
            match = next((c for c in self.pending if c.call_id == message.call_id), None)
            if match is None or match.call_id in self.answered:
                continue
            self.pending.remove(match)
            self.answered.add(message.call_id)
            common: dict[str, Any] = {"ts": event.ts, "parent_id": event.span_id}
            self.events.append(ToolCallEvent(seq=0, **common, tool_name=match.tool_name,
                                             tool_args=match.tool_args, call_id=match.call_id))
            failed = message.is_error or _tools.reports_error(decoded(message.text))
            self.events.append(ToolResultEvent(seq=0, **common, call_id=match.call_id,
                                               tool_name=match.tool_name,
                                               output=message.text, is_error=failed))

    def _tool(self, obs: Observation) -> None:
        name = _tools.tool_name(obs)
        if not name:
            raise fail(obs.where, "a tool observation without a name")
        call_id = _tools.call_id(obs)
        match = _tools.match(self.pending, obs, name, call_id)
        if match is not None:
            self.pending.remove(match)
            call_id = call_id or match.call_id
        if call_id:
            self.answered.add(call_id)
        self.events.append(ToolCallEvent(seq=0, **obs.common(), tool_name=name,
                                         tool_args=_tools.arguments(obs, match),
                                         call_id=call_id))
        output, failed = _tools.result(obs)
        self.events.append(ToolResultEvent(seq=0, **obs.common(at_end=True), call_id=call_id,
                                           tool_name=name, output=output, is_error=failed))

    def _agent(self) -> str | None:
        """The agent's name: a GenAI attribute, else the AGENT (or CHAIN) observation nearest
        above the first generation, else the first one, else the trace's name."""
        first = next((o for o in self.obs if o.type == "GENERATION"), None)
        above = ancestors(first, self.by_id) if first is not None else []
        for obs in [*above, *self.obs]:
            for key in ("gen_ai.agent.name", "agent_name", "agent.name"):
                value = obs.attrs.get(key)
                if isinstance(value, str) and value:
                    return value
        for obs in [*above, *self.obs]:
            if obs.type in ("AGENT", "CHAIN") and obs.name:
                match = _AGENT_NAME.match(obs.name)
                if obs.type == "AGENT" or match:
                    return match.group(1) if match else obs.name
        name = self.trace.get("name")
        return name if isinstance(name, str) and name else None

    def _metadata(self, llm_calls: list[LlmCallEvent]) -> RunMetadata:
        trace = self.trace
        extra: dict[str, Any] = {}
        for key, out in (("id", "trace_id"), ("name", "trace_name"), ("sessionId", "session_id"),
                         ("userId", "user_id"), ("environment", "environment"),
                         ("release", "release")):
            if isinstance(trace.get(key), (str, int)) and trace.get(key) != "":
                extra[out] = trace[key]
        meta = metadata_of(trace)
        user_meta = {k: v for k, v in meta.items()
                     if k not in ("attributes", "resourceAttributes", "scope")}
        if user_meta:
            extra["metadata"] = user_meta
        scores = _scores(trace.get("scores"))
        if scores:
            extra["scores"] = scores
        tags = trace.get("tags")
        version = trace.get("version")
        return RunMetadata(
            model=next((c.model for c in llm_calls if c.model), None), agent=self._agent(),
            version=str(version) if isinstance(version, (str, int)) and version != "" else None,
            tags=[str(t) for t in tags if isinstance(t, (str, int))]
            if isinstance(tags, list) else [], extra=extra)


def _scores(raw: Any) -> list[dict[str, Any]]:
    """The trace's scores as recorded (name, value, data type, comment): no verdict drawn."""
    out: list[dict[str, Any]] = []
    for score in raw if isinstance(raw, list) else ():
        if not isinstance(score, dict) or not isinstance(score.get("name"), str):
            continue
        kept = {key: score[key] for key in ("name", "value", "stringValue", "dataType",
                                            "source", "comment")
                if score.get(key) is not None}
        out.append(kept)
    return out
