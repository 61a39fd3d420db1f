"""Anthropic Messages: ``POST /v1/messages``, JSON and the SSE event sequence from
``message_start`` to ``message_stop`` (``tool_use`` blocks, ``input_json_delta``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ...model import ChatMessage, RequestedToolCall
from ..models import Answer
from ._wire import (
    BadRequest,
    Reply,
    WireProtocol,
    WireRequest,
    arguments_object,
    flag,
    is_cut_short,
    items,
    model_name,
    sse,
    text_of,
    tokens,
)

_ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
                413: "request_too_large", 429: "rate_limit_error", 500: "api_error"}


def _stop_reason(answer: Answer) -> str:
    if answer.tool_calls:
        return "tool_use"
    if is_cut_short(answer):
        return "max_tokens"
    return "stop_sequence" if answer.stop_reason == "stop_sequence" else "end_turn"


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return items({"content": content}, "content")


def _user(content: Any) -> list[ChatMessage]:
    """A user turn: its runs of text blocks are user messages, each tool result a tool one."""
    out: list[ChatMessage] = []
    texts: list[str] = []
    for block in _blocks(content):
        if block.get("type") == "tool_result":
            if texts:
                out.append(ChatMessage(role="user", text="\n".join(texts)))
                texts = []
            call_id = block.get("tool_use_id")
            out.append(ChatMessage(role="tool", text=text_of(block.get("content")),
                                   call_id=call_id if isinstance(call_id, str) else None,
                                   is_error=block.get("is_error") is True))
        elif block.get("type") == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
    if texts or not out:
        out.append(ChatMessage(role="user", text="\n".join(texts)))
    return out


def _assistant(content: Any) -> ChatMessage:
    texts: list[str] = []
    calls: list[RequestedToolCall] = []
    for block in _blocks(content):
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif block.get("type") in ("tool_use", "server_tool_use"):
            if not isinstance(block.get("name"), str):
                raise BadRequest("a tool_use block must have a name")
            calls.append(RequestedToolCall(tool_name=block["name"], tool_args=block.get("input"),
                                           call_id=block.get("id")))
    return ChatMessage(role="assistant", text="\n".join(texts), tool_calls=calls)


class AnthropicMessages(WireProtocol):
    name = "anthropic.messages"
    path = "/v1/messages"

    def read(self, body: dict[str, Any]) -> WireRequest:
        messages: list[ChatMessage] = []
        for message in items(body, "messages"):
            role = message.get("role")
            if role == "user":
                messages += _user(message.get("content"))
            elif role == "assistant":
                messages.append(_assistant(message.get("content")))
            else:
                raise BadRequest(f"unknown message role {role!r}")
        tools = [tool["name"] for tool in items(body, "tools") if isinstance(tool.get("name"), str)]
        return WireRequest(instructions=text_of(body.get("system")), messages=messages,
                           tools=tools, model=model_name(body), stream=flag(body, "stream"))

    def json_answer(self, reply: Reply) -> dict[str, Any]:
        answer = reply.answer
        return {**self._message(reply), "content": self._content(reply),
                "stop_reason": _stop_reason(answer), "usage": self._usage(answer)}

    def stream_answer(self, reply: Reply) -> Iterator[bytes]:
        answer = reply.answer
        start = {**self._message(reply), "content": [], "stop_reason": None,
                 "usage": {**self._usage(answer), "output_tokens": 0}}
        yield _event("message_start", message=start)
        for index, block in enumerate(self._content(reply)):
            if block["type"] == "text":
                yield _event("content_block_start", index=index,
                             content_block={"type": "text", "text": ""})
                if block["text"]:
                    yield _event("content_block_delta", index=index,
                                 delta={"type": "text_delta", "text": block["text"]})
            else:
                yield _event("content_block_start", index=index,
                             content_block={**block, "input": {}})
                yield _event("content_block_delta", index=index,
                             delta={"type": "input_json_delta",
                                    "partial_json": json.dumps(block["input"],
                                                               ensure_ascii=False)})
            yield _event("content_block_stop", index=index)
        yield _event("message_delta",
                     delta={"stop_reason": _stop_reason(answer), "stop_sequence": None},
                     usage={"output_tokens": self._usage(answer)["output_tokens"]})
        yield _event("message_stop")

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        return anthropic_error(status, message)

    def _message(self, reply: Reply) -> dict[str, Any]:
        return {"id": f"msg_{reply.base_id}", "type": "message", "role": "assistant",
                "model": reply.model, "stop_sequence": None}

    def _content(self, reply: Reply) -> list[dict[str, Any]]:
        answer = reply.answer
        content: list[dict[str, Any]] = []
        if answer.text or not answer.tool_calls:
            content.append({"type": "text", "text": answer.text})
        content += [{"type": "tool_use", "id": f"toolu_{reply.base_id}_{i}", "name": call.name,
                     "input": arguments_object(call)}
                    for i, call in enumerate(answer.tool_calls)]
        return content

    def _usage(self, answer: Answer) -> dict[str, Any]:
        usage = answer.usage
        return {"input_tokens": tokens(usage.input_tokens if usage else None),
                "output_tokens": tokens(usage.output_tokens if usage else None)}


def _event(kind: str, **fields: Any) -> bytes:
    return sse({"type": kind, **fields}, kind)


def anthropic_error(status: int, message: str) -> dict[str, Any]:
    """An error body in Anthropic's shape."""
    kind = _ERROR_TYPES.get(status, "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": message}}
