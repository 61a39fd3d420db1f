"""The candidate's run, read from the wire (DESIGN 8): what the loopback model server saw of a
runner that wrote no output, as a ``TraceRun`` the assertion engine judges.

From ``model-log.jsonl`` (one entry a request, in the order the server answered them):

- one ``llm_call`` a request the tape answered: its instructions, offered tools and messages
  (the match key's history turned back into ``ChatMessage`` s), the answer's text, tool calls,
  stop reason and usage;
- the tool calls each answer asked for, as ``tool_call`` events; and the tool results the next
  request carried (its history's tool messages past the previous request's history), as
  ``tool_result`` events with the result text as output. A request the tape did not answer
  (a divergence, a bad body) still carried the results of the tools that ran.

Call ids on the wire are made up by each SDK, and the key keeps only a call's position in the
history (``call_ref``), so the run's call ids are made here: ``wire-<turn>-<n>``, the n-th call
(from 1) the answer to the server's turn ``turn`` asked for.

A tool result is an error where the protocol says so (Anthropic's ``tool_result`` block
``is_error``, read from the raw request body) or where its text is one the recording holds as
an error (``recorded_errors``: Chat Completions and Responses have no error flag). Text that
merely starts with "Error" is not taken for one: a tool may return such text, and the
importers do not guess either.

The final output is what the runner printed on stdout (trimmed; an agent's code may answer
without asking the model again) or, when it printed nothing, the text of the last answer on
the wire that asked for no tool calls (text beside a tool call, as Claude often writes before
one, is a preamble, not an answer: the importers read it so too). The status is ``success``
on exit code 0, else ``error`` with an error event holding the tail of stderr.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .._jsonio import BOM, DEFAULT_LIMITS, Limits, decode, json_in_text, loads
from .._safe_files import open_regular
from ..errors import TraceFormatError
from ..model import (
    ChatMessage,
    ErrorEvent,
    FinalOutputEvent,
    LlmCallEvent,
    RequestedToolCall,
    RunMetadata,
    SourceInfo,
    ToolCallEvent,
    ToolResultEvent,
    TraceEvent,
    TraceRun,
    Usage,
)
from ..tape.protocols import AnthropicMessages

WIRE_FORMAT = "replaycase.model-log"
"""The ``source.format`` of a run read from the wire."""


def json_line(entry: dict[str, Any]) -> bytes:
    """A model-log line as the server writes it (without its newline)."""
    return json.dumps(entry, ensure_ascii=False, default=str).encode()


class LogEntry:
    """A model-log entry as the server writes it, with some fields' JSON made already: the
    request body as sent (the whole conversation, every turn: not encoded again) and the key,
    encoded by pydantic; read back, the values ``json.dumps`` of the entry would give."""

    def __init__(self, entry: dict[str, Any], done: dict[str, bytes]) -> None:
        self.entry = entry
        self.done = done

    def set_model(self, name: str, model: BaseModel) -> None:
        """``entry[name]`` is ``model``: logged as its ``model_dump(mode="json")``."""
        try:
            self.done[name] = model.__pydantic_serializer__.to_json(model)
        except ValueError:  # text pydantic cannot write as UTF-8 (a lone surrogate)
            self.entry[name] = model.model_dump(mode="json")

    def line(self) -> bytes:
        """The entry as one line of JSON (``json.dumps``' separators)."""
        if not self.done:
            return json_line(self.entry)
        parts = []
        for name, value in self.entry.items():
            done = self.done.get(name)
            text = done if done is not None else json_line(value)
            parts.append(b'"%s": %s' % (name.encode(), text))
        return b"{%s}" % b", ".join(parts)


def read_model_log(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[dict[str, Any]]:
    """The entries of a model log, in order; [] when there is no log.

    A line that is not a JSON object (not JSON, cut short, past the limits) is skipped, not an
    error: the server writes and flushes one whole line a request, so such a line is the last
    one of a server stopped mid-write (or a damaged file), and the requests around it are
    still what the runner did. A file that is not a regular file or is over the size limit is
    a ``FileAccessError``, like any file replaycase reads."""
    if not path.exists():
        return []
    with open_regular(path, max_bytes=limits.max_file_bytes) as handle:
        return model_log_entries(handle, path, limits)


def model_log_entries(lines: Iterable[bytes], path: Path,
                      limits: Limits = DEFAULT_LIMITS) -> list[dict[str, Any]]:
    """The entries of a model log's lines (as ``read_model_log`` reads them)."""
    entries: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, start=1):
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM):]
        if not raw.strip():
            continue
        try:
            value = loads(decode(raw, path, number), path, limits, line=number)
        except TraceFormatError:
            continue
        if isinstance(value, dict):
            entries.append(value)
    return entries


def run_from_wire(entries: list[dict[str, Any]], *, case_id: str, stdout: str,
                  exit_code: int | None, stderr_tail: str, input: Any = None,
                  recorded_errors: Collection[str] = ()) -> TraceRun | None:
    """The run the model server saw; None when it answered no request (the runner never
    talked to it, so there is nothing to judge from the wire). ``input`` is the run's input
    (default: the first user text on the wire); ``recorded_errors`` the tool-result texts the
    recording holds as errors."""
    requests = [e for e in entries if isinstance(e.get("key"), dict)]
    if not any(isinstance(e.get("answer"), dict) for e in requests):
        return None
    events: list[TraceEvent] = []
    errors = {text.strip() for text in recorded_errors}
    previous: list[Any] = []
    pending: dict[Any, ToolCallEvent] = {}
    """The calls the last answer asked for, by the position (``call_ref``) the next request
    gives them: after the tool calls already in the history."""
    last_text: str | None = None
    first_user: str | None = None
    anthropic = AnthropicMessages()  # one reader: each request reads on from the last one
    for entry in requests:
        history = list(_dicts(entry["key"].get("history")))
        if first_user is None:
            first_user = next((str(m.get("text", "")) for m in history
                               if m.get("role") == "user"), None)
        start = len(previous) if history[:len(previous)] == previous else 0
        flags = _error_flags(entry, anthropic)
        tools = [(i, m) for i, m in enumerate(history) if m.get("role") == "tool"]
        for n, (i, message) in enumerate(tools):
            if i >= start:
                flagged = n < len(flags) and flags[n]
                events.append(_tool_result(len(events) + 1, message, pending, flagged, errors))
        previous = history
        answer = entry.get("answer")
        if not isinstance(answer, dict):
            continue
        call = _llm_call(len(events) + 1, entry, answer)
        events.append(call)
        if call.output_text and not call.tool_calls:
            last_text = call.output_text
        base = sum(len(_list(m.get("tool_calls"))) for m in history)
        pending = {}
        for n, requested in enumerate(call.tool_calls):
            requested.call_id = f"wire-{entry.get('turn')}-{n + 1}"
            tool_call = ToolCallEvent(seq=len(events) + 1, tool_name=requested.tool_name,
                                      tool_args=requested.tool_args, call_id=requested.call_id)
            events.append(tool_call)
            pending[base + n] = tool_call
    printed = stdout.strip()
    final = printed if printed else last_text
    if final:
        events.append(FinalOutputEvent(seq=len(events) + 1, output=final))
    ok = exit_code == 0
    if not ok:
        how = "was stopped" if exit_code is None else f"exited with code {exit_code}"
        events.append(ErrorEvent(seq=len(events) + 1, error_type="runner_exit",
                                 message=stderr_tail.strip() or f"the runner {how}"))
    model = next((e.model for e in events if isinstance(e, LlmCallEvent) and e.model), None)
    return TraceRun(run_id=f"{case_id}-wire", status="success" if ok else "error",
                    input=input if input is not None else first_user, final_output=final,
                    events=events, metadata=RunMetadata(model=model),
                    source=SourceInfo(format=WIRE_FORMAT))


def _llm_call(seq: int, entry: dict[str, Any], answer: dict[str, Any]) -> LlmCallEvent:
    key = entry["key"]
    request = _dict(entry.get("request"))
    usage = _dict(answer.get("usage"))
    tools = key.get("tools")
    model = answer.get("model") or request.get("model")
    return LlmCallEvent(
        seq=seq, model=model if isinstance(model, str) else None, request=entry.get("request"),
        response={k: v for k, v in answer.items() if k not in ("turn", "branch")},
        tool_calls=[RequestedToolCall(tool_name=str(c.get("name")), tool_args=c.get("arguments"))
                    for c in _dicts(answer.get("tool_calls"))],
        usage=Usage(input_tokens=_count(usage.get("input_tokens")),
                    output_tokens=_count(usage.get("output_tokens"))) if usage else None,
        instructions=key.get("instructions") if isinstance(key.get("instructions"), str) else None,
        messages=_messages(_list(key.get("history"))) if key.get("history") is not None else None,
        tools_offered=[str(t) for t in tools] if isinstance(tools, list) else None,
        output_text=str(answer.get("text") or ""),
        stop_reason=answer.get("stop_reason") if isinstance(answer.get("stop_reason"), str)
        else None)


def _messages(history: list[Any]) -> list[ChatMessage]:
    """A key's history back as messages: a tool call's id is ``ref-<position>``, the id its
    result names through ``call_ref``."""
    out: list[ChatMessage] = []
    names: list[str] = []
    for message in _dicts(history):
        calls = []
        for call in _dicts(message.get("tool_calls")):
            calls.append(RequestedToolCall(tool_name=str(call.get("name")),
                                           tool_args=json_in_text(call.get("arguments")),
                                           call_id=f"ref-{len(names)}"))
            names.append(str(call.get("name")))
        ref = message.get("call_ref")
        known = isinstance(ref, int) and 0 <= ref < len(names)
        role = message.get("role")
        out.append(ChatMessage(
            role=role if role in ("user", "assistant", "tool") else "user",
            text=str(message.get("text") or ""), tool_calls=calls,
            call_id=f"ref-{ref}" if known else None,
            tool_name=names[ref] if known and isinstance(ref, int) else None))
    return out


def _tool_result(seq: int, message: dict[str, Any], pending: dict[Any, ToolCallEvent],
                 flagged: bool, errors: set[str]) -> ToolResultEvent:
    ref = message.get("call_ref")
    call = pending.get(ref)
    text = str(message.get("text") or "")
    return ToolResultEvent(seq=seq, call_id=call.call_id if call else f"ref-{ref}",
                           tool_name=call.tool_name if call else None, output=text,
                           is_error=flagged or text.strip() in errors)


def _error_flags(entry: dict[str, Any], reader: AnthropicMessages) -> list[bool]:
    """Whether each tool message of the request was flagged an error by the protocol, in
    history order (only Anthropic Messages has the flag)."""
    body = entry.get("request")
    if entry.get("protocol") != AnthropicMessages.name or not isinstance(body, dict):
        return []
    try:
        messages = reader.read(body).messages
    except ValueError:
        return []
    return [m.is_error for m in messages if m.role == "tool"]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _dicts(values: Iterable[Any] | None) -> Iterable[dict[str, Any]]:
    return (v for v in values or () if isinstance(v, dict))
