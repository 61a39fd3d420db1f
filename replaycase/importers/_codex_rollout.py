"""The events of one Codex CLI rollout, built a record at a time (``codex_cli``)."""

from __future__ import annotations

import json
from typing import Any

from .._jsonio import json_in_text, json_kind
from ..model import (
    ANSWER_NOT_RECORDED,
    CustomEvent,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    RequestedToolCall,
    RunMetadata,
    RunStatus,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
    Usage,
)
from ..model.chat import Conversation, assistant_text, content_text
from ..model.responses_items import CALLS, OUTPUTS, SKIPPED, as_chat_messages
from ._common import BadRecord

CUT = (f"{ANSWER_NOT_RECORDED} (the rollout ends inside a turn, before the model answered: "
       "the file was cut or copied mid-turn)")
SHELL_CALL = "local_shell_call"
_ASSISTANT = frozenset({*CALLS, *SKIPPED, SHELL_CALL})
_FAILED = frozenset({"failed", "declined", "error"})
_LEFT_OUT = frozenset({"token_count", "agent_message", "agent_reasoning", "user_message",
                       "agent_reasoning_raw_content", "agent_message_delta"})


def _str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _usage(info: Any) -> Usage | None:
    last = info.get("last_token_usage") if isinstance(info, dict) else None
    if not isinstance(last, dict):
        return None
    counts = {k: v for k, v in last.items() if type(v) is int}
    return Usage(input_tokens=counts.get("input_tokens"),
                 output_tokens=counts.get("output_tokens"),
                 total_tokens=counts.get("total_tokens"))


class RolloutBuilder:
    """Collects one rollout's events in order and decides its status."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.conversation = Conversation()
        self.meta: dict[str, Any] = {}
        self.run_id: str | None = None
        self.version: str | None = None
        self.agent: str | None = None
        self.model: str | None = None
        self.input: Any = None
        self.first_user: str | None = None
        self.answer: str | None = None
        self.ending: RunStatus = "success"
        self.call: LlmCallEvent | None = None
        self.turn: list[dict[str, Any]] = []  # the open call's items
        self.names: dict[str, str] = {}
        self.results: dict[str, ToolResultEvent] = {}
        self.failed: set[str] = set()  # call ids an end event says failed
        self.open_task = False  # a task_started without its task_complete
        self.waiting = False  # the last item awaits the model (a question, a tool's output)

    def append(self, event_cls: type[Any], ts: str | None, **fields: Any) -> Any:
        event = event_cls(seq=len(self.events) + 1, ts=ts, **fields)
        self.events.append(event)
        return event

    def add(self, record: Any) -> None:
        if not isinstance(record, dict):
            raise BadRecord(f"expected an object, got {json_kind(record)}")
        kind = record.get("type")
        payload = record.get("payload")
        if not isinstance(kind, str):
            raise BadRecord('no "type" string naming the record')
        if not isinstance(payload, dict):
            raise BadRecord(f'{kind}: "payload" must be an object, got {json_kind(payload)}')
        ts = _str(record, "timestamp")
        if kind == "session_meta":
            self.session_meta(payload)
        elif kind == "turn_context":
            self.model = _str(payload, "model") or self.model
        elif kind == "response_item":
            self.item(payload, ts)
        elif kind == "event_msg":
            self.event(payload, ts)
        elif kind == "compacted":
            self.compacted(payload, ts)
        else:
            self.append(CustomEvent, ts, name=kind, data=None)

    def session_meta(self, p: dict[str, Any]) -> None:
        self.run_id = self.run_id or _str(p, "id")
        self.version = self.version or _str(p, "cli_version")
        self.agent = self.agent or _str(p, "originator")
        base = p.get("base_instructions")
        text = base.get("text") if isinstance(base, dict) else p.get("instructions")
        if isinstance(text, str) and not self.conversation.parts:
            self.conversation.parts.append(text)
        for key in ("cwd", "model_provider", "source"):
            if _str(p, key) and key not in self.meta:
                self.meta[key] = p[key]

    # -- response items ---------------------------------------------------------------

    def item(self, p: dict[str, Any], ts: str | None) -> None:
        kind = p.get("type", "message")
        role = p.get("role")
        if not isinstance(kind, str):
            raise BadRecord(f"response_item: type: expected a string, got {json_kind(kind)}")
        if kind == SHELL_CALL:
            p = {"type": "function_call", "name": "local_shell",
                 "arguments": json.dumps(p.get("action")),
                 "call_id": _str(p, "call_id") or _str(p, "id")}
            kind = "function_call"
        if kind in _ASSISTANT or (kind == "message" and role == "assistant"):
            self.assistant(p, kind, ts)
            return
        if kind in OUTPUTS:
            self._close_call()
            self.output(p, ts)
        elif kind == "message":
            self._close_call()
            for message in as_chat_messages([p], "payload"):
                self.conversation.add(message, "payload")
                text = content_text(message.get("content"), "payload.content")
                self.waiting = self.waiting or message["role"] == "user"
                if message["role"] == "user" and self.first_user is None:
                    self.first_user = text
                self.append(InputMessageEvent, ts, role=message["role"], content=text)
        else:  # a hosted tool's call (web search), a ghost snapshot: not the conversation
            self.append(CustomEvent, ts, name=kind,
                        data={k: v for k, v in p.items() if k != "encrypted_content"})

    def assistant(self, p: dict[str, Any], kind: str, ts: str | None) -> None:
        if self.call is None:
            self.call = self.append(LlmCallEvent, ts, model=self.model, output_text="",
                                    instructions=self.conversation.instructions or "")
            # assigned, not validated: a long session's calls hold thousands of messages each
            self.call.messages = list(self.conversation.messages)
        call = self.call
        self.turn.append(p)
        self.ending = "success"
        if kind in CALLS or kind == SHELL_CALL:
            self.waiting = True  # the call awaits its output, then the model
        if kind == "message":
            text = assistant_text(p.get("content"), "payload")
            call.output_text = (call.output_text or "") + text
            call.response = call.output_text or None
            if text.strip():
                self.answer, self.waiting = text, False
        elif kind in CALLS:
            name = p.get("name")
            if not isinstance(name, str):
                raise BadRecord(f"{kind}: name: expected a string, got {json_kind(name)}")
            raw = p.get("input" if kind == "custom_tool_call" else "arguments")
            requested = RequestedToolCall(tool_name=name, tool_args=json_in_text(raw),
                                          call_id=_str(p, "call_id"))
            call.tool_calls.append(requested)
            if requested.call_id:
                self.names[requested.call_id] = name
            self.append(ToolCallEvent, ts, tool_name=name, tool_args=requested.tool_args,
                        call_id=requested.call_id)

    def _close_call(self) -> None:
        if self.call is not None:
            for message in as_chat_messages(self.turn, "payload", unknown="skip"):
                self.conversation.add(message, "payload")
        self.call, self.turn = None, []

    def output(self, p: dict[str, Any], ts: str | None) -> None:
        self.waiting = True
        call_id = _str(p, "call_id")
        raw = p.get("output")
        success = raw.get("success") if isinstance(raw, dict) else p.get("success")
        if isinstance(raw, dict) and "content" in raw:
            raw = raw["content"]
        for message in as_chat_messages([{**p, "output": raw}], "payload"):
            self.conversation.add(message, "payload")
        text = raw if isinstance(raw, str) else content_text(raw, "payload.output")
        event = self.append(ToolResultEvent, ts, call_id=call_id,
                            tool_name=self.names.get(call_id or ""), output=text,
                            is_error=success is False or (call_id or "") in self.failed)
        if call_id:
            self.results[call_id] = event

    def compacted(self, p: dict[str, Any], ts: str | None) -> None:
        """The requests after a compaction send its replacement history (or its summary)."""
        self._close_call()
        history = p.get("replacement_history")
        if isinstance(history, list):
            messages = as_chat_messages(history, "payload.replacement_history", unknown="skip")
        else:
            messages = [{"role": "user", "content": _str(p, "message") or ""}]
        self.conversation.messages = []
        for message in messages:
            if message["role"] not in ("system", "developer"):
                self.conversation.add(message, "payload")
        self.append(CustomEvent, ts, name="compacted", data={"message": p.get("message")})

    # -- events -----------------------------------------------------------------------

    def event(self, p: dict[str, Any], ts: str | None) -> None:
        kind = p.get("type")
        if not isinstance(kind, str):
            raise BadRecord(f"event_msg: type: expected a string, got {json_kind(kind)}")
        if kind == "token_count":
            usage = _usage(p.get("info"))
            last = next((e for e in reversed(self.events) if isinstance(e, LlmCallEvent)), None)
            if usage is not None and last is not None and last.usage is None:
                last.usage = usage
        elif kind == "user_message":
            if self.input is None and isinstance(p.get("message"), str):
                self.input = p["message"]
        elif kind in ("exec_command_end", "patch_apply_end"):
            self.command_end(p, ts)
        elif kind in ("error", "stream_error"):
            message = _str(p, "message") or kind
            self.append(ErrorEvent, ts, message=message, error_type=kind)
            self.ending = "error" if kind == "error" else self.ending
            self.waiting = False
        elif kind in ("task_started", "task_complete"):
            self.open_task = kind == "task_started"
            self.append(CustomEvent, ts, name=kind, data=_small(p))
        elif kind == "turn_aborted":
            self.ending, self.open_task, self.waiting = "cancelled", False, False
            self.append(CustomEvent, ts, name="turn_aborted", data=p)
        elif kind not in _LEFT_OUT:
            self.append(CustomEvent, ts, name=kind, data=_small(p))

    def command_end(self, p: dict[str, Any], ts: str | None) -> None:
        call_id = _str(p, "call_id") or ""
        failed = _str(p, "status") in _FAILED or p.get("success") is False
        data = {k: p[k] for k in ("call_id", "exit_code", "status", "success") if k in p}
        self.append(CustomEvent, ts, name=str(p.get("type")), data=data)
        if not failed:
            return
        self.failed.add(call_id)
        if call_id in self.results:
            self.results[call_id].is_error = True

    def finish(self, sha256: str) -> TraceRun:
        self._close_call()
        cut = self.open_task or self.waiting
        if cut:  # cut mid-turn: the last turn's answer is not in the file
            self.answer = None
        if self.answer is not None:
            self.append(FinalOutputEvent, None, output=self.answer)
        models = [e.model for e in self.events if isinstance(e, LlmCallEvent) and e.model]
        return TraceRun(
            run_id=self.run_id or f"codex-{sha256[:12]}",
            status="error" if self.open_task and self.ending == "success" else self.ending,
            input=self.input if self.input is not None else self.first_user,
            final_output=self.answer, events=self.events,
            metadata=RunMetadata(model=models[0] if models else self.model,
                                 agent=self.agent or "codex", version=self.version,
                                 extra=self.meta,
                                 answer_not_recorded=CUT if cut else None))


def _small(p: dict[str, Any]) -> dict[str, Any]:
    """An event's payload without its bulky outputs (kept by the tool results)."""
    return {k: v for k, v in p.items()
            if k not in ("aggregated_output", "formatted_output", "stdout", "stderr",
                         "last_agent_message", "rate_limits")}
