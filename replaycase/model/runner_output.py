"""RunnerOutput: the compact JSON a candidate runner may write (DESIGN 5)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from .events import (
    CustomEvent,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    RequestedToolCall,
    RunStatus,
    ToolCallEvent,
    ToolResultEvent,
    Usage,
    _Model,
)
from .run import RunMetadata, SourceInfo, TraceRun


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
