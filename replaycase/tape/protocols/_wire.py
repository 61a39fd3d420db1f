"""What the wire protocols share: a request read off the wire, the context an answer is written
in, SSE framing, and the small readers of message content."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ...model import ChatMessage
from ..key import make_key
from ..models import Answer, AnswerToolCall, MatchKey


class BadRequest(ValueError):
    """A request body the protocol cannot read: a 400 in the provider's shape."""


@dataclass
class WireRequest:
    """A model request read off the wire, before canonicalization."""

    instructions: str
    messages: list[ChatMessage]
    tools: list[str]
    model: str | None = None
    stream: bool = False
    include_usage: bool = False
    input_instructions: list[str] = field(default_factory=list)
    """Responses: the system and developer texts of the conversation's input items (its
    previous responses' too), which ``previous_response_id`` carries over."""

    def key(self) -> MatchKey:
        return make_key(self.instructions, self.messages, self.tools)


@dataclass
class Reply:
    """An answer to write back, with what the protocol needs around it."""

    answer: Answer
    base_id: str
    """Deterministic: made from the case id and the candidate's turn."""
    model: str
    request: WireRequest
    extra: dict[str, Any] = field(default_factory=dict)


class WireProtocol:
    """One wire protocol: reads a request body, writes an answer (JSON or SSE) and errors."""

    name: str = ""
    path: str = ""

    def read(self, body: dict[str, Any]) -> WireRequest:
        raise NotImplementedError

    def json_answer(self, reply: Reply) -> dict[str, Any]:
        raise NotImplementedError

    def stream_answer(self, reply: Reply) -> Iterator[bytes]:
        raise NotImplementedError

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def answered(self, request: WireRequest, reply: Reply) -> None:
        """Called once an answer was given (the Responses store keeps it)."""

    def forwardable(self, body: dict[str, Any]) -> dict[str, Any]:
        """The request as another server must get it (Responses: ids of this server's
        answers expanded)."""
        return body


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event (``data`` a JSON value, or ``[DONE]`` as given)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


def arguments_text(call: AnswerToolCall) -> str:
    """A recorded call's arguments as the JSON text OpenAI's protocols carry."""
    if isinstance(call.arguments, str):
        return call.arguments
    return json.dumps({} if call.arguments is None else call.arguments, ensure_ascii=False)


def arguments_object(call: AnswerToolCall) -> dict[str, Any]:
    """A recorded call's arguments as the object Anthropic's ``tool_use.input`` holds."""
    value = call.arguments
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            return {"input": value}
    if value is None:
        return {}
    return value if isinstance(value, dict) else {"input": value}


def items(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A list-of-objects field of a request body ([] when absent)."""
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BadRequest(f"'{name}' must be a list of objects")
    return value


def flag(body: dict[str, Any], name: str) -> bool:
    return body.get(name) is True


def model_name(body: dict[str, Any]) -> str | None:
    model = body.get("model")
    return model if isinstance(model, str) else None


def is_cut_short(answer: Answer) -> bool:
    """The recorded answer stopped at its token limit."""
    return answer.stop_reason in ("length", "max_tokens", "max_output_tokens", "incomplete")


def tokens(value: int | None) -> int:
    return value or 0
