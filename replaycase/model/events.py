"""The events of a run: what happened, one tolerant record each (DESIGN 1).

Events are slotted pydantic dataclasses, not models: validated and serialized the same way, at
about 40% less memory for a big run (use ``pydantic_core.to_jsonable_python`` or
``dataclasses.replace`` where a model has ``model_dump`` or ``model_copy``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.dataclasses import dataclass


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


class ChatMessage(_Model):
    """One message of the conversation a model call was sent, as the model tape compares it
    (DESIGN 8): system and developer text is not here but in ``LlmCallEvent.instructions``."""

    role: Literal["user", "assistant", "tool"]
    text: str = ""
    """The message's text (a tool message: the result the model was shown)."""
    tool_calls: list[RequestedToolCall] = Field(default_factory=list)
    """An assistant message: the tool calls it made."""
    call_id: Name | None = None
    """A tool message: the id of the call it answers."""
    tool_name: Name | None = None
    is_error: bool = False
    """A tool message: the tool failed (where the protocol says so)."""


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
    # What the model tape needs (DESIGN 8); each None when the trace did not record it.
    instructions: str | None = None
    """The system or developer text of the request ("" when it had none)."""
    messages: list[ChatMessage] | None = None
    """The conversation the request sent, in order, without the instructions."""
    tools_offered: list[Name] | None = None
    """The names of the tools the request offered."""
    output_text: str | None = None
    """The text of the answer ("" when it only asked for tool calls)."""
    stop_reason: Name | None = None


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
    error_type: Name | None = None
    """The exception class a failed tool raised, where the trace records it (``TimeoutError``)."""


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
