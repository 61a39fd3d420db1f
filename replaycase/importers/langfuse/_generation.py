"""One model call from a Langfuse GENERATION (with the generations nested inside it, which
frameworks log for the same call): model, usage, the conversation, the answer, the tools."""

from __future__ import annotations

import re
from typing import Any

from ..._jsonio import json_in_text
from ...model import LlmCallEvent, RequestedToolCall, Usage
from ...model.chat import (
    ChatFormatError,
    assistant_text,
    read_recorded,
    recorded_tool_names,
    tool_calls_of,
)
from .._agents_responses import answer_of, input_messages, is_response
from ._messages import as_chat, is_tool_definition, tool_definitions
from ._obs import Observation

_LLM_TOOLS = re.compile(r"llm\.tools\.\d+\.tool\.json_schema")
_TOOL_ATTRS = ("gen_ai.tool.definitions", "ai.prompt.tools", "llm.tools")


def _conversation(group: list[Observation]) -> tuple[str | None, Any]:
    """The instructions and chat messages of the first member whose input holds messages;
    a bare string is a prompt only for a generation that stands alone."""
    for obs in group:
        value = obs.input
        if isinstance(value, str) and len(group) > 1:
            continue
        if isinstance(value, list) and is_response(obs.output):
            chat = input_messages(value, obs.output.get("instructions"))
        else:
            chat = as_chat(value)
        if chat:
            chat = [m for m in chat if not is_tool_definition(m)]
            return read_recorded(chat)
    return None, None


def _answer(group: list[Observation]) -> tuple[str | None, list[RequestedToolCall], Any]:
    """The answer text, requested calls and raw response of the first member whose output
    reads as messages (a bare string last)."""
    fallback: tuple[str | None, list[RequestedToolCall], Any] = (None, [], None)
    for obs in group:
        value = obs.output
        if is_response(value):
            text, calls = answer_of([value], f"{obs.where}.output")
            return text or "", calls, value
        if isinstance(value, dict) and isinstance(value.get("choices"), list) \
                and value["choices"] and isinstance(value["choices"][0], dict):
            value = value["choices"][0].get("message")
        if isinstance(value, str):
            if fallback[2] is None:
                fallback = (value, [], obs.output)
            continue
        chat = as_chat(value, role="assistant")
        if chat:
            said = [m for m in chat if m.get("role") == "assistant"]
            text = "".join(_said(m.get("content")) for m in said)
            calls = [c for m in said for c in tool_calls_of(m, "output", strict=False)]
            return text, calls, obs.output
    return fallback


def _said(content: Any) -> str:
    """An assistant message's text; "" for content it cannot read."""
    try:
        return assistant_text(content, "output")
    except ChatFormatError:
        return ""


def _offered(group: list[Observation]) -> list[str] | None:
    names: list[str] = []
    for obs in group:
        sources: list[Any] = [obs.raw.get("toolDefinitions"), tool_definitions(obs.input)]
        sources += [obs.attrs.get(key) for key in _TOOL_ATTRS]
        sources.append([obs.attrs[k] for k in obs.attrs if _LLM_TOOLS.fullmatch(k)])
        request = obs.attrs.get("model_request_parameters")
        if isinstance(request, dict):
            sources.append(request.get("function_tools"))
        if is_response(obs.output):
            sources.append(obs.output.get("tools"))
        for source in sources:
            source = json_in_text(source)
            if isinstance(source, dict):
                source = list(source.values()) if all(
                    isinstance(v, dict) for v in source.values()) else list(source)
            for name in recorded_tool_names(source) or ():
                if name not in names:
                    names.append(name)
    return names or None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if value >= 0 and value == int(value) else None


def _usage(obs: Observation) -> Usage | None:
    raw = obs.raw
    details = raw.get("usageDetails")
    usage = raw.get("usage")
    found: dict[str, int | None] = {}
    if isinstance(details, dict) and details:
        found = {"input_tokens": _count(details.get("input")),
                 "output_tokens": _count(details.get("output")),
                 "total_tokens": _count(details.get("total"))}
    elif isinstance(usage, dict):
        found = {"input_tokens": _count(usage.get("input", usage.get("promptTokens"))),
                 "output_tokens": _count(usage.get("output", usage.get("completionTokens"))),
                 "total_tokens": _count(usage.get("total", usage.get("totalTokens")))}
    costs = raw.get("costDetails")
    cost = costs.get("total") if isinstance(costs, dict) else None
    if cost is None:
        cost = raw.get("calculatedTotalCost", raw.get("totalCost"))
    cost_usd = float(cost) if isinstance(cost, (int, float)) and not isinstance(
        cost, bool) and cost > 0 else None
    if not any(v is not None for v in found.values()) and cost_usd is None:
        return None
    return Usage(**found, cost_usd=cost_usd)


def _stop_reason(group: list[Observation], response: Any) -> str | None:
    if isinstance(response, dict):
        choices = response.get("choices")
        first = choices[0] if isinstance(choices, list) and choices else response
        reason = first.get("finish_reason") if isinstance(first, dict) else None
        if isinstance(reason, str) and reason:
            return reason
    for obs in group:
        reasons = json_in_text(obs.attrs.get("gen_ai.response.finish_reasons"))
        if isinstance(reasons, list) and reasons and isinstance(reasons[0], str):
            return reasons[0]
        reason = obs.attrs.get("ai.response.finishReason")
        if isinstance(reason, str) and reason:
            return reason
    return None


def _model(group: list[Observation]) -> str | None:
    for obs in group:
        for value in (obs.raw.get("model"), obs.raw.get("providedModelName"),
                      obs.attrs.get("gen_ai.response.model"),
                      obs.attrs.get("gen_ai.request.model")):
            if isinstance(value, str) and value:
                return value
    return None


def llm_call(group: list[Observation]) -> LlmCallEvent:
    """The model call of an outermost GENERATION and the generations nested in it."""
    outer = group[0]
    instructions, messages = _conversation(group)
    text, calls, response = _answer(group)
    failed = next((o for o in group if o.failed), None)
    return LlmCallEvent(
        seq=0, **outer.common(), model=_model(group), request=outer.input,
        response=response, tool_calls=calls, usage=_usage(outer),
        latency_ms=outer.common()["duration_ms"],
        error=(failed.status_message or f"generation {failed.name!r} failed")
        if failed is not None else None,
        instructions=instructions, messages=messages, tools_offered=_offered(group),
        output_text=text if response is not None else None,
        stop_reason=_stop_reason(group, response))
