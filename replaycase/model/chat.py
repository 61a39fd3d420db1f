"""The conversation of a model call read from OpenAI chat messages or Anthropic messages:
the instructions and the ``ChatMessage`` s the model tape compares (DESIGN 8).

One reader for the importers that meet such lists and for the recorder, which is given them:

- ``system`` / ``developer`` messages (and Anthropic's separate ``system``) are the
  instructions, their texts joined by a blank line;
- ``user`` text (string, or text blocks joined); an Anthropic user turn's ``tool_result``
  blocks are tool messages, in order with its text;
- ``assistant`` text (text and refusal parts joined; "" without any) and its tool calls:
  OpenAI ``tool_calls`` / legacy ``function_call``, Anthropic ``tool_use`` blocks;
- ``tool`` / ``function`` messages: tool results, named after the call they answer;
- ``ChatMessage`` s as they are; messages of any other role are not part of the key.

A malformed message is a :class:`ChatFormatError` naming where (``messages[2].tool_calls:
expected a list, got a string``): the caller adds the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .._jsonio import canonical_json, json_in_text, json_kind
from .events import ChatMessage, RequestedToolCall


class ChatFormatError(ValueError):
    """A malformed chat message; the text says where."""


def join_instructions(texts: Iterable[str]) -> str:
    """System and developer texts as one instructions text, joined by a blank line: every
    reader of a conversation (a trace's or a request on the wire) joins them so, since the
    model tape compares the result."""
    return "\n\n".join(texts)


class Conversation:
    """A conversation read a message at a time: what a request sent before each turn."""

    def __init__(self, system: Any = None) -> None:
        self.parts = [] if system is None else [content_text(system, "system")]
        self.messages: list[ChatMessage] = []
        self._names: dict[str, str] = {}

    @property
    def instructions(self) -> str | None:
        """The system texts joined by a blank line; None when there were none."""
        return join_instructions(self.parts) if self.parts else None

    def add(self, message: Any, where: str) -> None:
        """Read one message (``where`` names it in an error)."""
        if isinstance(message, ChatMessage):
            self.messages.append(message)
            return
        if not isinstance(message, dict):
            raise ChatFormatError(f"{where}: expected an object, got {json_kind(message)}")
        role = message.get("role")
        if not isinstance(role, str):
            raise ChatFormatError(f'{where}: no "role" string')
        content = message.get("content")
        if role in ("system", "developer"):
            self.parts.append(content_text(content, f"{where}.content"))
        elif role == "user":
            self.messages += _user(content, f"{where}.content", self._names)
        elif role == "assistant":
            calls = tool_calls_of(message, where)
            self._names.update((c.call_id, c.tool_name) for c in calls if c.call_id)
            self.messages.append(ChatMessage(role="assistant",
                                             text=assistant_text(content, where),
                                             tool_calls=calls))
        elif role in ("tool", "function"):
            call_id = opt_str(message, "tool_call_id", where)
            name = opt_str(message, "name", where) or self._names.get(call_id or "")
            self.messages.append(ChatMessage(
                role="tool", text=content_text(content, f"{where}.content"), call_id=call_id,
                tool_name=name, is_error=_is_error(message, where)))


def read_conversation(messages: Sequence[Any], system: Any = None,
                      where: str = "messages") -> tuple[str | None, list[ChatMessage]]:
    """The instructions (None when there were no system texts) and the conversation."""
    conversation = Conversation(system)
    for index, message in enumerate(messages):
        conversation.add(message, f"{where}[{index}]")
    return conversation.instructions, conversation.messages


def tool_names(tools: Any, where: str = "tools") -> list[str]:
    """The names of offered tools: OpenAI ``{"type": "function", "function": {"name"}}``,
    Responses and Anthropic ``{"name"}``, or plain names."""
    if not isinstance(tools, list):
        raise ChatFormatError(f"{where}: expected a list, got {json_kind(tools)}")
    names = []
    for index, tool in enumerate(tools):
        if isinstance(tool, dict):  # {"type": "function", "function": {"name"}}, "custom" too
            kind = tool.get("type") if isinstance(tool.get("type"), str) else "function"
            tool = tool[kind] if isinstance(tool.get(kind), dict) else tool
        name = tool.get("name") if isinstance(tool, dict) else tool
        if not isinstance(name, str):
            raise ChatFormatError(f"{where}[{index}]: no tool name string")
        names.append(name)
    return names


def opt_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    """``obj[key]``: a string or absent."""
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise ChatFormatError(f"{where}.{key}: expected a string, got {json_kind(value)}")
    return value


def block_type(block: Any, where: str) -> str:
    """The ``type`` of a content block (a text block must have its text)."""
    if not isinstance(block, dict):
        raise ChatFormatError(f"{where}: expected a content block object, got "
                              f"{json_kind(block)}")
    kind = block.get("type")
    if not isinstance(kind, str):
        raise ChatFormatError(f'{where}: no "type" string')
    if kind in ("text", "input_text", "output_text") and not isinstance(block.get("text"), str):
        raise ChatFormatError(f'{where}: a text block needs a "text" string')
    return kind


def _blocks(content: Any, where: str) -> list[Any]:
    if not isinstance(content, list):
        raise ChatFormatError(f"{where}: expected a string or a list of blocks, got "
                              f"{json_kind(content)}")
    return content


def content_text(content: Any, where: str) -> str:
    """The text of a content: a string, the text blocks joined, else its canonical JSON
    (a tool's result given as a value); "" for none."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return canonical_json(content)
    return "".join(block["text"] for i, block in enumerate(_blocks(content, where))
                   if block_type(block, f"{where}[{i}]") in ("text", "input_text"))


def assistant_text(content: Any, where: str) -> str:
    """The text of an assistant message: text and refusal parts joined ("" without any)."""
    if content is None or isinstance(content, str):
        return content or ""
    parts = []
    for index, block in enumerate(_blocks(content, f"{where}.content")):
        kind = block_type(block, f"{where}.content[{index}]")
        if kind in ("text", "output_text"):
            parts.append(block["text"])
        elif kind == "refusal" and isinstance(block.get("refusal"), str):
            parts.append(block["refusal"])
    return "".join(parts)


def tool_calls_of(message: dict[str, Any], where: str) -> list[RequestedToolCall]:
    """The tool calls an assistant message made: OpenAI ``tool_calls`` and
    ``function_call``, then Anthropic ``tool_use`` blocks."""
    raw = message.get("tool_calls")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise ChatFormatError(f"{where}.tool_calls: expected a list, got {json_kind(raw)}")
    items = [(f"{where}.tool_calls[{i}]", call) for i, call in enumerate(raw)]
    if message.get("function_call") is not None:
        items.append((f"{where}.function_call", {"function": message["function_call"]}))
    calls = [_openai_call(call, here) for here, call in items]
    content = message.get("content")
    if isinstance(content, list):
        for index, block in enumerate(content):
            if isinstance(block, dict) and block.get("type") in ("tool_use", "server_tool_use"):
                calls.append(_tool_use(block, f"{where}.content[{index}]"))
    return calls


def _openai_call(call: Any, where: str) -> RequestedToolCall:
    if not isinstance(call, dict):
        raise ChatFormatError(f"{where}: expected an object, got {json_kind(call)}")
    key = "custom" if call.get("type") == "custom" else "function"
    function = call.get(key)
    if not isinstance(function, dict):
        raise ChatFormatError(f'{where}: no "{key}" object')
    name = function.get("name")
    if not isinstance(name, str):
        raise ChatFormatError(f"{where}.{key}.name: expected a string, got {json_kind(name)}")
    args = function.get("arguments", function.get("input"))
    return RequestedToolCall(tool_name=name, tool_args=json_in_text(args),
                             call_id=opt_str(call, "id", where))


def _tool_use(block: dict[str, Any], where: str) -> RequestedToolCall:
    name = block.get("name")
    if not isinstance(name, str):
        raise ChatFormatError(f"{where}.name: expected a string, got {json_kind(name)}")
    return RequestedToolCall(tool_name=name, tool_args=block.get("input"),
                             call_id=opt_str(block, "id", where))


def _is_error(block: dict[str, Any], where: str) -> bool:
    value = block.get("is_error")
    if value is not None and not isinstance(value, bool):
        raise ChatFormatError(f"{where}.is_error: expected true or false, got "
                              f"{json_kind(value)}")
    return bool(value)


def _user(content: Any, where: str, names: dict[str, str]) -> list[ChatMessage]:
    """A user turn: its text, and an Anthropic turn's tool results, in order."""
    if not isinstance(content, list):
        return [ChatMessage(role="user", text=content_text(content, where))]
    out: list[ChatMessage] = []
    texts: list[str] | None = None
    for index, block in enumerate(content):
        here = f"{where}[{index}]"
        kind = block_type(block, here)
        if kind != "tool_result":
            if texts is None:
                texts = []
                out.append(ChatMessage(role="user"))
            if kind in ("text", "input_text"):
                texts.append(block["text"])
                out[-1].text = "".join(texts)
            continue
        texts = None
        call_id = opt_str(block, "tool_use_id", here)
        out.append(ChatMessage(role="tool", text=content_text(block.get("content"),
                                                              f"{here}.content"),
                               call_id=call_id, tool_name=names.get(call_id or ""),
                               is_error=_is_error(block, here)))
    return out
