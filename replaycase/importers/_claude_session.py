"""The events of one Claude Code session, built a record at a time (``claude_code``)."""

from __future__ import annotations

from typing import Any

from .._jsonio import json_kind
from ..model import (
    ANSWER_NOT_RECORDED,
    CustomEvent,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    RunMetadata,
    RunStatus,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
    Usage,
)
from ..model.chat import Conversation, assistant_text, block_type, content_text, tool_calls_of
from ..model.content_parts import is_media_part, parts_text
from ._common import BadRecord

INTERRUPTED = "[Request interrupted by user"
REJECTED = "User rejected tool use"
_LOCAL_COMMAND = "<local-command-"
"""The output line of a local ``/command``: no model call answers it."""
CUT = (f"{ANSWER_NOT_RECORDED} (the session ends before Claude answered its last message "
       "or tool result: the file was cut or copied mid-turn)")
_SKIPPED = frozenset({"file-history-snapshot", "queue-operation"})


def _str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) else None


def _message(record: dict[str, Any]) -> dict[str, Any]:
    message = record.get("message")
    if not isinstance(message, dict):
        raise BadRecord(f'{record.get("type")}: "message" must be an object, got '
                        f"{json_kind(message)}")
    return message


def usage_of(value: Any) -> Usage | None:
    """Anthropic usage; the input tokens count cache reads and writes too."""
    if not isinstance(value, dict):
        return None
    counts = {k: v for k, v in value.items() if type(v) is int}
    inputs = [counts[k] for k in ("input_tokens", "cache_creation_input_tokens",
                                  "cache_read_input_tokens") if k in counts]
    if not inputs and "output_tokens" not in counts:
        return None
    return Usage(input_tokens=sum(inputs) if inputs else None,
                 output_tokens=counts.get("output_tokens"))


class SessionBuilder:
    """Collects one session's events in order and decides its status."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.conversation = Conversation()
        self.input: Any = None
        self.answer: str | None = None
        self.ending: RunStatus = "success"
        self.session_id: str | None = None
        self.agent_id: str | None = None
        self.sidechain_file: bool | None = None  # decided by the first message line
        self.meta: dict[str, Any] = {}
        self.version: str | None = None
        self.call: LlmCallEvent | None = None  # the assistant message being merged
        self.call_id: str | None = None
        self.blocks: list[Any] = []  # its content blocks, for the conversation
        self.names: dict[str, str] = {}  # tool call id -> tool name
        self.subagents: dict[str, dict[str, Any]] = {}
        self.waiting = False  # the file ends before Claude answered (a message, a tool result)

    def append(self, event_cls: type[Any], ts: str | None, **fields: Any) -> Any:
        event = event_cls(seq=len(self.events) + 1, ts=ts, **fields)
        self.events.append(event)
        return event

    # -- records ----------------------------------------------------------------------

    def add(self, record: Any) -> None:
        if not isinstance(record, dict):
            raise BadRecord(f"expected an object, got {json_kind(record)}")
        kind = record.get("type")
        if not isinstance(kind, str):
            raise BadRecord('no "type" string naming the record')
        if kind in _SKIPPED:
            return
        self._note_session(record)
        ts = _str(record, "timestamp")
        if kind in ("user", "assistant"):
            if self.sidechain_file is None:
                self.sidechain_file = record.get("isSidechain") is True
            if record.get("isSidechain") is True and not self.sidechain_file:
                self._subagent(record, ts, _str(record, "agentId") or "sidechain", None)
                return
            if kind == "assistant":
                self.assistant(record, ts)
            else:
                self.user(record, ts)
        elif kind == "progress":
            self.progress(record, ts)
        elif kind == "system":
            self.system(record, ts)
        elif kind == "summary":
            self.append(CustomEvent, ts, name="summary",
                        data={k: record.get(k) for k in ("summary", "leafUuid")})
        else:
            self.append(CustomEvent, ts, name=kind, data=None)

    def _note_session(self, record: dict[str, Any]) -> None:
        self.session_id = self.session_id or _str(record, "sessionId")
        self.agent_id = self.agent_id or _str(record, "agentId")
        self.version = _str(record, "version") or self.version
        for key in ("cwd", "gitBranch"):
            if key not in self.meta and _str(record, key):
                self.meta[key] = record[key]

    def user(self, record: dict[str, Any], ts: str | None) -> None:
        self._close_call()
        message = _message(record)
        content = message.get("content")
        self.conversation.add({"role": "user", "content": content}, "message")
        if not isinstance(content, list):
            self._input(content_text(content, "message.content"), ts, record)
            return
        texts = []
        for index, block in enumerate(content):
            here = f"message.content[{index}]"
            if block_type(block, here) != "tool_result":
                if block.get("type") == "text" or is_media_part(block):
                    texts.append(block)  # a pasted image named, never its bytes
                continue
            call_id = _str(block, "tool_use_id")
            rejected = record.get("toolUseResult") == REJECTED
            self.append(ToolResultEvent, ts, call_id=call_id,
                        tool_name=self.names.get(call_id or ""),
                        output=content_text(block.get("content"), f"{here}.content"),
                        is_error=block.get("is_error") is True or rejected)
            self._task_result(call_id, record.get("toolUseResult"))
            self.ending, self.waiting = "success", True
        if texts:
            self._input(parts_text(texts), ts, record)

    def _input(self, text: str, ts: str | None, record: dict[str, Any]) -> None:
        if text.startswith(INTERRUPTED):
            self.ending, self.waiting = "cancelled", False
            self.append(CustomEvent, ts, name="interrupted", data=text)
            return
        self.ending = "success"
        if text.lstrip().startswith(_LOCAL_COMMAND):
            self.waiting = False  # a local /command (``/exit``) ran: nothing awaits Claude
        elif not record.get("isMeta"):
            self.waiting = True
            if self.input is None:
                self.input = text
        self.append(InputMessageEvent, ts, role="user", content=text)

    def assistant(self, record: dict[str, Any], ts: str | None) -> None:
        message = _message(record)
        content = message.get("content")
        blocks = content if isinstance(content, list) else [
            {"type": "text", "text": content_text(content, "message.content")}]
        if record.get("isApiErrorMessage") or message.get("model") == "<synthetic>":
            self._close_call()
            text = assistant_text(blocks, "message")
            self.append(ErrorEvent, ts, message=text or "API error", error_type="api_error")
            self.ending = "error" if record.get("isApiErrorMessage") else self.ending
            self.waiting = False
            return
        msg_id = _str(message, "id")
        if self.call is None or msg_id is None or msg_id != self.call_id:
            self._close_call()
            self.call = self.append(LlmCallEvent, ts, model=_str(message, "model"),
                                    instructions=None, output_text="")
            # assigned, not validated: a long session's calls hold thousands of messages each
            self.call.messages = list(self.conversation.messages)
            self.call_id = msg_id
        call = self.call
        self.blocks.extend(blocks)
        text = assistant_text(blocks, "message")
        call.output_text = (call.output_text or "") + text
        call.response = call.output_text or None
        call.usage = usage_of(message.get("usage")) or call.usage
        call.stop_reason = _str(message, "stop_reason") or call.stop_reason
        for requested in tool_calls_of({"content": blocks}, "message"):
            call.tool_calls.append(requested)
            if requested.call_id:
                self.names[requested.call_id] = requested.tool_name
            self.append(ToolCallEvent, ts, tool_name=requested.tool_name,
                        tool_args=requested.tool_args, call_id=requested.call_id)
        if text.strip():
            self.answer = call.output_text.strip()
        self.ending, self.waiting = "success", bool(call.tool_calls)

    def _close_call(self) -> None:
        if self.call is not None:
            self.conversation.add({"role": "assistant", "content": self.blocks}, "message")
        self.call, self.call_id, self.blocks = None, None, []

    def system(self, record: dict[str, Any], ts: str | None) -> None:
        subtype = _str(record, "subtype") or "system"
        text = record.get("content")
        if subtype == "compact_boundary":  # the requests after it start from a summary
            self._close_call()
            self.conversation.messages = []
        if record.get("level") == "error":
            message = text if isinstance(text, str) and text else subtype
            self.append(ErrorEvent, ts, message=message, error_type=subtype)
            self.ending, self.waiting = "error", False
            return
        self.append(CustomEvent, ts, name=f"system:{subtype}",
                    data={k: record[k] for k in ("content", "level") if k in record})

    def progress(self, record: dict[str, Any], ts: str | None) -> None:
        data = record.get("data")
        if not isinstance(data, dict) or data.get("type") != "agent_progress":
            return
        inner = data.get("message")
        if not isinstance(inner, dict):
            raise BadRecord(f"progress: data.message must be an object, got {json_kind(inner)}")
        agent = _str(data, "agentId") or "subagent"
        self._subagent(inner, _str(inner, "timestamp") or ts, agent,
                       _str(record, "parentToolUseID"))

    # -- sub-agents -------------------------------------------------------------------

    def _subagent(self, record: dict[str, Any], ts: str | None, agent: str,
                  parent: str | None) -> None:
        message = _message(record)
        summary = self.subagents.setdefault(agent, {
            "agent_id": agent, "call_id": parent, "model": None, "tool_calls": 0,
            "tool_errors": 0, "messages": 0})
        summary["call_id"] = summary["call_id"] or parent
        summary["model"] = summary["model"] or _str(message, "model")
        where = {"span_id": f"agent-{agent}", "parent_id": summary["call_id"]}
        content = message.get("content")
        blocks = content if isinstance(content, list) else [
            {"type": "text", "text": content_text(content, "message.content")}]
        role = _str(message, "role") or _str(record, "type") or "assistant"
        for index, block in enumerate(blocks):
            kind = block_type(block, f"message.content[{index}]")
            if kind == "tool_use":
                summary["tool_calls"] += 1
                data = {"agent_id": agent, "tool_name": block.get("name"),
                        "tool_args": block.get("input"), "call_id": block.get("id")}
                self.append(CustomEvent, ts, name="subagent_tool_call", data=data, **where)
            elif kind == "tool_result":
                is_error = block.get("is_error") is True
                summary["tool_errors"] += is_error
                data = {"agent_id": agent, "call_id": block.get("tool_use_id"),
                        "is_error": is_error,
                        "output": content_text(block.get("content"), "tool_result.content")}
                self.append(CustomEvent, ts, name="subagent_tool_result", data=data, **where)
            elif kind == "text" and block["text"].strip():
                summary["messages"] += 1
                self.append(CustomEvent, ts, name="subagent_message",
                            data={"agent_id": agent, "role": role, "text": block["text"]},
                            **where)

    def _task_result(self, call_id: str | None, result: Any) -> None:
        """A Task tool's result names the sub-agent that answered it."""
        if not isinstance(result, dict) or not isinstance(result.get("agentId"), str):
            return
        agent = result["agentId"]
        summary = self.subagents.setdefault(agent, {
            "agent_id": agent, "call_id": call_id, "model": None, "tool_calls": 0,
            "tool_errors": 0, "messages": 0})
        summary["call_id"] = summary["call_id"] or call_id
        summary["status"] = result.get("status")

    # -- the run ----------------------------------------------------------------------

    def finish(self, sha256: str) -> TraceRun:
        self._close_call()
        if self.waiting:  # cut mid-turn: the last turn's answer is not in the file
            self.answer = None
        if self.answer is not None:
            self.append(FinalOutputEvent, None, output=self.answer)
        models = [e.model for e in self.events if isinstance(e, LlmCallEvent) and e.model]
        extra: dict[str, Any] = dict(self.meta)
        if self.session_id:
            extra["session_id"] = self.session_id
        if self.subagents:
            extra["subagents"] = list(self.subagents.values())
        sidechain = bool(self.sidechain_file and self.agent_id)
        if sidechain:
            extra["sidechain"] = True
        run_id = (f"agent-{self.agent_id}" if sidechain else self.session_id) \
            or f"claude-code-{sha256[:12]}"
        metadata = RunMetadata(model=models[0] if models else None, version=self.version,
                               agent="claude-code" + (" sub-agent" if sidechain else ""),
                               extra=extra, answer_not_recorded=CUT if self.waiting else None)
        return TraceRun(run_id=run_id, status=self.ending, input=self.input,
                        final_output=self.answer, events=self.events, metadata=metadata)
