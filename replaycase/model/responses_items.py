"""OpenAI Responses input items as the chat messages ``model.chat`` reads (DESIGN 8).

A team on the Responses API logs its conversation as the list of items it sends as
``input``: messages (``{"role", "content"}``, with or without ``"type": "message"``, content
a string or ``input_text`` / ``output_text`` / ``refusal`` parts), ``function_call`` items
(``call_id``, ``name``, ``arguments``), ``function_call_output`` items (``call_id``,
``output``), their ``custom_tool_call`` twins, and ``reasoning`` / ``item_reference`` items,
which are not part of the conversation. One reader for the transcript importer and the
Responses wire protocol, so a logged run and the same request on the wire give one key:

- consecutive assistant items (messages and function calls, reasoning and instructions
  between them) are one assistant message: their texts joined as they are, their calls in
  order, each call's id its ``call_id``;
- a function call output is a ``tool`` message answering its ``call_id``;
- system, developer and user messages stay as they are (text parts joined into a string).

A malformed item is a :class:`ChatFormatError` naming it (``input[3].name: expected a
string, got null``).
"""

from __future__ import annotations

from typing import Any

from .._jsonio import json_kind
from .chat import ChatFormatError, assistant_text, block_type, opt_str

CALLS = frozenset({"function_call", "custom_tool_call"})
OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})
SKIPPED = frozenset({"reasoning", "item_reference"})
ITEM_TYPES = frozenset({"message", *CALLS, *OUTPUTS, *SKIPPED})
"""The item types read: any other (a hosted tool's call, say) is refused by the importer."""
_INSTRUCTIONS = ("system", "developer")
_ROLES = (*_INSTRUCTIONS, "user", "assistant")
_TEXT_PARTS = ("input_text", "output_text", "text")


def is_responses_items(value: Any) -> bool:
    """A list in the Responses shape: some item carries a Responses item ``type``, or a
    ``type`` and no ``role`` (chat and Anthropic messages have a role and no type)."""
    return isinstance(value, list) and any(
        isinstance(item, dict) and isinstance(kind := item.get("type"), str)
        and (kind in ITEM_TYPES or "role" not in item) for item in value)


def as_chat_messages(items: list[Any], where: str = "input",
                     unknown: str = "refuse") -> list[dict[str, Any]]:
    """The items as OpenAI chat message dicts. An item type outside ``ITEM_TYPES`` is an
    error, or left out with ``unknown="skip"`` (the wire: the server cannot answer it, but
    it is no part of the key)."""
    messages: list[dict[str, Any]] = []
    open_turn: dict[str, Any] | None = None  # the assistant message items join
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise ChatFormatError(f"{here}: expected an object, got {json_kind(item)}")
        kind = item.get("type", "message")
        if not isinstance(kind, str):
            raise ChatFormatError(f'{here}.type: expected a string, got {json_kind(kind)}')
        if kind in SKIPPED or (kind not in ITEM_TYPES and unknown == "skip"):
            continue
        if kind not in ITEM_TYPES:
            raise ChatFormatError(f"{here}: Responses item type {kind!r} is not read")
        if kind in CALLS or (kind == "message" and item.get("role") == "assistant"):
            if open_turn is None:
                open_turn = {"role": "assistant", "content": None, "tool_calls": []}
                messages.append(open_turn)
            _join(open_turn, item, kind, here)
            continue
        if kind in OUTPUTS or item.get("role") not in _INSTRUCTIONS:
            open_turn = None  # instructions are no part of the conversation: it joins on
        if kind in OUTPUTS:
            messages.append({"role": "tool", "tool_call_id": _call_id(item, here),
                             "content": _content(item.get("output"), f"{here}.output")})
            continue
        role = item.get("role")
        if role not in _ROLES:
            raise ChatFormatError(f"{here}.role: expected one of {', '.join(_ROLES)}, got "
                                  f"{role!r}" if isinstance(role, str) else
                                  f'{here}: no "role" string')
        messages.append({"role": role,
                         "content": _content(item.get("content"), f"{here}.content")})
    for message in messages:
        if message["role"] == "assistant" and not message["tool_calls"]:
            del message["tool_calls"]
    return messages


def _join(turn: dict[str, Any], item: dict[str, Any], kind: str, where: str) -> None:
    """Add an assistant message's text or a call to the assistant turn."""
    if kind == "message":
        text = assistant_text(item.get("content"), where)
        turn["content"] = (turn["content"] or "") + text if text else turn["content"]
        return
    name = item.get("name")
    if not isinstance(name, str):
        raise ChatFormatError(f"{where}.name: expected a string, got {json_kind(name)}")
    key = "custom" if kind == "custom_tool_call" else "function"
    field = "input" if kind == "custom_tool_call" else "arguments"
    arguments = item.get(field)
    if arguments is not None and not isinstance(arguments, str | dict):
        raise ChatFormatError(f"{where}.{field}: expected a string, got {json_kind(arguments)}")
    turn["tool_calls"].append({"id": _call_id(item, where), "type": key,
                               key: {"name": name, field: arguments}})


def _call_id(item: dict[str, Any], where: str) -> str | None:
    return opt_str(item, "call_id", where)


def _content(content: Any, where: str) -> Any:
    """A string as is; parts that are all text joined into one string; other parts kept
    (checked: each an object with its ``type``)."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, dict):  # a tool's output given as a value
        return content
    if not isinstance(content, list):
        raise ChatFormatError(f"{where}: expected a string or a list of parts, got "
                              f"{json_kind(content)}")
    kinds = [block_type(part, f"{where}[{i}]") for i, part in enumerate(content)]
    if content and all(kind in _TEXT_PARTS for kind in kinds):
        return "".join(part["text"] for part in content)
    return content
