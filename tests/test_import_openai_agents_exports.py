"""The OpenAI Agents SDK importer on exports the real SDK (openai-agents 0.24) wrote, through
tests/data/sdk_agents/agents_sdk_agent.py's exporter: the buggy agent against a scripted
model, on the Responses API and Chat Completions, with ``Runner.run`` and
``Runner.run_streamed``. Each holds what the model tape needs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from replaycase.assertions.tools import ToolErrorCount
from replaycase.case import load_case
from replaycase.errors import CaseError
from replaycase.importers import load_trace
from replaycase.replay.case_run import recorded_tool_errors
from replaycase.scaffolding.build import ScaffoldOptions, scaffold
from replaycase.scaffolding.signatures import derive_observed
from replaycase.tape.from_run import tape_from_run
from replaycase.tape.key import key_of_call

EXPORTS = Path(__file__).parent / "data" / "sdk_agents" / "exports"
MODES = ["responses-run", "responses-streamed", "chat-run", "chat-streamed"]
QUESTION = "Why was I charged twice in March? My customer id is C-10442."
INSTRUCTIONS = "You are Acme's billing agent. Use lookup_billing for account data."
TOOL_ERROR = "An error occurred while running the tool. Please try again."


@pytest.mark.parametrize("mode", MODES)
def test_every_model_call_holds_its_conversation_and_answer(mode: str) -> None:
    [run] = load_trace(EXPORTS / f"{mode}.json")
    assert run.status == "error" and run.input == QUESTION
    assert [e.message for e in run.errors()] == ["Max turns (3) exceeded"]
    calls = run.llm_calls()
    assert len(calls) == 3
    for n, call in enumerate(calls):
        assert call.instructions == INSTRUCTIONS and call.tools_offered == ["lookup_billing"]
        assert call.output_text == "" and call.error is None
        assert [(c.tool_name, c.tool_args) for c in call.tool_calls] == [
            ("lookup_billing", {"customer_id": "C-10442"})]
        assert call.messages is not None and len(call.messages) == 1 + 2 * n
        assert [m.text for m in call.messages if m.role == "tool"] == [TOOL_ERROR] * n
    assert calls[0].model in ("gpt-4o-mini-2024-07-18", "gpt-4o-mini")
    tools = run.tool_calls()
    assert [c.call_id for c in tools] == [c.call_id for e in calls for c in e.tool_calls]
    assert all(c.is_error and c.output == TOOL_ERROR for c in tools)
    assert run.metadata.answer_not_recorded is None and run.answer_recorded()


def test_every_api_and_runner_gives_the_same_tape() -> None:
    """The match key is the conversation, whatever the protocol or streaming mode."""
    keys = []
    for mode in MODES:
        [run] = load_trace(EXPORTS / f"{mode}.json")
        made = tape_from_run(run)
        assert made.tape is not None, made.reason
        assert made.tape.header.not_recorded == []
        keys.append([turn.key for turn in made.tape.turns])
    assert all(k == keys[0] for k in keys[1:])
    assert keys[0] == [key_of_call(call) for call in load_trace(
        EXPORTS / "chat-run.json")[0].llm_calls()]


def test_a_streamed_chat_generation_s_response_output_is_read() -> None:
    """Streamed, the SDK records a Responses-shaped object as the generation's output."""
    raw = json.loads((EXPORTS / "chat-streamed.json").read_text())
    [output] = next(s for s in raw["data"] if s.get("span_data", {}).get("type")
                    == "generation")["span_data"]["output"]
    assert output["object"] == "response" and output["output"][0]["type"] == "function_call"
    [run] = load_trace(EXPORTS / "chat-streamed.json")
    assert run.llm_calls()[0].tool_calls[0].call_id == output["output"][0]["call_id"]


def test_the_sdk_s_own_response_span_export_gives_no_tape(tmp_path: Path) -> None:
    """``export()`` alone (what the OpenAI backend receives) holds no answer: no tape, and no
    ``final_output_exists: false`` derived from a trace that cannot show one."""
    raw = json.loads((EXPORTS / "responses-run.json").read_text())
    for item in raw["data"]:
        data = item.get("span_data", {})
        if data.get("type") == "response":
            data.pop("input"), data.pop("response")
    path = tmp_path / "plain.json"
    path.write_text(json.dumps(raw))
    [run] = load_trace(path)
    assert all(c.messages is None and c.output_text is None for c in run.llm_calls())
    assert run.llm_calls()[0].request == {"response_id": "resp_case_1"}
    assert not run.answer_recorded()
    assert "does not record the final answer" in (run.metadata.answer_not_recorded or "")
    assert tape_from_run(run).tape is None


def test_a_last_response_without_tool_calls_is_the_final_output(tmp_path: Path) -> None:
    raw = json.loads((EXPORTS / "responses-run.json").read_text())
    last = [i for i in raw["data"] if i.get("span_data", {}).get("type") == "response"][-1]
    last["span_data"]["response"]["output"] = [copy.deepcopy({
        "type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
        "content": [{"type": "output_text", "text": "Billing is down.", "annotations": []}]})]
    path = tmp_path / "answered.json"
    path.write_text(json.dumps(raw))
    [run] = load_trace(path)
    assert run.final_output == "Billing is down."
    assert run.llm_calls()[-1].tool_calls == []


def test_recorded_tool_errors_are_the_fixture_s_error_outputs(tmp_path: Path) -> None:
    out = tmp_path / "case"
    scaffold(EXPORTS / "responses-run.json", out, ScaffoldOptions())
    case = load_case(out)
    assert recorded_tool_errors(case) == {TOOL_ERROR}
    fixture = out / "fixtures" / "tool_calls.json"
    calls = json.loads(fixture.read_text())
    fixture.write_text(json.dumps([{**c, "is_error": False} for c in calls]))
    assert recorded_tool_errors(case) == frozenset()
    fixture.write_text("[{")
    with pytest.raises(CaseError, match=r"tool_calls\.json"):
        recorded_tool_errors(case)
    fixture.unlink()
    assert recorded_tool_errors(case) == frozenset()


def test_scaffold_counts_the_tool_errors_the_model_was_shown() -> None:
    """The run stopped on its third failed lookup: a replay judged from the wire sees the
    two errors the model was shown, so the signature asks for those."""
    [run] = load_trace(EXPORTS / "responses-run.json")
    [entry] = [e for e in derive_observed(run) if isinstance(e, ToolErrorCount)]
    assert entry.tool_error_count.min == 2 and "shown to the model" in (entry.why or "")
    no_model = run.model_copy(update={"events": [e for e in run.events
                                                 if e.type != "llm_call"]})
    [entry] = [e for e in derive_observed(no_model) if isinstance(e, ToolErrorCount)]
    assert entry.tool_error_count.min == 3
