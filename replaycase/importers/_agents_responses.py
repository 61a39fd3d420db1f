"""Responses-API content in OpenAI Agents SDK spans: the ``Response`` objects (``model_dump()``)
the SDK records, and the input items it sent.

- A ``generation`` span of a streamed Chat Completions model holds ``output: [Response]`` (the
  SDK turns the stream into a Responses-shaped object), not chat messages.
- A ``response`` span's ``export()`` holds only ``response_id`` and ``usage``; the SDK keeps
  ``input`` and ``response`` on the span "for other tracing processor implementations", and an
  exporter that writes them gives the model's whole conversation and answer.

Input items are read by ``model.responses_items``, as the Responses wire protocol reads them
(DESIGN 8), so a span's conversation and the same request on the wire give one match key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .._jsonio import json_in_text, json_kind
from ..model import RequestedToolCall
from ..model.chat import ChatFormatError, recorded_tool_names
from ..model.responses_items import as_chat_messages
from ._common import fail, get_typed, text_or_none


def is_response(item: Any) -> bool:
    """A ``Response`` object (as ``model_dump()`` writes it)."""
    return isinstance(item, dict) and item.get("object") == "response" \
        and isinstance(item.get("output"), list)


def output_items(output: list[Any]) -> Iterator[Any]:
    """A generation's output items, the items of any ``Response`` in it spread out."""
    for item in output:
        if is_response(item):
            yield from item["output"]
        else:
            yield item


def function_call(item: dict[str, Any]) -> RequestedToolCall | None:
    """A ``function_call`` item as a requested call (None without a name)."""
    name = item.get("name")
    if not isinstance(name, str) or not name:
        return None
    call_id = item.get("call_id")
    return RequestedToolCall(tool_name=name, tool_args=json_in_text(item.get("arguments")),
                             call_id=call_id if isinstance(call_id, str) else None)


def answer_of(output: list[Any], where: str) -> tuple[str | None, list[RequestedToolCall]]:
    """The text and the requested tool calls of a generation's output messages."""
    texts: list[str] = []
    calls: list[RequestedToolCall] = []
    for index, item in enumerate(output_items(output)):
        if not isinstance(item, dict):
            raise fail(f"{where}[{index}]", f"expected an object, got {json_kind(item)}")
        if item.get("type") == "function_call":  # a Responses-API output item
            call = function_call(item)
            if call is None:
                raise fail(f"{where}[{index}]", "a tool call without a name")
            calls.append(call)
            continue
        if item.get("type") not in (None, "message"):
            continue  # reasoning and other Responses items hold no answer
        text = text_or_none(item.get("content"))
        if text:
            texts.append(text)
        requested = get_typed(item, "tool_calls", list, f"{where}[{index}]") or []
        for n, call in enumerate(requested):
            calls.append(_requested(call, f"{where}[{index}].tool_calls[{n}]"))
    return ("\n".join(texts) if texts else None), calls


def _requested(call: Any, where: str) -> RequestedToolCall:
    if not isinstance(call, dict):
        raise fail(where, f"expected an object, got {json_kind(call)}")
    function = get_typed(call, "function", dict, where) or call
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise fail(where, "a tool call without a name")
    arguments = function.get("arguments")
    call_id = call.get("id")
    return RequestedToolCall(tool_name=name, tool_args=json_in_text(arguments),
                             call_id=call_id if isinstance(call_id, str) else None)


def input_messages(value: Any, instructions: Any) -> list[dict[str, Any]] | None:
    """The chat messages of a Responses request: its ``instructions``, then its ``input`` (a
    string or a list of items) read as the wire reads it; an item that cannot be read is
    left out. None when the input was not recorded."""
    if isinstance(value, str):
        value = [{"role": "user", "content": value}]
    if not isinstance(value, list):
        return None
    system = [{"role": "system", "content": instructions}] \
        if isinstance(instructions, str) and instructions else []
    return system + as_chat_messages([item for item in value if _readable(item)],
                                     unknown="skip")


def _readable(item: Any) -> bool:
    try:
        as_chat_messages([item], unknown="skip")
    except ChatFormatError:
        return False
    return True


def offered_tools(response: dict[str, Any]) -> list[str] | None:
    """The names of the tools a ``Response`` was offered; None when it lists none."""
    return recorded_tool_names(response.get("tools")) or None
