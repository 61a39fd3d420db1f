"""``keys_of_calls``: a growing conversation's keys made incrementally are the keys made one
call at a time, for every real trace, and whether or not calls share message objects."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from replaycase.errors import ReplaycaseError
from replaycase.importers import load_trace
from replaycase.model import ChatMessage, LlmCallEvent, RequestedToolCall
from replaycase.tape.key import key_of_call, keys_of_calls

TRACES = Path(__file__).parent / "data" / "traces"
FILES = sorted(p for p in TRACES.rglob("*.json*") if p.is_file())


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TRACES)))
def test_every_real_trace_gets_the_same_keys(path: Path) -> None:
    try:
        runs = load_trace(path)
    except ReplaycaseError:
        pytest.skip("not a trace replaycase reads alone (a logs file, a zip)")
    for run in runs:
        calls = run.llm_calls()
        assert keys_of_calls(calls) == [key_of_call(call) for call in calls]


def _calls(shared: bool) -> list[LlmCallEvent]:
    history: list[ChatMessage] = [ChatMessage(role="user", text="hi")]
    calls = []
    for n in range(4):
        calls.append(LlmCallEvent(seq=n + 1, instructions="be brief", tools_offered=["t"],
                                  messages=list(history) if shared else copy.deepcopy(history)))
        call = RequestedToolCall(tool_name="t", tool_args={"n": n}, call_id=f"c{n}")
        history += [ChatMessage(role="assistant", text="", tool_calls=[call]),
                    ChatMessage(role="tool", text=f"r{n}", call_id=f"c{n}")]
    return calls


@pytest.mark.parametrize("shared", [True, False])
def test_shared_or_copied_messages_give_the_same_keys(shared: bool) -> None:
    calls = _calls(shared)
    calls.insert(2, LlmCallEvent(seq=9, messages=None))  # a call that recorded none
    calls.append(LlmCallEvent(seq=10, messages=[ChatMessage(role="user", text="other")]))
    keys = keys_of_calls(calls)
    assert keys == [key_of_call(call) for call in calls]
    assert [len(k.history or ()) for k in keys] == [1, 3, 0, 5, 7, 1]
    assert keys[4].history is not None and keys[4].history[-1].call_ref == 2
