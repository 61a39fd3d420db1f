"""The failing branch of a tape, made from a run's model calls (DESIGN 8): one turn for each
call whose answer the trace recorded, whatever the trace format."""

from __future__ import annotations

from typing import NamedTuple

from ..model import LlmCallEvent, TraceRun
from .key import keys_of_calls
from .models import Answer, AnswerToolCall, AnswerUsage, Tape, TapeHeader, TapeTurn

_PARTS = ("instructions", "tools", "history")


class TapeFromRun(NamedTuple):
    """The tape a run gives, or why it gives none."""

    tape: Tape | None
    reason: str | None = None


def tape_from_run(run: TraceRun, case_id: str | None = None,
                  source_format: str | None = None) -> TapeFromRun:
    """The run's tape (every turn ``failing``), or None and the reason."""
    calls = run.llm_calls()
    if not calls:
        return TapeFromRun(None, "the trace recorded no model calls")
    answered = [call for call in calls if _answered(call)]
    if not answered:
        hint = " (OTLP without captured content)" if source_format == "otlp" else ""
        return TapeFromRun(None, f"the trace recorded no model answers{hint}: its "
                                 f"{len(calls)} model call(s) hold no output text or tool "
                                 "calls")
    turns = [TapeTurn(turn=number, branch="failing", key=key, answer=answer_of_call(call))
             for number, (call, key) in enumerate(zip(answered, keys_of_calls(answered),
                                                      strict=True), start=1)]
    missing = [part for part in _PARTS if all(getattr(t.key, part) is None for t in turns)]
    if "history" in missing:
        return TapeFromRun(None, "the trace recorded the model's answers but not the "
                                 "conversations that got them: a tape could not tell one "
                                 "request from another")
    header = TapeHeader(case_id=case_id, source_format=source_format,
                        not_recorded=missing)  # type: ignore[arg-type]
    return TapeFromRun(Tape(header=header, turns=turns))


def _answered(call: LlmCallEvent) -> bool:
    """A call whose answer was recorded (a failed call's is not an answer)."""
    return call.error is None and (call.output_text is not None or bool(call.tool_calls))


def answer_of_call(call: LlmCallEvent) -> Answer:
    """What a recorded model call answered."""
    usage = call.usage
    return Answer(
        model=call.model,
        text=call.output_text or "",
        tool_calls=[AnswerToolCall(name=c.tool_name, arguments=c.tool_args)
                    for c in call.tool_calls],
        stop_reason=call.stop_reason,
        usage=AnswerUsage(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens)
        if usage is not None and (usage.input_tokens, usage.output_tokens) != (None, None)
        else None)
