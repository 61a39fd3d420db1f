"""The workflow family: states visited, where a run failed, approvals asked for."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from ..model import ApprovalEvent, ErrorEvent, StateEvent, TraceRun
from ..results import Outcome
from . import catalogue
from ._common import plural, quote, result, seq_list
from ._compare import names, sequence_verdict
from ._registry import Entry, register


def states_with_seq(run: TraceRun) -> list[tuple[int, str]]:
    """States entered with their event numbers (as ``TraceRun.states_visited``)."""
    found: list[tuple[int, str]] = []
    for event in run.events:
        if isinstance(event, StateEvent):
            if event.action == "entered":
                found.append((event.seq, event.state))
            elif event.action == "transition" and event.to_state:
                found.append((event.seq, event.to_state))
    return found


def state_visited(entry: StateVisited, run: TraceRun) -> Outcome:
    state = entry.state_visited
    visited = states_with_seq(run)
    seqs = [seq for seq, name in visited if name == state]
    order = list(dict.fromkeys(name for _, name in visited))
    message = (f"state {state} was entered ({seq_list(seqs)})" if seqs
               else f"state {state} was never entered (states: {names(order)})")
    return result(entry, bool(seqs), message, expected=state, actual=order, events=seqs)


def state_sequence(entry: StateSequence, run: TraceRun) -> Outcome:
    want = entry.state_sequence
    visited = states_with_seq(run)
    actual = [name for _, name in visited]
    passed, message = sequence_verdict("states", want.mode, want.states, actual)
    return result(entry, passed, message, expected=want.model_dump(),
                  actual=actual, events=[seq for seq, _ in visited])


def failed_in_state(entry: FailedInState, run: TraceRun) -> Outcome:
    want = entry.failed_in_state
    first_error = next((e.seq for e in run.events if isinstance(e, ErrorEvent)), None)
    before = [(seq, name) for seq, name in states_with_seq(run)
              if first_error is None or seq < first_error]
    last_seq, last = before[-1] if before else (None, None)
    evidence = [s for s in (last_seq, first_error) if s is not None]
    actual = {"status": run.status, "state": last}
    if run.status == "success":
        return result(entry, False, f"the run succeeded, expected it to fail in state {want}",
                      expected=want, actual=actual, events=evidence)
    where = (f"before the first error (event {first_error})" if first_error is not None
             else "in the run")
    if last is None:
        message = f"the run ended {run.status} with no state entered {where}"
        return result(entry, False, message, expected=want, actual=actual, events=evidence)
    ok = last == want
    message = f"the run ended {run.status}; the last state entered {where} was {last}"
    if not ok:
        message += f", expected {want}"
    return result(entry, ok, message, expected=want, actual=actual, events=evidence)


def approval_requested(entry: ApprovalRequested, run: TraceRun) -> Outcome:
    want = entry.approval_requested
    requests = [e for e in run.events
                if isinstance(e, ApprovalEvent) and e.action == "requested"]
    shown = [e.approval_id or e.summary for e in requests]
    if isinstance(want, str):
        hits = [e for e in requests if e.approval_id == want or (want in (e.summary or ""))]
        if hits:
            message = f"approval {quote(want)} was requested ({seq_list(e.seq for e in hits)})"
        else:
            message = (f"no approval matching {quote(want)} was requested "
                       f"({len(requests)} requested)")
        return result(entry, bool(hits), message, expected=want, actual=shown,
                      events=[e.seq for e in hits])
    seqs = [e.seq for e in requests]
    if requests:
        message = f"{plural(len(requests), 'approval')} requested ({seq_list(seqs)})"
    else:
        message = "no approval was requested"
    if bool(requests) != want:
        message += ", expected " + ("one" if want else "none")
    return result(entry, bool(requests) == want, message, expected=want, actual=shown,
                  events=seqs)


# --- the entries of this family, each registered with its evaluator ---


@register("state_visited", "workflow", state_visited)
class StateVisited(Entry):
    state_visited: str = Field(min_length=1)
    why: str | None = None


@register("state_sequence", "workflow", state_sequence)
class StateSequence(Entry):
    state_sequence: catalogue.StateSequenceSpec
    why: str | None = None

    @field_validator("state_sequence", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return {"states": value} if isinstance(value, list) else value


@register("failed_in_state", "workflow", failed_in_state)
class FailedInState(Entry):
    failed_in_state: str = Field(min_length=1)
    why: str | None = None


@register("approval_requested", "workflow", approval_requested)
class ApprovalRequested(Entry):
    approval_requested: bool | str
    why: str | None = None
