"""What a span means: GenAI semantic conventions and OpenInference attributes read as one.

A span is a model call (``llm``), a tool execution (``tool``) or anything else (``other``:
agents, chains, the root). Both vocabularies are tried, current names before older ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ...model import ChatMessage, Usage
from ...model.chat import read_recorded, recorded_tool_names
from ...model.content_parts import readable_content
from ...model.error_text import exception_parts
from . import _messages as msg
from ._spans import Span
from ._values import parse_json_text

Role = Literal["llm", "tool", "other"]

_LLM_OPERATIONS = {"chat", "text_completion", "generate_content", "completion"}
_TOOL_OPERATIONS = {"execute_tool"}
_OTHER_OPERATIONS = {"invoke_agent", "create_agent", "invoke_workflow", "embeddings"}
_LEGACY_EVENTS = {
    "gen_ai.content.prompt", "gen_ai.content.completion",
    "gen_ai.client.inference.operation.details",
}
_MESSAGE_KEYS = ("gen_ai.prompt", "gen_ai.completion", "gen_ai.input.messages",
                 "gen_ai.output.messages", "llm.input_messages", "llm.output_messages")
_INPUT_TOKENS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
                 "llm.token_count.prompt", "llm.usage.prompt_tokens")
_OUTPUT_TOKENS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                  "llm.token_count.completion", "llm.usage.completion_tokens")
_TOTAL_TOKENS = ("gen_ai.usage.total_tokens", "llm.token_count.total",
                 "llm.usage.total_tokens")


_MESSAGE_EVENTS = {"gen_ai.system.message": "system", "gen_ai.user.message": "user",
                   "gen_ai.assistant.message": "assistant", "gen_ai.tool.message": "tool"}


def lookup(span: Span) -> dict[str, Any]:
    """The span's attributes, plus those of GenAI content events it lacks: the older content
    events' attributes, and message events (log records, ``_logs``) as ``gen_ai.prompt`` and
    ``gen_ai.completion`` in the chat form."""
    extra: dict[str, Any] = {}
    prompt: list[dict[str, Any]] = []
    completion: list[Any] = []
    for event in span.events:
        body = event.attrs.get("body")
        body = body if isinstance(body, dict) else {}
        if event.name in _LEGACY_EVENTS:
            extra.update(event.attrs)
        elif event.name in _MESSAGE_EVENTS:
            prompt.append({**body, "role": _MESSAGE_EVENTS[event.name],
                           "tool_call_id": body.get("tool_call_id", body.get("id"))})
        elif event.name == "gen_ai.choice" and isinstance(body.get("message"), dict):
            completion.append(body["message"])
    if prompt:
        extra["gen_ai.prompt"] = prompt
    if completion:
        extra["gen_ai.completion"] = completion
    return {**extra, **span.attrs} if extra else span.attrs


def first(attrs: dict[str, Any], *keys: str) -> Any:
    """The first of ``keys`` present with a value."""
    for key in keys:
        value = attrs.get(key)
        if value is not None and value != "":
            return value
    return None


def role(span: Span) -> Role:
    """``llm``, ``tool`` or ``other``, from OpenInference's span kind or GenAI's operation."""
    attrs = span.attrs
    kind = attrs.get("openinference.span.kind")
    if isinstance(kind, str) and kind.strip():
        kind = kind.strip().upper()
        return "llm" if kind == "LLM" else "tool" if kind == "TOOL" else "other"
    operation = first(attrs, "gen_ai.operation.name", "llm.request.type")
    if isinstance(operation, str):
        operation = operation.strip().lower()
        if operation in _LLM_OPERATIONS:
            return "llm"
        if operation in _TOOL_OPERATIONS:
            return "tool"
        if operation in _OTHER_OPERATIONS:
            return "other"
    if first(attrs, "gen_ai.tool.name", "gen_ai.tool.call.id") is not None:
        return "tool"
    if "gen_ai.agent.name" in attrs:
        return "other"
    if any(k.startswith(_MESSAGE_KEYS) for k in lookup(span)):
        return "llm"
    return "other"


@dataclass
class LlmFields:
    """What a model-call span says."""

    model: str | None
    inputs: list[msg.Message]
    outputs: list[msg.Message]
    request: Any
    usage: Usage | None
    # The model tape's parts (DESIGN 8); None where the span did not record them.
    instructions: str | None = None
    messages: list[ChatMessage] | None = None
    tools: list[str] | None = None
    output_text: str | None = None
    stop_reason: str | None = None


def llm_fields(span: Span) -> LlmFields:
    attrs = lookup(span)
    inputs = input_messages(attrs)
    system = msg.system_message(attrs.get("gen_ai.system_instructions"))
    if system is not None and not any(m.role == "system" for m in inputs):
        inputs = [system, *inputs]
    request: Any = [m.as_dict() for m in inputs] if inputs else None
    request = readable_content(request if request is not None else io_value(attrs, "input"))
    model = first(attrs, "gen_ai.response.model", "gen_ai.request.model", "llm.model_name",
                  "llm.response.model", "llm.request.model") or requested_model(attrs)
    outputs = output_messages(attrs)
    instructions, messages = read_recorded([
        {"role": m.role, "content": m.content, "tool_calls": m.tool_calls,
         "tool_call_id": m.tool_call_id} for m in inputs] or None)
    return LlmFields(
        model=str(model) if model is not None else None,
        inputs=inputs,
        outputs=outputs,
        request=request,
        usage=usage(attrs),
        instructions=instructions,
        messages=messages,
        tools=offered_tools(attrs),
        output_text=(msg.response_text(outputs) or "") if outputs else None,
        stop_reason=stop_reason(attrs),
    )


def requested_model(attrs: dict[str, Any]) -> Any:
    """The model a request asked for where OpenInference records only the request (a failed
    call): ``llm.invocation_parameters`` JSON, else the ``input.value`` request body."""
    for value in (parse_json_text(attrs.get("llm.invocation_parameters")),
                  io_value(attrs, "input")):
        if isinstance(value, dict) and isinstance(value.get("model"), str) and value["model"]:
            return value["model"]
    return None


def offered_tools(attrs: dict[str, Any]) -> list[str] | None:
    """The tool names a request offered: GenAI ``gen_ai.tool.definitions``, OpenInference
    ``llm.tools.K.tool.json_schema``, else the ``tools`` of the request in ``input.value``."""
    found = recorded_tool_names(attrs.get("gen_ai.tool.definitions"))
    if found is not None:
        return found
    flat = msg.unflatten(attrs, "llm.tools")
    if isinstance(flat, list):
        return recorded_tool_names([t["tool"].get("json_schema") for t in flat
                                    if isinstance(t, dict) and isinstance(t.get("tool"), dict)])
    request = io_value(attrs, "input")
    return recorded_tool_names(request.get("tools")) if isinstance(request, dict) else None


def stop_reason(attrs: dict[str, Any]) -> str | None:
    """The first finish reason: ``gen_ai.response.finish_reasons``, else the first choice's
    in OpenInference's ``output.value``."""
    reasons = attrs.get("gen_ai.response.finish_reasons")
    if isinstance(reasons, str):
        reasons = [reasons]
    if not isinstance(reasons, list) or not reasons:
        body = parse_json_text(attrs.get("output.value"))
        choices = body.get("choices") if isinstance(body, dict) else None
        reasons = [c.get("finish_reason") for c in choices if isinstance(c, dict)] \
            if isinstance(choices, list) else []
    first_reason = reasons[0] if reasons else None
    return first_reason if isinstance(first_reason, str) and first_reason else None


def input_messages(attrs: dict[str, Any]) -> list[msg.Message]:
    for value in _input_candidates(attrs):
        if value is not None:
            found = msg.messages(value)
            if found:
                return found
    return []


def output_messages(attrs: dict[str, Any]) -> list[msg.Message]:
    for value in _output_candidates(attrs):
        if value is not None:
            found = msg.messages(value)
            if found:
                for item in found:
                    item.role = item.role or "assistant"
                return found
    return []


def _input_candidates(attrs: dict[str, Any]) -> Iterator[Any]:
    """Where a span may hold its input messages, newest convention first; each place is
    looked at only when the ones before it hold nothing (unflattening keys costs)."""
    yield attrs.get("gen_ai.input.messages")
    yield attrs.get("gen_ai.prompt")
    yield msg.unflatten(attrs, "gen_ai.prompt")
    yield msg.unflatten(attrs, "llm.input_messages")


def _output_candidates(attrs: dict[str, Any]) -> Iterator[Any]:
    """Where a span may hold its output messages, as ``_input_candidates``."""
    yield attrs.get("gen_ai.output.messages")
    yield attrs.get("gen_ai.completion")
    yield msg.unflatten(attrs, "gen_ai.completion")
    yield msg.unflatten(attrs, "llm.output_messages")
    yield _choices(attrs)


def _choices(attrs: dict[str, Any]) -> Any:
    """The messages of an OpenAI response held in ``output.value``."""
    body = parse_json_text(attrs.get("output.value"))
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        return None
    return [c.get("message") for c in body["choices"] if isinstance(c, dict)] or None


def usage(attrs: dict[str, Any]) -> Usage | None:
    found = Usage(
        input_tokens=_count(first(attrs, *_INPUT_TOKENS)),
        output_tokens=_count(first(attrs, *_OUTPUT_TOKENS)),
        total_tokens=_count(first(attrs, *_TOTAL_TOKENS)),
        cost_usd=_cost(attrs.get("llm.cost.total")),
    )
    return found if found.model_dump(exclude_none=True) else None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None


def _cost(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


@dataclass
class ToolFields:
    """What a tool-execution span says."""

    name: str
    args: Any
    call_id: str | None
    result: Any


def tool_fields(span: Span) -> ToolFields:
    attrs = span.attrs
    name = first(attrs, "gen_ai.tool.name", "tool.name", "tool_call.function.name")
    if name is None:
        name = span.name.removeprefix("execute_tool ").strip() or "unknown"
    # pydantic-ai's instrumentation version 2 writes ``tool_arguments`` / ``tool_response``
    args = first(attrs, "gen_ai.tool.call.arguments", "tool_call.function.arguments",
                 "tool_arguments")
    if args is None:
        args = io_value(attrs, "input")
    call_id = first(attrs, "gen_ai.tool.call.id", "tool_call.id", "tool.id")
    result = first(attrs, "gen_ai.tool.call.result", "tool_response")
    return ToolFields(
        name=str(name),
        args=parse_json_text(args),
        call_id=str(call_id) if call_id is not None else None,
        result=parse_json_text(result) if result is not None else io_value(attrs, "output"),
    )


REDACTED = "__REDACTED__"
"""What OpenInference writes for a value its ``TraceConfig`` hides (``hide_outputs``…)."""


def io_value(attrs: dict[str, Any], which: str) -> Any:
    """OpenInference ``input.value`` / ``output.value``, parsed when it is JSON."""
    value = attrs.get(f"{which}.value")
    if value == REDACTED:  # OpenInference's TraceConfig hid it: not recorded
        return None
    mime = attrs.get(f"{which}.mime_type")
    if isinstance(mime, str) and "json" not in mime.lower():
        return value
    return parse_json_text(value)


def run_input(span: Span) -> Any:
    """The question a root or agent span was given, when it records one."""
    attrs = lookup(span)
    found = msg.user_content(input_messages(attrs))
    return found if found is not None else readable_content(io_value(attrs, "input"))


def run_output(span: Span) -> Any:
    """The answer a root or agent span records: output messages' text or ``output.value``."""
    attrs = lookup(span)
    outputs = output_messages(attrs)
    if outputs and not any(m.tool_calls for m in outputs):
        text = msg.response_text(outputs)
        if text is not None:
            return text
    return io_value(attrs, "output")


_RUN_KINDS = {"AGENT", "CHAIN"}
_RUN_OPERATIONS = {"invoke_agent", "invoke_workflow"}
_WRAPPER_KEYS = {"openinference.span.kind", "gen_ai.operation.name", "session.id", "user.id"}


def is_run_span(span: Span) -> bool:
    """An agent or chain: OpenInference AGENT / CHAIN, GenAI ``invoke_agent`` / workflow."""
    kind = span.attrs.get("openinference.span.kind")
    if isinstance(kind, str) and kind.strip():
        return kind.strip().upper() in _RUN_KINDS
    operation = span.attrs.get("gen_ai.operation.name")
    return isinstance(operation, str) and operation.strip().lower() in _RUN_OPERATIONS


def is_wrapper(span: Span) -> bool:
    """A span that records nothing but its kind (the Agents SDK instrumentation's
    ``Agent workflow`` spans): it stands for no agent of its own."""
    return set(span.attrs) <= _WRAPPER_KEYS


def error_of(span: Span) -> tuple[str, str | None] | None:
    """(message, type) when the span failed or recorded an exception, else None."""
    exceptions = span.exceptions()
    if not span.failed and not exceptions:
        return None
    last = exceptions[-1].attrs if exceptions else {}
    text = (first(last, "exception.message") or span.status_message
            or first(last, "exception.stacktrace"))
    kind = first(span.attrs, "error.type") or first(last, "exception.type")
    message = None
    if text is not None:  # a traceback in the message (or only the stack trace) left out
        message, parsed = exception_parts(str(text))
        kind = kind if kind is not None else parsed
    if message is None:
        message = f"{kind}" if kind else f"span {span.name!r} ended with status ERROR"
    # OpenTelemetry records the qualified name (``__main__.ToolLoopError``): its last part
    return str(message), str(kind).rsplit(".", 1)[-1] if kind is not None else None
