"""replayt JSONL run logs: one event a line, ``{"ts", "run_id", "seq", "type", "payload"}``.

A log may hold several runs, told apart by ``run_id``: each becomes one TraceRun, in the
order the runs first appear. The file is streamed, never read whole. Events are renumbered
1..n within each run; ``ts`` is kept as written.

    run_started                  metadata (workflow name and version, tags) and the run input
    state_entered / state_exited StateEvent entered / exited (with the next state)
    transition                   StateEvent transition (from_state -> to_state)
    llm_request + llm_response   one LlmCallEvent: request messages (full log mode) or their
                                 summary, model, usage, latency, response content (or its
                                 preview); the tool calls a model asked for, which replayt
                                 keeps as OpenAI-shaped JSON text ``{"tool_calls": [...]}``.
                                 For the model tape: the messages and instructions (system
                                 texts, "" for none) in full mode, the answer text (the
                                 content as the model wrote it, tool-call JSON too) and the
                                 finish reason; a summary or a preview leaves them None, and
                                 replayt logs no offered tools
    tool_call / tool_result      ToolCallEvent / ToolResultEvent; ``ok: false`` gives
                                 is_error and the error object as output
    retry_scheduled              RetryEvent
    step_error / run_failed      ErrorEvent (a run_failed repeating the step_error just
                                 before it is that error, not a second one)
    approval_requested/resolved  ApprovalEvent
    step_note kind final_answer  FinalOutputEvent, the run's final output
    anything else                CustomEvent with the payload as data (structured_output,
                                 structured_output_failed, context_snapshot, run_paused,
                                 run_completed, other step notes, …)

An ``llm_request`` followed by an error instead of its ``llm_response`` means the model call
raised: the error is recorded on that LlmCallEvent too.

Status: the last of ``run_completed`` (its status), ``run_failed`` (error) and ``run_paused``
(paused). A run with none of them stopped without ending and counts as ``error``.

A run without a ``final_answer`` note has its answer unknown (``metadata.answer_not_recorded``),
whatever its status: replayt itself logs no final output (a completed workflow keeps its
result in its context), so a candidate's fixed run would not show one either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from .._jsonio import json_kind
from .._validation import validation_message
from ..errors import TraceFormatError
from ..model import (
    ANSWER_NOT_RECORDED,
    ApprovalEvent,
    CustomEvent,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    RetryEvent,
    RunMetadata,
    RunStatus,
    StateEvent,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
)
from ._common import keys_problem, object_at
from ._replayt_fields import (
    BadRecord,
    effective_model,
    error_parts,
    opt_bool,
    opt_id,
    opt_int,
    opt_num,
    opt_str,
    read_usage,
    req_str,
    request_messages,
    requested_tool_calls,
    tag_list,
)
from .base import Importer, TraceDocument
from .replaykit import normalize_status

NO_ANSWER_RECORD = (f"{ANSWER_NOT_RECORDED} (a replayt log has no final-output record: only a "
                    "step_note of kind final_answer gives one)")
"""Why a completed workflow without a ``final_answer`` note has no answer."""

EVENT_TYPES = frozenset({
    "run_started", "state_entered", "state_exited", "transition", "llm_request",
    "llm_response", "structured_output", "structured_output_failed", "tool_call",
    "tool_result", "retry_scheduled", "step_error", "step_note", "approval_requested",
    "approval_resolved", "approval_applied", "context_snapshot", "run_paused", "run_failed",
    "run_completed",
})


class ReplaytImporter(Importer):
    name = "replayt"
    description = "replayt JSONL run logs"

    def check(self, doc: TraceDocument) -> str | None:
        first = doc.first
        if doc.kind == "json" and isinstance(first, list):
            if not first:
                return "an empty list, expected replayt event records"
            first = first[0]
        if not isinstance(first, dict):
            return f"first record is {json_kind(first)}, expected a replayt event object"
        kind = first.get("type")
        if not isinstance(kind, str) or "run_id" not in first:
            return "first record: " + keys_problem(first, {"type": "a string", "run_id": ""})
        if kind not in EVENT_TYPES:
            return f"first record type {kind!r} is not a replayt event"
        return None

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        runs: dict[str, _RunBuilder] = {}
        for where, record in _records(doc, self.name):
            kind = None
            try:
                run_id, kind, ts, payload = _envelope(record)
                builder = runs.get(run_id)
                if builder is None:
                    builder = runs[run_id] = _RunBuilder(run_id)
                builder.add(kind, ts, payload)
            except BadRecord as exc:
                label = f"{where} ({kind})" if kind else where
                raise TraceFormatError(None, f"{label}: {exc}") from None
            except ValidationError as exc:
                raise TraceFormatError(None, f"{where} ({kind}): {validation_message(exc)}") \
                    from None
        return [builder.finish() for builder in runs.values()]


def _records(doc: TraceDocument, fmt: str) -> Iterator[tuple[str, Any]]:
    """(where, record) for every record: JSONL lines, or a JSON record or list of them."""
    for line, value in doc.records(fmt):
        if doc.kind == "jsonl":
            yield f"line {line}", value
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield f"records[{index}]", item
        else:
            yield "record", value


def _envelope(record: Any) -> tuple[str, str, str | None, dict[str, Any]]:
    if not isinstance(record, dict):
        raise BadRecord(f"expected an object, got {json_kind(record)}")
    kind = record.get("type")
    if not isinstance(kind, str) or not kind:
        raise BadRecord('no "type" string naming the event')
    run_id = record.get("run_id")
    if isinstance(run_id, bool) or not isinstance(run_id, (str, int)) or run_id == "":
        raise BadRecord(f'{kind}: "run_id" must be a non-empty string, got {json_kind(run_id)}')
    ts = record.get("ts")
    if ts is not None and not isinstance(ts, str):
        raise BadRecord(f"{kind}: ts: expected a string, got {json_kind(ts)}")
    payload = record.get("payload")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise BadRecord(f"{kind}: payload: expected an object, got {json_kind(payload)}")
    return str(run_id), kind, ts, payload


class _RunBuilder:
    """Collects one run's events in order and decides its status."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.events: list[Any] = []
        self.input: Any = None
        self.final_output: Any = None
        self.status: RunStatus | None = None
        self.metadata = RunMetadata()
        self.configured_model: str | None = None
        self.pending_llm: LlmCallEvent | None = None

    def add(self, kind: str, ts: str | None, payload: dict[str, Any]) -> None:
        handler = _HANDLERS.get(kind, _RunBuilder.custom)
        handler(self, kind, ts, payload)
        if kind != "llm_request":
            self.pending_llm = None

    def append(self, event_cls: type[Any], ts: str | None, **fields: Any) -> Any:
        event = event_cls(seq=len(self.events) + 1, ts=ts, **fields)
        self.events.append(event)
        return event

    def finish(self) -> TraceRun:
        models = [e.model for e in self.events if isinstance(e, LlmCallEvent) and e.model]
        self.metadata.model = models[0] if models else self.configured_model
        if not any(isinstance(e, FinalOutputEvent) for e in self.events):
            self.metadata.answer_not_recorded = NO_ANSWER_RECORD
        return TraceRun(run_id=self.run_id, status=self.status or "error", input=self.input,
                        final_output=self.final_output, events=self.events,
                        metadata=self.metadata)

    # -- handlers: (self, kind, ts, payload) --------------------------------------------

    def custom(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        self.append(CustomEvent, ts, name=kind, data=p)

    def run_started(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        meta = self.metadata
        meta.agent = meta.agent or opt_str(p, "workflow_name")
        meta.version = meta.version or opt_id(p, "workflow_version")
        meta.tags = meta.tags or tag_list(p.get("tags"))
        runtime = object_at(p, "runtime")
        llm = object_at(runtime, "llm")
        engine = object_at(runtime, "engine")
        if isinstance(llm.get("model"), str):
            self.configured_model = self.configured_model or llm["model"]
        extras = {"initial_state": p.get("initial_state"), "log_mode": engine.get("log_mode"),
                  "run_metadata": p.get("run_metadata"), "experiment": p.get("experiment")}
        for key, value in extras.items():
            if value is not None:
                meta.extra.setdefault(key, value)
        if "inputs" not in p:
            self.custom(kind, ts, p)
            return
        if self.input is None:
            self.input = p["inputs"]
        self.append(InputMessageEvent, ts, role="user", content=p["inputs"])

    def state_entered(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        self.append(StateEvent, ts, state=req_str(p, "state"), action="entered")

    def state_exited(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        self.append(StateEvent, ts, state=req_str(p, "state"), action="exited",
                    to_state=opt_str(p, "next_state"))

    def transition(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        self.append(StateEvent, ts, state=req_str(p, "from_state"), action="transition",
                    to_state=req_str(p, "to_state"))

    def llm_request(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        request = {k: p[k] for k in ("messages", "messages_summary", "schema_name") if k in p}
        instructions, messages = request_messages(p)
        self.pending_llm = self.append(LlmCallEvent, ts, model=effective_model(p),
                                       request=request or None, instructions=instructions,
                                       messages=messages)

    def llm_response(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        key = "content" if "content" in p else "content_preview"
        content = opt_str(p, key)
        usage = read_usage(p.get("usage"))
        latency = opt_num(p, "latency_ms")
        model = opt_str(p, "model") or effective_model(p)
        event = self.pending_llm or self.append(LlmCallEvent, ts)
        event.model = model or event.model
        event.response = content
        event.output_text = content if key == "content" else None
        event.stop_reason = opt_str(p, "finish_reason")
        event.tool_calls = requested_tool_calls(content)
        event.usage = usage
        event.latency_ms = latency
        event.duration_ms = latency

    def tool_call(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        self.append(ToolCallEvent, ts, tool_name=req_str(p, "name"),
                    tool_args=p.get("arguments"), call_id=opt_id(p, "tool_call_id"))

    def tool_result(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        ok = opt_bool(p, "ok")
        error = p.get("error")
        is_error = ok is False or (ok is None and error is not None)
        self.append(ToolResultEvent, ts, call_id=opt_id(p, "tool_call_id"),
                    tool_name=opt_str(p, "name"), is_error=is_error,
                    output=error if is_error else p.get("result"))

    def retry_scheduled(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        message, error_type = error_parts(p.get("error"))
        reason = f"{error_type}: {message}" if error_type and message else message or error_type
        self._fail_pending_llm(reason)
        self.append(RetryEvent, ts, attempt=opt_int(p, "attempt"), reason=reason)

    def step_error(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        message, error_type = error_parts(p.get("error"))
        text = message or error_type or kind.replace("_", " ")
        self._fail_pending_llm(f"{error_type}: {text}" if error_type else text)
        if kind == "run_failed":
            self.status = "error"
            last = self.events[-1] if self.events else None
            if (isinstance(last, ErrorEvent) and last.message == text
                    and last.error_type == error_type):
                return  # the step's error ended the run: one error, not two
        self.append(ErrorEvent, ts, message=text, error_type=error_type)

    def approval_requested(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        self.append(ApprovalEvent, ts, approval_id=opt_id(p, "approval_id"),
                    action="requested", summary=opt_str(p, "summary"))

    def approval_resolved(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        approved = opt_bool(p, "approved")
        if approved is None:
            decision = opt_str(p, "decision")
        else:
            decision = "approved" if approved else "rejected"
        self.append(ApprovalEvent, ts, approval_id=opt_id(p, "approval_id"),
                    action="resolved", decision=decision, summary=opt_str(p, "reason"))

    def step_note(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        if opt_str(p, "kind") != "final_answer":
            self.custom(kind, ts, p)
            return
        data = p.get("data")
        if isinstance(data, dict) and "answer" in data:
            output = data["answer"]
        else:
            output = data if data is not None else opt_str(p, "summary")
        self.final_output = output
        self.append(FinalOutputEvent, ts, output=output)

    def run_paused(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        self.status = "paused"
        self.custom(kind, ts, p)

    def run_completed(self, kind: str, ts: str | None, p: dict[str, Any]) -> None:
        value = p.get("status")
        status = normalize_status(value)
        if status is None:
            raise BadRecord(f"payload.status: {value!r} is not a known run status")
        self.status = status
        self.custom(kind, ts, p)

    def _fail_pending_llm(self, message: str | None) -> None:
        if self.pending_llm is not None and self.pending_llm.response is None:
            self.pending_llm.error = message or "model call failed"


_HANDLERS = {
    name: getattr(_RunBuilder, name)
    for name in ("run_started", "state_entered", "state_exited", "transition", "llm_request",
                 "llm_response", "tool_call", "tool_result", "retry_scheduled", "step_error",
                 "approval_requested", "approval_resolved", "step_note", "run_paused",
                 "run_completed")
}
_HANDLERS["run_failed"] = _RunBuilder.step_error
