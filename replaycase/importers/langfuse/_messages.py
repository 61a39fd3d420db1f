"""The messages of a Langfuse generation as OpenAI chat dicts, for ``model.chat`` to read.

Frameworks log a generation's input and output in their own shapes; each is turned into chat
messages (``{"role", "content", "tool_calls", "tool_call_id", "name"}``):

- OpenAI chat messages and Anthropic messages (content blocks) as they are;
- GenAI semantic-convention ``parts`` (``text``, ``tool_call``, ``tool_call_response``);
- Gemini ``contents`` (``text``, ``function_call``, ``function_response``; role ``model``);
- LangChain messages (``type``, ``additional_kwargs.tool_calls``);
- Responses-API items (``function_call``, ``function_call_output``);
- Vercel AI SDK blocks (``tool-call``, ``tool-result``) and tool-call lists.

What cannot be read is left out; a value that holds no messages gives None (not recorded).
"""

from __future__ import annotations

from typing import Any

from ..._jsonio import canonical_json
from .._agents_responses import input_messages as responses_messages
from .._langchain import chat_messages

_ROLES = {"model": "assistant", "ai": "assistant", "human": "user"}
_RESPONSES_ITEMS = {"function_call", "function_call_output"}


def as_chat(value: Any, role: str = "user") -> list[dict[str, Any]] | None:
    """``value`` as chat messages; a bare string is one message of ``role``."""
    if isinstance(value, str):
        return [{"role": role, "content": value}] if value else []
    if isinstance(value, dict):
        if isinstance(value.get("messages"), list):
            return as_chat(value["messages"], role)
        if isinstance(value.get("contents"), list):  # a Gemini request
            return _gemini_request(value)
        if isinstance(value.get("content"), dict) and "role" not in value:
            return as_chat([value["content"]], role)  # a Gemini response
        if "role" in value or "parts" in value:
            return as_chat([value], role)
        return None
    if not isinstance(value, list):
        return None
    if value and all(isinstance(v, dict) and "toolName" in v for v in value):
        return [{"role": "assistant", "content": "", "tool_calls": [_vercel_call(v)
                                                                    for v in value]}]
    if any(isinstance(v, dict) and v.get("type") in _RESPONSES_ITEMS for v in value):
        return responses_messages(value, None)
    out: list[dict[str, Any]] = []
    for item in value:
        if isinstance(item, dict):
            out.extend(_message(item, role))
    return out


def _message(item: dict[str, Any], default_role: str) -> list[dict[str, Any]]:
    role = item.get("role", item.get("type", default_role))
    role = _ROLES.get(role, role) if isinstance(role, str) else default_role
    if isinstance(item.get("parts"), list):
        return _parts(role, item["parts"])
    lifted = dict(item)
    kwargs = item.get("additional_kwargs")
    if isinstance(kwargs, dict) and isinstance(kwargs.get("tool_calls"), list) \
            and not item.get("tool_calls"):
        lifted["tool_calls"] = kwargs["tool_calls"]
    content = item.get("content")
    if isinstance(content, list) and any(isinstance(b, dict) and str(b.get("type", ""))
                                         .startswith("tool-") for b in content):
        return _vercel_blocks(role, content)
    lifted["role"] = role
    return chat_messages([lifted]) or []


def _parts(role: str, parts: list[Any]) -> list[dict[str, Any]]:
    """GenAI ``parts`` or Gemini parts of one message."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text" and isinstance(part.get("content"), str):
            texts.append(part["content"])
        elif kind is None and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "tool_call" or isinstance(part.get("function_call"), dict):
            call = part.get("function_call", part)
            calls.append({"id": call.get("id"), "function": {
                "name": call.get("name"), "arguments": call.get("arguments", call.get("args"))}})
        elif kind == "tool_call_response" or isinstance(part.get("function_response"), dict):
            answer = part.get("function_response", part)
            result = answer.get("response", answer.get("result"))
            results.append({"role": "tool", "tool_call_id": answer.get("id"),
                            "name": answer.get("name"), "content": _text(result)})
    out: list[dict[str, Any]] = results
    if texts or calls or not results:
        out = [*out, {"role": role, "content": "".join(texts),
                      **({"tool_calls": calls} if calls else {})}]
    return out


def _vercel_call(block: dict[str, Any]) -> dict[str, Any]:
    return {"id": block.get("toolCallId"), "function": {
        "name": block.get("toolName"), "arguments": block.get("input", block.get("args"))}}


def _vercel_blocks(role: str, content: list[Any]) -> list[dict[str, Any]]:
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "tool-call":
            calls.append(_vercel_call(block))
        elif kind == "tool-result":
            output = block.get("output", block.get("result"))
            if isinstance(output, dict) and "value" in output:  # {"type": "json", "value"}
                output = output["value"]
            results.append({"role": "tool", "tool_call_id": block.get("toolCallId"),
                            "name": block.get("toolName"), "content": _text(output)})
    if results:
        return results
    return [{"role": role, "content": "".join(texts),
             **({"tool_calls": calls} if calls else {})}]


def _gemini_request(value: dict[str, Any]) -> list[dict[str, Any]]:
    config = value.get("config")
    system = config.get("system_instruction") if isinstance(config, dict) else None
    out: list[dict[str, Any]] = []
    if isinstance(system, str) and system:
        out.append({"role": "system", "content": system})
    return out + (as_chat(value["contents"]) or [])


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else canonical_json(value)


def tool_definitions(value: Any) -> list[Any]:
    """Tool definitions a request carried: Gemini ``config.tools`` function declarations,
    a ``tools`` list, LangChain's tool definitions logged as ``tool`` messages."""
    found: list[Any] = []
    if isinstance(value, dict):
        config = value.get("config")
        tools = config.get("tools") if isinstance(config, dict) else value.get("tools")
        for tool in tools if isinstance(tools, list) else ():
            decls = tool.get("function_declarations") if isinstance(tool, dict) else None
            found.extend(decls if isinstance(decls, list) else [tool])
    if isinstance(value, list):
        found.extend(m["content"] for m in value if is_tool_definition(m))
    return found


def is_tool_definition(message: Any) -> bool:
    """A LangChain ``tool`` message that holds a function definition, not a result."""
    if not isinstance(message, dict) or message.get("role") != "tool":
        return False
    content = message.get("content")
    return isinstance(content, dict) and content.get("type") == "function" \
        and isinstance(content.get("function"), dict)
