"""The transcript importer on OpenAI Responses input items, the log a team on the Responses
API keeps: messages with input_text / output_text parts, function_call and
function_call_output items. ``tool-loop.json`` is what tests/data/sdk_agents/billing_agent.py
wrote on the official SDK; each model call's key equals the key the Responses wire protocol
reads from the same items."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_checks import mutate

from replaycase.errors import ReplaycaseError, TraceFormatError
from replaycase.importers import load_trace
from replaycase.model import FinalOutputEvent, TraceRun
from replaycase.tape.key import key_of_call
from replaycase.tape.protocols import OpenAIResponses

DIR = Path(__file__).parent / "data" / "traces" / "transcript-responses"
HAPPY = json.loads((DIR / "happy.json").read_text())
ANSWER = ("Your current balance is $129.00, all on invoice INV-4102, which is due on "
          "1 April 2026.")
TOOLS = [{"type": "function", "name": "lookup_billing", "parameters": {}}]


def _write(tmp_path: Path, value: Any) -> Path:
    path = tmp_path / "items.json"
    path.write_text(json.dumps(value))
    return path


@pytest.mark.parametrize("name", ["happy", "tool-loop"])
def test_responses_items_import_by_content(name: str) -> None:
    [run] = load_trace(DIR / f"{name}.json")
    assert run.source is not None and run.source.format == "transcript"
    requested = [r.call_id for e in run.llm_calls() for r in e.tool_calls]
    assert requested == [c.call_id for c in run.tool_calls()] and all(requested)
    assert all(c.result_seq is not None for c in run.tool_calls())


def test_happy_items() -> None:
    [run] = load_trace(DIR / "happy.json")
    assert run.status == "success" and run.final_output == ANSWER
    assert run.input == "What's my current balance? Customer C-40219."
    assert isinstance(run.events[-1], FinalOutputEvent)
    assert [e.type for e in run.events] == ["input_message", "input_message", "llm_call",
                                            "tool_call", "tool_result", "llm_call",
                                            "final_output"]
    first, last = run.llm_calls()
    # the message and the function call after it (reasoning between) are one turn
    assert first.response == "Let me look that up." and first.output_text == first.response
    assert [(t.tool_name, t.tool_args, t.call_id) for t in first.tool_calls] == [
        ("lookup_billing", {"customer_id": "C-40219"}, "call_01")]
    assert first.instructions == "Answer in one sentence."
    assert [m.role for m in last.messages or []] == ["user", "assistant", "tool"]
    [call] = run.tool_calls()
    assert json.loads(call.output)["balance_cents"] == 12900 and not call.is_error


def test_the_sdk_agents_log_leaves_the_instructions_unrecorded() -> None:
    """The agent passed ``instructions=`` apart from its items: not in the log, so not
    compared (None), where a chat transcript without a system message records ""."""
    [run] = load_trace(DIR / "tool-loop.json")
    assert run.status == "error" and run.final_output is None
    assert [c.tool_name for c in run.tool_calls()] == ["lookup_billing"] * 3
    assert all(c.instructions is None for c in run.llm_calls())
    assert all("billing-api did not respond" in c.output for c in run.tool_calls())


def test_a_request_body_gives_model_instructions_and_tools(tmp_path: Path) -> None:
    path = _write(tmp_path, {"model": "gpt-4o-mini", "instructions": "Be brief.",
                             "tools": TOOLS, "input": HAPPY})
    [run] = load_trace(path)
    assert run.metadata.model == "gpt-4o-mini"
    assert run.events[0].role == "system" and run.events[0].content == "Be brief."
    first = run.llm_calls()[0]
    assert first.instructions == "Be brief.\n\nAnswer in one sentence."
    assert first.tools_offered == ["lookup_billing"]


def test_each_calls_key_is_the_wire_key_of_the_same_items(tmp_path: Path) -> None:
    body = {"instructions": "Be brief.", "tools": TOOLS, "input": HAPPY}
    [run] = load_trace(_write(tmp_path, body))
    sent = [HAPPY[:3], HAPPY[:6]]  # the items before each assistant turn
    for call, items in zip(run.llm_calls(), sent, strict=True):
        wire = OpenAIResponses().read({**body, "input": items})
        assert wire.key() == key_of_call(call)


def test_a_bare_list_of_easy_messages_stays_a_chat_transcript(tmp_path: Path) -> None:
    [run] = load_trace(_write(tmp_path, [{"role": "user", "content": "Hi"},
                                         {"role": "assistant", "content": "Hello."}]))
    assert run.final_output == "Hello." and run.llm_calls()[0].instructions is None


CALL = {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": "{}"}
USER = {"role": "user", "content": "hi"}
BAD: dict[str, tuple[Any, str]] = {
    "a hosted tool's call": ([USER, {"type": "web_search_call", "id": "ws"}],
                             "item 1 has no \"role\" string and no Responses item type"),
    "an item that is a string": ([USER, CALL, "x"], 'item 2 has no "role" string'),
    "a call without name": ([USER, {**CALL, "name": None}],
                            "input[1].name: expected a string, got null"),
    "a call id a number": ([USER, {**CALL, "call_id": 7}],
                           "input[1].call_id: expected a string, got a number"),
    "arguments a list": ([USER, {**CALL, "arguments": [1]}],
                         "input[1].arguments: expected a string, got a list"),
    "an output call id a list": ([USER, CALL, {"type": "function_call_output",
                                               "call_id": ["c1"], "output": "x"}],
                                 "input[2].call_id: expected a string, got a list"),
    "an output that is a number": ([USER, CALL, {"type": "function_call_output",
                                                 "call_id": "c1", "output": 3}],
                                   "input[2].output: expected a string or a list of parts"),
    "a part without type": ([{"type": "message", "role": "user", "content": [{"text": "x"}]}],
                            'input[0].content[0]: no "type" string'),
    "a message of an unknown role": ([{"type": "message", "role": "wizard", "content": "x"}],
                                     "input[0].role: expected one of system, developer"),
    "a message without role": ([CALL, {"type": "message", "content": "x"}],
                               'input[1]: no "role" string'),
    "an output_text part without text": ([USER, {"type": "message", "role": "assistant",
                                                 "content": [{"type": "output_text"}]}],
                                         'a text block needs a "text" string'),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_items_name_the_file_and_the_item(tmp_path: Path, name: str) -> None:
    value, expected = BAD[name]
    path = _write(tmp_path, value)
    with pytest.raises(TraceFormatError) as info:
        load_trace(path, format="transcript")
    message = str(info.value)
    assert message.startswith(str(path)) and "[transcript]" in message
    assert expected in message and "\n" not in message


_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
_REAL = HAPPY + json.loads((DIR / "tool-loop.json").read_text())


@st.composite
def _mutated(draw: st.DrawFn) -> list[Any]:
    return mutate(draw, draw(st.lists(st.sampled_from(_REAL), min_size=1, max_size=8)), _JSON)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_mutated(), st.booleans())
def test_any_mutated_items_give_a_run_or_a_replaycase_error(tmp_path: Path, value: Any,
                                                            wrap: bool) -> None:
    path = _write(tmp_path, {"input": value} if wrap else value)
    try:
        runs = load_trace(path, format="transcript")
    except ReplaycaseError as exc:
        assert "\n" not in str(exc)
        return
    assert len(runs) == 1 and isinstance(runs[0], TraceRun)
    runs[0].model_dump_json()
    for call in runs[0].llm_calls():
        key_of_call(call)
