"""ReplayKit-style JSON: a run with an ``events`` list, or a compact runner output.

    {"run_id": "...", "status": "error", "events": [{"type": "tool_call", ...}, ...]}
    {"status": "success", "final_output": "...", "tool_calls": [...], "errors": [...]}

A file may hold one run, a list of runs, or ``{"runs": [...]}``. Field names vary between
ReplayKit versions and hand-written runners, so several spellings are accepted. A model
call keeps what a model tape needs where the event has it (``_tape_request``), and its answer
text: ``output_text``, else a text response ("" when it only asked for tool calls).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .._jsonio import json_in_text, json_kind
from .._validation import pydantic_error_message, validation_message
from ..errors import TraceFormatError
from ..model import (
    RunMetadata,
    RunnerOutput,
    RunStatus,
    TraceEvent,
    TraceRun,
)
from ..model.chat import ChatFormatError, read_conversation, tool_names
from ._common import list_at, object_at
from .base import Importer, TraceDocument

_STATUS: dict[str, RunStatus] = {
    "success": "success", "succeeded": "success", "ok": "success", "completed": "success",
    "complete": "success", "passed": "success", "done": "success",
    "error": "error", "failed": "error", "failure": "error", "crashed": "error",
    "errored": "error",
    "timeout": "timeout", "timed_out": "timeout",
    "cancelled": "cancelled", "canceled": "cancelled", "interrupted": "cancelled",
    "aborted": "cancelled",
    "paused": "paused",
}
_RUN_KEYS = ("events", "tool_calls", "final_output", "errors")


def normalize_status(value: Any) -> RunStatus | None:
    """A status word from another tool mapped onto TraceRun's five, or None."""
    if not isinstance(value, str):
        return None
    return _STATUS.get(value.strip().lower())


class ReplayKitImporter(Importer):
    name = "replaykit"
    description = "ReplayKit-style run JSON and runner outputs"

    def check(self, doc: TraceDocument) -> str | None:
        if doc.kind != "json":
            return "not a single JSON document"
        items = _items(doc.value)
        if items is None:
            return f"top level is {json_kind(doc.value)}, expected a run object"
        if not items:
            return "an empty list of runs"
        for n, item in enumerate(items):
            if not isinstance(item, dict) or "status" not in item:
                what = "is not an object" if not isinstance(item, dict) else \
                    'has no "status" key'
                return f"run {n} {what}" if len(items) > 1 else \
                    ("not a run object" if not isinstance(item, dict) else 'no "status" key')
            if not any(key in item for key in _RUN_KEYS):
                return 'a run needs "events", "tool_calls", "final_output" or "errors"'
            if "schema" in item:
                return 'has a "schema" key (not ReplayKit)'
            if "run_type" in item:
                return 'has a "run_type" key (a LangSmith run, not ReplayKit)'
        return None

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        items = _items(doc.value) or []
        runs = []
        for index, item in enumerate(items):
            where = f"runs[{index}]: " if len(items) > 1 or isinstance(doc.value, list) else ""
            try:
                runs.append(self._load_run(item, index))
            except TraceFormatError as exc:
                raise TraceFormatError(None, where + exc.problem) from None
            except ValidationError as exc:
                raise TraceFormatError(None, where + validation_message(exc)) from None
        return runs

    def _load_run(self, item: dict[str, Any], index: int) -> TraceRun:
        status = normalize_status(item.get("status"))
        if status is None:
            raise TraceFormatError(None, f"status: {item.get('status')!r} is not a known run "
                                         "status (success, error, timeout, cancelled, paused)")
        run_id = item.get("run_id", item.get("id", f"run-{index + 1}"))
        if not isinstance(run_id, (str, int)):
            raise TraceFormatError(None, f"run_id: expected a string, got "
                                         f"{json_kind(run_id)}")
        if "events" not in item:
            data = dict(item, status=status, run_id=str(run_id))
            return RunnerOutput.model_validate(data).to_trace_run()
        events_raw = item["events"]
        if not isinstance(events_raw, list):
            raise TraceFormatError(None, f"events: expected a list, got "
                                         f"{json_kind(events_raw)}")
        events = _events(events_raw)
        metadata = object_at(item, "metadata")
        # The events are validated already (in one pass); do not validate them twice.
        run = TraceRun.model_construct(
            run_id=str(run_id), status=status, input=item.get("input"),
            final_output=item.get("final_output", item.get("output")), events=events,
            metadata=RunMetadata.model_validate(_metadata(item, metadata)), source=None,
        )
        # Else the answer and the question are in the events (run.events by type: the index
        # every check reads, built here once).
        if run.final_output is None:
            finals = run._indexed().of_type("final_output")
            run.final_output = finals[-1].output if finals else None
        if run.input is None:
            inputs = run._indexed().of_type("input_message")
            run.input = inputs[0].content if inputs else None
        return run


def _items(value: Any) -> list[Any] | None:
    if isinstance(value, dict):
        runs = value.get("runs")
        return runs if isinstance(runs, list) and "status" not in value else [value]
    if isinstance(value, list):
        return value
    return None


def _metadata(item: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    tags = metadata.get("tags", item.get("tags", []))
    return {
        "model": _text(metadata.get("model", item.get("model"))),
        "agent": _text(metadata.get("agent", metadata.get("agent_name", item.get("agent")))),
        "version": _text(metadata.get("version", item.get("version"))),
        "tags": [str(t) for t in tags] if isinstance(tags, list) else [],
        "extra": {k: v for k, v in metadata.items()
                  if k not in ("model", "agent", "agent_name", "version", "tags")},
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _first(raw: dict[str, Any], *keys: str, default: Any = None) -> Any:
    """The value of the first of ``keys`` that ``raw`` has and is not null."""
    for key in keys:
        value = raw.get(key)
        if value is not None:
            return value
    return default


_COMMON_KEYS = frozenset(("ts", "timestamp", "time", "duration_ms", "span_id", "parent_id"))


def _event(raw: Any, index: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise TraceFormatError(None, f"events[{index}]: expected an object, got "
                                     f"{json_kind(raw)}")
    kind = raw["type"] if "type" in raw else raw.get("event")
    if not isinstance(kind, str) or not kind:
        raise TraceFormatError(None, f'events[{index}]: no "type"')
    event: dict[str, Any] = {"seq": index + 1}  # a new dict: ``raw`` is the caller's
    if not _COMMON_KEYS.isdisjoint(raw):  # most events of big traces carry none of these
        event.update(ts=_text(_first(raw, "ts", "timestamp", "time")),
                     duration_ms=_number(raw.get("duration_ms")),
                     span_id=_text(raw.get("span_id")), parent_id=_text(raw.get("parent_id")))
    _MAPPERS.get(kind, _custom)(kind, raw, event)
    return event


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


_EVENTS: TypeAdapter[list[Any]] = TypeAdapter(list[TraceEvent])


_CHUNK = 10_000
"""Events mapped and validated at a time: the mapped dicts of a big run never all exist at
once (on 300,000 events, about a hundred megabytes less at the peak)."""


def _events(events_raw: list[Any]) -> list[Any]:
    """Every event mapped and validated, a chunk at a time, failing as one pass over all of
    them would: on the first event that cannot be mapped, else the first invalid one."""
    events: list[Any] = []
    invalid: TraceFormatError | None = None
    for start in range(0, len(events_raw), _CHUNK):
        mapped = [_event(raw, i) for i, raw in enumerate(events_raw[start:start + _CHUNK],
                                                            start)]
        if invalid is None:  # after an invalid event, the rest are only mapped
            try:
                events += _validate_events(mapped, start)
            except TraceFormatError as exc:
                invalid = exc
    if invalid is not None:
        raise invalid
    return events


def _validate_events(events: list[dict[str, Any]], offset: int) -> list[Any]:
    """Validate events in one pass (much faster than one model at a time); ``offset``: the
    index of the first in the run."""
    try:
        return _EVENTS.validate_python(events)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        index = first["loc"][0] if first["loc"] and isinstance(first["loc"][0], int) else 0
        kind = events[index].get("type") if index < len(events) else "?"
        where = pydantic_error_message(first, skip=2)
        raise TraceFormatError(None, f"events[{offset + index}] ({kind}): {where}") from None


# Each mapper fills ``event`` (which holds seq and the common fields) from ``raw``;
# validation comes after, for all events in one pass.

def _input_message(kind: str, raw: dict[str, Any], event: dict[str, Any]) -> None:
    event.update(type="input_message", role=str(raw.get("role", "user")),
                 content=_first(raw, "content", "message", "text", "input"))


def _tool_call(kind: str, raw: dict[str, Any], event: dict[str, Any]) -> None:
    name = raw.get("tool_name")
    if name is None:
        name = _first(raw, "name", "tool")
    if not isinstance(name, str):
        raise TraceFormatError(None, f"events[{event['seq'] - 1}] (tool_call): no tool_name "
                                     "string")
    args = raw.get("tool_args")
    if args is None:
        args = _first(raw, "args", "arguments", "input", default={})
    call_id = raw.get("call_id")
    if call_id is None:
        call_id = _first(raw, "tool_call_id", "id")
    event["type"] = "tool_call"
    event["tool_name"] = name
    event["tool_args"] = json_in_text(args)
    event["call_id"] = None if call_id is None else str(call_id)


def _tool_result(kind: str, raw: dict[str, Any], event: dict[str, Any]) -> None:
    error = raw.get("error")
    is_error = raw.get("is_error", bool(error))
    if not isinstance(is_error, bool):
        raise TraceFormatError(None, f"events[{event['seq'] - 1}] (tool_result): is_error "
                                     f"must be true or false, got {json_kind(is_error)}")
    call_id = raw.get("call_id")
    if call_id is None:
        call_id = _first(raw, "tool_call_id", "id")
    name = raw.get("tool_name")
    if name is None:
        name = _first(raw, "name", "tool")
    output = raw.get("output")
    if output is None:
        output = _first(raw, "tool_output", "result", "content", default=error)
    event["type"] = "tool_result"
    event["call_id"] = None if call_id is None else str(call_id)
    event["tool_name"] = None if name is None else str(name)
    event["output"] = output
    event["is_error"] = is_error


def _error(kind: str, raw: dict[str, Any], event: dict[str, Any]) -> None:
    message = _first(raw, "message", "error", "content", default="error")
    event.update(type="error", message=str(message),
                 error_type=_text(_first(raw, "error_type", "error_class", "kind")))


def _final_output(kind: str, raw: dict[str, Any], event: dict[str, Any]) -> None:
    event.update(type="final_output", output=_first(raw, "output", "content", "text"))


def _llm_call(kind: str, raw: dict[str, Any], event: dict[str, Any]) -> None:
    usage = raw.get("usage")
    requested = list_at(raw, "tool_calls")
    response = _first(raw, "response", "content", "output")
    output_text = raw.get("output_text")
    if not isinstance(output_text, str):
        output_text = response if isinstance(response, str) else (
            "" if response is None and requested and not raw.get("error") else None)
    event.update(_tape_request(raw), output_text=output_text,
                 stop_reason=_text(_first(raw, "stop_reason", "finish_reason")))
    event.update(
        type="llm_call", model=_text(raw.get("model")),
        request=_first(raw, "request", "prompt", "messages"),
        response=response,
        tool_calls=[{  # validated with the events, in one pass
            "tool_name": str(_first(r, "tool_name", "name", default="?")),
            "tool_args": json_in_text(_first(r, "tool_args", "args", "arguments")),
            "call_id": _text(_first(r, "call_id", "id"))} for r in requested
            if isinstance(r, dict)],
        usage=usage if isinstance(usage, dict) else None,
        latency_ms=_number(raw.get("latency_ms")),
        error=_text(raw.get("error")))


def _tape_request(raw: dict[str, Any]) -> dict[str, Any]:
    """What the model tape needs of the request (DESIGN 8): messages in the OpenAI or
    Anthropic shape (``messages``, or a ``request`` that is such a list or a body holding
    one), the instructions (``instructions`` / ``system``, else its system messages) and the
    offered tools; a part missing or malformed is not recorded (None)."""
    request = raw.get("request")
    body = request if isinstance(request, dict) else raw
    messages = _first(raw, "messages", default=request if isinstance(request, list)
                      else body.get("messages"))
    system = _first(raw, "instructions", "system", default=body.get("system"))
    tools = _first(raw, "tools_offered", "tools", default=body.get("tools"))
    fields: dict[str, Any] = {}
    try:
        if isinstance(messages, list):
            found, fields["messages"] = read_conversation(messages)
            fields["instructions"] = found
        if isinstance(system, str):
            fields["instructions"] = system
        if isinstance(tools, list):
            fields["tools_offered"] = tool_names(tools)
    except ChatFormatError:
        return {}
    return fields


def _state(kind: str, raw: dict[str, Any], event: dict[str, Any]) -> None:
    action = {"state_exited": "exited", "transition": "transition"}.get(kind, "entered")
    state = _first(raw, "state", "from_state", "name", default="?")
    event.update(type="state", state=str(state), action=action,
                 to_state=_text(_first(raw, "to_state", "to")))


def _approval(kind: str, raw: dict[str, Any], event: dict[str, Any]) -> None:
    action = "resolved" if kind == "approval_resolved" or raw.get("decision") else "requested"
    event.update(type="approval", approval_id=_text(_first(raw, "approval_id", "id")),
                 action=action, decision=_text(raw.get("decision")),
                 summary=_text(raw.get("summary")))


def _retry(kind: str, raw: dict[str, Any], event: dict[str, Any]) -> None:
    attempt = raw.get("attempt")
    event.update(type="retry", attempt=attempt if isinstance(attempt, int) else None,
                 reason=_text(_first(raw, "reason", "error")))


def _custom(kind: str, raw: dict[str, Any], event: dict[str, Any]) -> None:
    data = {k: v for k, v in raw.items() if k not in ("type", "ts", "timestamp")}
    event.update(type="custom", name=kind, data=data)


_Mapper = Callable[[str, dict[str, Any], dict[str, Any]], None]
_MAPPERS: dict[str, _Mapper] = {
    **dict.fromkeys(("input_message", "input", "user_message", "message"), _input_message),
    "tool_call": _tool_call,
    "tool_result": _tool_result,
    **dict.fromkeys(("error", "exception"), _error),
    **dict.fromkeys(("final_output", "output", "answer", "final_answer"), _final_output),
    **dict.fromkeys(("llm_call", "llm_response", "model_call", "llm"), _llm_call),
    **dict.fromkeys(("state", "state_entered", "state_exited", "transition"), _state),
    **dict.fromkeys(("approval", "approval_requested", "approval_resolved"), _approval),
    **dict.fromkeys(("retry", "retry_scheduled"), _retry),
}
