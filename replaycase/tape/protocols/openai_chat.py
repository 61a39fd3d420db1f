"""OpenAI Chat Completions: ``POST /v1/chat/completions``, JSON and SSE (tool-call deltas,
``stream_options.include_usage``, ``data: [DONE]``)."""

from __future__ import annotations

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
    arguments_text,
    flag,
    is_cut_short,
    items,
    model_name,
    sse,
    tokens,
)


def _finish_reason(answer: Answer) -> str:
    if answer.tool_calls:
        return "tool_calls"
    if is_cut_short(answer):
        return "length"
    return "content_filter" if answer.stop_reason == "content_filter" else "stop"


def _usage(answer: Answer) -> dict[str, Any] | None:
    if answer.usage is None:
        return None
    prompt, completion = tokens(answer.usage.input_tokens), tokens(answer.usage.output_tokens)
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


_ROLES = ("system", "developer", "user", "assistant", "tool", "function")


def _known_role(message: dict[str, Any]) -> None:
    if message.get("role") not in _ROLES:
        raise BadRequest(f"unknown message role {message.get('role')!r}")


class OpenAIChat(WireProtocol):
    name = "openai.chat"
    path = "/v1/chat/completions"

    def __init__(self) -> None:
        self.conversations = ConversationCache()
        self.keys = KeyCache()

    def read(self, body: dict[str, Any]) -> WireRequest:
        """The request read as a trace's Chat Completions messages are (``model.chat``);
        the messages the last request sent are not read again (``_prefix``)."""
        messages = items(body, "messages")
        try:
            conversation = self.conversations.read(messages, check=_known_role)
            tools = tool_names(items(body, "tools")) + tool_names(items(body, "functions"))
        except ChatFormatError as exc:
            raise BadRequest(str(exc)) from None
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        return WireRequest(instructions=conversation.instructions or "",
                           messages=conversation.messages, tools=tools,
                           model=model_name(body), stream=flag(body, "stream"),
                           include_usage=include_usage, keys=self.keys)

    def json_answer(self, reply: Reply) -> dict[str, Any]:
        answer = reply.answer
        message: dict[str, Any] = {"role": "assistant",
                                   "content": answer.text or (None if answer.tool_calls else ""),
                                   "refusal": None}
        if answer.tool_calls:
            message["tool_calls"] = [
                {"id": _call_id(reply, i), "type": "function",
                 "function": {"name": call.name, "arguments": arguments_text(call)}}
                for i, call in enumerate(answer.tool_calls)]
        return {**self._head(reply, "chat.completion"),
                "choices": [{"index": 0, "message": message, "logprobs": None,
                             "finish_reason": _finish_reason(answer)}],
                "usage": _usage(answer)}

    def stream_answer(self, reply: Reply) -> Iterator[bytes]:
        answer = reply.answer
        yield self._chunk(reply, {"role": "assistant", "content": "", "refusal": None})
        if answer.text:
            yield self._chunk(reply, {"content": answer.text})
        for i, call in enumerate(answer.tool_calls):
            yield self._chunk(reply, {"tool_calls": [
                {"index": i, "id": _call_id(reply, i), "type": "function",
                 "function": {"name": call.name, "arguments": ""}}]})
            yield self._chunk(reply, {"tool_calls": [
                {"index": i, "function": {"arguments": arguments_text(call)}}]})
        yield self._chunk(reply, {}, _finish_reason(answer))
        if reply.request.include_usage:
            usage = _usage(answer) or {"prompt_tokens": 0, "completion_tokens": 0,
                                       "total_tokens": 0}
            yield sse({**self._head(reply, "chat.completion.chunk"), "choices": [],
                       "usage": usage})
        yield sse("[DONE]")

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        return openai_error(status, message, code)

    def _head(self, reply: Reply, kind: str) -> dict[str, Any]:
        return {"id": f"chatcmpl-{reply.base_id}", "object": kind, "created": 0,
                "model": reply.model, "system_fingerprint": None}

    def _chunk(self, reply: Reply, delta: dict[str, Any], finish: str | None = None) -> bytes:
        chunk = {**self._head(reply, "chat.completion.chunk"),
                 "choices": [{"index": 0, "delta": delta, "logprobs": None,
                              "finish_reason": finish}]}
        if reply.request.include_usage:
            chunk["usage"] = None
        return sse(chunk)


def _call_id(reply: Reply, index: int) -> str:
    return f"call_{reply.base_id}_{index}"


def openai_error(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """An error body in OpenAI's shape (Chat Completions, Responses, models)."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
