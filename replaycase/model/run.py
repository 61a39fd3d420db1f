"""TraceRun: one run, normalized, with the questions every stage asks of it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final, Literal

from pydantic import Field, PrivateAttr, model_validator

from .events import ErrorEvent, LlmCallEvent, Name, RunStatus, StateEvent, TraceEvent, _Model
from .index import EventIndex, ToolCallRecord
from .native_json import dump_trace_run

TRACE_FORMAT: Final = "replaycase.trace/v1"

ANSWER_NOT_RECORDED: Final = "the trace does not record the final answer"
"""The reason a run's format left its answer out, when the importer has nothing more precise."""

_LEGACY_FLAG = "final_output_recorded"


class RunMetadata(_Model):
    """Who ran: model, agent or workflow name and version, tags."""

    model: Name | None = None
    agent: Name | None = None
    version: Name | None = None
    tags: list[Name] = Field(default_factory=list)
    answer_not_recorded: str | None = None
    """Why the run's format did not record its final answer (e.g. "the trace does not record
    the final answer"); None when it does. A run with this set and no final output did not
    fail to answer: its answer is unknown, and nothing judges it missing (see
    ``TraceRun.answer_recorded``)."""
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _legacy_flag(cls, data: Any) -> Any:
        """``extra["final_output_recorded"] = False`` (older native files) is the field."""
        extra = data.get("extra") if isinstance(data, dict) else None
        if not isinstance(extra, dict) or _LEGACY_FLAG not in extra:
            return data
        data = {**data, "extra": {k: v for k, v in extra.items() if k != _LEGACY_FLAG}}
        if extra[_LEGACY_FLAG] is False and not data.get("answer_not_recorded"):
            data["answer_not_recorded"] = ANSWER_NOT_RECORDED
        return data


class SourceInfo(_Model):
    """Where a run was read from."""

    format: Name
    file: str | None = None
    sha256: Name | None = None


class RunTotals(_Model):
    """Usage totals derived from a run's events."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cost_usd: float | None = None
    duration_ms: float | None = None
    llm_calls: int = 0
    tool_calls: int = 0


class TraceRun(_Model):
    """One run, normalized."""

    schema_: Literal["replaycase.trace/v1"] = Field(default=TRACE_FORMAT, alias="schema")
    run_id: Name
    status: RunStatus
    input: Any = None
    final_output: Any = None
    events: list[TraceEvent] = Field(default_factory=list)
    metadata: RunMetadata = Field(default_factory=RunMetadata)
    source: SourceInfo | None = None
    _index: tuple[int, EventIndex] | None = PrivateAttr(default=None)

    def _indexed(self) -> EventIndex:
        """Events by type and the paired tool calls, computed once per run (again if the
        events list is replaced or resized): big runs are read by many checks."""
        key = id(self.events) ^ len(self.events)
        if self._index is None or self._index[0] != key:
            self._index = (key, EventIndex(self.events))
        return self._index[1]

    def tool_calls(self) -> list[ToolCallRecord]:
        """Every tool call in order, each with its result (matched by call id, else order).

        The records are shared between calls, so treat them as read-only.
        """
        return list(self._indexed().tool_calls)

    def errors(self) -> list[ErrorEvent]:
        """The run's error events."""
        return list(self._indexed().of_type("error"))

    def error_messages(self) -> list[str]:
        """Every error message: error events and failed model calls, in event order."""
        index = self._indexed()
        if not any(e.error for e in index.of_type("llm_call")):
            return [e.message for e in index.of_type("error")]
        messages: list[str] = []
        for event in self.events:
            if isinstance(event, ErrorEvent):
                messages.append(event.message)
            elif isinstance(event, LlmCallEvent) and event.error:
                messages.append(event.error)
        return messages

    def llm_calls(self) -> list[LlmCallEvent]:
        """The run's model calls."""
        return list(self._indexed().of_type("llm_call"))

    def states_visited(self) -> list[str]:
        """States entered, in order (transitions count as entering their target).

        A transition followed by the ``entered`` event of its target is one visit, not two.
        """
        states: list[str] = []
        announced: str | None = None  # target of the last transition, not yet entered
        for event in self.events:
            if not isinstance(event, StateEvent):
                continue
            if event.action == "entered":
                if event.state != announced:
                    states.append(event.state)
                announced = None
            elif event.action == "transition" and event.to_state:
                states.append(event.to_state)
                announced = event.to_state
        return states

    def has_final_output(self) -> bool:
        """True when the run gave an answer that is not empty: a text with no letter or digit
        ("…", "--") is a placeholder, no answer."""
        return not _is_empty(self.final_output)

    def answer_recorded(self) -> bool:
        """False when the run has no final output because its format did not record one
        (``metadata.answer_not_recorded``): then its answer is unknown, not missing, and no
        check may take it for a failure to answer."""
        return self.metadata.answer_not_recorded is None or self.has_final_output()

    def totals(self) -> RunTotals:
        """Tokens, cost and duration derived from the events."""
        index = self._indexed()
        llm_calls = index.of_type("llm_call")
        totals = RunTotals(llm_calls=len(llm_calls), tool_calls=len(index.of_type("tool_call")))
        sums: dict[str, float] = {}
        for event in llm_calls:
            if event.usage is not None:
                for key in ("input_tokens", "output_tokens", "cost_usd"):
                    value = getattr(event.usage, key)
                    if value is not None:
                        sums[key] = sums.get(key, 0) + value
                total = event.usage.total()
                if total is not None:
                    sums["total_tokens"] = sums.get("total_tokens", 0) + total
        for key in ("input_tokens", "output_tokens", "total_tokens"):
            if key in sums:
                setattr(totals, key, int(sums[key]))
        if "cost_usd" in sums:
            totals.cost_usd = round(sums["cost_usd"], 10)
        totals.duration_ms = _duration_ms(self.events)
        return totals

    def to_json(self) -> str:
        """The native JSON form: keys in a stable order, one event a line."""
        return dump_trace_run(self.model_copy(update={"events": []}), self.events)


def runs_to_json(runs: list[TraceRun]) -> str:
    """The native JSON text of the runs of one file: the run itself when there is one, else
    a list of them (what ``import`` writes, ``inspect --output json`` prints, and
    ``load_trace`` reads back)."""
    if len(runs) == 1:
        return runs[0].to_json()
    return "[\n" + ",\n".join(run.to_json().rstrip("\n") for run in runs) + "\n]\n"


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return is_placeholder(value)
    if isinstance(value, (list, dict)):
        return len(value) == 0
    return False


def is_placeholder(text: str) -> bool:
    """Whether a text holds no letter or digit: empty, spaces, "…", "...", "-"."""
    return not any(c.isalnum() for c in text)


def parse_ts(value: str | None) -> datetime | None:
    """Parse an ISO 8601 time; None when absent or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _duration_ms(events: list[Any]) -> float | None:
    starts: list[datetime] = []
    ends: list[datetime] = []
    for event in [e for e in events if e.ts]:  # big traces often have no times at all
        start = parse_ts(event.ts)
        if start is None:
            continue
        starts.append(start)
        ends.append(start + timedelta(milliseconds=event.duration_ms or 0))
    if starts:
        try:
            return round((max(ends) - min(starts)).total_seconds() * 1000, 3)
        except TypeError:  # naive and aware times mixed
            return None
    durations = [e.duration_ms for e in events if e.duration_ms is not None]
    return max(durations) if durations else None
