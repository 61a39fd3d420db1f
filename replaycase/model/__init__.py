"""TraceRun and TraceEvent: the one vocabulary every part of replaycase speaks.

Importers turn foreign traces into a ``TraceRun``; scaffold, the assertion engine, replay
and the reports read nothing else. Trace models are tolerant (unknown keys are ignored),
since traces are written by other programs. Events are slotted pydantic dataclasses, not
models: validated and serialized the same way, at about 40% less memory for a big run (use
``pydantic_core.to_jsonable_python`` or ``dataclasses.replace`` where a model has
``model_dump`` or ``model_copy``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic.dataclasses import dataclass

from .index import EventIndex, ToolCallRecord

TRACE_SCHEMA: Final = "replaycase.trace/v1"

class Structure:
    """Field metadata: a string replaycase matches on or relies on (an id, a name, a time).
    Redaction's user patterns rewrite free text only: never such a field, nor a Literal, enum,
    number or bool one, nor a mapping's keys (``redact/models.py``)."""


STRUCTURE = Structure()
Name = Annotated[str, STRUCTURE]
"""A string field that is structure, not free text."""

RunStatus = Literal["success", "error", "timeout", "cancelled", "paused"]
RUN_STATUSES: tuple[str, ...] = ("success", "error", "timeout", "cancelled", "paused")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Usage(_Model):
    """Token and cost figures of one model call (or of a whole run)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cost_usd: float | None = None

    def total(self) -> int | None:
        """Total tokens: the recorded total, else input plus output."""
        if self.total_tokens is not None:
            return self.total_tokens
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens or 0) + (self.output_tokens or 0)


class RequestedToolCall(_Model):
    """A tool call a model asked for in its response."""

    tool_name: Name
    tool_args: Any = None
    call_id: Name | None = None


_EVENT_CONFIG = ConfigDict(extra="ignore")
"""Events are slotted pydantic dataclasses, tolerant like the models (unknown keys ignored).
Lighter than a model: a big trace has hundreds of thousands of events, and an instance
without a ``__dict__`` and a fields-set is quicker to make and to free. Each class applies
``dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)`` itself, so a type checker
sees the fields (pydantic's ``dataclass`` is a ``dataclass_transform``)."""


@dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)
class _EventBase:
    seq: int = Field(description="Position of the event in the run, from 1.")
    ts: Name | None = Field(default=None, description="ISO 8601 time, when the source has it.")
    duration_ms: float | None = None
    span_id: Name | None = None
    parent_id: Name | None = None


@dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)
class InputMessageEvent(_EventBase):
    """A message given to the run (the user's question, a system prompt)."""

    type: Literal["input_message"] = "input_message"
    role: Name = "user"
    content: Any = None


@dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)
class LlmCallEvent(_EventBase):
    """One model call: what was asked, what came back, what it cost."""

    type: Literal["llm_call"] = "llm_call"
    model: Name | None = None
    request: Any = None
    response: Any = None
    tool_calls: list[RequestedToolCall] = Field(default_factory=list)
    usage: Usage | None = None
    latency_ms: float | None = None
    error: str | None = None


@dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)
class ToolCallEvent(_EventBase):
    """A tool invoked by the run."""

    type: Literal["tool_call"] = "tool_call"
    tool_name: Name
    tool_args: Any = None
    call_id: Name | None = None


@dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)
class ToolResultEvent(_EventBase):
    """What a tool returned, or the error it raised."""

    type: Literal["tool_result"] = "tool_result"
    call_id: Name | None = None
    tool_name: Name | None = None
    output: Any = None
    is_error: bool = False


@dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)
class StateEvent(_EventBase):
    """A workflow state entered or exited, or a transition between two."""

    type: Literal["state"] = "state"
    state: Name
    action: Literal["entered", "exited", "transition"] = "entered"
    to_state: Name | None = None


@dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)
class ApprovalEvent(_EventBase):
    """A human approval requested or resolved."""

    type: Literal["approval"] = "approval"
    approval_id: Name | None = None
    action: Literal["requested", "resolved"] = "requested"
    decision: Name | None = None
    summary: str | None = None


@dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)
class RetryEvent(_EventBase):
    """A step or call retried."""

    type: Literal["retry"] = "retry"
    attempt: int | None = None
    reason: str | None = None


@dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)
class ErrorEvent(_EventBase):
    """An error the run raised or reported."""

    type: Literal["error"] = "error"
    message: str
    error_type: Name | None = None


@dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)
class FinalOutputEvent(_EventBase):
    """The run's answer."""

    type: Literal["final_output"] = "final_output"
    output: Any = None


@dataclass(config=_EVENT_CONFIG, slots=True, kw_only=True)
class CustomEvent(_EventBase):
    """Anything else the source recorded, kept as-is."""

    type: Literal["custom"] = "custom"
    name: Name = "custom"
    data: Any = None


TraceEvent = Annotated[
    InputMessageEvent
    | LlmCallEvent
    | ToolCallEvent
    | ToolResultEvent
    | StateEvent
    | ApprovalEvent
    | RetryEvent
    | ErrorEvent
    | FinalOutputEvent
    | CustomEvent,
    Field(discriminator="type"),
]
EVENT_TYPES: tuple[str, ...] = (
    "input_message",
    "llm_call",
    "tool_call",
    "tool_result",
    "state",
    "approval",
    "retry",
    "error",
    "final_output",
    "custom",
)


class RunMetadata(_Model):
    """Who ran: model, agent or workflow name and version, tags."""

    model: Name | None = None
    agent: Name | None = None
    version: Name | None = None
    tags: list[Name] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)


class SourceInfo(_Model):
    """Where a run was read from."""

    format: Name
    file: str | None = None
    sha256: Name | None = None


class RunTotals(_Model):
    """Usage totals derived from a run's events."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cost_usd: float | None = None
    duration_ms: float | None = None
    llm_calls: int = 0
    tool_calls: int = 0


class TraceRun(_Model):
    """One run, normalized."""

    schema_: Literal["replaycase.trace/v1"] = Field(default=TRACE_SCHEMA, alias="schema")
    run_id: Name
    status: RunStatus
    input: Any = None
    final_output: Any = None
    events: list[TraceEvent] = Field(default_factory=list)
    metadata: RunMetadata = Field(default_factory=RunMetadata)
    source: SourceInfo | None = None
    _index: tuple[int, EventIndex] | None = PrivateAttr(default=None)

    def _indexed(self) -> EventIndex:
        """Events by type and the paired tool calls, computed once per run (again if the
        events list is replaced or resized): big runs are read by many checks."""
        key = id(self.events) ^ len(self.events)
        if self._index is None or self._index[0] != key:
            self._index = (key, EventIndex(self.events))
        return self._index[1]

    def tool_calls(self) -> list[ToolCallRecord]:
        """Every tool call in order, each with its result (matched by call id, else order).

        The records are shared between calls, so treat them as read-only.
        """
        return list(self._indexed().tool_calls)

    def errors(self) -> list[ErrorEvent]:
        """The run's error events."""
        return list(self._indexed().of_type("error"))

    def error_messages(self) -> list[str]:
        """Every error message: error events and failed model calls, in event order."""
        index = self._indexed()
        if not any(e.error for e in index.of_type("llm_call")):
            return [e.message for e in index.of_type("error")]
        messages: list[str] = []
        for event in self.events:
            if isinstance(event, ErrorEvent):
                messages.append(event.message)
            elif isinstance(event, LlmCallEvent) and event.error:
                messages.append(event.error)
        return messages

    def llm_calls(self) -> list[LlmCallEvent]:
        """The run's model calls."""
        return list(self._indexed().of_type("llm_call"))

    def states_visited(self) -> list[str]:
        """States entered, in order (transitions count as entering their target).

        A transition followed by the ``entered`` event of its target is one visit, not two.
        """
        states: list[str] = []
        announced: str | None = None  # target of the last transition, not yet entered
        for event in self.events:
            if not isinstance(event, StateEvent):
                continue
            if event.action == "entered":
                if event.state != announced:
                    states.append(event.state)
                announced = None
            elif event.action == "transition" and event.to_state:
                states.append(event.to_state)
                announced = event.to_state
        return states

    def has_final_output(self) -> bool:
        """True when the run gave an answer that is not empty."""
        return not _is_empty(self.final_output)

    def totals(self) -> RunTotals:
        """Tokens, cost and duration derived from the events."""
        index = self._indexed()
        llm_calls = index.of_type("llm_call")
        totals = RunTotals(llm_calls=len(llm_calls), tool_calls=len(index.of_type("tool_call")))
        sums: dict[str, float] = {}
        for event in llm_calls:
            if event.usage is not None:
                for key in ("input_tokens", "output_tokens", "cost_usd"):
                    value = getattr(event.usage, key)
                    if value is not None:
                        sums[key] = sums.get(key, 0) + value
                total = event.usage.total()
                if total is not None:
                    sums["total_tokens"] = sums.get("total_tokens", 0) + total
        for key in ("input_tokens", "output_tokens", "total_tokens"):
            if key in sums:
                setattr(totals, key, int(sums[key]))
        if "cost_usd" in sums:
            totals.cost_usd = round(sums["cost_usd"], 10)
        totals.duration_ms = _duration_ms(self.events)
        return totals

    def to_json(self) -> str:
        """The native JSON form: keys in a stable order, one event a line."""
        from .native_json import dump_trace_run

        return dump_trace_run(self)


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict)):
        return len(value) == 0
    return False


def parse_ts(value: str | None) -> datetime | None:
    """Parse an ISO 8601 time; None when absent or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _duration_ms(events: list[Any]) -> float | None:
    starts: list[datetime] = []
    ends: list[datetime] = []
    for event in [e for e in events if e.ts]:  # big traces often have no times at all
        start = parse_ts(event.ts)
        if start is None:
            continue
        starts.append(start)
        ends.append(start + timedelta(milliseconds=event.duration_ms or 0))
    if starts:
        try:
            return round((max(ends) - min(starts)).total_seconds() * 1000, 3)
        except TypeError:  # naive and aware times mixed
            return None
    durations = [e.duration_ms for e in events if e.duration_ms is not None]
    return max(durations) if durations else None


class RunnerToolCall(_Model):
    """One tool call in a ReplayKit-style runner output."""

    tool_name: str
    tool_args: Any = None
    tool_output: Any = None
    is_error: bool = False
    call_id: str | None = None


class RunnerOutput(_Model):
    """The compact JSON a candidate runner may write (DESIGN 5); importable as a TraceRun."""

    run_id: str = "runner-output"
    status: RunStatus
    final_output: Any = None
    input: Any = None
    tool_calls: list[RunnerToolCall] = Field(default_factory=list)
    errors: list[Any] = Field(default_factory=list)
    llm_calls: list[dict[str, Any]] = Field(default_factory=list)
    usage: Usage | None = None
    metadata: RunMetadata = Field(default_factory=RunMetadata)

    def to_trace_run(self, source: SourceInfo | None = None) -> TraceRun:
        """Normalize into a TraceRun (events in the order: input, model calls, tools, errors)."""
        events: list[Any] = []

        def seq() -> int:
            return len(events) + 1

        if self.input is not None:
            events.append(InputMessageEvent(seq=seq(), content=self.input))
        for call in self.llm_calls:
            events.append(_llm_event_from_dict(call, seq()))
        for tool in self.tool_calls:
            events.append(ToolCallEvent(seq=seq(), tool_name=tool.tool_name,
                                        tool_args=tool.tool_args, call_id=tool.call_id))
            events.append(ToolResultEvent(seq=seq(), tool_name=tool.tool_name,
                                          call_id=tool.call_id, output=tool.tool_output,
                                          is_error=tool.is_error))
        for error in self.errors:
            message, error_type = _error_text(error)
            events.append(ErrorEvent(seq=seq(), message=message, error_type=error_type))
        if self.final_output is not None:
            events.append(FinalOutputEvent(seq=seq(), output=self.final_output))
        if self.usage is not None and not self.llm_calls:
            events.append(CustomEvent(seq=seq(), name="usage", data=self.usage.model_dump()))
        run = TraceRun(run_id=self.run_id, status=self.status, input=self.input,
                       final_output=self.final_output, events=events,
                       metadata=self.metadata, source=source)
        return run


def _llm_event_from_dict(call: dict[str, Any], seq: int) -> LlmCallEvent:
    usage = call.get("usage")
    requested = call.get("tool_calls") or []
    return LlmCallEvent(
        seq=seq,
        model=call.get("model") if isinstance(call.get("model"), str) else None,
        request=call.get("request", call.get("prompt")),
        response=call.get("response", call.get("content", call.get("output"))),
        tool_calls=[
            RequestedToolCall(tool_name=str(r.get("tool_name") or r.get("name") or "?"),
                              tool_args=r.get("tool_args", r.get("args", r.get("arguments"))),
                              call_id=r.get("call_id") or r.get("id"))
            for r in requested if isinstance(r, dict)
        ],
        usage=Usage.model_validate(usage) if isinstance(usage, dict) else None,
        latency_ms=call.get("latency_ms") if isinstance(call.get("latency_ms"), (int, float))
        else None,
        error=str(call["error"]) if call.get("error") else None,
    )


def _error_text(error: Any) -> tuple[str, str | None]:
    if isinstance(error, dict):
        message = error.get("message") or error.get("error") or json.dumps(error, sort_keys=True)
        kind = error.get("error_type") or error.get("type")
        return str(message), str(kind) if kind else None
    return str(error), None
