"""Inspect AI eval logs (``log_format="json"``, log version 2): every sample is one run.

    {"version": 2, "status": "success", "eval": {"task", "model", "run_id", …}, "plan": {…},
     "results": {…}, "samples": [{"id", "epoch", "input", "target", "messages": […],
     "output": {…}, "scores": {"includes": {"value": "C" | "I" | 0 | …}}, "events": […],
     "error": {"message", "traceback"} | absent, "attachments": {…}}, …]}

The run id is the sample id (``id/epoch-N`` when the log holds several epochs of one sample).
The conversation is the sample's ``messages``: system and user messages are input messages,
each assistant message an ``llm_call`` (its request the messages before it, or the ``model``
event's own input when logged; tools offered, usage, stop reason and time from the ``model``
event whose output is that message) followed by its ``tool_call`` s, each ``tool`` message a
``tool_result`` (an error when it has an ``error``; the text shown is the error message when
the content is empty). ``attachment://`` references are resolved from the sample's
``attachments``. The final output is the last assistant message when it asked for no tools.

A sample ``error`` is an ``error`` event and the run's status ``error``. So is a failed score:
a value ``"I"`` (incorrect), ``"N"`` (no answer), ``0`` or ``false`` (for a dict value: any
member) is an ``error`` event ``score <name> failed: value …`` of type ``ScoreFailed``, listed
in ``metadata.extra["failed_scores"]`` with the scorer and the target, so scaffold can derive
what the score checked. The ``.eval`` log (a zip of zstd-compressed members, which the
standard library cannot read) is refused by the registry with the hint to convert it:
``inspect log convert --to json --output-dir DIR FILE``.
"""

from __future__ import annotations

from typing import Any

from .._jsonio import json_kind
from ..errors import TraceFormatError
from ..model import (
    ANSWER_NOT_RECORDED,
    ErrorEvent,
    FinalOutputEvent,
    InputMessageEvent,
    LlmCallEvent,
    RunMetadata,
    ToolCallEvent,
    ToolResultEvent,
    TraceRun,
    Usage,
)
from ..model.chat import Conversation, read_recorded, recorded_tool_names, tool_calls_of
from ..model.content_parts import parts_text
from ..model.error_text import exception_parts
from ._common import duration_ms, iso_ts
from ._common import fail as _fail
from ._common import get_typed as _get
from .base import Importer, TraceDocument

_FAILED_VALUES = ("I", "N")


class InspectAiImporter(Importer):
    name = "inspect-ai"
    description = "Inspect AI eval logs (.json, log version 2): one run a sample"

    def check(self, doc: TraceDocument) -> str | None:
        value = doc.value
        if doc.kind != "json":
            return "not a single JSON document"
        if isinstance(value, dict) and isinstance(value.get("eval"), dict) and (
                "samples" in value or "results" in value) and "version" in value:
            return None
        return 'not an Inspect eval log ({"version", "eval", "samples"})'

    def read(self, doc: TraceDocument) -> list[TraceRun]:
        log = doc.value
        if not isinstance(log, dict):
            raise _fail("top level", f"expected an object, got {json_kind(log)}")
        samples = _get(log, "samples", list, "")
        if not samples:
            raise _fail("samples", "the log holds no samples (written with log_samples=False?)")
        eval_info = _get(log, "eval", dict, "") or {}
        ids = [s.get("id") if isinstance(s, dict) else None for s in samples]
        repeated = len(set(map(str, ids))) < len(ids)
        return [_Sample(raw, f"samples[{i}]", eval_info, repeated).run()
                for i, raw in enumerate(samples)]


def _text(content: Any, attachments: dict[str, Any]) -> str:
    """A message content's text: a string, or its text blocks joined (reasoning left out)."""
    if isinstance(content, str):
        return _resolve(content, attachments)
    if isinstance(content, list):  # text blocks, images named (never their bytes)
        return parts_text([_part(b, attachments) for b in content if isinstance(b, dict)])
    return ""


def _part(block: dict[str, Any], attachments: dict[str, Any]) -> dict[str, Any]:
    """An Inspect content block as ``content_parts`` reads it (``ContentImage.image`` is a
    URL, a data URL or an ``attachment://`` reference)."""
    if block.get("type") == "text" and isinstance(block.get("text"), str):
        return {"type": "text", "text": _resolve(block["text"], attachments)}
    if block.get("type") == "image" and isinstance(block.get("image"), str):
        return {"type": "image_url", "image_url": {"url": _resolve(block["image"],
                                                                   attachments)}}
    return block


def _resolve(text: str, attachments: dict[str, Any]) -> str:
    if text.startswith("attachment://"):
        found = attachments.get(text[len("attachment://"):])
        return found if isinstance(found, str) else text
    return text


def _chat(message: Any, where: str, attachments: dict[str, Any]) -> dict[str, Any]:
    """An Inspect chat message as an OpenAI chat dict (what ``model.chat`` reads)."""
    if not isinstance(message, dict):
        raise _fail(where, f"expected an object, got {json_kind(message)}")
    role = _get(message, "role", str, where)
    if role is None:
        raise _fail(where, 'a message without a "role"')
    out: dict[str, Any] = {"role": role, "content": _text(message.get("content"), attachments)}
    calls = _get(message, "tool_calls", list, where)
    if calls:
        out["tool_calls"] = [_call(c, f"{where}.tool_calls[{n}]") for n, c in enumerate(calls)]
    if role == "tool":
        out["tool_call_id"] = _get(message, "tool_call_id", str, where)
        out["name"] = _get(message, "function", str, where)
        error = _get(message, "error", dict, where)
        out["is_error"] = error is not None
        if error is not None and not out["content"]:
            text = error.get("message")
            out["content"] = text if isinstance(text, str) else "error"
    return out


def _call(call: Any, where: str) -> dict[str, Any]:
    if not isinstance(call, dict):
        raise _fail(where, f"expected an object, got {json_kind(call)}")
    name = call.get("function")
    if not isinstance(name, str) or not name:
        raise _fail(where, 'a tool call without a "function" name')
    return {"id": _get(call, "id", str, where), "type": "function",
            "function": {"name": name, "arguments": call.get("arguments")}}


class _Sample:
    """One sample read into one run."""

    def __init__(self, raw: Any, where: str, eval_info: dict[str, Any],
                 repeated: bool) -> None:
        if not isinstance(raw, dict):
            raise _fail(where, f"expected an object, got {json_kind(raw)}")
        self.raw, self.where, self.eval = raw, where, eval_info
        sample_id = raw.get("id")
        if isinstance(sample_id, bool) or not isinstance(sample_id, (str, int)):
            raise _fail(f"{where}.id", f"expected a string or integer, got {json_kind(sample_id)}")
        epoch = raw.get("epoch")
        self.run_id = f"{sample_id}/epoch-{epoch}" if repeated else str(sample_id)
        self.attachments = _get(raw, "attachments", dict, where) or {}
        self.events: list[Any] = []
        events = _get(raw, "events", list, where) or []
        self.model_events = [e for e in events if isinstance(e, dict) and e.get("event") == "model"]
        self.tool_events = {e["id"]: e for e in events if isinstance(e, dict)
                            and e.get("event") == "tool" and isinstance(e.get("id"), str)}
        self.score_events = [e for e in events if isinstance(e, dict) and e.get("event") == "score"]
        data = raw.get("events_data")
        pool = data.get("messages") if isinstance(data, dict) else None
        self.pool = pool if isinstance(pool, list) else []

    def add(self, cls: type[Any], **fields: Any) -> None:
        self.events.append(cls(seq=len(self.events) + 1, **fields))

    def run(self) -> TraceRun:
        messages = _get(self.raw, "messages", list, self.where) or []
        conversation = Conversation()
        answer: str | None = None
        question: Any = None
        model_index = 0
        for index, raw in enumerate(messages):
            here = f"{self.where}.messages[{index}]"
            message = _chat(raw, here, self.attachments)
            role = message["role"]
            answer = None
            if role in ("system", "user"):
                if role == "user" and question is None:
                    question = message["content"]
                self.add(InputMessageEvent, role=role, content=message["content"])
            elif role == "assistant":
                event, model_index = self._model_event(raw, model_index)
                answer = self._assistant(message, conversation, event, here)
            elif role == "tool":
                self._tool_result(message)
            conversation.add(message, here)
        self._failed_tools()
        if answer is not None:
            self.add(FinalOutputEvent, ts=iso_ts(self._str("completed_at")), output=answer)
        failed = self._errors()
        metadata = self._metadata()
        if not messages and not failed:  # a sample summary: no conversation logged
            metadata.answer_not_recorded = NO_MESSAGES
        return TraceRun(run_id=self.run_id, status="error" if failed else "success",
                        input=self._input(question), final_output=answer, events=self.events,
                        metadata=metadata)

    def _str(self, key: str) -> str | None:
        value = self.raw.get(key)
        return value if isinstance(value, str) else None

    def _input(self, question: Any) -> Any:
        value = self.raw.get("input")
        return value if isinstance(value, str) else question

    def _model_event(self, message: Any, start: int) -> tuple[dict[str, Any] | None, int]:
        """The model event whose output is this message (by id, else the next in order)."""
        message_id = message.get("id") if isinstance(message, dict) else None
        for index in range(start, len(self.model_events)):
            if message_id is not None and _output_id(self.model_events[index]) == message_id:
                return self.model_events[index], index + 1
        unmatched = message_id is None or all(_output_id(e) is None for e in self.model_events)
        if unmatched and start < len(self.model_events):
            return self.model_events[start], start + 1
        return None, start

    def _assistant(self, message: dict[str, Any], conversation: Conversation,
                   event: dict[str, Any] | None, where: str) -> str | None:
        calls = tool_calls_of(message, where, strict=False)
        instructions, history = conversation.instructions or "", list(conversation.messages)
        fields: dict[str, Any] = {}
        if event is not None:
            request = self._request(event)
            if request is not None:
                instructions, history = read_recorded(request)  # type: ignore[assignment]
            output: dict[str, Any] = event["output"] if isinstance(event.get("output"),
                                                                   dict) else {}
            choices = output.get("choices")
            first = choices[0] if isinstance(choices, list) and choices else {}
            stop = first.get("stop_reason") if isinstance(first, dict) else None
            error = event.get("error")
            fields = {"ts": iso_ts(_s(event.get("timestamp"))),
                      "duration_ms": duration_ms(_s(event.get("timestamp")),
                                                 _s(event.get("completed"))),
                      "span_id": _s(event.get("span_id")), "usage": _usage(output.get("usage")),
                      "tools_offered": recorded_tool_names(event.get("tools")),
                      "stop_reason": stop if isinstance(stop, str) else None,
                      "error": error if isinstance(error, str) else None}
            fields["latency_ms"] = fields["duration_ms"]
        text = message["content"]
        model = message.get("model") if isinstance(message.get("model"), str) else None
        self.add(LlmCallEvent, model=model or _s(self.eval.get("model")), response=text or None,
                 tool_calls=calls, instructions=instructions, messages=history,
                 output_text=text, **fields)
        for call in calls:
            tool = self.tool_events.get(call.call_id) if call.call_id else None
            self.add(ToolCallEvent, tool_name=call.tool_name, tool_args=call.tool_args,
                     call_id=call.call_id, **_timing(tool, at_end=False))
        return text if not calls and text.strip() else None

    def _request(self, event: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The messages the model event was sent: its ``input``, else ``input_refs`` ranges
        into the sample's ``events_data.messages``; None when neither is logged."""
        raw = event.get("input")
        if not (isinstance(raw, list) and raw):
            refs = event.get("input_refs")
            if not isinstance(refs, list) or not refs:
                return None
            raw = []
            for ref in refs:
                if not (isinstance(ref, list) and len(ref) == 2
                        and all(type(n) is int for n in ref)):
                    return None
                raw.extend(self.pool[ref[0]:ref[1]])
        try:
            return [_chat(m, "input", self.attachments) for m in raw]
        except TraceFormatError:  # an input it cannot read: the conversation so far instead
            return None

    def _tool_result(self, message: dict[str, Any]) -> None:
        call_id = message.get("tool_call_id")
        tool = self.tool_events.get(call_id) if call_id else None
        error = bool(message.get("is_error")) or (tool is not None and isinstance(
            tool.get("error"), dict))
        self.add(ToolResultEvent, call_id=call_id, tool_name=message.get("name"),
                 output=message["content"], is_error=error, **_timing(tool, at_end=True))

    def _failed_tools(self) -> None:
        """A tool event marked ``failed`` that no tool message answers (the tool raised and
        the sample ended): an error result, its text the sample error's message."""
        answered = {e.call_id for e in self.events if isinstance(e, ToolResultEvent)}
        called = [e for e in self.events if isinstance(e, ToolCallEvent)]
        error = self.raw.get("error")
        text = _s(error.get("message")) if isinstance(error, dict) else None
        for call in called:
            tool = self.tool_events.get(call.call_id) if call.call_id else None
            if tool is not None and call.call_id not in answered and tool.get("failed") is True:
                self.add(ToolResultEvent, call_id=call.call_id, tool_name=call.tool_name,
                         output=text or "tool failed", is_error=True,
                         **_timing(tool, at_end=True))

    def _errors(self) -> bool:
        """The sample error and failed scores as error events; whether there was any."""
        failed = False
        error = _get(self.raw, "error", dict, self.where)
        if error is not None:
            message, kind = exception_parts(_s(error.get("message"))
                                            or _s(error.get("traceback")) or "sample error")
            self.add(ErrorEvent, ts=iso_ts(self._str("completed_at")), message=message,
                     error_type=kind)
            failed = True
        for name, score in self._scores().items():
            value = score.get("value")
            if _failed(value):
                at = next((iso_ts(_s(e.get("timestamp"))) for e in self.score_events), None)
                self.add(ErrorEvent, ts=at, message=f"score {name} failed: value {value!r}"
                         + _target_note(self.raw.get("target")), error_type="ScoreFailed")
                failed = True
        return failed

    def _scores(self) -> dict[str, dict[str, Any]]:
        scores = _get(self.raw, "scores", dict, self.where) or {}
        return {k: v for k, v in scores.items() if isinstance(v, dict)}

    def _metadata(self) -> RunMetadata:
        scores = self._scores()
        extra: dict[str, Any] = {k: self.eval[k] for k in ("task", "run_id", "eval_id")
                                 if isinstance(self.eval.get(k), str)}
        extra["epoch"] = self.raw.get("epoch")
        if scores:
            extra["scores"] = {name: s.get("value") for name, s in scores.items()}
        failed = [{"score": name, "scorer": _scorer(self.eval, name),
                   "value": s.get("value"), "target": self.raw.get("target")}
                  for name, s in scores.items() if _failed(s.get("value"))]
        if failed:
            extra["failed_scores"] = failed
        task = self.eval.get("task")
        return RunMetadata(model=_s(self.eval.get("model")), agent=task if isinstance(
            task, str) else None, extra=extra)


NO_MESSAGES = f"{ANSWER_NOT_RECORDED} (the Inspect sample records no messages)"


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _output_id(event: dict[str, Any]) -> Any:
    output = event.get("output")
    choices = output.get("choices") if isinstance(output, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    return message.get("id") if isinstance(message, dict) else None


def _timing(tool: dict[str, Any] | None, at_end: bool) -> dict[str, Any]:
    if tool is None:
        return {}
    start, end = _s(tool.get("timestamp")), _s(tool.get("completed"))
    if at_end:
        return {"ts": iso_ts(end), "span_id": _s(tool.get("span_id"))}
    return {"ts": iso_ts(start), "duration_ms": duration_ms(start, end),
            "span_id": _s(tool.get("span_id"))}


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    counts = {k: raw[k] for k in ("input_tokens", "output_tokens", "total_tokens")
              if type(raw.get(k)) is int and raw[k] >= 0}
    return Usage(**counts) if counts else None


def _failed(value: Any) -> bool:
    """Whether a score value is a failure: incorrect, no answer, 0 or false (any member of a
    dict value)."""
    if isinstance(value, dict):
        return any(_failed(v) for v in value.values())
    if isinstance(value, str):
        return value in _FAILED_VALUES
    if isinstance(value, bool):
        return not value
    return isinstance(value, (int, float)) and value == 0


def _target_note(target: Any) -> str:
    if isinstance(target, str) and target:
        return f" (target {target!r})"
    if isinstance(target, list) and target and all(isinstance(t, str) for t in target):
        return f" (targets {', '.join(repr(t) for t in target)})"
    return ""


def _scorer(eval_info: dict[str, Any], score: str) -> str | None:
    """The registered scorer of a score (``includes`` for ``includes``, or a prefixed name)."""
    scorers = eval_info.get("scorers")
    for entry in scorers if isinstance(scorers, list) else []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and (name == score or name.rsplit("/", 1)[-1] == score):
            return name.rsplit("/", 1)[-1]
    return None
