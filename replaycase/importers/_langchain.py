"""LangChain's messages and results as LangSmith records them, in OpenAI's chat terms, for
``model.chat`` to read (``read_recorded``).

A message is an OpenAI Chat Completions dict, or a LangChain message: serialized
(``{"id": [..., "HumanMessage"], "kwargs": {...}}``) or plain (``{"type": "human",
"content"}``), its tool calls ``{"name", "args", "id"}``.
"""

from __future__ import annotations

from typing import Any

_CLASSES = {"SystemMessage": "system", "HumanMessage": "human", "AIMessage": "ai",
            "AIMessageChunk": "ai", "ToolMessage": "tool", "FunctionMessage": "tool"}


def chat_messages(messages: Any) -> list[Any] | None:
    """The messages as chat dicts, also nested one list deep (a chat model's batch of one);
    None when they are not a list."""
    if isinstance(messages, list) and len(messages) == 1 and isinstance(messages[0], list):
        messages = messages[0]
    if not isinstance(messages, list):
        return None
    return [_chat_message(m) for m in messages if isinstance(m, dict)]


def _chat_message(message: dict[str, Any]) -> dict[str, Any]:
    kwargs = message.get("kwargs")
    if isinstance(kwargs, dict):
        kind = message.get("id")
        message = {**kwargs, "type": kwargs.get("type") or (
            _CLASSES.get(kind[-1]) if isinstance(kind, list) and kind else None)}
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        calls = [{"id": c.get("id"), "function": {"name": c["name"], "arguments": c.get("args")}}
                 if isinstance(c, dict) and "function" not in c and "name" in c else c
                 for c in calls]
    content = message.get("content")
    if calls and isinstance(content, list):  # Anthropic's tool_use blocks repeat the calls
        content = [b for b in content if not (isinstance(b, dict) and b.get("type") == "tool_use")]
    return {**message, "role": message.get("role", message.get("type")), "content": content,
            "tool_calls": calls}


def finish_reason(response: Any) -> str | None:
    """The first choice's ``finish_reason`` of an OpenAI response dict, or the first
    generation's (LangChain ``generation_info``)."""
    if not isinstance(response, dict):
        return None
    first: Any = None
    if isinstance(response.get("choices"), list) and response["choices"]:
        first = response["choices"][0]
    elif isinstance(response.get("generations"), list) and response["generations"]:
        first = response["generations"][0]
        first = first[0] if isinstance(first, list) and first else first
        first = first.get("generation_info") if isinstance(first, dict) else None
    reason = first.get("finish_reason") if isinstance(first, dict) else None
    return reason if isinstance(reason, str) and reason else None
