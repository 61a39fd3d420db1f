"""Tool executions in a Langfuse trace: TOOL observations (and spans named after a tool the
model asked for), their arguments, results and errors."""

from __future__ import annotations

from typing import Any

from ...model import RequestedToolCall
from ...model.tool_errors import framework_error_text
from ._obs import Observation

_PREFIXES = ("running tool: ", "execute_tool ")
"""PydanticAI's and Google ADK's tool observation names."""
_NAME_ATTRS = ("gen_ai.tool.name", "tool.name", "ai.toolCall.name")
_ID_ATTRS = ("gen_ai.tool.call.id", "ai.toolCall.id", "tool_call.id")
_ERROR_WORDS = ("error", "failed", "failure")


def tool_name(obs: Observation) -> str:
    """The tool's name: from the OTel attributes, else the observation's name."""
    for key in _NAME_ATTRS:
        value = obs.attrs.get(key)
        if isinstance(value, str) and value:
            return value
    for prefix in _PREFIXES:
        if obs.name.startswith(prefix):
            return obs.name[len(prefix):]
    return obs.name


def call_id(obs: Observation) -> str | None:
    for key in _ID_ATTRS:
        value = obs.attrs.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def match(pending: list[RequestedToolCall], obs: Observation, name: str,
          call_id: str | None) -> RequestedToolCall | None:
    """The requested call this tool execution answers: the one of its id, else the first of
    its name (with the same arguments, when one has them)."""
    if call_id is not None:
        found = next((c for c in pending if c.call_id == call_id), None)
        if found is not None:
            return found
    named = [c for c in pending if c.tool_name == name
             and (call_id is None or c.call_id is None)]
    same = [c for c in named if c.tool_args in (obs.input, _unwrapped(obs.input))]
    chosen = same or named
    return chosen[0] if chosen else None


def _unwrapped(value: Any) -> Any:
    return value["input"] if isinstance(value, dict) and set(value) == {"input"} else None


def arguments(obs: Observation, match: RequestedToolCall | None) -> Any:
    """The tool's input; ``{"input": args}`` (LangSmith's exporter) unwrapped when ``args``
    are the arguments the model asked for, and a span's (not a TOOL's) input is the
    requested arguments (frameworks log a function's input as its ``repr``)."""
    value = obs.input
    if match is not None and obs.type != "TOOL":
        return match.tool_args
    if match is not None and isinstance(value, dict) and set(value) == {"input"} \
            and value["input"] == match.tool_args:
        return match.tool_args
    return value


def reports_error(output: Any) -> bool:
    """Whether a tool's output says the tool failed: an error flag (MCP ``isError``), a
    ``response_status`` of ``"error"``, a ``status`` ``"error"`` with its message, or a
    framework's error text. Anything else is a result, however it reads."""
    if framework_error_text(output):
        return True
    if not isinstance(output, dict):
        return False
    if output.get("isError") is True or output.get("is_error") is True:
        return True
    status = output.get("response_status")
    if isinstance(status, str) and status.strip().lower() in _ERROR_WORDS:
        return True
    # A bare "status" may be the data's own (an order that failed): only a status "error"
    # that comes with its message is the tool's.
    status = output.get("status")
    return isinstance(status, str) and status.strip().lower() == "error" and any(
        isinstance(output.get(key), str) for key in ("error", "message"))


def result(obs: Observation) -> tuple[Any, bool]:
    """The tool's output and whether it failed (level ERROR, or an output that says so)."""
    output = obs.output
    if obs.failed:
        return (obs.status_message if output is None else output), True
    return output, reports_error(output)
