"""A plain chat transcript: a JSON list of OpenAI chat messages, Anthropic messages or
OpenAI Responses input items.

    [{"role": "system" | "developer" | "user" | "assistant" | "tool", "content": ...}, ...]

``{"messages": [...]}`` is accepted too (a request body); its ``model`` and ``system`` keys
are used when present. So is a Responses request body, ``{"input": [...]}``, with its
``model``, ``instructions`` and ``tools``.

- OpenAI: assistant ``tool_calls: [{id, type, function: {name, arguments}}]`` (arguments a
  JSON string), ``tool`` messages with ``tool_call_id`` and ``content``; the legacy
  ``function_call`` / ``function`` role too.
- Anthropic: content blocks; assistant ``text`` and ``tool_use {id, name, input}``, user
  turns of ``tool_result {tool_use_id, content, is_error}``.
- OpenAI Responses (detected when some item has a Responses item ``type``): messages with
  ``input_text`` / ``output_text`` parts, ``function_call {call_id, name, arguments}`` and
  ``function_call_output {call_id, output}`` items, read by ``model.responses_items`` as the
  wire reads them (consecutive assistant items are one turn; reasoning items are left out).
  The instructions are a separate request field, so a bare list records them only through
  its system or developer items (else they were not recorded); an item of any other type
  (a hosted tool's call) is refused.

Each assistant turn becomes an LlmCallEvent (its text, the tool calls it asked for; its
model, else the request body's ``model``; usage only when the message carries it) followed
by a ToolCallEvent per tool call. The call's request is the conversation before it
(``model.chat``): its messages; its instructions, from the system and developer messages
or the ``system`` key, "" when an OpenAI transcript or a request body has none, None (not
recorded) for a bare list that is not OpenAI's (an Anthropic list leaves the system prompt
out); and the offered tools when the file has a ``tools`` list, else None. Tool messages
and tool_result blocks become ToolResultEvents. Anthropic's ``is_error`` is honored;
OpenAI has no error flag, so an OpenAI tool result is marked as an error only when its text is
a framework's own rendering of a failed tool (``model.tool_errors``: LangGraph's ToolNode,
PydanticAI's retry prompt, LlamaIndex, the Agents SDK), never for text that merely starts with
"Error". System and user messages become InputMessageEvents; the first user
message is the run's input (image, audio and file parts named, never their bytes).

A transcript has no status, no times and no run id, so:

- status is ``success`` when the transcript ends with an assistant answer (text, no tool
  calls), which is also the final output; otherwise (it stops after a tool result, a tool
  request or a user turn) the run never answered, and the status is ``error``;
- a request body (``{"messages": ...}``, ``{"input": ...}``) that does not end with an
  answer is sent before the model's answer, so that answer is not recorded
  (``metadata.answer_not_recorded``);
- the run id is ``transcript-`` and the first 12 hex digits of the file's sha256;
- events have no ``ts``.
"""

from __future__ import annotations

from typing import Any

from .._jsonio import json_kind
from ..errors import TraceFormatError
from ..model import (
    ANSWER_NOT_RECORDED,
    CustomEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    RunMetadata,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
    Usage,
)
from ..model.chat import (
    ChatFormatError,
    Conversation,
    assistant_text,
    block_type,
    opt_str,
    tool_calls_of,
    tool_names,
)
from ..model.content_parts import readable_content
from ..model.responses_items import ITEM_TYPES, as_chat_messages, is_responses_items
from ..model.tool_errors import framework_error_text
from ._common import keys_problem
from .base import Importer, TraceDocument


class TranscriptImporter(Importer):
    name = "transcript"
    description = "chat transcripts: OpenAI chat messages or Anthropic messages"

    def check(self, doc: TraceDocument) -> str | None:
        if doc.kind != "json":
            return "not a single JSON document"
        messages = _messages(doc.value)
        if messages is None:
            if isinstance(doc.value, dict) and "messages" in doc.value:
                return keys_problem(doc.value, {"messages": "a list"})
            return (f"top level is {json_kind(doc.value)}, expected a list of chat "
                    'messages or {"messages": [...]}')
        if not messages:
            return "no messages"
        responses = _is_responses(doc.value, messages)
        for index, message in enumerate(messages):
            if responses and isinstance(message, dict) and "role" not in message:
                kind = message.get("type")
                if not isinstance(kind, str) or kind not in ITEM_TYPES:
                    return (f"item {index} has no \"role\" string and no Responses item "
                            f"type (got type {kind!r})")
            elif not isinstance(message, dict) or not isinstance(message.get("role"), str):
                return f'item {index} has no "role" string (not a chat message)'
        return None

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        messages = _messages(doc.value) or []
        wrapper = doc.value if isinstance(doc.value, dict) else {}
        responses = _is_responses(doc.value, messages)
        try:
            if responses:
                messages = as_chat_messages(messages, "input")
            system = wrapper.get("instructions" if responses else "system")
            model = wrapper.get("model") if isinstance(wrapper.get("model"), str) else None
            builder = _Builder(system, _offered(wrapper), model)
            if builder.conversation.parts:
                builder.input_message("system", _content(system, "system"))
            for index, message in enumerate(messages):
                builder.message(message, f"messages[{index}]")
            builder.fill_instructions(bool(wrapper) or (not responses and _is_openai(messages)))
        except ChatFormatError as exc:
            raise TraceFormatError(None, str(exc)) from None
        models = [e.model for e in builder.events if isinstance(e, LlmCallEvent) and e.model]
        run = TraceRun(
            run_id=f"transcript-{doc.sha256[:12]}",
            status="success" if builder.answer is not None else "error",
            input=builder.input, final_output=builder.answer, events=builder.events,
            metadata=RunMetadata(model=model or (models[0] if models else None),
                                 answer_not_recorded=REQUEST_BODY_NO_ANSWER
                                 if wrapper and builder.answer is None else None))
        return [run]


REQUEST_BODY_NO_ANSWER = f"{ANSWER_NOT_RECORDED} (a request body ends before the model's answer)"


def _offered(wrapper: dict[str, Any]) -> list[str] | None:
    tools = wrapper.get("tools")
    return None if tools is None else tool_names(tools)


def _is_openai(messages: list[Any]) -> bool:
    """A bare list in OpenAI's shape (it has a system prompt, or only OpenAI has what it
    holds): its instructions were recorded, as "" when it had none."""
    return any(isinstance(m, dict) and (
        m.get("role") in ("system", "developer", "tool", "function")
        or m.get("tool_calls") is not None or m.get("function_call") is not None)
        for m in messages)


def _is_responses(value: Any, messages: list[Any]) -> bool:
    """Responses input items: a request body's ``input``, or a list where some item has a
    Responses item ``type`` (a ``messages`` body is never Responses: its appended answer may
    be an Anthropic ``Message`` dump, ``"type": "message"``)."""
    if isinstance(value, dict):
        return "messages" not in value
    return is_responses_items(messages)


def _messages(value: Any) -> list[Any] | None:
    if isinstance(value, dict):
        value = value.get("messages", value.get("input"))
    return value if isinstance(value, list) else None


class _Builder:
    """Turns messages into events, in order."""

    def __init__(self, system: Any, tools: list[str] | None, model: str | None) -> None:
        self.conversation = Conversation(system)
        self.model = model
        self.tools = tools
        self.calls: list[LlmCallEvent] = []
        self.events: list[Any] = []
        self.input: Any = None
        self.answer: Any = None
        self.tool_names: dict[str, str] = {}

    def append(self, event_cls: type[Any], **fields: Any) -> Any:
        event = event_cls(seq=len(self.events) + 1, **fields)
        self.events.append(event)
        return event

    def input_message(self, role: str, content: Any) -> None:
        if role == "user" and self.input is None:
            self.input = content
        self.append(InputMessageEvent, role=role, content=content)

    def message(self, message: Any, where: str) -> None:
        if not isinstance(message, dict):
            raise ChatFormatError(f"{where}: expected an object, got {json_kind(message)}")
        role = message.get("role")
        if not isinstance(role, str):
            raise ChatFormatError(f'{where}: no "role" string')
        self.answer = None
        if role == "assistant":
            self.assistant(message, where)
        elif role in ("tool", "function"):
            call_id = opt_str(message, "tool_call_id", where)
            name = opt_str(message, "name", where) or self.tool_names.get(call_id or "")
            output = _content(message.get("content"), f"{where}.content")
            self.append(ToolResultEvent, call_id=call_id, tool_name=name, output=output,
                        is_error=framework_error_text(output))
        elif role == "user":
            self.user(message.get("content"), where)
        elif role in ("system", "developer"):
            self.input_message(role, _content(message.get("content"), f"{where}.content"))
        else:
            self.append(CustomEvent, name=f"message:{role}", data=message)
        self.conversation.add(message, where)

    def fill_instructions(self, recorded: bool) -> None:
        """A call before any system text: "" when the transcript records that there was
        none, else None (not recorded)."""
        for call in self.calls:
            if call.instructions is None and recorded:
                call.instructions = ""

    def user(self, content: Any, where: str) -> None:
        if not isinstance(content, list):
            self.input_message("user", _content(content, f"{where}.content"))
            return
        others = []
        for index, block in enumerate(content):
            here = f"{where}.content[{index}]"
            if block_type(block, here) != "tool_result":
                others.append(block)
                continue
            call_id = opt_str(block, "tool_use_id", here)
            is_error = block.get("is_error")
            if is_error is not None and not isinstance(is_error, bool):
                raise ChatFormatError(f"{here}.is_error: expected true or false, got "
                           f"{json_kind(is_error)}")
            self.append(ToolResultEvent, call_id=call_id,
                        tool_name=self.tool_names.get(call_id or ""), is_error=bool(is_error),
                        output=_content(block.get("content"), f"{here}.content"))
        if others:
            self.input_message("user", _content(others, f"{where}.content"))

    def assistant(self, message: dict[str, Any], where: str) -> None:
        content = message.get("content")
        text = assistant_text(content, where)
        calls = tool_calls_of(message, where)
        model = message.get("model") if isinstance(message.get("model"), str) else self.model
        stop = next((s for k in ("stop_reason", "finish_reason")
                     if isinstance(s := message.get(k), str)), None)
        self.calls.append(self.append(
            LlmCallEvent, model=model, response=text if isinstance(content, str) else text or None,
            tool_calls=calls, usage=_usage(message.get("usage")),
            instructions=self.conversation.instructions,
            messages=list(self.conversation.messages), tools_offered=self.tools,
            output_text=text, stop_reason=stop))
        for call in calls:
            if call.call_id:
                self.tool_names[call.call_id] = call.tool_name
            self.append(ToolCallEvent, tool_name=call.tool_name, tool_args=call.tool_args,
                        call_id=call.call_id)
        if not calls and text.strip():
            self.answer = text
            self.append(FinalOutputEvent, output=text)


def _content(content: Any, where: str) -> Any:
    """Message content: a string, or blocks (joined into one string when all are text or
    images, audio and files, which are named, never their bytes: ``model.content_parts``)."""
    if content is None or isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise ChatFormatError(f"{where}: expected a string or a list of blocks, got "
                   f"{json_kind(content)}")
    kinds = [block_type(block, f"{where}[{i}]") for i, block in enumerate(content)]
    if content and all(kind in ("text", "input_text", "output_text") for kind in kinds):
        return "".join(block["text"] for block in content)
    return readable_content(content)


_USAGE_KEYS = (("input_tokens", ("input_tokens", "prompt_tokens")),
               ("output_tokens", ("output_tokens", "completion_tokens")),
               ("total_tokens", ("total_tokens",)))


def _usage(value: Any) -> Usage | None:
    """Usage a message carries (Anthropic or OpenAI names); numbers that are not ints are
    left out."""
    if not isinstance(value, dict):
        return None
    fields: dict[str, int] = {}
    for field, names in _USAGE_KEYS:
        counts = [count for n in names if type(count := value.get(n)) is int]
        if counts:
            fields[field] = counts[0]
    return Usage(**fields) if fields else None
