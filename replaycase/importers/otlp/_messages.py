"""Chat messages as OTLP attributes carry them, normalized to one small shape.

Accepted shapes of one message:

- GenAI semantic conventions: ``{"role", "parts": [{"type": "text", "content"},
  {"type": "tool_call", "id", "name", "arguments"}, {"type": "tool_call_response", "id",
  "response"}]}``
- OpenAI chat style (older ``gen_ai.prompt`` JSON, flattened ``gen_ai.prompt.N.*``):
  ``{"role", "content", "tool_calls": [{"id", "function": {"name", "arguments"}}],
  "tool_call_id"}``
- OpenInference, unflattened from ``llm.input_messages.N.message.*``: ``{"message": {"role",
  "content" | "contents": [{"message_content": {"text"}}], "tool_calls": [{"tool_call": …}],
  "tool_call_id"}}``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...model import RequestedToolCall
from ...model.content_parts import is_media_part, parts_text, readable_content
from ._values import parse_json_text


@dataclass
class Message:
    """One chat message: its role, text, requested tool calls, and the call it answers."""

    role: str | None = None
    text: str | None = None
    content: Any = None
    tool_calls: list[RequestedToolCall] = field(default_factory=list)
    tool_call_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The compact chat form used in ``LlmCallEvent.request``."""
        out: dict[str, Any] = {"role": self.role}
        if self.content is not None:
            out["content"] = self.content
        if self.tool_calls:
            out["tool_calls"] = [c.model_dump(exclude_none=True) for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        return out


def unflatten(attrs: dict[str, Any], prefix: str) -> Any:
    """Keys ``prefix.0.message.role`` … rebuilt as nested lists and dicts; None when absent."""
    root: dict[str, Any] = {}
    dotted = prefix + "."
    for key in sorted(k for k in attrs if k.startswith(dotted)):
        parts = key[len(dotted):].split(".")
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if not isinstance(node.get(parts[-1]), dict):
            node[parts[-1]] = attrs[key]
    return _listify(root) if root else None


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(value) for k, value in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def messages(value: Any) -> list[Message] | None:
    """A list of messages from a JSON string, a list or one message; None when unreadable."""
    value = parse_json_text(value)
    if isinstance(value, str):
        return [Message(role="user", text=value, content=value)] if value else []
    if isinstance(value, dict):
        value = value.get("messages", [value]) if "parts" not in value else [value]
    if not isinstance(value, list):
        return None
    return [m for m in (message(item) for item in value) if m is not None]


def message(raw: Any) -> Message | None:
    """One message in any accepted shape; a bare string is a user message."""
    if isinstance(raw, str):
        return Message(role="user", text=raw, content=raw)
    if not isinstance(raw, dict):
        return None
    if isinstance(raw.get("message"), dict):
        raw = raw["message"]
    role = raw.get("role")
    out = Message(role=str(role) if role is not None else None)
    if isinstance(raw.get("parts"), list):
        _genai_parts(raw["parts"], out)
    else:
        _chat_fields(raw, out)
    return out


def _genai_parts(parts: list[Any], out: Message) -> None:
    texts: list[str] = []
    blocks: list[dict[str, Any]] = []  # text and media (``blob`` / ``uri``) parts in order
    responses: list[Any] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text" and isinstance(part.get("content"), str):
            texts.append(part["content"])
            blocks.append({"type": "text", "text": part["content"]})
        elif is_media_part(part):
            blocks.append(part)
        elif kind == "tool_call":
            call = tool_call(part)
            if call is not None:
                out.tool_calls.append(call)
        elif kind == "tool_call_response":
            out.tool_call_id = _text(part.get("id"))
            responses.append(part.get("response", part.get("result")))
    if len(blocks) > len(texts):  # named in the text; the parts kept for the tape's digest
        out.content = blocks
        out.text = parts_text(blocks)
    elif texts:
        out.text = "".join(texts)
        out.content = out.text
    elif responses:  # a tool result, whatever role the instrumentation gave it (PydanticAI: user)
        out.role = "tool"
        out.content = responses[0] if len(responses) == 1 else responses
        out.text = out.content if isinstance(out.content, str) else None


def _chat_fields(raw: dict[str, Any], out: Message) -> None:
    content = raw.get("content")
    if content is None and isinstance(raw.get("contents"), list):
        content = [_openinference_part(item.get("message_content", item))
                   for item in raw["contents"] if isinstance(item, dict)]
    if isinstance(content, list) and any(map(is_media_part, content)):
        out.content = content  # the parts kept for the tape's digest, named in the text
        out.text = parts_text(content) or None
    else:
        if isinstance(content, list):
            texts = [block.get("text") for block in content if isinstance(block, dict)]
            joined = "".join(t for t in texts if isinstance(t, str))
            content = joined if joined else content
        out.content = content
        out.text = content if isinstance(content, str) and content else None
    calls = raw.get("tool_calls")
    if isinstance(calls, list):
        out.tool_calls = [c for c in (tool_call(item) for item in calls) if c is not None]
    out.tool_call_id = _text(raw.get("tool_call_id"))


def _openinference_part(part: Any) -> Any:
    """OpenInference's ``{"type": "image", "image": {"image": {"url"}}}`` as OpenAI's
    ``image_url`` part (what ``content_parts`` names); any other part as it is."""
    image = part.get("image") if isinstance(part, dict) and part.get("type") == "image" \
        else None
    inner = image.get("image") if isinstance(image, dict) else None
    if isinstance(inner, dict) and isinstance(inner.get("url"), str):
        return {"type": "image_url", "image_url": {"url": inner["url"]}}
    return part


def tool_call(raw: Any) -> RequestedToolCall | None:
    """A requested tool call: GenAI part, OpenAI ``function`` form or OpenInference."""
    if not isinstance(raw, dict):
        return None
    if isinstance(raw.get("tool_call"), dict):
        raw = raw["tool_call"]
    function = raw.get("function") if isinstance(raw.get("function"), dict) else raw
    name = function.get("name")
    if not isinstance(name, str) or not name:
        return None
    args = function.get("arguments", function.get("args", raw.get("input")))
    return RequestedToolCall(tool_name=name, tool_args=parse_json_text(args),
                             call_id=_text(raw.get("id")))


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def system_message(value: Any) -> Message | None:
    """``gen_ai.system_instructions`` (text parts or a string) as a system message."""
    value = parse_json_text(value)
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        texts = [p.get("content") for p in value if isinstance(p, dict)]
        value = "".join(t for t in texts if isinstance(t, str)) or None
    if not isinstance(value, str) or not value:
        return None
    return Message(role="system", text=value, content=value)


def response_text(items: list[Message]) -> str | None:
    """The text of the (assistant) output messages, joined; None when there is none."""
    texts = [m.text for m in items if m.text]
    return "\n".join(texts) if texts else None


def user_content(items: list[Message]) -> Any:
    """The last user message's content: the question of this turn (images, audio and
    files named, never their bytes)."""
    for item in reversed(items):
        if item.role in ("user", "human") and item.content is not None:
            return readable_content(item.content)
    return None
