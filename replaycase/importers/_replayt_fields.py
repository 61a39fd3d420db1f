"""Readers of the fields of a replayt payload: a field missing or of the wrong type is a
:class:`BadRecord` naming it (``payload.latency_ms: expected a number, got ...``)."""

from __future__ import annotations

import json
from typing import Any

from .._jsonio import json_in_text, json_kind
from ..model import ChatMessage, RequestedToolCall, Usage
from ..model.chat import ChatFormatError, read_conversation


class BadRecord(Exception):
    """A problem in one record; the importer adds the file and the line."""


def _wrong(key: str, expected: str, value: Any) -> BadRecord:
    return BadRecord(f"payload.{key}: expected {expected}, got {json_kind(value)}")


def opt_str(p: dict[str, Any], key: str) -> str | None:
    value = p.get(key)
    if value is not None and not isinstance(value, str):
        raise _wrong(key, "a string", value)
    return value


def req_str(p: dict[str, Any], key: str) -> str:
    value = opt_str(p, key)
    if value is None:
        raise BadRecord(f"payload.{key}: missing")
    return value


def opt_id(p: dict[str, Any], key: str) -> str | None:
    value = p.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _wrong(key, "a string", value)
    return str(value)


def opt_bool(p: dict[str, Any], key: str) -> bool | None:
    value = p.get(key)
    if value is not None and not isinstance(value, bool):
        raise _wrong(key, "true or false", value)
    return value


def opt_int(p: dict[str, Any], key: str) -> int | None:
    value = p.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise _wrong(key, "an integer", value)
    return value


def opt_num(p: dict[str, Any], key: str) -> float | None:
    value = p.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _wrong(key, "a number", value)
    return float(value)


def effective_model(p: dict[str, Any]) -> str | None:
    effective = p.get("effective")
    model = effective.get("model") if isinstance(effective, dict) else None
    return model if isinstance(model, str) else None


def tag_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [f"{key}:{item}" for key, item in value.items()]
    if isinstance(value, list):
        return [str(item) for item in value]
    raise _wrong("tags", "an object or a list", value)


_USAGE_KEYS = (("input_tokens", ("input_tokens", "prompt_tokens")),
               ("output_tokens", ("output_tokens", "completion_tokens")),
               ("total_tokens", ("total_tokens",)))


def read_usage(value: Any) -> Usage | None:
    """OpenAI-style usage (prompt/completion tokens) as a Usage; None when absent."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong("usage", "an object", value)
    fields: dict[str, int] = {}
    for field, names in _USAGE_KEYS:
        for name in names:
            count = value.get(name)
            if count is None:
                continue
            if isinstance(count, bool) or not isinstance(count, int):
                raise _wrong(f"usage.{name}", "an integer", count)
            fields[field] = count
            break
    return Usage(**fields) if fields else None


def error_parts(value: Any) -> tuple[str | None, str | None]:
    """(message, error type) of a replayt error object ``{type, module, message}``."""
    if value is None:
        return None, None
    if isinstance(value, str):
        return value, None
    if not isinstance(value, dict):
        raise _wrong("error", "an object or a string", value)
    message = value.get("message")
    if message is not None and not isinstance(message, str):
        message = json.dumps(message, sort_keys=True)
    error_type = value.get("type")
    return message or None, error_type if isinstance(error_type, str) and error_type else None


def requested_tool_calls(content: str | None) -> list[RequestedToolCall]:
    """Tool calls in a response written as OpenAI JSON text ``{"tool_calls": [...]}``."""
    if not content or '"tool_calls"' not in content:
        return []
    parsed = json_in_text(content)
    calls = parsed.get("tool_calls") if isinstance(parsed, dict) else None
    if not isinstance(calls, list):
        return []
    requested = []
    for call in calls:
        if not isinstance(call, dict):
            continue
        function = given if isinstance(given := call.get("function"), dict) else call
        name = function.get("name")
        if not isinstance(name, str):
            continue
        arguments = function.get("arguments")
        arguments = json_in_text(arguments)
        call_id = call.get("id")
        requested.append(RequestedToolCall(tool_name=name, tool_args=arguments,
                                           call_id=call_id if isinstance(call_id, str) else None))
    return requested


def request_messages(p: dict[str, Any]) -> tuple[str | None, list[ChatMessage] | None]:
    """(instructions, messages) of a full-mode ``llm_request``; (None, None) without them."""
    messages = p.get("messages")
    if messages is None:
        return None, None
    if not isinstance(messages, list):
        raise _wrong("messages", "a list", messages)
    try:
        instructions, chat = read_conversation(messages, where="payload.messages")
    except ChatFormatError as exc:
        raise BadRecord(str(exc)) from None
    return instructions or "", chat
