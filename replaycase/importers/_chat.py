"""A recorded request's conversation in the model tape's terms (DESIGN 8): the instructions
(system and developer text) apart, then user, assistant and tool messages as ``ChatMessage``.

Importers read their format's messages into ``Turn`` s (role, content, requested tool calls,
the call a tool message answers) and hand them to ``conversation``; OpenAI Chat Completions
message dicts and LangChain messages, which several formats record, are read by
``chat_turns``. Whatever cannot be
read (a role the tape has no place for, a message that is not an object) is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from .._jsonio import canonical_json, json_in_text
from ..model import ChatMessage, RequestedToolCall
from ..model.chat import join_instructions

_INSTRUCTION_ROLES = {"system", "developer"}
_LANGCHAIN_CLASSES = {"SystemMessage": "system", "HumanMessage": "human", "AIMessage": "ai",
                      "AIMessageChunk": "ai", "ToolMessage": "tool", "FunctionMessage": "tool"}
_ROLES = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant",
          "model": "assistant", "tool": "tool", "function": "tool"}


class Turn(NamedTuple):
    """One message as a format recorded it."""

    role: Any
    content: Any
    tool_calls: list[RequestedToolCall]
    call_id: Any = None


def conversation(turns: Iterable[Turn] | None) -> tuple[str | None, list[ChatMessage] | None]:
    """The instructions ("" when there were none) and the messages, in order; both None when
    ``turns`` is (not recorded). A tool message is given the name of the call it answers when
    an earlier assistant message holds it."""
    if turns is None:
        return None, None
    instructions: list[str] = []
    messages: list[ChatMessage] = []
    names: dict[str, str] = {}
    for turn in turns:
        role = turn.role.lower() if isinstance(turn.role, str) else None
        if role in _INSTRUCTION_ROLES:
            instructions.append(text_of(turn.content))
            continue
        kind = _ROLES.get(role or "")
        if kind == "assistant":
            for call in turn.tool_calls:
                if call.call_id is not None:
                    names.setdefault(call.call_id, call.tool_name)
            messages.append(ChatMessage(role="assistant", text=text_of(turn.content),
                                        tool_calls=list(turn.tool_calls)))
        elif kind == "tool":
            call_id = str(turn.call_id) if isinstance(turn.call_id, (str, int)) else None
            messages.append(ChatMessage(role="tool", text=text_of(turn.content),
                                        call_id=call_id, tool_name=names.get(call_id or "")))
        elif kind == "user":
            messages.append(ChatMessage(role="user", text=text_of(turn.content)))
    return join_instructions(t for t in instructions if t), messages


def text_of(content: Any) -> str:
    """A message's content as text: a string as is, the text blocks of a list joined, nothing
    as "", anything else as canonical JSON (a tool result recorded as an object)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content and all(_is_text_block(b) for b in content):
        return "".join(_block_text(b) for b in content)
    return canonical_json(content)


def _is_text_block(block: Any) -> bool:
    return isinstance(block, str) or (isinstance(block, dict) and isinstance(
        block.get("text", block.get("content")), str) and block.get("type", "text") in (
        "text", "input_text", "output_text"))


def _block_text(block: Any) -> str:
    if isinstance(block, str):
        return block
    return str(block.get("text", block.get("content")))


def openai_tool_calls(calls: Any) -> list[RequestedToolCall]:
    """The ``tool_calls`` of an OpenAI assistant message (``{id, function: {name,
    arguments}}``); an entry without a name is left out."""
    out: list[RequestedToolCall] = []
    for call in calls if isinstance(calls, list) else ():
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) \
                or not function["name"]:
            continue
        call_id = call.get("id")
        out.append(RequestedToolCall(
            tool_name=function["name"], tool_args=json_in_text(function.get("arguments")),
            call_id=call_id if isinstance(call_id, str) else None))
    return out


def tool_names(tools: Any) -> list[str] | None:
    """The names of offered tool definitions (``{name}``, ``{function: {name}}``, or a JSON
    string of either); None when ``tools`` is not a list."""
    tools = json_in_text(tools)
    if not isinstance(tools, list):
        return None
    names = []
    for tool in tools:
        tool = json_in_text(tool)
        if isinstance(tool, dict) and isinstance(tool.get("function"), dict):
            tool = tool["function"]
        if isinstance(tool, dict) and isinstance(tool.get("name"), str) and tool["name"]:
            names.append(tool["name"])
    return names


def chat_turns(messages: Any) -> list[Turn] | None:
    """Messages as LangSmith records them: OpenAI Chat Completions dicts, or LangChain
    messages (serialized ``{"id": [..., "HumanMessage"], "kwargs": {...}}`` or plain ``{"type":
    "human", "content"}``), also nested one list deep (a chat model's batch of one)."""
    if isinstance(messages, list) and len(messages) == 1 and isinstance(messages[0], list):
        messages = messages[0]
    if not isinstance(messages, list):
        return None
    return [_turn(m) for m in messages if isinstance(m, dict)]


def _turn(message: dict[str, Any]) -> Turn:
    kwargs = message.get("kwargs")
    if isinstance(kwargs, dict):
        kind = message.get("id")
        message = {**kwargs, "type": kwargs.get("type") or (
            _LANGCHAIN_CLASSES.get(kind[-1]) if isinstance(kind, list) and kind else None)}
    role = message.get("role", message.get("type"))
    calls = openai_tool_calls(message.get("tool_calls"))
    if not calls and isinstance(message.get("tool_calls"), list):
        calls = [RequestedToolCall(tool_name=c["name"], tool_args=c.get("args"),
                                   call_id=c.get("id") if isinstance(c.get("id"), str) else None)
                 for c in message["tool_calls"]
                 if isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"]]
    return Turn(role, message.get("content"), calls, message.get("tool_call_id"))


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


def content_text(content: Any) -> str | None:
    """A message content's text: a string, or the text blocks of a list joined; else None."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        texts = [p for p in parts if isinstance(p, str)]
        return "".join(texts) if texts else None
    return None
