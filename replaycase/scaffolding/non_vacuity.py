"""Cases that cannot be passed by doing nothing: what scaffold adds to desired assertions
that a candidate doing nothing (``assertions.null_candidate``) would all pass.

Desired assertions derived from a failure only contradict it (the run succeeds, the loop
stops, an answer is given, ``not: {tool_called: issue_refund}``), and a candidate that calls
nothing and answers "Sorry, I cannot help with that." passes them all. When it does,
``missing_piece`` adds what the trace shows a correct run does:

- a ``tool_called`` for each tool the run called on its way to an answer, in the order first
  called. A tool the model asked for counts as called (a tool that crashed the run may leave
  only the model's request in the trace). A tool that returned an error is kept: the fixtures
  replay the error, and calling the tool was not the agent's mistake;
- unless calling it was the failure: a run that calls the tool once, with the recorded
  arguments, fails a desired assertion the null candidate passes (``not: {tool_called:
  issue_refund}`` forbids it; a loop's ``repeated_tool_call: {max: 2}`` allows one call). That
  tool is left out, and so is every tool first called after it: what the run did after its
  mistake came of it. So is a tool no model request offered (when the requests record what
  they offered): a correct run does not call a tool it was not given;
- when no tool is left, a workflow's states the same way: a ``state_visited`` for each state
  the run entered, in order, up to the first one a desired assertion forbids;
- when no state is left either: ``llm_call_count: {min: 1}`` if the run asked its model
  (unless a desired assertion forbids one model call), since a run that never asks the model
  did not do the job.

When that is still not enough (the trace shows no call at all), nothing is added and the case
gets a hint instead (``VACUOUS``), which lint reports as a problem until a person adds a
desired assertion that says what a correct run does.
"""

from __future__ import annotations

from ..assertions import Entry, evaluate
from ..assertions.budget import LlmCallCount
from ..assertions.catalogue import CountSpec
from ..assertions.null_candidate import NULL_ANSWER, VACUOUS, null_candidate, passes_null
from ..assertions.tools import ToolCalled
from ..assertions.workflow import StateVisited, states_with_seq
from ..model import (
    FinalOutputEvent,
    LlmCallEvent,
    StateEvent,
    ToolCallEvent,
    ToolResultEvent,
    TraceEvent,
    TraceRun,
)
from ..model.index import ToolCallRecord

_ASKED = "asked-by-the-model"
"""The call id of a tool call the model asked for that the trace records no call of."""


def missing_piece(run: TraceRun, desired: list[Entry]) -> tuple[list[Entry], str | None]:
    """What to add to ``desired`` so that a candidate doing nothing does not pass it all
    (nothing when it does not), and the hint when the trace shows nothing to add."""
    if not passes_null(desired, run.input):
        return [], None
    held = _held(run, desired)
    added: list[Entry] = ([*tools_on_the_way(run, held)] or _states_on_the_way(run, held)
                          or _model_called(run, held))
    if added and not passes_null([*desired, *added], run.input):
        return added, None
    return [], (f"{VACUOUS} (e.g. --desired \"final_output_contains: ...\"), or lint fails "
                "the case")


def tools_on_the_way(run: TraceRun, held: list[Entry]) -> list[ToolCalled]:
    """``tool_called`` for each tool the run called before its failure, in the order first
    called; ``held``: the desired assertions the null candidate passes."""
    offered = _offered(run)
    found: list[ToolCalled] = []
    seen: set[str] = set()
    for call in _calls(run):
        if call.tool_name in seen:
            continue
        seen.add(call.tool_name)
        if _fails(held, run, [
                ToolCallEvent(seq=1, tool_name=call.tool_name, tool_args=call.tool_args,
                              call_id="probe"),
                ToolResultEvent(seq=2, call_id="probe", tool_name=call.tool_name,
                                output=call.output, is_error=call.is_error,
                                error_type=call.error_type)]):
            break  # calling it was the failure: what the run did after it came of it
        if offered is not None and call.tool_name not in offered:
            continue  # the model was not offered it: a correct run does not call it
        how = "the model asked for it" if call.call_id == _ASKED else "called"
        found.append(ToolCalled(tool_called=call.tool_name,
                                why=f"{how} on the way to an answer (event {call.seq})"))
    return found


def _states_on_the_way(run: TraceRun, held: list[Entry]) -> list[Entry]:
    """``state_visited`` for each state the run entered before one ``held`` forbids."""
    found: list[Entry] = []
    seen: set[str] = set()
    for seq, state in states_with_seq(run):
        if state in seen:
            continue
        seen.add(state)
        if _fails(held, run, [StateEvent(seq=1, state=state)]):
            break
        found.append(StateVisited(state_visited=state,
                                  why=f"entered on the way to an answer (event {seq})"))
    return found


def _model_called(run: TraceRun, held: list[Entry]) -> list[Entry]:
    """``llm_call_count: {min: 1}`` when the run asked its model and one call is allowed."""
    calls = run.llm_calls()
    if not calls or _fails(held, run, [LlmCallEvent(seq=1)]):
        return []
    return [LlmCallCount(llm_call_count=CountSpec(min=1),
                         why=f"the run asked its model on the way to an answer "
                             f"(event {calls[0].seq})")]


def _held(run: TraceRun, desired: list[Entry]) -> list[Entry]:
    null = null_candidate(run.input)
    return [entry for entry in desired if evaluate(entry, null).outcome == "passed"]


def _calls(run: TraceRun) -> list[ToolCallRecord]:
    """The run's tool calls and, before them, the ones its model asked for that the trace
    records no call of (a tool that crashed the run may leave only the model's request)."""
    called = run.tool_calls()
    names = {call.tool_name for call in called}
    asked = [ToolCallRecord(seq=call.seq, tool_name=requested.tool_name,
                            tool_args=requested.tool_args, call_id=_ASKED)
             for call in run.llm_calls() for requested in call.tool_calls
             if requested.tool_name not in names]
    return sorted([*asked, *called], key=lambda call: call.seq)


def _offered(run: TraceRun) -> set[str] | None:
    """Every tool a model request offered, None when no request recorded what it offered."""
    lists = [call.tools_offered for call in run.llm_calls() if call.tools_offered is not None]
    return {name for names in lists for name in names} if lists else None


def _fails(held: list[Entry], run: TraceRun, events: list[TraceEvent]) -> bool:
    """Whether a run that does only this (``events``, then the null candidate's answer)
    fails one of ``held``: then doing it is forbidden."""
    probe = TraceRun(run_id="probe", status="success", input=run.input,
                     final_output=NULL_ANSWER,
                     events=[*events, FinalOutputEvent(seq=len(events) + 1,
                                                       output=NULL_ANSWER)])
    return any(evaluate(entry, probe).outcome != "passed" for entry in held)
