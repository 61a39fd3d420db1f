"""Anthropic Messages: ``POST /v1/messages``, JSON and the SSE event sequence from
``message_start`` to ``message_stop`` (``tool_use`` blocks, ``input_json_delta``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ...model.chat import ChatFormatError, tool_names
from ..models import Answer
from ._prefix import ConversationCache, KeyCache
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


def _known_role(message: dict[str, Any]) -> None:
    if message.get("role") not in ("user", "assistant"):
        raise BadRequest(f"unknown message role {message.get('role')!r}")


class AnthropicMessages(WireProtocol):
    name = "anthropic.messages"
    path = "/v1/messages"

    def __init__(self) -> None:
        self.conversations = ConversationCache()
        self.keys = KeyCache()

    def read(self, body: dict[str, Any]) -> WireRequest:
        """The request read as a trace's Anthropic messages are (``model.chat``); the
        messages the last request sent are not read again (``_prefix``)."""
        messages = items(body, "messages")
        try:
            conversation = self.conversations.read(messages, system=body.get("system"),
                                                   check=_known_role)
            tools = tool_names(items(body, "tools"))
        except ChatFormatError as exc:
            raise BadRequest(str(exc)) from None
        return WireRequest(instructions=conversation.instructions or "",
                           messages=conversation.messages, tools=tools,
                           model=model_name(body), stream=flag(body, "stream"),
                           keys=self.keys)

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
