"""TraceRun and TraceEvent: the one vocabulary every part of replaycase speaks.

Importers turn foreign traces into a ``TraceRun``; scaffold, the assertion engine, replay
and the reports read nothing else. Trace models are tolerant (unknown keys are ignored),
since traces are written by other programs.
"""

from .events import (
    EVENT_TYPES,
    RUN_STATUSES,
    STRUCTURE,
    ApprovalEvent,
    ChatMessage,
    CustomEvent,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    Name,
    RequestedToolCall,
    RetryEvent,
    RunStatus,
    StateEvent,
    ToolCallEvent,
    ToolResultEvent,
    TraceEvent,
    Usage,
)
from .index import ToolCallRecord
from .run import (
    ANSWER_NOT_RECORDED,
    TRACE_FORMAT,
    RunMetadata,
    RunTotals,
    SourceInfo,
    TraceRun,
    parse_ts,
    runs_to_json,
)
from .runner_output import RunnerOutput, RunnerToolCall

__all__ = [
    "ANSWER_NOT_RECORDED",
    "EVENT_TYPES",
    "RUN_STATUSES",
    "STRUCTURE",
    "TRACE_FORMAT",
    "ApprovalEvent",
    "ChatMessage",
    "CustomEvent",
    "ErrorEvent",
    "FinalOutputEvent",
    "InputMessageEvent",
    "LlmCallEvent",
    "Name",
    "RequestedToolCall",
    "RetryEvent",
    "RunMetadata",
    "RunStatus",
    "RunTotals",
    "RunnerOutput",
    "RunnerToolCall",
    "SourceInfo",
    "StateEvent",
    "ToolCallEvent",
    "ToolCallRecord",
    "ToolResultEvent",
    "TraceEvent",
    "TraceRun",
    "Usage",
    "parse_ts",
    "runs_to_json",
]
