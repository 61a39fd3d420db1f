"""OpenAI Responses: ``POST /v1/responses``, JSON and the SSE event sequence from
``response.created`` to ``response.completed``; ``previous_response_id`` is expanded from the
server's own store of the responses it gave."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from ...model import ChatMessage, RequestedToolCall
from ...model.chat import ChatFormatError, Conversation, join_instructions
from ...model.responses_items import as_chat_messages
from ..models import Answer
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
from .openai_chat import openai_error


class ResponseStore:
    """The conversations of the responses given, by response id (thread-safe): the history and
    the system and developer texts of its input items (``instructions`` is not carried over)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._histories: dict[str, tuple[list[str], list[ChatMessage]]] = {}
        self._items: dict[str, list[Any]] = {}

    def keep(self, response_id: str, history: list[ChatMessage],
             raw_items: list[Any] | None = None, instructions: list[str] | None = None) -> None:
        with self._lock:
            self._histories[response_id] = (list(instructions or []), list(history))
            self._items[response_id] = raw_items or []

    def items(self, response_id: str) -> list[Any] | None:
        """The input items and output of a response given, as the wire carried them."""
        with self._lock:
            found = self._items.get(response_id)
        return None if found is None else list(found)

    def conversation(self, response_id: str) -> tuple[list[str], list[ChatMessage]] | None:
        """The input's instruction texts and the history, copied; None when unknown."""
        with self._lock:
            found = self._histories.get(response_id)
        return None if found is None else (list(found[0]), list(found[1]))


def _add_assistant(messages: list[ChatMessage], text: str,
                   calls: list[RequestedToolCall]) -> None:
    """Consecutive assistant items (messages and function calls) are one assistant message."""
    last = messages[-1] if messages else None
    if last is not None and last.role == "assistant":
        joined = last.text + text  # as the parts of one message are joined
        messages[-1] = ChatMessage(role="assistant", text=joined,
                                   tool_calls=[*last.tool_calls, *calls])
    else:
        messages.append(ChatMessage(role="assistant", text=text, tool_calls=calls))


def _read_input(value: Any, instructions: list[str]) -> list[ChatMessage]:
    """The input items as ``ChatMessage`` s, read as a logged list of items is
    (``model.responses_items``, then ``model.chat``); system and developer texts go to
    ``instructions``. Items the conversation has no place for (reasoning, item references,
    hosted tools' calls) are left out."""
    if isinstance(value, str):
        return [ChatMessage(role="user", text=value)]
    conversation = Conversation()
    for index, message in enumerate(as_chat_messages(items({"input": value}, "input"),
                                                     unknown="skip")):
        conversation.add(message, f"input[{index}]")
    instructions += conversation.parts
    return conversation.messages


def _tool_names(body: dict[str, Any]) -> list[str]:
    return [tool["name"] for tool in items(body, "tools") if isinstance(tool.get("name"), str)]


def _status(answer: Answer) -> str:
    return "incomplete" if is_cut_short(answer) and not answer.tool_calls else "completed"


def _usage(answer: Answer) -> dict[str, Any] | None:
    if answer.usage is None:
        return None
    given, made = tokens(answer.usage.input_tokens), tokens(answer.usage.output_tokens)
    return {"input_tokens": given, "output_tokens": made, "total_tokens": given + made,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0}}


class OpenAIResponses(WireProtocol):
    name = "openai.responses"
    path = "/v1/responses"

    def __init__(self, store: ResponseStore | None = None) -> None:
        self.store = store or ResponseStore()

    def read(self, body: dict[str, Any]) -> WireRequest:
        """The request, with the conversation of ``previous_response_id`` before its input:
        that conversation's system and developer input items too, but not its
        ``instructions`` (as OpenAI does: only the request's own apply)."""
        given = body.get("instructions")
        own = [given] if isinstance(given, str) and given else []
        carried: list[str] = []
        messages: list[ChatMessage] = []
        previous = body.get("previous_response_id")
        if previous is not None:
            found = self.store.conversation(previous) if isinstance(previous, str) else None
            if found is None:
                raise BadRequest(f"Previous response with id '{previous}' not found.")
            carried, messages = found
        try:
            given_messages = _read_input(body.get("input"), carried)
        except ChatFormatError as exc:
            raise BadRequest(str(exc)) from None
        for message in given_messages:
            if message.role == "assistant":
                _add_assistant(messages, message.text, list(message.tool_calls))
            else:
                messages.append(message)
        return WireRequest(instructions=join_instructions(own + carried), messages=messages,
                           tools=_tool_names(body), model=model_name(body),
                           stream=flag(body, "stream"), input_instructions=carried)

    def answered(self, request: WireRequest, reply: Reply) -> None:
        calls = [RequestedToolCall(tool_name=call.name, tool_args=call.arguments,
                                   call_id=_call_id(reply, i))
                 for i, call in enumerate(reply.answer.tool_calls)]
        history = list(request.messages)
        _add_assistant(history, reply.answer.text, calls)
        raw = self.forwardable(reply.extra)["input"]
        self.store.keep(_response_id(reply), history, [*raw, *self._output(reply)],
                        request.input_instructions)

    def forwardable(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body with ``previous_response_id`` (an id of this server's) expanded into the
        input items it stands for."""
        given = body.get("input")
        given = [{"role": "user", "content": given}] if isinstance(given, str) else \
            list(given) if isinstance(given, list) else []
        previous = body.get("previous_response_id")
        before = self.store.items(previous) if isinstance(previous, str) else None
        if before is None:
            return {**body, "input": given}
        rest = {name: value for name, value in body.items() if name != "previous_response_id"}
        return {**rest, "input": [*before, *given]}

    def json_answer(self, reply: Reply) -> dict[str, Any]:
        return self._response(reply, _status(reply.answer), self._output(reply))

    def stream_answer(self, reply: Reply) -> Iterator[bytes]:
        events = _Events()
        yield events.emit("response.created", response=self._response(reply, "in_progress", []))
        yield events.emit("response.in_progress",
                          response=self._response(reply, "in_progress", []))
        for index, item in enumerate(self._output(reply)):
            yield from _item_events(events, index, item)
        final = _status(reply.answer)
        yield events.emit(f"response.{final}",
                          response=self._response(reply, final, self._output(reply)))

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        return openai_error(status, message, code)

    def _output(self, reply: Reply) -> list[dict[str, Any]]:
        answer = reply.answer
        output: list[dict[str, Any]] = []
        if answer.text or not answer.tool_calls:
            output.append({"type": "message", "id": f"msg_{reply.base_id}",
                           "status": "completed", "role": "assistant",
                           "content": [_text_part(answer.text)]})
        output += [{"type": "function_call", "id": f"fc_{reply.base_id}_{i}",
                    "call_id": _call_id(reply, i), "name": call.name,
                    "arguments": arguments_text(call), "status": "completed"}
                   for i, call in enumerate(answer.tool_calls)]
        return output

    def _response(self, reply: Reply, status: str,
                  output: list[dict[str, Any]]) -> dict[str, Any]:
        body = reply.extra
        done = status in ("completed", "incomplete")
        return {
            "id": _response_id(reply), "object": "response", "created_at": 0,
            "status": status, "model": reply.model, "output": output,
            "instructions": body.get("instructions"), "metadata": body.get("metadata") or {},
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools") or [],
            "previous_response_id": body.get("previous_response_id"),
            "temperature": None, "top_p": None, "error": None,
            "incomplete_details": ({"reason": "max_output_tokens"}
                                   if status == "incomplete" else None),
            "text": {"format": {"type": "text"}},
            "usage": _usage(reply.answer) if done else None,
        }


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


class _Events:
    """Responses stream events, numbered from 0."""

    def __init__(self) -> None:
        self.number = 0

    def emit(self, kind: str, **fields: Any) -> bytes:
        event = {"type": kind, "sequence_number": self.number, **fields}
        self.number += 1
        return sse(event, kind)


def _item_events(events: _Events, index: int, item: dict[str, Any]) -> Iterator[bytes]:
    at = {"output_index": index, "item_id": item["id"]}
    if item["type"] == "message":
        text = item["content"][0]["text"]
        yield events.emit("response.output_item.added", output_index=index,
                          item={**item, "status": "in_progress", "content": []})
        part = {**at, "content_index": 0}
        yield events.emit("response.content_part.added", **part, part=_text_part(""))
        if text:
            yield events.emit("response.output_text.delta", **part, delta=text, logprobs=[])
        yield events.emit("response.output_text.done", **part, text=text, logprobs=[])
        yield events.emit("response.content_part.done", **part, part=_text_part(text))
    else:
        yield events.emit("response.output_item.added", output_index=index,
                          item={**item, "status": "in_progress", "arguments": ""})
        yield events.emit("response.function_call_arguments.delta", **at,
                          delta=item["arguments"])
        yield events.emit("response.function_call_arguments.done", **at,
                          name=item["name"], arguments=item["arguments"])
    yield events.emit("response.output_item.done", output_index=index, item=item)


def _response_id(reply: Reply) -> str:
    return f"resp_{reply.base_id}"


def _call_id(reply: Reply, index: int) -> str:
    return f"call_{reply.base_id}_{index}"
