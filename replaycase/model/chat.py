"""The conversation of a model call read from OpenAI chat messages or Anthropic messages:
the instructions and the ``ChatMessage`` s the model tape compares (DESIGN 8).

One reader for the importers that meet such lists and for the recorder, which is given them:

- ``system`` / ``developer`` messages (and Anthropic's separate ``system``) are the
  instructions, their texts joined by a blank line;
- ``user`` text (string, or text blocks joined; an image, audio or file part named with a
  digest of its bytes, ``model.content_parts``, so the key tells images apart); an
  Anthropic user turn's ``tool_result`` blocks are tool messages, in order with its text;
- ``assistant`` text (text and refusal parts joined; "" without any) and its tool calls:
  OpenAI ``tool_calls`` / legacy ``function_call``, Anthropic ``tool_use`` blocks;
- ``tool`` / ``function`` messages: tool results, named after the call they answer;
- ``ChatMessage`` s as they are; messages of any other role are not part of the key.

A malformed message is a :class:`ChatFormatError` naming where (``messages[2].tool_calls:
expected a list, got a string``): the caller adds the file. Importers of formats that log
messages loosely (OTLP, LangSmith, the Agents SDK) read them with ``strict=False``
(:func:`read_recorded`, :func:`recorded_tool_names`): the same reading, but what it would
refuse is left out (a message, a tool call, a tool) or read as well as it can be (a content
becomes its canonical JSON), roles are read without case, and LangChain's and Gemini's
``human`` / ``ai`` / ``model`` are ``user`` and ``assistant``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from .._jsonio import canonical_json, json_in_text, json_kind
from .content_parts import parts_text
from .events import ChatMessage, RequestedToolCall

_T = TypeVar("_T")
_USER_TEXT = ("text", "input_text")
_ALIASES = {"human": "user", "ai": "assistant", "model": "assistant"}


class ChatFormatError(ValueError):
    """A malformed chat message; the text says where."""


def _or(strict: bool, fallback: Callable[[], _T], read: Callable[..., _T], *args: Any) -> _T:
    """``read(*args)``; when it refuses and the reading is not strict, ``fallback()``."""
    try:
        return read(*args)
    except ChatFormatError:
        if strict:
            raise
        return fallback()


def join_instructions(texts: Iterable[str]) -> str:
    """System and developer texts as one instructions text, joined by a blank line: every
    reader of a conversation (a trace's or a request on the wire) joins them so, since the
    model tape compares the result."""
    return "\n\n".join(texts)


class Conversation:
    """A conversation read a message at a time: what a request sent before each turn."""

    def __init__(self, system: Any = None, strict: bool = True) -> None:
        self.strict = strict
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
        role = _or(self.strict, lambda: None, _role, message, where)
        if role is None:
            return
        if not self.strict:
            role = _ALIASES.get(role.lower(), role.lower())
        raw = message.get("content")
        content = raw if self.strict else _loose(raw)
        text = self._text(content_text, content, raw, f"{where}.content")
        if role in ("system", "developer"):
            self.parts.append(text())
        elif role == "user":
            self.messages += _or(self.strict, lambda: [ChatMessage(role="user", text=text())],
                                 _user, content, f"{where}.content", self._names)
        elif role == "assistant":
            calls = tool_calls_of(message, where, self.strict)
            self._names.update((c.call_id, c.tool_name) for c in calls if c.call_id)
            self.messages.append(ChatMessage(
                role="assistant", text=self._text(assistant_text, content, raw, where)(),
                tool_calls=calls))
        elif role in ("tool", "function"):
            call_id = self._str(message, "tool_call_id", where)
            name = self._str(message, "name", where) or self._names.get(call_id or "")
            self.messages.append(ChatMessage(
                role="tool", text=text(), call_id=call_id, tool_name=name,
                is_error=_or(self.strict, lambda: False, _is_error, message, where)))

    def _text(self, read: Callable[[Any, str], str], content: Any, raw: Any,
              where: str) -> Callable[[], str]:
        """The text ``read`` gives; not strict, a content it refuses is the canonical JSON of
        the ``raw`` content."""
        return lambda: _or(self.strict, lambda: canonical_json(raw), read, content, where)

    def _str(self, message: dict[str, Any], key: str, where: str) -> str | None:
        return _or(self.strict, lambda: None, opt_str, message, key, where)


def _loose(content: Any) -> Any:
    """Not strict, a content's strings and its typeless or ``content``-holding text parts
    (GenAI's ``{"type": "text", "content"}``) are text blocks."""
    if not isinstance(content, list):
        return content
    return [{"type": "text", "text": b} if isinstance(b, str) else
            {**b, "type": b.get("type", "text"), "text": b.get("text", b.get("content"))}
            if isinstance(b, dict) and isinstance(b.get("text", b.get("content")), str)
            else b for b in content]


def _role(message: Any, where: str) -> str:
    if not isinstance(message, dict):
        raise ChatFormatError(f"{where}: expected an object, got {json_kind(message)}")
    role = message.get("role")
    if not isinstance(role, str):
        raise ChatFormatError(f'{where}: no "role" string')
    return role


def read_conversation(messages: Sequence[Any], system: Any = None, where: str = "messages",
                      strict: bool = True) -> tuple[str | None, list[ChatMessage]]:
    """The instructions (None when there were no system texts) and the conversation."""
    conversation = Conversation(system, strict)
    for index, message in enumerate(messages):
        conversation.add(message, f"{where}[{index}]")
    return conversation.instructions, conversation.messages


def read_recorded(messages: Any) -> tuple[str | None, list[ChatMessage] | None]:
    """A logged conversation read with ``strict=False``: the instructions ("" when there
    were none) and the messages; both None when ``messages`` is not a list (not recorded)."""
    if not isinstance(messages, list):
        return None, None
    instructions, read = read_conversation(messages, strict=False)
    return instructions or "", read


def tool_names(tools: Any, where: str = "tools") -> list[str]:
    """The names of offered tools: OpenAI ``{"type": "function", "function": {"name"}}``,
    Responses and Anthropic ``{"name"}``, or plain names."""
    if not isinstance(tools, list):
        raise ChatFormatError(f"{where}: expected a list, got {json_kind(tools)}")
    return [_tool_name(tool, f"{where}[{index}]") for index, tool in enumerate(tools)]


def recorded_tool_names(tools: Any) -> list[str] | None:
    """``tool_names`` not strict, of a list or its JSON text (each tool may be JSON text
    too): a tool without a name is left out; None when ``tools`` is not a list."""
    tools = json_in_text(tools)
    if not isinstance(tools, list):
        return None
    names = (_or(False, lambda: "", _tool_name, json_in_text(tool), "") for tool in tools)
    return [name for name in names if name]


def _tool_name(tool: Any, where: str) -> str:
    if isinstance(tool, dict):  # {"type": "function", "function": {"name"}}, "custom" too
        kind = tool.get("type") if isinstance(tool.get("type"), str) else "function"
        tool = tool[kind] if isinstance(tool.get(kind), dict) else tool
    name = tool.get("name") if isinstance(tool, dict) else tool
    if not isinstance(name, str):
        raise ChatFormatError(f"{where}: no tool name string")
    return name


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
    """The text of a content: a string, the text blocks joined (non-text parts named with
    their digest, ``content_parts``), else its canonical JSON
    (a tool's result given as a value); "" for none."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return canonical_json(content)
    blocks = _blocks(content, where)
    for i, block in enumerate(blocks):
        block_type(block, f"{where}[{i}]")
    return parts_text(blocks, True, _USER_TEXT)


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


def tool_calls_of(message: dict[str, Any], where: str,
                  strict: bool = True) -> list[RequestedToolCall]:
    """The tool calls an assistant message made: OpenAI ``tool_calls`` and
    ``function_call``, then Anthropic ``tool_use`` blocks (a ``RequestedToolCall`` in
    ``tool_calls`` as it is). Not strict, a call that cannot be read is left out."""
    raw = message.get("tool_calls")
    if raw is None or (not strict and not isinstance(raw, list)):
        raw = []
    if not isinstance(raw, list):
        raise ChatFormatError(f"{where}.tool_calls: expected a list, got {json_kind(raw)}")
    items: list[tuple[Callable[..., RequestedToolCall], str, Any]] = [
        (_openai_call, f"{where}.tool_calls[{i}]", call) for i, call in enumerate(raw)]
    if message.get("function_call") is not None:
        items.append((_openai_call, f"{where}.function_call",
                      {"function": message["function_call"]}))
    content = message.get("content")
    for index, block in enumerate(content if isinstance(content, list) else ()):
        if isinstance(block, dict) and block.get("type") in ("tool_use", "server_tool_use"):
            items.append((_tool_use, f"{where}.content[{index}]", block))
    calls = (_or(strict, lambda: None, read, call, here) for read, here, call in items)
    return [call for call in calls if call is not None]


def _openai_call(call: Any, where: str) -> RequestedToolCall:
    if isinstance(call, RequestedToolCall):
        return call
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
    texts: list[Any] | None = None
    for index, block in enumerate(content):
        here = f"{where}[{index}]"
        kind = block_type(block, here)
        if kind != "tool_result":
            if texts is None:
                texts = []
                out.append(ChatMessage(role="user"))
            texts.append(block)
            out[-1].text = parts_text(texts, True, _USER_TEXT)
            continue
        texts = None
        call_id = opt_str(block, "tool_use_id", here)
        out.append(ChatMessage(role="tool", text=content_text(block.get("content"),
                                                              f"{here}.content"),
                               call_id=call_id, tool_name=names.get(call_id or ""),
                               is_error=_is_error(block, here)))
    return out
